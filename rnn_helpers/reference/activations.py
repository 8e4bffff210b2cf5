"""Numerically stable sigmoid and softmax, and the backward pass of softmax.

Shapes: these work on arrays of any shape; softmax normalises along `axis`
(the last one by default, e.g. the V scores of each position in (N, T, V)).

Both functions only ever exponentiate numbers <= 0, so exp cannot overflow.
Very negative numbers underflow to exactly 0, which is the correctly rounded
answer; that underflow is silenced locally so that a caller running under
np.errstate(all="raise") gets the right result instead of an exception.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def _any_shape(x):
    """A check_arrays spec that accepts any number of dimensions of any size."""
    return tuple(f"d{i}" for i in range(getattr(x, "ndim", 0)))


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), stable for large positive and negative x.

    Inputs:
    - x: array of any shape, float32 or float64

    Returns an array of the same shape and dtype with values in [0, 1];
    sigmoid(1e3) is exactly 1 and sigmoid(-1e3) exactly 0, without warnings.
    """
    dtype, _ = check_arrays("sigmoid", {"x": _any_shape(x)}, dict(x=x))
    with np.errstate(under="ignore"):
        # exp(-|x|) lies in (0, 1]: it never overflows, unlike exp(-x) for x << 0.
        z = np.exp(-np.abs(x))
        # For x >= 0 use 1 / (1 + e^-x); for x < 0 the same value written as
        # e^x / (1 + e^x), which keeps the tiny results instead of rounding 1 - 1.
        # One reciprocal serves both branches: the LSTM calls this every step.
        r = 1.0 / (1.0 + z)
        out = np.where(x >= 0, r, z * r)
    return out.astype(dtype, copy=False)


def softmax(scores, axis=-1):
    """Softmax along one axis, shifted by the maximum so that exp never overflows.

    Inputs:
    - scores: array of any shape with at least one dimension, e.g. (N, T, V)
    - axis: the axis to normalise over (default: the last)

    Returns probs, same shape and dtype as scores; probs sum to 1 along axis.
    """
    dtype, _ = check_arrays("softmax", {"scores": _any_shape(scores)}, dict(scores=scores))
    _check_axis("softmax", scores, axis)
    # softmax(s) = softmax(s - c) for any c; with c = max every exponent is <= 0.
    shifted = scores - scores.max(axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
        probs = e / e.sum(axis=axis, keepdims=True)
    return probs.astype(dtype, copy=False)


def softmax_backward(dprobs, probs, axis=-1):
    """Backward pass of softmax, given its output.

    Inputs:
    - dprobs: upstream gradient of the probabilities, same shape as probs
    - probs: the output of softmax(scores, axis)
    - axis: the axis softmax normalised over

    Returns dscores, same shape as probs:
    dscores = probs * (dprobs - sum(dprobs * probs, axis)), the Jacobian-vector
    product of diag(p) - p p^T without building the Jacobian.
    """
    return softmax_jvp("softmax_backward", dprobs, probs, axis)


def softmax_jvp(func, dprobs, probs, axis):
    """The one implementation of the softmax backward, for every softmax of the package.

    `func` names the public function in error messages. Returns
    probs * (dprobs - sum(dprobs * probs, axis)), same shape as probs.
    """
    dtype, _ = check_arrays(
        func,
        {"probs": _any_shape(probs), "dprobs": getattr(probs, "shape", ())},
        dict(probs=probs, dprobs=dprobs),
    )
    _check_axis(func, probs, axis)
    with np.errstate(under="ignore"):  # tiny probabilities give tiny (or 0) gradients
        dscores = probs * (dprobs - np.sum(dprobs * probs, axis=axis, keepdims=True))
    return dscores.astype(dtype, copy=False)


def _check_axis(func, x, axis):
    """Raise ValueError unless axis names an existing, non-empty axis of x."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{func}: axis must be an integer, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"{func}: axis {axis} is out of range for an array of shape {x.shape} ({x.ndim} dimensions)"
        )
    if x.shape[axis] == 0:
        raise ValueError(
            f"{func}: axis {axis} of shape {x.shape} is empty; there is nothing to normalise over"
        )
