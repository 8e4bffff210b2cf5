"""Gradient-checking tools, checked against PyTorch autograd and hand arithmetic."""

import numpy as np
import pytest
import torch
from oracle import autograd, centred_difference, tensors

from rnn_helpers.reference.gradcheck import (
    check_gradients,
    numerical_gradient,
    numerical_gradient_params,
    rel_error,
)
from rnn_helpers.reference.rnn import rnn_step_forward

TOL = 1e-7  # centred differences in float64 with eps=1e-5 agree to ~1e-9


def rnn_step_params(rng, N=3, D=4, H=5):
    return dict(
        x=rng.standard_normal((N, D)),
        h_prev=rng.standard_normal((N, H)),
        Wx=0.5 * rng.standard_normal((D, H)),
        Wh=0.5 * rng.standard_normal((H, H)),
        b=rng.standard_normal(H),
    )


def torch_rnn_step_grads(p, dout):
    """Autograd gradients of sum(tanh(x Wx + h Wh + b) * dout), keyed like p."""
    t = dict(zip(p, tensors(*p.values())))
    out = torch.tanh(t["x"] @ t["Wx"] + t["h_prev"] @ t["Wh"] + t["b"])
    return dict(zip(p, autograd([(out, dout)], list(t.values()))))


# --- rel_error ---------------------------------------------------------------


def test_rel_error_on_hand_checkable_inputs():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    # |3-1| / (3+1) = 0.5 is the larger of the two elements (the first is 0).
    assert abs(rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) - 0.5) < 1e-15
    assert abs(rel_error(1.0, -1.0) - 1.0) < 1e-15  # opposite signs: the maximum
    assert abs(rel_error(np.array([1e-9]), np.array([0.0])) - 0.1) < 1e-12  # 1e-9 / floor 1e-8
    assert rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0  # no division by zero


def test_rel_error_is_nan_when_an_array_holds_nan():
    assert np.isnan(rel_error(np.array([1.0, np.nan]), np.array([1.0, 1.0])))


def test_rel_error_rejects_different_shapes_instead_of_broadcasting():
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        rel_error(np.ones(3), np.ones((1, 3)))


# --- numerical_gradient ------------------------------------------------------


def test_numerical_gradient_of_tanh_matmul_matches_torch_autograd(rng):
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    dout = rng.standard_normal((3, 5))
    tx, tW = tensors(x, W)
    dx_true, dW_true = autograd([(torch.tanh(tx @ tW), dout)], [tx, tW])
    dx = numerical_gradient(lambda v: np.tanh(v @ W), x, dout)
    dW = numerical_gradient(lambda v: np.tanh(x @ v), W, dout)
    assert rel_error(dx, dx_true) < TOL
    assert rel_error(dW, dW_true) < TOL


def test_numerical_gradient_uses_first_element_of_a_tuple_result(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    truth = torch_rnn_step_grads(p, dout)
    # rnn_step_forward returns (h_next, cache): only h_next is differentiated.
    dh = numerical_gradient(
        lambda h: rnn_step_forward(p["x"], h, p["Wx"], p["Wh"], p["b"]), p["h_prev"], dout
    )
    assert rel_error(dh, truth["h_prev"]) < TOL


def test_numerical_gradient_with_dout_none_differentiates_a_scalar_loss(rng):
    x = rng.standard_normal((2, 3))
    (tx,) = tensors(x)
    (truth,) = autograd([((tx**3).sum() * torch.sin(tx).sum(), np.array(1.0))], [tx])
    dx = numerical_gradient(lambda v: np.sum(v**3) * np.sum(np.sin(v)), x, None)
    assert rel_error(dx, truth) < TOL


def test_numerical_gradient_restores_x_bit_for_bit(rng):
    x = rng.standard_normal((4, 3))
    before = x.copy()
    numerical_gradient(lambda v: np.sin(v) * 1e3, x, rng.standard_normal((4, 3)), eps=1e-3)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_restores_x_when_f_raises(rng):
    x = rng.standard_normal((3, 3))
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 4:  # half way through the second element, x is perturbed
            raise RuntimeError("boom")
        return v * 2

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x, np.ones((3, 3)))
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_restores_x_when_f_writes_into_it(rng):
    x = rng.standard_normal(5)
    before = x.copy()

    def f(v):
        out = v**2
        v *= 0.5  # a careless f: must not leak into the caller's array
        return out

    numerical_gradient(f, x, np.ones(5))
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_keeps_float32_dtype(rng):
    x = rng.standard_normal((2, 2)).astype(np.float32)
    dx = numerical_gradient(lambda v: 3.0 * v, x, np.ones((2, 2), dtype=np.float32), eps=1e-2)
    assert dx.dtype == np.float32
    assert np.max(np.abs(dx - 3.0)) < 1e-4  # linear f: exact up to float32 rounding


def test_numerical_gradient_rejects_wrong_dout_shape_and_integer_x(rng):
    with pytest.raises(ValueError, match=r"dout has shape \(2,\).*\(3,\)"):
        numerical_gradient(np.sin, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="int"):
        numerical_gradient(np.sin, np.arange(3), np.ones(3))


def test_numerical_gradient_params_matches_torch_for_every_argument(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    before = {k: v.copy() for k, v in p.items()}
    grads = numerical_gradient_params(rnn_step_forward, p, dout)
    truth = torch_rnn_step_grads(p, dout)
    assert list(grads) == list(p)
    for name in p:
        assert grads[name].shape == p[name].shape
        assert rel_error(grads[name], truth[name]) < TOL, name
        assert p[name].tobytes() == before[name].tobytes(), name


# --- the tests' own centred differences (oracle.centred_difference) ------------


def test_oracle_centred_difference_matches_torch_autograd_and_restores_x(rng):
    # The tests' independent truth must itself be true: checked here once, against torch.
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    dout = rng.standard_normal((3, 5))
    before = W.copy()
    tx, tW = tensors(x, W)
    dx_true, dW_true = autograd([(torch.tanh(tx @ tW), dout)], [tx, tW])
    assert rel_error(centred_difference(lambda v: np.tanh(v @ W), x.copy(), dout), dx_true) < TOL
    # f may ignore its argument and read the array in place, as the layer tests do.
    assert rel_error(centred_difference(lambda _: np.tanh(x @ W), W, dout), dW_true) < TOL
    assert W.tobytes() == before.tobytes()


def test_oracle_centred_difference_restores_x_when_f_raises_and_refuses_float32(rng):
    x = rng.standard_normal(4)
    before = x.copy()

    def f(v):
        if v[1] != before[1]:  # raise while the second element is perturbed
            raise RuntimeError("boom")
        return v

    with pytest.raises(RuntimeError, match="boom"):
        centred_difference(f, x, np.ones(4))
    assert x.tobytes() == before.tobytes()
    with pytest.raises(TypeError, match="float64"):
        centred_difference(np.sin, x.astype(np.float32), np.ones(4))
    with pytest.raises(ValueError, match=r"dout has shape \(3,\)"):
        centred_difference(np.sin, x, np.ones(3))


# --- check_gradients ---------------------------------------------------------


def run_check(p, analytic, dout, **kw):
    lines = []
    result = check_gradients(rnn_step_forward, p, analytic, dout, out=lines.append, **kw)
    return result, lines


def test_check_gradients_passes_correct_gradients_with_one_aligned_line_each(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    result, lines = run_check(p, torch_rnn_step_grads(p, dout), dout)
    assert result.passed and result.failed == [] and set(result) == set(p)
    assert all(e < TOL for e in result.values())
    header, rows, summary = lines[0], lines[1:-1], lines[-1]
    assert "parameter" in header and "rel. error" in header and "tol 1e-07" in header
    assert len(rows) == 5
    for name, row in zip(p, rows):
        assert row.split()[0] == name and row.endswith("PASS")
        assert str(p[name].shape) in row
    # Aligned columns: every line's verdict starts at the same column.
    assert len({row.index("PASS") for row in rows} | {header.index("verdict")}) == 1
    assert summary.startswith("all 5 gradients pass")


def test_check_gradients_flags_only_the_wrong_gradient(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    analytic = torch_rnn_step_grads(p, dout)
    analytic["Wh"] = 2 * analytic["Wh"]  # a typical bug: a factor of two
    result, lines = run_check(p, analytic, dout)
    assert not result.passed and result.failed == ["Wh"]
    # |2g - g| / (|2g| + |g|) = 1/3 for every element.
    assert abs(result["Wh"] - 1 / 3) < 1e-6
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert rows["Wh"].endswith("FAIL")
    assert all(rows[n].endswith("PASS") for n in p if n != "Wh")
    assert "1 of 5 gradients FAIL: Wh" in lines[-1]


def test_check_gradients_accepts_a_tuple_in_the_order_of_params(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    truth = torch_rnn_step_grads(p, dout)
    result, _ = run_check(p, tuple(truth[n] for n in p), dout)
    assert result.passed


def test_check_gradients_prints_to_stdout_by_default(rng, capsys):
    x = rng.standard_normal(4)
    check_gradients(lambda x: np.sum(x**2), dict(x=x), dict(x=2 * x))
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].startswith("x ") and printed[1].endswith("PASS")


def test_check_gradients_reports_missing_extra_and_misshaped_gradients(rng):
    p = rnn_step_params(rng)
    dout = rng.standard_normal((3, 5))
    good = torch_rnn_step_grads(p, dout)
    with pytest.raises(ValueError, match="no analytic gradient for b"):
        run_check(p, {k: v for k, v in good.items() if k != "b"}, dout)
    with pytest.raises(ValueError, match="bias.*not in params"):
        run_check(p, {**good, "bias": good["b"]}, dout)
    with pytest.raises(ValueError, match=r"gradient of Wx has shape \(5, 4\), expected \(4, 5\)"):
        run_check(p, {**good, "Wx": good["Wx"].T}, dout)
    with pytest.raises(ValueError, match="4 analytic gradients for 5 parameters"):
        run_check(p, tuple(good.values())[:4], dout)
