"""The vanilla RNN reference against torch.nn.RNN / RNNCell / rnn_tanh_cell and centred differences."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import autograd, centred_difference, max_abs, tensors

from rnn_helpers.reference.rnn import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    stacked_rnn_backward,
    stacked_rnn_forward,
)

FWD_TOL, BWD_TOL, NUM_TOL = 1e-10, 1e-9, 1e-7


def params(rng, N=3, T=5, D=4, H=6, scale=0.5):
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.standard_normal((N, H)),
        Wx=rng.standard_normal((D, H)) * scale,
        Wh=rng.standard_normal((H, H)) * scale,
        b=rng.standard_normal(H),
    )


def torch_rnn(Wx, Wh, b, **kw):
    """nn.RNN holding our weights: torch stores W as (H, D) and keeps two biases."""
    D, H = Wx.shape
    rnn = torch.nn.RNN(D, H, batch_first=True, **kw).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(Wx.T))
        rnn.weight_hh_l0.copy_(torch.tensor(Wh.T))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
    return rnn


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def test_rnn_step_forward_matches_torch_rnn_cell_and_functional(rng):
    p = params(rng)
    x = p["x"][:, 0]
    h, _ = rnn_step_forward(x, p["h0"], p["Wx"], p["Wh"], p["b"])
    cell = torch.nn.RNNCell(4, 6).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(p["Wx"].T))
        cell.weight_hh.copy_(torch.tensor(p["Wh"].T))
        cell.bias_ih.copy_(torch.tensor(p["b"]))
        cell.bias_hh.zero_()
        expected = cell(torch.tensor(x), torch.tensor(p["h0"])).numpy()
        functional = torch.rnn_tanh_cell(
            torch.tensor(x),
            torch.tensor(p["h0"]),
            torch.tensor(p["Wx"].T),
            torch.tensor(p["Wh"].T),
            torch.tensor(p["b"]),
            torch.zeros(6, dtype=torch.float64),
        ).numpy()
    assert max_abs(h, expected) < FWD_TOL
    assert max_abs(h, functional) < FWD_TOL


def test_rnn_step_backward_matches_torch_autograd(rng):
    p = params(rng)
    x, h0, Wx, Wh, b = p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["b"]
    h, cache = rnn_step_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    ours = rnn_step_backward(dh, cache)
    tx, th, tWx, tWh, tb = tensors(x, h0, Wx, Wh, b)
    out = torch.tanh(tx @ tWx + th @ tWh + tb)
    for mine, theirs in zip(ours, autograd([(out, dh)], [tx, th, tWx, tWh, tb])):
        assert max_abs(mine, theirs) < BWD_TOL


def test_rnn_forward_matches_torch_rnn(rng):
    p = params(rng)
    h, _ = rnn_forward(**p)
    with torch.no_grad():
        expected, h_last = torch_rnn(p["Wx"], p["Wh"], p["b"])(
            torch.tensor(p["x"]), torch.tensor(p["h0"])[None]
        )
    assert max_abs(h, expected.numpy()) < FWD_TOL
    assert max_abs(h[:, -1], h_last[0].numpy()) < FWD_TOL


def test_rnn_backward_matches_torch_autograd(rng):
    p = params(rng)
    h, cache = rnn_forward(**p)
    dh = rng.standard_normal(h.shape)
    ours = rnn_backward(dh, cache)
    rnn = torch_rnn(p["Wx"], p["Wh"], p["b"])
    tx, th0 = tensors(p["x"], p["h0"])
    out, _ = rnn(tx, th0[None])
    inputs = [tx, th0, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0]
    dx, dh0, dWxT, dWhT, db = autograd([(out, dh)], inputs)
    for mine, theirs in zip(ours, (dx, dh0, dWxT.T, dWhT.T, db)):
        assert max_abs(mine, theirs) < BWD_TOL


def test_rnn_backward_matches_centred_differences(rng):
    p = params(rng, N=2, T=4, D=3, H=3)
    h, cache = rnn_forward(**p)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(["x", "h0", "Wx", "Wh", "b"], rnn_backward(dh, cache)))
    for name, analytic in grads.items():
        # p[name] is perturbed in place, so the closure sees each step.
        numeric = centred_difference(lambda _: rnn_forward(**p)[0], p[name], dh)
        assert rel(analytic, numeric) < NUM_TOL, name


def test_rnn_backward_carries_gradient_to_earlier_steps(rng):
    """Only the last state gets a gradient, yet the first input must receive one."""
    p = params(rng)
    h, cache = rnn_forward(**p)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    dx = rnn_backward(dh, cache)[0]
    assert np.all(np.abs(dx[:, 0]) > 0)


def test_bidirectional_rnn_forward_matches_torch_bidirectional_rnn(rng):
    p, q = params(rng), params(rng)
    rnn = torch_rnn(p["Wx"], p["Wh"], p["b"], bidirectional=True)
    with torch.no_grad():
        rnn.weight_ih_l0_reverse.copy_(torch.tensor(q["Wx"].T))
        rnn.weight_hh_l0_reverse.copy_(torch.tensor(q["Wh"].T))
        rnn.bias_ih_l0_reverse.copy_(torch.tensor(q["b"]))
        rnn.bias_hh_l0_reverse.zero_()
        expected, _ = rnn(torch.tensor(p["x"]), torch.tensor(np.stack([p["h0"], q["h0"]])))
    h, _ = bidirectional_rnn_forward(
        p["x"], p["h0"], q["h0"], p["Wx"], p["Wh"], p["b"], q["Wx"], q["Wh"], q["b"]
    )
    assert h.shape == (3, 5, 12)
    assert max_abs(h, expected.numpy()) < FWD_TOL


def test_bidirectional_rnn_backward_matches_torch_autograd(rng):
    p, q = params(rng), params(rng)
    args = (p["x"], p["h0"], q["h0"], p["Wx"], p["Wh"], p["b"], q["Wx"], q["Wh"], q["b"])
    h, cache = bidirectional_rnn_forward(*args)
    dh = rng.standard_normal(h.shape)
    ours = bidirectional_rnn_backward(dh, cache)
    t = tensors(*args)
    tx, th0f, th0b, tWxf, tWhf, tbf, tWxb, tWhb, tbb = t

    def run(x, h0, Wx, Wh, b):
        hs, h_prev = [], h0
        for s in range(x.shape[1]):
            h_prev = torch.tanh(x[:, s] @ Wx + h_prev @ Wh + b)
            hs.append(h_prev)
        return torch.stack(hs, 1)

    out = torch.cat([run(tx, th0f, tWxf, tWhf, tbf), run(tx.flip(1), th0b, tWxb, tWhb, tbb).flip(1)], dim=2)
    for mine, theirs in zip(ours, autograd([(out, dh)], t)):
        assert max_abs(mine, theirs) < BWD_TOL


@pytest.mark.parametrize("layers", [2, 3])
def test_stacked_rnn_matches_torch_multilayer_rnn_forward_and_backward(rng, layers):
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((layers, N, H))
    ps = [
        (
            rng.standard_normal((D if l == 0 else H, H)) * 0.5,
            rng.standard_normal((H, H)) * 0.5,
            rng.standard_normal(H),
        )
        for l in range(layers)
    ]
    h, cache = stacked_rnn_forward(x, h0, ps)
    rnn = torch.nn.RNN(D, H, num_layers=layers, batch_first=True).double()
    with torch.no_grad():
        for l, (Wx, Wh, b) in enumerate(ps):
            getattr(rnn, f"weight_ih_l{l}").copy_(torch.tensor(Wx.T))
            getattr(rnn, f"weight_hh_l{l}").copy_(torch.tensor(Wh.T))
            getattr(rnn, f"bias_ih_l{l}").copy_(torch.tensor(b))
            getattr(rnn, f"bias_hh_l{l}").zero_()
    tx, th0 = tensors(x, h0)
    out, _ = rnn(tx, th0)
    assert max_abs(h, out.detach().numpy()) < FWD_TOL
    dh = rng.standard_normal(h.shape)
    dx, dh0, grads = stacked_rnn_backward(dh, cache)
    weights = [
        getattr(rnn, f"{w}_l{l}") for l in range(layers) for w in ("weight_ih", "weight_hh", "bias_ih")
    ]
    t_grads = autograd([(out, dh)], [tx, th0] + weights)
    assert max_abs(dx, t_grads[0]) < BWD_TOL
    assert max_abs(dh0, t_grads[1]) < BWD_TOL
    for l, (dWx, dWh, db) in enumerate(grads):
        tWx, tWh, tb = t_grads[2 + 3 * l : 5 + 3 * l]
        assert max_abs(dWx, tWx.T) < BWD_TOL
        assert max_abs(dWh, tWh.T) < BWD_TOL
        assert max_abs(db, tb) < BWD_TOL


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 4),
    D=st.integers(1, 3),
    H=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_rnn_forward_and_backward_agree_with_torch_for_any_shape(N, T, D, H, seed):
    rng = np.random.default_rng(seed)
    p = params(rng, N, T, D, H)
    h, cache = rnn_forward(**p)
    dh = rng.standard_normal(h.shape)
    ours = rnn_backward(dh, cache)
    tx, th0, tWx, tWh, tb = tensors(p["x"], p["h0"], p["Wx"], p["Wh"], p["b"])
    hs, h_prev = [], th0
    for s in range(T):
        h_prev = torch.tanh(tx[:, s] @ tWx + h_prev @ tWh + tb)
        hs.append(h_prev)
    out = torch.stack(hs, 1)
    assert max_abs(h, out.detach().numpy()) < FWD_TOL
    for mine, theirs in zip(ours, autograd([(out, dh)], [tx, th0, tWx, tWh, tb])):
        assert max_abs(mine, theirs) < BWD_TOL


def test_rnn_functions_never_modify_their_inputs(rng):
    p = params(rng)
    before = {k: v.copy() for k, v in p.items()}
    h, cache = rnn_forward(**p)
    dh = rng.standard_normal(h.shape)
    dh_before = dh.copy()
    rnn_backward(dh, cache)
    rnn_step_backward(dh[:, 0], rnn_step_forward(p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["b"])[1])
    for k in p:
        assert np.array_equal(p[k], before[k]), k
    assert np.array_equal(dh, dh_before)


def test_rnn_keeps_float32_in_forward_and_backward(rng):
    p = {k: v.astype(np.float32) for k, v in params(rng).items()}
    h, cache = rnn_forward(**p)
    assert h.dtype == np.float32
    grads = rnn_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)
    h1, cache1 = rnn_step_forward(p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["b"])
    assert h1.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_step_backward(np.ones_like(h1), cache1))


@pytest.mark.parametrize(
    "name, bad, message",
    [
        ("Wh", np.zeros((6, 5)), r"rnn_forward: Wh has shape \(6, 5\), expected \(H, H\) = \(6, 6\)"),
        ("Wx", np.zeros((3, 6)), r"rnn_forward: Wx has shape \(3, 6\), expected \(D, H\) = \(4, 6\)"),
        ("h0", np.zeros((2, 6)), r"rnn_forward: h0 has shape \(2, 6\), expected \(N, H\) = \(3, 6\)"),
        ("b", np.zeros((6, 1)), r"rnn_forward: b has shape \(6, 1\), expected 1 dimensions \(H,\)"),
        ("x", np.zeros((3, 4)), r"rnn_forward: x has shape \(3, 4\), expected 3 dimensions \(N, T, D\)"),
        (
            "x",
            np.zeros((3, 5, 4), dtype=np.int64),
            r"rnn_forward: x has dtype int64, expected float32 or float64",
        ),
        ("x", [[[0.0]]], r"rnn_forward: x must be a numpy array, got list"),
    ],
)
def test_rnn_forward_names_the_bad_argument_and_both_shapes(rng, name, bad, message):
    p = params(rng)
    p[name] = bad
    with pytest.raises(ValueError, match=message):
        rnn_forward(**p)


def test_rnn_step_forward_error_names_where_sizes_came_from(rng):
    p = params(rng)
    with pytest.raises(ValueError, match=r"h_prev has shape \(3, 5\), expected \(N, H\) = \(3, 6\)"):
        rnn_step_forward(p["x"][:, 0], np.zeros((3, 5)), p["Wx"], p["Wh"], p["b"])
    h, cache = rnn_step_forward(p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["b"])
    with pytest.raises(ValueError, match=r"rnn_step_backward: dh_next has shape \(3, 5\), expected"):
        rnn_step_backward(np.zeros((3, 5)), cache)


def test_backward_errors_name_the_upstream_gradient(rng):
    p = params(rng)
    _, cache = rnn_forward(**p)
    with pytest.raises(ValueError, match=r"rnn_backward: dh has shape \(3, 4, 6\), expected \(3, 5, 6\)"):
        rnn_backward(np.zeros((3, 4, 6)), cache)
    _, bcache = bidirectional_rnn_forward(
        p["x"], p["h0"], p["h0"], p["Wx"], p["Wh"], p["b"], p["Wx"], p["Wh"], p["b"]
    )
    with pytest.raises(
        ValueError, match=r"bidirectional_rnn_backward: dh has shape \(3, 5, 6\), expected \(3, 5, 12\)"
    ):
        bidirectional_rnn_backward(np.zeros((3, 5, 6)), bcache)


def test_stacked_rnn_rejects_mismatched_layer_count(rng):
    x = rng.standard_normal((2, 3, 4))
    with pytest.raises(ValueError, match="params has 1 layers but h0 has 2"):
        stacked_rnn_forward(x, np.zeros((2, 2, 5)), [(np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5))])
