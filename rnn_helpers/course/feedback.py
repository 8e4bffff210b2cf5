"""Per-student HTML feedback.

nbgrader's generate_feedback turns each autograded notebook into HTML with
the scores from the course gradebook (the grader's merged scores). A notebook
that could not be graded has no autograded copy; its feedback page says why.

Every page opens with a summary: one row per function with its points, its
status (full, partial, 0, or failed to grade) and the diagnosis, the known
mistake a failing test cell named ("Your output matches a known mistake:
...", rnn_helpers/grading/diagnosis.py), read from the cell's error output in
the autograded notebook; then one row per written question, "to be graded by
hand" until a grader scores it in formgrader (feedback generated after that
shows its points). The mark scheme is not in the pages: the course config
runs ClearTaskMarkScheme in generate_feedback (preprocessors.feedback_preprocessors).
"""

import html
import re

import nbformat

from rnn_helpers.course import report, results
from rnn_helpers.course.nbgrader_cli import nbgrader
from rnn_helpers.grading.diagnosis import MARKER

SUMMARY_ID = "rnn-course-summary"
# The colour of each status in the summary (the grade report's bands).
STATUS_COLOURS = {
    "full": "#2a9d4b",
    "partial": "#e9c46a",
    "0": "#e76f51",
    "failed to grade": "#6c757d",
    "to be graded by hand": "#219ebc",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks


def feedback(paths, students=None, assignments=None):
    """Write build/feedback/<student>/<assignment>/<notebook>.html; return the paths."""
    store = results.load(paths)
    names = assignments or sorted(store)
    for assignment in names:
        graded = sorted(
            p.name
            for p in (paths.autograded).glob(f"*/{assignment}")
            if any(p.glob("*.ipynb")) and (not students or p.parent.name in students)
        )
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
                    _explain(paths.feedback / student / assignment / f"{name}.html", assignment, name, entry)
    _add_summaries(paths, students, names)
    return sorted(paths.feedback.glob("*/*/*.html"))


def status_of(score, max_score, failed=False, by_hand=False):
    """'full', 'partial', '0', 'failed to grade' or (a written answer not yet
    graded, by_hand) 'to be graded by hand' for a function's or question's points."""
    if by_hand:
        return "to be graded by hand"
    if failed or score is None:
        return "failed to grade"
    if score >= max_score:
        return "full"
    return "partial" if score > 0 else "0"


def diagnoses(nb, functions):
    """{function: [diagnosis, ...]} named in the error outputs of the notebook's test cells.

    nb: an autograded notebook (nbformat); functions: the notebook's solution
    cell grade_ids. A test cell test_<F>_<part> belongs to F (report.function_of).
    """
    found = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not gid or not gid.startswith("test_"):
            continue
        outputs = cell.get("outputs", [])
        if not any(o.get("output_type") == "error" for o in outputs):
            continue  # a passing cell names nothing
        # Hidden checks put the diagnosis in the error; visible tests print it above it.
        text = "\n".join(
            "\n".join([o.get("evalue", ""), *o.get("traceback", [])])
            if o.get("output_type") == "error"
            else o.get("text", "")
            for o in outputs
            if o.get("output_type") in ("error", "stream")
        )
        for line in _ANSI.sub("", text).splitlines():
            if MARKER in line:
                why = line.split(MARKER, 1)[1].strip()
                names = found.setdefault(report.function_of(gid, functions), [])
                if why and why not in names:
                    names.append(why)
    return found


def summary_html(rows, named):
    """The summary table: rows [{function, score, max_score, status, kind}] (report.gather's;
    kind "written" for a question), named {function: [diagnosis]}."""
    body = []
    for row in rows:
        by_hand = row["status"] == report.NEEDS_MANUAL
        status = status_of(row["score"], row["max_score"], row["status"] == "failed", by_hand)
        if status == "failed to grade":
            points = ""
        elif by_hand:
            points = f"? / {row['max_score']:g}"
        else:
            points = f"{row['score']:g} / {row['max_score']:g}"
        why = "<br>".join(html.escape(w) for w in named.get(row["function"], []))
        body.append(
            f"<tr><td><code>{html.escape(row['function'])}</code></td><td>{points}</td>"
            f"<td style='color:{STATUS_COLOURS[status]};font-weight:bold'>{status}</td><td>{why}</td></tr>"
        )
    return (
        f"<div id='{SUMMARY_ID}' style='margin:1em;font-family:sans-serif'>"
        "<h2>Summary</h2><table style='border-collapse:collapse' border='1' cellpadding='4'>"
        "<tr><th>function or question</th><th>points</th><th>status</th><th>diagnosis</th></tr>"
        + "".join(body)
        + "</table></div>"
    )


def insert_summary(page, summary):
    """`page` (HTML text) with `summary` right after its <body> tag, replacing an earlier summary."""
    page = re.sub(rf"<div id='{SUMMARY_ID}'.*?</table></div>", "", page, flags=re.S)
    match = re.search(r"<body[^>]*>", page)
    at = match.end() if match else 0
    return page[:at] + summary + page[at:]


def _add_summaries(paths, students, assignments):
    """Open every feedback page of these students and assignments with its summary table."""
    rows, _ = report.gather(paths)
    pages = {}
    for row in rows:
        if row["assignment"] in assignments and (not students or row["student"] in students):
            pages.setdefault((row["student"], row["assignment"], row["notebook"]), []).append(row)
    for (student, assignment, name), mine in pages.items():
        page = paths.feedback / student / assignment / f"{name}.html"
        if not page.exists():
            continue
        graded = paths.autograded / student / assignment / f"{name}.ipynb"
        named = {}
        if graded.exists():
            nb = nbformat.read(graded, as_version=4)
            functions = [
                c.metadata["nbgrader"]["grade_id"]
                for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("solution")
            ]
            named = diagnoses(nb, functions or [r["function"] for r in mine])
        page.write_text(insert_summary(page.read_text(), summary_html(mine, named)))


def _explain(path, assignment, name, entry):
    """A short page for a notebook with no autograded copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    word = "was not submitted" if entry["status"] == "missing" else "could not be graded"
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title>"
        f"</head><body><h1>{html.escape(assignment)} / {html.escape(name)}</h1>"
        f"<p>This notebook {word}: {html.escape(entry['reason'])}</p>"
        "<p>Ask your instructor to look at it.</p></body></html>"
    )
