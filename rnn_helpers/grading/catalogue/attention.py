"""Plausible mistakes and correct variants for assignment 04_attention.

Each source replaces the whole solution cell named by `function`; the other
solution cells of the notebook stay correct (dot_product_attention and
additive_attention entries call the notebook's masked_softmax).
"""

from rnn_helpers.grading.catalogue import Entry

_MS = "def masked_softmax(scores, mask=None, axis=-1):\n"
_DP = "def dot_product_attention(query, keys, values, mask=None, scale=True):\n"
_AD = "def additive_attention(s_prev, h, Wa, Ua, va, mask=None):\n"


def _dp(
    scores="np.einsum('nk,ntk->nt', query, keys)",
    scaled="scores / np.sqrt(query.shape[1]) if scale else scores",
    weights="masked_softmax(scores, mask, axis=1)",
    context="np.einsum('nt,ntv->nv', weights, values)",
):
    return (
        _DP
        + f"""\
    scores = {scores}
    scores = {scaled}
    weights = {weights}
    context = {context}
    return context, weights
"""
    )


def _ad(
    act="np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)",
    scores="act @ va",
    weights="masked_softmax(scores, mask, axis=1)",
    context="np.einsum('nt,nth->nh', weights, h)",
):
    return (
        _AD
        + f"""\
    act = {act}
    scores = {scores}
    weights = {weights}
    context = {context}
    return context, weights
"""
    )


BUGS = [
    # -------------------------------------------------------------- masked_softmax
    Entry(
        "masked_softmax",
        "mask ignored",
        _MS
        + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="the mask is ignored: masked positions must get weight exactly 0",
    ),
    Entry(
        "masked_softmax",
        "softmax first, then multiplied by the mask (not renormalised)",
        _MS
        + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return p if mask is None else p * mask
""",
        why="the mask is applied after the softmax, so the kept weights no longer sum to 1: leave masked scores out before normalising",
    ),
    Entry(
        "masked_softmax",
        "softmax over everything, masked and renormalised: a huge masked score swamps the rest",
        _MS
        + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    if mask is None:
        return p
    p = p * mask
    s = p.sum(axis=axis, keepdims=True)
    return np.where(s > 0, p / np.where(s > 0, s, 1), 0)
""",
        why="masking after a softmax over all positions lets a huge masked score push the kept weights to 0: leave masked scores out before exp",
    ),
    Entry(
        "masked_softmax",
        "masked scores set to 0 instead of excluded",
        _MS
        + """\
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="masked scores are set to 0, which still gets weight; exclude masked positions entirely",
    ),
    Entry(
        "masked_softmax",
        "no max subtraction: exp overflows for large scores",
        _MS
        + """\
    e = np.exp(scores)
    if mask is not None:
        e = e * mask
    s = e.sum(axis=axis, keepdims=True)
    return e / np.where(s > 0, s, 1)
""",
        why="exp overflows for large scores: subtract the largest kept score along the axis first",
    ),
    Entry(
        "masked_softmax",
        "-inf fill: nan for a row with nothing kept",
        _MS
        + """\
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="filling masked scores with -inf gives nan (0/0) in a row where nothing is kept; such a row must be all zeros",
    ),
    Entry(
        "masked_softmax",
        "-1e9 fill: a row with nothing kept gets uniform weights",
        _MS
        + """\
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="filling with -1e9 gives a row where nothing is kept uniform weights; such a row must be all zeros",
    ),
    Entry(
        "masked_softmax",
        "axis argument ignored (always the last axis)",
        _MS
        + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
""",
        why="the axis argument is ignored: normalise along `axis`",
    ),
    Entry(
        "masked_softmax",
        "shift by the maximum of the whole array, not per row",
        _MS
        + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    e = np.where(keep, np.exp(scores - scores.max()), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
""",
        why="the whole array's maximum is subtracted; a row far below it underflows to 0: shift each row by its own largest kept score",
    ),
    Entry(
        "masked_softmax",
        "mask read the wrong way round (True = drop)",
        _MS
        + """\
    keep = np.ones(scores.shape, dtype=bool) if mask is None else ~mask
    m = np.max(np.where(keep, scores, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)
""",
        why="the mask is read the wrong way round: True means keep",
    ),
    # -------------------------------------------------------- dot_product_attention
    Entry(
        "dot_product_attention",
        "scores not scaled",
        _dp(scaled="scores"),
        why="the scores are not scaled: with scale=True divide them by sqrt(Hk)",
    ),
    Entry(
        "dot_product_attention",
        "scaled by Hk instead of sqrt(Hk)",
        _dp(scaled="scores / query.shape[1] if scale else scores"),
        why="the scores are divided by Hk; scaled dot-product attention divides by sqrt(Hk)",
    ),
    Entry(
        "dot_product_attention",
        "scaled by sqrt(T) instead of sqrt(Hk)",
        _dp(scaled="scores / np.sqrt(keys.shape[1]) if scale else scores"),
        why="the scores are divided by sqrt(T); divide by the square root of the key size Hk",
    ),
    Entry(
        "dot_product_attention",
        "scaled by sqrt(Hv) instead of sqrt(Hk)",
        _dp(scaled="scores / np.sqrt(values.shape[2]) if scale else scores"),
        why="the scores are divided by sqrt(Hv); divide by the square root of the key size Hk",
    ),
    Entry(
        "dot_product_attention",
        "scaled even when scale=False",
        _dp(scaled="scores / np.sqrt(query.shape[1])"),
        why="the scores are scaled even when scale=False",
    ),
    Entry(
        "dot_product_attention",
        "softmax over the batch axis",
        _dp(weights="masked_softmax(scores, mask, axis=0)"),
        why="softmax over the batch axis: each query's weights are normalised over its T positions (axis 1)",
    ),
    Entry(
        "dot_product_attention",
        "mask ignored",
        _dp(weights="masked_softmax(scores, None, axis=1)"),
        why="the mask is not passed on: masked positions must get weight 0",
    ),
    Entry(
        "dot_product_attention",
        "context sums the keys instead of the values",
        _dp(context="np.einsum('nt,ntk->nk', weights, keys)"),
        why="the context averages the keys; it is the weighted sum of the values",
    ),
    Entry(
        "dot_product_attention",
        "weights not normalised (exp of the scores)",
        _dp(weights="np.where(mask, np.exp(scores), 0.0) if mask is not None else np.exp(scores)"),
        why="the weights are exponentials that do not sum to 1: normalise them with the masked softmax",
    ),
    # ----------------------------------------------------------- additive_attention
    Entry(
        "additive_attention",
        "tanh forgotten",
        _ad(act="(s_prev @ Wa)[:, None, :] + h @ Ua"),
        why="the tanh is missing: the score is va . tanh(s_prev Wa + h_t Ua)",
    ),
    Entry(
        "additive_attention",
        "sigmoid instead of tanh",
        _ad(act="1 / (1 + np.exp(-((s_prev @ Wa)[:, None, :] + h @ Ua)))"),
        why="a sigmoid is used; additive attention squashes with tanh",
    ),
    Entry(
        "additive_attention",
        "va applied before the tanh",
        _ad(act="(s_prev @ Wa)[:, None, :] + h @ Ua", scores="np.tanh(act @ va)"),
        why="va is applied before the tanh; tanh comes first, then the product with va",
    ),
    Entry(
        "additive_attention",
        "softmax over the batch axis",
        _ad(weights="masked_softmax(scores, mask, axis=0)"),
        why="softmax over the batch axis: the weights are normalised over the T encoder positions (axis 1)",
    ),
    Entry(
        "additive_attention",
        "mask ignored",
        _ad(weights="masked_softmax(scores, None, axis=1)"),
        why="the mask is not passed on: masked positions must get weight 0",
    ),
    Entry(
        "additive_attention",
        "Wa and Ua swapped",
        _ad(act="np.tanh((s_prev @ Ua)[:, None, :] + h @ Wa)"),
        why="Wa and Ua are swapped: Wa projects the decoder state s_prev, Ua the encoder states h",
    ),
    Entry(
        "additive_attention",
        "decoder state left out of the scores",
        _ad(act="np.tanh(h @ Ua)"),
        why="the decoder state s_prev is left out of the scores: they depend on s_prev Wa",
    ),
    Entry(
        "additive_attention",
        "returns the raw scores as weights",
        _ad(context="np.einsum('nt,nth->nh', masked_softmax(scores, mask, axis=1), h)", weights="scores"),
        why="the raw scores are returned as weights; return the normalised (masked softmax) weights",
    ),
    Entry(
        "additive_attention",
        "context is the plain average of the encoder states",
        _ad(context="h.mean(axis=1)"),
        why="the context is the plain average of the encoder states; weight each h_t by its attention weight",
    ),
]

VARIANTS = [
    # -------------------------------------------------------------- masked_softmax
    Entry(
        "masked_softmax",
        "-inf fill, empty slices repaired with nan_to_num",
        _MS
        + """\
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    m = scores.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(scores - np.where(np.isneginf(m), 0, m))
        p = e / e.sum(axis=axis, keepdims=True)
    return np.nan_to_num(p, nan=0.0)
""",
    ),
    Entry(
        "masked_softmax",
        "moves the axis last, loops over rows",
        _MS
        + """\
    s = np.moveaxis(scores, axis, -1)
    k = np.ones(s.shape, dtype=bool) if mask is None else np.moveaxis(mask, axis, -1)
    out = np.zeros(s.shape, dtype=np.result_type(scores, 1.0))
    for idx in np.ndindex(s.shape[:-1]):
        row, keep = s[idx], k[idx]
        if keep.any():
            e = np.exp(row[keep] - row[keep].max())
            out[idx + (keep,)] = e / e.sum()
    return np.moveaxis(out, -1, axis)
""",
    ),
    Entry(
        "masked_softmax",
        "mask as 0/1 factors, np.divide with where=",
        _MS
        + """\
    keep = np.ones_like(scores) if mask is None else mask.astype(scores.dtype)
    shift = np.max(np.where(keep > 0, scores, -np.inf), axis=axis, keepdims=True)
    shift[~np.isfinite(shift)] = 0
    e = np.exp(np.minimum(scores - shift, 0)) * keep
    total = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)
""",
    ),
    Entry(
        "masked_softmax",
        "float32 in, float32 out",
        _MS
        + """\
    dt = scores.dtype
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(dt)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0).astype(dt)
    total = e.sum(axis=axis, keepdims=True)
    return (e / np.where(total > 0, total, 1)).astype(dt)
""",
    ),
    # -------------------------------------------------------- dot_product_attention
    Entry(
        "dot_product_attention",
        "batched matmul with new axes",
        _DP
        + """\
    Hk = query.shape[-1]
    scores = (keys @ query[:, :, None])[:, :, 0]        # (N, T)
    if scale:
        scores = scores * (1.0 / Hk ** 0.5)
    weights = masked_softmax(scores, mask)
    context = (weights[:, None, :] @ values)[:, 0, :]
    return context, weights
""",
    ),
    Entry(
        "dot_product_attention",
        "query scaled before the product; broadcasting and sums",
        _DP
        + """\
    q = query / np.sqrt(query.shape[1]) if scale else query
    scores = np.sum(q[:, None, :] * keys, axis=2)
    weights = masked_softmax(scores, mask, axis=-1)
    return np.sum(weights[:, :, None] * values, axis=1), weights
""",
    ),
    Entry(
        "dot_product_attention",
        "one example at a time",
        _DP
        + """\
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
""",
    ),
    # ----------------------------------------------------------- additive_attention
    Entry(
        "additive_attention",
        "einsum throughout",
        _AD
        + """\
    act = np.tanh(np.einsum("ns,sa->na", s_prev, Wa)[:, None] + np.einsum("nth,ha->nta", h, Ua))
    weights = masked_softmax(np.einsum("nta,a->nt", act, va), mask)
    return np.einsum("nt,nth->nh", weights, h), weights
""",
    ),
    Entry(
        "additive_attention",
        "a loop over positions t",
        _AD
        + """\
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
""",
    ),
    Entry(
        "additive_attention",
        "tensordot and np.newaxis",
        _AD
        + """\
    keys = np.tensordot(h, Ua, axes=([2], [0]))         # (N, T, A)
    q = np.dot(s_prev, Wa)[:, np.newaxis, :]
    scores = np.tensordot(np.tanh(q + keys), va, axes=([2], [0]))
    weights = masked_softmax(scores, mask, axis=1)
    return (weights[..., np.newaxis] * h).sum(axis=1), weights
""",
    ),
    # Composite functions written without their callees (or pairing an inlined
    # forward with a called step backward): full marks, whatever the callees do.
    Entry(
        "dot_product_attention",
        "masked softmax written inline",
        _DP
        + """\
    scores = np.einsum("nk,ntk->nt", query, keys)
    if scale:
        scores = scores / np.sqrt(query.shape[1])
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)               # a row with nothing kept
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=1, keepdims=True)
    weights = e / np.where(total > 0, total, 1.0)
    return np.einsum("nt,ntv->nv", weights, values), weights
""",
    ),
    Entry(
        "dot_product_attention",
        "one example at a time, softmax over the kept positions written out",
        _DP
        + """\
    N, T, _ = keys.shape
    weights = np.zeros((N, T))
    for n in range(N):
        s = keys[n] @ query[n]
        if scale:
            s = s / np.sqrt(query.shape[1])
        kept = np.ones(T, dtype=bool) if mask is None else mask[n]
        if kept.any():
            e = np.exp(s[kept] - s[kept].max())
            weights[n, kept] = e / e.sum()
    return np.einsum("nt,ntv->nv", weights, values), weights
""",
    ),
    Entry(
        "dot_product_attention",
        "-inf fill, empty rows repaired with nan_to_num, softmax inline",
        _DP
        + """\
    scores = (keys @ query[:, :, None])[:, :, 0]
    if scale:
        scores = scores / np.sqrt(keys.shape[2])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights = np.nan_to_num(e / e.sum(axis=1, keepdims=True), nan=0.0)
    return (weights[:, :, None] * values).sum(axis=1), weights
""",
    ),
    Entry(
        "additive_attention",
        "masked softmax written inline",
        _AD
        + """\
    act = np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)  # (N, T, A)
    scores = act @ va                                   # (N, T)
    keep = np.ones(scores.shape, dtype=bool) if mask is None else mask
    m = np.max(np.where(keep, scores, -np.inf), axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(keep, np.exp(np.where(keep, scores, m) - m), 0.0)
    total = e.sum(axis=1, keepdims=True)
    weights = e / np.where(total > 0, total, 1.0)
    return np.einsum("nt,nth->nh", weights, h), weights
""",
    ),
    Entry(
        "additive_attention",
        "one example at a time, softmax over the kept positions written out",
        _AD
        + """\
    N, T, _ = h.shape
    weights = np.zeros((N, T))
    for n in range(N):
        s = np.tanh(s_prev[n] @ Wa + h[n] @ Ua) @ va   # (T,)
        kept = np.ones(T, dtype=bool) if mask is None else mask[n]
        if kept.any():
            e = np.exp(s[kept] - s[kept].max())
            weights[n, kept] = e / e.sum()
    return np.einsum("nt,nth->nh", weights, h), weights
""",
    ),
    Entry(
        "additive_attention",
        "-inf fill, empty rows repaired with nan_to_num, softmax inline",
        _AD
        + """\
    scores = np.tanh(np.einsum("ns,sa->na", s_prev, Wa)[:, None] + np.einsum("nth,ha->nta", h, Ua)) @ va
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights = np.nan_to_num(e / e.sum(axis=1, keepdims=True), nan=0.0)
    return (weights[..., None] * h).sum(axis=1), weights
""",
    ),
]
