"""A tiny two-function assignment for tests and for the demo before the real
assignments exist. It has the cell layout of the course's notebooks (locked
imports cell, solution cells named after their function, test cells
test_<function>_<part> with points, a hidden part) and runs in about a second.
"""

from pathlib import Path

import nbformat

TINY = "00_tiny"
# The plain markdown cell under each written question, where the student answers.
ANSWER_PROMPT = "**Your answer:** *(write here)*"


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_notebook(questions=False):
    """Notebook with add_one (3 points in two test cells) and double (1 point);
    with `questions`, also a written question q_why (2 points, graded by hand)
    and the cell below it where the student answers."""
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    cells = [
        md("# A tiny assignment\nWrite two functions."),
        code("import numpy as np", metadata=_meta("imports", locked=True)),
        code(
            'def add_one(x):\n    """x: (N,) array. Returns x + 1, shape (N,)."""\n'
            "    ### BEGIN SOLUTION\n    return np.asarray(x) + 1\n    ### END SOLUTION",
            metadata=_meta("add_one", solution=True),
        ),
        code(
            '"""add_one adds one to fixed inputs."""\n'
            "assert np.allclose(add_one(np.array([1.0, 2.0])), [2.0, 3.0], atol=0)",
            metadata=_meta("test_add_one_visible", grade=True, locked=True, points=1),
        ),
        code(
            '"""add_one on random inputs."""\n### BEGIN HIDDEN TESTS\n'
            "x = np.random.default_rng(0).normal(size=5)\n"
            "assert np.allclose(add_one(x), x + 1, atol=1e-12)\n### END HIDDEN TESTS",
            metadata=_meta("test_add_one_hidden", grade=True, locked=True, points=2),
        ),
        code(
            'def double(x):\n    """x: (N,) array. Returns 2 x, shape (N,)."""\n'
            "    ### BEGIN SOLUTION\n    return 2 * np.asarray(x)\n    ### END SOLUTION",
            metadata=_meta("double", solution=True),
        ),
        code(
            '"""double doubles fixed inputs."""\n'
            "assert np.allclose(double(np.array([1.0, -2.0])), [2.0, -4.0], atol=0)",
            metadata=_meta("test_double_visible", grade=True, locked=True, points=1),
        ),
    ]
    if questions:
        task = _meta("q_why", locked=True, points=2)
        task["nbgrader"]["task"] = True
        cells += [
            md(
                "**Question.** Why does `double` need no test on random inputs?\n\n"
                "### BEGIN MARK SCHEME\n"
                "MODEL ANSWER: a linear map is fixed by its values on a basis.\n"
                "Rubric: 2 pts: linearity named; 1 pt: a vague argument.\n"
                "### END MARK SCHEME",
                metadata=task,
            ),
            md(ANSWER_PROMPT),
        ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_tiny_assignment(solutions_dir, name=TINY, questions=False):
    """Write solutions/<name>/<name>.ipynb; return its path."""
    folder = Path(solutions_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(tiny_notebook(questions), path)
    return path


def released_tiny_course(top, names=(TINY,), questions=False):
    """A temporary course at `top` with the tiny assignment (under each name,
    with its written question when `questions`) released and recorded in its
    gradebook. Returns its CoursePaths."""
    from rnn_helpers.course.paths import make_course
    from rnn_helpers.course.release import generate

    paths = make_course(top)
    for name in names:
        write_tiny_assignment(paths.solutions, name, questions)
    generate(paths)
    return paths


def class_from(paths, makers, assignments=None):
    """Write one submission per {student: sample maker} to each assignment."""
    from rnn_helpers.course import samples

    for name in assignments or paths.released_assignments():
        rel = nbformat.read(paths.exercises / name / f"{name}.ipynb", as_version=4)
        src = nbformat.read(paths.solutions / name / f"{name}.ipynb", as_version=4)
        for student, maker in makers.items():
            samples.write_submission(paths.submitted, student, name, maker, rel, src)
