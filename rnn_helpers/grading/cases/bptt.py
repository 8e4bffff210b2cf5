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

import functools

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
from rnn_helpers.reference.char_rnn import bigram_baseline, char_rnn_loss
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


# ------------------------------------------------------------------ the character RNN
# Suites of the model the student assembles and trains (section 7 of the notebook).
# Dimensions as above; params is the dict of reference.char_rnn.PARAM_SHAPES.

PARAM_NAMES = ("W_embed", "Wx", "Wh", "b", "W_out", "b_out")


def char_params(rng, V, D, H):
    """A dict of character-RNN parameters, scaled so that tanh works in its curved range."""
    Wx, Wh, b = rnn_params(rng, D, H)
    return {
        "W_embed": normal(rng, V, D),
        "Wx": Wx,
        "Wh": Wh,
        "b": b,
        "W_out": normal(rng, H, V, scale=1 / np.sqrt(H)),
        "b_out": normal(rng, V, scale=0.5),
    }


def _copy_params(params):
    return {k: v.copy() for k, v in params.items()}


def _unchanged(fname, params, saved):
    """Fail when the student's function changed the params dict or its arrays in place."""
    if set(params) != set(saved) or any(not np.array_equal(params[k], saved[k]) for k in saved):
        raise AssertionError(
            f"{fname} modified the params it was given; leave them unchanged and return new arrays"
        )


def _loss_result(fname, result, label):
    """(loss, grads, h_last) from the student's char_rnn_loss, checked for its form."""
    if not (isinstance(result, tuple) and len(result) == 3):
        raise AssertionError(f"{fname} ({label}) must return a tuple (loss, grads, h_last)")
    loss, grads, h_last = result
    if not isinstance(grads, dict) or set(grads) != set(PARAM_NAMES):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(
            f"{fname} ({label}): grads must be a dict with the keys of params {list(PARAM_NAMES)}, got {got}"
        )
    return loss, grads, h_last


def _compare_loss(label, got, want):
    loss, grads, h_last = got
    loss_r, grads_r, h_last_r = want
    compare(f"char_rnn_loss ({label}): loss", np.asarray(loss, dtype=np.float64).reshape(()), loss_r)
    for k in PARAM_NAMES:
        compare(f"char_rnn_loss ({label}): grads[{k!r}]", grads[k], grads_r[k])
    compare(f"char_rnn_loss ({label}): h_last", h_last, h_last_r)


def _run_loss(student, ref, params, idx_in, idx_out, h0, mask, label):
    """The student's (loss, grads, h_last), compared with the reference's; inputs must stay unchanged."""
    saved = _copy_params(params)
    got = _loss_result(
        "char_rnn_loss",
        call("char_rnn_loss", student.fn, params=params, idx_in=idx_in, idx_out=idx_out, h0=h0, mask=mask),
        label,
    )
    _unchanged("char_rnn_loss", params, saved)
    _compare_loss(label, got, ref.fn(saved, idx_in, idx_out, h0, mask))
    return got


def _char_batch(rng, N, T, V, H, masked):
    idx = rng.integers(0, V, size=(N, T + 1))
    mask = None
    if masked:
        mask = rng.random((N, T)) < 0.7
        mask[:, 0] = True  # every row keeps something, so the mean is over a non-empty set
    return idx[:, :-1].copy(), idx[:, 1:].copy(), normal(rng, N, H, scale=0.5), mask


@suite("char_rnn_loss", "gradcheck")
def _(rng, student, ref):
    cases = shapes(rng, "NTVDH", small=(1, 1, 2, 1, 1), high=4)
    for k, s in enumerate(cases):
        N, T, V, D, H = s["N"], s["T"], max(2, s["V"]), s["D"], s["H"]
        params = char_params(rng, V, D, H)
        idx_in, idx_out, h0, mask = _char_batch(rng, N, T, V, H, masked=k % 2 == 1)
        label = f"N={N}, T={T}, V={V}, D={D}, H={H}, mask {'given' if mask is not None else 'None'}"
        got = _run_loss(student, ref, params, idx_in, idx_out, h0, mask, label)
        if k not in (0, len(cases) - 1):
            continue  # centred differences on the smallest and the largest case: they are slow
        # The gradient must be that of the loss the student's own code computes.
        work = _copy_params(params)
        for name in PARAM_NAMES:

            def f(_, name=name):
                return np.asarray(student.fn(work, idx_in, idx_out, h0, mask)[0], dtype=np.float64)

            num = numerical_gradient(f, work[name], np.array(1.0), eps=EPS)
            g = np.asarray(got[1][name])
            assert_close(
                f"char_rnn_loss ({label}): grads[{name!r}] against centred differences of your loss",
                g.astype(np.float64),
                num,
                atol=tolerance(g, max(1.0, float(np.max(np.abs(num))))),
            )


@suite("char_rnn_loss", "carry")
def _(rng, student, ref):
    # Truncated BPTT: h_last of one chunk fed as h0 of the next continues the sequence.
    N, T1, T2, V, D, H = 3, 4, 3, 6, 3, 5
    params = char_params(rng, V, D, H)
    idx_in, idx_out, h0, _ = _char_batch(rng, N, T1 + T2, V, H, masked=False)
    _, _, h_long = _run_loss(student, ref, params, idx_in, idx_out, h0, None, f"one chunk of T={T1 + T2}")
    _, _, h_mid = _run_loss(
        student, ref, params, idx_in[:, :T1], idx_out[:, :T1], h0, None, f"the first {T1} steps"
    )
    # The second chunk, from the student's own h_last, must end where the long sequence ends.
    _, _, h_end = _loss_result(
        "char_rnn_loss", student.fn(params, idx_in[:, T1:], idx_out[:, T1:], h_mid, None), "second chunk"
    )
    compare(
        f"char_rnn_loss: h_last after chunks of {T1} and {T2} steps, the first one's h_last carried "
        f"as h0 (it must equal h_last of the whole sequence of {T1 + T2} steps)",
        h_end,
        h_long,
    )
    # The mask selects the loss's positions; it does not stop the recurrence.
    mask = np.ones((N, T1 + T2), dtype=bool)
    mask[:, -2:] = False
    _, _, h_masked = _run_loss(
        student, ref, params, idx_in, idx_out, h0, mask, "the last two positions masked out"
    )
    compare(
        "char_rnn_loss: h_last with the last positions masked out (the mask only selects the loss)",
        h_masked,
        h_long,
    )


@suite("char_rnn_loss", "mask")
def _(rng, student, ref):
    N, T, V, D, H = 4, 5, 7, 3, 4
    params = char_params(rng, V, D, H)
    idx_in, idx_out, h0, mask = _char_batch(rng, N, T, V, H, masked=True)
    mask[1] = False  # a row that is all padding
    mask[1, 0] = True
    full = np.ones((N, T), dtype=bool)
    got_none = _run_loss(student, ref, params, idx_in, idx_out, h0, None, "mask None")
    got_full = _run_loss(student, ref, params, idx_in, idx_out, h0, full, "mask all True")
    _compare_loss("mask all True must equal mask None", got_full, got_none)
    got = _run_loss(student, ref, params, idx_in, idx_out, h0, mask, "a mask with padded positions")
    # What a padded position holds must not matter.
    other = idx_out.copy()
    other[~mask] = (other[~mask] + 1) % V
    got_other = _run_loss(student, ref, params, idx_in, other, h0, mask, "other targets at padded positions")
    _compare_loss("targets changed only where the mask is False", got_other, got)
    # A single position.
    _run_loss(student, ref, params, idx_in[:1, :1], idx_out[:1, :1], h0[:1], None, "N=1, T=1")


# ------------------------------------------------------------------ sampling


def _check_samples(label, got, n, V):
    got_arr = np.asarray(got)
    if got_arr.shape != (n,) or not np.issubdtype(got_arr.dtype, np.integer):
        raise AssertionError(
            f"sample_chars ({label}): expected a 1-D integer array of {n} indices, "
            f"got {type(got).__name__} of shape {got_arr.shape}, dtype {got_arr.dtype}"
        )
    if n and (got_arr.min() < 0 or got_arr.max() >= V):
        raise AssertionError(f"sample_chars ({label}): indices must lie in [0, V) = [0, {V})")
    return got_arr


def _same_samples(label, got, want):
    if not np.array_equal(got, want):
        t = int(np.argmax(got != want))
        raise AssertionError(
            f"sample_chars ({label}): the samples differ from the reference's from position {t} on "
            f"(got {got[t]}, expected {want[t]})"
        )


@suite("sample_chars", "greedy")
def _(rng, student, ref):
    for V, D, H in ((5, 3, 4), (2, 1, 1), (8, 4, 6)):
        params = char_params(rng, V, D, H)
        params["W_out"] *= 3.0  # clear winners, far from ties
        start = int(rng.integers(0, V))
        for temperature in (0.0, 1e-9):
            spy = np.random.default_rng(0)
            before = spy.bit_generator.state
            label = f"V={V}, H={H}, temperature {temperature:g}"
            got = _check_samples(
                label,
                call(
                    "sample_chars",
                    student.fn,
                    params=_copy_params(params),
                    start_idx=start,
                    n=12,
                    temperature=temperature,
                    rng=spy,
                ),
                12,
                V,
            )
            _same_samples(
                label + " (greedy: the argmax at every step)", got, ref.fn(params, start, 12, temperature)
            )
            if spy.bit_generator.state != before:
                raise AssertionError(
                    f"sample_chars ({label}): greedy sampling must not draw from rng (it is the argmax)"
                )
    params = char_params(rng, 4, 2, 3)
    got = _check_samples("n=0", student.fn(params, 1, 0, 1.0, np.random.default_rng(0)), 0, 4)


@suite("sample_chars", "seeded")
def _(rng, student, ref):
    # One rng.choice(V, p=softmax(scores / temperature)) per step: the same seed, the same text.
    for V, D, H, temperature in ((6, 3, 5, 1.0), (4, 2, 3, 0.7), (9, 4, 4, 1.6), (3, 1, 1, 1.0)):
        params = char_params(rng, V, D, H)
        start = int(rng.integers(0, V))
        seed = int(rng.integers(0, 2**31))
        label = f"V={V}, H={H}, temperature {temperature:g}, rng = np.random.default_rng({seed})"
        got = call(
            "sample_chars",
            student.fn,
            params=_copy_params(params),
            start_idx=start,
            n=20,
            temperature=temperature,
            rng=np.random.default_rng(seed),
        )
        got = _check_samples(label, got, 20, V)
        want = ref.fn(params, start, 20, temperature, np.random.default_rng(seed))
        _same_samples(label + "; draw once per step with rng.choice(V, p=probs)", got, want)


def _markov_params(rng, V, D, H):
    """Parameters with Wh = 0: the next character depends on the previous one only."""
    params = char_params(rng, V, D, H)
    params["Wh"] = np.zeros((H, H))
    params["W_out"] *= 2.0
    return params


def _transition_probs(params, temperature):
    """(V, V): row a is the distribution of the character after a (Wh = 0)."""
    h = np.tanh(params["W_embed"] @ params["Wx"] + params["b"])  # (V, H): the state after reading a
    z = (h @ params["W_out"] + params["b_out"]) / temperature  # (V, V)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@suite("sample_chars", "frequencies")
def _(rng, student, ref):
    # Any correct way to draw: the frequencies of the samples match the model's probabilities.
    V, D, H, n = 5, 3, 4, 4000
    params = _markov_params(rng, V, D, H)
    for temperature in (1.0, 0.5, 2.0):
        probs = _transition_probs(params, temperature)
        got = _check_samples(
            f"temperature {temperature:g}",
            student.fn(params, 0, n, temperature, np.random.default_rng(int(rng.integers(0, 2**31)))),
            n,
            V,
        )
        prev = np.concatenate([[0], got[:-1]])
        counts = np.zeros((V, V))
        np.add.at(counts, (prev, got), 1.0)
        for a in range(V):
            c = counts[a].sum()
            if c < 100:
                continue  # too few visits to judge this row
            freq, p = counts[a] / c, probs[a]
            # 5 standard deviations of a frequency from c draws: a correct sampler fails
            # about once in a million runs.
            bound = 5 * np.sqrt(p * (1 - p) / c) + 1e-3
            worst = int(np.argmax(np.abs(freq - p) - bound))
            if abs(freq[worst] - p[worst]) > bound[worst]:
                raise AssertionError(
                    f"sample_chars (temperature {temperature:g}, {n} samples): after character {a} "
                    f"character {worst} came {freq[worst]:.3f} of the time, but the model gives it "
                    f"probability {p[worst]:.3f} (softmax(scores / temperature))"
                )


# ------------------------------------------------------------------ the bigram baseline


@suite("bigram_baseline", "random")
def _(rng, student, ref):
    for V, L, M, alpha in (
        (5, 60, 20, 1.0),
        (3, 200, 50, 0.5),
        (8, 30, 2, 2.0),
        (1, 10, 4, 1.0),
        (4, 1, 6, 1.0),
    ):
        train, val = rng.integers(0, V, size=L), rng.integers(0, V, size=M)
        label = f"V={V}, {L} training indices, {M} validation indices, alpha {alpha:g}"
        got = call("bigram_baseline", student.fn, train_idx=train, val_idx=val, V=V, alpha=alpha)
        compare(
            f"bigram_baseline ({label})",
            np.asarray(got, dtype=np.float64).reshape(()),
            ref.fn(train, val, V, alpha),
        )


@suite("bigram_baseline", "skewed")
def _(rng, student, ref):
    # A text with strong pairs: the counts, not the frequencies of single characters, matter.
    V = 6
    cycle = np.array([0, 3, 1, 5, 2, 4])
    train = cycle[np.arange(300) % V]
    train[rng.integers(0, 300, size=20)] = rng.integers(0, V, size=20)
    val = cycle[np.arange(40) % V]
    for alpha in (1.0, 0.01):
        got = call("bigram_baseline", student.fn, train_idx=train, val_idx=val, V=V, alpha=alpha)
        compare(
            f"bigram_baseline (a text of repeated pairs, alpha {alpha:g})",
            np.asarray(got, dtype=np.float64).reshape(()),
            ref.fn(train, val, V, alpha),
        )


# ------------------------------------------------------------------ the training loop


def _check_training(label, student, ref, params, data, N, T, steps, lr, max_norm):
    saved = _copy_params(params)
    result = call(
        "train_char_rnn",
        student.fn,
        params=params,
        data=data,
        batch_size=N,
        seq_len=T,
        steps=steps,
        lr=lr,
        max_norm=max_norm,
    )
    _unchanged("train_char_rnn", params, saved)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError("train_char_rnn must return a pair (params, losses)")
    new, losses = result
    if not isinstance(new, dict) or set(new) != set(PARAM_NAMES):
        raise AssertionError(
            f"train_char_rnn ({label}): the trained params must be a dict with the keys {list(PARAM_NAMES)}"
        )
    want, want_losses = ref.fn(saved, data, N, T, steps, lr, max_norm)
    compare(
        f"train_char_rnn ({label}): losses, one per step (the loss of each chunk before its update)",
        np.asarray(losses, dtype=np.float64).reshape(-1),
        want_losses,
    )
    for k in PARAM_NAMES:
        compare(f"train_char_rnn ({label}): trained params[{k!r}]", new[k], want[k])


@suite("train_char_rnn", "reference", allow=("adam_step",))
def _(rng, student, ref):
    # Tiny texts, so that the text runs out and the loop starts again within a few steps.
    V, D, H = 5, 3, 4
    for N, T, L, steps in ((2, 4, 26, 8), (1, 3, 10, 7), (3, 1, 12, 6), (2, 5, 40, 0)):
        params = char_params(rng, V, D, H)
        data = rng.integers(0, V, size=L)
        label = f"batch_size {N}, seq_len {T}, {L} indices, {steps} steps"
        # max_norm small enough that clipping acts at every step.
        _check_training(label, student, ref, params, data, N, T, steps, lr=0.05, max_norm=0.3)


@functools.cache
def _names_streams():
    """The names data as the notebook uses it: (train stream, validation stream, V)."""
    from rnn_helpers.data.names import load_names, train_val_split
    from rnn_helpers.data.vocab import Vocab

    words = load_names("first", max_len=10)
    train_words, val_words = train_val_split(words, val_fraction=0.1, seed=0)
    vocab = Vocab.from_texts(words, level="char")

    def stream(ws):
        idx, mask = vocab.encode(ws, add_end=True)
        return idx[mask]  # every name followed by </s>, one after the other

    return stream(train_words), stream(val_words), len(vocab)


@suite("train_char_rnn", "learns", allow=("adam_step",))
def _(rng, student, ref):
    # Within the grading budget (about a second), the model must beat counting pairs.
    train, val, V = _names_streams()
    D, H = 16, 48
    params = char_params(rng, V, D, H)
    params["W_embed"] *= 0.1
    params["b"][:] = 0.0
    params["b_out"][:] = 0.0
    result = student.fn(params, train, 32, 16, 100, 1e-2, 1.0)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict)):
        raise AssertionError("train_char_rnn must return a pair (params, losses)")
    trained = {k: np.asarray(v, dtype=np.float64) for k, v in result[0].items()}
    val_loss, _, _ = char_rnn_loss(trained, val[None, :-1], val[None, 1:], np.zeros((1, H)))
    baseline = bigram_baseline(train, val, V)
    if not val_loss < baseline:
        raise AssertionError(
            f"train_char_rnn: after 100 steps (batch_size 32, seq_len 16, lr 0.01) on the names the "
            f"validation loss is {val_loss:.3f}, not below the bigram baseline {baseline:.3f}; a "
            f"correct loop reaches about 2.23"
        )
