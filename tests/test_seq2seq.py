"""Numbers -> words data and the small encoder-decoder used by lecture 000."""

import numpy as np
import pytest
import torch

from rnn_helpers.data import numbers
from rnn_helpers.nets import seq2seq
from rnn_helpers.nets.translator import additive_attention_torch


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (110, "one hundred ten"),
        (342, "three hundred forty-two"),
        (999, "nine hundred ninety-nine"),
    ],
)
def test_number_to_words_writes_american_english(n, words):
    assert numbers.number_to_words(n) == words


@pytest.mark.parametrize("bad", [-1, 1000, 3.0, True])
def test_number_to_words_rejects_numbers_outside_0_to_999(bad):
    with pytest.raises(ValueError, match="integer in \\[0, 999\\]"):
        numbers.number_to_words(bad)


def test_number_to_words_is_one_to_one():
    texts = [numbers.number_to_words(n) for n in range(1000)]
    assert len(set(texts)) == 1000


def test_target_tokens_split_words_and_characters():
    assert numbers.target_tokens(342) == ["three", "hundred", "forty", "two"]
    assert "".join(numbers.target_tokens(342, "char")) == "three hundred forty-two"
    with pytest.raises(ValueError, match="level must be one of"):
        numbers.target_tokens(3, "syllable")


def test_encode_pairs_shifts_targets_for_teacher_forcing_and_masks_padding():
    b = seq2seq.encode_pairs([7, 342])
    table = numbers.TARGETS["word"]
    # Decoder input at step u is the target of step u-1, starting from <s>.
    assert b["y_in"][0, 0] == table.start_idx
    assert torch.equal(b["y_in"][:, 1:][b["y_mask"][:, 1:]], b["y_out"][:, :-1][b["y_mask"][:, 1:]])
    assert table.decode(b["y_out"][1].tolist()) == ["three", "hundred", "forty", "two"]
    assert b["y_mask"].sum(1).tolist() == [2, 5]  # words + </s>
    assert b["src_mask"].sum(1).tolist() == [3, 5]  # <s> digits </s>
    assert seq2seq.SRC_VOCAB.decode(b["src"][1], sep="") == "342"


def test_target_vocabulary_rejects_unknown_words_by_name():
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['eleventy'\]"):
        numbers.TARGETS["word"].encode([["eleventy"]])


def _by_hand(model, b):
    """Teacher-forced decoding written step by step, without Seq2Seq.forward (torch oracle)."""
    h, s = model.encode(b["src"], b["src_mask"])
    logits = []
    for u in range(b["y_in"].shape[1]):
        inp = model.embed_tgt(b["y_in"][:, u])
        if model.attention:
            ctx, _ = additive_attention_torch(s, h, model.Wa, model.Ua, model.va, b["src_mask"])
            s = model.decoder(torch.cat([inp, ctx], 1), s)
            logits.append(model.readout(torch.cat([s, ctx], 1)))
        else:
            s = model.decoder(inp, s)
            logits.append(model.readout(s))
    return torch.stack(logits, 1)


@pytest.mark.parametrize("attention", [False, True])
def test_teacher_forcing_matches_step_by_step_decoding(attention):
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(H=12, attention=attention).eval()
    b = seq2seq.encode_pairs([5, 70, 342, 919])
    with torch.no_grad():
        logits, w = model(b["src"], b["src_mask"], b["y_in"], tf_ratio=1.0)
        torch.testing.assert_close(logits, _by_hand(model, b), rtol=0, atol=1e-6)
    if attention:
        torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:2]), rtol=0, atol=1e-6)
        assert torch.all(w[~b["src_mask"][:, None, :].expand_as(w)] == 0), "padding got weight"


def test_encoder_state_does_not_depend_on_padding():
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(H=12).eval()
    alone, padded = seq2seq.encode_pairs([7]), seq2seq.encode_pairs([7, 342])
    with torch.no_grad():
        _, last_alone = model.encode(alone["src"], alone["src_mask"])
        _, last_padded = model.encode(padded["src"], padded["src_mask"])
    torch.testing.assert_close(last_padded[0], last_alone[0], rtol=0, atol=1e-6)


def test_free_running_feeds_back_the_argmax():
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(H=12).eval()
    b = seq2seq.encode_pairs([5, 342])
    with torch.no_grad():
        logits, _ = model(b["src"], b["src_mask"], b["y_in"], tf_ratio=0.0)
        # Feeding the argmax as if it were the truth must reproduce free running exactly.
        y_in = b["y_in"].clone()
        y_in[:, 1:] = logits.argmax(2)[:, :-1]
        forced, _ = model(b["src"], b["src_mask"], y_in, tf_ratio=1.0)
    torch.testing.assert_close(forced, logits, rtol=0, atol=0)


def test_masked_cross_entropy_ignores_padding_positions():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 5, generator=g)
    y = torch.tensor([[1, 2, 3, 0], [4, 0, 0, 0]])
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    by_hand = -torch.log_softmax(logits, -1)[[0, 0, 0, 1], [0, 1, 2, 0], [1, 2, 3, 4]].mean()
    torch.testing.assert_close(seq2seq.masked_cross_entropy(logits, y, mask), by_hand, rtol=0, atol=1e-6)


def test_position_errors_and_exact_match_agree_with_direct_counts():
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(H=12)
    values = [3, 15, 342, 800]
    b = seq2seq.encode_pairs(values)
    err, counts = seq2seq.position_errors(model, b, tf_ratio=1.0)
    with torch.no_grad():
        pred = model(b["src"], b["src_mask"], b["y_in"])[0].argmax(2)
    for u in range(b["y_out"].shape[1]):
        real = b["y_mask"][:, u]
        assert counts[u] == int(real.sum())
        assert abs(err[u] - float((pred[real, u] != b["y_out"][real, u]).float().mean())) < 1e-12
    words, _ = seq2seq.translate(model, values)
    assert seq2seq.exact_match(model, values) == np.mean(
        [w == numbers.target_tokens(n) for w, n in zip(words, values)]
    )


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread, and far faster on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_training_learns_to_translate_unseen_numbers(one_thread):
    from rnn_helpers.nets.training import fit

    torch.manual_seed(0)
    perm = np.random.default_rng(0).permutation(1000)
    train = [seq2seq.encode_pairs(perm[i : i + 100]) for i in range(0, 800, 100)]
    model = seq2seq.Seq2Seq(H=32, attention=True)
    fit(model, seq2seq.seq2seq_loss, train, epochs=12, lr=1e-2, clip=1.0, progress=False)
    # Chance is 0: a right answer needs every word right, for numbers never trained on.
    assert seq2seq.exact_match(model, perm[800:]) > 0.5
