"""One student's throw-away grading folder, and cleaning up after it.

A job folder J holds everything nbgrader needs to grade one submission and
nothing else: no solutions/, no real gradebook, no other student's work.
    J/course/gradebook.db           assignments only (copied from a template)
    J/course/source/<A>/            the release's non-notebook files
    J/course/submitted/<S>/<A>/     a copy of the submission (never the original)
    J/course/autograded/<S>/<A>/    nbgrader's output; the kernel's cwd
    J/lib/rnn_helpers/              a private copy of the helper package
    J/jupyter/kernels/rnn-graded/   kernelspec: kernel_launcher.py with limits
    J/sandbox.json                  the bwrap command the launcher starts the
                                    kernel in (sandbox.py), when there is one
    J/hide.json                     folders to hide when there is none
    J/connection/                   the kernel's connection file, when sandboxed
    J/runtime/, home/, ipython/, mpl/   the kernel's Jupyter, home and caches
J is named job-<8 hex>, not after the student: the kernel's unix sockets
(J/runtime/k-1 ...) must fit in 107 bytes whatever the student's name.
Every process started for the job carries RNN_GRADING_JOB=<token> in its
environment, so whatever the student's code leaves running can be found.
"""

import compileall
import json
import shutil
import sqlite3
import sys
import uuid
from pathlib import Path

import psutil

from rnn_helpers.course.paths import REPO_ROOT
from rnn_helpers.notebook import FAST_VAR

TOKEN_VAR = "RNN_GRADING_JOB"
KERNEL_NAME = "rnn-graded"  # the worker runs every notebook with this kernel


# The tables of an nbgrader gradebook that describe the release; the others hold students.
RELEASE_TABLES = (
    "course",
    "assignment",
    "notebook",
    "base_cell",
    "source_cell",
    "grade_cells",
    "solution_cells",
    "task_cells",
)


def make_template_gradebook(db_url, dest):
    """Write an sqlite gradebook at dest with the release of the gradebook at
    db_url (assignments, notebooks, cells, points) and no students or
    submissions (they would be readable by every student's code otherwise).
    db_url: nbgrader's, sqlite or a database server (PostgreSQL)."""
    from nbgrader.api import Gradebook

    if not db_url.startswith("sqlite:///"):
        _copy_release_tables(db_url, dest)
        return
    shutil.copy(db_url[len("sqlite:///") :], dest)
    with Gradebook(f"sqlite:///{dest}") as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
    con = sqlite3.connect(dest)
    con.execute("VACUUM")  # freed pages still hold the removed rows
    con.close()


def _copy_release_tables(db_url, dest):
    """Copy the RELEASE_TABLES rows of a server's gradebook into a new sqlite one."""
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine, select

    with Gradebook(f"sqlite:///{dest}"):  # nbgrader's tables and alembic version
        pass
    source, target = create_engine(db_url), create_engine(f"sqlite:///{dest}")
    try:
        with source.connect() as src, target.begin() as dst:
            for table in Base.metadata.sorted_tables:  # parents before children
                if table.name in RELEASE_TABLES:
                    rows = [dict(r) for r in src.execute(select(table)).mappings()]
                    dst.execute(table.delete())  # Gradebook() added a default course
                    if rows:
                        dst.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()


def make_library(dest):
    """A compiled copy of the helper package, without the instructor pipeline,
    from which every job's copy is made (compiling it again in every kernel
    costs seconds; copies keep modification times, so the .pyc stay valid)."""

    def skip(folder, names):
        return [n for n in names if n in ("course", "bench", "cli.py", "__pycache__")]

    shutil.copytree(REPO_ROOT / "rnn_helpers", Path(dest) / "rnn_helpers", ignore=skip)
    compileall.compile_dir(str(dest), quiet=1)
    return Path(dest)


def make_job_dir(
    run_dir,
    template_bytes,
    library,
    release_dir,
    student,
    assignment,
    plan,
    submission,
    mem_mb,
    out_chars,
    hide=(),
    sandbox=None,
):
    """Create J for one (student, assignment); return (J, token).

    plan: from precheck.inspect_submission; only notebooks with status "ok"
    are copied, under their expected names. hide: folders the kernel must not
    see (solutions, the real build area); run_dir, which holds the other
    students' jobs, is always among them (the kernel's own job stays visible).
    They are hidden only without a sandbox (sandbox.Sandbox, or None), which
    shows the kernel nothing of the disk but J and the Python installation.
    """
    token = uuid.uuid4().hex
    job = Path(run_dir) / f"job-{token[:8]}"
    course = job / "course"
    sub = course / "submitted" / student / assignment
    sub.mkdir(parents=True)
    (course / "gradebook.db").write_bytes(template_bytes)
    src = course / "source" / assignment
    src.mkdir(parents=True)
    for path in release_dir.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            (src / path.relative_to(release_dir)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, src / path.relative_to(release_dir))
    submission = Path(submission)
    for path in submission.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            (sub / path.relative_to(submission)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, sub / path.relative_to(submission))
    for name, entry in plan.items():
        if entry["status"] == "ok":
            shutil.copy(entry["file"], sub / f"{name}.ipynb")
    shutil.copytree(library, job / "lib")
    (job / "hide.json").write_text(json.dumps([str(run_dir)] + [str(p) for p in hide]))
    if sandbox is not None:
        (job / "sandbox.json").write_text(json.dumps({"argv": sandbox.argv(job)}))
    launcher = job / "kernel_launcher.py"
    shutil.copy(Path(__file__).with_name("kernel_launcher.py"), launcher)
    spec = job / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    sys.executable,
                    str(launcher),
                    str(mem_mb),
                    str(out_chars),
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3 (graded)",
                "language": "python",
            }
        )
    )
    for name in ("connection", "runtime", "home", "ipython", "mpl"):
        (job / name).mkdir()
    for fonts in _font_caches():  # matplotlib would rebuild it: seconds per job
        shutil.copy(fonts, job / "mpl")
    return job, token


def _font_caches():
    """The grader's own matplotlib font list (a copy, not a shared folder: a
    shared matplotlibrc would let one student's code run in another's kernel)."""
    import matplotlib

    return sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


def job_environment(job, token):
    """Environment variables the worker sets for one job (kernels inherit them)."""
    return {
        "PYTHONPATH": str(job / "lib"),
        "JUPYTER_PATH": str(job / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(job / "runtime"),
        "HOME": str(job / "home"),
        "IPYTHONDIR": str(job / "ipython"),
        "MPLCONFIGDIR": str(job / "mpl"),
        "MPLBACKEND": "Agg",
        FAST_VAR: "1",
        TOKEN_VAR: token,
    }


def kill_job_processes(token):
    """Kill every process whose environment carries this job's token: kernels,
    and anything they forked that is still running. Returns how many."""
    mark = f"{TOKEN_VAR}={token}".encode()
    victims = []
    for proc in psutil.process_iter():
        try:
            with open(f"/proc/{proc.pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    victims.append(proc)
        except (OSError, psutil.Error):
            continue
    kill_processes(victims)
    return len(victims)


def kill_tree(pid):
    """Kill a process and all its descendants."""
    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.Error:
        return
    kill_processes(procs)


def kill_processes(procs):
    """Kill the given psutil processes (those already gone are skipped) and reap them."""
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass  # it exited on its own meanwhile
    psutil.wait_procs(procs, timeout=5)
