"""Person names as character sequences: loading, language-model batches, splits.

The data are the 1990 US Census name lists shipped inside the `names` package
(files `names/dist.female.first`, `dist.male.first`, `dist.all.last`), so the
course runs with the network off. Names are lower-cased and kept only when
they consist of the letters a-z.

Dimensions: N names, T time steps (characters), V vocabulary size.
The characters' vocabulary is data.vocab.Vocab.from_texts(names, level="char");
its encode(names, add_start=True, add_end=True) writes a name as
<s> c1 ... cL </s>, pads after </s>, and returns a boolean mask of shape
(N, T) that is True exactly on the real tokens.
"""

import importlib.util
import os
import re

import numpy as np

NAME_FILES = {"female": "dist.female.first", "male": "dist.male.first", "last": "dist.all.last"}
_PACKAGE = "names"  # a module attribute so that the missing-package message can be tested
_LETTERS = re.compile(r"[a-z]+")


def _names_dir():
    """The folder that holds the census files, or a clear error if `names` is missing."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"The name lists come from the '{_PACKAGE}' package, which is not installed. "
            f"Install it with:  pip install {_PACKAGE}==0.3.0"
        )
    return os.path.dirname(spec.origin)


def _read_list(kind):
    """Names of one census list in frequency order (most common first), lower case, a-z only."""
    if kind not in NAME_FILES:
        raise ValueError(f"load_names: unknown kind {kind!r}; choose from {sorted(NAME_FILES) + ['first']}")
    path = os.path.join(_names_dir(), NAME_FILES[kind])
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} is missing: the installed '{_PACKAGE}' package does not ship the "
            f"census lists; reinstall it with  pip install --force-reinstall {_PACKAGE}==0.3.0"
        )
    with open(path, encoding="ascii") as f:
        # Each line is "NAME  freq  cumulative-freq  rank"; only the first column matters.
        words = [line.split()[0].lower() for line in f if line.strip()]
    return [w for w in words if _LETTERS.fullmatch(w)]


def load_names(kind="first", min_len=1, max_len=None):
    """Load a list of names, lower case, letters a-z only, without duplicates.

    Inputs:
    - kind: "female", "male", "last", or "first" (female then male first names)
    - min_len, max_len: keep names with min_len <= len(name) <= max_len
      (max_len None: no upper limit)

    Returns a list of str in census frequency order (the first occurrence of a
    name shared by both first-name lists is kept).
    """
    kinds = ("female", "male") if kind == "first" else (kind,)
    seen, out = set(), []
    for k in kinds:
        for w in _read_list(k):
            if w not in seen and len(w) >= min_len and (max_len is None or len(w) <= max_len):
                seen.add(w)
                out.append(w)
    return out


def load_labelled_first_names(max_len=None):
    """First names that occur in only one of the two lists, with a label for the list.

    A many-to-one task: read a name, predict the list it comes from.

    Returns (words, labels): a list of N str and an int64 array (N,),
    0 for the female list and 1 for the male list. Names on both lists are
    dropped because their label would be ambiguous.
    """
    female = set(load_names("female", max_len=max_len))
    male = set(load_names("male", max_len=max_len))
    words = sorted(female ^ male)
    labels = np.array([int(w in male) for w in words], dtype=np.int64)
    return words, labels


def language_model_batch(idx, mask):
    """Inputs, targets and mask for next-character prediction (many-to-many).

    Inputs:
    - idx, mask: (N, T) from Vocab.encode(words, add_start=True, add_end=True)

    Returns (x, y, m), each (N, T-1): x = idx[:, :-1] is read, y = idx[:, 1:] is
    predicted at every step, m = mask[:, 1:] marks the targets that count
    (the last one of each word is </s>; the padding after it is masked out).
    """
    return idx[:, :-1], idx[:, 1:], mask[:, 1:]


def train_val_split(items, val_fraction=0.1, seed=0):
    """Shuffle a list with a seeded generator and split it into (train, val) lists."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in [0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(items))
    n_val = int(round(len(items) * val_fraction))
    return [items[i] for i in order[n_val:]], [items[i] for i in order[:n_val]]


def minibatches(n, batch_size, rng):
    """Yield index arrays that cover range(n) once in a random order, batch_size at a time."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]
