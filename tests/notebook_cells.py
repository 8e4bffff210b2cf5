"""Run a solution notebook's cells in a plain namespace, with some solution cells replaced.

For fast tests of the grading library: the code cells an nbgrader run would
execute before the test cells (the imports, given code and solution cells,
not demonstrations) are executed in a dict, as a kernel would, and the hidden
checks of the test cells (the `grading.check(...)` lines between the HIDDEN
TESTS delimiters) are run on it. Cell code is compiled with a file name of
the form "<cell grade_id>", so the delegation tracer takes it for the
student's. Real nbgrader runs are in tests/test_catalogue.py.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def notebook(assignment):
    """The solution notebook of `assignment` ("01_rnn_forward") as JSON."""
    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text())


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def setup_cells(assignment):
    """[(grade_id, source)] of the code cells run before grading: imports, given code, solutions."""
    found = []
    for cell in notebook(assignment)["cells"]:
        meta = _meta(cell)
        if cell["cell_type"] != "code" or not meta or meta.get("grade"):
            continue  # demonstrations (no nbgrader metadata) and test cells
        found.append((meta.get("grade_id"), "".join(cell["source"])))
    return found


def solution_ids(assignment):
    """grade_ids of the solution cells that test cells grade (the functions students write)."""
    ids = [_meta(c)["grade_id"] for c in notebook(assignment)["cells"] if _meta(c).get("solution")]
    tested = {function_of(gid, ids) for gid in hidden_checks(assignment)}
    return [gid for gid in ids if gid in tested]


def hidden_checks(assignment):
    """{test grade_id: source of its hidden part} for every test cell with hidden checks."""
    found = {}
    for cell in notebook(assignment)["cells"]:
        meta = _meta(cell)
        match = HIDDEN.search("".join(cell["source"]))
        if meta.get("grade") and match:
            found[meta["grade_id"]] = match.group(1)
    return found


def namespace(assignment, replace=None):
    """A namespace holding the notebook's setup cells, `replace` {grade_id: source} swapped in."""
    replace = replace or {}
    space = {"__name__": "__main__"}
    for gid, source in setup_cells(assignment):
        source = replace.get(gid, source)
        exec(compile(source, f"<cell {gid}>", "exec"), space)
    return space


def grade(assignment, space, only=None):
    """{test grade_id: None when its hidden checks pass, else the error} for the notebook's test cells.

    only: a predicate on the grade_id, to run some cells only.
    """
    results = {}
    for gid, source in hidden_checks(assignment).items():
        if only is not None and not only(gid):
            continue
        try:
            exec(compile(source, f"<cell {gid}>", "exec"), space)
        except Exception as error:  # a failed check, or the student's own exception
            results[gid] = error
        else:
            results[gid] = None
    return results


def function_of(test_id, functions):
    """The function a test cell grades: test_<F>_<part> -> F (the longest F that fits)."""
    name = test_id[5:]
    return max((f for f in functions if name == f or name.startswith(f + "_")), key=len, default=None)
