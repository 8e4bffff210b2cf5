"""`rnn-course release`: generation, the --check diff CI runs, and validation.

Truth for validation: the tiny solution passes all its tests; a copy with a
wrong answer must be reported, and so must a test that passes with no answer.
"""

import io
import json
import shutil
from contextlib import redirect_stdout

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.course.paths import make_course
from rnn_helpers.course.tiny import TINY, write_tiny_assignment


def run(paths, *args):
    out = io.StringIO()
    with redirect_stdout(out):
        status = cli.main(["--top", str(paths.top), "release", *args])
    return status, out.getvalue()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    paths = make_course(tmp_path_factory.mktemp("release"))
    write_tiny_assignment(paths.solutions)
    status, out = run(paths, "--jobs", "2")
    return paths, status, out


def test_release_writes_stubs_without_solutions_or_hidden_tests(released):
    paths, status, out = released
    assert status == 0, out
    assert "every solution passes its tests, every release fails them" in out
    text = (paths.exercises / TINY / f"{TINY}.ipynb").read_text()
    assert "NotImplementedError" in text
    for secret in ("BEGIN SOLUTION", "return np.asarray(x) + 1", "BEGIN HIDDEN TESTS"):
        assert secret not in text
    with Gradebook(paths.db_url) as gb:  # recorded for the autograder: 1 + 2 + 1 points
        assert gb.find_assignment(TINY).max_score == 4


def test_check_passes_when_current_and_shows_the_difference_when_stale(released, tmp_path):
    paths, _, _ = released
    assert run(paths, "--check", "--no-validate") == (0, "")
    stale = make_course(tmp_path, solutions_from=paths.solutions)
    shutil.copytree(paths.exercises, stale.exercises)
    nb = nbformat.read(stale.solutions / TINY / f"{TINY}.ipynb", as_version=4)
    nb.cells[0].source += "\nA sentence added after the release."
    nbformat.write(nb, stale.solutions / TINY / f"{TINY}.ipynb")
    status, out = run(stale, "--check", "--no-validate")
    assert status == 1
    assert f"differs: {TINY}.ipynb" in out
    assert "A sentence added after the release." in out
    # --check writes nothing
    assert json.loads((stale.exercises / TINY / f"{TINY}.ipynb").read_text()) == json.loads(
        (paths.exercises / TINY / f"{TINY}.ipynb").read_text()
    )


def test_check_reports_wrong_solution_and_test_that_passes_without_answer(released, tmp_path):
    paths, _, _ = released
    bad = make_course(tmp_path, solutions_from=paths.solutions)
    nb = nbformat.read(bad.solutions / TINY / f"{TINY}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "double":
            cell.source = cell.source.replace("2 * np.asarray(x)", "3 * np.asarray(x)")
        if gid == "test_add_one_hidden":  # a test that checks nothing
            cell.source = '"""checks nothing."""\n### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS'
    nbformat.write(nb, bad.solutions / TINY / f"{TINY}.ipynb")
    shutil.copytree(paths.exercises, bad.exercises)  # released before the change
    status, out = run(bad, "--check")
    assert status == 1
    assert 'solution fails its test: """double doubles fixed inputs."""' in out
    assert 'test passes without a solution: """checks nothing."""' in out


def test_validation_counts_visible_tests_worth_zero_points(released, tmp_path):
    """nbgrader's Validator alone calls a 0-point test passed whatever it does."""
    paths, _, _ = released
    bad = make_course(tmp_path, solutions_from=paths.solutions)
    nb = nbformat.read(bad.solutions / TINY / f"{TINY}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_add_one_visible":  # passes without an answer
            cell.source, meta["points"] = '"""checks nothing, 0 points."""\nassert True', 0
        if meta.get("grade_id") == "test_double_visible":  # fails with the solution
            cell.source, meta["points"] = '"""wrong on purpose, 0 points."""\nassert double(1) == 3', 0
    nbformat.write(nb, bad.solutions / TINY / f"{TINY}.ipynb")
    assert run(bad, "--no-validate")[0] == 0
    status, out = run(bad, "--check")
    assert status == 1
    assert 'test passes without a solution: """checks nothing, 0 points."""' in out
    assert 'solution fails its test: """wrong on purpose, 0 points."""' in out
