"""A class through nbgrader's exchange, without a browser.

The instructor uses `rnn-course publish / collect / autograde / return-feedback /
report` on a temporary course with the tiny assignment (add_one: 3 points,
double: 1 point). Students are nbgrader's own command line run with the
settings a student's server gets on the class hub (deploy/roles/student), each
with their own home folder (their nbgrader cache):
    alice  hands in the stub, then the full answer: the latest is graded, 4/4
    carol  hands in the full answer under another notebook name: graded, 4/4
    bob    hands in the stub after the due date: 0/4, late
    dave   hands in nothing, and asks for alice's feedback
Truth: the tiny assignment's points and what each student handed in.
"""

import io
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.course import exchange, samples
from rnn_helpers.course.paths import REPO_ROOT, tool_env
from rnn_helpers.course.tiny import TINY, released_tiny_course

STUDENT_ROLE = REPO_ROOT / "deploy" / "roles" / "student"


class Student:
    """One student: a home folder and nbgrader's commands as they run in the student's server."""

    def __init__(self, name, homes, exchange_root, course_id):
        self.name = name
        self.home = Path(homes) / name
        self.home.mkdir(parents=True)
        self.env = tool_env(
            {
                "HOME": str(self.home),
                "JUPYTER_CONFIG_PATH": str(STUDENT_ROLE),
                "RNN_COURSE_EXCHANGE": exchange_root,
                "RNN_COURSE_ID": course_id,
                "RNN_COURSE_STUDENT": name,  # what the hub passes with one Unix account for all
            }
        )
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            self.env.pop(var, None)

    def nbgrader(self, *args):
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, f"{self.name}: nbgrader {' '.join(args)}:\n{proc.stdout}{proc.stderr}"
        return proc.stdout + proc.stderr

    def hand_in(self, notebook, name=TINY):
        """Replace the fetched notebook by `notebook` saved as `name`.ipynb, then submit."""
        folder = self.home / TINY
        for old in folder.glob("*.ipynb"):
            old.unlink()
        nbformat.write(notebook, folder / f"{name}.ipynb")
        return self.nbgrader("submit", TINY)

    def feedback_pages(self):
        return sorted((self.home / TINY / "feedback").glob("*/*.html"))


def _utc_now():
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _run(top, *args):
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["--top", str(top), *args])
    assert code == 0, f"rnn-course {' '.join(args)} exited {code}:\n{out.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """The whole cycle, once; the tests below check what it left."""
    tmp = tmp_path_factory.mktemp("exchange")
    paths = released_tiny_course(tmp / "course")
    far = "2099-01-01 00:00:00 UTC"
    printed = {"publish": _run(paths.top, "publish", TINY, "--due", far)}
    root, course_id = exchange.settings(paths)
    people = {n: Student(n, tmp / "homes", root, course_id) for n in ("alice", "bob", "carol", "dave")}
    release = nbformat.read(paths.exercises / TINY / f"{TINY}.ipynb", as_version=4)
    source = nbformat.read(paths.solutions / TINY / f"{TINY}.ipynb", as_version=4)
    for name in ("alice", "bob", "carol"):
        people[name].nbgrader("fetch_assignment", TINY)
    people["alice"].hand_in(samples.blank(release, source))
    time.sleep(1.1)  # timestamps are the only order nbgrader knows
    people["alice"].hand_in(samples.full(release, source))
    people["carol"].hand_in(samples.full(release, source), name="my_answers")
    time.sleep(1.1)
    due = _utc_now()
    printed["publish_due"] = _run(paths.top, "publish", TINY, "--due", due)
    time.sleep(1.1)
    people["bob"].hand_in(samples.blank(release, source))

    printed["collect"] = _run(paths.top, "collect", TINY)
    printed["autograde"] = _run(paths.top, "autograde", "--jobs", "2", "--quiet", "--cell-timeout", "20")
    printed["return"] = _run(paths.top, "return-feedback", TINY)
    printed["report"] = _run(paths.top, "report")
    for name in ("alice", "bob", "carol"):
        people[name].nbgrader("fetch_feedback", TINY)
    # dave has no submission; he asks for alice's feedback by her id.
    printed["dave"] = people["dave"].nbgrader("fetch_feedback", TINY, "--student", "alice")
    # bob asks for alice's too, as alice.
    printed["bob_as_alice"] = people["bob"].nbgrader("fetch_feedback", TINY, "--student", "alice")
    return paths, people, printed, root, course_id


def _score(paths, student):
    with Gradebook(paths.db_url) as gb:
        return gb.find_submission(TINY, student).score


def test_publish_puts_the_release_in_the_exchange_with_nbgraders_modes_and_sticky_bits(cycle):
    paths, _, printed, root, course_id = cycle
    course = Path(root) / course_id
    released = course / "outbound" / TINY / f"{TINY}.ipynb"
    assert released.read_bytes() == (paths.exercises / TINY / f"{TINY}.ipynb").read_bytes()
    modes = {p: oct(os.stat(course / p).st_mode & 0o7777) for p in ("", "outbound", "inbound", "feedback")}
    assert modes == {"": "0o755", "outbound": "0o755", "inbound": "0o3733", "feedback": "0o711"}, modes
    assert oct(os.stat(root).st_mode & 0o7777) == "0o1777"
    assert f"published {TINY}" in printed["publish"]


def test_due_date_from_publish_is_in_the_gradebook(cycle):
    paths, _, _, _, _ = cycle
    with Gradebook(paths.db_url) as gb:
        due = gb.find_assignment(TINY).duedate
    assert due is not None and due.year == datetime.now(UTC).year, due


def test_collect_takes_each_students_latest_submission_and_grades_it(cycle):
    paths, _, printed, _, _ = cycle
    assert sorted(p.name for p in paths.submitted.iterdir()) == ["alice", "bob", "carol"]
    # alice's first submission was the stub (0 points), her second the answer.
    assert _score(paths, "alice") == pytest.approx(4.0, abs=0)
    assert _score(paths, "bob") == pytest.approx(0.0, abs=0)
    report = printed["report"]
    assert f"alice / {TINY}: submitted 2 times: graded the latest" in report, report


def test_late_submission_is_flagged_in_the_report_and_on_time_ones_are_not(cycle):
    paths, _, printed, _, _ = cycle
    late = [l.strip() for l in printed["report"].splitlines() if "LATE" in l]
    assert len(late) == 1 and late[0].startswith(f"bob / {TINY}: LATE by "), late
    with Gradebook(paths.db_url) as gb:
        lateness = {s: gb.find_submission(TINY, s).total_seconds_late for s in ("alice", "bob", "carol")}
    assert lateness["alice"] == 0 and lateness["carol"] == 0 and lateness["bob"] > 0, lateness


def test_notebook_handed_in_under_another_name_is_graded_with_a_clear_line(cycle):
    paths, people, printed, _, _ = cycle
    line = f"carol / {TINY} / {TINY}: notebook renamed to my_answers.ipynb: graded as {TINY}.ipynb"
    assert line in printed["report"], printed["report"]
    assert _score(paths, "carol") == pytest.approx(4.0, abs=0)
    # carol fetches her feedback by the name she handed in.
    assert [p.name for p in people["carol"].feedback_pages()] == ["my_answers.html"]


def test_each_student_fetches_their_own_feedback_with_their_own_score(cycle):
    _, people, printed, _, _ = cycle
    pages = {n: people[n].feedback_pages() for n in ("alice", "bob")}
    assert [p.name for p in pages["alice"]] == [f"{TINY}.html"]
    assert [p.name for p in pages["bob"]] == [f"{TINY}.html"]
    alice, bob = (pages[n][0].read_text() for n in ("alice", "bob"))
    # nbgrader's feedback page heads the notebook with "<notebook> (Score: X / Y)"
    full, stub = f"{TINY} (Score: 4.0 / 4.0)", f"{TINY} (Score: 0.0 / 4.0)"
    assert full in alice and stub not in alice
    assert stub in bob and full not in bob
    assert "released feedback on 00_tiny to 3 student(s)" in printed["return"]


def test_another_students_feedback_is_refused(cycle):
    """dave (nothing handed in) and bob ask for alice's feedback by her id: nbgrader
    finds a page only through the secret of a submission in the asker's own
    cache, so dave gets nothing and bob only his own page."""
    _, people, printed, _, _ = cycle
    assert people["dave"].feedback_pages() == []
    assert "Fetched feedback" not in printed["dave"]
    pages = people["bob"].feedback_pages()
    assert len(pages) == 1 and f"{TINY} (Score: 0.0 / 4.0)" in pages[0].read_text()


def test_feedback_in_the_exchange_cannot_be_listed_and_is_named_by_secrets(cycle):
    _, _, _, root, course_id = cycle
    feedback = Path(root) / course_id / "feedback"
    assert os.stat(feedback).st_mode & 0o007 == 0o001  # others: traverse, never list
    names = [p.stem for p in feedback.glob("*.html")]
    assert names and all(len(n) >= 32 and "alice" not in n for n in names), names
