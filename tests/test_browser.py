"""The student's first hour, checked in a real browser: JupyterLab + nbgrader.

One `jupyter lab` is started from the repository root (as the README tells
students) and driven with headless Chromium through Playwright. The notebooks
opened are temporary copies under build/ (git-ignored), so nothing committed
changes. Every step leaves a screenshot in screenshots/ to look at when a test
fails. Needs /usr/bin/chromium: `bash scripts/install_system_packages.sh`.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the playwright_sync fixture as a failure, not a collection error
    expect = sync_playwright = None

from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    SCREENSHOTS,
    TIMEOUT_MS,
    Shots,
    cell_index,
    copy_into,
    solution_source,
    start_lab,
    stop_lab,
    stub_cells,
)

ASSIGNMENT = "01_rnn_forward"
FUNCTION = "rnn_step_forward"  # the stub the test solves through the UI
NEXT_FUNCTION = "rnn_forward"  # the stub after it, still unsolved
ASSIGNMENTS = ["01_rnn_forward", "02_bptt", "03_lstm_gru", "04_attention"]
LECTURE = "000_rnn_sequence_modeling.ipynb"


@pytest.fixture(scope="module")
def playwright_sync():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash scripts/install_system_packages.sh` "
            "(installs Debian's chromium with apt)",
            pytrace=False,
        )
    if sync_playwright is None:
        pytest.fail(
            "Playwright for Python is missing: `.venv/bin/pip install -e '.[dev]'` "
            "(never `playwright install`: the tests use /usr/bin/chromium)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_sync):
    browser = playwright_sync.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def workdir():
    """A throw-away folder inside the served root for copies of notebooks."""
    (REPO / "build").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="browser-test-", dir=REPO / "build"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def lab(workdir):
    server = start_lab(workdir / "lab-state")
    yield server
    stop_lab(server)


@pytest.fixture(scope="module")
def shots():
    return Shots(SCREENSHOTS)


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def open_notebook(page, lab, path):
    """Open a notebook in JupyterLab and wait until its kernel is idle.

    `reset` starts from an empty workspace: the server would otherwise reopen
    the tabs of the previous tests (they share one server) behind this one.
    """
    page.goto(lab.page_url(f"lab/tree/{path}?reset"))
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
    wait_kernel_idle(page)


def wait_kernel_idle(page, timeout=TIMEOUT_MS):
    """Wait until the notebook is loaded (no spinner) and its kernel reports Idle in the status bar."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            const loading = document.querySelector('.jp-NotebookPanel .jp-Spinner');
            return bar && !loading && /\\(ipykernel\\) \\| Idle/.test(bar.innerText);
        }""",
        timeout=timeout,
    )


def menu_command(page, menu, command):
    """Click a main-menu entry by its JupyterLab command id (e.g. notebook:run-all-cells)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()


def cell(page, index):
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def test_exercise_stubs_run_solve_and_validate(page, lab, workdir, shots):
    released = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    stubs = stub_cells(released)
    solution_at = cell_index(released, FUNCTION)
    visible_test_at = cell_index(released, f"test_{FUNCTION}_visible")
    copy = copy_into(REPO / "exercises" / ASSIGNMENT, workdir)
    rel = copy.relative_to(REPO) / f"{ASSIGNMENT}.ipynb"

    open_notebook(page, lab, rel.as_posix())
    page.wait_for_selector(".jp-NotebookPanel:visible jp-button.validate-button")
    shots(page, "01_exercise_opened")
    # No news pop-up: the shipped overrides.json turns fetchNews off.
    settings = page.request.get(
        lab.page_url("lab/api/settings/@jupyterlab/apputils-extension:notification")
    ).json()
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false", (
        "jupyter/overrides.json is not installed: run `.venv/bin/python scripts/install_lab_settings.py`"
    )
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0, "news pop-up shown"

    # Every stub is on the page, raising NotImplementedError.
    # Cells attach one by one after the page appears: wait for all of them.
    expect(page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")).to_have_count(len(released.cells))
    for i in stubs:
        assert "NotImplementedError" in cell(page, i).locator(".jp-InputArea").inner_text()
    cell(page, solution_at).scroll_into_view_if_needed()
    shots(page, "02_exercise_stub")

    # Run all: execution stops at the first visible test, with the stub's error.
    menu_command(page, "Run", "runmenu:run-all")
    error = cell(page, visible_test_at).locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    error.wait_for()
    text = error.inner_text()
    assert "NotImplementedError" in text and FUNCTION in text, text[-800:]
    error.scroll_into_view_if_needed()
    shots(page, "03_run_all_not_implemented")

    # Write the solution into the stub cell through the editor, as a student would.
    editor = cell(page, solution_at).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(solution_source(ASSIGNMENT, FUNCTION))
    assert "np.tanh" in editor.inner_text()
    page.keyboard.press("Escape")
    wait_kernel_idle(page)
    menu_command(page, "Run", "runmenu:run-all")
    passed = cell(page, visible_test_at).locator(".jp-OutputArea-output")
    passed.filter(has_text=f"{FUNCTION}: visible tests pass").wait_for()
    next_error = cell(page, cell_index(released, f"test_{NEXT_FUNCTION}_visible")).locator(
        '[data-mime-type="application/vnd.jupyter.stderr"]'
    )
    next_error.wait_for()
    assert "NotImplementedError" in next_error.inner_text()
    wait_kernel_idle(page)
    cell(page, visible_test_at).scroll_into_view_if_needed()
    shots(page, "04_visible_test_passes")
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0, "news pop-up shown"

    # Validate (the nbgrader button saves first, then runs the notebook on the server).
    page.locator(".jp-NotebookPanel:visible jp-button.validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=2 * TIMEOUT_MS)
    verdict = dialog.inner_text()
    shots(page, "05_validate_verdict")
    saved = json.loads(copy.joinpath(f"{ASSIGNMENT}.ipynb").read_text())
    assert "np.tanh" in "".join(saved["cells"][solution_at]["source"]), "Validate did not save"
    assert "NotImplementedError" in verdict, verdict[:2000]
    assert NEXT_FUNCTION in verdict, verdict[:2000]
    # The solved function's test cells are not among the failed cells listed.
    solved_tests = released.cells[visible_test_at].source.splitlines()[0]
    assert solved_tests not in verdict, verdict[:2000]
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def test_validate_accepts_a_complete_solution(page, lab, workdir, shots):
    """Every stub replaced by the instructor's solution: Validate reports success."""
    released = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for i in stub_cells(released):
        grade_id = released.cells[i].metadata["nbgrader"]["grade_id"]
        released.cells[i].source = solution_source(ASSIGNMENT, grade_id)
    path = workdir / "solved" / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir()
    nbformat.write(released, path)

    open_notebook(page, lab, path.relative_to(REPO).as_posix())
    page.locator(".jp-NotebookPanel:visible jp-button.validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=2 * TIMEOUT_MS)
    verdict = dialog.inner_text()
    shots(page, "06_validate_success")
    assert "Success" in verdict and "passes all the tests" in verdict, verdict[:2000]
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()


def test_lecture_figures_render_as_images(page, lab, workdir, shots):
    copy = copy_into(REPO / "lectures" / LECTURE, workdir / "lectures")
    open_notebook(page, lab, copy.relative_to(REPO).as_posix())
    shots(page, "07_lecture_opened")
    menu_command(page, "Run", "runmenu:run-all")
    # The first figure is enough to show that plots render; the rest of the
    # lecture (up to 90 s of training) is interrupted.
    image = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output img").first
    image.wait_for(timeout=3 * TIMEOUT_MS)
    image.evaluate("img => img.scrollIntoView({block: 'center'})")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100 && img.naturalHeight > 100", arg=image.element_handle()
    )
    assert image.evaluate("img => img.src").startswith("data:image/png")
    shots(page, "08_lecture_figure")
    menu_command(page, "Kernel", "kernelmenu:interrupt")
    wait_kernel_idle(page, timeout=2 * TIMEOUT_MS)


def test_formgrader_lists_the_course_assignments(page, lab, shots):
    page.goto(lab.page_url("formgrader"))
    for name in ASSIGNMENTS:
        page.get_by_text(name, exact=True).first.wait_for()
    shots(page, "09_formgrader_assignments")
    # Formgrader's set-up warnings (#warning-exchange when build/exchange is missing).
    warnings = page.locator(".alert-warning, .alert-danger")
    assert warnings.count() == 0, warnings.all_inner_texts()


def test_assignment_list_opens_without_error(page, lab, shots):
    page.goto(lab.page_url("lab?reset"))
    menu_command(page, "Nbgrader", "nbgrader:open-assignment-list")
    # The three lists load from the exchange (build/exchange); each ends with its
    # assignments or with a "There are no ..." line, never with an error.
    panel = page.locator(".jp-MainAreaWidget:visible", has_text="Released assignments")
    for heading in ["Released assignments", "Downloaded assignments", "Submitted assignments"]:
        panel.get_by_text(heading, exact=True).wait_for()
    page.wait_for_function(
        "el => !/loading/i.test(el.innerText) && /There are no|Fetch|Submit/.test(el.innerText)",
        arg=panel.element_handle(),
    )
    shots(page, "10_assignment_list")
    text = panel.inner_text()
    assert not re.search(r"error|unwritable|does not exist", text, re.I), text


def test_start_here_links_lectures_and_exercises_in_order(page, lab, workdir, shots):
    """The landing notebook links every lecture and exercise, the links open them."""
    landing = workdir / "landing"
    for item in ["START_HERE.ipynb", "lectures", "exercises"]:
        copy_into(REPO / item, landing)
    open_notebook(page, lab, (landing / "START_HERE.ipynb").relative_to(REPO).as_posix())
    links = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown a[href*='.ipynb']")
    links.first.wait_for()
    shots(page, "11_start_here")
    # JupyterLab resolves a relative link to <server>/files/<path from the root>?_xsrf=...
    prefix = landing.relative_to(REPO).as_posix() + "/"
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    targets = [re.search(r"/files/([^?#]+\.ipynb)", h).group(1).removeprefix(prefix) for h in hrefs]
    lectures = sorted(f"lectures/{p.name}" for p in (REPO / "lectures").glob("*.ipynb"))
    exercises = [f"exercises/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    assert sorted(t for t in targets if t.startswith("lectures/")) == lectures, targets
    assert [t for t in targets if t.startswith("exercises/")] == exercises, targets
    first_lecture = min(targets.index(t) for t in lectures)
    assert targets.index(exercises[0]) > first_lecture, "a lecture comes first"
    # A student clicks the first exercise: it opens as a notebook with its Validate button.
    links.filter(has_text="Exercise 01").first.click()
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text=f"{ASSIGNMENT}.ipynb").wait_for()
    page.wait_for_selector(".jp-NotebookPanel:visible jp-button.validate-button")
    wait_kernel_idle(page)
    shots(page, "12_start_here_opens_exercise")
