"""The one vocabulary class, data.vocab.Vocab: special-token indices, encode, decode, errors.

Expected indices and arrays are written out by hand from the table in the
module docstring (<pad> 0, <s> 1, </s> 2, <unk> 3, then the tokens); exact
integer comparisons, no tolerance needed.
"""

import numpy as np
import pytest

from rnn_helpers.data import dates, digits, numbers
from rnn_helpers.data.vocab import Vocab
from rnn_helpers.nets import seq2seq

# (start, end, unk) -> the specials written out by hand; the only layouts allowed.
LAYOUTS = {
    (False, False, False): ["<pad>"],
    (True, False, False): ["<pad>", "<s>"],
    (True, True, False): ["<pad>", "<s>", "</s>"],
    (True, True, True): ["<pad>", "<s>", "</s>", "<unk>"],
}


@pytest.mark.parametrize("flags, specials", LAYOUTS.items())
def test_special_tokens_sit_at_fixed_indices_before_the_tokens(flags, specials):
    start, end, unk = flags
    vocab = Vocab(["x", "y"], start=start, end=end, unk=unk)
    assert vocab.itos == specials + ["x", "y"]
    assert vocab.specials == specials and vocab.tokens == ["x", "y"] and len(vocab) == len(specials) + 2
    expected = {"pad": (0, "<pad>"), "start": (1, "<s>"), "end": (2, "</s>"), "unk": (3, "<unk>")}
    for name, present in zip(("pad", "start", "end", "unk"), (True, *flags)):
        idx, token = expected[name] if present else (None, None)
        assert (getattr(vocab, f"{name}_idx"), getattr(vocab, f"{name}_token")) == (idx, token), name
        if present:
            assert vocab.stoi[token] == idx
    assert vocab.stoi["x"] == len(specials)


@pytest.mark.parametrize(
    "flags, message",
    [
        (dict(start=False), "end=True needs start=True"),
        (dict(end=False, unk=True), "unk=True needs end=True"),
        (dict(start=False, end=False, unk=True), "unk=True needs end=True"),
    ],
)
def test_a_special_without_the_ones_before_it_is_refused(flags, message):
    with pytest.raises(ValueError, match=message):
        Vocab(["x"], **flags)


def test_constructor_refuses_repeated_special_and_non_string_tokens():
    with pytest.raises(ValueError, match=r"distinct, these repeat: \['l'\]"):
        Vocab("hello")
    with pytest.raises(ValueError, match=r"\['</s>'\] are special tokens"):
        Vocab(["a", "</s>"])
    with pytest.raises(ValueError, match="tokens must be str"):
        Vocab(["a", 3])


def test_from_texts_sorts_characters_and_orders_words_by_frequency():
    chars = Vocab.from_texts(["cab", "bb"], level="char")
    assert chars.tokens == ["a", "b", "c"]
    assert Vocab.from_texts(["cab", "bb"], level="char", min_count=2).tokens == ["b"]
    texts = [["b", "a", "b"], ["c", "a", "b"], ["d"]]  # counted by hand: b 3, a 2, c 1, d 1
    assert Vocab.from_texts(texts, level="word").tokens == ["b", "a", "c", "d"]  # tie c/d alphabetical
    assert Vocab.from_texts(texts, level="word", max_size=2).tokens == ["b", "a"]
    assert Vocab.from_texts(texts, level="word", min_count=2).tokens == ["b", "a"]
    assert Vocab.from_texts(texts[::-1], level="word").tokens == ["b", "a", "c", "d"], "order-free"


def test_from_texts_refuses_sentences_as_strings_at_word_level_and_unknown_levels():
    with pytest.raises(ValueError, match="corpora.tokenize"):
        Vocab.from_texts(["a fine film"], level="word")
    with pytest.raises(ValueError, match="level must be one of"):
        Vocab.from_texts(["abc"], level="syllable")
    with pytest.raises(ValueError, match=r"wrap a single text: \[text\]"):
        Vocab.from_texts("abc")


def test_encode_pads_with_pad_and_masks_exactly_the_real_positions():
    vocab = Vocab(["a", "b", "c"], start=False, end=False)  # <pad>=0 a=1 b=2 c=3
    idx, mask = vocab.encode(["abc", "c", ""])
    np.testing.assert_array_equal(idx, [[1, 2, 3], [3, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert idx.dtype == np.int64 and mask.dtype == bool


def test_encode_adds_start_and_end_only_when_asked():
    vocab = Vocab(["a", "b"])  # <pad>=0 <s>=1 </s>=2 a=3 b=4
    assert vocab.encode(["ab"])[0].tolist() == [[3, 4]]
    assert vocab.encode(["ab"], add_start=True)[0].tolist() == [[1, 3, 4]]
    assert vocab.encode(["ab"], add_end=True)[0].tolist() == [[3, 4, 2]]
    idx, mask = vocab.encode(["ab", "b"], add_start=True, add_end=True, T=5)
    assert idx.tolist() == [[1, 3, 4, 2, 0], [1, 4, 2, 0, 0]]
    assert mask.sum(axis=1).tolist() == [4, 3]


def test_encode_refuses_a_special_the_vocabulary_lacks():
    with pytest.raises(ValueError, match="no start token; build it with start=True"):
        Vocab(["a"], start=False, end=False).encode(["a"], add_start=True)
    with pytest.raises(ValueError, match="no end token; build it with end=True"):
        Vocab(["a"], end=False).encode(["a"], add_end=True)


def test_encode_then_decode_gives_the_sequences_back(rng):
    letters = list("abcdefgh")
    texts = ["".join(rng.choice(letters, size=rng.integers(0, 9))) for _ in range(50)]
    chars = Vocab.from_texts(texts, level="char")
    idx, mask = chars.encode(texts, add_start=True, add_end=True)
    assert [chars.decode(row, sep="") for row in idx] == texts
    assert mask.sum(axis=1).tolist() == [len(t) + 2 for t in texts]
    words_used = ["the", "film", "was", "fine", "dull"]
    sentences = [[str(w) for w in rng.choice(words_used, size=rng.integers(1, 6))] for _ in range(30)]
    words = Vocab.from_texts(sentences, level="word", unk=True)
    idx, _ = words.encode(sentences, add_end=True)
    assert [words.decode(row) for row in idx] == sentences


def test_decode_stops_at_end_and_skips_pad_and_start():
    vocab = Vocab(["a", "b", "c"])  # <pad>=0 <s>=1 </s>=2 a=3 b=4 c=5
    assert vocab.decode([1, 3, 0, 4, 2, 5]) == ["a", "b"]
    assert vocab.decode(np.array([3, 5]), sep="") == "ac"
    assert vocab.decode([2, 3]) == [] and vocab.decode([]) == []


def test_decode_refuses_a_batch_and_indices_outside_the_vocabulary():
    vocab = Vocab(["a"])
    with pytest.raises(ValueError, match=r"for row in idx"):
        vocab.decode(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"index 4 is outside the vocabulary \(V=4\)"):
        vocab.decode([3, 4])


def test_unknown_tokens_map_to_unk_when_the_vocabulary_has_it():
    vocab = Vocab(["film", "fine"], unk=True)  # <unk>=3 film=4 fine=5
    idx, mask = vocab.encode([["fine", "dull", "film"], ["zzz"]])
    assert idx.tolist() == [[5, 3, 4], [3, 0, 0]]
    assert mask.sum(axis=1).tolist() == [3, 1]
    assert vocab.decode(idx[0]) == ["fine", "<unk>", "film"]


def test_unknown_tokens_without_unk_raise_naming_them_and_the_fix():
    vocab = Vocab.from_texts(["3 May 1998"], level="char")
    with pytest.raises(ValueError) as err:
        vocab.encode(["3 May #1998", "4 Jun 1998"])
    message = str(err.value)
    for part in ("['#', '4', 'J', 'n', 'u']", "'3 May #1998'", "unk=True"):
        assert part in message, (part, message)


def test_a_too_short_T_raises_unless_truncation_is_asked_for():
    vocab = Vocab(["a", "b", "c"])
    with pytest.raises(ValueError, match=r"T=3 is too short; the longest sequence needs 5 .*start and end"):
        vocab.encode(["abc"], T=3, add_start=True, add_end=True)
    idx, mask = vocab.encode(["abc", "a"], T=3, add_start=True, add_end=True, truncate=True)
    assert idx.tolist() == [[1, 3, 4], [1, 3, 2]]
    assert mask.all()


def test_encode_refuses_one_string_in_place_of_a_list():
    with pytest.raises(ValueError, match=r"wrap it in a list: vocab.encode\(\[text\]\)"):
        Vocab(["a"]).encode("a")


def test_repr_shows_the_size_the_specials_and_the_first_tokens():
    text = repr(Vocab.from_texts(["abcdefghijklmnop"], level="char"))
    assert text.startswith("Vocab(V=19, specials=['<pad>', '<s>', '</s>'], tokens=['a', 'b'")
    assert "6 more" in text


def test_every_vocabulary_of_the_course_keeps_the_fixed_indices():
    table = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}
    course = [
        numbers.TARGETS["word"],
        numbers.TARGETS["char"],
        digits.CAPTION_VOCAB,
        dates.IN_VOCAB,
        dates.OUT_VOCAB,
        seq2seq.SRC_VOCAB,
    ]
    for vocab in course:
        for token in vocab.specials:
            assert vocab.stoi[token] == table[token], (vocab, token)
        assert vocab.pad_idx == 0
