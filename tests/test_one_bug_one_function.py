"""One bug costs one function: a caller's hidden checks lend it the twins of its callees.

Truth: the solution notebooks (their cells run in a plain namespace, the
catalogue's entries swapped in, tests/notebook_cells.py) and the catalogue's
own labels: a bug in function F is known to be in F, so only F's hidden
checks may fail. The checks are called exactly as the hidden test cells call
them (grading.check, same suites, seeds and tolerances); real nbgrader runs
are in tests/test_catalogue.py.
"""

import ast
import importlib
import re

import notebook_cells as cells
import numpy as np
import pytest

from rnn_helpers import grading
from rnn_helpers.grading import composition, guards
from rnn_helpers.grading.catalogue import Entry

TOPICS = {
    "01_rnn_forward": "rnn_forward",
    "02_bptt": "bptt",
    "03_lstm_gru": "lstm_gru",
    "04_attention": "attention",
}
FORWARD = re.compile(r"forward=(\w+)")


def catalogue(assignment):
    return importlib.import_module(f"rnn_helpers.grading.catalogue.{TOPICS[assignment]}")


def dependents(assignment, function):
    """Functions whose hidden checks could see a bug in `function`: itself, its callers, its backward."""
    found = {function}
    for gid, source in cells.hidden_checks(assignment).items():
        owner = cells.function_of(gid, cells.solution_ids(assignment))
        if function in composition.CALLEES.get(owner, ()) or function in FORWARD.findall(source):
            found.add(owner)
    return found


def failures(assignment, replace, functions=None):
    """{test grade_id: error} of the hidden checks that fail, for the functions given (default all)."""
    ids = cells.solution_ids(assignment)
    space = cells.namespace(assignment, replace)
    only = None if functions is None else (lambda gid: cells.function_of(gid, ids) in functions)
    return {gid: err for gid, err in cells.grade(assignment, space, only).items() if err is not None}


# --------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("assignment", sorted(TOPICS))
def test_every_catalogue_bug_fails_the_hidden_checks_of_its_own_function_only(assignment):
    ids = cells.solution_ids(assignment)
    assert not failures(assignment, {}), "the solution itself must pass every hidden check"
    wrong = []
    for entry in catalogue(assignment).BUGS:
        failed = failures(assignment, {entry.function: entry.source}, dependents(assignment, entry.function))
        own = [gid for gid in failed if cells.function_of(gid, ids) == entry.function]
        other = [gid for gid in failed if cells.function_of(gid, ids) != entry.function]
        if not own or other:
            wrong.append(
                f"{entry.function}: {entry.label}: own cells failed {own}, other cells failed {other}"
            )
    assert not wrong, "\n".join(wrong)


def test_callees_name_every_graded_function_a_solution_calls_or_its_forward_calls():
    for assignment in TOPICS:
        ids = set(cells.solution_ids(assignment))
        space = cells.namespace(assignment)
        calls = {
            f: {
                n.func.id
                for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.Call) and hasattr(n.func, "id")
            }
            & ids - {f}
            for f, source in cells.setup_cells(assignment)
            if f in ids
        }
        for gid, source in cells.hidden_checks(assignment).items():
            owner = cells.function_of(gid, sorted(ids))
            wanted = set(calls.get(owner, ()))
            for forward in FORWARD.findall(source):
                wanted |= calls.get(forward, set())
            assert wanted <= set(composition.CALLEES.get(owner, ())), (assignment, owner, wanted)
            assert callable(space[owner])


# ------------------------------------------------------- composites written other ways

_STEP_BUG = (
    "def rnn_step_forward(x, h_prev, Wx, Wh, b):\n"
    "    h = np.tanh(x @ Wx + h_prev @ Wh)\n"
    "    return h, (x, h_prev, Wx, Wh, h)\n"
)
_LSTM_STEP_BACKWARD_BUG = next(
    e for e in catalogue("03_lstm_gru").BUGS if e.label == "upstream dc_next ignored"
).source


def _variant(assignment, label):
    return next(e for e in catalogue(assignment).VARIANTS if e.label == label)


@pytest.mark.parametrize(
    "assignment,variant,bug,keeps",
    [
        # a caller that inlines one step and calls another (01)
        (
            "01_rnn_forward",
            "rnn_forward one way, a tanh loop written out the other",
            Entry("rnn_step_forward", "bias forgotten", _STEP_BUG),
            {"rnn_forward", "bidirectional_rnn_forward"},
        ),
        # a sequence backward with the step backward written out (02)
        (
            "02_bptt",
            "step backward written out in the loop, read from the step caches",
            next(e for e in catalogue("02_bptt").BUGS if e.label == "tanh derivative missing"),
            {"rnn_backward"},
        ),
        # an inlined forward paired with a called step backward (03)
        (
            "03_lstm_gru",
            "step written inline, step caches in lstm_step_forward's layout",
            Entry("lstm_step_backward", "dc_next ignored", _LSTM_STEP_BACKWARD_BUG),
            {"lstm_forward", "lstm_backward"},
        ),
        # attention with its softmax written inline (04)
        (
            "04_attention",
            "masked softmax written inline",
            next(e for e in catalogue("04_attention").BUGS if e.label == "mask ignored"),
            {"dot_product_attention", "additive_attention"},
        ),
    ],
)
def test_a_variant_keeps_full_marks_next_to_a_wrong_callee(assignment, variant, bug, keeps):
    entry = _variant(assignment, variant)
    ids = cells.solution_ids(assignment)
    failed = failures(assignment, {entry.function: entry.source, bug.function: bug.source})
    owners = {cells.function_of(gid, ids) for gid in failed}
    assert owners == {bug.function}, f"failed: {sorted(failed)}"
    assert keeps.isdisjoint(owners)


# A student's LSTM pair that keeps its own sequence cache (a dict of stacked arrays)
# and rebuilds step caches in its own step layout for its lstm_step_backward.
_OWN_FORWARD = """\
def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    N, T, _ = x.shape
    H = h0.shape[1]
    hs, cs, steps = [h0], [np.zeros((N, H)) if c0 is None else c0], []
    for t in range(T):
        h, c, step = lstm_step_forward(x[:, t], hs[-1], cs[-1], Wx, Wh, b)
        hs.append(h)
        cs.append(c)
        steps.append(step)
    return np.stack(hs[1:], axis=1), {"steps": steps, "h": np.stack(hs, axis=1)}
"""
_OWN_BACKWARD = """\
def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx, carry_h, carry_c, total = [], np.zeros((N, H)), np.zeros((N, H)), None
    for t in reversed(range(T)):
        dx_t, carry_h, carry_c, *grads = lstm_step_backward(dh[:, t] + carry_h, carry_c, cache["steps"][t])
        dx.append(dx_t)
        total = grads if total is None else [a + g for a, g in zip(total, grads)]
    return (np.stack(dx[::-1], axis=1), carry_h, *total)
"""


def test_a_pair_with_its_own_sequence_cache_keeps_its_points_when_the_step_backward_is_wrong():
    failed = failures(
        "03_lstm_gru",
        {
            "lstm_forward": _OWN_FORWARD,
            "lstm_backward": _OWN_BACKWARD,
            "lstm_step_backward": _LSTM_STEP_BACKWARD_BUG,
        },
        {"lstm_forward", "lstm_backward", "lstm_step_backward"},
    )
    assert set(failed) == {"test_lstm_step_backward_gradcheck"}


# A step pair in the REFERENCE's cache layout (gates as one (N, 4H) array); the forward forgets b.
_REF_LAYOUT_FORWARD = """\
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh
    gates = np.concatenate([sigmoid(a[:, :2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])], axis=1)
    c_next = gates[:, H:2 * H] * c_prev + gates[:, :H] * gates[:, 2 * H:3 * H]
    tanh_c = np.tanh(c_next)
    return gates[:, 3 * H:] * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, gates, tanh_c)
"""
_REF_LAYOUT_BACKWARD = """\
def lstm_step_backward(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    i, f, g, o = np.split(gates, 4, axis=1)
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), dh_next * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""


def test_a_backward_right_for_the_references_cache_keeps_its_points_when_its_forward_is_wrong():
    failed = failures(
        "03_lstm_gru",
        {"lstm_step_forward": _REF_LAYOUT_FORWARD, "lstm_step_backward": _REF_LAYOUT_BACKWARD},
        {"lstm_step_forward", "lstm_step_backward"},
    )
    assert set(failed) == {"test_lstm_step_forward_hidden"}


# ----------------------------------------------------------------- the safeguards


def _student(source, name):
    """A function compiled as notebook code (the tracer takes it for the student's)."""
    space = {"np": np}
    exec(compile(source, "<cell student>", "exec"), space)
    return space[name], space


def test_delegating_to_the_reference_fails_even_where_the_twins_would_pass():
    fn, space = _student(
        "from rnn_helpers.reference.rnn import rnn_step_forward as step\n"
        "def rnn_step_forward(x, h_prev, Wx, Wh, b):\n    return np.tanh(x @ Wx), None\n"
        "def rnn_forward(x, h0, Wx, Wh, b):\n"
        "    hs, h = [], h0\n"
        "    for t in range(x.shape[1]):\n"
        "        h, _ = step(x[:, t], h, Wx, Wh, b)\n"
        "        hs.append(h)\n"
        "    return np.stack(hs, axis=1), None\n",
        "rnn_forward",
    )
    with pytest.raises(AssertionError, match="delegates to rnn_helpers.reference.rnn.rnn_step_forward"):
        grading.check("rnn_forward", fn, suite="random", seed=12)


def test_calling_a_grader_twin_directly_is_delegation():
    fn, _ = _student(
        "from rnn_helpers.grading.composition import lstm_step_forward as step\n"
        "def lstm_forward(x, h0, Wx, Wh, b, c0=None):\n"
        "    h, c, hs = h0, (np.zeros_like(h0) if c0 is None else c0), []\n"
        "    for t in range(x.shape[1]):\n"
        "        h, c, _ = step(x[:, t], h, c, Wx, Wh, b)\n"
        "        hs.append(h)\n"
        "    return np.stack(hs, axis=1), None\n",
        "lstm_forward",
    )
    assert guards.kind_of(composition.lstm_step_forward.__code__.co_filename) == "reference"
    with pytest.raises(
        AssertionError, match="delegates to rnn_helpers.grading.composition.lstm_step_forward"
    ):
        grading.check("lstm_forward", fn, suite="random", seed=34)


@pytest.mark.parametrize("raises", [False, True])
def test_the_notebooks_names_are_restored_after_the_reruns(raises):
    body = (
        "    raise ValueError('my bug')\n"
        if raises
        else "    return np.zeros((x.shape[0], Wx.shape[1])), None\n"
    )
    fn, space = _student(
        f"def rnn_step_forward(x, h_prev, Wx, Wh, b):\n{body}"
        "mine = rnn_step_forward\n"
        "def rnn_forward(x, h0, Wx, Wh, b):\n"
        "    global rnn_step_forward\n"
        "    hs, h, step = [], h0, rnn_step_forward\n"
        "    if step is not mine:\n"
        "        rnn_step_forward = None   # rebinds the lent name during a rerun\n"
        "    for t in range(x.shape[1]):\n"
        "        h, _ = step(x[:, t], h, Wx, Wh, b)\n"
        "        hs.append(h)\n"
        "    return np.stack(hs, axis=1) * 2, None\n",
        "rnn_forward",
    )
    with pytest.raises(ValueError if raises else AssertionError):
        grading.check("rnn_forward", fn, suite="random", seed=12)
    assert space["rnn_step_forward"] is space["mine"]


def test_running_the_same_code_again_is_no_second_chance():
    # Wrong on its first call only: a rerun with nothing lent would pass.
    fn, space = _student(
        "calls = [0]\n"
        "def softmax(scores, axis=-1):\n"
        "    calls[0] += 1\n"
        "    e = np.exp(scores - scores.max(axis=axis, keepdims=True))\n"
        "    return e / e.sum(axis=axis, keepdims=True) + (calls[0] == 1)\n",
        "softmax",
    )
    with pytest.raises(AssertionError, match="differs from the reference"):
        grading.check("softmax", fn, suite="random", seed=15)
    assert space["calls"][0] > 1  # it was run again, for the diagnosis


def test_twins_are_reference_code_for_the_tracer_and_reference_values():
    rng = np.random.default_rng(0)
    N, D, H = 3, 2, 4
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H)
    solution = cells.namespace("03_lstm_gru")
    h_s, c_s, cache_s = solution["lstm_step_forward"](x, h_prev, c_prev, Wx, Wh, b)
    h_t, c_t, cache_t = composition.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    # The course twin keeps the solution's layout, element by element, to float64 rounding.
    assert len(cache_t) == len(cache_s)
    for got, want in zip((h_t, c_t, *cache_t), (h_s, c_s, *cache_s)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    for got, want in zip(
        composition.lstm_step_backward(dh, dc, cache_t), solution["lstm_step_backward"](dh, dc, cache_s)
    ):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    for name in composition.COURSE_TWINS:
        assert guards.kind_of(getattr(composition, name).__code__.co_filename) == "reference", name


@pytest.mark.parametrize("assignment", sorted(TOPICS))
def test_visible_cells_are_worth_no_points_and_every_function_keeps_its_points_in_hidden_cells(assignment):
    """A visible cell runs the student's own composition, so a callee's bug fails it too:
    it must be worth 0 points, with the function's points in cells that lend the twins."""
    functions = cells.solution_ids(assignment)
    points = {}
    for cell in cells.notebook(assignment)["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        gid = meta["grade_id"]
        kind = "visible" if gid.endswith("_visible") else "hidden"
        key = (cells.function_of(gid, functions), kind)
        points[key] = points.get(key, 0) + meta["points"]
    graded = {fn for fn, _ in points}
    assert graded, f"{assignment}: no test cells found"
    for fn in sorted(graded, key=str):
        assert points.get((fn, "visible"), 0) == 0, f"{assignment}: visible cells of {fn} carry points"
        assert points.get((fn, "hidden"), 0) > 0, f"{assignment}: {fn} has no points in hidden cells"
