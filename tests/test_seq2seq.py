"""Numbers -> words and digit-spelling data, the encoder-decoders of lecture 000 and assignment 04."""

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


# --- assignment 04: spelling out digit strings (DigitSpeller, nets.length_study) ---------------


def test_spell_digits_writes_one_word_per_digit():
    assert numbers.spell_digits("307") == ["three", "zero", "seven"]
    assert numbers.spell_digits("9") == ["nine"]
    for bad in ["", "3a", "-3", "３", 307]:  # the full-width digit passes str.isdigit()
        with pytest.raises(ValueError, match="digits 0-9"):
            numbers.spell_digits(bad)


def test_random_digit_strings_respect_lengths_and_seed():
    texts = numbers.random_digit_strings(500, 3, 7, np.random.default_rng(0))
    assert {len(t) for t in texts} == set(range(3, 8))
    assert all(t.isdigit() for t in texts)
    assert texts == numbers.random_digit_strings(500, 3, 7, np.random.default_rng(0))
    with pytest.raises(ValueError, match="min_len <= max_len"):
        numbers.random_digit_strings(2, 5, 4, np.random.default_rng(0))


def test_encode_spelling_aligns_source_position_t_with_decoder_step_t():
    b = numbers.encode_spelling(["307", "41"])
    assert b["src"].shape == b["y_out"].shape == b["y_in"].shape == (2, 4)
    assert b["src_mask"].sum(1).tolist() == b["y_mask"].sum(1).tolist() == [4, 3]  # digits + </s>
    for t in range(3):  # the word predicted at step t is the word of digit t
        digit = numbers.DIGITS.itos[b["src"][0, t]]
        assert numbers.DIGIT_WORDS.itos[b["y_out"][0, t]] == numbers.spell_digits(digit)[0]
    assert b["y_out"][1, 2] == numbers.DIGIT_WORDS.end_idx and b["src"][1, 2] == numbers.DIGITS.end_idx
    # Teacher forcing: step t reads the target of step t-1, after <s>.
    assert b["y_in"][0, 0] == numbers.DIGIT_WORDS.start_idx
    np.testing.assert_array_equal(
        b["y_in"][:, 1:][b["y_mask"][:, 1:]], b["y_out"][:, :-1][b["y_mask"][:, 1:]]
    )


def _spelling_batch(texts):
    from rnn_helpers.nets.length_study import as_tensors

    return as_tensors(numbers.encode_spelling(texts))


@pytest.mark.parametrize("attention", [False, True])
def test_digit_speller_shapes_and_attention_weights_sum_to_one_off_padding(attention):
    torch.manual_seed(0)
    model = seq2seq.DigitSpeller(H=12, attention=attention).eval()
    b = _spelling_batch(["307", "4", "98765"])
    with torch.no_grad():
        logits, w = model(b["src"], b["src_mask"], b["y_in"])
    assert logits.shape == (3, 6, len(numbers.DIGIT_WORDS))
    if not attention:
        assert w is None
        return
    assert w.shape == (3, 6, 6)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 6), rtol=0, atol=1e-6)
    assert torch.all(w[~b["src_mask"][:, None, :].expand_as(w)] == 0), "padding got weight"


@pytest.mark.parametrize("attention", [False, True])
def test_digit_speller_output_does_not_depend_on_the_padding_of_its_batch(attention):
    torch.manual_seed(0)
    model = seq2seq.DigitSpeller(H=12, attention=attention).eval()
    alone, padded = _spelling_batch(["307"]), _spelling_batch(["307", "1234567890"])
    with torch.no_grad():
        logits_alone, _ = model(alone["src"], alone["src_mask"], alone["y_in"])
        logits_padded, _ = model(padded["src"], padded["src_mask"], padded["y_in"])
    torch.testing.assert_close(logits_padded[0, :4], logits_alone[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("attention", [False, True])
def test_greedy_decoding_is_teacher_forcing_on_its_own_outputs(attention):
    torch.manual_seed(0)
    model = seq2seq.DigitSpeller(H=12, attention=attention).eval()
    b = _spelling_batch(["307", "41", "98765"])
    tokens, weights = model.greedy(b["src"], b["src_mask"], steps=6)
    # Feeding the greedy words back as if they were the truth must give the same argmax everywhere.
    y_in = torch.cat([b["y_in"][:, :1], torch.as_tensor(tokens[:, :-1])], dim=1)
    with torch.no_grad():
        logits, w = model(b["src"], b["src_mask"], y_in)
    np.testing.assert_array_equal(logits.argmax(-1).numpy(), tokens)
    if attention:
        np.testing.assert_allclose(weights, w.numpy(), rtol=0, atol=1e-6)


def _numpy_dot_product_attention(query, keys, values, mask):
    """An independent numpy attention (scaled dot product, masked softmax), float64."""
    scores = np.einsum("nk,ntk->nt", query, keys) / np.sqrt(query.shape[1])
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("nt,ntv->nv", weights, values), weights


def test_greedy_with_a_numpy_attention_matches_the_torch_attention():
    torch.manual_seed(0)
    model = seq2seq.DigitSpeller(H=12, attention=True).eval()
    b = _spelling_batch(["307", "41", "98765"])
    tokens, weights = model.greedy(b["src"], b["src_mask"], steps=6)
    tokens_np, weights_np = model.greedy(
        b["src"], b["src_mask"], steps=6, attention_fn=_numpy_dot_product_attention
    )
    np.testing.assert_array_equal(tokens_np, tokens)
    np.testing.assert_allclose(weights_np, weights, rtol=0, atol=1e-6)  # float32 model, float64 numpy


def test_training_batches_are_buckets_of_similar_lengths_within_range():
    from rnn_helpers.nets.length_study import training_batch

    rng = np.random.default_rng(0)
    spans = []
    for _ in range(200):
        real = training_batch(rng, 16, 3, 20)["src_mask"].sum(1).numpy() - 1  # digits, without </s>
        assert 3 <= real.min() and real.max() <= 20
        assert real.max() - real.min() <= 3
        spans.append((real.min(), real.max()))
    assert min(s[0] for s in spans) == 3 and max(s[1] for s in spans) == 20


class _Oracle:
    """A stand-in model whose greedy output is the right spelling, with one word wrong in `broken`."""

    def __init__(self, broken=()):
        self.broken = broken

    def greedy(self, src, src_mask, steps, attention_fn=None):
        words = [numbers.spell_digits("".join(numbers.DIGITS.decode(row))) for row in src.numpy()]
        tokens, _ = numbers.DIGIT_WORDS.encode(words, add_end=True)
        for length in self.broken:
            if tokens.shape[1] == length + 1:
                tokens[0, 0] = numbers.DIGIT_WORDS.stoi["zero" if tokens[0, 0] != 3 else "one"]
        return tokens[:, :steps], None


def test_exact_match_by_length_counts_whole_strings_right():
    from rnn_helpers.nets.length_study import exact_match_by_length

    np.testing.assert_array_equal(exact_match_by_length(_Oracle(), [2, 5], n_per_length=10), [1.0, 1.0])
    # One wrong word in one string of ten at length 5 costs exactly that string.
    np.testing.assert_allclose(
        exact_match_by_length(_Oracle(broken=(5,)), [2, 5], n_per_length=10), [1.0, 0.9]
    )


def test_attention_model_learns_to_spell_short_unseen_strings(one_thread):
    from rnn_helpers.nets.length_study import exact_match_by_length, train_speller

    torch.manual_seed(0)
    model = seq2seq.DigitSpeller(H=32, attention=True)
    losses = train_speller(model, steps=150, min_len=3, max_len=8, seed=0)
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])
    # Chance is 10**-6 per string of length 6: every word and the end must be right.
    assert exact_match_by_length(model, [6], n_per_length=100)[0] > 0.9


def test_attention_against_length_returns_one_row_per_seed():
    from rnn_helpers.nets.length_study import attention_against_length

    acc, models, seconds = attention_against_length([3, 6], seeds=[0, 1], steps=2, n_per_length=5, H=8)
    assert acc[False].shape == acc[True].shape == (2, 2)
    assert len(models[True]) == 2 and models[True][0].attention and not models[False][0].attention
    assert seconds > 0 and np.all((acc[True] >= 0) & (acc[True] <= 1))
