"""The names loader, names through the character Vocab, language-model batches and splits."""

import importlib.util
import os

import numpy as np
import pytest

from rnn_helpers.data import names as data
from rnn_helpers.data.vocab import Vocab


def _census_column(filename):
    """First column of a census file, read independently of the loader."""
    folder = os.path.dirname(importlib.util.find_spec("names").origin)
    with open(os.path.join(folder, filename)) as f:
        return [line[:15].strip() for line in f if line.strip()]


def test_load_names_reads_every_census_first_name_lower_case():
    female = _census_column("dist.female.first")
    male = _census_column("dist.male.first")
    words = data.load_names("first")
    assert set(words) == {w.lower() for w in female + male}
    assert len(words) == len(set(words)), "duplicates were not removed"
    assert words[0] == female[0].lower() == "mary", "frequency order was not kept"
    assert all(w.isalpha() and w.islower() and w.isascii() for w in words)


def test_load_names_filters_by_length():
    words = data.load_names("male", min_len=3, max_len=5)
    expected = {w.lower() for w in _census_column("dist.male.first") if 3 <= len(w) <= 5}
    assert set(words) == expected


def test_load_names_drops_words_with_characters_outside_a_to_z(tmp_path, monkeypatch):
    (tmp_path / "fake_names").mkdir()
    (tmp_path / "fake_names" / "__init__.py").write_text("")
    (tmp_path / "fake_names" / "dist.female.first").write_text(
        "ANNA    1.0 1.0 1\nO'HARA  1.0 2.0 2\nJO-ANN  1.0 3.0 3\nELLA    1.0 4.0 4\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(data, "_PACKAGE", "fake_names")
    assert data.load_names("female") == ["anna", "ella"]


def test_missing_names_package_raises_an_error_naming_the_package(monkeypatch):
    monkeypatch.setattr(data, "_PACKAGE", "names_package_that_is_not_installed")
    with pytest.raises(ModuleNotFoundError, match="pip install names_package_that_is_not_installed"):
        data.load_names("female")


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown kind 'nicknames'"):
        data.load_names("nicknames")


def test_labelled_first_names_are_on_exactly_one_list():
    words, labels = data.load_labelled_first_names()
    female = {w.lower() for w in _census_column("dist.female.first")}
    male = {w.lower() for w in _census_column("dist.male.first")}
    assert labels.dtype == np.int64 and labels.shape == (len(words),)
    assert set(words) == female ^ male
    for w, y in zip(words, labels):
        assert (w in male) == bool(y) and (w in female) == (not y)


def test_census_names_encode_and_decode_back_with_start_end_and_padding():
    words = data.load_names("last", max_len=8)[:200]
    vocab = Vocab.from_texts(words, level="char")
    assert vocab.tokens == sorted(set("".join(words))), "a name holds a-z only"
    idx, mask = vocab.encode(words, T=12, add_start=True, add_end=True)
    assert idx.shape == mask.shape == (200, 12)
    assert [vocab.decode(row, sep="") for row in idx] == words
    np.testing.assert_array_equal(mask.sum(axis=1), [len(w) + 2 for w in words])
    assert np.all(idx[:, 0] == vocab.start_idx) and np.all(idx[~mask] == vocab.pad_idx)


def test_language_model_batch_predicts_the_next_token():
    vocab = Vocab.from_texts(["ab", "b"], level="char")
    idx, mask = vocab.encode(["ab", "b"], add_start=True, add_end=True)
    x, y, m = data.language_model_batch(idx, mask)
    # Written out by hand: <pad>=0 <s>=1 </s>=2 a=3 b=4.
    np.testing.assert_array_equal(x, [[1, 3, 4], [1, 4, 2]])
    np.testing.assert_array_equal(y, [[3, 4, 2], [4, 2, 0]])
    # "b" has two targets (b, </s>); its last position is padding.
    np.testing.assert_array_equal(m, [[1, 1, 1], [1, 1, 0]])


def test_train_val_split_is_a_seeded_partition():
    items = list(range(100))
    train, val = data.train_val_split(items, 0.2, seed=3)
    assert len(val) == 20 and sorted(train + val) == items
    assert (train, val) == data.train_val_split(items, 0.2, seed=3)
    assert val != data.train_val_split(items, 0.2, seed=4)[1]


def test_minibatches_cover_every_index_once():
    batches = list(data.minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
