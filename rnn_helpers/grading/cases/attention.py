"""Hidden test suites of assignment 04_attention.

"random" suites draw random shapes (N=1 and T=1 always included) and random
masks that keep at least one position per row, and compare the student's
outputs with the reference in float64. "edge" suites try what breaks naive
code: rows whose mask keeps nothing (weights and context must be exactly 0,
never nan), scores of +-1000 (exp overflows), a huge score hidden by the mask
(it must not leak into the kept weights), and masked weights that must be
exactly 0.

Tolerances (the helpers of rnn_forward.py): 1e-6 times the size of the
expected values for float64 results, 1e-4 for float32 results. Masked weights
are compared with atol 0: "exactly 0" is part of the API.

Dimensions: N batch, T positions, Hk key size, Hv value size, S decoder
state size, H encoder state size, A attention size.
"""

import numpy as np

from rnn_helpers.grading.cases._common import as_float32, call, compare, normal, shapes
from rnn_helpers.grading.registry import suite


def _mask(rng, N, T, keep_one=True):
    """(N, T) bool, about 70% True; with keep_one every row keeps at least one position."""
    mask = rng.random((N, T)) < 0.7
    if keep_one:
        mask[np.arange(N), rng.integers(0, T, size=N)] = True
    return mask


def _pair(fname, result):
    if not (isinstance(result, tuple) and len(result) == 2):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise AssertionError(f"{fname} must return a tuple (context, weights), got {got}")
    return result


def _finite(what, got):
    arr = np.asarray(got)
    if np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr)):
        raise AssertionError(
            f"{what} contains nan or inf; masked or extreme scores must give "
            f"finite weights (0 where nothing is kept)"
        )


def _masked_zero(what, weights, mask):
    """Weights must be exactly 0 where the mask is False."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape == mask.shape and np.any(w[~mask] != 0):
        idx = tuple(int(i) for i in np.argwhere((~mask) & (w != 0))[0])
        raise AssertionError(
            f"{what} is {w[idx]:.3g} at masked position {list(idx)}; "
            f"masked positions must get weight exactly 0"
        )


# ---------------------------------------------------------------------- masked_softmax


@suite("masked_softmax", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NT", high=7):
        N, T = s["N"], s["T"]
        scores = normal(rng, N, T, scale=2.0)
        mask = _mask(rng, N, T)
        label = f"masked_softmax for scores of shape {(N, T)}"
        compare(f"{label}, mask=None", call("masked_softmax", student.fn, scores=scores), ref.fn(scores))
        got = call("masked_softmax", student.fn, scores=scores, mask=mask)
        compare(f"{label} with a mask", got, ref.fn(scores, mask))
        _masked_zero(f"{label}: the weight", got, mask)
    # Other axes: the mask and the normalisation follow `axis`.
    scores = normal(rng, 3, 5, 4, scale=2.0)
    mask = rng.random((3, 5, 4)) < 0.7
    mask[0] = mask[:, 0] = mask[..., 0] = True  # no empty slice along any axis
    for axis in (0, 1, -1):
        got = call("masked_softmax", student.fn, scores=scores, mask=mask, axis=axis)
        compare(
            f"masked_softmax(scores, mask, axis={axis}) for shape (3, 5, 4)",
            got,
            ref.fn(scores, mask, axis=axis),
        )


@suite("masked_softmax", "edge")
def _(rng, student, ref):
    N, T = 4, 6
    scores = normal(rng, N, T)
    scores[0] += 1000.0  # exp(1000) overflows
    scores[1] -= 1000.0  # exp(-1000) underflows to 0
    mask = _mask(rng, N, T)
    mask[2] = False  # nothing to attend to
    mask[3] = False
    mask[3, 2] = True  # exactly one position kept
    masked = np.where(mask, 0.0, 1.0)
    scores = scores + 1e4 * masked * (np.arange(N) == 0)[:, None]  # huge scores hidden by the mask
    with np.errstate(all="ignore"):
        got = call("masked_softmax", student.fn, scores=scores, mask=mask)
    what = "masked_softmax with scores of +-1000, an empty row and huge masked scores"
    _finite(what, got)
    compare(what, got, ref.fn(scores, mask))
    _masked_zero(f"{what}: the weight", got, mask)
    # Unmasked large scores along a non-last axis.
    big = 1000.0 * normal(rng, 5, 3)
    with np.errstate(all="ignore"):
        got = call("masked_softmax", student.fn, scores=big, mask=None, axis=0)
    _finite("masked_softmax(scores of size 1000, axis=0)", got)
    compare("masked_softmax(scores of size 1000, axis=0)", got, ref.fn(big, axis=0))
    # float32, where exp overflows already at 89: rows shifted by +-1000, with a mask.
    rows = 1000.0 * np.array([[1.0], [-1.0], [1.0]]) + normal(rng, 3, 5, scale=3.0)
    s32, mask32 = rows.astype(np.float32), _mask(rng, 3, 5)
    with np.errstate(all="ignore"):
        got = call("masked_softmax", student.fn, scores=s32, mask=mask32)
    what = "masked_softmax(float32 scores of size 1000, a mask)"
    _finite(what, got)
    compare(what, as_float32(got), ref.fn(s32.astype(np.float64), mask32))


# --------------------------------------------------------------- dot_product_attention


def _dot_inputs(rng, N, T, Hk, Hv, key_scale=1.0):
    return dict(
        query=normal(rng, N, Hk), keys=normal(rng, N, T, Hk, scale=key_scale), values=normal(rng, N, T, Hv)
    )


def _compare_attention(fname, label, got, want, mask=None):
    context, weights = _pair(fname, got)
    compare(f"{fname} ({label}): weights", weights, want[1])
    compare(f"{fname} ({label}): context", context, want[0])
    if mask is not None:
        _masked_zero(f"{fname} ({label}): the weight", weights, mask)


@suite("dot_product_attention", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTKV"):
        N, T, Hk, Hv = s["N"], s["T"], s["K"], s["V"]
        args = _dot_inputs(rng, N, T, Hk, Hv)
        mask = _mask(rng, N, T)
        label = f"N={N}, T={T}, Hk={Hk}, Hv={Hv}"
        got = call("dot_product_attention", student.fn, **args)
        _compare_attention(
            "dot_product_attention", f"{label}, mask=None, scale=True", got, ref.fn(*args.values())
        )
        got = call("dot_product_attention", student.fn, **args, mask=mask, scale=False)
        _compare_attention(
            "dot_product_attention",
            f"{label}, a mask, scale=False",
            got,
            ref.fn(*args.values(), mask=mask, scale=False),
            mask,
        )
        got = call("dot_product_attention", student.fn, **args, mask=mask, scale=True)
        _compare_attention(
            "dot_product_attention",
            f"{label}, a mask, scale=True",
            got,
            ref.fn(*args.values(), mask=mask, scale=True),
            mask,
        )


@suite("dot_product_attention", "edge")
def _(rng, student, ref):
    # Wide keys (Hk = 64) scaled up: raw scores in the hundreds, where an unscaled
    # or unstable softmax saturates or overflows; one empty row, one single position.
    N, T, Hk, Hv = 4, 7, 64, 3
    args = _dot_inputs(rng, N, T, Hk, Hv, key_scale=30.0)
    mask = _mask(rng, N, T)
    mask[1] = False
    mask[2] = False
    mask[2, 4] = True
    for scale in (True, False):
        with np.errstate(all="ignore"):
            got = call("dot_product_attention", student.fn, **args, mask=mask, scale=scale)
        label = f"Hk=64, scores in the hundreds, an empty row, scale={scale}"
        context, weights = _pair("dot_product_attention", got)
        _finite(f"dot_product_attention ({label}): weights", weights)
        _finite(f"dot_product_attention ({label}): context", context)
        _compare_attention(
            "dot_product_attention", label, got, ref.fn(*args.values(), mask=mask, scale=scale), mask
        )
    # Scores of size 1e3 of both signs, where a softmax without the shift overflows
    # or gives 0/0. The query has length 2000 and key 0 of every row points along
    # it: score 2000 unscaled, 1000 scaled by sqrt(Hk = 4); the other keys are
    # random (scores of either sign, up to thousands). In row 2 every key points
    # against the query, so all its scores are near -2000 and exp underflows to 0.
    N, T, Hk, Hv = 4, 5, 4, 3
    args = _dot_inputs(rng, N, T, Hk, Hv)
    unit = args["query"] / np.linalg.norm(args["query"], axis=1, keepdims=True)  # (N, Hk)
    args["query"] = 2000.0 * unit
    args["keys"][:, 0] = unit
    args["keys"][2] = -unit[2] + 0.01 * args["keys"][2]
    mask = _mask(rng, N, T)
    mask[:, 0] = True
    for scale in (True, False):
        with np.errstate(all="ignore"):
            got = call("dot_product_attention", student.fn, **args, mask=mask, scale=scale)
        label = f"scores of size 1e3 of both signs, scale={scale}"
        context, weights = _pair("dot_product_attention", got)
        _finite(f"dot_product_attention ({label}): weights", weights)
        _finite(f"dot_product_attention ({label}): context", context)
        _compare_attention(
            "dot_product_attention", label, got, ref.fn(*args.values(), mask=mask, scale=scale), mask
        )


# ------------------------------------------------------------------ additive_attention


def _additive_inputs(rng, N, T, S, H, A):
    return dict(
        s_prev=normal(rng, N, S),
        h=normal(rng, N, T, H),
        Wa=normal(rng, S, A, scale=1 / np.sqrt(S)),
        Ua=normal(rng, H, A, scale=1 / np.sqrt(H)),
        va=normal(rng, A, scale=2.0),
    )


@suite("additive_attention", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTSHA", small=(1,) * 5, high=5):
        N, T, S, H, A = s["N"], s["T"], s["S"], s["H"], s["A"]
        args = _additive_inputs(rng, N, T, S, H, A)
        mask = _mask(rng, N, T)
        label = f"N={N}, T={T}, S={S}, H={H}, A={A}"
        got = call("additive_attention", student.fn, **args)
        _compare_attention("additive_attention", f"{label}, mask=None", got, ref.fn(*args.values()))
        got = call("additive_attention", student.fn, **args, mask=mask)
        _compare_attention(
            "additive_attention", f"{label}, a mask", got, ref.fn(*args.values(), mask=mask), mask
        )


@suite("additive_attention", "edge")
def _(rng, student, ref):
    # A large va (scores up to +-1000), an empty row and a row with one position kept.
    N, T, S, H, A = 4, 6, 3, 5, 4
    args = _additive_inputs(rng, N, T, S, H, A)
    args["va"] = args["va"] * 250.0
    mask = _mask(rng, N, T)
    mask[0] = False
    mask[3] = False
    mask[3, 5] = True
    with np.errstate(all="ignore"):
        got = call("additive_attention", student.fn, **args, mask=mask)
    label = "scores up to +-1000, an empty row, one row with one position"
    context, weights = _pair("additive_attention", got)
    _finite(f"additive_attention ({label}): weights", weights)
    _finite(f"additive_attention ({label}): context", context)
    _compare_attention("additive_attention", label, got, ref.fn(*args.values(), mask=mask), mask)
