"""Parallel, isolated autograding: selection, progress, and what student code can reach.

A class of three students (full, blank, a cheater) hands in two copies of the
tiny assignment; it is graded once through the CLI with --jobs 2, then parts
of it again with --jobs 1. The cheater walks up from its working directory
looking for solutions/ and gradebooks, rewrites every gradebook it finds and
leaves a daemon behind that keeps rewriting scores after grading.
"""

import io
import os
from contextlib import redirect_stderr, redirect_stdout

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.course import samples, scoring
from rnn_helpers.course.isolation import TOKEN_VAR
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

OTHER = TINY + "_b"
STUDENTS = {"full": samples.full, "blank": samples.blank, "cheats": samples.cheats}


def all_grades(paths):
    """{(assignment, student, grade cell): (auto_score, max_score)}."""
    with Gradebook(paths.db_url) as gb:
        return {
            (a.name, s.student.id, g.name): (g.auto_score, g.max_score)
            for a in gb.assignments
            for s in a.submissions
            for nb in s.notebooks
            for g in nb.grades
        }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    paths = released_tiny_course(tmp_path_factory.mktemp("parallel"), names=(TINY, OTHER))
    class_from(paths, STUDENTS)
    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out):
        status = cli.main(["--top", str(paths.top), "autograde", "--jobs", "2", "--cell-timeout", "10"])
    return paths, status, err.getvalue(), all_grades(paths)


def test_whole_class_graded_with_progress_bar(graded):
    paths, status, progress, grades = graded
    assert status == 0
    # tqdm's bar: count of the 6 submissions, elapsed<remaining
    assert "6/6 [" in progress and "<" in progress
    totals = {}
    for (a, s, _), (score, _) in grades.items():
        totals[(a, s)] = totals.get((a, s), 0) + score
    # truth: the tiny notebook is worth 4 points; blank answers earn none
    assert totals == {(a, s): (4 if s == "full" else 0) for a in (TINY, OTHER) for s in STUDENTS}


def test_one_student_one_assignment_regraded_alone_with_same_scores(graded):
    paths, _, _, before = graded
    marker = paths.autograded / "blank" / OTHER / f"{OTHER}.ipynb"
    mtime = marker.stat().st_mtime_ns
    with redirect_stderr(io.StringIO()), redirect_stdout(io.StringIO()):
        assert (
            cli.main(
                [
                    "--top",
                    str(paths.top),
                    "autograde",
                    "--student",
                    "full",
                    "--assignment",
                    TINY,
                    "--jobs",
                    "1",
                    "--quiet",
                ]
            )
            == 0
        )
    assert all_grades(paths) == before
    assert marker.stat().st_mtime_ns == mtime  # nobody else was regraded


def test_cheater_earns_nothing_and_reaches_no_instructor_file(graded):
    paths, _, _, grades = graded
    mine = {k: v for k, v in grades.items() if k[1] == "cheats"}
    assert mine and all(score == 0 for score, _ in mine.values())
    # max scores come from the release, not from the gradebook it rewrote
    assert all(max_score == grades[(a, "full", g)][1] for (a, _, g), (_, max_score) in mine.items())
    nb = nbformat.read(paths.autograded / "cheats" / TINY / f"{TINY}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "instructor files found: 0" in text
    cwd = text.split("cwd: ", 1)[1].split()[0]
    assert not cwd.startswith(str(paths.top))  # the kernel ran in a throw-away copy


def test_no_process_left_running_after_grading(graded):
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if f"{TOKEN_VAR}=".encode() in f.read():
                    left.append(pid)
        except OSError:
            pass
    assert left == []


def test_tampered_autograded_notebook_is_refused(graded, tmp_path):
    paths, _, _, _ = graded
    spec = scoring.notebook_spec(paths.db_url, TINY)[TINY]
    nb = nbformat.read(paths.autograded / "blank" / TINY / f"{TINY}.ipynb", as_version=4)
    for cell in nb.cells:  # what a leftover process would do: drop failures, edit tests
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_double_visible":
            cell.source, cell.outputs = "pass", []
    nbformat.write(nb, tmp_path / "t.ipynb")
    scores, problems, _ = scoring.score_notebook(tmp_path / "t.ipynb", spec)
    assert problems == ["test cell test_double_visible differs from the gradebook after grading"]
    assert "test_double_visible" not in scores
