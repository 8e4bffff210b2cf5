"""One vocabulary class for every token sequence of the course: tokens <-> integer indices.

Characters of names, dates and number words, words of sentences and captions:
all go through `Vocab`. Its special tokens sit at the same fixed indices in
every vocabulary that has them:

    index  token   attributes                  role
    0      <pad>   pad_token,   pad_idx        fills a batch after a sequence ends (always present)
    1      <s>     start_token, start_idx      the first input of a decoder or language model
    2      </s>    end_token,   end_idx        marks where a sequence ends
    3      <unk>   unk_token,   unk_idx        stands for any token the vocabulary lacks

The ordinary tokens follow them. A vocabulary leaves out the specials it does
not need (its `*_token` and `*_idx` are then None), but only from the end of
this table, so that every special keeps its index: no start without pad, no
end without start, no unknown without end. Date inputs have pad only, date
outputs pad and start, names pad, start and end, sentence words all four.

Dimensions: N sequences, T positions (the longest sequence, or a given T), V vocabulary size.
"""

from collections import Counter

import numpy as np

PAD_TOKEN, START_TOKEN, END_TOKEN, UNK_TOKEN = "<pad>", "<s>", "</s>", "<unk>"
PAD_IDX, START_IDX, END_IDX, UNK_IDX = 0, 1, 2, 3
LEVELS = ("char", "word")


def _fixed_order_error(asked, missing):
    """The message for a special asked for without the one before it (e.g. unk without end)."""
    return (
        f"Vocab: {asked}=True needs {missing}=True: the specials sit at fixed indices "
        f"(pad {PAD_IDX}, start {START_IDX}, end {END_IDX}, unknown {UNK_IDX}) and a vocabulary "
        f"can leave out only the last ones; pass {missing}=True as well (an unused special costs one index)"
    )


class Vocab:
    """Tokens <-> indices, with the special tokens of the table above at fixed indices.

    Attributes:
    - itos: list of V str, index -> token (the specials first)
    - stoi: dict str -> int, token -> index
    - pad_token, start_token, end_token, unk_token: the special strings, None when absent
    - pad_idx, start_idx, end_idx, unk_idx: their indices (0, 1, 2, 3), None when absent
    """

    def __init__(self, tokens, start=True, end=True, unk=False):
        """A vocabulary of the specials asked for, then `tokens` in the order given.

        Inputs:
        - tokens: iterable of distinct str (a str gives its characters)
        - start, end, unk: whether the vocabulary has <s>, </s> and <unk> (<pad> it always has)
        """
        if end and not start:
            raise ValueError(_fixed_order_error("end", "start"))
        if unk and not end:
            raise ValueError(_fixed_order_error("unk", "end"))
        tokens = list(tokens)
        not_str = [t for t in tokens if not isinstance(t, str)]
        if not_str:
            raise ValueError(f"Vocab: tokens must be str, got {not_str[:3]}; convert them with str() first")
        specials = [PAD_TOKEN] + [START_TOKEN] * start + [END_TOKEN] * end + [UNK_TOKEN] * unk
        clash = sorted(set(specials) & set(tokens))
        if clash:
            raise ValueError(f"Vocab: {clash} are special tokens; remove them from the ordinary tokens")
        repeated = sorted(t for t, c in Counter(tokens).items() if c > 1)
        if repeated:
            raise ValueError(f"Vocab: tokens must be distinct, these repeat: {repeated[:10]}")
        self.itos = specials + tokens
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.pad_token, self.pad_idx = PAD_TOKEN, PAD_IDX
        self.start_token, self.start_idx = (START_TOKEN, START_IDX) if start else (None, None)
        self.end_token, self.end_idx = (END_TOKEN, END_IDX) if end else (None, None)
        self.unk_token, self.unk_idx = (UNK_TOKEN, UNK_IDX) if unk else (None, None)

    @classmethod
    def from_texts(cls, texts, level="char", max_size=None, min_count=1, start=True, end=True, unk=False):
        """A vocabulary of the tokens that occur in `texts`.

        Inputs:
        - texts: level "char": a list of str (each character is a token);
          level "word": a list of token lists (e.g. from corpora.tokenize)
        - max_size: keep at most this many ordinary tokens, the most frequent (None: all)
        - min_count: keep only tokens seen at least this many times
        - start, end, unk: the specials, as in Vocab()

        Characters are kept in sorted order, words from the most frequent down
        (ties alphabetically, so the vocabulary does not depend on data order).
        """
        if level not in LEVELS:
            raise ValueError(f"Vocab.from_texts: level must be one of {LEVELS}, got {level!r}")
        if isinstance(texts, str):
            raise ValueError("Vocab.from_texts: texts must be a list of texts; wrap a single text: [text]")
        if level == "word" and any(isinstance(t, str) for t in texts):
            raise ValueError(
                "Vocab.from_texts: level='word' needs lists of tokens, got a str; "
                "split sentences into words first, e.g. [corpora.tokenize(s) for s in sentences]"
            )
        counts = Counter(token for text in texts for token in text)
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        kept = kept[:max_size]
        return cls(sorted(kept) if level == "char" else kept, start=start, end=end, unk=unk)

    @property
    def specials(self):
        """The special tokens this vocabulary has, in index order."""
        return [t for t in (self.pad_token, self.start_token, self.end_token, self.unk_token) if t]

    @property
    def tokens(self):
        """The ordinary tokens, in index order (indices len(specials) ... V - 1)."""
        return self.itos[len(self.specials) :]

    def __len__(self):
        return len(self.itos)

    def __repr__(self):
        tokens = self.tokens
        shown = repr(tokens)
        if len(tokens) > 12:  # a word vocabulary can hold thousands
            shown = repr(tokens[:10])[:-1] + f", ... {len(tokens) - 10} more]"
        return f"Vocab(V={len(self)}, specials={self.specials}, tokens={shown})"

    def encode(self, sequences, T=None, add_start=False, add_end=False, truncate=False):
        """Sequences of tokens -> padded indices and a mask of the real positions.

        Inputs:
        - sequences: list of N sequences of tokens (a str is a sequence of characters)
        - T: padded length (default: the longest sequence, start and end included)
        - add_start, add_end: put <s> before and </s> after every sequence
        - truncate: cut sequences longer than T to their first T positions
          (False: a sequence longer than T raises ValueError)

        Tokens outside the vocabulary become <unk>; a vocabulary without <unk>
        raises ValueError naming them.

        Returns (idx, mask):
        - idx: (N, T) int64, <pad> after the end of each sequence
        - mask: (N, T) bool, True on the real positions (<s> and </s> included)
        """
        if isinstance(sequences, str):
            raise ValueError(
                "Vocab.encode: sequences must be a list of sequences, got one str; "
                "wrap it in a list: vocab.encode([text])"
            )
        for flag, name in ((add_start, "start"), (add_end, "end")):
            if flag and getattr(self, f"{name}_idx") is None:
                raise ValueError(
                    f"Vocab.encode: add_{name}=True, but this vocabulary has no {name} token; "
                    f"build it with {name}=True"
                )
        head = [self.start_idx] if add_start else []
        tail = [self.end_idx] if add_end else []
        rows, unknown = [], {}
        for seq in sequences:
            ids = []
            for token in seq:
                i = self.stoi.get(token, self.unk_idx)
                if i is None:
                    unknown.setdefault(token, seq)
                ids.append(i)
            rows.append(head + ids + tail)
        if unknown:
            names = sorted(unknown, key=str)
            first = unknown[names[0]]
            raise ValueError(
                f"Vocab.encode: {len(names)} token(s) not in the vocabulary: {names[:20]}"
                f"{' ...' if len(names) > 20 else ''} (e.g. in {first!r}); build the vocabulary "
                f"from data that contains them, or give it an unknown token (unk=True) to map them to"
            )
        longest = max((len(r) for r in rows), default=0)
        if T is None:
            T = longest
        elif T < longest and not truncate:
            added = " and ".join(name for name, flag in (("start", add_start), ("end", add_end)) if flag)
            extra = f" plus {added}" if added else ""
            raise ValueError(
                f"Vocab.encode: T={T} is too short; the longest sequence needs {longest} positions "
                f"(its tokens{extra}); pass T >= {longest}, or truncate=True to cut sequences to T"
            )
        idx = np.full((len(rows), T), self.pad_idx, dtype=np.int64)
        mask = np.zeros((len(rows), T), dtype=bool)
        for n, row in enumerate(rows):
            row = row[:T]
            idx[n, : len(row)] = row
            mask[n, : len(row)] = True
        return idx, mask

    def decode(self, indices, sep=None):
        """One sequence of indices (T,) -> its tokens, up to the first </s>.

        <pad> and <s> are skipped; </s> and everything after it are dropped.
        Returns a list of str, or the tokens joined by `sep` when sep is a str
        ("" for characters, " " for words).
        """
        indices = np.asarray(indices)
        if indices.ndim != 1:
            raise ValueError(
                f"Vocab.decode: takes one sequence of indices (T,), got shape {indices.shape}; "
                f"decode a batch row by row: [vocab.decode(row) for row in idx]"
            )
        tokens = []
        for i in map(int, indices.tolist()):
            if not 0 <= i < len(self.itos):
                raise ValueError(f"Vocab.decode: index {i} is outside the vocabulary (V={len(self)})")
            if i == self.end_idx:
                break
            if i not in (self.pad_idx, self.start_idx):
                tokens.append(self.itos[i])
        return tokens if sep is None else sep.join(tokens)
