"""Benchmark: the local pool against a local Dask cluster of the same size.

    python -m rnn_helpers.bench.cluster [--students 12] [--workers 2] [--assignments A ...]
    rnn-course bench-cluster [--students 12] [--workers 2]

Builds bench/grading.py's sample class (full, partial, blank and buggy in turn)
in two identical temporary courses released from solutions/ (or the tiny
assignment when there is none). One is graded by the local pool with
--jobs W; the other on a Dask cluster of W `dask worker --nthreads 1`
processes on 127.0.0.1 (course/cluster.py's LocalCluster, started before the
clock), twice: first on fresh workers, which import the grading code and
start their grading processes inside the timing as the pool does, then again
on the same workers, warm, as a long-lived cluster grades the next class.

Prints the wall times, the cluster path's overhead over the pool (target:
under 10 %), the cost per notebook (wall x W / notebooks for each run, and
the mean time a job held its worker on the warm run), whether the scores of
the two gradebooks agree, and a projection for 1,000 students x 4
assignments on 10, 50 and 200 worker cores:
    time = max(notebooks x seconds per job on its worker / cores,
               notebooks x merge cost)
where the merge cost is the instructor's serial part per record (gradebook
digest, merge, digest), measured here on this small gradebook. A module, not a
test: timings need a quiet machine, and the projection assumes notebooks like
these ones.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rnn_helpers.bench.grading import released_course, sample_class, scores, twin
from rnn_helpers.course import autograde, results
from rnn_helpers.course.cluster import LocalCluster
from rnn_helpers.course.paths import CoursePaths

CLASS_SIZE = 1000 * 4  # students x assignments of the projection
CORES = (10, 50, 200)


def merge_cost(paths, records):
    """Seconds the instructor's process spends on one record, as autograde's main
    loop does (the results file, written every few seconds, left out)."""
    start = time.monotonic()
    for (student, assignment), record in records.items():
        autograde._digest(paths.gradebook)
        stamp = results.read_timestamp(paths.submitted / student / assignment)
        results.merge(paths.db_url, assignment, student, record, stamp)
        autograde._digest(paths.gradebook)
    return (time.monotonic() - start) / max(1, len(records))


def _clock(what, fn):
    start = time.monotonic()
    out = fn()
    seconds = time.monotonic() - start
    print(f"{what:<44} {seconds:7.1f} s", flush=True)
    return out, seconds


def _duration(seconds):
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=12)
    p.add_argument("--workers", type=int, default=2, help="--jobs of the pool, workers of the cluster")
    p.add_argument("--assignments", nargs="*", help="default: all in solutions/")
    args = p.parse_args(argv)
    w = args.workers

    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as tmp:
        names = args.assignments or CoursePaths.default().assignments()
        pool = released_course(Path(tmp) / "pool", names)
        sample_class(pool, args.students)
        dask = twin(pool, Path(tmp) / "dask")
        n = len(autograde.select_jobs(pool))
        print(
            f"{args.students} students x {len(pool.assignments())} assignment(s) = {n} notebooks: "
            f"{', '.join(pool.assignments())}"
        )

        _, t_pool = _clock(
            f"local pool, --jobs {w}:", lambda: autograde.autograde(pool, jobs=w, progress=False)
        )
        cluster, t_start = _clock(
            f"start {w} Dask workers (not in the timings):", lambda: LocalCluster(w, 1, preload=False)
        )
        try:
            grade = lambda: autograde.autograde(dask, cluster=cluster.address, progress=False)
            _, t_cold = _clock(f"Dask cluster, {w} x 1 thread, fresh workers:", grade)
            records, t_warm = _clock(f"Dask cluster, {w} x 1 thread, warm workers:", grade)
        finally:
            cluster.stop()
        merge = merge_cost(dask, records)
        held = [r["worker_seconds"] for r in records.values() if r.get("worker_seconds") is not None]
        per_job = sum(held) / max(1, len(held))

        a, b = scores(pool), scores(dask)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(
            f"overhead of the cluster path: {100 * (t_cold / t_pool - 1):+.1f} % on fresh workers, "
            f"{100 * (t_warm / t_pool - 1):+.1f} % warm (target: under 10 %)"
        )
        cost = {"pool": t_pool * w / n, "cold": t_cold * w / n, "warm": t_warm * w / n}
        print(
            f"per notebook: {cost['pool']:.2f} worker-s (pool), {cost['cold']:.2f} (cluster, fresh), "
            f"{cost['warm']:.2f} (cluster, warm); a job held its worker {per_job:.2f} s on average "
            f"(warm); merging one record: {merge * 1000:.0f} ms"
        )
        print(f"scores agree: {not differ} ({len(a)} grade cells compared)")
        for key in differ[:10]:
            print(f"  differs {key}: pool {a.get(key)} vs cluster {b.get(key)}")
        print(
            f"projection, 1,000 students x 4 assignments = {CLASS_SIZE} notebooks at {per_job:.2f} s "
            f"on a worker core each (merge floor {_duration(CLASS_SIZE * merge)}):"
        )
        for cores in CORES:
            seconds = max(CLASS_SIZE * per_job / cores, CLASS_SIZE * merge)
            print(f"  {cores:>4} worker cores: {_duration(seconds)}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
