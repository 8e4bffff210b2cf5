"""Plausible mistakes and correct variants for assignment 04_attention.

Each source replaces the whole solution cell named by `function`; the other
solution cells of the notebook stay correct (dot_product_attention and
additive_attention entries call the notebook's masked_softmax).
"""
from catalogue import Entry

_MS = "def masked_softmax(scores, mask=None, axis=-1):\n"
_DP = "def dot_product_attention(query, keys, values, mask=None, scale=True):\n"
_AD = "def additive_attention(s_prev, h, Wa, Ua, va, mask=None):\n"


def _dp(scores="np.einsum('nk,ntk->nt', query, keys)",
        scaled="scores / np.sqrt(query.shape[1]) if scale else scores",
        weights="masked_softmax(scores, mask, axis=1)",
        context="np.einsum('nt,ntv->nv', weights, values)"):
    return _DP + f"""\
    scores = {scores}
    scores = {scaled}
    weights = {weights}
    context = {context}
    return context, weights
"""


def _ad(act="np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)", scores="act @ va",
        weights="masked_softmax(scores, mask, axis=1)",
        context="np.einsum('nt,nth->nh', weights, h)"):
    return _AD + f"""\
    act = {act}
    scores = {scores}
    weights = {weights}
    context = {context}
    return context, weights
"""


BUGS = [
    # -------------------------------------------------------------- masked_softmax
    Entry("masked_softmax", "mask ignored", _MS + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""),
    Entry("masked_softmax", "softmax first, then multiplied by the mask (not renormalised)", _MS + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return p if mask is None else p * mask
"""),
    Entry("masked_softmax", "softmax over everything, masked and renormalised: a huge masked score swamps the rest", _MS + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    if mask is None:
        return p
    p = p * mask
    s = p.sum(axis=axis, keepdims=True)
    return np.where(s > 0, p / np.where(s > 0, s, 1), 0)
"""),
    Entry("masked_softmax", "masked scores set to 0 instead of excluded", _MS + """\
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""),
    Entry("masked_softmax", "no max subtraction: exp overflows for large scores", _MS + """\
    e = np.exp(scores)
    if mask is not None:
        e = e * mask
    s = e.sum(axis=axis, keepdims=True)
    return e / np.where(s > 0, s, 1)
"""),
    Entry("masked_softmax", "-inf fill: nan for a row with nothing kept", _MS + """\
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""),
    Entry("masked_softmax", "-1e9 fill: a row with nothing kept gets uniform weights", _MS + """\
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""),
    Entry("masked_softmax", "axis argument ignored (always the last axis)", _MS + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
"""),
    Entry("masked_softmax", "shift by the maximum of the whole array, not per row", _MS + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    e = np.where(keep, np.exp(scores - scores.max()), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
"""),
    Entry("masked_softmax", "mask read the wrong way round (True = drop)", _MS + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else ~mask
    m = np.max(np.where(keep, scores, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
"""),
    # -------------------------------------------------------- dot_product_attention
    Entry("dot_product_attention", "scores not scaled", _dp(scaled="scores")),
    Entry("dot_product_attention", "scaled by Hk instead of sqrt(Hk)",
          _dp(scaled="scores / query.shape[1] if scale else scores")),
    Entry("dot_product_attention", "scaled by sqrt(T) instead of sqrt(Hk)",
          _dp(scaled="scores / np.sqrt(keys.shape[1]) if scale else scores")),
    Entry("dot_product_attention", "scaled by sqrt(Hv) instead of sqrt(Hk)",
          _dp(scaled="scores / np.sqrt(values.shape[2]) if scale else scores")),
    Entry("dot_product_attention", "scaled even when scale=False",
          _dp(scaled="scores / np.sqrt(query.shape[1])")),
    Entry("dot_product_attention", "softmax over the batch axis", _dp(weights="masked_softmax(scores, mask, axis=0)")),
    Entry("dot_product_attention", "mask ignored", _dp(weights="masked_softmax(scores, None, axis=1)")),
    Entry("dot_product_attention", "context sums the keys instead of the values",
          _dp(context="np.einsum('nt,ntk->nk', weights, keys)")),
    Entry("dot_product_attention", "weights not normalised (exp of the scores)",
          _dp(weights="np.where(mask, np.exp(scores), 0.0) if mask is not None else np.exp(scores)")),
    # ----------------------------------------------------------- additive_attention
    Entry("additive_attention", "tanh forgotten", _ad(act="(s_prev @ Wa)[:, None, :] + h @ Ua")),
    Entry("additive_attention", "sigmoid instead of tanh", _ad(act="1 / (1 + np.exp(-((s_prev @ Wa)[:, None, :] + h @ Ua)))")),
    Entry("additive_attention", "va applied before the tanh", _ad(act="(s_prev @ Wa)[:, None, :] + h @ Ua", scores="np.tanh(act @ va)")),
    Entry("additive_attention", "softmax over the batch axis", _ad(weights="masked_softmax(scores, mask, axis=0)")),
    Entry("additive_attention", "mask ignored", _ad(weights="masked_softmax(scores, None, axis=1)")),
    Entry("additive_attention", "Wa and Ua swapped", _ad(act="np.tanh((s_prev @ Ua)[:, None, :] + h @ Wa)")),
    Entry("additive_attention", "decoder state left out of the scores", _ad(act="np.tanh(h @ Ua)")),
    Entry("additive_attention", "returns the raw scores as weights",
          _ad(context="np.einsum('nt,nth->nh', masked_softmax(scores, mask, axis=1), h)", weights="scores")),
    Entry("additive_attention", "context is the plain average of the encoder states",
          _ad(context="h.mean(axis=1)")),
]

VARIANTS = [
    # -------------------------------------------------------------- masked_softmax
    Entry("masked_softmax", "-inf fill, empty slices repaired with nan_to_num", _MS + """\
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    m = scores.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(scores - np.where(np.isneginf(m), 0, m))
        p = e / e.sum(axis=axis, keepdims=True)
    return np.nan_to_num(p, nan=0.0)
"""),
    Entry("masked_softmax", "moves the axis last, loops over rows", _MS + """\
    s = np.moveaxis(scores, axis, -1)
    k = np.ones(s.shape, dtype=bool) if mask is None else np.moveaxis(mask, axis, -1)
    out = np.zeros(s.shape, dtype=np.result_type(scores, 1.0))
    for idx in np.ndindex(s.shape[:-1]):
        row, keep = s[idx], k[idx]
        if keep.any():
            e = np.exp(row[keep] - row[keep].max())
            out[idx + (keep,)] = e / e.sum()
    return np.moveaxis(out, -1, axis)
"""),
    Entry("masked_softmax", "mask as 0/1 factors, np.divide with where=", _MS + """\
    keep = np.ones_like(scores) if mask is None else mask.astype(scores.dtype)
    shift = np.max(np.where(keep > 0, scores, -np.inf), axis=axis, keepdims=True)
    shift[~np.isfinite(shift)] = 0
    e = np.exp(np.minimum(scores - shift, 0)) * keep
    total = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)
"""),
    Entry("masked_softmax", "float32 in, float32 out", _MS + """\
    dt = scores.dtype
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(dt)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0).astype(dt)
    total = e.sum(axis=axis, keepdims=True)
    return (e / np.where(total > 0, total, 1)).astype(dt)
"""),
    # -------------------------------------------------------- dot_product_attention
    Entry("dot_product_attention", "batched matmul with new axes", _DP + """\
    Hk = query.shape[-1]
    scores = (keys @ query[:, :, None])[:, :, 0]        # (N, T)
    if scale:
        scores = scores * (1.0 / Hk ** 0.5)
    weights = masked_softmax(scores, mask)
    context = (weights[:, None, :] @ values)[:, 0, :]
    return context, weights
"""),
    Entry("dot_product_attention", "query scaled before the product; broadcasting and sums", _DP + """\
    q = query / np.sqrt(query.shape[1]) if scale else query
    scores = np.sum(q[:, None, :] * keys, axis=2)
    weights = masked_softmax(scores, mask, axis=-1)
    return np.sum(weights[:, :, None] * values, axis=1), weights
"""),
    Entry("dot_product_attention", "one example at a time", _DP + """\
    N, T, _ = keys.shape
    context = np.zeros((N, values.shape[2]))
    weights = np.zeros((N, T))
    for n in range(N):
        s = keys[n] @ query[n]
        if scale:
            s = s / np.sqrt(len(query[n]))
        weights[n] = masked_softmax(s, None if mask is None else mask[n])
        context[n] = weights[n] @ values[n]
    return context, weights
"""),
    # ----------------------------------------------------------- additive_attention
    Entry("additive_attention", "einsum throughout", _AD + """\
    act = np.tanh(np.einsum("ns,sa->na", s_prev, Wa)[:, None] + np.einsum("nth,ha->nta", h, Ua))
    weights = masked_softmax(np.einsum("nta,a->nt", act, va), mask)
    return np.einsum("nt,nth->nh", weights, h), weights
"""),
    Entry("additive_attention", "a loop over positions t", _AD + """\
    N, T, H = h.shape
    query = s_prev @ Wa                                 # (N, A)
    scores = np.zeros((N, T))
    for t in range(T):
        scores[:, t] = np.tanh(query + h[:, t] @ Ua) @ va
    weights = masked_softmax(scores, mask, axis=1)
    context = np.zeros((N, H))
    for t in range(T):
        context += weights[:, t:t + 1] * h[:, t]
    return context, weights
"""),
    Entry("additive_attention", "tensordot and np.newaxis", _AD + """\
    keys = np.tensordot(h, Ua, axes=([2], [0]))         # (N, T, A)
    q = np.dot(s_prev, Wa)[:, np.newaxis, :]
    scores = np.tensordot(np.tanh(q + keys), va, axes=([2], [0]))
    weights = masked_softmax(scores, mask, axis=1)
    return (weights[..., np.newaxis] * h).sum(axis=1), weights
"""),
]
