"""Small real images: scikit-learn's 8x8 handwritten digits, as sequences, strips and clips.

- load_digit_sequences: the 1,797 digits of sklearn.datasets.load_digits
  (shipped inside scikit-learn, no download) as sequences of rows, (N, 8, 8):
  8 time steps of 8 pixels each, scaled to [0, 1], split under a seed.
- make_digit_strips: 1 to 3 digits side by side, captioned with their words
  ("four seven"), a one-to-many task (nets.digit_models.DigitCaptioner).
- make_motion_clips: a digit sliding one pixel per frame across a canvas,
  labelled with its direction, a many-to-one task over image sequences
  (nets.digit_models.CNNRNNClassifier).

Dimensions: N examples, T frames or caption positions, P = 8 pixels per row,
C canvas side, F CNN features (= H hidden units where a feature starts an
RNN), V caption vocabulary, K classes.
"""

import importlib.util
from collections import namedtuple
from pathlib import Path

import numpy as np

from rnn_helpers.data.vocab import Vocab

_SKLEARN = "sklearn"  # a module attribute so the missing-package error can be tested
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CAPTION_VOCAB = Vocab(DIGIT_WORDS)  # <pad> 0, <s> 1, </s> 2, then "zero" ... "nine"
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
            f"Install it with:  pip install scikit-learn"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    if path.exists():
        table = np.loadtxt(path, delimiter=",")  # (1797, 65): 64 pixels, then the label
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
    - captions: (n, max_digits + 2) int64 indices into CAPTION_VOCAB:
      <s>, one word per digit (left to right), </s>, then <pad>
    """
    strips = np.zeros((n, 8, 8 * max_digits))
    words = []
    counts = rng.integers(1, max_digits + 1, size=n)
    for row, k in enumerate(counts):
        picks = rng.integers(0, len(images), size=k)
        strips[row, :, : 8 * k] = np.concatenate(list(images[picks]), axis=1)
        words.append([DIGIT_WORDS[d] for d in labels[picks]])
    captions, _ = CAPTION_VOCAB.encode(words, T=max_digits + 2, add_start=True, add_end=True)
    return strips, captions


def caption_text(indices):
    """Caption indices (U,) -> the words up to </s>, e.g. "four seven" (<s> and <pad> skipped)."""
    return CAPTION_VOCAB.decode(indices, sep=" ")


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
        raise ValueError(
            f"make_motion_clips: a {canvas}x{canvas} canvas leaves {room} pixels to move, "
            f"{T} frames need {T - 1}; use canvas >= {T + 7}"
        )
    clips = np.zeros((n, T, canvas, canvas))
    directions = rng.integers(0, 4, size=n)
    for k, d in enumerate(directions):
        image = images[rng.integers(0, len(images))]
        dr, dc = _MOVES[d]
        # Along the moving axis the path must fit; across it any position will do.
        start = [
            rng.integers(0, room + 1)
            if step == 0
            else rng.integers(0, room - T + 2) + (T - 1 if step < 0 else 0)
            for step in (dr, dc)
        ]
        for t in range(T):
            r, c = start[0] + t * dr, start[1] + t * dc
            clips[k, t, r : r + 8, c : c + 8] = image
    return clips, directions.astype(np.int64)
