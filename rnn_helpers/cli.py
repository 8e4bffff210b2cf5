"""`rnn-course`: the instructor's command line (argument parsing and dispatch only).

    rnn-course release [--check]      generate exercises/ (or diff it), validate
    rnn-course autograde [--student S] [--assignment A] [--jobs N] [--cluster tcp://HOST:PORT]
    rnn-course feedback [--student S] [--assignment A]
    rnn-course report                 grade table, fault lines, plot, Canvas and nbgrader CSVs
    rnn-course publish [A ...] [--due D]   release to nbgrader's exchange (a class on a JupyterHub)
    rnn-course collect [A ...]        the latest submission of each student from the exchange
    rnn-course return-feedback [A ...]  feedback generated and released to the exchange
    rnn-course demo                   the whole pipeline on a sample class
    rnn-course bench-grading          plain nbgrader vs --jobs 2
    rnn-course bench-cluster          the local pool vs a local Dask cluster of the same size
The work is done in rnn_helpers.course; see its modules.
"""

import argparse
import sys
from pathlib import Path

from rnn_helpers.course.paths import CoursePaths, own_bin_on_path


def _release(paths, args):
    from rnn_helpers.course import release

    if args.check:
        diffs = release.check_release(paths)
        for line in diffs:
            print(line)
        if diffs:
            print("exercises/ is out of date: run `rnn-course release`", file=sys.stderr)
    else:
        diffs = []
        release.generate(paths)
        print(f"released {', '.join(paths.assignments()) or 'nothing'} into {paths.exercises}")
    problems = [] if args.no_validate else release.validate_release(paths, jobs=args.jobs)
    for line in problems:
        print(line)
    if not args.no_validate and not problems:
        print("validated: every solution passes its tests, every release fails them")
    return 1 if diffs or problems else 0


def _autograde(paths, args):
    from rnn_helpers.course.autograde import GradingError, autograde

    cluster = args.cluster if args.cluster is not None else paths.cluster
    try:
        records = autograde(
            paths,
            students=args.student,
            assignments=args.assignment,
            jobs=args.jobs,
            cell_timeout=args.cell_timeout,
            notebook_timeout=args.notebook_timeout,
            mem_mb=args.mem_mb,
            progress=not args.quiet,
            cluster=None if cluster in ("", "local") else cluster,
        )
    except GradingError as exc:
        print(f"rnn-course autograde: {exc}", file=sys.stderr)
        return 1
    failed = sum(r["status"] == "failed" for r in records.values())
    print(f"graded {len(records)} submission(s), {failed} failed to grade (see `rnn-course report`)")
    return 0


def _feedback(paths, args):
    from rnn_helpers.course.feedback import feedback

    pages = feedback(paths, students=args.student, assignments=args.assignment)
    print(f"{len(pages)} feedback page(s) under {paths.feedback}")
    return 0


def _report(paths, args):
    from rnn_helpers.course.report import report

    report(paths)
    return 0


def _exchange(paths, args):
    """publish, collect and return-feedback: the nbgrader exchange (course/exchange.py)."""
    from rnn_helpers.course import exchange

    names = args.assignment or paths.released_assignments()
    try:
        if args.command == "publish":
            lines = exchange.publish(paths, names, due=args.due)
        elif args.command == "collect":
            lines = exchange.collect(paths, names)
        else:
            lines = exchange.return_feedback(paths, names)
    except exchange.ExchangeError as exc:
        print(f"rnn-course {args.command}: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def _demo(paths, args):
    from rnn_helpers.course.demo import demo

    return demo(paths, jobs=args.jobs, cell_timeout=args.cell_timeout)


def _bench(paths, args):
    from rnn_helpers.bench.grading import main as bench

    return bench(["--students", str(args.students), "--jobs", str(args.jobs)])


def _bench_cluster(paths, args):
    from rnn_helpers.bench.cluster import main as bench

    return bench(["--students", str(args.students), "--workers", str(args.workers)])


def parser():
    p = argparse.ArgumentParser(prog="rnn-course", description=__doc__.splitlines()[0])
    p.add_argument(
        "--top",
        type=Path,
        help="folder holding course/, solutions/, exercises/, "
        "build/ (default: the repository, or $RNN_COURSE_TOP)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="generate exercises/ from solutions/ and validate")
    r.add_argument(
        "--check",
        action="store_true",
        help="do not write: fail and show the differences if exercises/ is stale",
    )
    r.add_argument("--no-validate", action="store_true", help="skip running the notebooks")
    r.add_argument("--jobs", type=int, default=1, help="notebooks validated at once")
    r.set_defaults(run=_release)

    a = sub.add_parser("autograde", help="grade build/submitted into the gradebook")
    a.add_argument("--student", action="append", help="only this student (repeatable)")
    a.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    a.add_argument("--jobs", type=int, default=1, help="students graded in parallel")
    a.add_argument("--cell-timeout", type=int, help="seconds per cell (default: config)")
    a.add_argument(
        "--notebook-timeout", type=int, default=300, help="wall-clock seconds per notebook (default 300)"
    )
    a.add_argument("--mem-mb", type=int, default=2048, help="kernel memory limit, MiB")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="grade on the workers of this Dask scheduler, tcp://HOST:PORT (default: "
        "c.RnnCourse.cluster of course/nbgrader_config.py; `local` or none: this machine, --jobs)",
    )
    a.set_defaults(run=_autograde)

    f = sub.add_parser("feedback", help="HTML feedback per student")
    f.add_argument("--student", action="append")
    f.add_argument("--assignment", action="append")
    f.set_defaults(run=_feedback)

    sub.add_parser("report", help="grade table, faults and plot").set_defaults(run=_report)

    x = sub.add_parser("publish", help="release assignments to nbgrader's exchange (students fetch them)")
    x.add_argument("assignment", nargs="*", help="assignments (default: all of exercises/)")
    x.add_argument("--due", help='due date, e.g. "2026-12-01 17:00" (UTC unless an offset is given)')
    x.set_defaults(run=_exchange)
    x = sub.add_parser(
        "collect", help="each student's latest submission from the exchange into build/submitted"
    )
    x.add_argument("assignment", nargs="*", help="assignments (default: all of exercises/)")
    x.set_defaults(run=_exchange)
    x = sub.add_parser("return-feedback", help="generate feedback and release it to the exchange")
    x.add_argument("assignment", nargs="*", help="assignments (default: all of exercises/)")
    x.set_defaults(run=_exchange)

    d = sub.add_parser("demo", help="release, grade and report a sample class (in build/demo)")
    d.add_argument("--jobs", type=int, default=2)
    d.add_argument(
        "--cell-timeout", type=int, default=None, help="seconds per cell (default: the course config's)"
    )
    d.set_defaults(run=_demo)

    b = sub.add_parser("bench-grading", help="plain nbgrader autograde vs --jobs N")
    b.add_argument("--students", type=int, default=12)
    b.add_argument("--jobs", type=int, default=2)
    b.set_defaults(run=_bench)

    b = sub.add_parser("bench-cluster", help="the local pool vs a local Dask cluster of the same size")
    b.add_argument("--students", type=int, default=12)
    b.add_argument("--workers", type=int, default=2, help="--jobs of the pool, workers of the cluster")
    b.set_defaults(run=_bench_cluster)
    return p


def main(argv=None):
    own_bin_on_path()  # nbgrader needs `alembic` on PATH, even without an activated venv
    args = parser().parse_args(argv)
    paths = CoursePaths(args.top.resolve()) if args.top else CoursePaths.default()
    return args.run(paths, args)


if __name__ == "__main__":
    sys.exit(main())
