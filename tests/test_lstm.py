"""The LSTM reference against torch.nn.LSTM / LSTMCell / torch.lstm_cell and centred differences."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import autograd, centred_difference, max_abs, tensors
from strictness import strict

from rnn_helpers.reference.lstm import (
    lstm_backward,
    lstm_backward_with_cell,
    lstm_forward,
    lstm_param_count,
    lstm_step_backward,
    lstm_step_forward,
    stacked_lstm_backward,
    stacked_lstm_forward,
)

# Forward and backward against torch float64; centred differences (eps 1e-6)
# carry about 1e-9 of rounding and 1e-12 of truncation error, hence 1e-7.
FWD_TOL, BWD_TOL, NUM_TOL = 1e-10, 1e-9, 1e-7


def params(rng, N=3, T=5, D=4, H=6, scale=0.5):
    """Random sequence inputs and LSTM weights: gates [i, f, g, o] stacked along the columns."""
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.standard_normal((N, H)),
        Wx=rng.standard_normal((D, 4 * H)) * scale,
        Wh=rng.standard_normal((H, 4 * H)) * scale,
        b=rng.standard_normal(4 * H),
        c0=rng.standard_normal((N, H)),
    )


def step_args(p):
    """(x, h_prev, c_prev, Wx, Wh, b) for one step, taken from params()."""
    return p["x"][:, 0], p["h0"], p["c0"], p["Wx"], p["Wh"], p["b"]


def copy_into(module, suffix, Wx, Wh, b):
    """Our row-vector weights into a torch LSTM/LSTMCell: transposed, one bias, bias_hh = 0."""
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(torch.tensor(Wx.T))
        getattr(module, "weight_hh" + suffix).copy_(torch.tensor(Wh.T))
        getattr(module, "bias_ih" + suffix).copy_(torch.tensor(b))
        getattr(module, "bias_hh" + suffix).zero_()


def torch_lstm(layers):
    """nn.LSTM with the weights of each layer in layers, a list of (Wx, Wh, b)."""
    D, H = layers[0][0].shape[0], layers[0][1].shape[0]
    lstm = torch.nn.LSTM(D, H, num_layers=len(layers), batch_first=True).double()
    for l, (Wx, Wh, b) in enumerate(layers):
        copy_into(lstm, f"_l{l}", Wx, Wh, b)
    return lstm


def rel(a, b):
    """Norm-wise relative error: scale-free, and not fooled by elements that are nearly 0."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


# ---------------------------------------------------------------- forward against torch


def test_lstm_step_forward_matches_torch_lstm_cell_module_and_functional(rng):
    x, h_prev, c_prev, Wx, Wh, b = step_args(params(rng))
    h_next, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    cell = torch.nn.LSTMCell(4, 6).double()
    copy_into(cell, "", Wx, Wh, b)
    with torch.no_grad():
        h_mod, c_mod = cell(torch.tensor(x), (torch.tensor(h_prev), torch.tensor(c_prev)))
        h_fun, c_fun = torch.lstm_cell(
            torch.tensor(x),
            [torch.tensor(h_prev), torch.tensor(c_prev)],
            torch.tensor(Wx.T),
            torch.tensor(Wh.T),
            torch.tensor(b),
            torch.zeros(24, dtype=torch.float64),
        )
    for expected_h, expected_c in [(h_mod, c_mod), (h_fun, c_fun)]:
        assert max_abs(h_next, expected_h.numpy()) < FWD_TOL
        assert max_abs(c_next, expected_c.numpy()) < FWD_TOL


@pytest.mark.parametrize("with_c0", [True, False])
def test_lstm_forward_matches_torch_lstm(rng, with_c0):
    """Without c0 the reference must start from a zero cell state, as torch does."""
    p = params(rng)
    c0 = p["c0"] if with_c0 else np.zeros_like(p["c0"])
    if not with_c0:
        del p["c0"]
    h, _ = lstm_forward(**p)
    with torch.no_grad():
        out, (h_last, c_last) = torch_lstm([(p["Wx"], p["Wh"], p["b"])])(
            torch.tensor(p["x"]), (torch.tensor(p["h0"])[None], torch.tensor(c0)[None])
        )
    assert h.shape == (3, 5, 6)
    assert max_abs(h, out.numpy()) < FWD_TOL
    assert max_abs(h[:, -1], h_last[0].numpy()) < FWD_TOL


def test_lstm_forward_without_c0_equals_explicit_zero_cell_state(rng):
    p = params(rng)
    p["c0"] = np.zeros_like(p["c0"])
    explicit, _ = lstm_forward(**p)
    del p["c0"]
    default, _ = lstm_forward(**p)
    assert max_abs(default, explicit) == 0.0


@pytest.mark.parametrize("layers", [2, 3])
@pytest.mark.parametrize("with_c0", [True, False])
def test_stacked_lstm_forward_matches_torch_multilayer_lstm(rng, layers, with_c0):
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((layers, N, H)), rng.standard_normal((layers, N, H))
    ps = [
        (
            rng.standard_normal((D if l == 0 else H, 4 * H)) * 0.5,
            rng.standard_normal((H, 4 * H)) * 0.5,
            rng.standard_normal(4 * H),
        )
        for l in range(layers)
    ]
    h, _ = stacked_lstm_forward(x, h0, ps, c0 if with_c0 else None)
    with torch.no_grad():
        out, _ = torch_lstm(ps)(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0 if with_c0 else 0 * c0)))
    assert max_abs(h, out.numpy()) < FWD_TOL


# ---------------------------------------------------------------- backward against torch


def test_lstm_step_backward_matches_torch_autograd(rng):
    args = step_args(params(rng))
    h_next, c_next, cache = lstm_step_forward(*args)
    dh, dc = rng.standard_normal(h_next.shape), rng.standard_normal(c_next.shape)
    dx, dh_prev, dc_prev, dWx, dWh, db = lstm_step_backward(dh, dc, cache)
    t = tensors(*args)
    tx, th, tc, tWx, tWh, tb = t
    th_next, tc_next = torch.lstm_cell(tx, [th, tc], tWx.T, tWh.T, tb, torch.zeros(24, dtype=torch.float64))
    expected = autograd([(th_next, dh), (tc_next, dc)], t)
    for mine, theirs in zip((dx, dh_prev, dc_prev, dWx, dWh, db), expected):
        assert max_abs(mine, theirs) < BWD_TOL


def test_lstm_backward_matches_torch_autograd_including_c0(rng):
    p = params(rng)
    h, cache = lstm_forward(**p)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, dWh, db, dc0 = lstm_backward_with_cell(dh, cache)
    lstm = torch_lstm([(p["Wx"], p["Wh"], p["b"])])
    tx, th0, tc0 = tensors(p["x"], p["h0"], p["c0"])
    out, _ = lstm(tx, (th0[None], tc0[None]))
    expected = autograd([(out, dh)], [tx, th0, tc0, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0])
    t_dx, t_dh0, t_dc0, t_dWxT, t_dWhT, t_db = expected
    for mine, theirs in [
        (dx, t_dx),
        (dh0, t_dh0),
        (dc0, t_dc0),
        (dWx, t_dWxT.T),
        (dWh, t_dWhT.T),
        (db, t_db),
    ]:
        assert max_abs(mine, theirs) < BWD_TOL
    # lstm_backward is the same computation without dc0.
    for mine, same in zip(lstm_backward(dh, cache), (dx, dh0, dWx, dWh, db)):
        assert max_abs(mine, same) == 0.0


@pytest.mark.parametrize("layers", [2, 3])
def test_stacked_lstm_backward_matches_torch_autograd(rng, layers):
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((layers, N, H)), rng.standard_normal((layers, N, H))
    ps = [
        (
            rng.standard_normal((D if l == 0 else H, 4 * H)) * 0.5,
            rng.standard_normal((H, 4 * H)) * 0.5,
            rng.standard_normal(4 * H),
        )
        for l in range(layers)
    ]
    h, cache = stacked_lstm_forward(x, h0, ps, c0)
    dh = rng.standard_normal(h.shape)
    dx, dh0, grads = stacked_lstm_backward(dh, cache)
    lstm = torch_lstm(ps)
    tx, th0, tc0 = tensors(x, h0, c0)
    out, _ = lstm(tx, (th0, tc0))
    weights = [
        getattr(lstm, f"{w}_l{l}") for l in range(layers) for w in ("weight_ih", "weight_hh", "bias_ih")
    ]
    t_grads = autograd([(out, dh)], [tx, th0] + weights)
    assert dh0.shape == (layers, N, H)
    assert max_abs(dx, t_grads[0]) < BWD_TOL
    assert max_abs(dh0, t_grads[1]) < BWD_TOL
    for l, (dWx, dWh, db) in enumerate(grads):
        tWx, tWh, tb = t_grads[2 + 3 * l : 5 + 3 * l]
        assert max_abs(dWx, tWx.T) < BWD_TOL
        assert max_abs(dWh, tWh.T) < BWD_TOL
        assert max_abs(db, tb) < BWD_TOL


# ---------------------------------------------------------------- backward against centred differences


def test_lstm_step_backward_matches_centred_differences(rng):
    p = params(rng, N=2, D=3, H=3)
    names = ["x", "h_prev", "c_prev", "Wx", "Wh", "b"]
    args = dict(zip(names, (a.copy() for a in step_args(p))))
    h_next, c_next, cache = lstm_step_forward(**args)
    dh, dc = rng.standard_normal(h_next.shape), rng.standard_normal(c_next.shape)
    grads = dict(zip(names, lstm_step_backward(dh, dc, cache)))

    def both(_):
        # One loss over both outputs: sum(h_next * dh) + sum(c_next * dc); reads args[name] in place.
        h, c, _ = lstm_step_forward(**args)
        return np.concatenate([h, c], axis=1)

    for name in names:
        numeric = centred_difference(both, args[name], np.concatenate([dh, dc], axis=1))
        assert rel(grads[name], numeric) < NUM_TOL, name


def test_lstm_backward_matches_centred_differences_including_c0(rng):
    p = params(rng, N=2, T=4, D=3, H=3)
    h, cache = lstm_forward(**p)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(["x", "h0", "Wx", "Wh", "b", "c0"], lstm_backward_with_cell(dh, cache)))
    for name, analytic in grads.items():
        numeric = centred_difference(lambda _: lstm_forward(**p)[0], p[name], dh)
        assert rel(analytic, numeric) < NUM_TOL, name


def test_stacked_lstm_backward_matches_centred_differences(rng):
    N, T, D, H, L = 2, 3, 3, 2, 2
    x, h0, c0 = (
        rng.standard_normal((N, T, D)),
        rng.standard_normal((L, N, H)),
        rng.standard_normal((L, N, H)),
    )
    ps = [
        (
            rng.standard_normal((D if l == 0 else H, 4 * H)),
            rng.standard_normal((H, 4 * H)),
            rng.standard_normal(4 * H),
        )
        for l in range(L)
    ]
    h, cache = stacked_lstm_forward(x, h0, ps, c0)
    dh = rng.standard_normal(h.shape)
    dx, dh0, grads = stacked_lstm_backward(dh, cache)

    def f(_):
        # Every array is perturbed in place, so the closure reads the current value.
        return stacked_lstm_forward(x, h0, ps, c0)[0]

    assert rel(dx, centred_difference(f, x, dh)) < NUM_TOL
    assert rel(dh0, centred_difference(f, h0, dh)) < NUM_TOL
    for l in range(L):
        for analytic, param in zip(grads[l], ps[l]):
            assert rel(analytic, centred_difference(f, param, dh)) < NUM_TOL, l


def test_lstm_backward_carries_gradient_through_the_cell_state(rng):
    """With the output gate shut for early steps, only c carries the gradient back to x[:, 0]."""
    p = params(rng)
    H = 6
    p["b"][3 * H :] = -1e3  # o = 0 exactly: h is 0 and gives no path through Wh
    h, cache = lstm_forward(**p)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    dx = lstm_backward(dh, cache)[0]
    assert max_abs(h, np.zeros_like(h)) == 0.0
    assert np.all(dx == 0.0)  # o = 0 at the last step too, so nothing flows at all
    p["b"][3 * H :] = 0.0
    p["Wh"][:] = 0.0  # no recurrent weights: only c connects the steps
    h, cache = lstm_forward(**p)
    dx = lstm_backward(dh, cache)[0]
    assert np.all(np.abs(dx[:, 0]) > 0)


# ---------------------------------------------------------------- any shape


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 4),
    D=st.integers(1, 3),
    H=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_lstm_forward_and_backward_agree_with_torch_for_any_shape(N, T, D, H, seed):
    rng = np.random.default_rng(seed)
    p = params(rng, N, T, D, H)
    h, cache = lstm_forward(**p)
    dh = rng.standard_normal(h.shape)
    ours = lstm_backward_with_cell(dh, cache)
    lstm = torch_lstm([(p["Wx"], p["Wh"], p["b"])])
    tx, th0, tc0 = tensors(p["x"], p["h0"], p["c0"])
    out, _ = lstm(tx, (th0[None], tc0[None]))
    assert max_abs(h, out.detach().numpy()) < FWD_TOL
    t_dx, t_dh0, t_dWxT, t_dWhT, t_db, t_dc0 = autograd(
        [(out, dh)], [tx, th0, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, tc0]
    )
    for mine, theirs in zip(ours, (t_dx, t_dh0, t_dWxT.T, t_dWhT.T, t_db, t_dc0)):
        assert max_abs(mine, theirs) < BWD_TOL


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_lstm_step_agrees_with_torch_lstm_cell_for_any_shape(N, D, H, seed):
    args = step_args(params(np.random.default_rng(seed), N, 1, D, H))
    h_next, c_next, cache = lstm_step_forward(*args)
    dh, dc = np.ones_like(h_next), np.full_like(c_next, -0.5)
    ours = lstm_step_backward(dh, dc, cache)
    t = tensors(*args)
    tx, th, tc, tWx, tWh, tb = t
    th_next, tc_next = torch.lstm_cell(
        tx, [th, tc], tWx.T, tWh.T, tb, torch.zeros(4 * H, dtype=torch.float64)
    )
    assert max_abs(h_next, th_next.detach().numpy()) < FWD_TOL
    assert max_abs(c_next, tc_next.detach().numpy()) < FWD_TOL
    for mine, theirs in zip(ours, autograd([(th_next, dh), (tc_next, dc)], t)):
        assert max_abs(mine, theirs) < BWD_TOL


# ---------------------------------------------------------------- conventions


def test_lstm_functions_never_modify_their_inputs(rng):
    p = params(rng)
    before = {k: v.copy() for k, v in p.items()}
    h, cache = lstm_forward(**p)
    dh = rng.standard_normal(h.shape)
    dh_before = dh.copy()
    first = lstm_backward_with_cell(dh, cache)
    second = lstm_backward_with_cell(dh, cache)  # the cache must not be consumed either
    h1, c1, cache1 = lstm_step_forward(*step_args(p))
    dh1, dc1 = dh[:, 0].copy(), dh[:, 1].copy()
    lstm_step_backward(dh1, dc1, cache1)
    ps = [(p["Wx"], p["Wh"], p["b"]), (p["Wh"][:, :], p["Wh"], p["b"])]
    hs, scache = stacked_lstm_forward(p["x"], np.stack([p["h0"]] * 2), ps, np.stack([p["c0"]] * 2))
    stacked_lstm_backward(dh, scache)
    for k in p:
        assert np.array_equal(p[k], before[k]), k
    assert np.array_equal(dh, dh_before)
    assert np.array_equal(dh1, dh_before[:, 0]) and np.array_equal(dc1, dh_before[:, 1])
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_lstm_keeps_float32_in_forward_and_backward(rng):
    p = {k: v.astype(np.float32) for k, v in params(rng).items()}
    h, cache = lstm_forward(**p)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm_backward_with_cell(np.ones_like(h), cache))
    h1, c1, cache1 = lstm_step_forward(*step_args(p))
    assert h1.dtype == np.float32 and c1.dtype == np.float32
    grads = lstm_step_backward(np.ones_like(h1), np.ones_like(c1), cache1)
    assert all(g.dtype == np.float32 for g in grads)
    hs, scache = stacked_lstm_forward(p["x"], p["h0"][None], [(p["Wx"], p["Wh"], p["b"])], p["c0"][None])
    assert hs.dtype == np.float32
    dx, dh0, grads = stacked_lstm_backward(np.ones_like(hs), scache)
    assert dx.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads[0])
    # float32 is only rounding away from float64.
    h64, _ = lstm_forward(**{k: v.astype(np.float64) for k, v in p.items()})
    assert max_abs(h, h64) < 1e-5


def test_lstm_forward_is_silent_and_exact_for_saturated_gates(rng):
    """Pre-activations of +-1e4 must give gates of exactly 0 and 1, without overflow warnings."""
    p = params(rng)
    p["Wx"][:], p["Wh"][:] = 0.0, 0.0
    H = 6
    p["b"] = np.repeat([1e4, -1e4, 1e4, 1e4], H)  # i = 1, f = 0, g = 1, o = 1
    with strict():
        h, cache = lstm_forward(**p)
        lstm_backward(np.ones_like(h), cache)
    # c = 0 * c_prev + 1 * 1 = 1 at every step, so h = tanh(1).
    assert max_abs(h, np.full_like(h, np.tanh(1.0))) < FWD_TOL


def test_lstm_param_count_is_torch_count_minus_the_second_bias():
    for D, H in [(1, 1), (3, 5), (10, 20), (64, 128)]:
        lstm = torch.nn.LSTM(D, H)
        torch_count = sum(w.numel() for w in lstm.parameters())
        assert lstm_param_count(D, H) == torch_count - 4 * H
        assert lstm_param_count(np.int64(D), np.int64(H)) == torch_count - 4 * H


@pytest.mark.parametrize(
    "input_size, hidden_size, bad",
    [
        (0, 3, "input_size"),
        (-2, 3, "input_size"),
        (2.5, 3, "input_size"),
        (True, 3, "input_size"),
        (3, 0, "hidden_size"),
        (3, "4", "hidden_size"),
        (3, None, "hidden_size"),
    ],
)
def test_lstm_param_count_rejects_non_positive_integers(input_size, hidden_size, bad):
    with pytest.raises(ValueError, match=f"lstm_param_count: {bad} must be a positive integer"):
        lstm_param_count(input_size, hidden_size)


# ---------------------------------------------------------------- error messages


@pytest.mark.parametrize(
    "name, bad, message",
    [
        ("x", np.zeros((3, 4)), "lstm_forward: x has shape (3, 4), expected 3 dimensions (N, T, D)"),
        (
            "x",
            np.zeros((3, 5, 4), dtype=np.int64),
            "lstm_forward: x has dtype int64, expected float32 or float64",
        ),
        ("x", [[[0.0]]], "lstm_forward: x must be a numpy array, got list"),
        (
            "h0",
            np.zeros((2, 6)),
            "lstm_forward: h0 has shape (2, 6), expected (N, H) = (3, 6) (N=3 from x/c0)",
        ),
        (
            "c0",
            np.zeros((3, 5)),
            "lstm_forward: c0 has shape (3, 5), expected (N, H) = (3, 6) (H=6 from h0/Wh)",
        ),
        (
            "Wx",
            np.zeros((3, 24)),
            "lstm_forward: Wx has shape (3, 24), expected (D, 4H) = (4, 24) (D=4 from x)",
        ),
        (
            "Wx",
            np.zeros((4, 18)),
            "lstm_forward: Wx has shape (4, 18), expected (D, 4H) = (4, 24) (4H=24 from Wh/b)",
        ),
        (
            "Wh",
            np.zeros((6, 6)),
            "lstm_forward: Wh has shape (6, 6), expected (H, 4H) = (6, 24) (4H=24 from Wx/b)",
        ),
        (
            "Wh",
            np.zeros((5, 24)),
            "lstm_forward: Wh has shape (5, 24), expected (H, 4H) = (6, 24) (H=6 from h0/c0)",
        ),
        ("b", np.zeros(6), "lstm_forward: b has shape (6,), expected (4H,) = (24,) (4H=24 from Wx/Wh)"),
        ("b", np.zeros((24, 1)), "lstm_forward: b has shape (24, 1), expected 1 dimensions (4H,)"),
    ],
)
def test_lstm_forward_names_the_bad_argument_and_both_shapes(rng, name, bad, message):
    p = params(rng)
    p[name] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        lstm_forward(**p)


def test_lstm_forward_explains_gate_stacking_when_weights_have_h_columns(rng):
    """Weights that agree with each other but hold H, not 4H, columns: a classic slip."""
    p = params(rng)
    p["Wx"], p["Wh"], p["b"] = np.zeros((4, 6)), np.zeros((6, 6)), np.zeros(6)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "lstm_forward: Wh has shape (6, 6), expected (H, 4H) = (6, 24) (H=6 from h0/c0/Wh): "
            "the 4 gates [i, f, g, o] are stacked along the last axis, so Wx, Wh, b need "
            "4 * H = 24 entries there, not 6"
        ),
    ):
        lstm_forward(**p)


@pytest.mark.parametrize(
    "index, name, bad, message",
    [
        (
            0,
            "x",
            np.zeros((3, 4, 1)),
            "lstm_step_forward: x has shape (3, 4, 1), expected 2 dimensions (N, D)",
        ),
        (
            1,
            "h_prev",
            np.zeros((2, 6)),
            "lstm_step_forward: h_prev has shape (2, 6), expected (N, H) = (3, 6) (N=3 from x/c_prev)",
        ),
        (
            2,
            "c_prev",
            np.zeros((3, 7)),
            "lstm_step_forward: c_prev has shape (3, 7), expected (N, H) = (3, 6) (H=6 from h_prev/Wh)",
        ),
        (
            3,
            "Wx",
            np.zeros((4, 25)),
            "lstm_step_forward: Wx has shape (4, 25), expected (D, 4H) = (4, 24) (4H=24 from Wh/b)",
        ),
        (
            4,
            "Wh",
            np.zeros((6, 12)),
            "lstm_step_forward: Wh has shape (6, 12), expected (H, 4H) = (6, 24) (4H=24 from Wx/b)",
        ),
        (
            5,
            "b",
            np.zeros(23),
            "lstm_step_forward: b has shape (23,), expected (4H,) = (24,) (4H=24 from Wx/Wh)",
        ),
        (
            5,
            "b",
            np.zeros(24, dtype=np.int32),
            "lstm_step_forward: b has dtype int32, expected float32 or float64",
        ),
    ],
)
def test_lstm_step_forward_names_the_bad_argument_and_both_shapes(rng, index, name, bad, message):
    args = list(step_args(params(rng)))
    args[index] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        lstm_step_forward(*args)


def test_lstm_backward_errors_name_the_upstream_gradient(rng):
    p = params(rng)
    _, cache = lstm_forward(**p)
    message = "lstm_backward: dh has shape (3, 4, 6), expected (N, T, H) = (3, 5, 6)"
    with pytest.raises(ValueError, match=re.escape(message)):
        lstm_backward(np.zeros((3, 4, 6)), cache)
    with pytest.raises(ValueError, match=re.escape(message)):
        lstm_backward_with_cell(np.zeros((3, 4, 6)), cache)
    _, _, step_cache = lstm_step_forward(*step_args(p))
    with pytest.raises(
        ValueError, match=re.escape("lstm_step_backward: dh_next has shape (3, 5), expected (N, H) = (3, 6)")
    ):
        lstm_step_backward(np.zeros((3, 5)), np.zeros((3, 6)), step_cache)
    with pytest.raises(
        ValueError,
        match=re.escape("lstm_step_backward: dc_next has shape (6,), expected 2 dimensions (N, H)"),
    ):
        lstm_step_backward(np.zeros((3, 6)), np.zeros(6), step_cache)


def test_stacked_lstm_names_the_layer_and_rejects_mismatched_layer_counts(rng):
    x = rng.standard_normal((2, 3, 4))
    layer0 = (np.zeros((4, 20)), np.zeros((5, 20)), np.zeros(20))
    with pytest.raises(ValueError, match="params has 1 layers, h0 has 2"):
        stacked_lstm_forward(x, np.zeros((2, 2, 5)), [layer0])
    with pytest.raises(ValueError, match="params has 2 layers, h0 has 2 and c0 has 1"):
        stacked_lstm_forward(x, np.zeros((2, 2, 5)), [layer0, layer0], np.zeros((1, 2, 5)))
    # Layer 1 reads H = 5 features, not D = 4: its Wx must be (5, 20).
    with pytest.raises(
        ValueError,
        match=re.escape(
            "stacked_lstm_forward: layer 1: lstm_forward: Wx has shape (4, 20), expected (D, 4H) = (5, 20) (D=5 from x)"  # noqa: E501
        ),
    ):
        stacked_lstm_forward(x, np.zeros((2, 2, 5)), [layer0, layer0])
