"""Independent truths for the numpy reference: PyTorch autograd and centred differences.

Everything here runs in float64 so that agreement can be asserted to 1e-10
(forward) and 1e-9 (backward). Tensors are made float64 explicitly: torch's
default dtype is left alone, so no test depends on which test file happened to
import this module first.
"""

import numpy as np
import torch


def tensors(*arrays, grad=True, dtype=torch.float64):
    """numpy arrays -> torch tensors of `dtype` (float64 leaf tensors that require grad by default)."""
    return [torch.tensor(a, dtype=dtype, requires_grad=grad) for a in arrays]


def autograd(outputs_and_upstream, inputs):
    """Gradients of sum(out * dout) over (out, dout) pairs with respect to inputs.

    - outputs_and_upstream: list of (torch output, numpy upstream gradient)
    - inputs: list of leaf tensors
    Returns a list of numpy arrays (zeros where an input did not take part).
    """
    loss = sum((out * torch.tensor(dout, dtype=out.dtype)).sum() for out, dout in outputs_and_upstream)
    grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    return [np.zeros(tuple(i.shape)) if g is None else g.detach().numpy() for g, i in zip(grads, inputs)]


def centred_difference(f, x, dout, eps=1e-6):
    """Gradient of sum(f(x) * dout) with respect to x, one element at a time.

        dx_i = (L(x_i + eps) - L(x_i - eps)) / (2 eps),   L = sum(f(x) * dout)

    Written apart from rnn_helpers.reference.gradcheck on purpose: it is the
    tests' own truth. x is perturbed in place, so f may ignore its argument
    and read x through a closure (lambda _: rnn_forward(**p)[0] with x = p["Wx"]).

    - f: x -> array of the shape of dout (or a number when dout is a number)
    - x: float64 array of any shape; restored bit for bit, even when f raises
    - dout: upstream gradient; 1.0 differentiates a scalar f
    - eps: step; 1e-6 leaves ~1e-10 of rounding and ~1e-12 of truncation error
      for the O(1) functions tested here

    Returns a float64 array of the shape of x.
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        raise TypeError(
            f"centred_difference: x must be a float64 numpy array, got "
            f"{type(x).__name__} {getattr(x, 'dtype', '')}; a float32 step of {eps} is lost to rounding"
        )

    def loss():
        out = np.asarray(f(x), dtype=np.float64)
        if np.shape(dout) not in ((), out.shape):  # no silent broadcasting
            raise ValueError(f"centred_difference: dout has shape {np.shape(dout)}, f(x) has {out.shape}")
        return np.sum(out * dout)

    original = x.copy()
    grad = np.zeros(x.shape)
    try:
        for i in np.ndindex(x.shape):
            x[i] = original[i] + eps
            plus = loss()
            x[i] = original[i] - eps
            minus = loss()
            x[i] = original[i]
            grad[i] = (plus - minus) / (2 * eps)
    finally:
        x[...] = original
    return grad


def max_abs(a, b):
    """Largest absolute difference, after checking the shapes agree."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    return float(np.max(np.abs(a - b))) if a.size else 0.0
