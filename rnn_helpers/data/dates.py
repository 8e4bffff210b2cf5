"""Generated date-format translation data: "Tuesday, 3rd of May 1998" -> "1998-05-03".

A sequence-to-sequence task that needs no download and that a tiny model
learns on a CPU in seconds. The inputs are written in many human formats of
very different lengths (8 to about 50 characters), sometimes followed by a
time of day to be ignored, while the output is always
the 10 characters of an ISO date, which makes it a good test of attention:
the decoder must find the day, the month and the year wherever each format
puts them.

Numeric formats are always day first ("3.5.1998" is the 3rd of May), so that
every input has exactly one correct translation.

Dimensions: N examples, T input characters (padded), U = 10 output characters.
IN_VOCAB (the input characters) has <pad> only; OUT_VOCAB (digits and "-")
has <pad> and the decoder's start token <s>.
"""

import datetime

import numpy as np

from rnn_helpers.data.vocab import Vocab

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OUT_LEN = 10  # "YYYY-MM-DD"
OUT_VOCAB = Vocab(list("0123456789-"), end=False)  # every output has 10 characters: no end token


def _ordinal(day):
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Each format maps a datetime.date to text; the list runs from short to long.
FORMATS = [
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()]}, the {_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
]

# An optional time of day after the date: the model must learn to ignore it.
# It puts distracting digits between the date and the end of the input, which
# is hard for a decoder that only sees the encoder's last state.
TIME_FORMATS = [
    lambda h, m, s: f" {h:02d}:{m:02d}",
    lambda h, m, s: f", {h:02d}:{m:02d}:{s:02d}",
    lambda h, m, s: f" at {(h - 1) % 12 + 1}:{m:02d} {'am' if h < 12 else 'pm'}",
    lambda h, m, s: f" at {h:02d}h{m:02d}",
]

IN_VOCAB = Vocab.from_texts(
    [f(datetime.date(2001, m, 23)) for f in FORMATS for m in range(1, 13)]
    + [f(13, 5, 9) for f in TIME_FORMATS]
    + WEEKDAYS
    + ["0123456789stndrhapm:"],
    level="char",
    start=False,
    end=False,
)


def random_dates(n, rng, first_year=1950, last_year=2049, formats=None, time_prob=0.5):
    """Draw n random dates and write each in a random format.

    Inputs:
    - n: number of examples
    - rng: numpy Generator
    - first_year, last_year: the range of years (inclusive)
    - formats: indices into FORMATS to draw from (default: all)
    - time_prob: probability that a random time of day follows the date

    Returns (texts, isos): two lists of n str, the human text and the ISO date.
    """
    start = datetime.date(first_year, 1, 1).toordinal()
    stop = datetime.date(last_year, 12, 31).toordinal()
    days = rng.integers(start, stop + 1, size=n)
    choices = np.arange(len(FORMATS)) if formats is None else np.asarray(formats)
    fmts = rng.choice(choices, size=n)
    dates = [datetime.date.fromordinal(int(d)) for d in days]
    texts = [FORMATS[f](d) for f, d in zip(fmts, dates)]
    with_time = rng.random(n) < time_prob
    times = rng.integers(0, [24, 60, 60], size=(n, 3))
    kinds = rng.integers(0, len(TIME_FORMATS), size=n)
    texts = [
        t + TIME_FORMATS[k](*hms) if w else t for t, w, k, hms in zip(texts, with_time, kinds, times.tolist())
    ]
    return texts, [d.isoformat() for d in dates]


def encode(texts, isos=None):
    """Turn texts (and ISO targets) into padded index arrays.

    Inputs:
    - texts: list of N str over IN_VOCAB's characters
    - isos: optional list of N ISO dates "YYYY-MM-DD"

    Returns (x, mask) or (x, mask, y):
    - x: (N, T) int64 indices into IN_VOCAB, T the longest text, padded with <pad> (0)
    - mask: (N, T) bool, True on real characters
    - y: (N, 10) int64 indices into OUT_VOCAB
    """
    x, mask = IN_VOCAB.encode(texts)
    if isos is None:
        return x, mask
    wrong = [iso for iso in isos if len(iso) != OUT_LEN]
    if wrong:
        raise ValueError(f"encode: ISO dates must have {OUT_LEN} characters (YYYY-MM-DD), got {wrong[:3]}")
    y, _ = OUT_VOCAB.encode(isos)
    return x, mask, y


def decode(y):
    """(N, 10) indices into OUT_VOCAB -> list of N str (<pad> and <s> skipped)."""
    return [OUT_VOCAB.decode(row, sep="") for row in np.asarray(y)]
