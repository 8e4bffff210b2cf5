"""Hidden test suites of assignment 02_bptt.

Backward suites ("gradcheck") run the student's forward (the one the notebook
gives them, whose cache their backward reads) and their backward on random
inputs and upstream gradients, and compare the gradients
- with the reference forward/backward pair on the same inputs, and
- with centred differences of the student's own forward, in float64,
so that a backward that only matches a wrong forward still fails.
Tolerances as in rnn_forward: 1e-6 (float64) or 1e-4 (float32) times the
size of the expected values; centred differences with eps=1e-6 are accurate
to about 1e-9 here.

Dimensions: N batch, T time, D input, H hidden, V vocabulary.
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
from rnn_helpers.grading.cases.rnn_forward import rnn_params
from rnn_helpers.grading.registry import assert_close, suite

# The grader's centred differences (the suite "numerical_gradient" below grades
# the student's own version against this same reference).
from rnn_helpers.reference.gradcheck import numerical_gradient


def check_backward(fname, student, ref, inputs, grad_names, diff_names, dout_shape, rng, label):
    """Compare the student's backward with the reference and with centred differences.

    - inputs: dict of forward inputs, in the forward's argument order
    - grad_names: names of the gradients the backward returns, in order
    - diff_names: the inputs those gradients belong to (same order)
    """
    dout = normal(rng, *dout_shape)
    out_s, cache_s = student.forward(*inputs.values())
    got = unpack(fname, call(fname, student.fn, dout=dout, cache=cache_s), grad_names)
    _, cache_r = ref.forward(*inputs.values())
    want = unpack(fname, ref.fn(dout, cache_r), grad_names)
    for gname, g, w in zip(grad_names, got, want):
        compare(f"{fname} ({label}): {gname}", g, w)
    # The student's own forward, differentiated numerically: the gradient must be
    # that of the function the student's code computes.
    work = {k: np.array(v, dtype=np.float64) if k in diff_names else v for k, v in inputs.items()}

    def f(_):
        # numerical_gradient perturbs work[pname] in place: read it from work.
        return student.forward(*work.values())[0]

    for gname, pname, g in zip(grad_names, diff_names, got):
        num = numerical_gradient(f, work[pname], dout, eps=EPS)
        g = np.asarray(g)
        scale = max(1.0, float(np.max(np.abs(num))) if num.size else 1.0)
        assert_close(
            f"{fname} ({label}): {gname} against centred differences of the forward",
            g.astype(np.float64),
            num,
            atol=tolerance(g, scale),
        )


@suite("rnn_step_backward", "gradcheck", forward="rnn_step_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NDH", high=4):
        N, D, H = s["N"], s["D"], s["H"]
        Wx, Wh, b = rnn_params(rng, D, H)
        inputs = dict(x=normal(rng, N, D), h_prev=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
        check_backward(
            "rnn_step_backward",
            student,
            ref,
            inputs,
            ("dx", "dh_prev", "dWx", "dWh", "db"),
            ("x", "h_prev", "Wx", "Wh", "b"),
            (N, H),
            rng,
            f"N={N}, D={D}, H={H}",
        )


@suite("rnn_backward", "gradcheck", forward="rnn_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NTDH", high=4):
        N, T, D, H = s["N"], s["T"], s["D"], s["H"]
        Wx, Wh, b = rnn_params(rng, D, H)
        inputs = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
        check_backward(
            "rnn_backward",
            student,
            ref,
            inputs,
            ("dx", "dh0", "dWx", "dWh", "db"),
            ("x", "h0", "Wx", "Wh", "b"),
            (N, T, H),
            rng,
            f"N={N}, T={T}, D={D}, H={H}",
        )


@suite("rnn_backward", "last_step_only", forward="rnn_forward")
def _(rng, student, ref):
    # Many-to-one: only the last state receives a gradient; it must still reach
    # every earlier step, x[:, 0] and h0 included.
    N, T, D, H = 2, 6, 3, 4
    Wx, Wh, b = rnn_params(rng, D, H)
    inputs = dict(x=normal(rng, N, T, D), h0=normal(rng, N, H, scale=0.8), Wx=Wx, Wh=Wh, b=b)
    dh = np.zeros((N, T, H))
    dh[:, -1] = normal(rng, N, H)
    _, cache_s = student.forward(*inputs.values())
    got = unpack(
        "rnn_backward",
        call("rnn_backward", student.fn, dh=dh, cache=cache_s),
        ("dx", "dh0", "dWx", "dWh", "db"),
    )
    _, cache_r = ref.forward(*inputs.values())
    want = ref.fn(dh, cache_r)
    for gname, g, w in zip(("dx", "dh0", "dWx", "dWh", "db"), got, want):
        compare(f"rnn_backward with a gradient on the last state only (T={T}): {gname}", g, w)


@suite("embedding_backward", "gradcheck", forward="embedding_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NTVD", high=5):
        N, T, V, D = s["N"], s["T"], s["V"], s["D"]
        idx = rng.integers(0, V, size=(N, T))
        if idx.size >= 2:
            idx.flat[1] = idx.flat[0]  # a repeated token: its gradients must add up
        inputs = dict(idx=idx, W=normal(rng, V, D))
        check_backward(
            "embedding_backward",
            student,
            ref,
            inputs,
            ("dW",),
            ("W",),
            (N, T, D),
            rng,
            f"N={N}, T={T}, V={V}, D={D}",
        )
    # Many repeats of few tokens in a larger table: unused rows get exactly 0.
    idx = np.array([[1, 1, 1, 2], [2, 1, 1, 1]])
    inputs = dict(idx=idx, W=normal(rng, 6, 3))
    check_backward(
        "embedding_backward",
        student,
        ref,
        inputs,
        ("dW",),
        ("W",),
        (2, 4, 3),
        rng,
        "tokens 1 and 2 repeated in a table of V=6 rows",
    )


@suite("temporal_affine_backward", "gradcheck", forward="temporal_affine_forward")
def _(rng, student, ref):
    for s in shapes(rng, "NTHV", high=4):
        N, T, H, V = s["N"], s["T"], s["H"], s["V"]
        inputs = dict(h=normal(rng, N, T, H), W=normal(rng, H, V, scale=1 / np.sqrt(H)), b=normal(rng, V))
        check_backward(
            "temporal_affine_backward",
            student,
            ref,
            inputs,
            ("dh", "dW", "db"),
            ("h", "W", "b"),
            (N, T, V),
            rng,
            f"N={N}, T={T}, H={H}, V={V}",
        )


# Test functions for numerical_gradient: each reads only its argument.
def _cube(x):
    return x**3


def _exp_mix(x):
    return np.exp(0.5 * x) * np.sin(x)


def _matmul_tanh(A):
    return lambda x: np.tanh(x @ A)


def _row_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@suite("numerical_gradient", "random")
def _(rng, student, ref):
    cases = [
        ("x ** 3, x of shape (5,)", _cube, normal(rng, 5, scale=2.0)),
        ("exp(x / 2) * sin(x), x of shape (3, 4)", _exp_mix, normal(rng, 3, 4)),
        ("tanh(x @ A), x of shape (2, 3)", _matmul_tanh(normal(rng, 3, 4)), normal(rng, 2, 3)),
        ("softmax of each row, x of shape (2, 3, 4)", _row_softmax, normal(rng, 2, 3, 4)),
        ("x ** 3, x of shape (1, 1)", _cube, normal(rng, 1, 1)),
    ]
    for label, f, x in cases:
        dout = normal(rng, *np.shape(f(x)))
        saved = x.copy()
        got = student.fn(f, x, dout)
        if not np.array_equal(x, saved):
            raise AssertionError(
                f"numerical_gradient ({label}): x was not restored afterwards; "
                f"put every perturbed element back to its original value"
            )
        want = ref.fn(f, x.copy(), dout)
        compare(f"numerical_gradient of sum(f(x) * dout) for f = {label}", got, want)
    # The step size is an argument: a larger eps must be used when given.
    x = normal(rng, 4)
    dout = normal(rng, 4)
    got = student.fn(_cube, x, dout, eps=1e-2)
    # For x**3 the centred difference is exactly 3x^2 + eps^2, times dout.
    compare(
        "numerical_gradient(f, x, dout, eps=1e-2) for f = x ** 3 (eps must be used)",
        got,
        ref.fn(_cube, x.copy(), dout, eps=1e-2),
    )


def _grads(rng, scale):
    """A dict of gradients with assorted shapes (1-element ones included)."""
    return {
        "Wx": normal(rng, 3, 4, scale=scale),
        "Wh": normal(rng, 4, 4, scale=scale),
        "b": normal(rng, 4, scale=scale),
        "W_out": normal(rng, 4, 2, scale=scale),
        "b_out": normal(rng, 1, scale=scale),
    }


def _check_clip(label, student, ref, grads, max_norm):
    saved = {k: v.copy() for k, v in grads.items()}
    result = student.fn(grads, max_norm)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError("clip_gradients must return a pair (clipped, total_norm)")
    clipped, total = result
    if set(grads) != set(saved) or any(not np.array_equal(grads[k], saved[k]) for k in saved):
        raise AssertionError(
            f"clip_gradients ({label}) modified the gradients it was given; "
            f"return new arrays instead of scaling in place"
        )
    if not isinstance(clipped, dict) or set(clipped) != set(grads):
        raise AssertionError(
            f"clip_gradients ({label}): clipped must be a dict with the keys "
            f"{sorted(grads)}, got "
            f"{sorted(clipped) if isinstance(clipped, dict) else type(clipped).__name__}"
        )
    want, total_ref = ref.fn(saved, max_norm)
    compare(
        f"clip_gradients ({label}): total_norm", np.asarray(total, dtype=np.float64).reshape(()), total_ref
    )
    for k in sorted(grads):
        compare(f"clip_gradients ({label}): clipped[{k!r}]", clipped[k], want[k])


@suite("clip_gradients", "random")
def _(rng, student, ref):
    for scale in (0.1, 1.0, 10.0):
        grads = _grads(rng, scale)
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        for factor in (0.3, 2.0):  # a max_norm below and above the global norm
            _check_clip(
                f"global norm {norm:.3g}, max_norm {factor * norm:.3g}", student, ref, grads, factor * norm
            )


@suite("clip_gradients", "threshold")
def _(rng, student, ref):
    grads = _grads(rng, 1.0)
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    # Under the threshold nothing changes; over it, the global norm becomes max_norm.
    _check_clip("under the threshold", student, ref, grads, 1.5 * norm)
    _check_clip("over the threshold", student, ref, grads, 0.5 * norm)
    clipped, _ = student.fn(grads, 0.5 * norm)
    new_norm = np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in clipped.values()))
    compare("clip_gradients: global norm after clipping to max_norm", np.asarray(new_norm), 0.5 * norm)
    # A single array and a one-element gradient.
    _check_clip("a single 1-element gradient", student, ref, {"b": np.array([3.0])}, 1.0)
