"""Small torch models over the 8x8 digits of data.digits.

- DigitCNN: (M, h, w) images -> (M, F) features.
- DigitCaptioner: CNN encoder whose feature is the GRU decoder's first state
  (h_0 = f), trained on data.digits.make_digit_strips; caption_loss.
- CNNRNNClassifier: a CNN per frame, an RNN over the frame features, trained
  on data.digits.make_motion_clips; clip_loss.

Dimensions: N examples, T frames or caption positions, P = 8 pixels per row,
C canvas side, F CNN features (= H hidden units where a feature starts an
RNN), V caption vocabulary, K classes.
"""

import torch
from torch import nn
from torch.nn import functional as F

from rnn_helpers.data.digits import CAPTION_VOCAB, DIRECTIONS


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
        x = F.relu(self.conv1(images[:, None]))  # (M, c, h, w): one input channel
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (M, 2c, h/2, w/2)
        return torch.tanh(self.fc(x.flatten(1)))  # (M, F), in [-1, 1] like an RNN state


class DigitCaptioner(nn.Module):
    """One-to-many: strip (N, 8, W) -> f = CNN(strip) = h_0 -> GRU over caption words -> scores."""

    def __init__(self, width=24, hidden_size=64, embed_size=16, vocab_size=len(CAPTION_VOCAB)):
        super().__init__()
        self.cnn = DigitCNN(8, width, features=hidden_size)
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, strips, words_in):
        """strips (N, 8, W), words_in (N, U) the previous words (teacher forcing) -> scores (N, U, V)."""
        h0 = self.cnn(strips)[None]  # (1, N, H): the image is the first state
        h, _ = self.rnn(self.embed(words_in), h0)  # (N, U, H)
        return self.out(h)

    @torch.no_grad()
    def caption(self, strips, max_len=5, temperature=0.0, generator=None):
        """Generate captions word by word, each step reading the previous word.

        temperature 0 takes the most likely word; above 0 samples from
        softmax(scores / temperature). Returns (N, max_len) int64 numpy
        indices into CAPTION_VOCAB; after </s> every position is <pad>.
        """
        self.eval()
        pad, end = CAPTION_VOCAB.pad_idx, CAPTION_VOCAB.end_idx
        strips = torch.as_tensor(strips, dtype=self.out.weight.dtype)
        h = self.cnn(strips)[None]
        word = torch.full((len(strips), 1), CAPTION_VOCAB.start_idx)
        out = torch.full((len(strips), max_len), pad)
        done = torch.zeros(len(strips), dtype=torch.bool)
        for u in range(max_len):
            y, h = self.rnn(self.embed(word), h)
            scores = self.out(y[:, 0])  # (N, V)
            if temperature == 0:
                word = scores.argmax(1, keepdim=True)
            else:
                word = torch.multinomial(torch.softmax(scores / temperature, 1), 1, generator=generator)
            out[:, u] = torch.where(done, pad, word[:, 0])
            done |= word[:, 0] == end
        return out.numpy()


def caption_loss(model, batch):
    """Teacher-forced cross-entropy of a (strips, captions) batch, <pad> targets ignored."""
    strips, captions = batch
    scores = model(strips, captions[:, :-1])  # read <s> .. w_k, predict w_1 .. </s>
    return F.cross_entropy(
        scores.reshape(-1, scores.shape[-1]), captions[:, 1:].reshape(-1), ignore_index=CAPTION_VOCAB.pad_idx
    )


class CNNRNNClassifier(nn.Module):
    """Many-to-one over image sequences: clips (N, T, C, C) -> f_t = CNN(F_t) -> RNN -> scores (N, K).

    temporal is "gru", "lstm" or "rnn" (y from the last state h_T), or "mean":
    the average of the frame features, a baseline that cannot see frame order.
    """

    def __init__(self, canvas=12, features=32, hidden_size=32, num_classes=len(DIRECTIONS), temporal="gru"):
        super().__init__()
        cells = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
        if temporal not in (*cells, "mean"):
            raise ValueError(
                f"CNNRNNClassifier: temporal must be one of {sorted(cells) + ['mean']}, got {temporal!r}"
            )
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
        h, _ = self.rnn(f)  # (N, T, H)
        return self.out(h[:, -1])


def clip_loss(model, batch):
    """Cross-entropy of a (clips, labels) batch, for training.fit."""
    clips, labels = batch
    return F.cross_entropy(model(clips), labels)
