"""PyTorch as the independent truth for the numpy reference.

Everything here runs in float64 so that agreement can be asserted to 1e-10
(forward) and 1e-9 (backward).
"""
import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def tensors(*arrays, grad=True):
    """numpy arrays -> float64 torch tensors (leaf tensors that require grad)."""
    return [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]


def autograd(outputs_and_upstream, inputs):
    """Gradients of sum(out * dout) over (out, dout) pairs with respect to inputs.

    - outputs_and_upstream: list of (torch output, numpy upstream gradient)
    - inputs: list of leaf tensors
    Returns a list of numpy arrays (zeros where an input did not take part).
    """
    loss = sum((out * torch.tensor(dout)).sum() for out, dout in outputs_and_upstream)
    grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    return [np.zeros(tuple(i.shape)) if g is None else g.detach().numpy()
            for g, i in zip(grads, inputs)]


def max_abs(a, b):
    """Largest absolute difference, after checking the shapes agree."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    return float(np.max(np.abs(a - b))) if a.size else 0.0
