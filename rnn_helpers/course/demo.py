"""`rnn-course demo`: the whole pipeline on a sample class, in build/demo/.

Copies the course config and solutions/ into build/demo (the real exercises/
and gradebook are not touched), releases and validates, writes a class of
sample submissions (samples.py; the buggy student's mistakes come from the
bug catalogue, rnn_helpers/grading/catalogue/), autogrades it with real
nbgrader and --jobs 2, writes feedback and prints the report. Uses the
assignments that exist in solutions/, or the tiny built-in one when there are
none yet.
"""

import shutil
import time

import nbformat

from rnn_helpers.course import autograde, feedback, release, report, samples
from rnn_helpers.course.paths import make_course
from rnn_helpers.course.tiny import write_tiny_assignment

# Faulty students hand in the first assignment only; the others hand in all.
HONEST = {"ada-full": samples.full, "ben-partial": samples.partial, "cy-blank": samples.blank}
FAULTY = {
    "dee-loops-forever": samples.infinite_loop,
    "eli-kills-kernel": samples.kills_kernel,
    "fay-invalid-json": samples.invalid_json,
    "gus-edits-tests": samples.edits_test,
}


def build_class(paths):
    """Write the sample submissions; return {student: what they did}."""
    about = {}
    for i, name in enumerate(paths.released_assignments()):
        rel = nbformat.read(paths.exercises / name / f"{name}.ipynb", 4)
        src = nbformat.read(paths.solutions / name / f"{name}.ipynb", 4)
        for student, maker in HONEST.items():
            samples.write_submission(paths.submitted, student, name, maker, rel, src)
            about[student] = maker.__doc__.splitlines()[0] if maker.__doc__ else student
        bug, what = samples.buggy(rel, src, name)
        samples.write(bug, paths.submitted / "hal-buggy" / name, name)
        about.setdefault("hal-buggy", "a catalogued bug in each assignment:")
        about["hal-buggy"] += f" [{name}: {what}]"
        if i == 0:
            for student, maker in FAULTY.items():
                samples.write_submission(paths.submitted, student, name, maker, rel, src)
                about[student] = (maker.__doc__ or student).splitlines()[0]
    return about


def demo(paths, jobs=2, cell_timeout=None):
    """Run the demo in paths.build/demo; return the exit status (0)."""
    start = time.monotonic()
    work = paths.build / "demo"
    shutil.rmtree(work, ignore_errors=True)
    have = paths.assignments()
    demo_paths = make_course(work, solutions_from=paths.solutions if have else None)
    if not have:
        write_tiny_assignment(demo_paths.solutions)
    names = demo_paths.assignments()
    print(f"[demo] release {', '.join(names)} into {demo_paths.exercises}")
    release.generate(demo_paths)
    problems = release.validate_release(demo_paths, jobs=jobs)
    print("[demo] validated" if not problems else "[demo] validation problems:\n  " + "\n  ".join(problems))
    about = build_class(demo_paths)
    print(f"[demo] {len(about)} sample students:")
    for student, what in about.items():
        print(f"  {student}: {what}")
    autograde.autograde(demo_paths, jobs=jobs, cell_timeout=cell_timeout)
    pages = feedback.feedback(demo_paths)
    print(f"[demo] {len(pages)} feedback pages under {demo_paths.feedback}")
    report.report(demo_paths)
    print(f"[demo] done in {time.monotonic() - start:.0f} s")
    return 0
