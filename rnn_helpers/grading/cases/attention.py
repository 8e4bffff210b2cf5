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

from rnn_helpers.grading.cases._common import (
    EPS,
    as_float32,
    call,
    compare,
    normal,
    shapes,
    tolerance,
    unpack,
)
from rnn_helpers.grading.registry import assert_close, suite
from rnn_helpers.reference.gradcheck import numerical_gradient


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


# ---------------------------------------------------------------- the backward passes
# Each backward is checked twice: against the reference on the same inputs, and
# against centred differences of the student's OWN forward (masked_softmax,
# dot_product_attention, additive_attention), so that a backward that only
# matches the reference's formula for a different forward still fails. The
# loss differentiated is sum(context * dcontext) + sum(weights * dweights), as
# one array (context and weights side by side) against one upstream gradient.


def _scale_of(num):
    return max(1.0, float(np.max(np.abs(num))) if num.size else 1.0)


def _against_differences(fname, label, f, work, dout, grads):
    """Each gradient grads[name] against centred differences of f() with respect to work[name].

    f takes no argument: numerical_gradient perturbs work[name] in place and f reads work.
    """
    for name, g in grads.items():
        num = numerical_gradient(lambda _: f(), work[name], dout, eps=EPS)
        g = np.asarray(g)
        assert_close(
            f"{fname} ({label}): d{name} against centred differences of your forward",
            g.astype(np.float64),
            num,
            atol=tolerance(g, _scale_of(num)),
        )


def _exactly_zero(what, grad, where):
    """grad must be exactly 0 wherever `where` is True (masked positions, empty rows)."""
    g = np.asarray(grad, dtype=np.float64)
    if g.shape[: where.ndim] == where.shape and np.any(g[where] != 0):
        idx = tuple(
            int(i) for i in np.argwhere(where & np.any(g != 0, axis=tuple(range(where.ndim, g.ndim))))[0]
        )
        raise AssertionError(
            f"{what} is not 0 at position {list(idx)}, where the mask keeps nothing; a masked "
            f"position has weight 0 and no gradient flows back through it"
        )


_MSB = "masked_softmax_backward"


def _check_msb(student, ref, scores, mask, axis, dprobs, label):
    """masked_softmax_backward: on the reference's probs, then on the student's own forward."""
    probs = ref.forward(scores, mask, axis=axis)
    got = call(_MSB, student.fn, dprobs=dprobs, probs=probs, axis=axis)
    compare(f"{_MSB} ({label})", got, ref.fn(dprobs, probs, axis=axis))
    if mask is not None:
        _exactly_zero(f"{_MSB} ({label}): dscores", got, ~mask)
    work = {"scores": np.array(scores, dtype=np.float64)}
    own = student.forward(work["scores"], mask, axis)
    got = call(_MSB, student.fn, dprobs=dprobs, probs=np.asarray(own, dtype=np.float64), axis=axis)

    def f():
        return np.asarray(student.forward(work["scores"], mask, axis), dtype=np.float64)

    _against_differences(_MSB, label, f, work, dprobs, {"scores": got})


@suite(_MSB, "gradcheck", forward="masked_softmax")
def _(rng, student, ref):
    for s in shapes(rng, "NT", high=6):
        N, T = s["N"], s["T"]
        scores, dprobs = normal(rng, N, T, scale=2.0), normal(rng, N, T)
        label = f"scores of shape {(N, T)}"
        _check_msb(student, ref, scores, None, -1, dprobs, f"{label}, mask=None")
        _check_msb(student, ref, scores, _mask(rng, N, T), -1, dprobs, f"{label}, a mask")
    # Other axes: the sum that couples the probabilities runs along `axis`.
    scores, dprobs = normal(rng, 3, 5, 4, scale=2.0), normal(rng, 3, 5, 4)
    mask = rng.random((3, 5, 4)) < 0.7
    mask[0] = mask[:, 0] = mask[..., 0] = True  # no empty slice along any axis
    for axis in (0, 1, -1):
        _check_msb(student, ref, scores, mask, axis, dprobs, f"shape (3, 5, 4), a mask, axis={axis}")


@suite(_MSB, "edge", forward="masked_softmax")
def _(rng, student, ref):
    # An empty row, a row with one kept position (probability 1: no gradient at
    # all), a saturated row from scores of +-1000 (probabilities exactly 0 and 1).
    N, T = 4, 6
    scores, dprobs = normal(rng, N, T), normal(rng, N, T)
    mask = _mask(rng, N, T)
    mask[1] = False
    mask[2] = False
    mask[2, 3] = True
    scores[3] = 1000.0 * np.sign(scores[3])
    with np.errstate(all="ignore"):
        probs = ref.forward(scores, mask)
        got = call(_MSB, student.fn, dprobs=dprobs, probs=probs, axis=-1)
    what = f"{_MSB} with an empty row, one kept position and scores of +-1000"
    _finite(what, got)
    compare(what, got, ref.fn(dprobs, probs))
    _exactly_zero(f"{what}: dscores", got, ~mask)
    empty = np.zeros((N, T), dtype=bool)
    empty[1] = empty[2] = True  # nothing kept, or one position kept: the gradient is 0 everywhere
    _exactly_zero(f"{what}: dscores", np.where(np.abs(got) < 1e-12, 0.0, got), empty)
    # float32 in, float32 precision out.
    probs32 = ref.forward(normal(rng, 3, 5, scale=3.0), _mask(rng, 3, 5)).astype(np.float32)
    d32 = normal(rng, 3, 5).astype(np.float32)
    got = call(_MSB, student.fn, dprobs=d32, probs=probs32, axis=-1)
    compare(
        f"{_MSB}(float32 dprobs and probs)",
        as_float32(got),
        ref.fn(d32.astype(np.float64), probs32.astype(np.float64)),
    )


_DPB = "dot_product_attention_backward"
_DP_GRADS = ("query", "keys", "values")


def _check_dpb(student, ref, args, mask, scale, dcontext, dweights, label):
    """dot_product_attention_backward against the reference and the student's own forward."""
    got = call(
        _DPB,
        student.fn,
        dcontext=dcontext,
        **args,
        mask=mask,
        scale=scale,
        dweights=dweights,
    )
    got = unpack(_DPB, got, tuple(f"d{k}" for k in _DP_GRADS))
    want = ref.fn(dcontext, *args.values(), mask, scale, dweights)
    for name, g, w in zip(_DP_GRADS, got, want):
        compare(f"{_DPB} ({label}): d{name}", g, w)
    if mask is not None:
        for name, g in zip(("keys", "values"), got[1:]):
            _exactly_zero(f"{_DPB} ({label}): d{name}", g, ~mask)
    work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}
    N, T = mask.shape if mask is not None else args["keys"].shape[:2]
    dout = np.concatenate([dcontext, np.zeros((N, T)) if dweights is None else dweights], axis=1)

    def f():
        context, weights = _pair("dot_product_attention", student.forward(*work.values(), mask, scale))
        return np.concatenate([np.asarray(context, np.float64), np.asarray(weights, np.float64)], axis=1)

    _against_differences(_DPB, label, f, work, dout, dict(zip(_DP_GRADS, got)))


@suite(_DPB, "gradcheck", forward="dot_product_attention")
def _(rng, student, ref):
    for s in shapes(rng, "NTKV", high=4):
        N, T, Hk, Hv = s["N"], s["T"], s["K"], s["V"]
        args = _dot_inputs(rng, N, T, Hk, Hv)
        mask, dcontext, dweights = _mask(rng, N, T), normal(rng, N, Hv), normal(rng, N, T)
        label = f"N={N}, T={T}, Hk={Hk}, Hv={Hv}"
        _check_dpb(student, ref, args, None, True, dcontext, None, f"{label}, scale=True")
        _check_dpb(student, ref, args, mask, False, dcontext, None, f"{label}, a mask, scale=False")
        _check_dpb(student, ref, args, mask, True, dcontext, dweights, f"{label}, a mask, dweights given")


@suite(_DPB, "edge", forward="dot_product_attention")
def _(rng, student, ref):
    # An empty row (no gradient at all), a row with one kept position (its
    # weight is 1 whatever the scores: no gradient for query and keys).
    N, T, Hk, Hv = 4, 5, 3, 2
    args = _dot_inputs(rng, N, T, Hk, Hv)
    mask = _mask(rng, N, T)
    mask[1] = False
    mask[2] = False
    mask[2, 0] = True
    dcontext, dweights = normal(rng, N, Hv), normal(rng, N, T)
    for scale in (True, False):
        with np.errstate(all="ignore"):
            _check_dpb(
                student,
                ref,
                args,
                mask,
                scale,
                dcontext,
                dweights,
                f"an empty row, one position kept, scale={scale}",
            )
            got = call(_DPB, student.fn, dcontext=dcontext, **args, mask=mask, scale=scale, dweights=dweights)
        row = np.arange(N) == 1
        for name, g in zip(_DP_GRADS, unpack(_DPB, got, _DP_GRADS)):
            _exactly_zero(f"{_DPB} (an empty row): d{name}", g, row)
    # Keys of width 64, scaled up: scores in the hundreds, a saturated softmax.
    N, T, Hk, Hv = 3, 6, 64, 3
    args = _dot_inputs(rng, N, T, Hk, Hv, key_scale=30.0)
    mask = _mask(rng, N, T)
    dcontext, dweights = normal(rng, N, Hv), normal(rng, N, T)
    for scale in (True, False):
        with np.errstate(all="ignore"):
            got = call(_DPB, student.fn, dcontext=dcontext, **args, mask=mask, scale=scale, dweights=dweights)
        label = f"Hk=64, scores in the hundreds, scale={scale}"
        want = ref.fn(dcontext, *args.values(), mask, scale, dweights)
        for name, g, w in zip(_DP_GRADS, unpack(_DPB, got, _DP_GRADS), want):
            _finite(f"{_DPB} ({label}): d{name}", g)
            compare(f"{_DPB} ({label}): d{name}", g, w)


_ADB = "additive_attention_backward"
_AD_GRADS = ("s_prev", "h", "Wa", "Ua", "va")


def _check_adb(student, ref, args, mask, dcontext, dweights, label):
    """additive_attention_backward against the reference and the student's own forward."""
    got = call(_ADB, student.fn, dcontext=dcontext, **args, mask=mask, dweights=dweights)
    got = unpack(_ADB, got, tuple(f"d{k}" for k in _AD_GRADS))
    want = ref.fn(dcontext, *args.values(), mask, dweights)
    for name, g, w in zip(_AD_GRADS, got, want):
        compare(f"{_ADB} ({label}): d{name}", g, w)
    if mask is not None:
        _exactly_zero(f"{_ADB} ({label}): dh", got[1], ~mask)
    work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}
    N, T = args["h"].shape[:2]
    dout = np.concatenate([dcontext, np.zeros((N, T)) if dweights is None else dweights], axis=1)

    def f():
        context, weights = _pair("additive_attention", student.forward(*work.values(), mask))
        return np.concatenate([np.asarray(context, np.float64), np.asarray(weights, np.float64)], axis=1)

    _against_differences(_ADB, label, f, work, dout, dict(zip(_AD_GRADS, got)))


@suite(_ADB, "gradcheck", forward="additive_attention")
def _(rng, student, ref):
    for s in shapes(rng, "NTSHA", small=(1,) * 5, high=4):
        N, T, S, H, A = s["N"], s["T"], s["S"], s["H"], s["A"]
        args = _additive_inputs(rng, N, T, S, H, A)
        mask, dcontext, dweights = _mask(rng, N, T), normal(rng, N, H), normal(rng, N, T)
        label = f"N={N}, T={T}, S={S}, H={H}, A={A}"
        _check_adb(student, ref, args, None, dcontext, None, f"{label}, mask=None")
        _check_adb(student, ref, args, mask, dcontext, dweights, f"{label}, a mask, dweights given")


@suite(_ADB, "edge", forward="additive_attention")
def _(rng, student, ref):
    # An empty row, a row with one kept position, and a large va (scores up to
    # +-1000, a saturated softmax and tanh).
    N, T, S, H, A = 4, 5, 3, 4, 3
    args = _additive_inputs(rng, N, T, S, H, A)
    mask = _mask(rng, N, T)
    mask[0] = False
    mask[3] = False
    mask[3, 4] = True
    dcontext, dweights = normal(rng, N, H), normal(rng, N, T)
    with np.errstate(all="ignore"):
        _check_adb(student, ref, args, mask, dcontext, dweights, "an empty row, one position kept")
        got = call(_ADB, student.fn, dcontext=dcontext, **args, mask=mask, dweights=dweights)
    ds_prev, dh = unpack(_ADB, got, _AD_GRADS)[:2]
    row = np.arange(N) == 0
    _exactly_zero(f"{_ADB} (an empty row): ds_prev", ds_prev, row)
    _exactly_zero(f"{_ADB} (an empty row): dh", dh, row)
    args["va"] = args["va"] * 250.0
    with np.errstate(all="ignore"):
        got = call(_ADB, student.fn, dcontext=dcontext, **args, mask=mask, dweights=dweights)
    label = "scores up to +-1000"
    for name, g, w in zip(
        _AD_GRADS, unpack(_ADB, got, _AD_GRADS), ref.fn(dcontext, *args.values(), mask, dweights)
    ):
        _finite(f"{_ADB} ({label}): d{name}", g)
        compare(f"{_ADB} ({label}): d{name}", g, w)


# ======================================================================================
# Decoding: attention_decoder_step, greedy_decode, beam_search.
#
# The decoders are given step functions built here from tables of log-probabilities
# indexed by the step t (the state) and the previous token, so a decoder that passes
# the wrong state or token reads the wrong numbers, and one that runs past max_len
# gets an error from step_fn instead of looping forever. The truth for a wide beam is
# a brute-force enumeration of every finished sequence. Dimensions: as above, plus
# V vocabulary and E embedding size.

import itertools  # noqa: E402  (kept with the decoding suites it serves)

from rnn_helpers.grading.registry import assert_close as _assert_close  # noqa: E402


def _decoder_params(rng, V, E, H, S, A, scale=1.0):
    """Random weights of attention_decoder_step (see the reference's docstring), float64."""
    shapes_ = dict(
        W_embed=(V, E),
        Wa=(S, A),
        Ua=(H, A),
        va=(A,),
        Wx=(E + H, S),
        Ws=(S, S),
        b=(S,),
        W_out=(S + H, V),
        b_out=(V,),
    )
    return {k: normal(rng, *shape, scale=scale / np.sqrt(shape[0])) for k, shape in shapes_.items()}


def _compare_step(label, got, want, mask=None):
    fname = "attention_decoder_step"
    if not (isinstance(got, tuple) and len(got) == 3):
        n = f"a tuple of {len(got)}" if isinstance(got, tuple) else type(got).__name__
        raise AssertionError(f"{fname} must return a tuple (log_probs, s_next, weights), got {n}")
    for name, g, w in zip(("weights", "s_next", "log_probs"), got[::-1], want[::-1]):
        arr = np.asarray(g)
        if np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr)):
            raise AssertionError(
                f"{fname} ({label}): {name} contains nan or inf; large scores must still give finite "
                f"values (an empty mask row attends to nothing: weights and context 0)"
            )
        compare(f"{fname} ({label}): {name}", g, w)
    if mask is not None:
        _masked_zero(f"{fname} ({label}): the attention weight", got[2], mask)


def _step_call(student, y_prev, s_prev, h, params, mask=None):
    """Call the student's step and check that it changed none of its inputs (params included)."""
    saved = {k: v.copy() for k, v in params.items()}
    got = call(
        "attention_decoder_step", student.fn, y_prev=y_prev, s_prev=s_prev, h=h, params=params, mask=mask
    )
    for k, v in params.items():
        if not np.array_equal(v, saved[k]):
            raise AssertionError(
                f"attention_decoder_step modified params[{k!r}] in place; inputs must stay unchanged"
            )
    return got


@suite("attention_decoder_step", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTVEHSA", small=(1,) * 7, high=5):
        N, T, V, E, H, S, A = (s[k] for k in "NTVEHSA")
        params = _decoder_params(rng, V, E, H, S, A)
        y_prev, s_prev, h = rng.integers(0, V, size=N), normal(rng, N, S), normal(rng, N, T, H)
        mask = _mask(rng, N, T)
        label = f"N={N}, T={T}, V={V}, E={E}, H={H}, S={S}, A={A}"
        got = _step_call(student, y_prev, s_prev, h, params)
        _compare_step(f"{label}, mask=None", got, ref.fn(y_prev, s_prev, h, params))
        got = _step_call(student, y_prev, s_prev, h, params, mask)
        _compare_step(f"{label}, a mask", got, ref.fn(y_prev, s_prev, h, params, mask), mask)


@suite("attention_decoder_step", "edge")
def _(rng, student, ref):
    # Output scores of size 1e3 (a log-softmax without the shift overflows), an
    # empty mask row (context 0) and a row with one position; every token fed.
    N, T, V, E, H, S, A = 6, 5, 6, 3, 4, 3, 2
    params = _decoder_params(rng, V, E, H, S, A)
    params["W_out"] = params["W_out"] * 2000.0
    y_prev, s_prev, h = np.arange(N) % V, normal(rng, N, S), normal(rng, N, T, H)
    mask = _mask(rng, N, T)
    mask[1] = False
    mask[2] = False
    mask[2, 3] = True
    with np.errstate(all="ignore"):
        got = _step_call(student, y_prev, s_prev, h, params, mask)
    label = "output scores of size 1e3, an empty row, one row with one position"
    _compare_step(label, got, ref.fn(y_prev, s_prev, h, params, mask), mask)


def _table_step_fn(table, name):
    """step_fn(state, token) reading log-probabilities from table[t, before, token].

    table: (max_len, V + 1, V_in, V) log-probabilities, indexed by the step t, the
    token fed at the call before (V at the first call: there was none) and the token
    fed now. The state is (t, token fed now), so a decoder that shares one state
    between hypotheses, or does not pass it on, reads the wrong numbers. Returns a
    copy, so a decoder that changes log_probs in place cannot change the table.
    A table (max_len, V_in, V) that does not depend on the token before is spread
    over that axis.
    """
    if table.ndim == 3:
        table = np.broadcast_to(table[:, None], (table.shape[0], table.shape[1], *table.shape[1:]))
    max_len, none = table.shape[0], table.shape[1] - 1

    def step_fn(state, token):
        t, before = (0, none) if state is None else state
        if not 0 <= t < max_len:
            raise AssertionError(
                f"{name} called step_fn for a token beyond max_len = {max_len}: a sequence has at most "
                f"max_len tokens (end counted), and each call must get the state the previous call returned"
            )
        return table[t, before, int(token)].copy(), (t + 1, int(token))

    return step_fn


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _random_table(rng, max_len, V, end, end_bias=0.0):
    """(max_len, V + 1, V + 1, V) log-probabilities (see _table_step_fn); token V may be the start."""
    logits = normal(rng, max_len, V + 1, V + 1, V, scale=1.5)
    logits[..., end] += end_bias
    return _log_softmax(logits)


def _score(table, start, tokens):
    """The log-probability of `tokens` after `start`, summed along the table."""
    total, before, prev = 0.0, table.shape[1] - 1, start
    for t, tok in enumerate(tokens):
        total, before, prev = total + table[t, before, prev, tok], prev, tok
    return total


def _greedy_path(table, start, end):
    """The greedy sequence, walked through the table: the first maximum at each step."""
    tokens, before, prev = [], table.shape[1] - 1, start
    for t in range(table.shape[0]):
        before, prev = prev, int(np.argmax(table[t, before, prev]))
        tokens.append(prev)
        if prev == end:
            break
    return tokens


def _brute_force(table, start, end):
    """(tokens, log_prob) of the most probable finished sequence, ties to the smaller token list."""
    max_len, V = table.shape[0], table.shape[-1]
    best = None
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=length):
            if end in seq[:-1] or (length < max_len and seq[-1] != end):
                continue  # not a finished sequence
            key = (-_score(table, start, seq), list(seq))
            if best is None or key < best:
                best = key
    return best[1], -best[0]


def _tokens(fname, got):
    """A decoder's token sequence as a list of Python ints."""
    try:
        tokens = [int(t) for t in got]
    except (TypeError, ValueError):
        raise AssertionError(
            f"{fname} must return a list of token indices, got {type(got).__name__}"
        ) from None
    if any(t != u for t, u in zip(tokens, got)):
        raise AssertionError(f"{fname} must return integer token indices, got {list(got)}")
    return tokens


def _same_tokens(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: returned the tokens {got}, expected {want}")


def _check_greedy(student, ref, table, start, end, label):
    max_len = table.shape[0]
    args = dict(step_fn=_table_step_fn(table, "greedy_decode"), start=start, end=end, max_len=max_len)
    got = _tokens("greedy_decode", student.fn(**args))
    _same_tokens(f"greedy_decode ({label}, max_len={max_len}, end={end})", got, ref.fn(**args))


def _greedy_cases(rng):
    """(V, max_len, end, start, end_bias) for the random greedy and beam suites."""
    return [
        (2, 1, 0, 2, 0.0),  # a single step
        (4, 5, 0, 4, -30.0),  # end never likely: stops at max_len
        (4, 5, 0, 4, 30.0),  # end at once: [end]
        (3, 4, 2, 1, 0.5),  # end is not token 0; start is an ordinary token
        (5, 6, 1, 5, 0.0),
        (1, 3, 0, 0, 0.0),  # V = 1: the only token is end
        (int(rng.integers(2, 6)), int(rng.integers(2, 7)), 0, 0, float(rng.normal())),
    ]


@suite("greedy_decode", "random")
def _(rng, student, ref):
    for V, max_len, end, start, bias in _greedy_cases(rng):
        end, start = min(end, V - 1), min(start, V)
        for _ in range(2):
            table = _random_table(rng, max_len, V, end, bias)
            _check_greedy(student, ref, table, start, end, f"V={V}, a random table")


@suite("greedy_decode", "ties")
def _(rng, student, ref):
    # Equal log-probabilities: the smallest index wins (np.argmax), end included.
    V, max_len = 4, 4
    table = np.log(np.full((max_len, V + 1, V), 0.25))  # every token ties at every step
    _check_greedy(student, ref, table, V, 3, "every token equally likely, end = 3")
    _check_greedy(student, ref, table, V, 0, "every token equally likely, end = 0")
    table = _random_table(rng, max_len, V, 0, -30.0)
    table[1:, :, 2] = table[1:, :, 3] = np.log(0.45)  # 2 and 3 tie for the maximum
    _check_greedy(student, ref, table, V, 0, "tokens 2 and 3 tie")


def _beam_tuple(got):
    if not (isinstance(got, tuple) and len(got) == 2):
        n = f"a tuple of {len(got)}" if isinstance(got, tuple) else type(got).__name__
        raise AssertionError(f"beam_search must return a tuple (tokens, log_prob), got {n}")
    tokens, log_prob = got
    return _tokens("beam_search", tokens), log_prob


def _check_beam(student, ref, table, start, end, width, label, truth=None):
    """Compare with the reference, and with `truth` (tokens, log_prob) when given."""
    max_len = table.shape[0]
    args = dict(
        step_fn=_table_step_fn(table, "beam_search"), start=start, end=end, beam_width=width, max_len=max_len
    )
    tokens, log_prob = _beam_tuple(student.fn(**args))
    want_tokens, want_lp = ref.fn(**args) if truth is None else truth
    what = f"beam_search ({label}, beam_width={width}, max_len={max_len}, end={end})"
    _same_tokens(what, tokens, want_tokens)
    try:
        log_prob = float(log_prob)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: log_prob must be a number, got {type(log_prob).__name__}") from None
    _assert_close(f"{what}: log_prob", log_prob, want_lp, atol=1e-9)


@suite("beam_search", "random")
def _(rng, student, ref):
    for V, max_len, end, start, bias in _greedy_cases(rng):
        end, start = min(end, V - 1), min(start, V)
        table = _random_table(rng, max_len, V, end, bias)
        greedy = _greedy_path(table, start, end)
        label = f"V={V}, a random table"
        # Width 1 is greedy decoding, and its log-probability is the greedy path's.
        _check_beam(student, ref, table, start, end, 1, label, (greedy, _score(table, start, greedy)))
        _check_beam(student, ref, table, start, end, 2, label)
        _check_beam(student, ref, table, start, end, 3, label)


@suite("beam_search", "exhaustive")
def _(rng, student, ref):
    # With beam_width >= V ** (max_len - 1) nothing is pruned: the result is the
    # most probable finished sequence of all, found here by enumeration.
    for V, max_len, bias in [(3, 1, 0.0), (3, 3, 0.5), (4, 3, 0.0), (3, 4, -0.5), (2, 5, 0.0)]:
        for end in (0, V - 1):
            table = _random_table(rng, max_len, V, end, bias)
            truth = _brute_force(table, V, end)
            _check_beam(student, ref, table, V, end, V ** (max_len - 1), f"V={V}, every sequence kept", truth)


@suite("beam_search", "ties")
def _(rng, student, ref):
    V, end, start = 4, 0, 4
    # Tokens 1, 2, 3 tie from start; a beam of 2 keeps [1] and [2], so the better
    # continuation after 3 is never seen; a beam of 3 finds it.
    third = np.log(0.3)
    table = np.full((2, V + 1, V), np.log(0.25))
    table[0, start] = [np.log(0.1), third, third, third]
    table[1, 1] = table[1, 2] = np.log([0.5, 1 / 6, 1 / 6, 1 / 6])
    table[1, 3] = np.log([0.97, 0.01, 0.01, 0.01])
    _check_beam(student, ref, table, start, end, 2, "a three-way tie at the first step")
    _check_beam(student, ref, table, start, end, 3, "a three-way tie at the first step")
    # Two finished sequences of exactly equal log-probability, [2, end] and
    # [1, 3, end] (a + a == 2a in floating point): the smaller list [1, 3, end] wins
    # although it is longer and finishes later; a finished hypothesis waits in the beam.
    a = np.log(0.5)
    to_end = np.log([0.97, 0.01, 0.01, 0.01])
    row_start = np.log([0.1, 0.5, 0.25, 0.15])
    row_start[1], row_start[2] = a, 2 * a
    row_1 = np.log([0.2, 0.15, 0.15, 0.5])
    row_1[3] = a
    rows = np.array([to_end, row_1, to_end, to_end, row_start])  # the same at every step
    table = np.broadcast_to(rows, (3, V + 1, V)).copy()
    _check_beam(
        student, ref, table, start, end, 16, "two finished sequences tie", ([1, 3, end], 2 * a + to_end[end])
    )
    # Every token equally likely: the smallest sequences win, end = 0 ends at once.
    table = np.log(np.full((3, V + 1, V), 0.25))
    _check_beam(student, ref, table, start, 0, 3, "every token equally likely")
    _check_beam(student, ref, table, start, 3, 5, "every token equally likely, end = 3")
    # Pruning is over the whole beam: with width 2 the beam after step 2 holds [1, 1]
    # and [1, 2] (0.132 each), whose continuations are poor, and drops [2, 1] (0.1155),
    # which [2, 1, end] (0.112) would have made the best; a beam that keeps 2 per
    # hypothesis finds it, the rule's beam returns [1, 1, 1] (0.0436).
    table = np.full((3, V + 1, V + 1, V), np.log(0.25))
    table[0, V, start] = np.log([0.0001, 0.4, 0.35, 0.2499])
    table[1, V, 1] = table[1, V, 2] = np.log([0.01, 0.33, 0.33, 0.33])
    table[2, 1] = np.log([0.01, 0.33, 0.33, 0.33])  # after a 1, anything
    table[2, 2, 1] = np.log([0.97, 0.01, 0.01, 0.01])  # [2, 1] is followed by end
    _check_beam(
        student,
        ref,
        table,
        start,
        end,
        2,
        "the beam is pruned as a whole",
        ([1, 1, 1], _score(table, start, [1, 1, 1])),
    )
    # A sequence greedy misses: 1 looks best first, but 2 is followed by end with 0.9.
    table = np.full((2, V + 1, V), np.log(0.25))
    table[0, start] = np.log([0.0001, 0.6, 0.3998, 0.0001])
    table[1, 1] = np.log([0.35, 0.25, 0.2, 0.2])
    table[1, 2] = np.log([0.9, 0.05, 0.03, 0.02])
    _check_beam(
        student, ref, table, start, end, 2, "greedy misses the best", ([2, end], np.log(0.3998 * 0.9))
    )
