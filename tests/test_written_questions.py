"""Written questions through real nbgrader: released without their mark scheme,
put back for the grader, never auto-scored, graded by hand, kept by a regrade.

Truth: the tiny assignment with its question (course/tiny.py, questions=True):
add_one 3 points and double 1 point in test cells, q_why 2 points graded by
hand. Students: `full` hands in the solutions and a written answer; `blank`
hands in the release; `answers_in_question` overwrites the question cell with
its answer (the question and its mark scheme must come back for the grader);
`quotes_a_delimiter` writes nbgrader's mark-scheme delimiter in its answer
(its feedback must still be written, with the answer as typed).
The last test gives `full` a manual grade through nbgrader's Gradebook API
and regrades: the grade must stay and appear in the report and the exports.
"""

import csv
import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.course import autograde, hygiene, report, samples
from rnn_helpers.course.paths import REPO_ROOT, CoursePaths, make_course
from rnn_helpers.course.release import generate
from rnn_helpers.course.tiny import ANSWER_PROMPT, TINY, class_from, write_tiny_assignment

MODEL = "MODEL ANSWER"  # a line of the tiny question's mark scheme
ANSWER = "Because doubling is linear: two fixed points pin it down."
AUTOGRADED_MAX, WRITTEN_MAX = 4.0, 2.0


def answers_in_text(release, source):
    """The solutions, and the written answer typed in the answer cell."""
    nb = samples.full(release, source)
    for cell in nb.cells:
        if cell.source == ANSWER_PROMPT:
            cell.source = f"**Your answer:** {ANSWER}"
    return nb


def answers_in_question(release, source):
    """The solutions, and the answer typed over the (locked) question cell."""
    nb = samples.full(release, source)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("task"):
            cell.source = ANSWER
    return nb


QUOTED = "I read that nbgrader hides text after ### BEGIN MARK SCHEME, with no end."


def quotes_a_delimiter(release, source):
    """The solutions, and an answer that quotes nbgrader's delimiter (no end delimiter)."""
    nb = samples.full(release, source)
    for cell in nb.cells:
        if cell.source == ANSWER_PROMPT:
            cell.source = QUOTED
    return nb


CLASS = {
    "full": answers_in_text,
    "blank": samples.blank,
    "answers_in_question": answers_in_question,
    "quotes_a_delimiter": quotes_a_delimiter,
}


def cli_run(paths, *args):
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        status = cli.main(["--top", str(paths.top), *args])
    return status, out.getvalue()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Released (and validated), handed in, autograded, reported, feedback written."""
    paths = make_course(tmp_path_factory.mktemp("written"))
    write_tiny_assignment(paths.solutions, questions=True)
    released = cli_run(paths, "release", "--jobs", "2")
    class_from(paths, CLASS)
    assert cli_run(paths, "autograde", "--jobs", "2", "--cell-timeout", "10", "--quiet")[0] == 0
    printed = cli_run(paths, "report")
    assert cli_run(paths, "feedback")[0] == 0
    return paths, released, printed


def released_nb(paths):
    return paths.exercises / TINY / f"{TINY}.ipynb"


def table_row(printed, student):
    """The printed table's cells for one student (its first line that starts with the name)."""
    for line in printed.splitlines():
        if line.split() and line.split()[0] == student:
            return line.split()[1:]
    raise AssertionError(f"no table row for {student}:\n{printed}")


def test_release_keeps_the_question_drops_its_mark_scheme_and_validates(course):
    paths, (status, out), _ = course
    assert status == 0, out
    assert "every solution passes its tests, every release fails them" in out
    text = released_nb(paths).read_text()
    assert "**Question.**" in text and ANSWER_PROMPT in text
    assert "MARK SCHEME" not in text and MODEL not in text and "Rubric" not in text
    assert hygiene.leaks(released_nb(paths)) == []
    with Gradebook(paths.db_url) as gb:  # the question's points are recorded, as a task cell
        nb = gb.find_notebook(TINY, TINY)
        assert [(t.name, t.max_score) for t in nb.task_cells] == [("q_why", WRITTEN_MAX)]
        assert gb.find_assignment(TINY).max_score == AUTOGRADED_MAX + WRITTEN_MAX


def test_check_and_hygiene_catch_a_release_that_shows_the_mark_scheme(course, tmp_path):
    paths, _, _ = course
    leaky = make_course(tmp_path, solutions_from=paths.solutions)
    shutil.copytree(paths.exercises, leaky.exercises)
    nb = json.loads(released_nb(leaky).read_text())
    task = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("task"))
    solution = nbformat.read(leaky.solutions / TINY / f"{TINY}.ipynb", as_version=4)
    model = next(line for line in solution.cells[-2].source.splitlines() if MODEL in line)
    task["source"] = "".join(task["source"]) + "\n" + model  # the model answer, without any delimiter
    released_nb(leaky).write_text(json.dumps(nb, indent=1))
    assert any("mark scheme line in a release" in p for p in hygiene.problems(released_nb(leaky)))
    status, out = cli_run(leaky, "release", "--check", "--no-validate")
    assert status == 1 and "mark scheme line in a release" in out, out


def test_autograded_notebook_has_the_mark_scheme_back_and_the_students_answer(course):
    paths, _, _ = course
    for student in ("full", "answers_in_question"):
        nb = nbformat.read(paths.autograded / student / TINY / f"{TINY}.ipynb", as_version=4)
        task = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("task"))
        assert "BEGIN MARK SCHEME" in task.source and MODEL in task.source, student
        assert ANSWER not in task.source, student  # the locked question was put back
    nb = nbformat.read(paths.autograded / "full" / TINY / f"{TINY}.ipynb", as_version=4)
    assert any(ANSWER in c.source for c in nb.cells if c.cell_type == "markdown")


def test_solution_has_full_autograded_marks_and_its_question_needs_manual_grading(course):
    paths, _, _ = course
    with Gradebook(paths.db_url) as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(TINY, TINY, "full").grades}
        auto = sum(g.auto_score for n, g in grades.items() if n.startswith("test_"))
        assert auto == AUTOGRADED_MAX
        question = grades["q_why"]
        assert (question.auto_score, question.manual_score, question.needs_manual_grade) == (None, None, True)
        assert question.max_score == WRITTEN_MAX
    with open(paths.reports / "grades.csv") as f:
        rows = {(r["student"], r["function"]): r for r in csv.DictReader(f)}
    written = rows[("full", "q_why")]
    assert (written["kind"], written["score"], written["max_score"], written["status"]) == (
        "written",
        "",
        "2.0",
        report.NEEDS_MANUAL,
    )
    assert (rows[("full", "add_one")]["kind"], rows[("full", "add_one")]["score"]) == ("autograded", "3.0")
    assert rows[("blank", "q_why")]["status"] == report.NEEDS_MANUAL
    assert canvas_total(paths, "full") == ""  # not known until the answer is graded


def canvas_total(paths, student):
    """The student's cell of the tiny assignment in the Canvas import file."""
    with open(paths.reports / "canvas_gradebook.csv") as f:
        table = list(csv.reader(f))
    column = table[0].index(TINY)
    return next(row[column] for row in table[2:] if row[3] == student)


def test_report_lists_needs_manual_grading_apart_from_graded_and_failed(course):
    paths, _, (status, printed) = course
    assert status == 0
    # total (manual points so far count), written, add_one, double, q_why, status
    assert table_row(printed, "full")[:7] == ["4/6", "?/2", "3/3", "1/1", "?/2", "needs", "manual"]
    assert table_row(printed, "blank")[:5] == ["0/6", "?/2", "0/3", "0/1", "?/2"]
    assert "Written answers that need manual grading (formgrader, Manual Grading): 4" in printed
    assert f"  full / {TINY}: q_why" in printed.splitlines()
    notes = [l for l in printed.splitlines() if l.strip().startswith(f"answers_in_question / {TINY}")]
    assert any("question cell q_why deleted or edited: original restored" in l for l in notes), printed


def test_feedback_shows_the_question_to_be_graded_by_hand_without_the_mark_scheme(course):
    paths, _, _ = course
    page = (paths.feedback / "full" / TINY / f"{TINY}.html").read_text()
    assert "to be graded by hand" in page and "q_why" in page
    assert MODEL not in page and "MARK SCHEME" not in page
    assert ANSWER in page  # the student sees their own answer
    # an answer is the student's text, whatever it quotes: only question cells lose a mark scheme
    page = (paths.feedback / "quotes_a_delimiter" / TINY / f"{TINY}.html").read_text()
    assert "hides text after ### BEGIN MARK SCHEME" in page


def test_manual_grade_shows_in_report_and_exports_and_survives_a_regrade(course):
    paths, _, _ = course
    with Gradebook(paths.db_url) as gb:  # what formgrader does when a grader saves a score
        grade = gb.find_grade("q_why", TINY, TINY, "full")
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gb.db.commit()
    status, _ = cli_run(paths, "autograde", "--student", "full", "--cell-timeout", "10", "--quiet")
    assert status == 0
    with Gradebook(paths.db_url) as gb:
        grade = gb.find_grade("q_why", TINY, TINY, "full")
        assert (grade.manual_score, grade.auto_score, grade.needs_manual_grade) == (1.5, None, False)
        assert gb.find_submission(TINY, "full").score == AUTOGRADED_MAX + 1.5
    status, printed = cli_run(paths, "report")
    assert status == 0
    assert table_row(printed, "full")[:6] == ["5.5/6", "1.5/2", "3/3", "1/1", "1.5/2", "graded"]
    assert f"  full / {TINY}: q_why" not in printed.splitlines()
    with open(paths.reports / "grades.csv") as f:
        rows = {(r["student"], r["function"]): r for r in csv.DictReader(f)}
    assert (rows[("full", "q_why")]["score"], rows[("full", "q_why")]["status"]) == ("1.5", "graded")
    with open(paths.reports / "nbgrader_grades.csv") as f:  # nbgrader's own export
        mine = next(r for r in csv.DictReader(f) if r["student_id"] == "full")
    assert (float(mine["score"]), float(mine["max_score"])) == (5.5, 6.0)
    assert canvas_total(paths, "full") == "5.5"
    assert cli_run(paths, "feedback", "--student", "full")[0] == 0
    page = (paths.feedback / "full" / TINY / f"{TINY}.html").read_text()
    assert "1.5 / 2" in page and "to be graded by hand" not in page


def _questions_of(nb):
    """[(task cell, the cell after it)] of a notebook (nbformat)."""
    cells = nb.cells
    return [
        (cell, cells[i + 1] if i + 1 < len(cells) else None)
        for i, cell in enumerate(cells)
        if cell.metadata.get("nbgrader", {}).get("task")
    ]


@pytest.mark.parametrize("assignment", CoursePaths(REPO_ROOT).assignments())
def test_every_assignment_ends_with_2_to_4_written_questions_in_the_agreed_format(assignment):
    """docs/exercise_api.md, "Written questions": task cell, mark scheme with a rubric, answer cell."""
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    questions = _questions_of(nb)
    assert 2 <= len(questions) <= 4, f"{assignment} has {len(questions)} written questions"
    for task, answer in questions:
        meta = task.metadata["nbgrader"]
        gid = meta.get("grade_id", "")
        assert task.cell_type == "markdown" and gid.startswith("q_"), gid
        assert (meta["grade"], meta["solution"], meta["locked"], meta["schema_version"]) == (
            False,
            False,
            True,
            3,
        ), gid
        assert float(meta["points"]) > 0, gid
        text = task.source
        begin, end = text.find("### BEGIN MARK SCHEME"), text.find("### END MARK SCHEME")
        assert 0 < begin < end, f"{gid}: the question, then its mark scheme"
        assert "pt" in text[begin:end], f"{gid}: its mark scheme has a rubric in points"
        assert answer is not None and answer.cell_type == "markdown", gid
        assert answer.source.strip() == ANSWER_PROMPT and not answer.metadata.get("nbgrader"), gid
    first = nb.cells[0].source
    assert "hour" in first, f"{assignment}: its first cell gives a time estimate"


def test_assignment_01_solution_has_every_autograded_point_and_its_questions_wait(tmp_path):
    """The real 01 through `rnn-course autograde`: the solution earns every test cell's
    points, each written question waits for a grader with its points."""
    name = "01_rnn_forward"
    paths = make_course(tmp_path)
    shutil.copytree(REPO_ROOT / "solutions" / name, paths.solutions / name)
    generate(paths)
    assert hygiene.leaks(paths.exercises / name / f"{name}.ipynb") == []
    class_from(paths, {"full": samples.full})
    records = autograde.autograde(paths, cell_timeout=120, progress=False)
    assert records[("full", name)]["status"] == "graded", records
    with Gradebook(paths.db_url) as gb:
        grades = gb.find_submission_notebook(name, name, "full").grades
        tests = [g for g in grades if g.name.startswith("test_")]
        questions = [g for g in grades if g.name.startswith("q_")]
        assert tests and all(g.auto_score == g.max_score for g in tests), [
            (g.name, g.auto_score, g.max_score) for g in tests if g.auto_score != g.max_score
        ]
        assert 2 <= len(questions) <= 4
        assert all((g.auto_score, g.needs_manual_grade) == (None, True) for g in questions)
        written = sum(g.max_score for g in questions)
        assert gb.find_submission(name, "full").score == gb.find_assignment(name).max_score - written
    rows, _ = report.gather(paths)
    assert {r["function"] for r in rows if r["status"] == report.NEEDS_MANUAL} == {g.name for g in questions}
