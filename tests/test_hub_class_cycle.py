"""One class cycle on the class hub (deploy/), in headless Chromium.

`deploy/hub.py start` serves a temporary copy of the course with assignment 01
on 127.0.0.1 and a free port, with trial accounts (one Unix user; students
log in with one shared password, the instructor with another): instructor
`teacher`, students `alice` and `bob`. The instructor types the `rnn-course`
commands in a notebook of their JupyterLab (`!rnn-course ...`, as in a
terminal); students use nbgrader's Assignment List. Every step leaves a
screenshot in screenshots/hub_*.png. The hub, its proxy and every server are
stopped at the end, also when a step fails.

Truth: the points of assignment 01 (its release's metadata), the instructor's
solution (typed into every stub by alice: every autograded point, its written
questions not yet graded by hand) and the stub (bob) with no tests passing.
"""

import re
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the fixture as a failure, not a collection error
    sync_playwright = None

from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    SCREENSHOTS,
    TIMEOUT_MS,
    Shots,
    cell_index,
    hub_login,
    solution_source,
    start_hub,
    stop_hub,
    stub_cells,
    wait_for_lab,
)

from rnn_helpers.course.paths import make_course

ASSIGNMENT = "01_rnn_forward"
STUDENTS = ["alice", "bob"]
INSTRUCTOR = "teacher"
# What the instructor types, one notebook cell per step (a terminal takes the same lines).
DUE = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
STEPS = {
    "publish": f'!rnn-course publish {ASSIGNMENT} --due "{DUE}"',
    "collect": f"!rnn-course collect {ASSIGNMENT}",
    "autograde": "!rnn-course autograde --jobs 2 --quiet",
    "feedback": f"!rnn-course return-feedback {ASSIGNMENT}",
    "report": "!rnn-course report",
}


def max_points():
    """(autograded points, all points) of the assignment, from the release's cell
    metadata: its written questions (task cells) are graded by hand, so even the
    instructor's solution has only the autograded points until a grader scores them."""
    nb = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    every = sum(m.get("points", 0) for m in meta)
    return every - sum(m.get("points", 0) for m in meta if m.get("task")), every


@pytest.fixture(scope="module")
def course():
    """A temporary course with assignment 01 (solutions, release, settings) and
    the instructor's notebook of commands."""
    (REPO / "build").mkdir(exist_ok=True)
    top = Path(tempfile.mkdtemp(prefix="hub-course-", dir=REPO / "build"))
    paths = make_course(top)
    for folder in ("solutions", "exercises"):
        shutil.copytree(REPO / folder / ASSIGNMENT, top / folder / ASSIGNMENT)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in STEPS.values()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, top / "class.ipynb")
    yield paths
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(course, tmp_path_factory):
    server = start_hub(tmp_path_factory.mktemp("hub-state"), course.top, [INSTRUCTOR], STUDENTS)
    try:
        yield server
    finally:
        stop_hub(server)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install_system_packages.sh`", pytrace=False)
    if sync_playwright is None:
        pytest.fail("Playwright for Python is missing: `.venv/bin/pip install -e '.[dev]'`", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def new_page(browser):
    """A page in its own browser context: one user's cookies."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def menu_command(page, menu, command):
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()


def assignment_list(page):
    """Open nbgrader's Assignment List and wait until its lists are loaded."""
    menu_command(page, "Nbgrader", "nbgrader:open-assignment-list")
    panel = page.locator(".jp-MainAreaWidget:visible", has_text="Released assignments")
    panel.get_by_text("Submitted assignments", exact=True).wait_for()
    page.wait_for_function("el => !/loading/i.test(el.innerText)", arg=panel.element_handle())
    return panel


def row_button(panel, list_id, label):
    """The button of this assignment's row in one of the three lists."""
    row = panel.locator(f"#{list_id} .list_item", has_text=ASSIGNMENT)
    return row.locator("button", has_text=label)


def wait_kernel_idle(page, timeout=3 * TIMEOUT_MS):
    """Wait until the open notebook's kernel reports Idle in the status bar (a cell
    run before the kernel is connected is dropped)."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            return bar && /\\(ipykernel\\) \\| Idle/.test(bar.innerText);
        }""",
        timeout=timeout,
    )


def run_step(page, index, expect_text, timeout=3 * TIMEOUT_MS):
    """Run the instructor's notebook cell `index`; return its output once it shows `expect_text`."""
    wait_kernel_idle(page)
    cell = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    output = cell.locator(".jp-OutputArea")
    output.filter(has_text=expect_text).wait_for(timeout=timeout)
    # the command is done when the cell has its execution count
    cell.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=timeout)
    cell.scroll_into_view_if_needed()
    return output.inner_text()


def report_totals(text):
    """{student: (score, max)} from the printed table of `rnn-course report`."""
    totals = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\w+)\s+([\d.]+)/([\d.]+)\s", line)
        if m and m.group(1) in STUDENTS:
            totals[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return totals


def test_class_cycle_release_fetch_submit_grade_feedback_and_formgrader(browser, hub, course):
    shots = Shots(SCREENSHOTS)
    pages = {name: new_page(browser) for name in [INSTRUCTOR, *STUDENTS]}
    try:
        class_cycle(hub, pages, shots)
    except Exception:
        for name, page in pages.items():  # where each user was when it failed
            shots(page, f"hub_failed_{name}")
        raise


def class_cycle(hub, pages, shots):
    started = time.monotonic()
    auto, full = map(float, max_points())

    # Everyone logs in; the three servers start together.
    for name, page in pages.items():
        hub_login(page, hub, name, wait=False)
    for name, page in pages.items():
        wait_for_lab(page, name)
    teacher, alice = pages[INSTRUCTOR], pages["alice"]

    # Roles: students have the Assignment List, not formgrader; the instructor has both.
    alice.locator(".lm-MenuBar-item", has_text=re.compile("^Nbgrader$")).click()
    student_menu = alice.locator(".lm-Menu-content").inner_text()
    shots(alice, "hub_01_student_nbgrader_menu")
    alice.keyboard.press("Escape")
    assert "Assignment List" in student_menu and "Formgrader" not in student_menu, student_menu
    teacher.locator(".lm-MenuBar-item", has_text=re.compile("^Nbgrader$")).click()
    teacher_menu = teacher.locator(".lm-Menu-content").inner_text()
    shots(teacher, "hub_02_instructor_nbgrader_menu")
    teacher.keyboard.press("Escape")
    assert "Formgrader" in teacher_menu and "Course List" in teacher_menu, teacher_menu

    # 1. The instructor publishes assignment 01.
    teacher.goto(f"{hub.url}/user/{INSTRUCTOR}/lab/tree/class.ipynb?reset")
    teacher.wait_for_selector(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
    wait_kernel_idle(teacher)
    out = run_step(teacher, 0, f"published {ASSIGNMENT}")
    shots(teacher, "hub_03_instructor_publishes")
    assert "due" in out, out

    # 2. Both students see it in their Assignment List and fetch it.
    lists = {}
    for name in STUDENTS:
        page = pages[name]
        panel = lists[name] = assignment_list(page)
        row_button(panel, "released_assignments_list", "Fetch").wait_for()
        shots(page, f"hub_04_{name}_sees_the_release")
        row_button(panel, "released_assignments_list", "Fetch").click()
        row_button(panel, "fetched_assignments_list", "Submit").wait_for()
        shots(page, f"hub_05_{name}_fetched")

    # 3. alice writes every function (the instructor's solution, typed into each stub) and saves.
    alice.goto(f"{hub.url}/user/alice/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?reset")
    released = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cells = alice.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
    cells.nth(len(released.cells) - 1).wait_for()
    for i in stub_cells(released):
        editor = cells.nth(i).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        alice.keyboard.press("Control+A")
        alice.keyboard.insert_text(
            solution_source(ASSIGNMENT, released.cells[i].metadata["nbgrader"]["grade_id"])
        )
        alice.keyboard.press("Escape")
    alice.keyboard.press("Control+S")
    alice.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached")
    cells.nth(cell_index(released, "rnn_step_forward")).scroll_into_view_if_needed()
    shots(alice, "hub_06_alice_wrote_her_solution")

    # 4. Both submit (bob hands in the stub untouched).
    for name in STUDENTS:
        page = pages[name]
        panel = lists[name] = assignment_list(page)
        row_button(panel, "fetched_assignments_list", "Submit").click()
        row_button(panel, "submitted_assignments_list", "Fetch Feedback").wait_for()
        shots(page, f"hub_07_{name}_submitted")

    # 5. The instructor collects, grades and returns feedback with rnn-course.
    out = run_step(teacher, 1, f"collected {ASSIGNMENT}: 2 student(s)")
    shots(teacher, "hub_08_instructor_collects")
    out = run_step(teacher, 2, "graded 2 submission(s)", timeout=8 * TIMEOUT_MS)
    shots(teacher, "hub_09_instructor_autogrades")
    assert "0 failed to grade" in out, out
    out = run_step(teacher, 3, f"released feedback on {ASSIGNMENT} to 2 student(s)")
    shots(teacher, "hub_10_instructor_returns_feedback")
    report = run_step(teacher, 4, "grades out:")
    shots(teacher, "hub_11_instructor_report")
    totals = report_totals(report)
    assert totals == {"alice": (auto, full), "bob": (0.0, full)}, report

    # 6. Each student fetches their feedback and sees their own score, never the other's.
    mine = {"alice": f"{auto} / {full}", "bob": f"0.0 / {full}"}
    for name, other in (("alice", "bob"), ("bob", "alice")):
        page = pages[name]
        panel = assignment_list(page)
        row_button(panel, "submitted_assignments_list", "Fetch Feedback").click()
        link = panel.locator("#submitted_assignments_list a", has_text="view feedback")
        link.wait_for()
        shots(page, f"hub_12_{name}_fetched_feedback")
        link.click()  # the file browser goes to the feedback folder
        page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").dblclick()
        frame = page.frame_locator(".jp-MainAreaWidget:visible iframe")
        heading = frame.locator("h4", has_text=f"{ASSIGNMENT} (Score:")
        heading.wait_for()
        text = heading.inner_text()
        shots(page, f"hub_13_{name}_reads_feedback")
        assert f"(Score: {mine[name]})" in text and f"(Score: {mine[other]})" not in text, text
        fetched = list((hub.log.parent / "homes" / name / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert [p.name for p in fetched] == [f"{ASSIGNMENT}.html"], fetched

    # 7. Formgrader shows both submissions with the report's scores.
    teacher.goto(f"{hub.url}/user/{INSTRUCTOR}/formgrader/manage_submissions/{ASSIGNMENT}")
    rows = teacher.locator("tbody tr", has=teacher.locator("td.score"))
    rows.nth(len(STUDENTS) - 1).wait_for()
    shown = {}
    for i in range(rows.count()):
        student = rows.nth(i).locator("td.student-id").inner_text().strip()
        score, most = rows.nth(i).locator("td.score").inner_text().split("/")
        shown[student] = (float(score), float(most))
    shots(teacher, "hub_14_formgrader_submissions")
    assert shown == totals, (shown, totals)
    print(f"class cycle in the browser: {time.monotonic() - started:.0f} s")
