"""Small real images for the lectures: scikit-learn's 8x8 handwritten digits.

- load_digit_sequences: the 1,797 digits of sklearn.datasets.load_digits
  (shipped inside scikit-learn, no download) as sequences of rows, (N, 8, 8):
  8 time steps of 8 pixels each, scaled to [0, 1], split under a seed.
- make_digit_strips: 1 to 3 digits side by side, captioned with their words
  ("four seven"), a one-to-many task for DigitCaptioner (CNN encoder whose
  feature is the GRU decoder's first state, h_0 = f).
- make_motion_clips: a digit sliding one pixel per frame across a canvas,
  labelled with its direction, a many-to-one task over image sequences for
  CNNRNNClassifier (a CNN per frame, an RNN over the frame features).

Dimensions: N examples, T frames or caption positions, P = 8 pixels per row,
C canvas side, F CNN features (= H hidden units where a feature starts an
RNN), V caption vocabulary, K classes.
"""
import importlib.util
from collections import namedtuple
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

_SKLEARN = "sklearn"          # a module attribute so the missing-package error can be tested
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CAPTION_WORDS = ("<pad>", "<start>", "<end>") + DIGIT_WORDS
PAD, START, END = 0, 1, 2     # a digit d is the word CAPTION_WORDS[d + 3]
DIRECTIONS = ("left", "right", "up", "down")
_MOVES = ((0, -1), (0, 1), (-1, 0), (1, 0))  # (row, column) step of each direction

DigitSplit = namedtuple("DigitSplit", "x_train y_train x_test y_test idx_train idx_test")


def _digits():
    """All 1,797 digits: images (1797, 8, 8) float64 in [0, 1] and labels (1797,) int64.

    The file that sklearn.datasets.load_digits reads is loaded directly:
    importing sklearn.datasets itself takes more than a second of CPU, a
    noticeable share of a lecture's budget. load_digits is the fallback
    should scikit-learn ever move the file (the tests compare the two).
    """
    spec = importlib.util.find_spec(_SKLEARN)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"The digit images come from scikit-learn ('{_SKLEARN}'), which is not installed. "
            f"Install it with:  pip install scikit-learn")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    if path.exists():
        table = np.loadtxt(path, delimiter=",")               # (1797, 65): 64 pixels, then the label
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        from sklearn.datasets import load_digits
        digits = load_digits()
        pixels, labels = digits.data, digits.target
    # Pixels are counts 0..16 of dark sub-cells; scale them to [0, 1].
    return pixels.reshape(-1, 8, 8) / 16.0, labels.astype(np.int64)


def load_digit_sequences(test_fraction=0.25, seed=0):
    """The scikit-learn digits as row sequences, split into train and test.

    Inputs:
    - test_fraction: share of the 1,797 images kept for testing, in (0, 1)
    - seed: the permutation that makes the split (same seed, same split)

    Returns a DigitSplit: x_train (N, 8, 8) and x_test float64 in [0, 1]
    (row t of an image is time step t), y_train (N,) and y_test int64 digits,
    and idx_train, idx_test, the rows of load_digits() each example came from.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digit_sequences: test_fraction must be in (0, 1), got {test_fraction!r}")
    images, labels = _digits()
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return DigitSplit(images[train], labels[train], images[test], labels[test], train, test)


def make_digit_strips(images, labels, n, rng, max_digits=3):
    """n strips of 1..max_digits random digits side by side, with their captions.

    Inputs: images (M, 8, 8), labels (M,), n, rng (numpy Generator), max_digits.
    Returns:
    - strips: (n, 8, 8 * max_digits) float64, blank (zero) right of the last digit
    - captions: (n, max_digits + 2) int64 indices into CAPTION_WORDS:
      START, one word per digit (left to right), END, then PAD
    """
    strips = np.zeros((n, 8, 8 * max_digits))
    captions = np.full((n, max_digits + 2), PAD, dtype=np.int64)
    counts = rng.integers(1, max_digits + 1, size=n)
    for row, k in enumerate(counts):
        picks = rng.integers(0, len(images), size=k)
        strips[row, :, :8 * k] = np.concatenate(list(images[picks]), axis=1)
        captions[row, :k + 2] = [START, *(labels[picks] + 3), END]
    return strips, captions


def caption_text(indices):
    """Caption indices (U,) -> the words up to END, e.g. "four seven" (START and PAD skipped)."""
    words = []
    for i in np.asarray(indices).tolist():
        if i == END:
            break
        if i not in (PAD, START):
            words.append(CAPTION_WORDS[i])
    return " ".join(words)


def make_motion_clips(images, n, rng, T=5, canvas=12):
    """n clips of a digit moving one pixel per frame, and the direction of each.

    The start is uniform over the positions that keep the digit on the canvas
    for all T frames, so a clip played backwards is an equally likely clip of
    the opposite direction: only the order of the frames tells them apart.

    Inputs: images (M, 8, 8), n, rng, T frames, canvas side C (C - 8 >= T - 1).
    Returns clips (n, T, C, C) float64 and directions (n,) int64 into DIRECTIONS.
    """
    room = canvas - 8
    if room < T - 1:
        raise ValueError(f"make_motion_clips: a {canvas}x{canvas} canvas leaves {room} pixels to move, "
                         f"{T} frames need {T - 1}; use canvas >= {T + 7}")
    clips = np.zeros((n, T, canvas, canvas))
    directions = rng.integers(0, 4, size=n)
    for k, d in enumerate(directions):
        image = images[rng.integers(0, len(images))]
        dr, dc = _MOVES[d]
        # Along the moving axis the path must fit; across it any position will do.
        start = [rng.integers(0, room + 1) if step == 0 else
                 rng.integers(0, room - T + 2) + (T - 1 if step < 0 else 0) for step in (dr, dc)]
        for t in range(T):
            r, c = start[0] + t * dr, start[1] + t * dc
            clips[k, t, r:r + 8, c:c + 8] = image
    return clips, directions.astype(np.int64)


class DigitCNN(nn.Module):
    """(M, h, w) images -> (M, F) features: two 3x3 convolutions, one 2x2 max-pool, a linear layer.

    The flatten before the linear layer keeps where each pattern was, which
    the captioner needs (which digit is first) and so does the motion model.
    """

    def __init__(self, height, width, features=64, channels=8):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.fc = nn.Linear(2 * channels * (height // 2) * (width // 2), features)

    def forward(self, images):
        x = F.relu(self.conv1(images[:, None]))               # (M, c, h, w): one input channel
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)            # (M, 2c, h/2, w/2)
        return torch.tanh(self.fc(x.flatten(1)))              # (M, F), in [-1, 1] like an RNN state


class DigitCaptioner(nn.Module):
    """One-to-many: strip (N, 8, W) -> f = CNN(strip) = h_0 -> GRU over caption words -> scores."""

    def __init__(self, width=24, hidden_size=64, embed_size=16, vocab_size=len(CAPTION_WORDS)):
        super().__init__()
        self.cnn = DigitCNN(8, width, features=hidden_size)
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, strips, words_in):
        """strips (N, 8, W), words_in (N, U) the previous words (teacher forcing) -> scores (N, U, V)."""
        h0 = self.cnn(strips)[None]                           # (1, N, H): the image is the first state
        h, _ = self.rnn(self.embed(words_in), h0)             # (N, U, H)
        return self.out(h)

    @torch.no_grad()
    def caption(self, strips, max_len=5, temperature=0.0, generator=None):
        """Generate captions word by word, each step reading the previous word.

        temperature 0 takes the most likely word; above 0 samples from
        softmax(scores / temperature). Returns (N, max_len) int64 numpy
        indices; after END every position is PAD.
        """
        self.eval()
        strips = torch.as_tensor(strips, dtype=self.out.weight.dtype)
        h = self.cnn(strips)[None]
        word = torch.full((len(strips), 1), START)
        out = torch.full((len(strips), max_len), PAD)
        done = torch.zeros(len(strips), dtype=torch.bool)
        for u in range(max_len):
            y, h = self.rnn(self.embed(word), h)
            scores = self.out(y[:, 0])                        # (N, V)
            if temperature == 0:
                word = scores.argmax(1, keepdim=True)
            else:
                word = torch.multinomial(torch.softmax(scores / temperature, 1), 1, generator=generator)
            out[:, u] = torch.where(done, PAD, word[:, 0])
            done |= word[:, 0] == END
        return out.numpy()


def caption_loss(model, batch):
    """Teacher-forced cross-entropy of a (strips, captions) batch, PAD targets ignored."""
    strips, captions = batch
    scores = model(strips, captions[:, :-1])                  # read START..w_k, predict w_1..END
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), captions[:, 1:].reshape(-1),
                           ignore_index=PAD)


class CNNRNNClassifier(nn.Module):
    """Many-to-one over image sequences: clips (N, T, C, C) -> f_t = CNN(F_t) -> RNN -> scores (N, K).

    temporal is "gru", "lstm" or "rnn" (y from the last state h_T), or "mean":
    the average of the frame features, a baseline that cannot see frame order.
    """

    def __init__(self, canvas=12, features=32, hidden_size=32, num_classes=len(DIRECTIONS),
                 temporal="gru"):
        super().__init__()
        cells = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
        if temporal not in (*cells, "mean"):
            raise ValueError(f"CNNRNNClassifier: temporal must be one of {sorted(cells) + ['mean']}, "
                             f"got {temporal!r}")
        self.temporal = temporal
        self.cnn = DigitCNN(canvas, canvas, features=features)
        self.rnn = cells[temporal](features, hidden_size, batch_first=True) if temporal in cells else None
        self.out = nn.Linear(hidden_size if self.rnn is not None else features, num_classes)

    def frame_features(self, clips):
        """clips (N, T, C, C) -> (N, T, F): the same CNN applied to every frame on its own."""
        N, T = clips.shape[:2]
        return self.cnn(clips.reshape(N * T, *clips.shape[2:])).reshape(N, T, -1)

    def forward(self, clips):
        f = self.frame_features(clips)
        if self.rnn is None:
            return self.out(f.mean(dim=1))
        h, _ = self.rnn(f)                                    # (N, T, H)
        return self.out(h[:, -1])


def clip_loss(model, batch):
    """Cross-entropy of a (clips, labels) batch, for training.fit."""
    clips, labels = batch
    return F.cross_entropy(model(clips), labels)
