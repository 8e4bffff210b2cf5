"""What student code can reach from the grading kernel, graded by real nbgrader.

A class of two (a full answer, and a snoop whose first answer cell also looks
around) hands in the tiny assignment; it is autograded twice, once in the
bubblewrap sandbox (sandbox.py) and once with RNN_GRADING_SANDBOX=off. Before
grading, the test puts a second copy of the course's solutions in a temporary
folder and another in the instructor's home folder, and listens on a TCP port
of 127.0.0.1. The snoop prints what it finds (folder listings, whether it read
a solution, its TCP connection, the processes it sees, whether it could write
the job's library); the tests read that from the autograded notebook. The host's
own view of the same paths is the truth that each "found nothing" is held to,
and the unsandboxed run, where the same snoop does find the copies, shows that
it looks in the right places.
"""

import json
import logging
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from rnn_helpers.course import autograde, isolation, kernel_launcher, samples, sandbox
from rnn_helpers.course.paths import REPO_ROOT
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

MARK = "SNOOP "
SOLUTION_TEXT = "### BEGIN SOLUTION"  # in every solution notebook, in no release

SNOOP = """
import json as _json, os as _os, socket as _socket
_cfg = _json.loads({cfg!r})
def _listing(path):
    try:
        return sorted(_os.listdir(path))
    except FileNotFoundError:
        return None  # absent: as good as empty
    except OSError as exc:
        return "unreadable: " + type(exc).__name__
def _found(path):
    try:
        with open(path) as f:
            return _cfg["solution_text"] in f.read()
    except OSError:
        return False
_here = _os.getcwd()  # J/course/autograded/<student>/<assignment>
_run = _os.path.dirname(_os.path.dirname(_os.path.dirname(_os.path.dirname(_os.path.dirname(_here)))))
_seen = {{
    "cwd": _here,
    "listings": {{p: _listing(p) for p in _cfg["folders"] + [_run, _os.path.dirname(_run)]}},
    "solutions_read": {{p: _found(p) for p in _cfg["solutions"]}},
}}
try:
    _socket.create_connection(("127.0.0.1", _cfg["port"]), timeout=3).close()
    _seen["tcp"] = "connected"
except OSError as exc:
    _seen["tcp"] = str(exc)
_cmdlines = []
for _pid in filter(str.isdigit, _os.listdir("/proc")):
    try:
        with open("/proc/" + _pid + "/cmdline", "rb") as f:
            _cmdlines.append(f.read().decode(errors="replace"))
    except OSError:
        pass
_seen["grader_visible"] = any("rnn_helpers.course.worker" in _c for _c in _cmdlines)
_seen["processes"] = len(_cmdlines)
import rnn_helpers as _rh
try:
    open(_rh.__file__, "a").close()
    _seen["library_writable"] = True
except OSError:
    _seen["library_writable"] = False
print({mark!r} + _json.dumps(_seen))
"""


def snoop(cfg):
    """A sample maker: the full answer, the first answer cell followed by SNOOP."""

    def maker(release, source):
        nb = samples.full(release, source)
        first = samples.solution_ids(nb)[0]
        code = SNOOP.format(cfg=json.dumps(cfg), mark=MARK)
        return samples._edit_solution(nb, first, lambda s: s + "\n" + code)

    return maker


def on_the_way_to_python(folder):
    """Entries of `folder` the sandbox must show: the first step down to each
    folder of the Python installation inside it (the rest of it is absent)."""
    folder = Path(folder).resolve()
    return sorted({f.relative_to(folder).parts[0] for f in sandbox.python_folders() if folder in f.parents})


@contextmanager
def sandbox_warnings():
    """Collect the warnings sandbox.py logs while inside."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    sandbox.log.addHandler(handler)
    try:
        yield records
    finally:
        sandbox.log.removeHandler(handler)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The released course, its class, two copies of its solutions elsewhere and a
    TCP listener; yields (paths, cfg) and removes the copy in the home folder."""
    paths = released_tiny_course(tmp_path_factory.mktemp("sandbox") / "course")
    copies = [tmp_path_factory.mktemp("elsewhere") / "course-copy"]
    home_copy = Path(tempfile.mkdtemp(prefix=".rnn-sandbox-test-", dir=Path.home()))
    copies.append(home_copy / "course-copy")
    for copy in copies:
        shutil.copytree(paths.solutions, copy / "solutions")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    cfg = {
        "folders": [str(Path.home()), str(REPO_ROOT), str(paths.top)] + [str(c) for c in copies],
        "solutions": [str(c / "solutions" / TINY / f"{TINY}.ipynb") for c in copies]
        + [str(paths.solutions / TINY / f"{TINY}.ipynb")],
        "port": listener.getsockname()[1],
        "solution_text": SOLUTION_TEXT,
    }
    class_from(paths, {"full": samples.full, "snoop": snoop(cfg)})
    try:
        yield paths, cfg
    finally:
        listener.close()
        shutil.rmtree(home_copy, ignore_errors=True)


def grade(paths, env):
    """Autograde the class; return (records, what the snoop printed, sandbox warnings)."""
    with pytest.MonkeyPatch.context() as mp, sandbox_warnings() as warned:
        for name, value in env.items():
            mp.setenv(name, value)
        records = autograde.autograde(paths, jobs=2, cell_timeout=20, progress=False)
    nb = nbformat.read(paths.autograded / "snoop" / TINY / f"{TINY}.ipynb", as_version=4)
    lines = [
        line
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        for line in out.get("text", "").splitlines()
        if line.startswith(MARK)
    ]
    assert len(lines) == 1, f"the snoop printed {len(lines)} reports: {lines}"
    return records, json.loads(lines[0][len(MARK) :]), [r.getMessage() for r in warned]


@pytest.fixture(scope="module")
def sandboxed(course, tmp_path_factory):
    paths, cfg = course
    box, reason = sandbox.probe(tmp_path_factory.mktemp("probe"))
    assert box is not None, f"bubblewrap cannot run here ({reason}): {sandbox.FIX}"
    return grade(paths, {}) + (cfg,)


@pytest.fixture(scope="module")
def unsandboxed(course):
    paths, cfg = course
    return grade(paths, {sandbox.MODE_VAR: "off"}) + (cfg,)


def scores(records):
    """{student: total points} of the tiny assignment."""
    return {
        s: sum(v for nb in r["notebooks"].values() for v in nb["scores"].values())
        for (s, _), r in records.items()
    }


def test_sandboxed_grading_gives_full_points_and_no_warning(sandboxed):
    records, _, warned, _ = sandboxed
    assert scores(records) == {"full": 4, "snoop": 4}  # the tiny release's points
    assert warned == []


def test_sandboxed_kernel_reads_no_other_copy_of_the_course(sandboxed):
    _, seen, _, cfg = sandboxed
    copies = cfg["folders"][3:]
    for path in cfg["solutions"]:  # the host reads every one of them
        assert SOLUTION_TEXT in Path(path).read_text(), path
    assert seen["solutions_read"] == {p: False for p in cfg["solutions"]}
    for copy in copies:
        assert (Path(copy) / "solutions").is_dir()
        assert seen["listings"][copy] in (None, []), copy


def test_sandboxed_kernel_sees_only_the_python_installation_in_home_and_repository(sandboxed):
    _, seen, _, cfg = sandboxed
    home, repo, course_top = cfg["folders"][:3]
    assert any(p.name.startswith(".rnn-sandbox-test-") for p in Path(home).iterdir())  # the host's view
    assert (Path(repo) / "solutions").is_dir() and (Path(course_top) / "solutions").is_dir()
    for folder in (home, repo, course_top):
        assert (seen["listings"][folder] or []) == on_the_way_to_python(folder), folder


def test_sandboxed_kernel_cannot_connect_to_the_hosts_loopback(sandboxed):
    _, seen, _, cfg = sandboxed
    socket.create_connection(("127.0.0.1", cfg["port"]), timeout=3).close()  # open from the host
    assert seen["tcp"] != "connected"
    assert "refused" in seen["tcp"].lower() or "unreachable" in seen["tcp"].lower(), seen["tcp"]


def test_sandboxed_kernel_sees_only_its_own_job_and_processes(sandboxed):
    _, seen, _, _ = sandboxed
    job = Path(seen["cwd"]).parents[3]
    run_dir = job.parent
    # The host's run folder also holds template.db, lib/ and the other student's job.
    assert seen["listings"][str(run_dir)] == [job.name]
    assert seen["listings"][str(run_dir.parent)] == [run_dir.name]
    assert seen["grader_visible"] is False  # nbgrader's worker runs while the kernel does
    assert seen["library_writable"] is False  # the next notebook's kernel imports it


def test_without_sandbox_grading_works_and_warns_once_per_run(unsandboxed):
    records, seen, warned, cfg = unsandboxed
    assert scores(records) == {"full": 4, "snoop": 4}
    assert len(warned) == 1, warned  # two jobs, one warning
    assert "NOT sandboxed" in warned[0] and sandbox.MODE_VAR in warned[0]
    # Today's isolation stays: the course's own solutions are hidden ...
    course_solutions = cfg["solutions"][-1]
    assert seen["solutions_read"][course_solutions] is False
    # ... and the rest is not, which the warning says: the same snoop finds the copies
    # and the listener, so the sandboxed run's "nothing" is no blind spot of the snoop.
    assert all(seen["solutions_read"][p] for p in cfg["solutions"][:-1])
    assert seen["tcp"] == "connected"
    assert seen["grader_visible"] is True
    assert seen["library_writable"] is True


def test_probe_says_why_bubblewrap_cannot_run(tmp_path):
    missing, reason = sandbox.probe(tmp_path, bwrap=str(tmp_path / "no-such-bwrap"))
    assert missing is None and "not installed" in reason
    failing = tmp_path / "bwrap"
    failing.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    failing.chmod(0o755)
    broken, reason = sandbox.probe(tmp_path, bwrap=str(failing))
    assert broken is None and "setting up uid map: Permission denied" in reason


PROBE = """
import json, os, sys
sys.path.insert(0, {launcher_dir!r})
from kernel_launcher import hide_paths
problem = hide_paths({hide!r}, {keep!r})
print(json.dumps({{
    "problem": problem,
    "secret_visible": os.path.exists({secret!r}),
    "other_job_visible": os.path.exists({other!r}),
    "own_job_readable": open({own!r}).read(),
    "cwd": os.getcwd(),
}}))
"""


def run_probe(tmp_path):
    solutions = tmp_path / "top" / "solutions" / "01"
    solutions.mkdir(parents=True)
    (solutions / "01.ipynb").write_text("the instructor's solution")
    run = tmp_path / "run"
    own, other = run / "alice--01", run / "bob--01"
    for job in (own, other):
        job.mkdir(parents=True)
        (job / "work.txt").write_text(job.name)
    code = PROBE.format(
        launcher_dir=str(Path(kernel_launcher.__file__).parent),
        hide=[str(tmp_path / "top" / "solutions"), str(run)],
        keep=str(own),
        secret=str(solutions / "01.ipynb"),
        other=str(other / "work.txt"),
        own=str(own / "work.txt"),
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=own, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), solutions, other


def test_fallback_hiding_keeps_solutions_and_other_jobs_from_the_kernel(tmp_path):
    seen, solutions, other = run_probe(tmp_path)
    assert seen["problem"] is None, f"the mount namespace could not be set up here: {seen['problem']}"
    assert seen["secret_visible"] is False
    assert seen["other_job_visible"] is False
    assert seen["own_job_readable"] == "alice--01"
    assert seen["cwd"].endswith("alice--01")
    # Only the kernel's own view changed: the grader still sees everything.
    assert (solutions / "01.ipynb").read_text() == "the instructor's solution"
    assert (other / "work.txt").read_text() == "bob--01"


def test_every_grading_job_lists_solutions_and_the_run_folder_to_hide(tmp_path):
    release = tmp_path / "release"
    release.mkdir()
    library = tmp_path / "lib"
    library.mkdir()
    job, _ = isolation.make_job_dir(
        tmp_path / "run",
        b"",
        library,
        release,
        "alice",
        "01",
        {},
        tmp_path / "none",
        512,
        1000,
        hide=[tmp_path / "top" / "solutions"],
    )
    hidden = json.loads((job / "hide.json").read_text())
    assert str(tmp_path / "run") in hidden
    assert str(tmp_path / "top" / "solutions") in hidden
    assert not (job / "sandbox.json").exists()  # no sandbox given: the launcher hides instead
