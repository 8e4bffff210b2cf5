"""Attention over the T encoder states of a sequence: masked softmax,
scaled dot-product attention and additive (Bahdanau) attention.

Dimensions: N batch, T time (encoder positions), Hk key/query size,
Hv value size, S decoder state size, H encoder state size, A attention size.
A mask is (N, T) bool with True = this position may be attended to (it is
real input, not padding). Masked positions get weight exactly 0; a row whose
mask keeps nothing gets all-zero weights, and so a zero context, never NaN.

The attention forwards return (context, weights) with no cache, so their
backward functions take the forward's inputs again and recompute the weights;
the recomputation costs one forward pass and keeps the API symmetrical.
"""

import math

import numpy as np

from rnn_helpers.reference._checks import check_arrays, check_mask
from rnn_helpers.reference.activations import _any_shape, _check_axis, softmax_jvp


def masked_softmax(scores, mask=None, axis=-1):
    """Softmax along axis over the entries where mask is true.

    Inputs:
    - scores: array of any shape with at least one dimension, e.g. (N, T)
    - mask: bool array of the same shape, True = keep; None keeps everything
    - axis: the axis to normalise over (default: the last)

    Returns probs, same shape and dtype as scores: exactly 0 where mask is
    false, summing to 1 along axis over the kept entries, and all zeros along
    a slice that keeps nothing (no NaN, no warning).
    """
    dtype, _ = check_arrays("masked_softmax", {"scores": _any_shape(scores)}, dict(scores=scores))
    _check_axis("masked_softmax", scores, axis)
    mask = check_mask("masked_softmax", mask, scores.shape)
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    # The shift is the maximum over kept entries only; a slice with nothing
    # kept has no maximum, and any finite shift (0) will do for it.
    m = np.max(np.where(keep, scores, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(under="ignore"):
        # Masked entries are replaced before exp, so that a huge score hidden
        # by the mask can neither overflow nor leak into the sum.
        e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
        total = e.sum(axis=axis, keepdims=True)
        probs = e / np.where(total > 0, total, 1.0)  # empty slice: 0 / 1 = 0
    return probs.astype(dtype, copy=False)


def masked_softmax_backward(dprobs, probs, axis=-1):
    """Backward pass of masked_softmax, given its output.

    Inputs:
    - dprobs: upstream gradient of probs, same shape as probs
    - probs: the output of masked_softmax(scores, mask, axis)
    - axis: the axis it normalised over

    Returns dscores, same shape as probs: probs * (dprobs - sum(dprobs * probs)).
    The factor probs makes it exactly 0 at masked positions and along empty
    slices, which is why the mask itself is not needed here.
    """
    return softmax_jvp("masked_softmax_backward", dprobs, probs, axis)


def _check_scale(func, scale):
    if not isinstance(scale, (bool, np.bool_)):
        raise ValueError(
            f"{func}: scale must be True or False, got {scale!r}; True divides the scores by sqrt(Hk)"
        )
    return bool(scale)


def _dot_product_weights(func, query, keys, values, mask, scale, extra=None):
    """Shared checks and score computation of dot-product attention."""
    spec = {"query": ("N", "Hk"), "keys": ("N", "T", "Hk"), "values": ("N", "T", "Hv")}
    arrays = dict(query=query, keys=keys, values=values)
    if extra:
        spec.update({name: dims for name, (dims, _) in extra.items()})
        arrays.update({name: arr for name, (_, arr) in extra.items()})
    dtype, s = check_arrays(func, spec, arrays)
    mask = check_mask(func, mask, (s["N"], s["T"]))
    # Dividing by sqrt(Hk) keeps the scores' variance near 1 whatever Hk is, so
    # the softmax does not saturate for wide keys. A Python float keeps float32 float32.
    c = 1.0 / math.sqrt(s["Hk"]) if _check_scale(func, scale) else 1.0
    scores = np.einsum("nk,ntk->nt", query, keys) * c  # (N, T)
    return masked_softmax(scores.astype(dtype, copy=False), mask), c, dtype


def dot_product_attention(query, keys, values, mask=None, scale=True):
    """(Scaled) dot-product attention of one query per sequence over T keys.

    Inputs:
    - query: (N, Hk) one query vector per sequence (e.g. the decoder state)
    - keys: (N, T, Hk) one key per position
    - values: (N, T, Hv) one value per position
    - mask: (N, T) bool, True = may be attended to; None attends everywhere
    - scale: divide the scores query . key by sqrt(Hk) when True

    Returns (context, weights):
    - context: (N, Hv) sum over t of weights[:, t] * values[:, t]
    - weights: (N, T) masked softmax of the scores; 0 at masked positions
    """
    weights, _, dtype = _dot_product_weights("dot_product_attention", query, keys, values, mask, scale)
    context = np.einsum("nt,ntv->nv", weights, values).astype(dtype, copy=False)
    return context, weights


def dot_product_attention_backward(dcontext, query, keys, values, mask=None, scale=True, dweights=None):
    """Backward pass of dot_product_attention, from the forward's inputs.

    Inputs:
    - dcontext: (N, Hv) upstream gradient of context
    - query, keys, values, mask, scale: exactly as given to the forward
    - dweights: (N, T) optional upstream gradient of weights (when the
      weights themselves feed a loss, e.g. an attention penalty); None = 0

    Returns (dquery, dkeys, dvalues) with shapes (N, Hk), (N, T, Hk), (N, T, Hv).
    """
    func = "dot_product_attention_backward"
    weights, c, _ = _dot_product_weights(
        func,
        query,
        keys,
        values,
        mask,
        scale,
        extra={"dcontext": (("N", "Hv"), dcontext), "dweights": (("N", "T"), dweights)},
    )
    # context = sum_t w_t v_t: each value gets its weight times dcontext,
    # and each weight gets dcontext . v_t.
    dvalues = weights[:, :, None] * dcontext[:, None, :]  # (N, T, Hv)
    dw = np.einsum("nv,ntv->nt", dcontext, values)  # (N, T)
    if dweights is not None:
        dw = dw + dweights
    dscores = masked_softmax_backward(dw, weights) * c  # (N, T), 0 where masked
    dquery = np.einsum("nt,ntk->nk", dscores, keys)
    dkeys = dscores[:, :, None] * query[:, None, :]
    return dquery, dkeys, dvalues


def _additive_weights(func, s_prev, h, Wa, Ua, va, mask, extra=None):
    """Shared checks and scores of additive attention; returns (weights, tanh acts, dtype)."""
    spec = {"s_prev": ("N", "S"), "h": ("N", "T", "H"), "Wa": ("S", "A"), "Ua": ("H", "A"), "va": ("A",)}
    arrays = dict(s_prev=s_prev, h=h, Wa=Wa, Ua=Ua, va=va)
    if extra:
        spec.update({name: dims for name, (dims, _) in extra.items()})
        arrays.update({name: arr for name, (_, arr) in extra.items()})
    dtype, s = check_arrays(func, spec, arrays)
    mask = check_mask(func, mask, (s["N"], s["T"]))
    # s_prev @ Wa does not depend on t, so it is computed once and broadcast over T.
    act = np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)  # (N, T, A)
    scores = act @ va  # (N, T)
    return masked_softmax(scores.astype(dtype, copy=False), mask), act, dtype


def additive_attention(s_prev, h, Wa, Ua, va, mask=None):
    """Additive (Bahdanau) attention of a decoder state over T encoder states.

    e[n, t] = va . tanh(s_prev[n] @ Wa + h[n, t] @ Ua), weights = masked softmax of e.

    Inputs:
    - s_prev: (N, S) previous decoder state
    - h: (N, T, H) encoder states, which are both keys and values
    - Wa: (S, A), Ua: (H, A) projections into the attention space
    - va: (A,) scoring vector
    - mask: (N, T) bool, True = may be attended to; None attends everywhere

    Returns (context, weights):
    - context: (N, H) sum over t of weights[:, t] * h[:, t]
    - weights: (N, T); 0 at masked positions
    """
    weights, _, dtype = _additive_weights("additive_attention", s_prev, h, Wa, Ua, va, mask)
    context = np.einsum("nt,nth->nh", weights, h).astype(dtype, copy=False)
    return context, weights


def additive_attention_backward(dcontext, s_prev, h, Wa, Ua, va, mask=None, dweights=None):
    """Backward pass of additive_attention, from the forward's inputs.

    Inputs:
    - dcontext: (N, H) upstream gradient of context
    - s_prev, h, Wa, Ua, va, mask: exactly as given to the forward
    - dweights: (N, T) optional upstream gradient of weights; None = 0

    Returns (ds_prev, dh, dWa, dUa, dva) with shapes
    (N, S), (N, T, H), (S, A), (H, A), (A,).
    """
    func = "additive_attention_backward"
    weights, act, _ = _additive_weights(
        func,
        s_prev,
        h,
        Wa,
        Ua,
        va,
        mask,
        extra={"dcontext": (("N", "H"), dcontext), "dweights": (("N", "T"), dweights)},
    )
    # h is used twice: as the values summed into context and inside the scores.
    dh = weights[:, :, None] * dcontext[:, None, :]  # (N, T, H)
    dw = np.einsum("nh,nth->nt", dcontext, h)
    if dweights is not None:
        dw = dw + dweights
    de = masked_softmax_backward(dw, weights)  # (N, T)
    dva = np.einsum("nt,nta->a", de, act)
    dpre = de[:, :, None] * va * (1.0 - act**2)  # (N, T, A) through tanh
    dpre_s = dpre.sum(axis=1)  # s_prev feeds every t
    ds_prev = dpre_s @ Wa.T
    dWa = s_prev.T @ dpre_s
    dUa = np.einsum("nth,nta->ha", h, dpre)
    dh = dh + dpre @ Ua.T
    return ds_prev, dh, dWa, dUa, dva
