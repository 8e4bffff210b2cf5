"""The report and the feedback of a small graded class.

Truth: the tiny assignment's points (add_one 1 + 2, double 1) and what each
sample hands in: full answers (4), add_one only (3), nothing (0), a kernel
that kills itself (failed: no score at all), no notebook (0, missing).
"""

import csv
import io
from contextlib import redirect_stdout

import matplotlib.image
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.course import autograde, report, samples
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

CLASS = {
    "full": samples.full,
    "partial": samples.partial,
    "blank": samples.blank,
    "crash": samples.kills_kernel,
    "absent": samples.missing,
}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    paths = released_tiny_course(tmp_path_factory.mktemp("report"))
    class_from(paths, CLASS)
    autograde.autograde(paths, jobs=2, cell_timeout=10, progress=False)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--top", str(paths.top), "report"]) == 0
        assert cli.main(["--top", str(paths.top), "feedback"]) == 0
    return paths, out.getvalue()


def test_csv_has_a_row_per_student_and_function_and_failed_is_not_zero(reported):
    paths, _ = reported
    with open(paths.reports / "grades.csv") as f:
        rows = {(r["student"], r["function"]): r for r in csv.DictReader(f)}
    assert set(rows) == {(s, fn) for s in CLASS for fn in ("add_one", "double")}
    expected = {
        "full": ("3.0", "1.0"),
        "partial": ("3.0", "0.0"),
        "blank": ("0.0", "0.0"),
        "absent": ("0.0", "0.0"),
        "crash": ("", ""),
    }
    for student, (add_one, double) in expected.items():
        assert (rows[(student, "add_one")]["score"], rows[(student, "double")]["score"]) == (
            add_one,
            double,
        ), student
        assert rows[(student, "add_one")]["max_score"] == "3.0"
    assert rows[("crash", "add_one")]["status"] == "failed"
    assert "kernel died" in rows[("crash", "add_one")]["reason"]
    assert rows[("absent", "double")]["status"] == "missing"
    with Gradebook(paths.db_url) as gb:  # the gradebook agrees: no score, flagged
        grades = gb.find_submission_notebook(TINY, TINY, "crash").grades
        assert [(g.auto_score, g.needs_manual_grade) for g in grades] == [(None, True)] * 3


def test_printed_table_and_fault_lines(reported):
    _, printed = reported
    lines = printed.splitlines()
    row = {
        l.split()[0]: l.split()[1:] for l in lines if l.split() and l.split()[0] in CLASS and " / " not in l
    }  # table rows only
    assert row["full"][:3] == ["4/4", "3/3", "1/1"]
    assert row["partial"][:3] == ["3/4", "3/3", "0/1"]
    assert row["crash"][0] == "FAILED"
    assert any(l.strip().startswith(f"crash / {TINY} / {TINY}: FAILED: kernel died") for l in lines)
    assert any(l.strip().startswith(f"absent / {TINY} / {TINY}: MISSING") for l in lines)


def test_plot_is_a_png_with_content(reported):
    paths, _ = reported
    image = matplotlib.image.imread(paths.reports / "scores.png")
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_feedback_per_student_including_why_a_notebook_failed(reported):
    paths, _ = reported
    for student in ("full", "partial", "blank"):
        page = (paths.feedback / student / TINY / f"{TINY}.html").read_text()
        assert "test_add_one_visible" in page
    assert "kernel died" in (paths.feedback / "crash" / TINY / f"{TINY}.html").read_text()
    assert "not submitted" in (paths.feedback / "absent" / TINY / f"{TINY}.html").read_text()


def test_table_shows_written_questions_apart_from_autograded_points():
    """A question is '?' until graded by hand; the student's status says so."""

    def row(student, function, kind, score, max_score, status):
        return {
            "student": student,
            "assignment": "A",
            "notebook": "A",
            "function": function,
            "kind": kind,
            "score": score,
            "max_score": max_score,
            "status": status,
            "reason": "",
            "worker": "local",
            "seconds": 1.0,
        }

    rows = [
        row("ann", "f", "autograded", 3.0, 3.0, "graded"),
        row("ann", "q_a", "written", None, 2.0, report.NEEDS_MANUAL),
        row("ann", "q_b", "written", 1.0, 2.0, "graded"),
        row("bob", "f", "autograded", 1.0, 3.0, "graded"),
        row("bob", "q_a", "written", 2.0, 2.0, "graded"),
        row("bob", "q_b", "written", 0.0, 2.0, "graded"),
        row("cid", "f", "autograded", None, 3.0, "failed"),
        row("cid", "q_a", "written", None, 2.0, "failed"),
        row("cid", "q_b", "written", None, 2.0, "failed"),
    ]
    cells = {l.split()[0]: l.split()[1:] for l in report.table(rows).splitlines()[2:]}
    assert cells["ann"][:6] == ["4/7", "1+?/4", "3/3", "?/2", "1/2", "needs"]
    assert cells["bob"][:6] == ["3/7", "2/4", "1/3", "2/2", "0/2", "graded"]
    assert cells["cid"][:3] == ["FAILED", "FAILED", "FAILED"]
    assert report.manual_lines(rows) == ["ann / A: q_a"]
