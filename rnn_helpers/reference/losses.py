"""Softmax cross-entropy over every position of a batch of sequences.

Dimensions: N batch, T time, V vocabulary size.
The loss is the mean of -log p(y[n, t]) over the positions that the mask
keeps, exactly torch.nn.functional.cross_entropy(reduction="mean") applied to
those positions. Padded positions (mask false) add nothing to the loss or the
gradient, and their labels are never read, so they may hold any integer
(a padding value such as -1 included).
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays, check_mask
from rnn_helpers.reference.embedding import check_indices


def temporal_softmax_loss(scores, y, mask=None):
    """Mean softmax cross-entropy over the kept positions, and its gradient.

    Inputs:
    - scores: (N, T, V) unnormalised scores (logits)
    - y: (N, T) integer labels, each in [0, V) wherever mask is true
    - mask: (N, T) bool, True = this position counts; None counts all of them

    Returns (loss, dscores):
    - loss: scalar of the dtype of scores,
      sum over kept (n, t) of -log softmax(scores[n, t])[y[n, t]], divided by
      the number of kept positions
    - dscores: (N, T, V) gradient of loss with respect to scores;
      (softmax - onehot(y)) / count at kept positions, 0 elsewhere

    When the mask keeps no position at all there is nothing to average: the
    loss is 0 and dscores is all zeros (torch returns nan here). A batch made
    only of padding therefore leaves the weights unchanged instead of turning
    them into nan.
    """
    dtype, s = check_arrays(
        "temporal_softmax_loss",
        {"scores": ("N", "T", "V"), "y": ("N", "T")},
        dict(scores=scores, y=y),
        integer=("y",),
    )
    N, T, V = s["N"], s["T"], s["V"]
    mask = check_mask("temporal_softmax_loss", mask, (N, T))
    keep = np.ones((N, T), dtype=bool) if mask is None else mask
    # Labels of padded positions are never used; 0 stands in for them so that
    # the indexing below stays in range whatever they hold.
    y_safe = np.where(keep, y, 0)
    check_indices("temporal_softmax_loss", "y", y_safe, V)

    count = int(keep.sum())
    if count == 0:
        return dtype.type(0.0), np.zeros((N, T, V), dtype=dtype)

    # log softmax = shifted - log(sum(exp(shifted))) with every exponent <= 0.
    shifted = scores - scores.max(axis=2, keepdims=True)  # (N, T, V)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
        sum_e = e.sum(axis=2, keepdims=True)  # (N, T, 1), >= 1
        probs = e / sum_e
    log_probs = shifted - np.log(sum_e)
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    nll = -log_probs[n_idx, t_idx, y_safe]  # (N, T)
    loss = nll[keep].sum() / count

    # d(-log p_y)/d scores = p - onehot(y); the mean divides by count.
    dscores = probs.copy()
    dscores[n_idx, t_idx, y_safe] -= 1.0
    dscores *= keep[:, :, None] / count
    return dtype.type(loss), dscores.astype(dtype, copy=False)
