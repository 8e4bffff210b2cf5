"""The grader's record of each graded submission, and its merge into the gradebook.

One record per (assignment, student):
    {"status": "graded" | "failed" | "missing",
     "notebooks": {name: {"status", "reason", "notes": [...], "scores": {grade_id: points}}},
     "notes": [...], "unchanged": bool, "seconds": float,
     "worker": "local" or the Dask worker's address ("none": the cluster could not run it),
     "worker_seconds": float (cluster jobs: the time the job took on its worker)}
Records live in build/grading_results.json (written only by the grader) and
scores go into the course gradebook through nbgrader's API. A notebook that
failed to grade gets auto_score NULL and needs_manual_grade, never a 0.
Written questions (nbgrader task cells) are never scored here: they stay
"needs manual grading" with their max points until a grader scores them in
formgrader, and a later regrade leaves that manual score as it is.
"""

import json
import os
from datetime import datetime


def load(paths):
    if not paths.results.exists():
        return {}
    return json.loads(paths.results.read_text())


def save(paths, records):
    tmp = paths.results.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True))
    os.replace(tmp, paths.results)


def merge(db_url, assignment, student, record, timestamp=None):
    """Write one record's scores into the gradebook (grader process only)."""
    import warnings

    from nbgrader.api import Gradebook, TaskCell
    from sqlalchemy.exc import SAWarning

    with Gradebook(db_url) as gb, warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy 2's autoflush warning (harmless)
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        sub = gb.update_or_create_submission(assignment, student, **kwargs)
        for nb in sub.notebooks:
            entry = record["notebooks"].get(nb.name, {"status": "missing", "scores": {}})
            graded = entry["status"] in ("graded", "missing")
            nb.flagged = not graded
            for grade in nb.grades:
                if isinstance(grade.cell, TaskCell):
                    # A written answer is graded by hand in formgrader, never here:
                    # no auto score, and a regrade keeps the grader's manual score.
                    grade.auto_score = None
                    grade.needs_manual_grade = grade.manual_score is None
                    continue
                score = entry["scores"].get(grade.name, 0.0 if graded else None)
                grade.auto_score = score
                grade.needs_manual_grade = score is None
        gb.db.commit()


def read_timestamp(submission):
    """The submission's timestamp.txt as a datetime, or None."""
    path = submission / "timestamp.txt"
    if not path.exists():
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(path.read_text().strip())
    except Exception:
        return None


def summary_line(assignment, student, record):
    """The report's one-line account of a submission that was not simply graded."""
    lines = []
    for name, nb in record["notebooks"].items():
        if nb["status"] != "graded":
            lines.append(f"{student} / {assignment} / {name}: {nb['status'].upper()}: {nb['reason']}")
        lines += [f"{student} / {assignment} / {name}: {note}" for note in nb["notes"]]
    lines += [f"{student} / {assignment}: {note}" for note in record["notes"]]
    return lines


def now():
    return datetime.now().isoformat(timespec="seconds")
