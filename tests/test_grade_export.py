"""Grades out: the Canvas gradebook and nbgrader's CSV that `rnn-course report` writes.

A temporary course with the tiny assignment under two names (4 points each)
and four students: `full` (4, 4), `partial` (add_one only: 3, 3), `crash` (a
kernel that kills itself: fails to grade in both) and `first_only` (4, nothing
handed in for the second). Every command runs as `.venv/bin/rnn-course` called
by its full path with a PATH that lacks the venv, as an instructor who never
activated it would (nbgrader needs `alembic` from the venv's bin).
Truth: the gradebook, read through nbgrader's API, and the points above.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook, MissingEntry

from rnn_helpers.course import samples
from rnn_helpers.course.gradebook_export import CANVAS_COLUMNS, CANVAS_NAME, NBGRADER_NAME
from rnn_helpers.course.paths import make_course
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

SECOND = "00_tiny_two"
RNN_COURSE = Path(sys.executable).parent / "rnn-course"
# What nbgrader's `export` writes (nbgrader.plugins.export.CsvExportPlugin), in order.
NBGRADER_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]


def rnn_course_without_venv_on_path(top, *args):
    """Run the venv's rnn-course by full path, with only the system's folders on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"
    proc = subprocess.run(
        [str(RNN_COURSE), "--top", str(top), *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, (
        f"rnn-course {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def test_report_by_full_path_without_the_venv_on_path_creates_the_gradebook(tmp_path):
    """A course with no gradebook yet: opening it runs alembic (the crash of issue 13)."""
    paths = make_course(tmp_path / "course")
    paths.build.mkdir()
    assert not paths.gradebook.exists()
    out = rnn_course_without_venv_on_path(paths.top, "report")
    assert "no graded submissions" in out
    assert paths.gradebook.exists()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    paths = released_tiny_course(tmp_path_factory.mktemp("export"), names=(TINY, SECOND))
    class_from(
        paths,
        {
            "full": samples.full,
            "partial": samples.partial,
            "crash": samples.kills_kernel,
            "first_only": samples.full,
        },
        assignments=[TINY],
    )
    class_from(
        paths,
        {"full": samples.full, "partial": samples.partial, "crash": samples.kills_kernel},
        assignments=[SECOND],
    )
    rnn_course_without_venv_on_path(paths.top, "autograde", "--jobs", "2", "--quiet", "--cell-timeout", "10")
    printed = rnn_course_without_venv_on_path(paths.top, "report")
    return paths, printed


def _gradebook(paths):
    """{(student, assignment): (score, failed to grade, timestamp)} and {assignment: max score},
    from nbgrader's API."""
    scores, maxima = {}, {}
    with Gradebook(paths.db_url) as gb:
        for a in (TINY, SECOND):
            maxima[a] = gb.find_assignment(a).max_score
            for s in gb.students:
                try:
                    sub = gb.find_submission(a, s.id)
                except MissingEntry:
                    continue
                failed = any(g.auto_score is None for nb in sub.notebooks for g in nb.grades)
                scores[(s.id, a)] = (sub.score, failed, sub.timestamp)
    return scores, maxima


def test_canvas_gradebook_has_one_column_per_assignment_and_a_row_per_login_id(exported):
    paths, printed = exported
    assert str(paths.reports / CANVAS_NAME) in printed
    with open(paths.reports / CANVAS_NAME, newline="") as f:
        header, points, *rows = list(csv.reader(f))
    assert header == CANVAS_COLUMNS + [TINY, SECOND]
    scores, maxima = _gradebook(paths)
    assert points[0] == "Points Possible"
    assert [float(x) for x in points[5:]] == [maxima[TINY], maxima[SECOND]] == [4.0, 4.0]
    by_login = {r[3]: r for r in rows}
    assert sorted(by_login) == ["crash", "first_only", "full", "partial"]
    for login, row in by_login.items():
        for column, assignment in ((5, TINY), (6, SECOND)):
            if (login, assignment) not in scores:
                assert row[column] == "", (login, assignment, row)  # nothing handed in: no grade
                continue
            score, failed, _ = scores[(login, assignment)]
            if failed:
                assert row[column] == "", (login, assignment, row)  # not a 0: the report says why
            else:
                assert float(row[column]) == pytest.approx(score, abs=0), (login, assignment)
    # and the numbers are the points each student earned
    assert (by_login["full"][5:], by_login["partial"][5:]) == (["4", "4"], ["3", "3"])
    assert by_login["first_only"][5:] == ["4", ""] and by_login["crash"][5:] == ["", ""]


def test_nbgrader_csv_is_nbgraders_own_format_with_the_gradebooks_scores(exported):
    paths, printed = exported
    assert str(paths.reports / NBGRADER_NAME) in printed
    with open(paths.reports / NBGRADER_NAME, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == NBGRADER_COLUMNS
    scores, maxima = _gradebook(paths)
    students = ["crash", "first_only", "full", "partial"]
    assert sorted((r["student_id"], r["assignment"]) for r in rows) == sorted(
        (s, a) for s in students for a in (TINY, SECOND)
    )
    for r in rows:
        key = (r["student_id"], r["assignment"])
        assert float(r["max_score"]) == maxima[r["assignment"]]
        if key in scores:
            score, _, timestamp = scores[key]
            assert float(r["score"]) == pytest.approx(score, abs=0), key
            assert r["timestamp"] == ("" if timestamp is None else str(timestamp)), key
        else:  # nbgrader's rule: no submission scores 0, with no timestamp
            assert (float(r["score"]), r["timestamp"]) == (0.0, ""), key
    full = next(r for r in rows if r["student_id"] == "full" and r["assignment"] == TINY)
    assert float(full["score"]) == 4.0
