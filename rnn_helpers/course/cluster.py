"""Grading on a Dask cluster: the same isolated jobs, spread over many machines.

`rnn-course autograde --cluster tcp://HOST:8786` (or c.RnnCourse.cluster in
course/nbgrader_config.py) sends each (student, assignment) job to a Dask
scheduler instead of the local pool. autograde.autograde() drives it exactly
as the local Grader: the same precheck, progress bar, scoring and merge; only
where a job runs changes.

In the instructor's process (ClusterGrader):
  - the scheduler is reached first: unreachable, without workers, or with
    workers that run other grading code, it is an error before anything is
    written;
  - what every job needs is shipped once per run to every worker (scatter): the
    compiled grading library (a tar), the template gradebook, the course
    config and, per assignment, the release's non-notebook files; each task
    carries its submission folder (a tar) and precheck's plan. Workers need the
    course installed (the same commit), not a shared file system;
  - one thread per job in flight submits the task and waits for it (twice the
    cluster's threads, so that every worker always has its next job queued),
    then scores what came back (scoring.py) as for a local job; the main
    thread alone merges into the gradebook.
On a worker (run_job), inside the Dask worker process:
  - the inputs are unpacked into a course folder in the worker's own run
    folder, and autograde.Grader's own _run_job builds the job folder and runs
    it: a `python -m rnn_helpers.course.worker` process (kept between jobs),
    the sandbox, the memory limit, the notebook's wall-clock limit, the kill
    by token. A crashing kernel or nbgrader cannot take the Dask worker down;
  - the autograded notebooks, the job's gradebook, the log tail, the worker's
    address and the seconds the job took go back to the instructor.
Faults: a worker that dies mid-job has its job run again on another worker by
the scheduler (each job is merged once, when its thread gets the result, so
nothing is counted twice); a job past its limit is failed with its reason; a
task the cluster cannot run (a worker killed three times over) is failed with
Dask's reason; a lost scheduler stops the run, keeping what was merged.
"""

import hashlib
import io
import multiprocessing.util
import os
import queue
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from rnn_helpers.course import autograde, isolation, precheck, sandbox
from rnn_helpers.course.autograde import GradingError
from rnn_helpers.course.paths import CoursePaths

CONNECT_TIMEOUT = 10  # s to reach the scheduler
WORKERS_TIMEOUT = 30  # s for a scheduler to have at least one worker
INSTALL = 'pip install -e ".[cluster]"'


def tar_folder(folder, skip_notebooks=False):
    """The files under folder as gzipped tar bytes (links followed: their content is sent)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", dereference=True) as tar:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not (skip_notebooks and path.suffix == ".ipynb"):
                tar.add(path, arcname=path.relative_to(folder).as_posix())
    return buffer.getvalue()


def untar(data, dest):
    """Unpack tar_folder's bytes into dest (no absolute paths, links or `..`)."""
    Path(dest).mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")


def code_digest():
    """sha256 of the instructor pipeline's source (rnn_helpers/course/*.py): the
    code that builds and runs a job must be the same on every machine."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- on a worker


RUN_PREFIX = "rnn-dask-grading-"  # a worker's run folder in its TMPDIR, with owner.pid


def _sweep():
    """Remove the run folders of worker processes that died without cleaning up
    (a Dask worker stopped by a signal does not run its finalizers)."""
    for folder in Path(tempfile.gettempdir()).glob(RUN_PREFIX + "*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not psutil.pid_exists(owner):
            shutil.rmtree(folder, ignore_errors=True)


class _Site:
    """What one Dask worker process keeps between jobs: a run folder, the
    sandbox, long-lived grading processes and the unpacked grading library."""

    def __init__(self):
        _sweep()
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
        (self.run_dir / "owner.pid").write_text(str(os.getpid()))
        self.sandbox = sandbox.choose(self.run_dir)  # logs a warning where there is none
        self.log_path = self.run_dir / "grading_workers.log"
        self.log = open(self.log_path, "ab")
        self.idle, self.workers = queue.Queue(), []
        self.libraries = {}
        self.lock = threading.Lock()
        self.code = code_digest()
        # Dask's worker processes end through multiprocessing, which runs these, not atexit's.
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def warm(self, count):
        """Start `count` grading processes (each imports nbgrader, seconds) before the first job."""
        with self.lock:  # the preload's and the instructor's warm-ups may overlap
            for _ in range(max(0, count - self.idle.qsize())):
                worker = autograde.Worker(self.log)
                self.workers.append(worker)
                self.idle.put(worker)

    def library(self, data):
        """The grading library unpacked from its tar, once per process and version."""
        key = hashlib.sha256(data).hexdigest()[:16]
        with self.lock:
            if key not in self.libraries:
                folder = self.run_dir / f"lib-{key}"
                untar(data, folder)
                self.libraries[key] = (folder, precheck.tree_digest(folder))
            return self.libraries[key]

    def close(self):
        for worker in self.workers:
            worker.kill()
        self.log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)


_SITE, _SITE_LOCK = None, threading.Lock()


def _site():
    global _SITE
    with _SITE_LOCK:
        if _SITE is None:
            _SITE = _Site()
        return _SITE


class _JobRunner(autograde.Grader):
    """autograde.Grader's _run_job on a worker, on a course folder unpacked from
    the task; _collect keeps the job's outputs for the instructor instead of
    scoring them (the instructor scores)."""

    def __init__(self, site, paths, library, template, options):
        self.paths, self.run_dir, self.sandbox = paths, site.run_dir, site.sandbox
        self.library, self.library_digest = library
        self.template_bytes = template
        self.cell_timeout, self.notebook_timeout = options["cell_timeout"], options["notebook_timeout"]
        self.mem_mb, self.out_chars = options["mem_mb"], options["out_chars"]
        self.idle, self.workers, self.log = site.idle, site.workers, site.log
        self.log_path = site.log_path
        self.reply = None

    def _collect(self, job, student, assignment, to_run, record, log, reason):
        out = job / "course" / "autograded" / student / assignment
        outputs = {}
        for name in to_run:
            path = out / f"{name}.ipynb"
            if path.is_file() and not path.is_symlink():  # a link would read the worker's files
                outputs[name] = path.read_bytes()
        db = job / "course" / "gradebook.db"
        if reason:
            reason = reason.replace("build/grading_workers.log", str(self.log_path))
        self.reply = {
            "outputs": outputs,
            "gradebook": db.read_bytes() if db.is_file() and not db.is_symlink() else b"",
            "log": log,
            "reason": reason,
        }


def run_job(job, library, template, config, release):
    """The Dask task: grade one (student, assignment) on this worker.

    job: {"student", "assignment", "submission": tar bytes, "plan": precheck's
    plan with files relative to the submission folder, "to_run": notebook
    names, "options": limits, "code": the instructor's code_digest()}; library,
    release: tar bytes; template: gradebook bytes; config: nbgrader_config.py
    bytes. Returns {"worker", "seconds", "outputs": {notebook: bytes},
    "gradebook": bytes, "log", "reason": None or why the job could not run}.
    """
    from distributed import get_worker

    start = time.monotonic()
    address = get_worker().address
    site = _site()
    if job["code"] != site.code:
        return {
            "worker": address,
            "seconds": round(time.monotonic() - start, 2),
            "outputs": {},
            "gradebook": b"",
            "log": "",
            "reason": f"the worker {address} runs other grading code than the instructor: "
            "install the same commit of the course there",
        }
    student, assignment = job["student"], job["assignment"]
    top = site.run_dir / f"in-{uuid.uuid4().hex[:8]}"  # a course folder for this job alone
    paths = CoursePaths(top)
    try:
        paths.course.mkdir(parents=True)
        (paths.course / "nbgrader_config.py").write_bytes(config)
        untar(release, paths.exercises / assignment)
        folder = paths.submitted / student / assignment
        untar(job["submission"], folder)
        plan = {
            name: {**entry, "file": folder / entry["file"] if entry["file"] else None}
            for name, entry in job["plan"].items()
        }
        runner = _JobRunner(site, paths, site.library(library), template, job["options"])
        runner._run_job(student, assignment, plan, job["to_run"], {"notebooks": {}})
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return {"worker": address, "seconds": round(time.monotonic() - start, 2), **runner.reply}


def _warm_up(dask_worker):
    """client.run: start this worker's grading processes in the background."""
    count = dask_worker.state.nthreads
    threading.Thread(target=lambda: _site().warm(count), daemon=True).start()


def dask_setup(worker):
    """`dask worker --preload rnn_helpers.course.cluster`: import the grading code
    and start the grading processes when the worker starts, not at its first job."""
    _warm_up(worker)


def dask_teardown(worker):
    """The preloaded worker closes: stop its grading processes, remove its run folder."""
    if _SITE is not None:
        _SITE.close()


# ---------------------------------------------------------------- the instructor's side


def connect(address, timeout=CONNECT_TIMEOUT, workers_timeout=WORKERS_TIMEOUT):
    """A dask.distributed Client of the scheduler at `address` with at least one
    worker; GradingError saying what to do otherwise."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise GradingError(f"grading on a cluster needs Dask: {INSTALL}") from exc
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise GradingError(
            f"cannot reach the Dask scheduler at {address} ({exc}). Start it with `dask scheduler` "
            "and check the address, port and firewall; without --cluster the local pool grades. "
            "Nothing was graded or written."
        ) from exc
    try:
        client.wait_for_workers(1, timeout=workers_timeout)
    except TimeoutError as exc:
        client.close()
        raise GradingError(
            f"the Dask scheduler at {address} has no workers after {workers_timeout} s: start some "
            f"with `dask worker {address}` on the grading machines. Nothing was graded or written."
        ) from exc
    return client


class ClusterGrader(autograde.Grader):
    """Grades jobs on the workers of a Dask scheduler; the same interface as
    autograde.Grader (prepare, grade, close, jobs: threads to run grade() on)."""

    def __init__(self, paths, address, n_jobs, cell_timeout, notebook_timeout, mem_mb, out_chars):
        self.client = connect(address)
        try:
            self.address = address
            self.code = code_digest()
            other = sorted(a for a, d in self.client.run(code_digest).items() if d != self.code)
            if other:
                raise GradingError(
                    f"the Dask workers {other} run other grading code than this machine "
                    "(rnn_helpers/course differs): install the same commit of the course on them. "
                    "Nothing was graded or written."
                )
            cores = sum(self.client.nthreads().values())
            self.jobs = max(1, min(n_jobs, 2 * cores))
            self.client.run(_warm_up)
            self.paths = paths
            self.cell_timeout, self.notebook_timeout = cell_timeout, notebook_timeout
            self.mem_mb, self.out_chars = mem_mb, out_chars
            self.run_dir = Path(tempfile.mkdtemp(prefix="rnn-grading-"))
            self.template = self.run_dir / "template.db"
            isolation.make_template_gradebook(paths.db_url, self.template)
            self.template_bytes = self.template.read_bytes()
            self.library = isolation.make_library(self.run_dir / "lib")
            self.specs, self.releases = {}, {}
            self.shipped = {
                "library": tar_folder(self.library),
                "template": self.template_bytes,
                "config": (paths.course / "nbgrader_config.py").read_bytes(),
            }
            self.raw = dict(self.shipped)  # kept to ship again when a worker's copy is lost
            self.ship_lock = threading.Lock()
            self.shipped = {k: self._ship(v) for k, v in self.shipped.items()}
        except BaseException:
            self.client.close()
            raise

    def _ship(self, data):
        """A future of bytes held by every worker (fetched from a peer by later ones)."""
        return self.client.scatter(data, broadcast=True)

    def prepare(self, assignment):
        super().prepare(assignment)
        self.raw[assignment] = tar_folder(self.paths.exercises / assignment, skip_notebooks=True)
        self.shipped[assignment] = self._ship(self.raw[assignment])

    def _ship_again(self, lost):
        """Scatter again the shipped data of futures `lost` (a dead worker held the only copy)."""
        with self.ship_lock:
            for key, future in list(self.shipped.items()):
                if future in lost:
                    self.shipped[key] = self._ship(self.raw[key])

    def close(self):
        self.client.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _submit(self, job, assignment):
        """Run `job` on a worker and return its reply. A worker that dies takes its copy of the
        shipped data with it; when the scheduler then cancels the job for lost dependencies, the
        data is shipped again and the job submitted once more."""
        from distributed.client import FutureCancelledError

        for attempt in range(2):
            shipped = self.shipped
            inputs = [shipped["library"], shipped["template"], shipped["config"], shipped[assignment]]
            future = self.client.submit(
                run_job,
                job,
                *inputs,
                key=f"grade-{job['student']}-{assignment}-{uuid.uuid4().hex[:8]}",
                pure=False,
                retries=1,  # an error in the task itself; a dead worker's tasks are re-run anyway
            )
            try:
                return future.result()
            except FutureCancelledError:
                if attempt or self.client.status not in ("running", "connecting"):
                    raise
                self._ship_again(set(inputs))
        raise AssertionError("unreachable")

    def _run_job(self, student, assignment, plan, to_run, record):
        folder = self.paths.submitted / student / assignment
        job = {
            "student": student,
            "assignment": assignment,
            "submission": tar_folder(folder),
            "plan": {
                name: {
                    **entry,
                    "file": Path(entry["file"]).relative_to(folder).as_posix() if entry["file"] else None,
                }
                for name, entry in plan.items()
            },
            "to_run": to_run,
            "options": {
                "cell_timeout": self.cell_timeout,
                "notebook_timeout": self.notebook_timeout,
                "mem_mb": self.mem_mb,
                "out_chars": self.out_chars,
            },
            "code": self.code,
        }
        try:
            reply = self._submit(job, assignment)
        except Exception as exc:
            if self.client.status not in ("running", "connecting"):
                raise GradingError(
                    f"lost the Dask scheduler at {self.address} ({exc}): stopped; what was graded "
                    "is merged, run the same command again for the rest"
                ) from exc
            reply = {
                "worker": "none",
                "seconds": None,
                "outputs": {},
                "gradebook": b"",
                "log": "",
                "reason": f"the cluster could not run the job ({type(exc).__name__}: {exc})",
            }
        record["worker"], record["worker_seconds"] = reply["worker"], reply["seconds"]
        back = Path(tempfile.mkdtemp(dir=self.run_dir, prefix="back-"))
        try:
            out = back / "course" / "autograded" / student / assignment
            out.mkdir(parents=True)
            for name in to_run:
                if name in reply["outputs"]:
                    (out / f"{name}.ipynb").write_bytes(reply["outputs"][name])
            (back / "course" / "gradebook.db").write_bytes(reply["gradebook"])
            self._collect(back, student, assignment, to_run, record, reply["log"], reply["reason"])
        finally:
            shutil.rmtree(back, ignore_errors=True)


# ---------------------------------------------------------------- a cluster on this machine


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, as an operator
    starts them on real machines (tests and the benchmark).

    workers: how many `dask worker` processes, each with `nthreads` threads;
    preload: start them with `--preload rnn_helpers.course.cluster` (grading
    processes started with the worker, not at its first job).
    Their run folders go under one temporary folder (TMPDIR), removed by stop().
    """

    def __init__(self, workers=2, nthreads=1, preload=True):
        self.folder = Path(tempfile.mkdtemp(prefix="rnn-dask-"))
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.nthreads, self.preload = nthreads, preload
        self.env = {**os.environ, "TMPDIR": str(self.folder)}
        self.logs = []
        self.scheduler = self._start(
            ["scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1]]
        )
        self.workers = []
        try:
            for _ in range(workers):
                self.add_worker()
            self.wait(workers)
        except BaseException:
            self.stop()
            raise

    def _start(self, args):
        dask = Path(sys.executable).with_name("dask")
        log = open(self.folder / f"{args[0]}-{len(self.logs)}.log", "wb")
        self.logs.append(log)
        return subprocess.Popen(
            [str(dask), *args, "--no-dashboard"], stdout=log, stderr=subprocess.STDOUT, env=self.env
        )

    def add_worker(self):
        """Start one more `dask worker` (call wait() to have it registered)."""
        worker = self._start(
            [
                "worker",
                self.address,
                "--nthreads",
                str(self.nthreads),
                "--host",
                "127.0.0.1",
                "--local-directory",
                str(self.folder),
                *(["--preload", __name__] if self.preload else []),
            ]
        )
        self.workers.append(worker)
        return worker

    def wait(self, count, timeout=120):
        """Block until `count` workers are registered with the scheduler."""
        try:
            client = connect(self.address, timeout=timeout, workers_timeout=timeout)
            try:
                client.wait_for_workers(count, timeout=timeout)
            finally:
                client.close()
        except (GradingError, TimeoutError) as exc:
            logs = "".join(
                f"\n--- {p.name}\n" + p.read_text()[-2000:] for p in sorted(self.folder.glob("*.log"))
            )
            raise RuntimeError(f"the local Dask cluster did not start: {exc}{logs}") from exc

    def kill_worker(self, worker):
        """SIGKILL a `dask worker` and every process under it, as when its machine dies.

        The processes are stopped first, until none is left running that could
        start another (a kernel launcher starting bwrap), then killed together."""
        root, stopped = psutil.Process(worker.pid), {}
        while True:
            try:
                found = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                found = []
            new = [p for p in found if p.pid not in stopped]
            if not new:
                break
            for proc in new:
                try:
                    proc.suspend()
                except psutil.Error:
                    pass  # already gone
                stopped[proc.pid] = proc
        isolation.kill_processes(list(stopped.values()))
        self.workers.remove(worker)

    def stop(self):
        """Stop every worker (politely, so that they clean up), then the scheduler."""
        for proc in self.workers:
            proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                isolation.kill_tree(proc.pid)
        isolation.kill_tree(self.scheduler.pid)
        self.scheduler.wait()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
