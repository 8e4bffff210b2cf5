"""Plausible mistakes and correct variants for assignment 04_attention.

Each source replaces the whole solution cell named by `function`; the other
solution cells of the notebook stay correct (dot_product_attention and
additive_attention entries call the notebook's masked_softmax; the entries of
the attention backwards call masked_softmax_backward and masked_softmax or the
forward, to recompute the weights, since the forwards keep no cache).
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


_MSB = "def masked_softmax_backward(dprobs, probs, axis=-1):\n"
_DPB = "def dot_product_attention_backward(dcontext, query, keys, values, mask=None, scale=True, dweights=None):\n"
_ADB = "def additive_attention_backward(dcontext, s_prev, h, Wa, Ua, va, mask=None, dweights=None):\n"


def _dpb(
    mask="mask",
    c="1 / np.sqrt(query.shape[1]) if scale else 1.0",
    dvalues="weights[:, :, None] * dcontext[:, None, :]",
    dw_plus="dw + dweights",
    dscores="masked_softmax_backward(dw, weights, axis=1) * c",
):
    """The solution's dot_product_attention_backward with one line changed."""
    return (
        _DPB
        + f"""\
    _, weights = dot_product_attention(query, keys, values, {mask}, scale)
    c = {c}
    dvalues = {dvalues}
    dw = np.einsum("nv,ntv->nt", dcontext, values)
    if dweights is not None:
        dw = {dw_plus}
    dscores = {dscores}
    dquery = np.einsum("nt,ntk->nk", dscores, keys)
    dkeys = dscores[:, :, None] * query[:, None, :]
    return dquery, dkeys, dvalues
"""
    )


def _adb(
    mask="mask",
    dw_plus="dw + dweights",
    dva="np.einsum('nt,nta->a', de, act)",
    dz="de[:, :, None] * va * (1 - act**2)",
    dz_s="dz.sum(axis=1)",
    dh_total="dh + dz @ Ua.T",
):
    """The solution's additive_attention_backward with one line changed."""
    return (
        _ADB
        + f"""\
    act = np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)
    weights = masked_softmax(act @ va, {mask}, axis=1)
    dh = weights[:, :, None] * dcontext[:, None, :]
    dw = np.einsum("nh,nth->nt", dcontext, h)
    if dweights is not None:
        dw = {dw_plus}
    de = masked_softmax_backward(dw, weights, axis=1)
    dva = {dva}
    dz = {dz}
    dz_s = {dz_s}
    ds_prev = dz_s @ Wa.T
    dWa = s_prev.T @ dz_s
    dUa = np.einsum("nth,nta->ha", h, dz)
    dh = {dh_total}
    return ds_prev, dh, dWa, dUa, dva
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
    # ----------------------------------------------------- masked_softmax_backward
    Entry(
        "masked_softmax_backward",
        "only the diagonal of the Jacobian: probs * dprobs",
        _MSB + "    return probs * dprobs\n",
        why="only the diagonal of the softmax's Jacobian is used: each probability also depends on the other scores of its slice through the shared normaliser",
    ),
    Entry(
        "masked_softmax_backward",
        "sigmoid's derivative p(1 - p) used elementwise",
        _MSB + "    return probs * (1 - probs) * dprobs\n",
        why="p(1 - p) is the derivative of one sigmoid output with respect to its own input; a softmax output depends on every score of its slice",
    ),
    Entry(
        "masked_softmax_backward",
        "the factor probs left out",
        _MSB + "    return dprobs - np.sum(dprobs * probs, axis=axis, keepdims=True)\n",
        why="the factor probs is missing: without it masked positions and empty slices get a gradient, and the kept ones are scaled wrongly",
    ),
    Entry(
        "masked_softmax_backward",
        "the two terms with their signs flipped",
        _MSB + "    return probs * (np.sum(dprobs * probs, axis=axis, keepdims=True) - dprobs)\n",
        why="the gradient has the wrong sign: check the sign of each term of your derivative against centred differences",
    ),
    Entry(
        "masked_softmax_backward",
        "the coupling sum not weighted by the probabilities",
        _MSB + "    return probs * (dprobs - np.sum(dprobs, axis=axis, keepdims=True))\n",
        why="the sum over the slice is not weighted by the probabilities: in the chain rule each dprobs term comes with the derivative of its own probability",
    ),
    Entry(
        "masked_softmax_backward",
        "axis argument ignored (always the last axis)",
        _MSB + "    return probs * (dprobs - np.sum(dprobs * probs, axis=-1, keepdims=True))\n",
        why="the axis argument is ignored: the slices the softmax normalised are along `axis`",
    ),
    Entry(
        "masked_softmax_backward",
        "the sum taken over the whole array",
        _MSB + "    return probs * (dprobs - np.sum(dprobs * probs))\n",
        why="the sum runs over the whole array: a score only affects the probabilities of its own slice, so sum per slice along `axis` (keepdims=True)",
    ),
    Entry(
        "masked_softmax_backward",
        "a mean over the slice instead of a sum",
        _MSB + "    return probs * (dprobs - np.mean(dprobs * probs, axis=axis, keepdims=True))\n",
        why="a mean over the slice is used where the chain rule gives a sum over it",
    ),
    # ---------------------------------------------- dot_product_attention_backward
    Entry(
        "dot_product_attention_backward",
        "the scale left out of the backward",
        _dpb(c="1.0"),
        why="the scale is missing in the backward: the forward multiplied the scores by 1/sqrt(Hk), so their gradient carries that factor too",
    ),
    Entry(
        "dot_product_attention_backward",
        "scaled even when scale=False",
        _dpb(c="1 / np.sqrt(query.shape[1])"),
        why="the gradient is scaled even when scale=False: the factor belongs in the backward only when the forward used it",
    ),
    Entry(
        "dot_product_attention_backward",
        "multiplied by sqrt(Hk) instead of dividing",
        _dpb(c="np.sqrt(query.shape[1]) if scale else 1.0"),
        why="the gradient is multiplied by sqrt(Hk); the forward divided the scores by sqrt(Hk), and the backward uses the same factor",
    ),
    Entry(
        "dot_product_attention_backward",
        "weights recomputed without the mask",
        _dpb(mask="None"),
        why="the weights are recomputed without the mask: pass the same mask to the forward, so that masked positions have weight, and gradient, 0",
    ),
    Entry(
        "dot_product_attention_backward",
        "dweights ignored",
        _dpb(dw_plus="dw"),
        why="dweights is ignored: when it is given, the weights receive gradient along two paths (the context and dweights), and the two add",
    ),
    Entry(
        "dot_product_attention_backward",
        "the softmax skipped in the backward",
        _dpb(dscores="dw * c"),
        why="the softmax is skipped in the backward: the gradient of the weights must go through masked_softmax_backward to become that of the scores",
    ),
    Entry(
        "dot_product_attention_backward",
        "every value gets the whole dcontext",
        _dpb(dvalues="np.broadcast_to(dcontext[:, None, :], values.shape).copy()"),
        why="every value gets the whole dcontext: each value enters the context multiplied by its weight, so its gradient is scaled by that weight",
    ),
    Entry(
        "dot_product_attention_backward",
        "softmax backward along the batch axis",
        _dpb(dscores="masked_softmax_backward(dw, weights, axis=0) * c"),
        why="the softmax backward runs along the batch axis: the weights were normalised over the T positions (axis 1)",
    ),
    # ------------------------------------------------- additive_attention_backward
    Entry(
        "additive_attention_backward",
        "the tanh skipped in the backward",
        _adb(dz="de[:, :, None] * va"),
        why="the tanh is skipped in the backward: multiply by its derivative, written with the activations you recomputed",
    ),
    Entry(
        "additive_attention_backward",
        "tanh derivative taken as 1 - tanh",
        _adb(dz="de[:, :, None] * va * (1 - act)"),
        why="the derivative of tanh is wrong: differentiate tanh(z) and write the result with tanh(z) itself",
    ),
    Entry(
        "additive_attention_backward",
        "dh misses the path through the context",
        _adb(dh_total="dz @ Ua.T"),
        why="dh misses the path through the context: h is also the values, so each h_t gets its weight times dcontext as well",
    ),
    Entry(
        "additive_attention_backward",
        "dh misses the path through the scores",
        _adb(dh_total="dh"),
        why="dh misses the path through the scores: h_t also enters its score through Ua, and the gradients of the two paths add",
    ),
    Entry(
        "additive_attention_backward",
        "s_prev's gradient averaged over the positions",
        _adb(dz_s="dz.mean(axis=1)"),
        why="the gradients of s_prev and Wa average over the positions: s_prev feeds the score of every position, so they collect the sum",
    ),
    Entry(
        "additive_attention_backward",
        "dweights ignored",
        _adb(dw_plus="dw"),
        why="dweights is ignored: when it is given, the weights receive gradient along two paths (the context and dweights), and the two add",
    ),
    Entry(
        "additive_attention_backward",
        "weights recomputed without the mask",
        _adb(mask="None"),
        why="the weights are recomputed without the mask: use the same mask as the forward, so that masked positions have weight, and gradient, 0",
    ),
    Entry(
        "additive_attention_backward",
        "dva from the pre-activations",
        _adb(dva="np.einsum('nt,nta->a', de, (s_prev @ Wa)[:, None, :] + h @ Ua)"),
        why="dva uses the values before the tanh: the score is va . tanh(...), so va's gradient collects the activations after it",
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
    # ----------------------------------------------------- masked_softmax_backward
    Entry(
        "masked_softmax_backward",
        "g = p * dp, then g - p * sum(g)",
        _MSB
        + """\
    g = probs * dprobs
    return g - probs * g.sum(axis=axis, keepdims=True)
""",
    ),
    Entry(
        "masked_softmax_backward",
        "the Jacobian diag(p) - p p^T built per slice",
        _MSB
        + """\
    p = np.moveaxis(probs, axis, -1)
    d = np.moveaxis(dprobs, axis, -1)
    jac = p[..., :, None] * (np.eye(p.shape[-1]) - p[..., None, :])  # J[t, u] = p_t (delta_tu - p_u)
    return np.moveaxis(np.einsum("...tu,...t->...u", jac, d), -1, axis)
""",
    ),
    Entry(
        "masked_softmax_backward",
        "the axis moved last, a loop over slices",
        _MSB
        + """\
    p = np.moveaxis(probs, axis, -1)
    d = np.moveaxis(dprobs, axis, -1)
    out = np.zeros(p.shape, dtype=np.result_type(p, d))
    for idx in np.ndindex(p.shape[:-1]):
        out[idx] = p[idx] * (d[idx] - d[idx] @ p[idx])
    return np.moveaxis(out, -1, axis)
""",
    ),
    # ---------------------------------------------- dot_product_attention_backward
    Entry(
        "dot_product_attention_backward",
        "one example at a time, softmax and its Jacobian written out",
        _DPB
        + """\
    N, T, Hk = keys.shape
    c = 1 / np.sqrt(Hk) if scale else 1.0
    dquery, dkeys, dvalues = np.zeros(query.shape), np.zeros(keys.shape), np.zeros(values.shape)
    for n in range(N):
        kept = np.ones(T, dtype=bool) if mask is None else mask[n]
        if not kept.any():
            continue  # nothing attended: no gradient
        s = c * (keys[n] @ query[n])
        e = np.exp(s[kept] - s[kept].max())
        w = np.zeros(T)
        w[kept] = e / e.sum()
        dvalues[n] = np.outer(w, dcontext[n])
        dw = values[n] @ dcontext[n] + (0 if dweights is None else dweights[n])
        ds = c * ((np.diag(w) - np.outer(w, w)) @ dw)
        dquery[n] = ds @ keys[n]
        dkeys[n] = np.outer(ds, query[n])
    return dquery, dkeys, dvalues
""",
    ),
    Entry(
        "dot_product_attention_backward",
        "the scale folded into the query, softmax backward inline",
        _DPB
        + """\
    c = 1 / np.sqrt(query.shape[1]) if scale else 1.0
    q = query * c
    weights = masked_softmax(np.einsum("nk,ntk->nt", q, keys), mask, axis=1)
    dvalues = np.einsum("nt,nv->ntv", weights, dcontext)
    dw = (values @ dcontext[:, :, None])[:, :, 0]
    if dweights is not None:
        dw = dw + dweights
    g = weights * dw
    dscores = g - weights * g.sum(axis=1, keepdims=True)
    dquery = c * np.einsum("nt,ntk->nk", dscores, keys)
    dkeys = dscores[:, :, None] * q[:, None, :]
    return dquery, dkeys, dvalues
""",
    ),
    Entry(
        "dot_product_attention_backward",
        "batched matrix products, scale applied after the softmax backward",
        _DPB
        + """\
    _, weights = dot_product_attention(query, keys, values, mask=mask, scale=scale)
    dvalues = weights[..., None] @ dcontext[:, None, :]          # (N, T, 1) @ (N, 1, Hv)
    dw = np.squeeze(values @ dcontext[..., None], -1)
    if dweights is not None:
        dw = dw + dweights
    dscores = masked_softmax_backward(dw, weights, axis=-1)
    if scale:
        dscores = dscores / np.sqrt(query.shape[-1])
    dquery = np.squeeze(dscores[:, None, :] @ keys, 1)
    dkeys = dscores[..., None] * query[:, None, :]
    return dquery, dkeys, dvalues
""",
    ),
    # ------------------------------------------------- additive_attention_backward
    Entry(
        "additive_attention_backward",
        "one example at a time, softmax and its Jacobian written out",
        _ADB
        + """\
    N, T, H = h.shape
    ds_prev, dh = np.zeros(s_prev.shape), np.zeros(h.shape)
    dWa, dUa, dva = np.zeros(Wa.shape), np.zeros(Ua.shape), np.zeros(va.shape)
    for n in range(N):
        kept = np.ones(T, dtype=bool) if mask is None else mask[n]
        if not kept.any():
            continue  # nothing attended: no gradient
        a = np.tanh(s_prev[n] @ Wa + h[n] @ Ua)  # (T, A)
        e = a @ va
        x = np.exp(e[kept] - e[kept].max())
        w = np.zeros(T)
        w[kept] = x / x.sum()
        dw = h[n] @ dcontext[n] + (0 if dweights is None else dweights[n])
        de = (np.diag(w) - np.outer(w, w)) @ dw
        dva += a.T @ de
        dz = np.outer(de, va) * (1 - a * a)  # (T, A)
        ds_prev[n] = Wa @ dz.sum(axis=0)
        dWa += np.outer(s_prev[n], dz.sum(axis=0))
        dUa += h[n].T @ dz
        dh[n] = np.outer(w, dcontext[n]) + dz @ Ua.T
    return ds_prev, dh, dWa, dUa, dva
""",
    ),
    Entry(
        "additive_attention_backward",
        "weights from the forward, softmax backward inline, tensordot",
        _ADB
        + """\
    _, weights = additive_attention(s_prev, h, Wa, Ua, va, mask)
    act = np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)
    dw = np.einsum("nh,nth->nt", dcontext, h) + (0.0 if dweights is None else dweights)
    g = weights * dw
    de = g - weights * g.sum(axis=1, keepdims=True)
    dz = de[..., None] * va * (1 - np.square(act))
    dva = np.tensordot(de, act, axes=([0, 1], [0, 1]))
    ds_prev = dz.sum(axis=1) @ Wa.T
    dWa = np.tensordot(s_prev, dz.sum(axis=1), axes=([0], [0]))
    dUa = np.tensordot(h, dz, axes=([0, 1], [0, 1]))
    dh = weights[..., None] * dcontext[:, None, :] + dz @ Ua.T
    return ds_prev, dh, dWa, dUa, dva
""",
    ),
    Entry(
        "additive_attention_backward",
        "[s_prev, h_t] concatenated against stacked [Wa; Ua]",
        _ADB
        + """\
    N, T, H = h.shape
    S = s_prev.shape[1]
    x = np.concatenate([np.repeat(s_prev[:, None, :], T, axis=1), h], axis=2)  # (N, T, S + H)
    W = np.concatenate([Wa, Ua], axis=0)  # (S + H, A)
    act = np.tanh(x @ W)
    weights = masked_softmax(act @ va, mask, axis=1)
    dw = np.einsum("nh,nth->nt", dcontext, h)
    if dweights is not None:
        dw = dw + dweights
    de = masked_softmax_backward(dw, weights, axis=1)
    dz = de[:, :, None] * va * (1 - act**2)
    dx = dz @ W.T  # (N, T, S + H)
    dW = np.einsum("ntx,nta->xa", x, dz)
    dva = np.einsum("nt,nta->a", de, act)
    ds_prev = dx[:, :, :S].sum(axis=1)
    dh = weights[:, :, None] * dcontext[:, None, :] + dx[:, :, S:]
    return ds_prev, dh, dW[:S], dW[S:], dva
""",
    ),
]


# ======================================================================================
# Decoding: attention_decoder_step, greedy_decode, beam_search (section 7 of the notebook).
# Kept in one block of their own, added to BUGS and VARIANTS at the end of this module.

_STEP = "def attention_decoder_step(y_prev, s_prev, h, params, mask=None):\n"
_GREEDY = "def greedy_decode(step_fn, start, end, max_len):\n"
_BEAM = "def beam_search(step_fn, start, end, beam_width, max_len):\n"


def _step(
    attend="context, weights = additive_attention(s_prev, h, p['Wa'], p['Ua'], p['va'], mask)",
    x="np.concatenate([p['W_embed'][y_prev], context], axis=1)",
    readout="np.concatenate([s_next, context], axis=1) @ p['W_out'] + p['b_out']",
    log_probs="shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
    shift="scores - scores.max(axis=1, keepdims=True)",
):
    return (
        _STEP
        + f"""\
    p = params
    {attend}
    x = {x}
    s_next = np.tanh(x @ p['Wx'] + s_prev @ p['Ws'] + p['b'])
    scores = {readout}
    shifted = {shift}
    log_probs = {log_probs}
    return log_probs, s_next, weights
"""
    )


def _greedy(
    choose="int(np.argmax(log_probs))",
    call="step_fn(state, token)",
    loop="len(tokens) < max_len",
    after="tokens.append(token)\n        if token == end:\n            break",
    tokens="[]",
):
    return (
        _GREEDY
        + f"""\
    tokens, state, token = {tokens}, None, start
    while {loop}:
        log_probs, state = {call}
        token = {choose}
        {after}
    return tokens
"""
    )


def _beam(
    score="log_prob + float(lp)",
    finished="v == end or len(new) == max_len",
    key="lambda c: (-c[0], c[1])",
    reverse="False",
):
    return (
        _BEAM
        + f"""\
    beam = [(0.0, [], None, False)]
    while not all(c[3] for c in beam):
        candidates = []
        for log_prob, tokens, state, finished in beam:
            if finished:
                candidates.append((log_prob, tokens, state, True))
                continue
            log_probs, new_state = step_fn(state, tokens[-1] if tokens else start)
            for v, lp in enumerate(log_probs):
                new = tokens + [v]
                candidates.append(({score}, new, new_state, {finished}))
        beam = sorted(candidates, key={key}, reverse={reverse})[:beam_width]
    return beam[0][1], float(beam[0][0])
"""
    )


_DECODING_BUGS = [
    # ------------------------------------------------------- attention_decoder_step
    Entry(
        "attention_decoder_step",
        "attends from the new state (state updated first without the context)",
        _STEP
        + """\
    p = params
    E = p['W_embed'].shape[1]
    s_next = np.tanh(p['W_embed'][y_prev] @ p['Wx'][:E] + s_prev @ p['Ws'] + p['b'])
    context, weights = additive_attention(s_next, h, p['Wa'], p['Ua'], p['va'], mask)
    scores = np.concatenate([s_next, context], axis=1) @ p['W_out'] + p['b_out']
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)), s_next, weights
""",
        why="attention must read s_prev, the state before this step, and its context goes into the "
        "recurrence: attend first, then update the state",
    ),
    Entry(
        "attention_decoder_step",
        "probabilities returned instead of log-probabilities",
        _step(log_probs="np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)"),
        why="log_probs holds probabilities, not their logarithms: return log-probabilities (0 or less, "
        "exp of a row sums to 1)",
    ),
    Entry(
        "attention_decoder_step",
        "raw scores returned (no log-softmax)",
        _step(log_probs="scores"),
        why="the scores are not normalised: log_probs must be log-probabilities, so subtract the log of "
        "the sum of the exponentials of each row",
    ),
    Entry(
        "attention_decoder_step",
        "log-softmax without the shift: overflows for large scores",
        _step(shift="scores"),
        why="exp of scores of size 1000 overflows: subtract each row's largest score before exponentiating "
        "(it changes nothing in the result)",
    ),
    Entry(
        "attention_decoder_step",
        "log of the softmax: underflows to -inf",
        _step(log_probs="np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))"),
        why="np.log of a probability that underflowed to 0 gives -inf: compute the log-probabilities from "
        "the shifted scores directly (shifted score minus the log of the sum of exps)",
    ),
    Entry(
        "attention_decoder_step",
        "readout without the context",
        _step(readout="s_next @ p['W_out'][:s_next.shape[1]] + p['b_out']"),
        why="the readout must see the context as well as the new state: join [s_next, context] before "
        "W_out (S + H rows)",
    ),
    Entry(
        "attention_decoder_step",
        "recurrence input joined as [context, embedding]",
        _step(x="np.concatenate([context, p['W_embed'][y_prev]], axis=1)"),
        why="the recurrence reads [embedding, context] in that order: the first E rows of Wx belong to the "
        "embedding",
    ),
    Entry(
        "attention_decoder_step",
        "mask not passed to the attention",
        _step(attend="context, weights = additive_attention(s_prev, h, p['Wa'], p['Ua'], p['va'])"),
        why="the mask is not passed on to the attention: padding positions must get weight 0",
    ),
    Entry(
        "attention_decoder_step",
        "log-softmax over the batch axis",
        _step(
            shift="scores - scores.max(axis=0, keepdims=True)",
            log_probs="shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))",
        ),
        why="normalise each row over the V tokens (axis 1), not each token over the batch (axis 0)",
    ),
    # ----------------------------------------------------------------- greedy_decode
    Entry(
        "greedy_decode",
        "a tie goes to the largest index (last of a stable argsort)",
        _greedy(choose="int(np.argsort(log_probs, kind='stable')[-1])"),
        why="on a tie the smallest token index must win, as np.argmax gives it; the last of a sort is the "
        "largest index",
    ),
    Entry(
        "greedy_decode",
        "end not included in the result",
        _greedy(after="if token == end:\n            break\n        tokens.append(token)"),
        why="end belongs in the result when it is produced (as the last token): append it, then stop",
    ),
    Entry(
        "greedy_decode",
        "start included in the result",
        _greedy(tokens="[start]", loop="len(tokens) < max_len + 1"),
        why="the result must not include start: it is only fed to the first call of step_fn",
    ),
    Entry(
        "greedy_decode",
        "does not stop at end",
        _greedy(after="tokens.append(token)"),
        why="stop as soon as end is produced: a sequence ends with its first end",
    ),
    Entry(
        "greedy_decode",
        "the state is not passed on (always None)",
        _greedy(call="step_fn(None, token)[0], None"),
        why="pass each call of step_fn the state the previous call returned (None only at the first call)",
    ),
    Entry(
        "greedy_decode",
        "one token too many (max_len + 1)",
        _greedy(loop="len(tokens) <= max_len"),
        why="a sequence has at most max_len tokens, end counted: stop when it has max_len",
    ),
    Entry(
        "greedy_decode",
        "start fed at every step",
        _greedy(call="step_fn(state, start)"),
        why="feed each step the token just chosen; start is only the first input",
    ),
    # ------------------------------------------------------------------- beam_search
    Entry(
        "beam_search",
        "probabilities summed instead of log-probabilities",
        _beam(score="log_prob + float(np.exp(lp))"),
        why="a hypothesis's score is the sum of the log-probabilities of its tokens (the log of the "
        "product of probabilities), not a sum of probabilities",
    ),
    Entry(
        "beam_search",
        "ranked by log-probability per token (length-normalised)",
        _beam(key="lambda c: (-c[0] / len(c[1]), c[1])"),
        why="rank hypotheses by their total log-probability; dividing by the length is a length penalty "
        "this search does not use",
    ),
    Entry(
        "beam_search",
        "a tie goes to the larger token list (reverse sort)",
        _beam(key="lambda c: (c[0], c[1])", reverse="True"),
        why="on equal log-probabilities the smaller token list must come first: sorting in reverse "
        "reverses the tie-break too",
    ),
    Entry(
        "beam_search",
        "a hypothesis is not finished at max_len",
        _beam(finished="v == end"),
        why="a hypothesis with max_len tokens is finished even without end: stop extending it",
    ),
    Entry(
        "beam_search",
        "a finished hypothesis is extended past end",
        _BEAM
        + """\
    beam = [(0.0, [], None)]
    for _ in range(max_len):
        candidates = []
        for log_prob, tokens, state in beam:
            log_probs, new_state = step_fn(state, tokens[-1] if tokens else start)
            for v, lp in enumerate(log_probs):
                candidates.append((log_prob + float(lp), tokens + [v], new_state))
        beam = sorted(candidates, key=lambda c: (-c[0], c[1]))[:beam_width]
    return beam[0][1], float(beam[0][0])
""",
        why="a hypothesis that produced end is finished: carry it over unchanged instead of extending it",
    ),
    Entry(
        "beam_search",
        "returns the probability instead of the log-probability",
        _beam().replace("float(beam[0][0])", "float(np.exp(beam[0][0]))"),
        why="return the hypothesis's log-probability (the sum of the log-probabilities of its tokens), "
        "not its probability",
    ),
    Entry(
        "beam_search",
        "beam_width best per hypothesis, no pruning over the whole beam",
        _BEAM
        + """\
    beam = [(0.0, [], None, False)]
    while not all(c[3] for c in beam):
        new_beam = []
        for log_prob, tokens, state, finished in beam:
            if finished:
                new_beam.append((log_prob, tokens, state, True))
                continue
            log_probs, new_state = step_fn(state, tokens[-1] if tokens else start)
            ext = []
            for v, lp in enumerate(log_probs):
                new = tokens + [v]
                ext.append((log_prob + float(lp), new, new_state, v == end or len(new) == max_len))
            new_beam += sorted(ext, key=lambda c: (-c[0], c[1]))[:beam_width]
        beam = sorted(new_beam, key=lambda c: (-c[0], c[1]))
    return beam[0][1], float(beam[0][0])
""",
        why="keep the beam_width best of all candidates together, not beam_width per hypothesis: the beam "
        "must not grow",
    ),
    Entry(
        "beam_search",
        "one state shared by the whole beam",
        _BEAM
        + """\
    beam, state = [(0.0, [], False)], None
    while not all(c[2] for c in beam):
        candidates = []
        for log_prob, tokens, finished in beam:
            if finished:
                candidates.append((log_prob, tokens, True))
                continue
            log_probs, state = step_fn(state, tokens[-1] if tokens else start)
            for v, lp in enumerate(log_probs):
                new = tokens + [v]
                candidates.append((log_prob + float(lp), new, v == end or len(new) == max_len))
        beam = sorted(candidates, key=lambda c: (-c[0], c[1]))[:beam_width]
    return beam[0][1], float(beam[0][0])
""",
        why="each hypothesis carries its own state: extend it from the state its own last step_fn call "
        "returned, not from the last state any hypothesis got",
    ),
]

_DECODING_VARIANTS = [
    Entry(
        "attention_decoder_step",
        "Wx and W_out split into blocks instead of concatenating",
        _STEP
        + """\
    p = params
    E, S = p['W_embed'].shape[1], s_prev.shape[1]
    context, weights = additive_attention(s_prev, h, p['Wa'], p['Ua'], p['va'], mask)
    s_next = np.tanh(p['W_embed'][y_prev] @ p['Wx'][:E] + context @ p['Wx'][E:] + s_prev @ p['Ws'] + p['b'])
    scores = s_next @ p['W_out'][:S] + context @ p['W_out'][S:] + p['b_out']
    m = scores.max(axis=1, keepdims=True)
    return scores - m - np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True)), s_next, weights
""",
    ),
    Entry(
        "attention_decoder_step",
        "one-hot embedding and np.logaddexp.reduce",
        _STEP
        + """\
    p = params
    V = p['W_embed'].shape[0]
    context, weights = additive_attention(s_prev, h, p['Wa'], p['Ua'], p['va'], mask)
    emb = np.eye(V)[y_prev] @ p['W_embed']
    s_next = np.tanh(np.hstack([emb, context]) @ p['Wx'] + s_prev @ p['Ws'] + p['b'])
    scores = np.hstack([s_next, context]) @ p['W_out'] + p['b_out']
    return scores - np.logaddexp.reduce(scores, axis=1, keepdims=True), s_next, weights
""",
    ),
    Entry(
        "attention_decoder_step",
        "one sequence at a time",
        _STEP
        + """\
    p = params
    N, T = h.shape[0], h.shape[1]
    log_probs, s_next, weights = [], [], []
    for n in range(N):
        m = None if mask is None else mask[n:n + 1]
        c, w = additive_attention(s_prev[n:n + 1], h[n:n + 1], p['Wa'], p['Ua'], p['va'], m)
        x = np.concatenate([p['W_embed'][y_prev[n]], c[0]])
        s = np.tanh(x @ p['Wx'] + s_prev[n] @ p['Ws'] + p['b'])
        z = np.concatenate([s, c[0]]) @ p['W_out'] + p['b_out']
        z = z - z.max()
        log_probs.append(z - np.log(np.exp(z).sum()))
        s_next.append(s)
        weights.append(w[0])
    return np.array(log_probs), np.array(s_next), np.array(weights).reshape(N, T)
""",
    ),
    Entry(
        "greedy_decode",
        "a for loop over max_len steps",
        _GREEDY
        + """\
    tokens, state, token = [], None, start
    for _ in range(max_len):
        log_probs, state = step_fn(state, token)
        token = int(np.argmax(log_probs))
        tokens.append(token)
        if token == end:
            return tokens
    return tokens
""",
    ),
    Entry(
        "greedy_decode",
        "first index of the maximum by np.flatnonzero",
        _GREEDY
        + """\
    out, state, prev = [], None, start
    while True:
        lp, state = step_fn(state, prev)
        lp = np.asarray(lp)
        prev = int(np.flatnonzero(lp == lp.max())[0])
        out.append(prev)
        if prev == end or len(out) == max_len:
            return out
""",
    ),
    Entry(
        "greedy_decode",
        "max over indices with a key",
        _GREEDY
        + """\
    tokens, state = [], None
    while len(tokens) < max_len and (not tokens or tokens[-1] != end):
        log_probs, state = step_fn(state, tokens[-1] if tokens else start)
        tokens.append(max(range(len(log_probs)), key=lambda v: (log_probs[v], -v)))
    return tokens
""",
    ),
    Entry(
        "beam_search",
        "heapq.nsmallest with the ranking key",
        "import heapq\n\n\n"
        + _BEAM
        + """\
    beam = [(0.0, [], None, False)]
    while not all(done for _, _, _, done in beam):
        candidates = []
        for lp_sum, toks, state, done in beam:
            if done:
                candidates.append((lp_sum, toks, state, done))
            else:
                lps, nxt = step_fn(state, toks[-1] if toks else start)
                candidates += [
                    (lp_sum + float(lp), toks + [v], nxt, v == end or len(toks) + 1 == max_len)
                    for v, lp in enumerate(lps)
                ]
        beam = heapq.nsmallest(beam_width, candidates, key=lambda c: (-c[0], c[1]))
    return beam[0][1], float(beam[0][0])
""",
    ),
    Entry(
        "beam_search",
        "hypotheses as dicts, a fixed number of steps",
        _BEAM
        + """\
    beam = [dict(score=0.0, tokens=[], state=None, done=False)]
    for _ in range(max_len):
        grown = []
        for hyp in beam:
            if hyp['done']:
                grown.append(hyp)
                continue
            log_probs, state = step_fn(hyp['state'], hyp['tokens'][-1] if hyp['tokens'] else start)
            for v in range(len(log_probs)):
                tokens = hyp['tokens'] + [v]
                grown.append(dict(score=hyp['score'] + float(log_probs[v]), tokens=tokens, state=state,
                                  done=v == end or len(tokens) == max_len))
        grown.sort(key=lambda hyp: (-hyp['score'], hyp['tokens']))
        beam = grown[:beam_width]
        if all(hyp['done'] for hyp in beam):
            break
    return beam[0]['tokens'], beam[0]['score']
""",
    ),
    Entry(
        "beam_search",
        "log-probabilities kept as numpy arrays, candidates sorted by a key on (-score, tokens)",
        _BEAM
        + """\
    beam = [(np.float64(0.0), (), None, False)]
    while not all(b[3] for b in beam):
        cands = [b for b in beam if b[3]]
        for score, toks, state, done in beam:
            if done:
                continue
            lps, nxt = step_fn(state, toks[-1] if toks else start)
            totals = score + np.asarray(lps, dtype=np.float64)
            cands += [(totals[v], toks + (v,), nxt, v == end or len(toks) + 1 == max_len) for v in range(len(lps))]
        cands.sort(key=lambda c: (-c[0], c[1]))
        beam = cands[:beam_width]
    return list(beam[0][1]), float(beam[0][0])
""",
    ),
]

BUGS += _DECODING_BUGS
VARIANTS += _DECODING_VARIANTS
