"""Output never costs points; unstable losses do. Real `nbgrader autograde` and Validator.

A class of two hands in assignment 01_rnn_forward (the course's notebook, hidden
suites and nbgrader_config.py, graded by plain `nbgrader autograde` from the
course folder, which loads the one autograde chain):
- noisy: the instructor's solution, with every function printing a debug line
  to stdout and to stderr at each call, every solution cell printing to stderr
  when it runs, and softmax computing np.log(0) at each call, a harmless
  RuntimeWarning (its result is thrown away);
- raises: the solution, except that embedding_forward raises a ValueError and
  temporal_affine_forward raises IPython's UsageError, which IPython reports by
  printing to stderr only, with no error output: it must still score 0.
Truth: the gradebook's points per test cell, and what each submission does.
The same two notebooks go through nbgrader's Validator (the Validate button).

Unit tests: the grader's StderrAsStdout and the kernel's StderrToStdout on
known text; whose warnings become notes; the large-score cases of the loss,
softmax, masked_softmax and dot_product_attention suites, against the
reference (float64 and float32) and against versions that skip the shift.
"""

import contextlib
import io
import re
import warnings

import nbformat
import numpy as np
import pytest
from nbgrader import utils

from rnn_helpers import grading
from rnn_helpers import reference as R
from rnn_helpers.bench.grading import grade_plain, released_course, scores
from rnn_helpers.course import samples, scoring
from rnn_helpers.course.preprocessors import StderrAsStdout
from rnn_helpers.course.tiny import class_from
from rnn_helpers.grading import guards, output, registry
from rnn_helpers.grading.checker import Twin

A = "01_rnn_forward"
NOTE = "note: softmax emitted RuntimeWarning: divide by zero encountered in log (this does not cost points)"
RAISING = ("embedding_forward", "temporal_affine_forward")


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _edit_body(nb, edit):
    """Apply edit(function name, source) to every solution cell of nb."""
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            cell.source = edit(_meta(cell)["grade_id"], cell.source)
    return nb


def _first_in_body(code):
    """An edit that puts `code` (one line per function) first in the solution block."""

    def edit(name, source):
        match = re.search(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n", source, re.M)
        lines = "".join(match.group(1) + line + "\n" for line in code(name).splitlines())
        return source[: match.end()] + lines + source[match.end() :]

    return edit


def noisy(release, source):
    """The solution, printing to stdout and stderr at each call and when each cell runs."""

    def debug(name):
        lines = f'print("debug: {name} called")\nprint("debug: {name} called", file=sys.stderr)'
        if name == "softmax":
            lines += "\nnp.log(np.zeros(1))  # divide by zero: a harmless RuntimeWarning"
        return lines

    nb = _edit_body(samples.full(release, source), _first_in_body(debug))
    return _edit_body(nb, lambda name, src: f'import sys\n{src}\nprint("{name} defined", file=sys.stderr)\n')


def raises(release, source):
    """The solution, but embedding_forward raises ValueError and temporal_affine_forward UsageError."""

    def error(name):
        if name == "embedding_forward":
            return 'raise ValueError("embedding_forward: not finished")'
        if name == "temporal_affine_forward":
            return 'from IPython.core.error import UsageError\nraise UsageError("not finished")'
        return ""

    return _edit_body(samples.full(release, source), _first_in_body(error))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    paths = released_course(tmp_path_factory.mktemp("output_never_costs") / "course", [A])
    class_from(paths, {"noisy": noisy, "raises": raises})
    grade_plain(paths, check=True)
    return paths


@pytest.fixture(scope="module")
def points(graded):
    """{grade_id: max points} of the test cells, from the gradebook."""
    spec = scoring.notebook_spec(graded.db_url, A)[A]
    return {g: p for g, p in spec["grades"].items() if g in spec["tests"]}


def _autograded(paths, student):
    return nbformat.read(paths.autograded / student / A / f"{A}.ipynb", as_version=4)


def _test_cells(nb):
    return {
        _meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("grade") and not _meta(c).get("solution")
    }


def test_debug_prints_stderr_and_warnings_cost_no_points(graded, points):
    got = {k[3]: v for k, v in scores(graded).items() if k[0] == "noisy" and k[3] in points}
    assert got == {g: float(p) for g, p in points.items()}


def test_a_function_that_raises_still_scores_zero_even_when_ipython_prints_to_stderr_only(graded, points):
    got = {k[3]: v for k, v in scores(graded).items() if k[0] == "raises" and k[3] in points}
    truth = {
        g: 0.0 if g.startswith(tuple(f"test_{f}" for f in RAISING)) else float(p) for g, p in points.items()
    }
    assert got == truth
    # The points lost are those of the hidden cells of each (visible cells are worth 0 points).
    lost = {g for g in truth if truth[g] == 0 and points[g] > 0}
    assert lost == {f"test_{f}_hidden" for f in RAISING}


def test_stderr_is_kept_as_marked_stdout_and_warnings_are_notes(graded):
    cells = _test_cells(_autograded(graded, "noisy"))
    for gid, cell in cells.items():
        assert not [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"], gid
        assert not [o for o in cell.outputs if o.output_type == "error"], gid
    text = "".join(
        o.text for o in cells["test_rnn_step_forward_visible"].outputs if o.output_type == "stream"
    )
    assert "debug: rnn_step_forward called\n[stderr] debug: rnn_step_forward called\n" in text
    hidden = "".join(o.text for o in cells["test_softmax_hidden"].outputs if o.output_type == "stream")
    assert hidden.count(NOTE) == 1, hidden[-2000:]


def test_the_pipeline_recomputation_agrees_with_the_gradebook(graded, points):
    """scoring.py (rnn-course's trusted scores) reads the same autograded notebooks alike."""
    spec = scoring.notebook_spec(graded.db_url, A)[A]
    recorded = scores(graded)
    for student in ("noisy", "raises"):
        path = graded.autograded / student / A / f"{A}.ipynb"
        got, problems, _ = scoring.score_notebook(path, spec)
        assert problems == []
        assert {g: got[g] for g in points} == {g: recorded[(student, A, A, g)] for g in points}


def test_the_validate_button_passes_noisy_code_and_fails_raising_code(graded):
    """nbgrader's Validator runs the notebook in its own kernel, without the grader's chain."""
    from nbgrader.validator import Validator

    for student, failing in (("noisy", set()), ("raises", set(RAISING))):
        path = graded.submitted / student / A / f"{A}.ipynb"
        result = Validator().validate(str(path))
        failed = {c["source"] for c in result.get("failed", [])}
        # A test cell calls the function directly or through grading.visible("f", f, ...).
        named = {f for f in RAISING if any(f"{f}(" in s or f'"{f}", {f},' in s for s in failed)}
        assert named == failing, f"{student}: failed cells {sorted(failed)}"
        assert len(failed) == 2 * len(failing)


# --- the grader's half: StderrAsStdout -----------------------------------------------------


def _cell(grade_id, outputs, solution=False, grade=True):
    meta = {"nbgrader": {"grade_id": grade_id, "grade": grade, "solution": solution, "points": 2}}
    return nbformat.v4.new_code_cell("pass", metadata=meta, outputs=outputs)


def _stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_stderr_as_stdout_marks_stderr_lines_and_leaves_errors_and_other_cells():
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["ValueError: x"])
    cells = [
        _cell("test_a", [_stream("stdout", "a\n"), _stream("stderr", "b\nc"), _stream("stderr", "d\n")]),
        _cell("test_b", [_stream("stderr", "warning\n"), error]),
        _cell("f", [_stream("stderr", "solution cell\n")], solution=True),
        _cell("demo", [_stream("stderr", "not graded\n")], grade=False),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    before = [utils.determine_grade(c)[0] for c in cells[:2]]
    StderrAsStdout().preprocess(nb, {})
    a, b, f, demo = nb.cells
    assert [(o.name, o.text) for o in a.outputs] == [
        ("stdout", "a\n"),
        ("stdout", "[stderr] b\n[stderr] c"),
        ("stdout", "d\n"),  # the line "c" goes on: no mark in the middle of a line
    ]
    assert b.outputs[1] == error and (b.outputs[0].name, b.outputs[0].text) == (
        "stdout",
        "[stderr] warning\n",
    )
    assert f.outputs[0].name == demo.outputs[0].name == "stderr"
    # nbgrader's own rule: stderr scored 0 before, full marks now; an error stays 0.
    assert before == [0, 0]
    assert [utils.determine_grade(c)[0] for c in (a, b)] == [2, 0]


# --- the kernel's half: StderrToStdout and notes --------------------------------------------


class _KernelStream(io.StringIO):
    """Stands in for ipykernel's OutStream: records the parent header it is given."""

    parent = None

    def set_parent(self, parent):
        self.parent = parent


def test_kernel_stderr_goes_to_stdout_marked_at_line_starts():
    original, shown = _KernelStream(), io.StringIO()
    wrapper = output.StderrToStdout(original)
    with contextlib.redirect_stdout(shown):
        print("one", "two", file=wrapper)
        wrapper.write("three")
        wrapper.write(" four\nfive\n")
        wrapper.flush()
    assert shown.getvalue() == "[stderr] one two\n[stderr] three four\n[stderr] five\n"
    assert original.getvalue() == ""
    wrapper.set_parent({"msg_id": "cell 7"})  # ipykernel routes output to its cell this way
    assert original.parent == {"msg_id": "cell 7"}


def test_install_leaves_stderr_alone_outside_a_jupyter_kernel():
    import sys

    before = sys.stderr
    output.install()
    assert sys.stderr is before


def _warns(x):
    warnings.warn("from the student's code", UserWarning, stacklevel=1)
    return np.log(np.zeros(1)) + x  # RuntimeWarning raised by numpy's C code


def test_only_warnings_inside_the_students_call_become_notes(capsys):
    with output.StudentWarnings("f"):
        guards.student_call(_warns, 1)
        guards.student_call(_warns, 2)  # the same warnings again: one note each
        with pytest.warns(UserWarning, match="the grader's own"):
            warnings.warn("the grader's own", UserWarning, stacklevel=1)
        guards.forward_call(_warns, 3)
    notes = capsys.readouterr().out.splitlines()
    assert notes == [
        "note: f emitted UserWarning: from the student's code (this does not cost points)",
        "note: f emitted RuntimeWarning: divide by zero encountered in log (this does not cost points)",
        "note: the forward pass given to f emitted UserWarning: from the student's code "
        "(this does not cost points)",
        "note: the forward pass given to f emitted RuntimeWarning: divide by zero encountered in log "
        "(this does not cost points)",
    ]


def test_a_warning_never_fails_a_check_even_when_warnings_are_errors(capsys):
    def softmax(scores, axis=-1):
        np.log(np.zeros(1))
        e = np.exp(scores - scores.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as a notebook might set
        grading.check("softmax", softmax, suite="random", seed=15)
    assert capsys.readouterr().out.splitlines() == [NOTE]


# --- large scores: the reference passes, a missing shift fails with its own message ------------


def naive_softmax(scores, axis=-1):
    e = np.exp(scores)
    return e / e.sum(axis=axis, keepdims=True)


def _loss(softmax, scores, y, mask=None):
    """Mean cross-entropy through -log(softmax(scores)[y]), as the notebook's hint allows."""
    N, T, _ = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores, axis=2)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / keep.sum()


def naive_loss(scores, y, mask=None):
    return _loss(naive_softmax, scores, y, mask)


def stable_softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_of_softmax_loss(scores, y, mask=None):
    return _loss(stable_softmax, scores, y, mask)


def naive_dot_product_attention(query, keys, values, mask=None, scale=True):
    scores = np.einsum("nk,ntk->nt", query, keys) / (np.sqrt(query.shape[1]) if scale else 1.0)
    e = np.exp(scores) * (1.0 if mask is None else mask)
    weights = e / np.where(e.sum(axis=1, keepdims=True) > 0, e.sum(axis=1, keepdims=True), 1.0)
    return np.einsum("nt,ntv->nv", weights, values), weights


LARGE = [
    ("softmax", "large_scores"),
    ("temporal_softmax_loss", "large_scores"),
    ("temporal_softmax_loss", "random"),
    ("masked_softmax", "edge"),
    ("dot_product_attention", "edge"),
]


@pytest.mark.parametrize("name, suite", LARGE)
def test_the_reference_passes_the_large_score_cases_in_float64_and_float32(name, suite):
    """The suite run directly (check would call the reference twin delegation); 10 seeds.

    Its float32 cases judge the float32 reference against the float64 one at 1e-4."""
    entry, twin = registry.find(name, suite), Twin(getattr(R, name), None)
    registry.CONTEXT.append(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the reference is stable: not even a warning
            for seed in range(10):
                entry.fn(np.random.default_rng(seed), twin, twin)
    finally:
        registry.CONTEXT.pop()


def test_a_loss_without_the_shift_fails_with_the_stability_message(capsys):
    with pytest.raises(AssertionError) as info:
        grading.check("temporal_softmax_loss", naive_loss, suite="random", seed=17)
    # The suite's message comes first (a diagnosis of a known mistake may follow it).
    assert str(info.value).splitlines()[0] == (
        "temporal_softmax_loss: loss is inf or nan for float64 scores of size 1e3 (+-1000 at every "
        "position): subtract the largest score of each position before exponentiating"
    )
    assert "note: temporal_softmax_loss emitted RuntimeWarning: overflow encountered in exp" in (
        capsys.readouterr().out
    )


def test_a_stable_loss_through_log_of_softmax_passes_the_large_scores():
    """Only the missing shift fails: the cases keep every probability far from underflow."""
    grading.check("temporal_softmax_loss", log_of_softmax_loss, suite="random", seed=17)
    grading.check("temporal_softmax_loss", log_of_softmax_loss, suite="large_scores", seed=3)


def test_the_float32_cases_catch_a_shift_that_float64_would_not_need():
    """Scores of 100 overflow exp in float32 (above 88) but not in float64."""

    def shift_only_in_float64(scores, y, mask=None):
        if scores.dtype == np.float32:
            return naive_loss(scores, y, mask)
        return log_of_softmax_loss(scores, y, mask)

    with pytest.raises(AssertionError, match="loss is inf or nan for float32 scores of size 1e3"):
        grading.check("temporal_softmax_loss", shift_only_in_float64, suite="large_scores", seed=0)

    def softmax_shift_only_in_float64(scores, axis=-1):
        return (naive_softmax if scores.dtype == np.float32 else stable_softmax)(scores, axis)

    with pytest.raises(AssertionError, match="softmax returned nan or inf for float32 scores"):
        grading.check("softmax", softmax_shift_only_in_float64, suite="large_scores", seed=16)


def test_dot_product_attention_with_its_own_unshifted_softmax_fails_on_scores_of_1e3():
    with pytest.raises(AssertionError, match=r"dot_product_attention \(scores of size 1e3 of both signs"):
        grading.check("dot_product_attention", naive_dot_product_attention, suite="edge", seed=44)


def test_the_catalogued_unshifted_loss_fails_the_hidden_suite_with_the_stability_message():
    """The new BUGS entry passes the mask suite (scores of a few hundred at most) and fails "random"."""
    from rnn_helpers.grading.catalogue import rnn_forward as catalogue

    (entry,) = [e for e in catalogue.BUGS if e.label.startswith("no max subtraction: exp overflows")]
    space = {"np": np}
    exec(entry.source, space)
    loss = space["temporal_softmax_loss"]
    grading.check("temporal_softmax_loss", loss, suite="mask", seed=18)
    with pytest.raises(AssertionError, match="subtract the largest score of each position"):
        grading.check("temporal_softmax_loss", loss, suite="random", seed=17)
