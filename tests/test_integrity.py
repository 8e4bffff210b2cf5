"""Cheating through the grading library earns nothing: real nbgrader autograde.

One temporary course with a three-function assignment (rnn_step_forward,
softmax and lstm_step_forward; hidden parts call grading.check with the
course's real suites) is
released once; each "student" below submits the release with one solution
cell rewritten, and all are autograded in a single `nbgrader autograde` run.
The scores are read back from the gradebook with nbgrader's API.

Every attack is paired with a solution that passes the visible test but fails
the hidden one (`PARTIAL`): without the defence, the attack would turn that
hidden 0 into full marks, so a hidden score of 0 shows the defence working.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "integrity"

HONEST = '''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) -> (h_next (N, H), cache)."""
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)
    ### END SOLUTION
'''
# Right on the visible test's batch of 2, wrong everywhere else.
PARTIAL = """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    if x.shape[0] != 2:
        h_next = 0 * h_next
    return h_next, None
"""
# Wrong everywhere: the bias is forgotten.
WRONG = """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh), None
"""
# A custom exception handler that also clears the error from IPython's result
# object, so that neither an error output nor an error reply reaches nbgrader.
SWALLOW = """
import sys
def _swallow(self, etype, value, tb, tb_offset=None):
    frame = sys._getframe(1)
    while frame is not None and "result" not in frame.f_locals:
        frame = frame.f_back
    if frame is not None and frame.f_locals["result"] is not None:
        frame.f_locals["result"].error_in_exec = None
    return []
get_ipython().set_custom_exc((Exception,), _swallow)
"""
UNHOOK = """
for _callbacks in get_ipython().events.callbacks.values():
    _callbacks.clear()
"""
TORCH_RNN_CELL = """
import torch
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    cell = torch.nn.RNNCell(Wx.shape[0], Wx.shape[1]).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(Wx.T.copy()))
        cell.weight_hh.copy_(torch.from_numpy(Wh.T.copy()))
        cell.bias_ih.copy_(torch.from_numpy(b))
        cell.bias_hh.zero_()
        return cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy(), None
"""
LSTM = '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """x (N, D), h_prev and c_prev (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,); gates i, f, g, o."""
    ### BEGIN SOLUTION
    i, f, g, o = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    i, f, o = (1 / (1 + np.exp(-a)) for a in (i, f, o))
    c_next = f * c_prev + i * np.tanh(g)
    return o * np.tanh(c_next), c_next, None
    ### END SOLUTION
'''
TORCH_LSTM = """
import torch
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    lstm = torch.nn.LSTM(Wx.shape[0], Wh.shape[0], batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(Wx.T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(Wh.T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b))
        lstm.bias_hh_l0.zero_()
        _, (h, c) = lstm(torch.from_numpy(x)[:, None], (torch.from_numpy(h_prev)[None],
                                                       torch.from_numpy(c_prev)[None]))
    return h[0].numpy(), c[0].numpy(), None
"""

FULL = {
    "test_rnn_step_forward_visible": 1,
    "test_rnn_step_forward_hidden": 2,
    "test_softmax_hidden": 1,
    "test_lstm_step_forward_hidden": 1,
}
CAUGHT = dict(FULL, test_rnn_step_forward_hidden=0)
# student -> (the rnn_step_forward solution cell, the scores it must get)
STUDENTS = {
    "honest": (HONEST, FULL),
    "partial": (PARTIAL, CAUGHT),
    "delegates_to_reference": (
        "from rnn_helpers.reference.rnn import rnn_step_forward as _twin\n"
        "def rnn_step_forward(*args):\n    return _twin(*args)\n",
        CAUGHT,
    ),
    "is_the_reference": ("from rnn_helpers.reference import rnn_step_forward\n", CAUGHT),
    "delegates_to_torch_rnn_cell": (TORCH_RNN_CELL, CAUGHT),
    "redefines_allclose": (
        WRONG + "np.allclose = lambda *a, **k: True\n",
        dict(CAUGHT, test_rnn_step_forward_visible=0),
    ),
    "assigns_check": (
        PARTIAL + "try:\n    grading.check = lambda *a, **k: None\nexcept AttributeError:\n    pass\n",
        CAUGHT,
    ),
    "writes_check_into_dict": (PARTIAL + "grading.__dict__['check'] = lambda *a, **k: None\n", CAUGHT),
    "swaps_check_code": (PARTIAL + "grading.check.__code__ = (lambda *a, **k: None).__code__\n", CAUGHT),
    "rebinds_grading": (
        PARTIAL + "import types\ngrading = types.SimpleNamespace(check=lambda *a, **k: None)\n",
        CAUGHT,
    ),
    "custom_exception_handler": (
        PARTIAL + "get_ipython().set_custom_exc((Exception,), lambda *a, **k: [])\n",
        CAUGHT,
    ),
    "handler_hiding_the_error": (PARTIAL + SWALLOW, CAUGHT),
    "handler_with_hooks_removed": (PARTIAL + SWALLOW + UNHOOK, CAUGHT),
    "delegates_to_torch_lstm": (HONEST, dict(FULL, test_lstm_step_forward_hidden=0)),
    # The visible test has no grading.check: only GuardedExecute's audit, sent before
    # the cell from outside the notebook, removes the handler in time.
    "handler_on_a_visible_test": (WRONG + SWALLOW + UNHOOK, dict(CAUGHT, test_rnn_step_forward_visible=0)),
}
# student -> its lstm_step_forward cell, where it is not the honest one
LSTM_SOLUTIONS = {"delegates_to_torch_lstm": TORCH_LSTM}


def _meta(grade_id, *, solution=False, grade=False, points=None):
    meta = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": grade,
        "locked": not solution,
        "schema_version": 3,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    """The instructor's notebook: imports, three solutions, four test cells."""
    code = nbformat.v4.new_code_cell
    cells = [
        code("import numpy as np\nfrom rnn_helpers import grading", metadata=_meta("imports")),
        code(HONEST.strip(), metadata=_meta("rnn_step_forward", solution=True)),
        code(
            'def softmax(scores, axis=-1):\n    """Probabilities along axis."""\n'
            "    ### BEGIN SOLUTION\n"
            "    e = np.exp(scores - scores.max(axis=axis, keepdims=True))\n"
            "    return e / e.sum(axis=axis, keepdims=True)\n    ### END SOLUTION",
            metadata=_meta("softmax", solution=True),
        ),
        code(LSTM.strip(), metadata=_meta("lstm_step_forward", solution=True)),
        code(
            textwrap.dedent('''\
            """rnn_step_forward on fixed inputs with a batch of two."""
            x = np.array([[1.0, -1.0], [0.5, 2.0]])
            h_prev = np.array([[0.1, -0.2, 0.3], [0.0, 0.4, -0.5]])
            Wx = np.array([[0.2, -0.1, 0.4], [0.3, 0.5, -0.2]])
            Wh = np.array([[0.1, 0.0, -0.3], [0.2, 0.1, 0.0], [-0.1, 0.3, 0.2]])
            b = np.array([0.05, -0.05, 0.1])
            h_next, _ = rnn_step_forward(x, h_prev, Wx, Wh, b)
            assert h_next.shape == (2, 3)
            assert np.allclose(h_next, np.tanh(x @ Wx + h_prev @ Wh + b), atol=1e-12)'''),
            metadata=_meta("test_rnn_step_forward_visible", grade=True, points=1),
        ),
        code(
            '"""rnn_step_forward on random shapes."""\n### BEGIN HIDDEN TESTS\n'
            'grading.check("rnn_step_forward", rnn_step_forward, suite="random", seed=1)\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_rnn_step_forward_hidden", grade=True, points=2),
        ),
        code(
            '"""softmax on random shapes."""\n### BEGIN HIDDEN TESTS\n'
            'grading.check("softmax", softmax, suite="random", seed=2)\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_softmax_hidden", grade=True, points=1),
        ),
        code(
            '"""lstm_step_forward on random shapes."""\n### BEGIN HIDDEN TESTS\n'
            'grading.check("lstm_step_forward", lstm_step_forward, suite="random", seed=3)\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_lstm_step_forward_hidden", grade=True, points=1),
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def nbgrader(course, *args):
    """Run nbgrader in the course root with the venv first on PATH (it runs alembic)."""
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"nbgrader {args} failed:\n{proc.stdout}\n{proc.stderr}"
    # nbgrader only logs a broken nbgrader_config.py and carries on with its defaults.
    assert "Exception while loading config" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def grade_class(course, course_id, source_nb, fill, students, graded):
    """Generate `source_nb` in a fresh course, submit one filled release per student, autograde.

    fill(student, grade_id, cell) writes a student's answer into a released cell;
    returns student -> {grade_id: score} for the grade ids in `graded`. The course
    uses the one autograde chain (autograde_preprocessors), as every route does.
    """
    from nbgrader.api import Gradebook

    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        "c.Execute.timeout = 120\n"
        "from rnn_helpers.course.preprocessors import autograde_preprocessors\n"
        "c.Autograde.autograde_preprocessors = autograde_preprocessors()\n"
    )
    assignment = course_id
    source = course / "source" / assignment
    source.mkdir(parents=True)
    nbformat.write(source_nb, source / f"{assignment}.ipynb")
    nbgrader(course, "generate_assignment", assignment, "--force")
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for student in students:
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            fill(student, cell.metadata.get("nbgrader", {}).get("grade_id"), cell)
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    nbgrader(course, "autograde", assignment, "--create")
    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            notebook = gb.find_submission(assignment, student).notebooks[0]
            result[student] = {g.name: g.score for g in notebook.grades if g.name in graded}
    return result


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    """student -> {grade_id: score} after one autograde run of every submission."""

    def fill(student, grade_id, cell):
        solution = STUDENTS[student][0]
        if grade_id == "softmax":
            cell.source = (
                "def softmax(scores, axis=-1):\n"
                "    e = np.exp(scores - scores.max(axis=axis, keepdims=True))\n"
                "    return e / e.sum(axis=axis, keepdims=True)\n"
            )
        elif grade_id == "rnn_step_forward":
            cell.source = solution
        elif grade_id == "lstm_step_forward":
            cell.source = LSTM_SOLUTIONS.get(student, LSTM)

    course = tmp_path_factory.mktemp("course")
    yield grade_class(course, ASSIGNMENT, source_notebook(), fill, STUDENTS, FULL)
    shutil.rmtree(course, ignore_errors=True)


@pytest.mark.parametrize("student", list(STUDENTS))
def test_each_submission_scores_what_it_earned_honestly(scores, student):
    _, expected = STUDENTS[student]
    assert scores[student] == expected, (
        f"{student}: gradebook scores {scores[student]}, expected {expected} (exact points)"
    )
