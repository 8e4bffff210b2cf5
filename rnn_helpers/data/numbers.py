"""Generated pairs: numbers 0-999 and their English words ("342" -> "three hundred forty-two").

Input and output have different lengths (1-3 digits in, 1-4 words or up to
24 characters out) and every output token depends on the input: a task a
small encoder-decoder (nets.seq2seq) learns on a CPU in seconds.
TARGETS holds the two target vocabularies, words and characters; both have
<pad>, <s> and </s> at indices 0, 1, 2 (fixed by data.vocab).
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
