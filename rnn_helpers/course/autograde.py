"""Autograde a class: isolated jobs on parallel workers, trusted merge.

For each (student, assignment) the grader thread: reads the submission
(precheck, hash), builds an isolated job folder, sends it to its worker
process with a wall-clock limit, kills whatever the job left running,
recomputes the scores (scoring.py), checks the submission is unchanged and
returns a record. The main thread alone merges records into the gradebook,
and refuses to go on if the gradebook changed behind its back.
"""

import hashlib
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from tqdm import tqdm

from rnn_helpers.course import isolation, precheck, results, sandbox, scoring
from rnn_helpers.course.paths import REPO_ROOT, tool_env

SAVE_EVERY = 2.0  # s between writes of build/grading_results.json during a run (and at its end)


class GradingError(RuntimeError):
    """Grading cannot go on (no release in the gradebook, gradebook tampered)."""


class Worker:
    """One long-lived `python -m rnn_helpers.course.worker` process."""

    def __init__(self, log):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rnn_helpers.course.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=tool_env(),
            start_new_session=True,
        )
        self.buffer = b""
        self.started = False  # its "ready" line is read before the first job

    def read(self, timeout):
        """One reply line as a dict, or None after `timeout` seconds or on exit."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, job, timeout):
        if not self.started:
            if self.read(180) is None:
                raise GradingError("a grading worker did not start; see build/grading_workers.log")
            self.started = True
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()
        return self.read(timeout)

    def kill(self):
        isolation.kill_tree(self.proc.pid)


class Grader:
    """Grades jobs on `jobs` workers; see autograde() for the options."""

    def __init__(self, paths, jobs, cell_timeout, notebook_timeout, mem_mb, out_chars):
        self.paths, self.jobs = paths, jobs
        self.cell_timeout, self.notebook_timeout = cell_timeout, notebook_timeout
        self.mem_mb, self.out_chars = mem_mb, out_chars
        self.run_dir = Path(tempfile.mkdtemp(prefix="rnn-grading-"))
        self.sandbox = sandbox.choose(self.run_dir)  # None: folder hiding only (warned once)
        paths.build.mkdir(parents=True, exist_ok=True)
        self.log = open(paths.build / "grading_workers.log", "ab")  # nbgrader logs
        # Workers import nbgrader (seconds) while this process prepares the run.
        self.idle = queue.Queue()
        self.workers = [Worker(self.log) for _ in range(jobs)]
        for worker in self.workers:
            self.idle.put(worker)
        self.template = self.run_dir / "template.db"
        isolation.make_template_gradebook(paths.db_url, self.template)
        # Kept in memory: a student's code could rewrite the file on disk.
        self.template_bytes = self.template.read_bytes()
        self.library = isolation.make_library(self.run_dir / "lib")
        self.library_digest = precheck.tree_digest(self.library)
        self.specs, self.releases = {}, {}

    def close(self):
        for worker in self.workers:
            worker.kill()
        self.log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _worker(self):
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            worker = Worker(self.log)
            self.workers.append(worker)
            return worker

    def prepare(self, assignment):
        """Cache the gradebook's cells and the released notebooks of an assignment."""
        self.template.write_bytes(self.template_bytes)
        db = f"sqlite:///{self.template}"
        self.specs[assignment] = scoring.notebook_spec(db, assignment)
        self.releases[assignment] = {
            name: nbformat.read(self.paths.exercises / assignment / f"{name}.ipynb", 4)
            for name in self.specs[assignment]
        }

    def grade(self, student, assignment):
        """Grade one submission; return its record. Writes only under run_dir
        and, for a graded notebook, its copy in build/autograded (for feedback)."""
        start = time.monotonic()
        folder = self.paths.submitted / student / assignment
        before = precheck.tree_digest(folder)
        plan, notes = precheck.inspect_submission(folder, self.releases[assignment])
        record = {"notebooks": {}, "notes": notes, "seconds": 0.0}
        for name, entry in plan.items():
            record["notebooks"][name] = {
                "status": "graded" if entry["status"] == "ok" else entry["status"],
                "reason": entry["reason"],
                "notes": list(entry["notes"]),
                "scores": {},
            }
        to_run = [n for n, e in plan.items() if e["status"] == "ok"]
        if to_run:
            self._run_job(student, assignment, plan, to_run, record)
        after = precheck.tree_digest(folder)
        record["unchanged"] = before == after
        if not record["unchanged"]:
            record["notes"].append("SUBMISSION CHANGED DURING GRADING")
        statuses = {nb["status"] for nb in record["notebooks"].values()}
        record["status"] = (
            "failed" if "failed" in statuses else "missing" if statuses == {"missing"} else "graded"
        )
        record["seconds"] = round(time.monotonic() - start, 2)
        return record

    def _run_job(self, student, assignment, plan, to_run, record):
        if precheck.tree_digest(self.library) != self.library_digest:
            raise GradingError("the grading library copy changed during grading: stopped")
        job, token = isolation.make_job_dir(
            self.run_dir,
            self.template_bytes,
            self.library,
            self.paths.exercises / assignment,
            student,
            assignment,
            plan,
            self.paths.submitted / student / assignment,
            self.mem_mb,
            self.out_chars,
            hide=sorted(
                {self.paths.solutions, self.paths.build, REPO_ROOT / "solutions", REPO_ROOT / "build"}
            ),
            sandbox=self.sandbox,
        )
        limit = self.notebook_timeout * len(to_run)
        request = {
            "job": str(job),
            "student": student,
            "assignment": assignment,
            "config": str(self.paths.course / "nbgrader_config.py"),
            "cell_timeout": self.cell_timeout,
            "kernel_name": isolation.KERNEL_NAME,
            "env": isolation.job_environment(job, token),
            "kernel_manager": self.sandbox.kernel_manager_config(job) if self.sandbox else {},
        }
        worker = self._worker()
        reply = worker.run(request, limit + 5)  # + nbgrader's own bookkeeping
        if reply is None:
            crashed = worker.proc.poll()
            worker.kill()
            self.workers.remove(worker)
            log, reason = (
                "",
                (
                    f"ran past the {limit} s wall-clock limit for the notebook: stopped"
                    if crashed is None
                    else f"the grading worker died (exit {crashed}); see build/grading_workers.log"
                ),
            )
        else:
            self.idle.put(worker)
            log, reason = reply["log"], None
        isolation.kill_job_processes(token)  # before reading anything it wrote
        self._collect(job, student, assignment, to_run, record, log, reason)
        shutil.rmtree(job, ignore_errors=True)

    def _collect(self, job, student, assignment, to_run, record, log, reason):
        """Score each notebook the job ran, or record why it could not be graded."""
        spec = self.specs[assignment]
        out = job / "course" / "autograded" / student / assignment
        db = f"sqlite:///{job / 'course' / 'gradebook.db'}"
        for name in to_run:
            entry = record["notebooks"][name]
            path = out / f"{name}.ipynb"
            if reason is None and not path.exists():
                reason = scoring.failure_reason(log, self.cell_timeout or "configured")
            stale = self.paths.autograded / student / assignment / f"{name}.ipynb"
            if reason is not None:
                entry.update(status="failed", reason=reason)
                stale.unlink(missing_ok=True)  # no feedback from an earlier grading
                continue
            scores, problems, notes = scoring.score_notebook(path, spec[name])
            try:
                recorded = scoring.temp_gradebook_scores(db, assignment, student, name)
            except Exception as exc:
                recorded, problems = {}, problems + [f"job gradebook unreadable ({exc})"]
            if not problems and any(recorded.get(g) != s for g, s in scores.items()):
                problems.append("job gradebook disagrees with the autograded notebook")
            if problems:
                entry.update(status="failed", reason="; ".join(problems) + " (tampering?)")
                stale.unlink(missing_ok=True)
                continue
            entry["scores"], entry["notes"] = scores, entry["notes"] + notes
            dest = self.paths.autograded / student / assignment
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / path.name)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def select_jobs(paths, students=None, assignments=None):
    """(student, assignment) pairs with a submission folder, sorted."""
    from nbgrader.api import Gradebook

    with Gradebook(paths.db_url) as gb:
        known = {a.name for a in gb.assignments}
    wanted = assignments or sorted(known)
    missing = [a for a in wanted if a not in known]
    if missing:
        raise GradingError(f"not in the gradebook (run `rnn-course release`): {missing}")
    everyone = sorted(p.name for p in paths.submitted.iterdir()) if paths.submitted.is_dir() else []
    return [(s, a) for s in (students or everyone) for a in wanted if (paths.submitted / s / a).is_dir()]


def autograde(
    paths,
    students=None,
    assignments=None,
    jobs=1,
    cell_timeout=None,
    notebook_timeout=300,
    mem_mb=2048,
    out_chars=1_000_000,
    progress=True,
    cluster=None,
):
    """Grade submissions under paths.submitted; return {(student, assignment): record}.

    students / assignments: lists to restrict to (default: all).
    jobs: students graded at once (one worker process each).
    cluster: a Dask scheduler address (tcp://HOST:PORT): the jobs run on its
    workers (cluster.py), `jobs` is then unused; None: the local pool.
    cell_timeout: overrides Execute.timeout; notebook_timeout: wall-clock limit
    per notebook; mem_mb: kernel address-space limit; out_chars: output budget.
    """
    if paths.db_url == paths.default_db_url and not paths.gradebook.exists():
        raise GradingError(f"no gradebook at {paths.gradebook}: run `rnn-course release` first")
    pairs = select_jobs(paths, students, assignments)
    if not pairs:
        return {}
    if cluster:  # connects first: an unreachable scheduler stops the run before anything is written
        from rnn_helpers.course.cluster import ClusterGrader

        grader = ClusterGrader(paths, cluster, len(pairs), cell_timeout, notebook_timeout, mem_mb, out_chars)
    else:
        jobs = max(1, min(jobs, len(pairs)))
        grader = Grader(paths, jobs, cell_timeout, notebook_timeout, mem_mb, out_chars)
    records, store = {}, results.load(paths)
    saved = time.monotonic()
    try:
        for assignment in sorted({a for _, a in pairs}):
            grader.prepare(assignment)
        expected = _digest(paths.gradebook)
        bar = tqdm(
            total=len(pairs),
            desc="autograde",
            unit="nb",
            disable=not progress,
            bar_format="{l_bar}{bar}| {n}/{total} [{elapsed}<{remaining}]",
        )
        with ThreadPoolExecutor(max_workers=grader.jobs) as pool:
            futures = {pool.submit(grader.grade, s, a): (s, a) for s, a in pairs}
            for fut in as_completed(futures):
                student, assignment = futures[fut]
                record = fut.result()
                record.setdefault("worker", "local")  # a cluster job names its Dask worker
                if _digest(paths.gradebook) != expected:
                    raise GradingError(
                        "the gradebook changed during grading, outside the grader: stopped without merging"
                    )
                stamp = results.read_timestamp(paths.submitted / student / assignment)
                results.merge(paths.db_url, assignment, student, record, stamp)
                expected = _digest(paths.gradebook)
                store.setdefault(assignment, {})[student] = record
                records[(student, assignment)] = record
                # A large class's file takes most of a second to write: not after every job.
                if time.monotonic() - saved > SAVE_EVERY:
                    results.save(paths, store)
                    saved = time.monotonic()
                bar.set_postfix_str(f"{student}/{assignment}: {record['status']}")
                bar.update()
        bar.close()
    finally:
        if records:  # what was merged, even when the run stopped
            results.save(paths, store)
        grader.close()
    return records
