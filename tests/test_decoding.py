"""Greedy and beam-search decoding against brute-force enumeration of every sequence."""

import itertools

import numpy as np
import pytest

from rnn_helpers.reference.decoding import beam_search, greedy_decode

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
