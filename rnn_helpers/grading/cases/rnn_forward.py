"""Hidden test suites of assignment 01_rnn_forward.

Every suite draws random shapes from `rng` (always including N=1, T=1 and H=1
where the function has them), calls the student's function and its reference
twin on the same inputs and compares in float64.

Tolerances: 1e-6 times the size of the expected values when the student's
result is float64, 1e-4 times it when the student returned float32 (a correct
solution computed in float32 is accurate to about 1e-7 relative, times the
few sums and products these layers chain). Values are O(1) by construction
(weights scaled by 1/sqrt(fan-in)), so a wrong formula is off by 1e-2 or more.

Large scores: softmax's "large_scores" suite and temporal_softmax_loss's (run
at the end of its "random" suite) feed scores of size 1e3 of both signs, in
float64 and float32 (where exp overflows above 88), and fail first with a
message of their own when the result holds inf or nan; the truth is the
reference in float64 on the same numbers.

Dimensions: N batch, T time, D input, H hidden, V vocabulary.
"""

import numpy as np

from rnn_helpers.grading.cases._common import as_float32, call, compare, normal, shapes
from rnn_helpers.grading.registry import suite


def out_and_cache(fname, result):
    """The first element of a (out, cache) pair, with a readable error otherwise."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(
            f"{fname} must return a tuple (out, cache), got "
            f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, tuple) else "")
        )
    return result[0]


def rnn_params(rng, D, H):
    """Wx (D, H), Wh (H, H), b (H,) scaled so that tanh works in its curved range."""
    return (
        normal(rng, D, H, scale=1 / np.sqrt(D)),
        normal(rng, H, H, scale=1 / np.sqrt(H)),
        normal(rng, H, scale=0.5),
    )


@suite("rnn_step_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NDH"):
        N, D, H = s["N"], s["D"], s["H"]
        Wx, Wh, b = rnn_params(rng, D, H)
        args = dict(x=normal(rng, N, D), h_prev=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
        expected, _ = ref.fn(*args.values())
        got = out_and_cache("rnn_step_forward", call("rnn_step_forward", student.fn, **args))
        compare(f"rnn_step_forward (N={N}, D={D}, H={H}): h_next", got, expected)


@suite("rnn_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH"):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        Wx, Wh, b = rnn_params(rng, D, H)
        args = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
        expected, _ = ref.fn(*args.values())
        got = out_and_cache("rnn_forward", call("rnn_forward", student.fn, **args))
        compare(f"rnn_forward (N={N}, T={T}, D={D}, H={H}): h", got, expected)


@suite("embedding_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTVD", high=6):
        N, T, V, D = s["N"], s["T"], s["V"], s["D"]
        # Make sure the largest index V-1 and index 0 both occur when there is room.
        idx = rng.integers(0, V, size=(N, T))
        if idx.size >= 2:
            idx.flat[0], idx.flat[-1] = 0, V - 1
        args = dict(idx=idx, W=normal(rng, V, D))
        expected, _ = ref.fn(*args.values())
        got = out_and_cache("embedding_forward", call("embedding_forward", student.fn, **args))
        compare(f"embedding_forward (N={N}, T={T}, V={V}, D={D}): out", got, expected)
    # A batch that uses only the first rows of a larger table: V comes from W, not from idx.
    idx = rng.integers(0, 3, size=(3, 4))
    W = normal(rng, 9, 2)
    got = out_and_cache("embedding_forward", call("embedding_forward", student.fn, idx=idx, W=W))
    compare("embedding_forward with indices < 3 into a table of V=9 rows: out", got, ref.fn(idx, W)[0])


@suite("temporal_affine_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTHV"):
        N, T, H, V = s["N"], s["T"], s["H"], s["V"]
        args = dict(h=normal(rng, N, T, H), W=normal(rng, H, V, scale=1 / np.sqrt(H)), b=normal(rng, V))
        expected, _ = ref.fn(*args.values())
        got = out_and_cache("temporal_affine_forward", call("temporal_affine_forward", student.fn, **args))
        compare(f"temporal_affine_forward (N={N}, T={T}, H={H}, V={V}): scores", got, expected)


@suite("softmax", "random")
def _(rng, student, ref):
    # Last axis by default, then every axis of a 3-D array, positive and negative.
    for s in shapes(rng, "NTV"):
        scores = normal(rng, s["N"], s["T"], s["V"], scale=2.0)
        got = call("softmax", student.fn, scores=scores)
        compare(f"softmax(scores) for scores of shape {scores.shape}", got, ref.fn(scores))
    scores = normal(rng, 3, 4, 5, scale=2.0)
    for axis in (0, 1, 2, -2):
        saved = scores.copy()
        got = student.fn(scores, axis=axis)
        if not np.array_equal(saved, scores):
            raise AssertionError("softmax modified its input scores in place")
        compare(f"softmax(scores, axis={axis}) for scores of shape (3, 4, 5)", got, ref.fn(scores, axis=axis))


@suite("softmax", "large_scores")
def _(rng, student, ref):
    # exp(1000) overflows: only a solution that subtracts the maximum survives.
    cases = [
        np.array([[1000.0, 999.0, 998.0]]),
        np.array([[-1000.0, -1001.0, -1002.0]]),
        np.array([[1000.0, -1000.0, 0.0], [-1e3, -1e3, -1e3]]),
    ]
    cases.append(normal(rng, 2, 3, 6) * 1e3)
    for scores in cases:
        with np.errstate(all="ignore"):
            got = call("softmax", student.fn, scores=scores)
        if not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
            raise AssertionError(
                f"softmax returned nan or inf for scores as large as "
                f"{np.max(np.abs(scores)):.0f}; subtract the maximum first"
            )
        compare(f"softmax with scores of magnitude {np.max(np.abs(scores)):.0f}", got, ref.fn(scores))
    # The axis must be honoured with large scores too.
    scores = normal(rng, 4, 3) * 1e3
    with np.errstate(all="ignore"):
        got = student.fn(scores, axis=0)
    compare("softmax(scores, axis=0) with scores of magnitude 1e3", got, ref.fn(scores, axis=0))
    # float32 overflows already at exp(89); the truth is the float64 softmax of the same numbers.
    for scores in (cases[0], cases[2], normal(rng, 2, 3, 6) * 1e3):
        scores = scores.astype(np.float32)
        with np.errstate(all="ignore"):
            got = call("softmax", student.fn, scores=scores)
        if not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
            raise AssertionError(
                f"softmax returned nan or inf for float32 scores as large as "
                f"{np.max(np.abs(scores)):.0f} (exp overflows float32 above 88); subtract the maximum first"
            )
        compare(
            f"softmax with float32 scores of magnitude {np.max(np.abs(scores)):.0f}",
            as_float32(got),
            ref.fn(scores.astype(np.float64)),
        )


def _loss_inputs(rng, N, T, V, scale=2.0):
    return normal(rng, N, T, V, scale=scale), rng.integers(0, V, size=(N, T))


def _check_loss(what, student_fn, ref_fn, scores, y, mask):
    args = dict(scores=scores, y=y) if mask is None else dict(scores=scores, y=y, mask=mask)
    result = call("temporal_softmax_loss", student_fn, **args)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError("temporal_softmax_loss must return a tuple (loss, dscores)")
    loss, dscores = result
    loss_ref, dscores_ref = ref_fn(*args.values())
    loss_arr = np.asarray(loss)
    if loss_arr.size != 1:
        raise AssertionError(f"{what}: loss must be a single number, got shape {loss_arr.shape}")
    compare(f"{what}: loss", loss_arr.reshape(()), loss_ref)
    compare(f"{what}: dscores", dscores, dscores_ref)


def _all_finite(x):
    """False when x holds nan or inf; True for anything that is not numbers (compare says why)."""
    try:
        return bool(np.all(np.isfinite(np.asarray(x, dtype=np.float64))))
    except (TypeError, ValueError):
        return True


@suite("temporal_softmax_loss", "large_scores")
def _loss_large_scores(rng, student, ref):
    # Every position's scores are shifted by +-1000 (both signs in each batch), so
    # exp overflows to inf, or underflows to 0/0, unless the largest score of the
    # position is subtracted first. The spread inside a position stays a few
    # units: no probability is tiny, so log(softmax(...)) stays accurate and
    # only the missing shift fails. float32 overflows already at exp(89). The
    # truth is the reference in float64 on the same numbers.
    N, T, V = 3, 4, 5
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.7
    mask[0, 0] = mask[-1, -1] = True
    for dtype, m in ((np.float64, None), (np.float64, mask), (np.float32, None)):
        offsets = 1000.0 * rng.choice([-1.0, 1.0], size=(N, T, 1))
        offsets[0, 0], offsets[-1, -1] = 1000.0, -1000.0
        scores = (offsets + normal(rng, N, T, V, scale=2.0)).astype(dtype)
        label = f"{np.dtype(dtype).name} scores of size 1e3" + (", a mask" if m is not None else "")
        args = dict(scores=scores, y=y) if m is None else dict(scores=scores, y=y, mask=m)
        result = call("temporal_softmax_loss", student.fn, **args)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError("temporal_softmax_loss must return a tuple (loss, dscores)")
        for part, value in zip(("loss", "dscores"), result):
            if not _all_finite(value):
                raise AssertionError(
                    f"temporal_softmax_loss: {part} is inf or nan for {label} (+-1000 at every "
                    f"position): subtract the largest score of each position before exponentiating"
                )
        truth = dict(args, scores=scores.astype(np.float64))
        loss_ref, dscores_ref = ref.fn(*truth.values())
        loss, dscores = (as_float32(r) for r in result) if dtype == np.float32 else result
        loss = np.asarray(loss)
        if loss.size != 1:
            raise AssertionError(f"temporal_softmax_loss ({label}): loss must be a single number")
        compare(f"temporal_softmax_loss ({label}): loss", loss.reshape(()), loss_ref)
        compare(f"temporal_softmax_loss ({label}): dscores", dscores, dscores_ref)


@suite("temporal_softmax_loss", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTV"):
        N, T, V = s["N"], s["T"], max(s["V"], 2)
        scores, y = _loss_inputs(rng, N, T, V)
        _check_loss(
            f"temporal_softmax_loss without mask (N={N}, T={T}, V={V})", student.fn, ref.fn, scores, y, None
        )
        mask = np.ones((N, T), dtype=bool)
        _check_loss(
            f"temporal_softmax_loss with an all-True mask (N={N}, T={T}, V={V})",
            student.fn,
            ref.fn,
            scores,
            y,
            mask,
        )
    # Scores of size 1e3: the loss must not overflow (test_temporal_softmax_loss_hidden calls "random").
    _loss_large_scores(rng, student, ref)


@suite("temporal_softmax_loss", "mask")
def _(rng, student, ref):
    N, T, V = 4, 5, 6
    scores, y = _loss_inputs(rng, N, T, V)
    # Padding at the end of sequences of different lengths; sequence 3 keeps one step.
    lengths = np.array([5, 3, 2, 1])
    mask = np.arange(T)[None, :] < lengths[:, None]
    _check_loss(
        "temporal_softmax_loss with padded sequences of lengths 5, 3, 2, 1",
        student.fn,
        ref.fn,
        scores,
        y,
        mask,
    )
    # One single position masked out: it must change neither the loss nor its gradient.
    mask = np.ones((N, T), dtype=bool)
    mask[1, 2] = False
    _check_loss("temporal_softmax_loss with position [1, 2] masked out", student.fn, ref.fn, scores, y, mask)
    # A whole sequence masked out, and huge scores at the masked positions.
    mask = rng.random((N, T)) < 0.6
    mask[0] = False
    mask[2, 0] = True
    scores = scores.copy()
    scores[~mask] *= 50.0
    _check_loss(
        "temporal_softmax_loss with a random mask and sequence 0 fully masked",
        student.fn,
        ref.fn,
        scores,
        y,
        mask,
    )
    # N=1, T=1 with the only position kept.
    scores, y = _loss_inputs(rng, 1, 1, 3)
    _check_loss(
        "temporal_softmax_loss with N=1, T=1", student.fn, ref.fn, scores, y, np.ones((1, 1), dtype=bool)
    )


@suite("bidirectional_rnn_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH"):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        Wx_f, Wh_f, b_f = rnn_params(rng, D, H)
        Wx_b, Wh_b, b_b = rnn_params(rng, D, H)
        args = dict(
            x=normal(rng, N, T, D),
            h0_f=normal(rng, N, H, scale=0.8),
            h0_b=normal(rng, N, H, scale=0.8),
            Wx_f=Wx_f,
            Wh_f=Wh_f,
            b_f=b_f,
            Wx_b=Wx_b,
            Wh_b=Wh_b,
            b_b=b_b,
        )
        expected, _ = ref.fn(*args.values())
        got = out_and_cache(
            "bidirectional_rnn_forward", call("bidirectional_rnn_forward", student.fn, **args)
        )
        compare(f"bidirectional_rnn_forward (N={N}, T={T}, D={D}, H={H}): h", got, expected)
