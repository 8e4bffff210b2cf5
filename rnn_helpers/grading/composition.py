"""One bug costs one function: check a composite function with the reference twins of its callees.

Several graded functions call other graded functions: `rnn_forward` calls
`rnn_step_forward`, `lstm_backward` calls `lstm_step_backward` and reads the
caches of `lstm_forward`, the attention functions call `masked_softmax`. A
bug in the callee would then cost every caller's points too. So when a hidden
check fails, `retry` runs the same suite again (same seed, same inputs, same
tolerances) with the notebook's callee names pointing at grader-made twins
for the duration of the run, and the function earns the points when one of
these attempts passes (the first attempt is also the one the diagnosis,
diagnosis.py, records):

- a forward check: the names in CALLEES[name] (those the notebook defines)
  point at their course twins: the reference's values in the cache layouts
  of the solution notebooks. The student's own function runs on top of them.
- a backward check (it is given the student's forward), the callees lent in
  each attempt:
  1. the forward's course twin where there is one (rnn_forward, lstm_forward,
     lstm_step_forward, gru_forward, gru_step_forward): a backward that
     reads the course's caches, or only hands them to the (lent) step
     backward, keeps its points whatever the student's forward does, and
     whatever cache format it keeps;
  2. the student's own forward with its outputs replaced by the reference
     forward's and its cache kept: centred differences then measure the true
     gradient, so a backward right for the student's own cache keeps its
     points even when a callee of the forward is wrong;
  3. the reference forward, with the plain reference twins lent: a backward
     right for the reference's caches keeps its points.
  A wrong forward whose cache is in the student's own format and holds wrong
  values can still cost the backward: nothing can rebuild that cache.

Step forward and step backward are always swapped together, so the caches a
swapped forward writes are the ones the swapped backward reads. Visible tests
keep running the student's own composition, so the student still sees an
error where it shows; they are worth 0 points (the function's points are in
its hidden cells), so that failure costs the caller nothing.

Delegation: the check runs the student's composition first, under the tracer,
and a function that calls the reference there fails whatever the attempts
say. In an attempt only the swapped names are allowed. The twins made here
are compiled as reference code (their code objects carry a file name in
rnn_helpers/reference/), so the tracer treats a call to them like a call to
the reference: allowed only where the grader swapped them in.
"""

import contextlib
import functools
import io
import linecache
import os
import sys
import types
import warnings
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from rnn_helpers.grading import guards, tamper

# Graded functions each function calls, directly or through the forward pass
# its backward check is given (the notebook's own names). Assignment 02's
# forwards are given cells, but a student may paste assignment 01's.
_CHAR_RNN_LAYERS = (
    "embedding_forward",
    "embedding_backward",
    "rnn_forward",
    "rnn_backward",
    "rnn_step_forward",
    "rnn_step_backward",
    "temporal_affine_forward",
    "temporal_affine_backward",
    "temporal_softmax_loss",
    "softmax",
)
CALLEES = MappingProxyType(
    {
        "rnn_forward": ("rnn_step_forward",),
        "bidirectional_rnn_forward": ("rnn_forward", "rnn_step_forward"),
        "temporal_softmax_loss": ("softmax",),
        "rnn_backward": ("rnn_step_backward", "rnn_step_forward"),
        # 02's model: forwards and backwards lent in pairs, so that every cache
        # meets the backward that reads it.
        "char_rnn_loss": _CHAR_RNN_LAYERS,
        "sample_chars": ("rnn_step_forward", "softmax"),
        "train_char_rnn": ("char_rnn_loss", "clip_gradients") + _CHAR_RNN_LAYERS,
        "lstm_step_forward": ("sigmoid",),
        "lstm_forward": ("lstm_step_forward", "sigmoid"),
        "lstm_step_backward": ("sigmoid",),  # through its forward, lstm_step_forward
        "lstm_backward": ("lstm_step_backward", "lstm_step_forward", "sigmoid"),
        "gru_step_forward": ("sigmoid",),
        "gru_forward": ("gru_step_forward", "sigmoid"),
        "gru_step_backward": ("sigmoid",),  # through its forward, gru_step_forward
        "gru_backward": ("gru_step_backward", "gru_step_forward", "sigmoid"),
        "dot_product_attention": ("masked_softmax",),
        "additive_attention": ("masked_softmax",),
        # The attention backwards recompute the weights (the forward, or masked_softmax) and
        # take them through masked_softmax_backward.
        "dot_product_attention_backward": (
            "masked_softmax_backward",
            "dot_product_attention",
            "masked_softmax",
        ),
        "additive_attention_backward": ("masked_softmax_backward", "additive_attention", "masked_softmax"),
        "attention_decoder_step": ("additive_attention", "masked_softmax"),
    }
)

# The file name the twins' code carries: inside the reference folder, so that
# guards.kind_of calls it reference code (it never exists on disk).
TWIN_FILE = os.path.join(guards.REFERENCE_DIR, "grader_twins.py")


@functools.cache
def reference(name):
    """The reference function called `name` (None when there is none), looked up once."""
    from rnn_helpers.grading.checker import reference as lookup  # checker imports this module

    return lookup(name)


# --------------------------------------------------------------------- course twins
# The reference's values in the cache layouts of the solution notebooks (the
# layouts the catalogue's entries and the notebook hints use). Dimensions: N
# batch, T time, D input, H hidden.


def rnn_forward(x, h0, Wx, Wh, b):
    """x (N, T, D), h0 (N, H) -> (h (N, T, H), cache = list of the T step caches (x_t, h_prev, Wx, Wh, h_t)).

    One call of the reference's rnn_forward, its cache cut into step caches:
    a check's centred differences run this forward hundreds of times.
    """
    h, (x, h0, Wx, Wh, _) = reference("rnn_forward")(x, h0, Wx, Wh, b)
    before = [h0] + [h[:, t] for t in range(h.shape[1] - 1)]  # the state fed into each step
    return h, [(x[:, t], before[t], Wx, Wh, h[:, t]) for t in range(h.shape[1])]


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """-> (h_next (N, H), c_next (N, H), cache = (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c))."""
    h_next, c_next, (x, h_prev, c_prev, Wx, Wh, gates, tanh_c) = reference("lstm_step_forward")(
        x, h_prev, c_prev, Wx, Wh, b
    )
    H = h_next.shape[1]
    # gates (N, 4H) in blocks [i, f, g, o]; slices, not np.split: no Python calls under the tracer
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward of the lstm_step_forward twin above: (dx, dh_prev, dc_prev, dWx, dWh, db)."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    gates = np.concatenate([i, f, g, o], axis=1)  # (N, 4H), the reference's layout
    return reference("lstm_step_backward")(dh_next, dc_next, (x, h_prev, c_prev, Wx, Wh, gates, tanh_c))


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """x (N, T, D), h0 (N, H) -> (h (N, T, H), cache = list of the T step caches of the twin above).

    One call of the reference's lstm_forward, its time-major cache cut into
    step caches (a check's centred differences run this hundreds of times).
    """
    h, (xt, Wx, Wh, gates, c, hs, tanh_c) = reference("lstm_forward")(x, h0, Wx, Wh, b, c0)
    H = h.shape[2]
    # gates (T, N, 4H) in blocks [i, f, g, o]; c and hs (T+1, N, H) hold the states before each step.
    return h, [
        (xt[t], hs[t], c[t], Wx, Wh, *(gates[t, :, k * H : (k + 1) * H] for k in range(4)), tanh_c[t])
        for t in range(len(xt))
    ]


def rnn_backward(dh, cache):
    """Backward of the rnn_forward twin above: (dx, dh0, dWx, dWh, db)."""
    step = reference("rnn_step_backward")
    dx, dh_prev, total = [], np.zeros_like(dh[:, 0]), None
    for t in reversed(range(dh.shape[1])):
        # h_t feeds the layer above (dh[:, t]) and step t+1 (dh_prev).
        dx_t, dh_prev, *dparams = step(dh[:, t] + dh_prev, cache[t])
        dx.append(dx_t)
        total = dparams if total is None else [a + g for a, g in zip(total, dparams)]
    return (np.stack(dx[::-1], axis=1), dh_prev, *total)


def lstm_backward(dh, cache):
    """Backward of the lstm_forward twin above: (dx, dh0, dWx, dWh, db)."""
    dx, dh_prev, dc_prev, total = [], np.zeros_like(dh[:, 0]), np.zeros_like(dh[:, 0]), None
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_prev, dc_prev, *dparams = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, cache[t])
        dx.append(dx_t)
        total = dparams if total is None else [a + g for a, g in zip(total, dparams)]
    return (np.stack(dx[::-1], axis=1), dh_prev, *total)


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """-> (h_next (N, H), cache = (x, h_prev, Wx, Wh, r, z, n, ah)), ah = h_prev @ Wh + bh (N, 3H)."""
    h_next, (x, h_prev, Wx, Wh, rzn, _) = reference("gru_step_forward")(x, h_prev, Wx, Wh, bx, bh)
    H = h_next.shape[1]
    # The reference keeps only the candidate's block of ah; the solution keeps all three.
    ah = h_prev @ Wh + bh.astype(h_prev.dtype, copy=False)
    return h_next, (x, h_prev, Wx, Wh, rzn[:, :H], rzn[:, H : 2 * H], rzn[:, 2 * H :], ah)


def gru_step_backward(dh_next, cache):
    """Backward of the gru_step_forward twin above: (dx, dh_prev, dWx, dWh, dbx, dbh)."""
    x, h_prev, Wx, Wh, r, z, n, ah = cache
    H = h_prev.shape[1]
    rzn = np.concatenate([r, z, n], axis=1)  # (N, 3H), the reference's layout
    return reference("gru_step_backward")(dh_next, (x, h_prev, Wx, Wh, rzn, ah[:, 2 * H :]))


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """x (N, T, D), h0 (N, H) -> (h (N, T, H), cache = list of the T step caches of the twin above).

    One call of the reference's gru_forward, its time-major cache cut into
    step caches (a check's centred differences run this hundreds of times).
    """
    h, (xt, Wx, Wh, hs, rzn, _) = reference("gru_forward")(x, h0, Wx, Wh, bx, bh)
    H = h.shape[2]
    # hs (T+1, N, H) holds the state before each step; rzn (T, N, 3H) the gates [r, z, n].
    ah = hs[:-1] @ Wh + bh.astype(hs.dtype, copy=False)  # (T, N, 3H)
    return h, [
        (xt[t], hs[t], Wx, Wh, rzn[t, :, :H], rzn[t, :, H : 2 * H], rzn[t, :, 2 * H :], ah[t])
        for t in range(len(xt))
    ]


def gru_backward(dh, cache):
    """Backward of the gru_forward twin above: (dx, dh0, dWx, dWh, dbx, dbh)."""
    dx, dh_prev, total = [], np.zeros_like(dh[:, 0]), None
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_prev, *dparams = gru_step_backward(dh[:, t] + dh_prev, cache[t])
        dx.append(dx_t)
        total = dparams if total is None else [a + g for a, g in zip(total, dparams)]
    return (np.stack(dx[::-1], axis=1), dh_prev, *total)


def embedding_forward(idx, W):
    """idx (N, T), W (V, D) -> (out (N, T, D), cache = (idx, W)): the layout of 02's given forward."""
    out, _ = reference("embedding_forward")(idx, W)
    return out, (idx, W)


def embedding_backward(dout, cache):
    """Backward of the embedding_forward twin above: dW (V, D)."""
    idx, W = cache
    return reference("embedding_backward")(dout, (np.asarray(idx), W.shape, W.dtype))


def _recode(code):
    """`code` and the code objects nested in it, with TWIN_FILE as their file name."""
    consts = tuple(_recode(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=TWIN_FILE, co_consts=consts)


def _as_reference(fn):
    """A copy of fn whose code the tracer classifies as the reference's."""
    twin = types.FunctionType(_recode(fn.__code__), fn.__globals__, fn.__name__, fn.__defaults__)
    twin.__doc__, twin.__qualname__, twin.__module__ = fn.__doc__, fn.__qualname__, fn.__module__
    return twin


# Rebind the twins: code importing them from here gets the reference-kind copies.
COURSE_TWINS = (
    "embedding_forward",
    "embedding_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_step_forward",
    "gru_step_backward",
    "gru_forward",
    "gru_backward",
)
for _name in COURSE_TWINS:
    globals()[_name] = _as_reference(globals()[_name])
del _name
# Tracebacks through the twins show this file's lines (line numbers are kept).
with open(__file__, encoding="utf-8") as _source:
    _lines = _source.readlines()
linecache.cache[TWIN_FILE] = (sum(map(len, _lines)), None, _lines, TWIN_FILE)
del _source, _lines


def twin(name, layout="course"):
    """The twin lent for callee `name`: its course twin when layout="course" and
    there is one, else the reference function (None when neither exists)."""
    if layout == "course" and name in COURSE_TWINS:
        return globals()[name]
    return reference(name)


# ------------------------------------------------------------------------- attempts


class Attempt(NamedTuple):
    """One rerun of a failed suite: the names lent, and the forward to use."""

    twins: dict  # callee name -> function swapped into the notebook's namespace
    forward: object  # the forward handed to the suite (None for a forward check)


def _true_outputs(student_forward, reference_forward):
    """A forward giving the reference's outputs and the student's own cache.

    Centred differences of it measure the true gradient, so the backward is
    judged by what it does with the student's cache, not by a bug upstream.
    """

    def forward(*args, **kwargs):
        mine = guards.forward_call(student_forward, *args, **kwargs)
        theirs = reference_forward(*args, **kwargs)
        if isinstance(mine, tuple) and isinstance(theirs, tuple) and len(mine) == len(theirs) >= 2:
            return theirs[:-1] + (mine[-1],)
        return mine

    return forward


def attempts(name, forward, fwd_name):
    """The attempts `retry` makes for function `name`, in order."""
    callees = CALLEES.get(name, ())
    course = {c: twin(c, "course") for c in callees if twin(c, "course") is not None}
    if forward is None or fwd_name is None:
        return [Attempt(course, forward)]
    plain = {c: twin(c, "reference") for c in callees if twin(c, "reference") is not None}
    found = [Attempt(course, _true_outputs(forward, reference(fwd_name)))]
    if fwd_name in COURSE_TWINS:
        # First: it is the cheapest (one vectorised reference call per forward) and
        # its caches are the ones the catalogue's mistakes read, for the diagnosis.
        found.insert(0, Attempt(course, twin(fwd_name, "course")))
    found.append(Attempt(plain, reference(fwd_name)))
    return found


def forward_name(name, entry, forward):
    """The name of the reference forward a check of `name` compares with (as `check` finds it)."""
    return entry.forward or (name.replace("backward", "forward") if forward else None)


def namespaces(*fns):
    """The globals of the student's functions (the notebook's namespace), each once."""
    spaces = {}
    for fn in fns:
        code = getattr(fn, "__code__", None)
        space = getattr(fn, "__globals__", None)
        # Never the grader's or the reference's own modules: only the student's code.
        if isinstance(space, dict) and code is not None and guards.kind_of(code.co_filename) == "student":
            spaces[id(space)] = space
    return list(spaces.values())


@contextlib.contextmanager
def lent(namespaces, twins):
    """Point each name in `twins` (that the namespace defines) at its twin; restore afterwards.

    Yields whether anything was swapped. Restores the student's own objects
    even when the student's code raised or rebound the names meanwhile.
    """
    saved = []
    try:
        for space in namespaces:
            for name, fn in twins.items():
                if name in space:
                    saved.append((space, name, space[name]))
                    space[name] = fn
        yield bool(saved)
    finally:
        for space, name, value in reversed(saved):
            space[name] = value


@contextlib.contextmanager
def quiet():
    """Drop what the code inside prints and warns: reruns and known mistakes run silently.

    A rerun must not print the student's debugging output a second time, and
    nothing a known mistake prints may reach the test cell (nbgrader scores a
    cell with stderr output 0).
    """
    sink = io.StringIO()
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        yield


def retry(name, entry, student_fn, forward, run, watch=None):
    """Rerun a failed suite with twins lent to the student's function; True if an attempt passes.

    - entry: the registry's Suite (its `forward` names the reference forward)
    - run(fn, forward, also_allow) -> (verdict, error): runs the suite once on
      the student's fn and forward under the tracer, allowing also_allow too
    - watch(fn) -> fn: wraps the student's function in the first attempt, the
      one the diagnosis replays (it runs even when nothing can be swapped)

    An attempt counts only when it changed something (a name swapped or the
    forward replaced) and the tracer found nothing: rerunning the very same
    code is for the diagnosis's record, never a second chance.
    """
    spaces = namespaces(student_fn, forward)
    for k, attempt in enumerate(attempts(name, forward, forward_name(name, entry, forward))):
        fn = watch(student_fn) if k == 0 and watch is not None else student_fn
        with lent(spaces, attempt.twins) as swapped:
            verdict, error = run(fn, attempt.forward, tuple(attempt.twins))
        if verdict is None and error is None and (swapped or attempt.forward is not forward):
            return True
    return False


tamper.GUARD.protect(sys.modules[__name__], data=True)
