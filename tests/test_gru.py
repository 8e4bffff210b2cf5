"""The GRU reference against torch.nn.GRU / GRUCell / torch.gru_cell and centred differences,
and assignment 03's GRU solution and the grader's course twins against them."""

import re

import notebook_cells as cells
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import autograd, centred_difference, max_abs, tensors
from strictness import strict

from rnn_helpers.grading import composition, guards
from rnn_helpers.reference.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward

# Forward and backward against torch float64; centred differences (eps 1e-6)
# carry about 1e-9 of rounding and 1e-12 of truncation error, hence 1e-7.
FWD_TOL, BWD_TOL, NUM_TOL = 1e-10, 1e-9, 1e-7
NAMES = ["x", "h0", "Wx", "Wh", "bx", "bh"]


def params(rng, N=3, T=5, D=4, H=6, scale=0.5):
    """Random sequence inputs and GRU weights: gates [r, z, n] stacked along the columns."""
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.standard_normal((N, H)),
        Wx=rng.standard_normal((D, 3 * H)) * scale,
        Wh=rng.standard_normal((H, 3 * H)) * scale,
        bx=rng.standard_normal(3 * H),
        bh=rng.standard_normal(3 * H),
    )


def step_args(p):
    """(x, h_prev, Wx, Wh, bx, bh) for one step, taken from params()."""
    return p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["bx"], p["bh"]


def copy_into(module, suffix, Wx, Wh, bx, bh):
    """Our row-vector weights into a torch GRU/GRUCell: transposed, both biases kept."""
    with torch.no_grad():
        for name, value in [("weight_ih", Wx.T), ("weight_hh", Wh.T), ("bias_ih", bx), ("bias_hh", bh)]:
            getattr(module, name + suffix).copy_(torch.tensor(value))


def torch_gru(Wx, Wh, bx, bh):
    D, H = Wx.shape[0], Wh.shape[0]
    gru = torch.nn.GRU(D, H, batch_first=True).double()
    copy_into(gru, "_l0", Wx, Wh, bx, bh)
    return gru


def rel(a, b):
    """Norm-wise relative error: scale-free, and not fooled by elements that are nearly 0."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def torch_sequence_grads(p, dh):
    """nn.GRU's output and the gradients of sum(out * dh), in gru_backward's order."""
    gru = torch_gru(p["Wx"], p["Wh"], p["bx"], p["bh"])
    tx, th0 = tensors(p["x"], p["h0"])
    out, _ = gru(tx, th0[None])
    dx, dh0, dWxT, dWhT, dbx, dbh = autograd(
        [(out, dh)], [tx, th0, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0]
    )
    return out.detach().numpy(), (dx, dh0, dWxT.T, dWhT.T, dbx, dbh)


# ---------------------------------------------------------------- forward against torch


def test_gru_step_forward_matches_torch_gru_cell_module_and_functional(rng):
    x, h_prev, Wx, Wh, bx, bh = step_args(params(rng))
    h_next, _ = gru_step_forward(x, h_prev, Wx, Wh, bx, bh)
    cell = torch.nn.GRUCell(4, 6).double()
    copy_into(cell, "", Wx, Wh, bx, bh)
    with torch.no_grad():
        module = cell(torch.tensor(x), torch.tensor(h_prev)).numpy()
        functional = torch.gru_cell(
            torch.tensor(x),
            torch.tensor(h_prev),
            torch.tensor(Wx.T),
            torch.tensor(Wh.T),
            torch.tensor(bx),
            torch.tensor(bh),
        ).numpy()
    assert max_abs(h_next, module) < FWD_TOL
    assert max_abs(h_next, functional) < FWD_TOL


def test_gru_forward_matches_torch_gru(rng):
    p = params(rng)
    h, _ = gru_forward(**p)
    with torch.no_grad():
        out, h_last = torch_gru(p["Wx"], p["Wh"], p["bx"], p["bh"])(
            torch.tensor(p["x"]), torch.tensor(p["h0"])[None]
        )
    assert h.shape == (3, 5, 6)
    assert max_abs(h, out.numpy()) < FWD_TOL
    assert max_abs(h[:, -1], h_last[0].numpy()) < FWD_TOL


def test_gru_reset_gate_scales_the_hidden_bias_too(rng):
    """Moving bh_n into bx_n changes the output: r multiplies (h @ Wh_n + bh_n), as in torch."""
    p = params(rng)
    H = 6
    h, _ = gru_forward(**p)
    q = dict(p, bx=p["bx"].copy(), bh=p["bh"].copy())
    q["bx"][2 * H :] += q["bh"][2 * H :]
    q["bh"][2 * H :] = 0.0
    moved, _ = gru_forward(**q)
    assert max_abs(h, moved) > 1e-3
    # Moving the r and z biases, which are simply added, changes nothing.
    q = dict(p, bx=p["bx"].copy(), bh=p["bh"].copy())
    q["bx"][: 2 * H] += q["bh"][: 2 * H]
    q["bh"][: 2 * H] = 0.0
    assert max_abs(h, gru_forward(**q)[0]) < FWD_TOL


# ---------------------------------------------------------------- backward


def test_gru_step_backward_matches_torch_autograd(rng):
    args = step_args(params(rng))
    h_next, cache = gru_step_forward(*args)
    dh = rng.standard_normal(h_next.shape)
    ours = gru_step_backward(dh, cache)
    t = tensors(*args)
    tx, th, tWx, tWh, tbx, tbh = t
    out = torch.gru_cell(tx, th, tWx.T, tWh.T, tbx, tbh)
    for mine, theirs in zip(ours, autograd([(out, dh)], t)):
        assert max_abs(mine, theirs) < BWD_TOL


def test_gru_backward_matches_torch_autograd(rng):
    p = params(rng)
    h, cache = gru_forward(**p)
    dh = rng.standard_normal(h.shape)
    _, expected = torch_sequence_grads(p, dh)
    for name, mine, theirs in zip(NAMES, gru_backward(dh, cache), expected):
        assert max_abs(mine, theirs) < BWD_TOL, name


def test_gru_step_backward_matches_centred_differences(rng):
    names = ["x", "h_prev", "Wx", "Wh", "bx", "bh"]
    args = dict(zip(names, (a.copy() for a in step_args(params(rng, N=2, D=3, H=3)))))
    h_next, cache = gru_step_forward(**args)
    dh = rng.standard_normal(h_next.shape)
    for name, analytic in zip(names, gru_step_backward(dh, cache)):
        numeric = centred_difference(lambda _: gru_step_forward(**args)[0], args[name], dh)
        assert rel(analytic, numeric) < NUM_TOL, name


def test_gru_backward_matches_centred_differences(rng):
    p = params(rng, N=2, T=4, D=3, H=3)
    h, cache = gru_forward(**p)
    dh = rng.standard_normal(h.shape)
    for name, analytic in zip(NAMES, gru_backward(dh, cache)):
        numeric = centred_difference(lambda _: gru_forward(**p)[0], p[name], dh)
        assert rel(analytic, numeric) < NUM_TOL, name


def test_gru_backward_carries_gradient_to_earlier_steps(rng):
    """Only the last state gets a gradient, yet the first input must receive one."""
    p = params(rng)
    h, cache = gru_forward(**p)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    dx = gru_backward(dh, cache)[0]
    assert np.all(np.abs(dx[:, 0]) > 0)


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 4),
    D=st.integers(1, 3),
    H=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_gru_forward_and_backward_agree_with_torch_for_any_shape(N, T, D, H, seed):
    rng = np.random.default_rng(seed)
    p = params(rng, N, T, D, H)
    h, cache = gru_forward(**p)
    dh = rng.standard_normal(h.shape)
    out, expected = torch_sequence_grads(p, dh)
    assert max_abs(h, out) < FWD_TOL
    for name, mine, theirs in zip(NAMES, gru_backward(dh, cache), expected):
        assert max_abs(mine, theirs) < BWD_TOL, name


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_gru_step_agrees_with_torch_gru_cell_for_any_shape(N, D, H, seed):
    args = step_args(params(np.random.default_rng(seed), N, 1, D, H))
    h_next, cache = gru_step_forward(*args)
    dh = np.full_like(h_next, 0.7)
    t = tensors(*args)
    tx, th, tWx, tWh, tbx, tbh = t
    out = torch.gru_cell(tx, th, tWx.T, tWh.T, tbx, tbh)
    assert max_abs(h_next, out.detach().numpy()) < FWD_TOL
    for mine, theirs in zip(gru_step_backward(dh, cache), autograd([(out, dh)], t)):
        assert max_abs(mine, theirs) < BWD_TOL


# ---------------------------------------------------------------- conventions


def test_gru_functions_never_modify_their_inputs(rng):
    p = params(rng)
    before = {k: v.copy() for k, v in p.items()}
    h, cache = gru_forward(**p)
    dh = rng.standard_normal(h.shape)
    dh_before = dh.copy()
    first = gru_backward(dh, cache)
    second = gru_backward(dh, cache)  # the cache must not be consumed either
    h1, cache1 = gru_step_forward(*step_args(p))
    dh1 = dh[:, 0].copy()
    gru_step_backward(dh1, cache1)
    for k in p:
        assert np.array_equal(p[k], before[k]), k
    assert np.array_equal(dh, dh_before)
    assert np.array_equal(dh1, dh_before[:, 0])
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_gru_keeps_float32_in_forward_and_backward(rng):
    p = {k: v.astype(np.float32) for k, v in params(rng).items()}
    h, cache = gru_forward(**p)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru_backward(np.ones_like(h), cache))
    h1, cache1 = gru_step_forward(*step_args(p))
    assert h1.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru_step_backward(np.ones_like(h1), cache1))
    # float32 is only rounding away from float64.
    h64, _ = gru_forward(**{k: v.astype(np.float64) for k, v in p.items()})
    assert max_abs(h, h64) < 1e-5


def test_gru_forward_is_silent_and_exact_for_saturated_gates(rng):
    """Pre-activations of +-1e4 must give gates of exactly 0 and 1, without overflow warnings."""
    p = params(rng)
    p["Wx"][:], p["Wh"][:] = 0.0, 0.0
    H = 6
    p["bx"] = np.repeat([1e4, -1e4, 1e4], H)  # r = 1, z = 0, n = 1
    p["bh"] = np.zeros(3 * H)
    with strict():
        h, cache = gru_forward(**p)
        gru_backward(np.ones_like(h), cache)
    # z = 0 keeps nothing of h_prev: h = n = 1 at every step.
    assert max_abs(h, np.ones_like(h)) < FWD_TOL


# ---------------------------------------------------------------- error messages


@pytest.mark.parametrize(
    "name, bad, message",
    [
        ("x", np.zeros((3, 4)), "gru_forward: x has shape (3, 4), expected 3 dimensions (N, T, D)"),
        (
            "x",
            np.zeros((3, 5, 4), dtype=np.int64),
            "gru_forward: x has dtype int64, expected float32 or float64",
        ),
        ("x", [[[0.0]]], "gru_forward: x must be a numpy array, got list"),
        ("h0", np.zeros((2, 6)), "gru_forward: h0 has shape (2, 6), expected (N, H) = (3, 6) (N=3 from x)"),
        ("h0", np.zeros((3, 6, 1)), "gru_forward: h0 has shape (3, 6, 1), expected 2 dimensions (N, H)"),
        (
            "Wx",
            np.zeros((3, 18)),
            "gru_forward: Wx has shape (3, 18), expected (D, 3H) = (4, 18) (D=4 from x)",
        ),
        (
            "Wx",
            np.zeros((4, 24)),
            "gru_forward: Wx has shape (4, 24), expected (D, 3H) = (4, 18) (3H=18 from Wh/bx/bh)",
        ),
        (
            "Wh",
            np.zeros((6, 6)),
            "gru_forward: Wh has shape (6, 6), expected (H, 3H) = (6, 18) (3H=18 from Wx/bx/bh)",
        ),
        (
            "Wh",
            np.zeros((5, 18)),
            "gru_forward: Wh has shape (5, 18), expected (H, 3H) = (6, 18) (H=6 from h0)",
        ),
        ("bx", np.zeros(6), "gru_forward: bx has shape (6,), expected (3H,) = (18,) (3H=18 from Wx/Wh/bh)"),
        ("bh", np.zeros(17), "gru_forward: bh has shape (17,), expected (3H,) = (18,) (3H=18 from Wx/Wh/bx)"),
        ("bh", np.zeros((18, 1)), "gru_forward: bh has shape (18, 1), expected 1 dimensions (3H,)"),
    ],
)
def test_gru_forward_names_the_bad_argument_and_both_shapes(rng, name, bad, message):
    p = params(rng)
    p[name] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        gru_forward(**p)


@pytest.mark.parametrize(
    "index, bad, message",
    [
        (0, np.zeros((3, 4, 1)), "gru_step_forward: x has shape (3, 4, 1), expected 2 dimensions (N, D)"),
        (
            1,
            np.zeros((2, 6)),
            "gru_step_forward: h_prev has shape (2, 6), expected (N, H) = (3, 6) (N=3 from x)",
        ),
        (
            2,
            np.zeros((3, 18)),
            "gru_step_forward: Wx has shape (3, 18), expected (D, 3H) = (4, 18) (D=4 from x)",
        ),
        (
            3,
            np.zeros((6, 12)),
            "gru_step_forward: Wh has shape (6, 12), expected (H, 3H) = (6, 18) (3H=18 from Wx/bx/bh)",
        ),
        (
            4,
            np.zeros(19),
            "gru_step_forward: bx has shape (19,), expected (3H,) = (18,) (3H=18 from Wx/Wh/bh)",
        ),
        (
            5,
            np.zeros(18, dtype=np.float16),
            "gru_step_forward: bh has dtype float16, expected float32 or float64",
        ),
    ],
)
def test_gru_step_forward_names_the_bad_argument_and_both_shapes(rng, index, bad, message):
    args = list(step_args(params(rng)))
    args[index] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        gru_step_forward(*args)


def test_gru_forward_explains_gate_stacking_when_weights_have_h_columns(rng):
    """Weights that agree with each other but hold H, not 3H, columns: a classic slip."""
    p = params(rng)
    p.update(Wx=np.zeros((4, 6)), Wh=np.zeros((6, 6)), bx=np.zeros(6), bh=np.zeros(6))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "gru_forward: Wh has shape (6, 6), expected (H, 3H) = (6, 18) (H=6 from h0/Wh): "
            "the 3 gates [r, z, n] are stacked along the last axis, so Wx, Wh, bx, bh need "
            "3 * H = 18 entries there, not 6"
        ),
    ):
        gru_forward(**p)


def test_gru_backward_errors_name_the_upstream_gradient(rng):
    p = params(rng)
    _, cache = gru_forward(**p)
    with pytest.raises(
        ValueError, match=re.escape("gru_backward: dh has shape (3, 4, 6), expected (N, T, H) = (3, 5, 6)")
    ):
        gru_backward(np.zeros((3, 4, 6)), cache)
    _, step_cache = gru_step_forward(*step_args(p))
    with pytest.raises(
        ValueError, match=re.escape("gru_step_backward: dh_next has shape (3, 5), expected (N, H) = (3, 6)")
    ):
        gru_step_backward(np.zeros((3, 5)), step_cache)
    with pytest.raises(
        ValueError, match=re.escape("gru_step_backward: dh_next has dtype int64, expected float32 or float64")
    ):
        gru_step_backward(np.zeros((3, 6), dtype=np.int64), step_cache)


# ------------------------------------------- assignment 03's solution and the grader's course twins
# The twins (grading/composition.py) lend the reference's values in the cache layout of the
# solution notebook, so that a student's backward reading that layout can be judged apart from
# the student's forward; both must agree with torch to float64 rounding.


def test_solution_gru_backward_matches_torch_autograd(rng):
    solution = cells.namespace("03_lstm_gru")
    p = params(rng, N=2, T=4, D=3, H=3)
    h, cache = solution["gru_forward"](**p)
    dh = rng.standard_normal(h.shape)
    out, expected = torch_sequence_grads(p, dh)
    assert max_abs(h, out) < FWD_TOL
    for name, mine, theirs in zip(NAMES, solution["gru_backward"](dh, cache), expected):
        assert max_abs(mine, theirs) < BWD_TOL, name


def test_gru_course_twins_keep_the_solution_cache_layout_and_its_gradients(rng):
    solution = cells.namespace("03_lstm_gru")
    p = params(rng, N=3, T=4, D=2, H=3)
    args = step_args(p)
    h_s, cache_s = solution["gru_step_forward"](*args)
    h_t, cache_t = composition.gru_step_forward(*args)
    assert len(cache_t) == len(cache_s) == 8
    for got, want in zip((h_t, *cache_t), (h_s, *cache_s)):
        assert max_abs(got, want) < 1e-12
    dh = rng.standard_normal(h_s.shape)
    for got, want in zip(
        composition.gru_step_backward(dh, cache_t), solution["gru_step_backward"](dh, cache_s)
    ):
        assert max_abs(got, want) < 1e-12

    h_s, caches_s = solution["gru_forward"](**p)
    h_t, caches_t = composition.gru_forward(**p)
    assert max_abs(h_t, h_s) < 1e-12
    assert len(caches_t) == len(caches_s) == 4
    for step_t, step_s in zip(caches_t, caches_s):
        assert len(step_t) == len(step_s)
        for got, want in zip(step_t, step_s):
            assert max_abs(got, want) < 1e-12
    dh = rng.standard_normal(h_s.shape)
    for name, got, want in zip(
        NAMES, composition.gru_backward(dh, caches_t), solution["gru_backward"](dh, caches_s)
    ):
        assert max_abs(got, want) < 1e-12, name


def test_gru_course_twins_count_as_reference_code_for_the_delegation_guard():
    for name in ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"):
        assert name in composition.COURSE_TWINS
        assert guards.kind_of(getattr(composition, name).__code__.co_filename) == "reference", name
