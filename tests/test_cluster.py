"""Grading on a Dask cluster: a scheduler and two workers on 127.0.0.1.

One class of the tiny assignment (add_one 3 points in two test cells, double
1 point) is graded twice: by the local pool (--jobs 2), the independent truth,
and on a local Dask cluster (`dask scheduler` and two `dask worker
--nthreads 1` processes, started and stopped here) through the CLI, while a
watcher kills one worker (all its processes, as when its machine dies) in the
middle of a job. A student whose notebook runs past its limit is in the class.
"""

import functools
import io
import os
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook

from rnn_helpers import cli
from rnn_helpers.bench.grading import twin
from rnn_helpers.course import autograde, cluster, results, samples
from rnn_helpers.course.isolation import TOKEN_VAR
from rnn_helpers.course.tiny import TINY, class_from, released_tiny_course

CELL_TIMEOUT = 5  # s per cell
NOTEBOOK_TIMEOUT = 12  # s per notebook (the grader allows 5 s more): too-slow sleeps 20 s
CLASS = {
    "full": samples.full,
    "partial": samples.partial,
    "blank": samples.blank,
    "crash": samples.kills_kernel,
    "absent": samples.missing,
    "too-slow": functools.partial(samples.slow, seconds=4, cells=5),
}
LIMITS = ["--cell-timeout", str(CELL_TIMEOUT), "--notebook-timeout", str(NOTEBOOK_TIMEOUT)]


def grades(paths):
    """[(student, grade cell, auto_score, needs_manual_grade)] of every submission, sorted."""
    with Gradebook(paths.db_url) as gb:
        return sorted(
            (s.student.id, g.name, g.auto_score, g.needs_manual_grade)
            for s in gb.find_assignment(TINY).submissions
            for nb in s.notebooks
            for g in nb.grades
        )


def running_job(proc):
    """The student whose grading kernel runs under process `proc`, or None."""
    try:
        tree = proc.children(recursive=True)
    except psutil.Error:
        return None
    for child in tree:
        try:
            with open(f"/proc/{child.pid}/environ", "rb") as f:
                if TOKEN_VAR.encode() + b"=" not in f.read():
                    continue
            cwd = Path(child.cwd())  # nbgrader starts the kernel in J/course/autograded/<S>/<A>
        except (OSError, psutil.Error):
            continue
        if cwd.parent.parent.name == "autograded":
            return cwd.parent.name
    return None


def kill_mid_job(local, spare, found, stop):
    """Kill the first worker seen running a kernel for a student not in `spare`;
    put {"student", "address"} in `found`."""
    client = cluster.connect(local.address)
    try:
        pid_address = {pid: address for address, pid in client.run(os.getpid).items()}
        while not stop.is_set():
            for proc in list(local.workers):
                nanny = psutil.Process(proc.pid)
                student = running_job(nanny)
                if student and student not in spare:
                    (address,) = [pid_address[p.pid] for p in nanny.children() if p.pid in pid_address]
                    local.kill_worker(proc)
                    found.update(student=student, address=address)
                    return
            time.sleep(0.05)
    finally:
        client.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    paths = released_tiny_course(tmp / "course")
    class_from(paths, CLASS)
    untouched, pool = twin(paths, tmp / "untouched"), twin(paths, tmp / "pool")
    autograde.autograde(
        pool, jobs=2, cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT, progress=False
    )
    local = cluster.LocalCluster(workers=2, nthreads=1)
    try:
        found, stop = {}, threading.Event()
        watcher = threading.Thread(target=kill_mid_job, args=(local, {"too-slow"}, found, stop))
        watcher.start()
        err, out = io.StringIO(), io.StringIO()
        with redirect_stderr(err), redirect_stdout(out):
            status = cli.main(["--top", str(paths.top), "autograde", "--cluster", local.address, *LIMITS])
        stop.set()
        watcher.join()
        report = io.StringIO()
        with redirect_stdout(report):
            cli.main(["--top", str(paths.top), "report"])
    finally:
        local.stop()
    return {
        "paths": paths,
        "pool": pool,
        "untouched": untouched,
        "status": status,
        "progress": err.getvalue(),
        "printed": out.getvalue(),
        "killed": found,
        "report": report.getvalue(),
    }


def _where(record):
    """The parts of a record that differ between runs: where and how long."""
    return {k: record[k] for k in ("worker", "worker_seconds", "seconds") if k in record}


def test_cluster_scores_equal_the_local_pools(graded):
    assert graded["status"] == 0
    got, truth = grades(graded["paths"]), grades(graded["pool"])
    assert got == truth
    # and the truth is the tiny notebook's points: full 4, partial 3 (add_one only)
    totals = {}
    for student, _, score, _ in truth:
        totals[student] = totals.get(student, 0) + (score or 0)
    assert totals == {"full": 4, "partial": 3, "blank": 0, "crash": 0, "absent": 0, "too-slow": 0}


def test_worker_killed_mid_job_reruns_it_elsewhere_and_counts_each_grade_once(graded):
    killed = graded["killed"]
    assert killed, "the watcher never saw a job running on a worker"
    store = results.load(graded["paths"])[TINY]
    record = store[killed["student"]]
    assert record["worker"].startswith("tcp://127.0.0.1:")
    assert record["worker"] != killed["address"]  # it ran again on the other worker
    assert record == {**results.load(graded["pool"])[TINY][killed["student"]], **_where(record)}
    assert set(store) == set(CLASS)  # nothing lost
    rows = grades(graded["paths"])
    # once each: one submission per student, the notebook's three grade cells in each
    assert len(rows) == len(CLASS) * 3 == len({(s, g) for s, g, _, _ in rows})
    assert "6/6 [" in graded["progress"] and "7/6" not in graded["progress"]
    assert "graded 6 submission(s)" in graded["printed"]


def test_job_over_its_time_limit_fails_with_the_reason_and_the_rest_are_graded(graded):
    store = results.load(graded["paths"])[TINY]
    slow = store["too-slow"]
    assert slow["status"] == "failed"
    reason = slow["notebooks"][TINY]["reason"]
    assert f"ran past the {NOTEBOOK_TIMEOUT} s wall-clock limit" in reason
    assert {s: r["status"] for s, r in store.items() if s != "too-slow"} == {
        "full": "graded",
        "partial": "graded",
        "blank": "graded",
        "crash": "failed",
        "absent": "missing",
    }
    assert (slow["worker_seconds"] or 0) >= NOTEBOOK_TIMEOUT  # it ran to the limit, no further


def test_report_says_where_each_job_ran_and_how_long_it_took(graded):
    store = results.load(graded["paths"])[TINY]
    lines = graded["report"].splitlines()
    for student in ("full", "partial", "blank", "crash", "too-slow"):
        record = store[student]
        row = next(l for l in lines if l.startswith(student + " "))
        assert row.endswith(f"{record['worker_seconds']:.1f} s  {record['worker']}"), row
    ran = [r["worker"] for r in store.values() if r["worker"].startswith("tcp://")]
    assert "Jobs per worker:" in graded["report"]
    for worker in set(ran):
        assert f"{worker}: {ran.count(worker)} job(s)" in graded["report"]


def test_unreachable_scheduler_is_an_error_before_anything_is_written(graded):
    paths = graded["untouched"]
    before = {p: p.read_bytes() for p in sorted(paths.build.rglob("*")) if p.is_file()}
    closed = f"tcp://127.0.0.1:{cluster.free_port()}"  # nothing listens there
    with open(paths.course / "nbgrader_config.py", "a") as f:  # the same, from the configuration
        f.write(f"\nc.RnnCourse.cluster = {closed!r}\n")
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        status = cli.main(["--top", str(paths.top), "autograde", *LIMITS])
    assert status == 1
    assert f"cannot reach the Dask scheduler at {closed}" in err.getvalue()
    after = {p: p.read_bytes() for p in sorted(paths.build.rglob("*")) if p.is_file()}
    assert after == before  # gradebook, results and autograded notebooks unchanged, nothing new
