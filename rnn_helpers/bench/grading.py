"""Benchmark: plain `nbgrader autograde` against `rnn-course autograde --jobs N`.

    python -m rnn_helpers.bench.grading [--students 12] [--jobs 2]

Builds a sample class (full, partial, blank and buggy submissions in turn) in
two identical temporary courses released from solutions/ (or from the tiny
built-in assignment when there is none), grades one with plain nbgrader (one
`nbgrader autograde` per assignment, as an instructor would) and the other with
the pipeline, then prints both wall times, the ratio and whether every score
in the two gradebooks agrees. A module, not a test: timings need a quiet machine.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from rnn_helpers.course import autograde, release, samples
from rnn_helpers.course.nbgrader_cli import nbgrader
from rnn_helpers.course.paths import CoursePaths, make_course
from rnn_helpers.course.tiny import write_tiny_assignment


def released_course(top, names=()):
    """A course at `top` with `names` copied from solutions/ (none: the tiny
    assignment), released and recorded in its gradebook. Returns its CoursePaths."""
    paths = make_course(top)
    for name in names:
        shutil.copytree(CoursePaths.default().solutions / name, paths.solutions / name)
    if not names:
        write_tiny_assignment(paths.solutions)
    release.generate(paths)
    return paths


def sample_class(paths, students):
    """Write `students` submissions to every released assignment: full, partial,
    blank and buggy (the assignment's catalogued demo bug) in turn."""
    kinds = [samples.full, samples.partial, samples.blank, "buggy"]
    for name in paths.released_assignments():
        rel = nbformat.read(paths.exercises / name / f"{name}.ipynb", 4)
        src = nbformat.read(paths.solutions / name / f"{name}.ipynb", 4)
        for i in range(students):
            kind = kinds[i % len(kinds)]
            nb = samples.buggy(rel, src, name)[0] if kind == "buggy" else kind(rel, src)
            samples.write(nb, paths.submitted / f"student{i:02d}" / name, name)


def twin(paths, top):
    """An identical copy of the course at `top` (submissions and gradebook included)."""
    shutil.copytree(paths.top, top)
    return CoursePaths(Path(top).resolve())


def grade_plain(paths, check=False):
    """Plain nbgrader, as an instructor would: one `nbgrader autograde` per
    assignment, run from the course folder (so it loads course/nbgrader_config.py)."""
    return [nbgrader(paths, "autograde", name, "--force", check=check) for name in paths.assignments()]


def scores(paths):
    """{(student, assignment, notebook, grade cell): score} from a gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(paths.db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        out[(sub.student.id, assignment.name, nb.name, grade.name)] = grade.auto_score
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=12)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--assignments", nargs="*", help="default: all in solutions/")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as tmp:
        names = args.assignments or CoursePaths.default().assignments()
        plain = released_course(Path(tmp) / "plain", names)
        sample_class(plain, args.students)
        ours = twin(plain, Path(tmp) / "ours")
        print(
            f"{args.students} students x {len(plain.assignments())} assignment(s): "
            f"{', '.join(plain.assignments())}"
        )

        start = time.monotonic()
        grade_plain(plain)
        t_plain = time.monotonic() - start
        print(f"plain nbgrader autograde:        {t_plain:7.1f} s")

        start = time.monotonic()
        autograde.autograde(ours, jobs=args.jobs, progress=False)
        t_ours = time.monotonic() - start
        print(f"rnn-course autograde --jobs {args.jobs}:   {t_ours:7.1f} s")

        a, b = scores(plain), scores(ours)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(f"speed-up: {t_plain / t_ours:.2f}x")
        print(f"scores agree: {not differ} ({len(a)} grade cells compared)")
        for key in differ[:10]:
            print(f"  differs {key}: plain {a.get(key)} vs ours {b.get(key)}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
