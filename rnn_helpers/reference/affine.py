"""Temporal affine layer: the same linear map applied at every time step.

Dimensions: N batch, T time, H hidden size, V output size (vocabulary).
Row-vector convention: scores[n, t] = h[n, t] @ W + b, so W is (H, V) and
b is (V,). Applying one W to all N*T positions at once is what turns the
hidden states of an RNN into per-step scores over the vocabulary.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def temporal_affine_forward(h, W, b):
    """Apply scores = h @ W + b at every position of a batch of sequences.

    Inputs:
    - h: (N, T, H) hidden states
    - W: (H, V) weights
    - b: (V,) bias

    Returns (scores, cache):
    - scores: (N, T, V)
    - cache: what temporal_affine_backward needs
    """
    dtype, _ = check_arrays(
        "temporal_affine_forward", {"h": ("N", "T", "H"), "W": ("H", "V"), "b": ("V",)}, dict(h=h, W=W, b=b)
    )
    scores = (h @ W + b).astype(dtype, copy=False)  # matmul broadcasts W over (N, T)
    return scores, (h, W, b)


def temporal_affine_backward(dscores, cache):
    """Backward pass of temporal_affine_forward.

    Inputs:
    - dscores: (N, T, V) upstream gradient of scores
    - cache: from temporal_affine_forward

    Returns (dh, dW, db) with shapes (N, T, H), (H, V), (V,).
    """
    h, W, b = cache
    N, T, _ = h.shape
    check_arrays("temporal_affine_backward", {"dscores": (N, T, W.shape[1])}, dict(dscores=dscores))
    dh = dscores @ W.T
    # W and b are shared by all N*T positions, so their gradients sum over both.
    dW = np.einsum("nth,ntv->hv", h, dscores)
    db = dscores.sum(axis=(0, 1))
    return dh, dW, db
