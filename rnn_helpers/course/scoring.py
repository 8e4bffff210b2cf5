"""Scores computed by the grader, not taken from files the kernel could write.

The kernel runs inside the job folder and could overwrite the temporary
gradebook or leave a process behind to rewrite the autograded notebook. So the
grader (1) reads each graded cell of the autograded notebook, (2) checks that
every test cell's source is exactly the gradebook's, (3) scores it with
nbgrader's own rule (error or stderr: 0; partial credit from a numeric result;
otherwise full marks) using the gradebook's points, and (4) checks that the
temporary gradebook agrees. Any mismatch fails the notebook. The rule is
nbgrader's unchanged: the autograde chain turned stderr in test cells into
stdout before the gradebook was written (StderrAsStdout in preprocessors.py),
so here as there only errors score 0, and a stderr stream that appeared in a
test cell after grading makes the two disagree.
"""

import copy

import nbformat


def notebook_spec(db_url, assignment):
    """{notebook: {"grades": {grade_id: max points}, "tests": {grade_id: source},
    "solutions": [grade_id], "tasks": {grade_id: source}}} from a gradebook (the
    template); "tasks" are the written questions, which are never auto-scored."""
    from nbgrader.api import Gradebook

    spec = {}
    with Gradebook(db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            spec[nb.name] = {
                "grades": {g.name: g.max_score for g in nb.grade_cells},
                "tests": {
                    s.name: s.source
                    for s in nb.source_cells
                    if s.locked and s.name in {g.name for g in nb.grade_cells}
                },
                "solutions": [s.name for s in nb.solution_cells],
                # written questions: graded by hand, their cells restored with the mark scheme
                "tasks": {
                    s.name: s.source for s in nb.source_cells if s.name in {t.name for t in nb.task_cells}
                },
            }
    return spec


def score_notebook(path, spec):
    """({grade_id: score}, problems, notes) for one autograded notebook."""
    from nbgrader import utils

    nb = nbformat.read(path, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    scores, problems = {}, []
    for gid, points in spec["grades"].items():
        cell = cells.get(gid)
        if cell is None:
            problems.append(f"graded cell {gid} missing from the autograded notebook")
            continue
        if gid in spec["tests"] and not _is_restored(cell.source, spec["tests"][gid]):
            problems.append(f"test cell {gid} differs from the gradebook after grading")
            continue
        cell = copy.deepcopy(cell)
        cell.metadata.nbgrader["points"] = points
        scores[gid] = utils.determine_grade(cell)[0]
    for gid, source in spec.get("tasks", {}).items():
        # nbgrader puts the locked question back (mark scheme included) for the grader
        cell = cells.get(gid)
        if cell is None or not cell.source.endswith(source):  # after nbgrader's note, when re-added
            problems.append(f"question cell {gid} differs from the gradebook after grading")
    return scores, problems, execution_notes(nb)


def _is_restored(got, want):
    """The gradebook's test source, possibly after nbgrader's comment saying
    it put a deleted cell back."""
    if got == want:
        return True
    prefix = got[: len(got) - len(want)]
    return got.endswith(want) and all(
        line.lstrip().startswith("#") for line in prefix.splitlines() if line.strip()
    )


def execution_notes(nb):
    """Readable notes on cells that hit a limit while running."""
    notes = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        where = meta.get("grade_id") or f"cell {index}"
        zero = " (0 for it)" if meta.get("grade") else ""
        enames = {o.get("ename") for o in cell.outputs if o.output_type == "error"}
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if "CellTimeoutError" in enames:
            notes.append(f"{where}: ran past the cell time limit, interrupted{zero}")
        if "MemoryError" in enames:
            notes.append(f"{where}: hit the kernel memory limit (MemoryError)")
        if "output truncated" in text or "Output truncated" in text or "output limit" in text:
            notes.append(f"{where}: huge output truncated")
    return notes


def temp_gradebook_scores(db_url, assignment, student, notebook):
    """{grade_id: auto_score} as nbgrader recorded them in the job's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission_notebook(notebook, assignment, student)
        return {g.name: g.auto_score for g in sub.grades}


def failure_reason(log, cell_timeout):
    """One line saying why nbgrader could not grade a notebook."""
    if "DeadKernelError" in log or "Kernel died" in log:
        return "kernel died while running the notebook (crash, os._exit or killed)"
    if "Timeout waiting for IOPub" in log or "UnresponsiveKernel" in log or "Timeout waiting" in log:
        return (
            f"a cell ran past the {cell_timeout} s cell limit and ignored the interrupt "
            "(does it catch KeyboardInterrupt?)"
        )
    lines = [l for l in log.splitlines() if l.strip() and not l.startswith("[INFO]")]
    return "nbgrader failed: " + (lines[-1][:200] if lines else "no log")
