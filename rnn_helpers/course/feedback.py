"""Per-student HTML feedback.

nbgrader's generate_feedback turns each autograded notebook into HTML with
the scores from the course gradebook (the grader's merged scores). A notebook
that could not be graded has no autograded copy; its feedback page says why.
"""
import html

from rnn_helpers.course import results
from rnn_helpers.course.nbgrader_cli import nbgrader


def feedback(paths, students=None, assignments=None):
    """Write build/feedback/<student>/<assignment>/<notebook>.html; return the paths."""
    store = results.load(paths)
    names = assignments or sorted(store)
    for assignment in names:
        graded = sorted(p.name for p in (paths.autograded).glob(f"*/{assignment}")
                        if any(p.glob("*.ipynb")) and (not students or p.parent.name in students))
        if graded:
            args = ["generate_feedback", assignment, "--force"]
            if students and len(students) == 1:
                args += ["--student", students[0]]
            nbgrader(paths, *args)
        for student, record in store.get(assignment, {}).items():
            if students and student not in students:
                continue
            for name, entry in record["notebooks"].items():
                if entry["status"] != "graded":
                    _explain(paths.feedback / student / assignment / f"{name}.html",
                             assignment, name, entry)
    return sorted(paths.feedback.glob("*/*/*.html"))


def _explain(path, assignment, name, entry):
    """A short page for a notebook with no autograded copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    word = "was not submitted" if entry["status"] == "missing" else "could not be graded"
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title>"
        f"</head><body><h1>{html.escape(assignment)} / {html.escape(name)}</h1>"
        f"<p>This notebook {word}: {html.escape(entry['reason'])}</p>"
        "<p>Ask your instructor to look at it.</p></body></html>")
