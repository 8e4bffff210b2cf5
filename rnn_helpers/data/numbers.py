"""Generated pairs: numbers and their English words.

Two tasks for the small encoder-decoders of nets/:
- numbers 0-999 in words ("342" -> "three hundred forty-two"), lecture 000:
  input and output have different lengths (1-3 digits in, 1-4 words or up to
  24 characters out) and every output token depends on the input.
  TARGETS holds its two target vocabularies, words and characters.
- digit strings spelt out digit by digit ("307" -> "three zero seven"),
  assignment 04: the information to carry grows with the length (3.3 bits a
  digit), which a fixed-size state cannot keep up with and attention can.
  DIGITS and DIGIT_WORDS are its source and target vocabularies.
All vocabularies have <pad>, <s> and </s> at indices 0, 1, 2 (fixed by data.vocab).

Dimensions: N strings, T source positions (digits and </s>), U target positions.
"""

import numpy as np

from rnn_helpers.data.vocab import Vocab

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# Word level: 1-4 output steps, fast. Character level: up to 24 steps, where
# errors have room to compound (the exposure-bias demo).
TARGETS = {
    "word": Vocab(_ONES + _TENS[2:] + ["hundred"]),
    "char": Vocab(list("abcdefghijklmnopqrstuvwxyz -")),
}


# Spelling task: a digit's word is its entry in _ONES.
DIGITS = Vocab(list("0123456789"))
DIGIT_WORDS = Vocab(_ONES[:10])


def number_to_words(n):
    """0 <= n <= 999 -> American English words, e.g. 342 -> 'three hundred forty-two'."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= 999:
        raise ValueError(f"number_to_words: n must be an integer in [0, 999], got {n!r}")
    n = int(n)
    hundreds, rest = divmod(n, 100)
    parts = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest or not hundreds:
        if rest < 20:
            parts.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            parts.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " ".join(parts)


def target_tokens(n, level="word"):
    """The target of n: its words (split at spaces and hyphens) or its characters."""
    if level not in TARGETS:
        raise ValueError(f"target_tokens: level must be one of {sorted(TARGETS)}, got {level!r}")
    text = number_to_words(n)
    return text.replace("-", " ").split() if level == "word" else list(text)


def random_digit_strings(n, min_len, max_len, rng):
    """n random digit strings, lengths uniform in [min_len, max_len], digits uniform.

    Inputs: n; min_len <= max_len, ints >= 1; rng: numpy Generator (the seed
    fixes the strings). Returns a list of n str.
    """
    if not 1 <= min_len <= max_len:
        raise ValueError(f"random_digit_strings: need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    lengths = rng.integers(min_len, max_len + 1, size=n)
    digits = rng.integers(0, 10, size=(n, max_len))
    return ["".join(map(str, row[:length])) for row, length in zip(digits, lengths)]


def spell_digits(text):
    """A digit string spelt out digit by digit: "307" -> ["three", "zero", "seven"]."""
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        raise ValueError(f"spell_digits: text must be a non-empty str of digits 0-9, got {text!r}")
    return [_ONES[int(d)] for d in text]


def encode_spelling(texts):
    """Encode digit strings and their spelling for an encoder-decoder (numpy, no torch).

    The source has no <s>, so digit t sits at source position t and its word
    is the target of decoder step t: a model that knows positions can align
    them (nets.seq2seq.DigitSpeller).
    Inputs: texts, a list of N digit strings.
    Returns a dict of arrays: src (N, T) int64, digits then </s>, and src_mask
    (N, T) bool; y_in (N, U) decoder inputs (<s> then the words), y_out (N, U)
    targets (the words then </s>) and y_mask (N, U) bool; U = T = longest + 1.
    """
    src, src_mask = DIGITS.encode(list(texts), add_end=True)
    words, words_mask = DIGIT_WORDS.encode([spell_digits(t) for t in texts], add_start=True, add_end=True)
    # Shifted by one for teacher forcing: step u reads word u-1 and predicts word u.
    return dict(src=src, src_mask=src_mask, y_in=words[:, :-1], y_out=words[:, 1:], y_mask=words_mask[:, 1:])
