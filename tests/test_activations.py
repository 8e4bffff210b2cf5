"""sigmoid, softmax and softmax_backward against torch float64."""

import numpy as np
import pytest
import torch
from oracle import autograd, max_abs, tensors
from strictness import strict

from rnn_helpers.reference.activations import sigmoid, softmax, softmax_backward

EXTREMES = np.array([-1e3, -800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1e3])


def test_sigmoid_matches_torch(rng):
    x = rng.normal(scale=5.0, size=(3, 4, 5))
    assert max_abs(sigmoid(x), torch.sigmoid(torch.tensor(x)).numpy()) < 1e-12


def test_sigmoid_is_exact_and_silent_at_extremes():
    with strict():
        out = sigmoid(EXTREMES)
    assert out[0] == 0.0 and out[-1] == 1.0
    assert max_abs(out, torch.sigmoid(torch.tensor(EXTREMES)).numpy()) < 1e-15
    # Tiny values must be kept, not rounded to 0 by computing 1 - something.
    assert abs(out[2] / np.exp(-50.0) - 1.0) < 1e-12


def test_sigmoid_keeps_float32_and_scalar_shape():
    x = np.array([-1e3, 0.5, 1e3], dtype=np.float32)
    with strict():
        out = sigmoid(x)
    assert out.dtype == np.float32
    assert max_abs(out, torch.sigmoid(torch.tensor(x)).numpy()) < 1e-7
    assert sigmoid(np.array(0.0)).shape == ()


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_softmax_matches_torch_on_every_axis(rng, axis):
    s = rng.normal(scale=3.0, size=(2, 3, 4))
    expected = torch.softmax(torch.tensor(s), dim=axis).numpy()
    assert max_abs(softmax(s, axis=axis), expected) < 1e-12


def test_softmax_is_exact_and_silent_for_huge_scores():
    s = np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3], [1e3, 1e3, -1e3]])
    with strict():
        p = softmax(s)
        p0 = softmax(s, axis=0)
    assert np.array_equal(p, torch.softmax(torch.tensor(s), dim=-1).numpy())
    assert np.array_equal(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])
    assert max_abs(p0, torch.softmax(torch.tensor(s), dim=0).numpy()) < 1e-15


def test_softmax_keeps_float32(rng):
    s = rng.normal(size=(4, 6)).astype(np.float32) * 1e3
    with strict():
        p = softmax(s)
    assert p.dtype == np.float32
    assert max_abs(p, torch.softmax(torch.tensor(s), dim=-1).numpy()) < 1e-6


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_backward_matches_torch_autograd(rng, axis):
    s = rng.normal(size=(3, 4, 5))
    dprobs = rng.normal(size=s.shape)
    (st,) = tensors(s)
    (expected,) = autograd([(torch.softmax(st, dim=axis), dprobs)], [st])
    assert max_abs(softmax_backward(dprobs, softmax(s, axis=axis), axis=axis), expected) < 1e-12


def test_inputs_are_not_modified(rng):
    s = rng.normal(size=(3, 4))
    d = rng.normal(size=(3, 4))
    s0, d0 = s.copy(), d.copy()
    p = softmax(s)
    p_copy = p.copy()
    sigmoid(s)
    softmax_backward(d, p)
    assert np.array_equal(s, s0) and np.array_equal(d, d0) and np.array_equal(p, p_copy)


def test_errors_name_the_argument_and_shapes():
    with pytest.raises(ValueError, match=r"sigmoid: x must hold|sigmoid: x has dtype int64"):
        sigmoid(np.arange(3))
    with pytest.raises(ValueError, match=r"sigmoid: x must be a numpy array, got list"):
        sigmoid([1.0, 2.0])
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range .* \(2, 3\)"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"softmax: axis -1 of shape \(2, 0\) is empty"):
        softmax(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"softmax: scores has dtype int64"):
        softmax(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"softmax_backward: dprobs has shape \(2, 4\), expected .*\(2, 3\)"):
        softmax_backward(np.zeros((2, 4)), np.zeros((2, 3)))
