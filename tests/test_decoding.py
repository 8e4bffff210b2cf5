"""The attention decoder step against torch autograd's forward (float64, copied weights);
greedy and beam-search decoding against brute-force enumeration of every sequence."""

import itertools

import numpy as np
import pytest
import torch

from rnn_helpers.reference.decoding import attention_decoder_step, beam_search, greedy_decode

V, END, START = 4, 0, 4  # tokens 0..3, token 0 ends a sequence; START = 4 is only ever an input
TOL = 1e-12  # the same float64 log-probabilities summed on both sides


def table_step_fn(table):
    """step_fn reading log-probabilities from table[t, token] (T, V + 1, V); the state is the step t.

    Because the table depends on t, a decoder that passes the wrong state to
    step_fn gets the wrong numbers.
    """

    def step_fn(state, token):
        t = 0 if state is None else state
        return table[t, token], t + 1

    return step_fn


def random_table(seed, max_len, end_bias=0.0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((max_len, V + 1, V)) * 1.5
    logits[..., END] += end_bias
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))  # log-softmax


def brute_force_best(table, max_len):
    """Every finished sequence (ends with END, or max_len tokens without an earlier END), scored directly."""
    best = None
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=length):
            if END in seq[:-1] or (length < max_len and seq[-1] != END):
                continue
            score, prev = 0.0, START
            for t, tok in enumerate(seq):
                score += table[t, prev, tok]
                prev = tok
            key = (-score, list(seq))
            if best is None or key < best:
                best = key
    return best[1], -best[0]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("max_len", [1, 2, 3, 5])
def test_beam_search_with_a_wide_beam_finds_the_most_probable_sequence(seed, max_len):
    table = random_table(seed, max_len, end_bias=0.5)
    tokens, log_prob = beam_search(table_step_fn(table), START, END, V ** (max_len - 1), max_len)
    best, best_lp = brute_force_best(table, max_len)
    assert tokens == best
    assert abs(log_prob - best_lp) < TOL


def test_beam_search_finds_a_sequence_that_greedy_misses():
    # From START, token 1 looks best (0.6 against 0.4), but after 1 every
    # continuation is poor (END: 0.35), while 2 is followed by END with probability 0.9.
    table = np.full((2, V + 1, V), np.log(0.25))
    table[0, START] = np.log([0.0001, 0.6, 0.3998, 0.0001])
    table[1, 1] = np.log([0.35, 0.25, 0.2, 0.2])
    table[1, 2] = np.log([0.9, 0.05, 0.03, 0.02])
    step_fn = table_step_fn(table)
    assert greedy_decode(step_fn, START, END, 2) == [1, 0]
    tokens, log_prob = beam_search(step_fn, START, END, 2, 2)
    assert tokens == [2, 0]
    assert abs(log_prob - np.log(0.3998 * 0.9)) < TOL


@pytest.mark.parametrize("seed", range(12))
def test_beam_search_of_width_one_equals_greedy_decode(seed):
    max_len = 5
    table = random_table(seed, max_len, end_bias=-0.5)
    step_fn = table_step_fn(table)
    greedy = greedy_decode(step_fn, START, END, max_len)
    tokens, log_prob = beam_search(step_fn, START, END, 1, max_len)
    assert tokens == greedy
    # the greedy path, followed by hand through the table
    prev, expected_lp = START, 0.0
    for t, tok in enumerate(greedy):
        assert tok == int(np.argmax(table[t, prev]))
        expected_lp += table[t, prev, tok]
        prev = tok
    assert abs(log_prob - expected_lp) < TOL


def test_decoders_include_end_and_exclude_start():
    table = np.log(np.full((3, V + 1, V), 0.1))
    table[:, START] = np.log([0.1, 0.7, 0.1, 0.1])
    table[:, 1] = np.log([0.7, 0.1, 0.1, 0.1])
    step_fn = table_step_fn(table)
    assert greedy_decode(step_fn, START, END, 3) == [1, END]
    tokens, log_prob = beam_search(step_fn, START, END, 3, 3)
    assert tokens == [1, END]
    assert abs(log_prob - 2 * np.log(0.7)) < TOL


def test_a_tie_between_finished_sequences_goes_to_the_smaller_token_list():
    # [2, END] and [1, 3, END] have exactly the same log-probability
    # (a + a == 2a in floating point, and both end with the same c); the
    # lexicographically smaller [1, 3, END] must win, although it is longer
    # and finishes later.
    a = np.log(0.5)
    start_row = np.log([0.1, 0.5, 0.25, 0.15])
    start_row[1], start_row[2] = a, 2 * a
    to_end = np.log([0.97, 0.01, 0.01, 0.01])
    row_1 = np.log([0.2, 0.15, 0.15, 0.5])
    row_1[3] = a
    table = np.array([to_end, row_1, to_end, to_end, start_row])  # rows: tokens 0..3 (0 unused), START

    def step_fn(state, token):
        return table[token], None

    best, best_lp = brute_force_best(np.broadcast_to(table, (3, V + 1, V)), 3)
    assert best == [1, 3, END]  # the independent enumeration breaks the tie the same way
    tokens, log_prob = beam_search(step_fn, START, END, 16, 3)
    assert tokens == [1, 3, END]
    assert log_prob == best_lp == (2 * a) + to_end[END]


def test_a_tie_at_the_beam_edge_keeps_the_smaller_tokens():
    # Tokens 1, 2, 3 tie from START; a beam of 2 keeps [1] and [2], so the
    # better continuation after 3 is never seen. A wide beam finds it.
    third = np.log(0.3)
    table = np.full((2, V + 1, V), np.log(0.25))
    table[0, START] = [np.log(0.1), third, third, third]
    table[1, 1] = table[1, 2] = np.log([0.5, 1 / 6, 1 / 6, 1 / 6])
    table[1, 3] = np.log([0.97, 0.01, 0.01, 0.01])
    step_fn = table_step_fn(table)
    assert beam_search(step_fn, START, END, 2, 2)[0] == [1, END]
    assert beam_search(step_fn, START, END, 16, 2)[0] == [3, END]
    assert greedy_decode(step_fn, START, END, 2) == [1, END]
    assert beam_search(step_fn, START, END, 1, 2)[0] == [1, END]


@pytest.mark.parametrize("max_len", [1, 3, 5])
def test_decoders_stop_at_max_len_and_call_step_fn_with_the_states_they_got(max_len):
    # END is very unlikely, so every sequence runs to max_len.
    table = random_table(3, max_len, end_bias=-30.0)
    calls = []

    def step_fn(state, token):
        calls.append(state)
        return table_step_fn(table)(state, token)

    greedy = greedy_decode(step_fn, START, END, max_len)
    assert len(greedy) == max_len and END not in greedy
    assert calls == [None] + list(range(1, max_len))  # starts at None, then each returned state

    calls.clear()
    tokens, _ = beam_search(step_fn, START, END, 3, max_len)
    assert len(tokens) == max_len and END not in tokens
    # one call at step 0 with None, then at most 3 calls (one per kept hypothesis) with state t at step t
    assert calls[0] is None and calls[1:] == sorted(calls[1:])
    assert set(calls[1:]) == set(range(1, max_len))
    assert all(calls.count(t) <= 3 for t in range(1, max_len))


def constant_step_fn(state, token):
    return np.log(np.full(V, 0.25)), state


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(beam_width=0), "beam_width"),
        (dict(beam_width=-2), "beam_width"),
        (dict(beam_width=1.5), "beam_width"),
        (dict(beam_width=True), "beam_width"),
        (dict(max_len=0), "max_len"),
        (dict(max_len=2.0), "max_len"),
        (dict(start="a"), "start"),
        (dict(end=V), "end"),
        (dict(step_fn="not a function"), "step_fn"),
        (dict(step_fn=lambda s, t: np.zeros(V)), "pair"),
        (dict(step_fn=lambda s, t: (np.zeros((2, V)), s)), r"shape \(2, 4\)"),
        (dict(step_fn=lambda s, t: (np.array([0.0, np.nan, 0.0, 0.0]), s)), "NaN"),
    ],
)
def test_decoders_reject_bad_arguments(kwargs, message):
    args = dict(step_fn=constant_step_fn, start=START, end=END, beam_width=2, max_len=3) | kwargs
    with pytest.raises(ValueError, match=message):
        beam_search(**args)
    if "beam_width" not in kwargs:
        args.pop("beam_width")
        with pytest.raises(ValueError, match=message):
            greedy_decode(**args)


# ------------------------------------------------------------------ attention_decoder_step


def decoder_params(rng, V, E, H, S, A, scale=1.0):
    """Random weights of attention_decoder_step, float64."""
    shapes = dict(
        W_embed=(V, E),
        Wa=(S, A),
        Ua=(H, A),
        va=(A,),
        Wx=(E + H, S),
        Ws=(S, S),
        b=(S,),
        W_out=(S + H, V),
        b_out=(V,),
    )
    return {k: scale * rng.standard_normal(shape) / np.sqrt(shape[0]) for k, shape in shapes.items()}


def torch_decoder_step(y_prev, s_prev, h, params, mask):
    """The same step written with torch operations, in float64: the independent truth."""
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    s_prev, h = torch.tensor(s_prev, dtype=torch.float64), torch.tensor(h, dtype=torch.float64)
    scores = torch.tanh((s_prev @ p["Wa"])[:, None, :] + h @ p["Ua"]) @ p["va"]  # (N, T)
    if mask is not None:
        keep = torch.tensor(mask)
        empty = ~keep.any(dim=1, keepdim=True)
        scores = scores.masked_fill(~keep, -torch.inf).masked_fill(empty, 0.0)
        weights = torch.softmax(scores, dim=1).masked_fill(empty, 0.0)
    else:
        weights = torch.softmax(scores, dim=1)
    context = torch.einsum("nt,nth->nh", weights, h)
    x = torch.cat([torch.nn.functional.embedding(torch.tensor(y_prev), p["W_embed"]), context], dim=1)
    s_next = torch.tanh(x @ p["Wx"] + s_prev @ p["Ws"] + p["b"])
    logits = torch.cat([s_next, context], dim=1) @ p["W_out"] + p["b_out"]
    return [t.numpy() for t in (torch.log_softmax(logits, dim=1), s_next, weights)]


@pytest.mark.parametrize(
    "N, T, V, E, H, S, A", [(1, 1, 1, 1, 1, 1, 1), (3, 5, 7, 4, 6, 5, 3), (2, 4, 3, 2, 3, 4, 5)]
)
@pytest.mark.parametrize("with_mask", [False, True])
def test_attention_decoder_step_matches_torch(N, T, V, E, H, S, A, with_mask):
    rng = np.random.default_rng(N * 100 + T)
    params = decoder_params(rng, V, E, H, S, A)
    y_prev, s_prev, h = (
        rng.integers(0, V, size=N),
        rng.standard_normal((N, S)),
        rng.standard_normal((N, T, H)),
    )
    mask = None
    if with_mask:
        mask = rng.random((N, T)) < 0.6
        mask[0] = False  # a row with nothing to attend to: context 0, weights 0
    got = attention_decoder_step(y_prev, s_prev, h, params, mask)
    want = torch_decoder_step(y_prev, s_prev, h, params, mask)
    for name, g, w in zip(("log_probs", "s_next", "weights"), got, want):
        assert g.dtype == np.float64 and g.shape == w.shape, name
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-12, err_msg=name)


def test_attention_decoder_step_is_stable_for_huge_scores_and_keeps_float32():
    rng = np.random.default_rng(7)
    params = decoder_params(rng, 6, 3, 4, 5, 2, scale=1.0)
    params["W_out"] = params["W_out"] * 1e4  # scores of size 1e3-1e4: a naive exp overflows
    y_prev, s_prev, h = np.array([0, 5]), rng.standard_normal((2, 5)), rng.standard_normal((2, 3, 4))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        log_probs, _, _ = attention_decoder_step(y_prev, s_prev, h, params)
    want = torch_decoder_step(y_prev, s_prev, h, params, None)[0]
    np.testing.assert_allclose(log_probs, want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.log(np.exp(log_probs).sum(axis=1)), 0.0, atol=1e-12)
    p32 = {k: v.astype(np.float32) for k, v in decoder_params(rng, 6, 3, 4, 5, 2).items()}
    out = attention_decoder_step(y_prev, s_prev.astype(np.float32), h.astype(np.float32), p32)
    assert [o.dtype for o in out] == [np.float32] * 3


def test_attention_decoder_step_leaves_its_inputs_alone():
    rng = np.random.default_rng(3)
    params = decoder_params(rng, 4, 2, 3, 3, 2)
    y_prev, s_prev, h = np.array([1, 3]), rng.standard_normal((2, 3)), rng.standard_normal((2, 5, 3))
    mask = np.array([[True, True, False, False, False], [True] * 5])
    saved = [a.copy() for a in (y_prev, s_prev, h, mask, *params.values())]
    attention_decoder_step(y_prev, s_prev, h, params, mask)
    for a, b in zip(saved, (y_prev, s_prev, h, mask, *params.values())):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(y_prev=np.array([0.0, 1.0])), "y_prev must hold integers"),
        (dict(y_prev=np.array([0, 4])), r"outside \[0, V\)"),
        (dict(s_prev=np.zeros((2, 4))), "s_prev has shape"),
        (dict(Wx=np.zeros((4, 3))), "Wx has shape"),
        (dict(W_out=np.zeros((5, 4))), "W_out has shape"),
        (dict(mask=np.ones((2, 4), dtype=bool)), "mask has shape"),
        (dict(drop="va"), "missing"),
    ],
)
def test_attention_decoder_step_rejects_bad_arguments(change, message):
    rng = np.random.default_rng(0)
    params = decoder_params(rng, 4, 2, 3, 3, 2)
    args = dict(y_prev=np.array([0, 3]), s_prev=np.zeros((2, 3)), h=np.zeros((2, 5, 3)), mask=None)
    for k, v in change.items():
        if k == "drop":
            params.pop(v)
        elif k in params:
            params[k] = v
        else:
            args[k] = v
    with pytest.raises(ValueError, match=message):
        attention_decoder_step(args["y_prev"], args["s_prev"], args["h"], params, args["mask"])


def test_beam_search_over_the_attention_decoder_finds_a_sequence_at_least_as_probable_as_greedy():
    rng = np.random.default_rng(11)
    V, END, START_TOKEN, max_len = 5, 0, 4, 4
    params = decoder_params(rng, V, 3, 4, 4, 3, scale=2.0)
    h = rng.standard_normal((1, 6, 4))

    def step_fn(state, token):
        s = np.zeros((1, 4)) if state is None else state
        log_probs, s_next, _ = attention_decoder_step(np.array([token]), s, h, params)
        return log_probs[0], s_next

    greedy = greedy_decode(step_fn, START_TOKEN, END, max_len)
    tokens, log_prob = beam_search(step_fn, START_TOKEN, END, 3, max_len)
    prev, state, greedy_lp = START_TOKEN, None, 0.0
    for tok in greedy:
        log_probs, state = step_fn(state, prev)
        greedy_lp, prev = greedy_lp + log_probs[tok], tok
    assert log_prob >= greedy_lp - 1e-12
    assert beam_search(step_fn, START_TOKEN, END, 1, max_len)[0] == greedy
