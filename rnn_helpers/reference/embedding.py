"""Word embedding layer: look up one learned vector per token index.

Dimensions: N batch, T time, V vocabulary size, D embedding size.
The layer is a table W of shape (V, D); row v is the vector of token v.
Looking rows up is the same as multiplying one-hot vectors by W, which is why
the backward pass adds the upstream gradient into the rows that were used.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def check_indices(func, name, idx, V):
    """Raise ValueError naming the first entry of the integer array idx outside [0, V).

    Negative indices are refused too: numpy would silently read them from
    the end of the table, which is never what a token index means.
    """
    bad = np.argwhere((idx < 0) | (idx >= V))
    if len(bad):
        where = tuple(int(i) for i in bad[0])
        where_str = ", ".join(str(i) for i in where)
        raise ValueError(
            f"{func}: {name}[{where_str}] = {int(idx[where])} is outside [0, V) = [0, {V}) "
            f"({len(bad)} bad entr{'y' if len(bad) == 1 else 'ies'} in all)"
        )


def embedding_forward(idx, W):
    """Look up the embedding of every token of a batch of sequences.

    Inputs:
    - idx: (N, T) integer token indices, each in [0, V)
    - W: (V, D) embedding table, float32 or float64

    Returns (out, cache):
    - out: (N, T, D) with out[n, t] = W[idx[n, t]], dtype of W
    - cache: what embedding_backward needs
    """
    check_arrays(
        "embedding_forward", {"idx": ("N", "T"), "W": ("V", "D")}, dict(idx=idx, W=W), integer=("idx",)
    )
    check_indices("embedding_forward", "idx", idx, W.shape[0])
    out = W[idx]  # (N, T, D); fancy indexing copies
    return out, (idx.copy(), W.shape, W.dtype)


def embedding_backward(dout, cache):
    """Backward pass of embedding_forward.

    Inputs:
    - dout: (N, T, D) upstream gradient of out
    - cache: from embedding_forward

    Returns dW: (V, D); row v is the sum of dout[n, t] over every (n, t) with
    idx[n, t] == v (zero for tokens that did not occur).
    """
    idx, (V, D), w_dtype = cache
    N, T = idx.shape
    check_arrays("embedding_backward", {"dout": (N, T, D)}, dict(dout=dout))
    dW = np.zeros((V, D), dtype=np.result_type(w_dtype, dout.dtype))
    # np.add.at accumulates repeated indices; dW[idx] += dout would keep only
    # one of the contributions of a token that occurs twice.
    np.add.at(dW, idx, dout)
    return dW
