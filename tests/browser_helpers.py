"""A JupyterLab server and a headless Chromium for tests/test_browser.py.

The browser is Debian's /usr/bin/chromium driven by Playwright for Python
(the `playwright` wheel carries its driver; no browser is ever downloaded).
The server is the venv's `jupyter lab`, started from the repository root as a
student would start it, on 127.0.0.1, a free port and a random token.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat

from rnn_helpers.notebook import FAST_VAR

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SCREENSHOTS = REPO / "screenshots"
CHROMIUM = Path(os.environ.get("RNN_COURSE_CHROMIUM", "/usr/bin/chromium"))
# Offline, reproducible, and quiet: no sandbox (CI runs as root), no GPU, no
# background requests, and a fresh profile per launch (Playwright makes one).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: the test machine has 2 cores shared with other test runs.
TIMEOUT_MS = 60_000


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running `jupyter lab`: its URL, token, process and log file."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def page_url(self, path):
        """URL of a JupyterLab page (e.g. 'lab/tree/x.ipynb'), token included."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path}{sep}token={self.token}"

    def log_tail(self, n=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def start_lab(state_dir, timeout_s=90):
    """Start `jupyter lab` in the repository root and wait until it answers.

    The venv's bin goes first on PATH (nbgrader runs `alembic` from it) and the
    kernel gets no MPLBACKEND, so figures use the inline backend as for a student.
    User settings and saved workspaces go to state_dir: the page shows the
    project's shipped settings, not this machine user's, and no tabs from a
    previous run. The server's log is state_dir/jupyter-lab.log.
    """
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(state_dir / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(state_dir / "workspaces")
    env["PATH"] = str(VENV_BIN) + os.pathsep + env.get("PATH", "")
    env.pop("MPLBACKEND", None)  # pytest's conftest sets Agg; Agg shows no figures
    env.pop(FAST_VAR, None)  # the student's notebook, as the student runs it
    log_path = state_dir / "jupyter-lab.log"
    log = open(log_path, "w")
    cmd = [
        str(VENV_BIN / "jupyter"),
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={REPO}",
        "--ServerApp.port_retries=0",
    ]
    # Its own process group, so that tearing down also ends its kernels.
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    lab = Lab(f"http://127.0.0.1:{port}", token, proc, Path(log_path))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=5):
                return lab
        except OSError:
            time.sleep(0.5)
    stop_lab(lab)
    raise RuntimeError(f"jupyter lab did not answer within {timeout_s} s:\n{lab.log_tail()}")


def stop_lab(lab):
    """End the server and its kernels (the whole process group)."""
    if lab.process.poll() is None:
        try:
            os.killpg(lab.process.pid, signal.SIGTERM)
            lab.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.process.pid, signal.SIGKILL)
            lab.process.wait(timeout=10)
        except ProcessLookupError:
            pass


class Shots:
    """Numbered screenshots under screenshots/ (git-ignored), one per step."""

    def __init__(self, folder=SCREENSHOTS):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken = []

    def __call__(self, page, name):
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        self.taken.append(path)
        return path


def cell_index(notebook, grade_id):
    """Position of the cell with this nbgrader grade_id (the notebook's own metadata)."""
    for i, cell in enumerate(notebook.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def solution_source(assignment, function):
    """The instructor's solution cell for `function`, delimiters removed, as a student writes it."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nb.cells[cell_index(nb, function)].source
    return "\n".join(
        line for line in source.splitlines() if not re.match(r"\s*### (BEGIN|END) SOLUTION", line)
    )


def stub_cells(notebook):
    """Indices of the released solution cells (where a student writes code)."""
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
    ]


def copy_into(src, dest_dir):
    """Copy a file or folder into dest_dir (inside the served root) and return the copy."""
    dest = Path(dest_dir) / Path(src).name
    if Path(src).is_dir():
        shutil.copytree(src, dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    return dest


# ---------------------------------------------------------------- a class hub (tests/test_hub_class_cycle.py)

HUB_SCRIPT = REPO / "deploy" / "hub.py"
HUB_RUN_VAR = "RNN_HUB_RUN"  # deploy/hub.py: every process the hub starts carries it


@dataclass
class Hub:
    """A running `deploy/hub.py start` with trial accounts: URL, passwords, process, log."""

    url: str
    process: subprocess.Popen
    log: Path
    token: str
    passwords: dict

    def log_tail(self, n=60):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def start_hub(state, course, instructors, students, timeout_s=180):
    """Create a trial class in `state` and start its hub on 127.0.0.1 and a free port.

    course: the course folder the instructor's server opens in. Servers and the
    hub's own output go to state/hub.log.
    """
    import json

    state = Path(state)
    run = [str(VENV_BIN / "python"), str(HUB_SCRIPT), "--state", str(state), "--accounts", "trial"]
    for role, names in (("add-instructor", instructors), ("add-student", students)):
        subprocess.run(run + [role, *names], check=True, capture_output=True, text=True)
    klass = json.loads((state / "class.json").read_text())
    passwords = {n: klass["trial_admin_password"] for n in instructors}
    passwords.update({n: klass["trial_password"] for n in students})
    port, token = free_port(), secrets.token_hex(8)
    env = dict(os.environ)
    env[HUB_RUN_VAR] = token
    env["PATH"] = str(VENV_BIN) + os.pathsep + env.get("PATH", "")
    for var in ("MPLBACKEND", FAST_VAR, "JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_DATA_DIR"):
        env.pop(var, None)
    log_path = state / "hub.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        run + ["--course", str(course), "start", "--port", str(port), "--ip", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    hub = Hub(f"http://127.0.0.1:{port}", proc, log_path, token, passwords)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stop_hub(hub)
            raise RuntimeError(f"the hub exited with {proc.returncode}:\n{hub.log_tail()}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/health", timeout=5):
                return hub
        except OSError:
            time.sleep(0.5)
    stop_hub(hub)
    raise RuntimeError(f"the hub did not answer within {timeout_s} s:\n{hub.log_tail()}")


def stop_hub(hub, grace_s=30):
    """Stop the hub (it stops its proxy and servers), then kill whatever carries its token."""
    import psutil

    if hub.process.poll() is None:
        try:
            os.killpg(hub.process.pid, signal.SIGTERM)
            hub.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait(timeout=10)
        except ProcessLookupError:
            pass
    mark = f"{HUB_RUN_VAR}={hub.token}".encode()
    left = []
    for proc in psutil.process_iter():
        try:
            with open(f"/proc/{proc.pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    left.append(proc)
        except (OSError, psutil.Error):
            continue
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=10)
    return len(left)


def hub_login(page, hub, user, wait=True):
    """Log `user` in on the hub's login page; with wait, also wait for their JupyterLab.

    The hub then starts the user's server (a progress page) and redirects to
    JupyterLab: logging several users in with wait=False, then calling
    wait_for_lab on each, lets their servers start at the same time.
    """
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    if wait:
        wait_for_lab(page, user)


def wait_for_lab(page, user):
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=4 * TIMEOUT_MS)
    page.wait_for_selector("#jp-main-dock-panel", timeout=4 * TIMEOUT_MS)


@dataclass
class StaticServer:
    """`python -m http.server` serving one folder: its URL, process and log file."""

    url: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, n=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def serve_folder(folder, log_path, timeout_s=30):
    """Serve `folder` over HTTP on 127.0.0.1 and a free port; wait until it answers."""
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = StaticServer(f"http://127.0.0.1:{port}", proc, Path(log_path))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"http.server exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"http.server did not answer within {timeout_s} s:\n{server.log_tail()}")


def stop_server(server):
    """End a server started by serve_folder."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
