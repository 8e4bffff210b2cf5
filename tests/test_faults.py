"""Every fault a submission can have, graded by real nbgrader in one run.

One class of faulty students (the tiny assignment: add_one 3 points in two
test cells, double 1 point) is autograded once with --jobs 2. Each test
checks one student's line in the report and their gradebook entry, whose
truth is the tiny notebook's points, not the pipeline's output.
"""

import functools
import io
from contextlib import redirect_stdout

import pytest
from nbgrader.api import Gradebook

from rnn_helpers.course import autograde, precheck, report, samples
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

CELL_TIMEOUT = 5  # s per cell
NOTEBOOK_TIMEOUT = 15  # s per notebook: above loops-forever (one cell times out),
# below too-slow (six cells of 4 s; the grader allows 5 s more)

FAULTS = {
    "full": samples.full,
    **{k: v for k, v in samples.NOTEBOOK_FAULTS.items() if k != "cheats"},
    "too-slow": functools.partial(samples.slow, seconds=4, cells=6),
    **samples.FOLDER_FAULTS,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    paths = released_tiny_course(tmp_path_factory.mktemp("faults"))
    class_from(paths, FAULTS)
    digests = {s: precheck.tree_digest(paths.submitted / s) for s in FAULTS}
    autograde.autograde(
        paths, jobs=2, cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT, progress=False
    )
    out = io.StringIO()
    with redirect_stdout(out):
        report.report(paths)
    return paths, digests, out.getvalue()


def gradebook_entry(paths, student):
    """(score, max_score, grades needing manual grading) from the gradebook."""
    with Gradebook(paths.db_url) as gb:
        sub = gb.find_submission(TINY, student)
        manual = sorted(g.name for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade)
        return sub.score, sub.max_score, manual


ALL_TESTS = ["test_add_one_hidden", "test_add_one_visible", "test_double_visible"]

# student: (score, grades left for manual grading, text of the report line)
EXPECTED = {
    "full": (4, [], None),
    "loops-forever": (3, [], "test_double_visible: ran past the cell time limit"),
    "swallows-interrupt": (0, ALL_TESTS, "ignored the interrupt"),
    "kills-kernel": (0, ALL_TESTS, "FAILED: kernel died"),
    "memory-hog": (3, [], "test_double_visible: hit the kernel memory limit"),
    "huge-output": (4, [], "huge output truncated"),
    "deletes-test": (4, [], "test cell test_add_one_visible deleted: restored"),
    "edits-test": (0, [], "test_double_visible edited: original restored"),
    "changes-points": (3, [], "points of test_add_one_visible from 1 to 100 changed: reset"),
    "too-slow": (0, ALL_TESTS, "FAILED: ran past the 15 s wall-clock limit"),
    "invalid-json": (0, ALL_TESTS, "FAILED: invalid notebook JSON"),
    "renamed-notebook": (4, [], f"renamed to {TINY} (1).ipynb: graded as {TINY}.ipynb"),
    "missing-notebook": (0, [], f"MISSING: no {TINY}.ipynb submitted"),
    "extra-notebook": (4, [], "extra notebook scratch.ipynb ignored"),
}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_fault_has_report_line_and_consistent_gradebook(graded, student):
    paths, _, printed = graded
    score, manual, line = EXPECTED[student]
    got_score, max_score, got_manual = gradebook_entry(paths, student)
    assert max_score == 4  # the release's points, whatever the student claimed
    assert got_manual == manual
    assert got_score == pytest.approx(score, abs=0)
    mine = [l for l in printed.splitlines() if l.strip().startswith(f"{student} /")]
    if line is None:
        assert mine == []
    else:
        assert any(line in l for l in mine), mine
    if manual:  # failed to grade: FAILED in the table, never a silent 0
        row = next(l for l in printed.splitlines() if l.startswith(student + " "))
        assert "FAILED" in row


def test_submissions_are_never_modified(graded):
    paths, digests, _ = graded
    for student, before in digests.items():
        assert before and precheck.tree_digest(paths.submitted / student) == before, student


def test_regrading_gives_identical_scores(graded):
    paths, _, _ = graded
    quick = [
        "changes-points",
        "deletes-test",
        "edits-test",
        "kills-kernel",
        "invalid-json",
        "renamed-notebook",
        "missing-notebook",
        "memory-hog",
    ]

    def grades():
        with Gradebook(paths.db_url) as gb:
            return {
                (s.student.id, g.name): (g.auto_score, g.needs_manual_grade)
                for s in gb.find_assignment(TINY).submissions
                for nb in s.notebooks
                for g in nb.grades
            }

    before = grades()
    autograde.autograde(
        paths,
        students=quick,
        jobs=2,
        cell_timeout=CELL_TIMEOUT,
        notebook_timeout=NOTEBOOK_TIMEOUT,
        progress=False,
    )
    assert grades() == before
