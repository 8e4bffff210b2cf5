"""Hidden test suites of assignment 03_lstm_gru.

Forward suites ("random", "c0") draw random shapes, always including N=1,
T=1 and H=1 (H=1 makes each gate one column: a gate order mix-up still shows,
because the four blocks get different weights), and compare the student's
outputs with the reference in float64. Backward suites ("gradcheck",
"last_step") compare the student's gradients with the reference AND with
centred differences of the student's own forward, so a backward that matches
a wrong forward still fails.

Tolerances (the helpers of rnn_forward.py): 1e-6 times the size of the
expected values for float64 results, 1e-4 for float32 results; centred
differences with eps=1e-6 in float64 are accurate to about 1e-9 here. Weights
are scaled by 1/sqrt(fan-in) so that every gate works in its curved range and
a wrong formula is off by 1e-2 or more.

Dimensions: N batch, T time, D input, H hidden.
"""

import numpy as np

from rnn_helpers.grading.cases._common import (
    EPS,
    call,
    compare,
    normal,
    shapes,
    tolerance,
    unpack,
)
from rnn_helpers.grading.registry import assert_close, suite
from rnn_helpers.reference.gradcheck import numerical_gradient


def _gated_params(rng, D, H, gates, biases=1):
    """Wx (D, G*H), Wh (H, G*H) and `biases` bias vectors (G*H,), G = gates."""
    Wx = normal(rng, D, gates * H, scale=1 / np.sqrt(D))
    Wh = normal(rng, H, gates * H, scale=1 / np.sqrt(H))
    return (Wx, Wh) + tuple(normal(rng, gates * H, scale=0.5) for _ in range(biases))


def _triple(fname, result):
    """(h_next, c_next, cache) with a readable error otherwise."""
    if not (isinstance(result, tuple) and len(result) == 3):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise AssertionError(f"{fname} must return a tuple (h_next, c_next, cache), got {got}")
    return result


def _pair(fname, result):
    if not (isinstance(result, tuple) and len(result) == 2):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise AssertionError(f"{fname} must return a tuple (out, cache), got {got}")
    return result


def _scale(num):
    return max(1.0, float(np.max(np.abs(num))) if num.size else 1.0)


def _against_differences(fname, label, f, work, names, grads, dout):
    """Each gradient in `grads` against centred differences of f() w.r.t. work[name].

    f takes no argument: numerical_gradient perturbs work[name] in place and f reads work.
    """
    for gname, g in grads.items():
        num = numerical_gradient(lambda _: f(), work[names[gname]], dout, eps=EPS)
        g = np.asarray(g)
        assert_close(
            f"{fname} ({label}): {gname} against centred differences of your forward",
            g.astype(np.float64),
            num,
            atol=tolerance(g, _scale(num)),
        )


# ----------------------------------------------------------------------------- sigmoid


@suite("sigmoid", "random")
def _(rng, student, ref):
    for shape in [(1,), (1, 1), (3,), (2, 5), (4, 3, 2), (2, 1, 6)]:
        x = normal(rng, *shape, scale=4.0)
        got = call("sigmoid", student.fn, x=x)
        compare(f"sigmoid(x) for x of shape {shape}", got, ref.fn(x))
    x = normal(rng, 3, 4, scale=4.0).astype(np.float32)
    got = call("sigmoid", student.fn, x=x)
    compare("sigmoid(x) for float32 x of shape (3, 4)", got, ref.fn(x))


@suite("sigmoid", "extreme")
def _(rng, student, ref):
    # Values where exp(x) or exp(-x) overflows float64 (|x| > 709), and the
    # range around it; the answers are exactly 0 and 1 to double precision.
    x = np.array([-1e4, -1000.0, -745.0, -710.0, -40.0, -20.0, 0.0, 20.0, 40.0, 710.0, 745.0, 1000.0, 1e4])
    x = x[rng.permutation(x.size)].reshape(1, -1)
    with np.errstate(all="ignore"):  # warnings are not failures; wrong values are
        got = call("sigmoid", student.fn, x=x)
    got_arr = np.asarray(got, dtype=np.float64) if np.shape(got) == x.shape else got
    if np.shape(got) == x.shape and not np.all(np.isfinite(got_arr)):
        bad = x[~np.isfinite(got_arr)]
        raise AssertionError(
            f"sigmoid returns nan or inf for x = {bad[0]:g}; a stable sigmoid never divides inf by inf"
        )
    assert_close("sigmoid(x) for |x| up to 1e4", got, ref.fn(x), atol=1e-12)
    x32 = np.array([[-200.0, -90.0, 90.0, 200.0]], dtype=np.float32)
    with np.errstate(all="ignore"):
        got = call("sigmoid", student.fn, x=x32)
    assert_close("sigmoid(x) for float32 x = [-200, -90, 90, 200]", got, ref.fn(x32), atol=1e-7)


# ------------------------------------------------------------------------- LSTM forward


def _lstm_step_inputs(rng, N, D, H):
    Wx, Wh, b = _gated_params(rng, D, H, 4)
    return dict(
        x=normal(rng, N, D), h_prev=normal(rng, N, H, scale=0.8), c_prev=normal(rng, N, H), Wx=Wx, Wh=Wh, b=b
    )


@suite("lstm_step_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NDH"):
        N, D, H = s["N"], s["D"], s["H"]
        args = _lstm_step_inputs(rng, N, D, H)
        h_ref, c_ref, _ = ref.fn(*args.values())
        h, c, _ = _triple("lstm_step_forward", call("lstm_step_forward", student.fn, **args))
        label = f"lstm_step_forward (N={N}, D={D}, H={H})"
        compare(f"{label}: c_next", c, c_ref)
        compare(f"{label}: h_next", h, h_ref)


def _lstm_seq_inputs(rng, N, T, D, H, with_c0):
    Wx, Wh, b = _gated_params(rng, D, H, 4)
    args = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
    if with_c0:
        args["c0"] = normal(rng, N, H)
    return args


@suite("lstm_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH"):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        args = _lstm_seq_inputs(rng, N, T, D, H, with_c0=False)
        expected, _ = ref.fn(*args.values())
        got, _ = _pair("lstm_forward", call("lstm_forward", student.fn, **args))
        compare(f"lstm_forward (N={N}, T={T}, D={D}, H={H}, c0=None): h", got, expected)


@suite("lstm_forward", "c0")
def _(rng, student, ref):
    # A given initial cell state must be used, and carried from step to step.
    for s in shapes(rng, "NTDH"):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        args = _lstm_seq_inputs(rng, N, T, D, H, with_c0=True)
        expected, _ = ref.fn(*args.values())
        got, _ = _pair("lstm_forward", call("lstm_forward", student.fn, **args))
        compare(f"lstm_forward (N={N}, T={T}, D={D}, H={H}) with a given c0: h", got, expected)


# ------------------------------------------------------------------------ LSTM backward

_STEP_GRADS = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
_STEP_INPUTS = ("x", "h_prev", "c_prev", "Wx", "Wh", "b")


@suite("lstm_step_backward", "gradcheck", forward="lstm_step_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NDH", high=4):
        N, D, H = s["N"], s["D"], s["H"]
        label = f"N={N}, D={D}, H={H}"
        args = _lstm_step_inputs(rng, N, D, H)
        dh, dc = normal(rng, N, H), normal(rng, N, H)
        _, _, cache_s = _triple("lstm_step_forward", student.forward(*args.values()))
        got = unpack(
            "lstm_step_backward",
            call("lstm_step_backward", student.fn, dh_next=dh, dc_next=dc, cache=cache_s),
            _STEP_GRADS,
        )
        _, _, cache_r = ref.forward(*args.values())
        want = ref.fn(dh, dc, cache_r)
        for gname, g, w in zip(_STEP_GRADS, got, want):
            compare(f"lstm_step_backward ({label}): {gname}", g, w)
        # Loss sum(h_next * dh) + sum(c_next * dc), as one array against one upstream.
        work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}

        def f():
            h, c, _ = student.forward(*work.values())
            return np.concatenate([np.asarray(h, np.float64), np.asarray(c, np.float64)])

        _against_differences(
            "lstm_step_backward",
            label,
            f,
            work,
            dict(zip(_STEP_GRADS, _STEP_INPUTS)),
            dict(zip(_STEP_GRADS, got)),
            np.concatenate([dh, dc]),
        )


_SEQ_GRADS = ("dx", "dh0", "dWx", "dWh", "db")
_SEQ_INPUTS = ("x", "h0", "Wx", "Wh", "b")


def _check_lstm_backward(rng, student, ref, N, T, D, H, dh, label):
    args = _lstm_seq_inputs(rng, N, T, D, H, with_c0=False)
    _, cache_s = _pair("lstm_forward", student.forward(*args.values()))
    got = unpack("lstm_backward", call("lstm_backward", student.fn, dh=dh, cache=cache_s), _SEQ_GRADS)
    _, cache_r = ref.forward(*args.values())
    want = ref.fn(dh, cache_r)
    for gname, g, w in zip(_SEQ_GRADS, got, want):
        compare(f"lstm_backward ({label}): {gname}", g, w)
    work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}

    def f():
        return student.forward(*work.values())[0]

    _against_differences(
        "lstm_backward", label, f, work, dict(zip(_SEQ_GRADS, _SEQ_INPUTS)), dict(zip(_SEQ_GRADS, got)), dh
    )


@suite("lstm_backward", "gradcheck", forward="lstm_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH", high=4):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        _check_lstm_backward(
            rng, student, ref, N, T, D, H, normal(rng, N, T, H), f"N={N}, T={T}, D={D}, H={H}"
        )


@suite("lstm_backward", "last_step", forward="lstm_forward")
def _(rng, student, ref):
    # Only the last state feeds the loss (many-to-one): every earlier gradient
    # exists only because it was carried back through h AND c from step to step.
    for T in (2, 5, 8):
        N, D, H = 2, 3, 3
        dh = np.zeros((N, T, H))
        dh[:, -1] = normal(rng, N, H)
        _check_lstm_backward(
            rng, student, ref, N, T, D, H, dh, f"only the last of T={T} states has a gradient"
        )


# ------------------------------------------------------------------------- param count


@suite("lstm_param_count", "random")
def _(rng, student, ref):
    pairs = [(1, 1), (1, 7), (7, 1), (3, 3), (10, 20), (20, 10), (128, 256), (300, 512)]
    pairs += [tuple(int(v) for v in rng.integers(1, 1000, size=2)) for _ in range(4)]
    for D, H in pairs:
        got = student.fn(D, H)
        want = ref.fn(D, H)
        try:
            ok = float(got) == float(want)
        except (TypeError, ValueError):
            raise AssertionError(f"lstm_param_count({D}, {H}) returned {got!r}, expected a number") from None
        if not ok:
            raise AssertionError(
                f"lstm_param_count(input_size={D}, hidden_size={H}) = {got}, expected {want}"
            )


# --------------------------------------------------------------------------------- GRU


def _gru_weights(rng, D, H):
    return _gated_params(rng, D, H, 3, biases=2)


@suite("gru_step_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NDH"):
        N, D, H = s["N"], s["D"], s["H"]
        Wx, Wh, bx, bh = _gru_weights(rng, D, H)
        args = dict(x=normal(rng, N, D), h_prev=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, bx=bx, bh=bh)
        expected, _ = ref.fn(*args.values())
        got, _ = _pair("gru_step_forward", call("gru_step_forward", student.fn, **args))
        compare(f"gru_step_forward (N={N}, D={D}, H={H}): h_next", got, expected)


@suite("gru_forward", "random")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH"):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        Wx, Wh, bx, bh = _gru_weights(rng, D, H)
        args = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, bx=bx, bh=bh)
        expected, _ = ref.fn(*args.values())
        got, _ = _pair("gru_forward", call("gru_forward", student.fn, **args))
        compare(f"gru_forward (N={N}, T={T}, D={D}, H={H}): h", got, expected)


# ------------------------------------------------------------------------- GRU backward

_GRU_STEP_GRADS = ("dx", "dh_prev", "dWx", "dWh", "dbx", "dbh")
_GRU_STEP_INPUTS = ("x", "h_prev", "Wx", "Wh", "bx", "bh")


def _gru_step_inputs(rng, N, D, H):
    Wx, Wh, bx, bh = _gru_weights(rng, D, H)
    return dict(x=normal(rng, N, D), h_prev=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, bx=bx, bh=bh)


@suite("gru_step_backward", "gradcheck", forward="gru_step_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NDH", high=4):
        N, D, H = s["N"], s["D"], s["H"]
        label = f"N={N}, D={D}, H={H}"
        args = _gru_step_inputs(rng, N, D, H)
        dh = normal(rng, N, H)
        _, cache_s = _pair("gru_step_forward", student.forward(*args.values()))
        got = unpack(
            "gru_step_backward",
            call("gru_step_backward", student.fn, dh_next=dh, cache=cache_s),
            _GRU_STEP_GRADS,
        )
        _, cache_r = ref.forward(*args.values())
        want = ref.fn(dh, cache_r)
        for gname, g, w in zip(_GRU_STEP_GRADS, got, want):
            compare(f"gru_step_backward ({label}): {gname}", g, w)
        work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}

        def f():
            return student.forward(*work.values())[0]

        _against_differences(
            "gru_step_backward",
            label,
            f,
            work,
            dict(zip(_GRU_STEP_GRADS, _GRU_STEP_INPUTS)),
            dict(zip(_GRU_STEP_GRADS, got)),
            dh,
        )


_GRU_SEQ_GRADS = ("dx", "dh0", "dWx", "dWh", "dbx", "dbh")
_GRU_SEQ_INPUTS = ("x", "h0", "Wx", "Wh", "bx", "bh")


def _check_gru_backward(rng, student, ref, N, T, D, H, dh, label):
    Wx, Wh, bx, bh = _gru_weights(rng, D, H)
    args = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, bx=bx, bh=bh)
    _, cache_s = _pair("gru_forward", student.forward(*args.values()))
    got = unpack("gru_backward", call("gru_backward", student.fn, dh=dh, cache=cache_s), _GRU_SEQ_GRADS)
    _, cache_r = ref.forward(*args.values())
    want = ref.fn(dh, cache_r)
    for gname, g, w in zip(_GRU_SEQ_GRADS, got, want):
        compare(f"gru_backward ({label}): {gname}", g, w)
    work = {k: np.array(v, dtype=np.float64) for k, v in args.items()}

    def f():
        return student.forward(*work.values())[0]

    _against_differences(
        "gru_backward",
        label,
        f,
        work,
        dict(zip(_GRU_SEQ_GRADS, _GRU_SEQ_INPUTS)),
        dict(zip(_GRU_SEQ_GRADS, got)),
        dh,
    )


@suite("gru_backward", "gradcheck", forward="gru_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH", high=4):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        _check_gru_backward(
            rng, student, ref, N, T, D, H, normal(rng, N, T, H), f"N={N}, T={T}, D={D}, H={H}"
        )


@suite("gru_backward", "last_step", forward="gru_forward")
def _(rng, student, ref):
    # Only the last state feeds the loss (many-to-one): every earlier gradient
    # exists only because it was carried back through h from step to step.
    for T in (2, 5, 8):
        N, D, H = 2, 3, 3
        dh = np.zeros((N, T, H))
        dh[:, -1] = normal(rng, N, H)
        _check_gru_backward(
            rng, student, ref, N, T, D, H, dh, f"only the last of T={T} states has a gradient"
        )
