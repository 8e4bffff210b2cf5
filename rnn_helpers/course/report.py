"""The grade report: a table per student, assignment and function, fault lines, a plot.

Scores come from the course gradebook; statuses and reasons from the
grader's record (results.py). A notebook that failed to grade is shown as
FAILED with its reason and has an empty score in the CSV, never a 0.

Written questions (nbgrader task cells, grade_id q_<name>) have a row each,
kind "written": status NEEDS_MANUAL and an empty score until a grader scores
them in formgrader, then "graded" with the manual score. Functions' rows are
kind "autograded". A submission's total counts the manual points given so far.
"""

import csv

from rnn_helpers.course import results

NEEDS_MANUAL = "needs manual grading"


def function_of(test_id, functions):
    """The function a test cell grades: test_<F>_<part> -> F (longest match)."""
    name = test_id[5:] if test_id.startswith("test_") else test_id
    matches = [f for f in functions if name == f or name.startswith(f + "_")]
    if matches:
        return max(matches, key=len)
    return name.rsplit("_", 1)[0] if "_" in name else name


def gather(paths):
    """Rows {student, assignment, notebook, function, kind, score, max_score,
    status, reason, worker, seconds}: one per graded function (kind
    "autograded") and one per written question (kind "written", function = its
    grade_id); worker and seconds say where the submission's job ran ("local"
    or a Dask worker's address) and how long it took there."""
    from nbgrader.api import Gradebook, MissingEntry

    store = results.load(paths)
    rows = []
    with Gradebook(paths.db_url) as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            record_of = store.get(assignment.name, {})
            students = sorted({s.student.id for s in assignment.submissions} | set(record_of))
            for student in students:
                record = record_of.get(student, {"notebooks": {}, "status": "graded"})
                worker, seconds = record.get("worker", ""), _job_seconds(record)
                for nb in assignment.notebooks:
                    functions = [c.name for c in nb.solution_cells]
                    entry = record["notebooks"].get(nb.name, {})
                    status = entry.get("status", record.get("status", "graded"))
                    try:
                        grades = {
                            g.name: g
                            for g in gb.find_submission_notebook(nb.name, assignment.name, student).grades
                        }
                    except MissingEntry:
                        grades = {}
                    per_function = {}
                    for cell in nb.grade_cells:
                        f = function_of(cell.name, functions)
                        got = grades[cell.name].score if cell.name in grades else None
                        total = per_function.setdefault(f, [0.0, 0.0, True])
                        total[1] += cell.max_score
                        if got is None:
                            total[2] = False
                        else:
                            total[0] += got
                    for f, (score, max_score, known) in per_function.items():
                        ok = known and status != "failed"
                        rows.append(
                            {
                                "student": student,
                                "assignment": assignment.name,
                                "notebook": nb.name,
                                "function": f,
                                "kind": "autograded",
                                "score": score if ok else None,
                                "max_score": max_score,
                                "status": status,
                                "reason": entry.get("reason", ""),
                                "worker": worker,
                                "seconds": seconds,
                            }
                        )
                    for cell in nb.task_cells:
                        grade = grades.get(cell.name)
                        graded = grade is not None and grade.manual_score is not None
                        if status == "missing":
                            state, score = "missing", 0.0
                        elif status == "failed":
                            state, score = "failed", grade.score if graded else None
                        else:
                            state, score = ("graded", grade.score) if graded else (NEEDS_MANUAL, None)
                        rows.append(
                            {
                                "student": student,
                                "assignment": assignment.name,
                                "notebook": nb.name,
                                "function": cell.name,
                                "kind": "written",
                                "score": score,
                                "max_score": cell.max_score,
                                "status": state,
                                "reason": entry.get("reason", "") if state == "failed" else "",
                                "worker": worker,
                                "seconds": seconds,
                            }
                        )
    return rows, store


def _job_seconds(record):
    """Seconds the job took where it ran (a cluster job: on its worker), or None."""
    seconds = record.get("worker_seconds", record.get("seconds"))
    return None if seconds is None else float(seconds)


def write_csv(rows, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = ["student", "assignment", "notebook", "function", "kind", "score", "max_score", "status"]
    fields += ["reason", "worker", "seconds"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            blank = {k: "" for k in ("score", "seconds") if row.get(k) is None}
            writer.writerow({**row, **blank})


def _cell(score, max_score, status):
    if status == "failed":
        return "FAILED"
    if status == NEEDS_MANUAL:
        return f"?/{max_score:g}"
    if score is None:
        return "?"
    return f"{score:g}/{max_score:g}"


def _written(rows):
    """The written column: points given so far over the questions' points, '?' while any waits."""
    given = sum(r["score"] or 0 for r in rows if r["status"] != NEEDS_MANUAL)
    most = sum(r["max_score"] for r in rows)
    if any(r["status"] == "failed" for r in rows):
        return "FAILED"
    if all(r["status"] == NEEDS_MANUAL for r in rows):
        return f"?/{most:g}"
    waiting = any(r["status"] == NEEDS_MANUAL for r in rows)
    return f"{given:g}{'+?' if waiting else ''}/{most:g}"


def table(rows):
    """Printable text: one block per assignment, a line per student (one
    job), ending with the job's time and the worker it ran on. An assignment
    with written questions has a `written` column (`?` until graded by hand)
    and a column per question; its total counts the manual points given so
    far, and the student's status is NEEDS_MANUAL while any answer waits."""
    out = []
    for assignment in sorted({r["assignment"] for r in rows}):
        mine = [r for r in rows if r["assignment"] == assignment]
        functions = list(dict.fromkeys(r["function"] for r in mine))
        asked = any(r["kind"] == "written" for r in mine)
        width = max([len("student")] + [len(r["student"]) for r in mine])
        cols = [max(len(f), 7) for f in functions]
        status_width = len(NEEDS_MANUAL) if asked else 7
        out.append(f"== {assignment}")
        out.append(
            f"{'student':<{width}}  {'total':>9}  "
            + (f"{'written':>9}  " if asked else "")
            + "  ".join(f"{f:>{w}}" for f, w in zip(functions, cols))
            + f"  {'status':<{status_width}}  {'time':>7}  worker"
        )
        for student in sorted({r["student"] for r in mine}):
            by_f = {r["function"]: r for r in mine if r["student"] == student}
            tests = [r for r in by_f.values() if r["kind"] == "autograded"]
            written = [r for r in by_f.values() if r["kind"] == "written"]
            status = tests[0]["status"] if tests else next(iter(by_f.values()))["status"]
            failed = any(r["status"] == "failed" for r in by_f.values())
            if not failed and any(r["status"] == NEEDS_MANUAL for r in written):
                status = NEEDS_MANUAL
            score = sum(r["score"] or 0 for r in by_f.values())
            max_score = sum(r["max_score"] for r in by_f.values())
            total = "FAILED" if failed else f"{score:g}/{max_score:g}"
            first = next(iter(by_f.values()))
            took = "-" if first["seconds"] is None else f"{first['seconds']:.1f} s"
            out.append(
                f"{student:<{width}}  {total:>9}  "
                + (f"{_written(written) if written else '-':>9}  " if asked else "")
                + "  ".join(
                    f"{_cell(by_f[f]['score'], by_f[f]['max_score'], by_f[f]['status']) if f in by_f else '-':>{w}}"  # noqa: E501
                    for f, w in zip(functions, cols)
                )
                + f"  {status:<{status_width}}  {took:>7}  {first['worker'] or '-'}"
            )
    return "\n".join(out)


def manual_lines(rows):
    """One line per submission with written answers still to grade by hand."""
    waiting = {}
    for r in rows:
        if r["kind"] == "written" and r["status"] == NEEDS_MANUAL:
            waiting.setdefault((r["assignment"], r["student"]), []).append(r["function"])
    return [
        f"{student} / {assignment}: {', '.join(names)}"
        for (assignment, student), names in sorted(waiting.items())
    ]


def fault_lines(store):
    """One line per failure, missing notebook, restored cell, limit hit, ..."""
    lines = []
    for assignment in sorted(store):
        for student in sorted(store[assignment]):
            lines += results.summary_line(assignment, student, store[assignment][student])
    return lines


def worker_lines(store):
    """One line per worker: how many jobs ran there and for how long."""
    totals = {}
    for records in store.values():
        for record in records.values():
            seconds = _job_seconds(record)
            if seconds is not None and record.get("worker"):
                count, total = totals.get(record["worker"], (0, 0.0))
                totals[record["worker"]] = (count + 1, total + seconds)
    return [
        f"{worker}: {count} job(s), {total:.1f} s, {total / count:.1f} s each"
        for worker, (count, total) in sorted(totals.items())
    ]


BANDS = [
    ("full marks", "#2a9d4b"),
    ("partial", "#e9c46a"),
    ("zero", "#e76f51"),
    ("failed to grade", "#6c757d"),
    (NEEDS_MANUAL, "#8ecae6"),
]


def _band(row):
    if row["status"] == NEEDS_MANUAL:
        return NEEDS_MANUAL
    if row["status"] == "failed" or row["score"] is None:
        return "failed to grade"
    if row["score"] >= row["max_score"]:
        return "full marks"
    return "zero" if row["score"] <= 0 else "partial"


def plot(rows, path):
    """Stacked bars, one per exercise: how many students got full, partial,
    zero marks or could not be graded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(dict.fromkeys((r["assignment"], r["function"]) for r in rows))
    counts = {k: {b: 0 for b, _ in BANDS} for k in keys}
    for r in rows:
        counts[(r["assignment"], r["function"])][_band(r)] += 1
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(keys) + 1.6))
    left = [0] * len(keys)
    for band, colour in BANDS:
        widths = [counts[k][band] for k in keys]
        ax.barh(range(len(keys)), widths, left=left, color=colour, label=band)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_yticks(range(len(keys)), [f"{a}: {f}" for a, f in keys])
    ax.invert_yaxis()  # notebook order, top to bottom
    ax.set_xlabel("students")
    fig.suptitle("Scores per exercise")
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.96), ncol=len(BANDS), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(paths, out=print):
    """Write grades.csv, scores.png, a Canvas gradebook and nbgrader's CSV under
    build/reports; print the table and the fault lines (with the exchange's:
    late, resubmitted). Returns (rows, fault lines)."""
    from rnn_helpers.course import exchange, gradebook_export

    rows, store = gather(paths)
    write_csv(rows, paths.reports / "grades.csv")
    exported = gradebook_export.export(paths, rows)  # Canvas import file, nbgrader's CSV
    if rows:
        plot(rows, paths.reports / "scores.png")
    faults = fault_lines(store) + exchange.report_lines(paths)  # late, resubmitted, ...
    out(table(rows) if rows else "no graded submissions")
    waiting = manual_lines(rows)
    if waiting:
        out(f"\nWritten answers that need manual grading (formgrader, Manual Grading): {len(waiting)}")
        for line in waiting:
            out("  " + line)
    out("\nFaults and notes:" if faults else "\nNo faults.")
    for line in faults:
        out("  " + line)
    workers = worker_lines(store)
    if workers:
        out("\nJobs per worker:")
        for line in workers:
            out("  " + line)
    out(f"\nwrote {paths.reports / 'grades.csv'}" + (f" and {paths.reports / 'scores.png'}" if rows else ""))
    out("grades out: " + ", ".join(str(p) for p in exported))
    return rows, faults
