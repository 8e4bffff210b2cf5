"""Grades out of the course: a gradebook CSV that Canvas imports, and nbgrader's standard CSV.

    canvas_csv(rows, students, path)  one row per student (by login id), one column per assignment
    nbgrader_csv(paths, path)         `nbgrader export`'s CSV, written by nbgrader's own CsvExportPlugin
    export(paths, rows)               both, under build/reports; returns their paths

The two differ on a notebook that could not be graded: nbgrader's format has
only numbers and counts it 0; the Canvas file leaves the cell empty (no grade
yet), like the grade report, which gives the reason.
"""

import csv

CANVAS_NAME = "canvas_gradebook.csv"
NBGRADER_NAME = "nbgrader_grades.csv"
# The identity columns of a Canvas gradebook export; Canvas matches students on
# import by any of ID, SIS User ID or SIS Login ID, and needs Section present.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def totals(rows):
    """{(student, assignment): score or None} and {assignment: max score} from report rows.

    A submission with a notebook that failed to grade has None, never a sum of
    the rest: its total is not known.
    """
    scores, maxima, failed = {}, {}, set()
    for r in rows:
        key = (r["student"], r["assignment"])
        if r["status"] == "failed" or r["score"] is None:
            failed.add(key)
        scores[key] = scores.get(key, 0.0) + (r["score"] or 0.0)
    for a in {r["assignment"] for r in rows}:
        # every student's rows of an assignment carry the same cells: take one student's
        student = next(r["student"] for r in rows if r["assignment"] == a)
        maxima[a] = sum(r["max_score"] for r in rows if r["assignment"] == a and r["student"] == student)
    return {k: (None if k in failed else v) for k, v in scores.items()}, maxima


def canvas_csv(rows, students, path, assignments=None, section=""):
    """Write a Canvas gradebook import file.

    students: {login id: display name ("Last, First" or the id)}; a student who
    handed nothing in for an assignment has an empty cell there. assignments:
    column order (default: sorted). The row after the header is Canvas's
    "Points Possible".
    """
    scores, maxima = totals(rows)
    names = assignments or sorted(maxima)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CANVAS_COLUMNS + names)
        w.writerow(["Points Possible", "", "", "", ""] + [_number(maxima.get(a)) for a in names])
        for login in sorted(students):
            w.writerow(
                [students[login], "", "", login, section] + [_number(scores.get((login, a))) for a in names]
            )
    return path


def _number(x):
    return "" if x is None else f"{x:g}"


def nbgrader_csv(paths, path):
    """nbgrader's standard CSV (assignment, duedate, timestamp, student_id, ...,
    raw_score, late_submission_penalty, score, max_score), written by
    nbgrader's own CsvExportPlugin from the course gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    path.parent.mkdir(parents=True, exist_ok=True)
    with Gradebook(paths.db_url) as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    return path


def _students(paths):
    """{login id: display name} of every student in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(paths.db_url) as gb:
        return {
            s.id: f"{s.last_name}, {s.first_name}" if s.last_name and s.first_name else s.id
            for s in gb.students
        }


def export(paths, rows):
    """Write both files under build/reports; return their paths."""
    canvas = canvas_csv(rows, _students(paths), paths.reports / CANVAS_NAME)
    return [canvas, nbgrader_csv(paths, paths.reports / NBGRADER_NAME)]
