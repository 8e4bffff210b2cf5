"""Sample submissions: the honest ones, a catalogued bug and every fault.

Each maker takes the released notebook and the source notebook of one
assignment and returns the notebook a student would hand in (or, for the
folder-level faults, writes the submission folder itself). Used by the demo,
the benchmark and the tests.
"""

import copy
import importlib
import re

import nbformat

from rnn_helpers.course.tiny import TINY
from rnn_helpers.grading import catalogue
from rnn_helpers.grading.catalogue import Entry


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def solution_ids(nb):
    return [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("solution")]


def test_ids(nb):
    return [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade") and not _meta(c).get("solution")]


def answered(release, source, only=None):
    """The release with the source's solution cells filled in (all, or `only`)."""
    nb = copy.deepcopy(release)
    answers = {_meta(c).get("grade_id"): c.source for c in source.cells if _meta(c).get("solution")}
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in answers and (only is None or gid in only):
            cell.source = answers[gid]
    return nb


def full(release, source):
    """Every function answered with the instructor's solution."""
    return answered(release, source)


def partial(release, source):
    """The first half of the functions answered (at least one)."""
    ids = solution_ids(release)
    return answered(release, source, only=set(ids[: max(1, len(ids) // 2)]))


def blank(release, source):
    """The release handed in unchanged."""
    return copy.deepcopy(release)


def _edit_solution(nb, grade_id, edit):
    for cell in nb.cells:
        if _meta(cell).get("grade_id") == grade_id:
            cell.source = edit(cell.source)
            return nb
    raise KeyError(grade_id)


def _in_body(code):
    """Edit that puts `code` first in the solution block (the function body)."""

    def edit(source):
        match = re.search(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n", source, re.M)
        indent = match.group(1)
        body = "".join(indent + line + "\n" for line in code.splitlines())
        return source[: match.end()] + body + source[match.end() :]

    return edit


# The buggy sample's mistake, per assignment topic (the assignment's name
# without its number): the (function, label) of one BUGS entry of
# rnn_helpers/grading/catalogue/<topic>.py. tests/test_catalogue.py proves that
# each catalogued bug loses points in its own function, so the demo report shows
# it there. Each is a mistake students often make in a function every later
# part of the assignment builds on.
DEMO_BUGS = {
    "rnn_forward": ("rnn_step_forward", "ReLU instead of tanh"),
    "bptt": ("rnn_step_backward", "tanh derivative missing"),
    "lstm_gru": ("lstm_step_forward", "missing tanh on c in h: h = o * c"),
    "attention": ("dot_product_attention", "scores not scaled"),
}

# The tiny built-in assignment (course/tiny.py) is no course assignment and has
# no catalogue; its bug loses the hidden test's 2 points and keeps the visible 1.
TINY_BUG = Entry(
    "add_one",
    "adds one only where x is positive",
    "def add_one(x):\n    x = np.asarray(x)\n    return np.where(x > 0, x + 1, x)\n",
)


def topic_of(assignment):
    """The catalogue topic of an assignment: 01_rnn_forward -> rnn_forward."""
    number, _, topic = assignment.partition("_")
    return topic if number.isdigit() and topic else assignment


def demo_bug(assignment):
    """The catalogue entry the buggy sample hands in for `assignment`.

    Raises LookupError when none is chosen or the chosen entry left the catalogue.
    """
    if assignment == TINY:
        return TINY_BUG
    topic = topic_of(assignment)
    if topic not in DEMO_BUGS:
        raise LookupError(
            f"no demo bug chosen for {assignment}: add a (function, label) of one BUGS entry "
            f"of rnn_helpers/grading/catalogue/{topic}.py to DEMO_BUGS in {__name__}"
        )
    function, label = DEMO_BUGS[topic]
    bugs = importlib.import_module(f"{catalogue.__name__}.{topic}").BUGS
    for entry in bugs:
        if (entry.function, entry.label) == (function, label):
            return entry
    raise LookupError(
        f"the demo bug of {assignment} ({function}: {label!r}) is no longer in "
        f"rnn_helpers/grading/catalogue/{topic}.py: choose another of its BUGS in DEMO_BUGS"
    )


def buggy(release, source, assignment):
    """A full solution with one catalogued bug; returns (notebook, description)."""
    entry = demo_bug(assignment)
    nb = full(release, source)
    cell = next((c for c in nb.cells if _meta(c).get("grade_id") == entry.function), None)
    if cell is None or not _meta(cell).get("solution"):
        raise LookupError(f"{assignment} has no solution cell {entry.function!r} for its demo bug")
    cell.source = entry.source
    return nb, f"{entry.function}: {entry.label}"


def infinite_loop(release, source):
    """The last function never returns; the others are right."""
    return _edit_solution(full(release, source), solution_ids(release)[-1], _in_body("while True:\n    pass"))


def swallows_interrupt(release, source):
    """The last function loops and catches KeyboardInterrupt: no interrupt stops it."""
    loop = (
        "while True:\n    try:\n        __import__('time').sleep(0.05)\n"
        "    except KeyboardInterrupt:\n        pass"
    )
    return _edit_solution(full(release, source), solution_ids(release)[-1], _in_body(loop))


def kills_kernel(release, source):
    """The first solution cell kills its own kernel at top level."""
    return _edit_solution(
        full(release, source),
        solution_ids(release)[0],
        lambda s: s + "\nimport os\nos.kill(os.getpid(), 9)\n",
    )


def memory_hog(release, source):
    """The last function allocates 4 GiB when called (past the kernel's limit)."""
    return _edit_solution(
        full(release, source), solution_ids(release)[-1], _in_body("_hog = __import__('numpy').ones(2**29)")
    )


def huge_output(release, source):
    """Right answers, but the first solution cell prints 10 M characters."""
    return _edit_solution(
        full(release, source),
        solution_ids(release)[0],
        lambda s: s + "\nprint('x' * 10**7)\nfor _i in range(10**5):\n    print(_i)\n",
    )


def deletes_test(release, source):
    """Right answers with the first test cell deleted."""
    nb = full(release, source)
    first = test_ids(nb)[0]
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") != first]
    return nb


def edits_test(release, source):
    """No answers, and every test cell replaced by `assert True`."""
    nb = blank(release, source)
    for cell in nb.cells:
        if _meta(cell).get("grade") and not _meta(cell).get("solution"):
            cell.source = "assert True"
    return nb


def changes_points(release, source):
    """The first answer only, and the first test cell claims 100 points."""
    nb = answered(release, source, only={solution_ids(release)[0]})
    for cell in nb.cells:
        if _meta(cell).get("grade_id") == test_ids(nb)[0]:
            cell.metadata.nbgrader["points"] = 100
    return nb


CHEAT = """
import os as _os, sqlite3 as _sq, glob as _glob, sys as _sys
_found = []
_here = _os.getcwd()
while True:  # walk up looking for instructor files and gradebooks
    _found += _glob.glob(_os.path.join(_here, "solutions", "*", "*.ipynb"))
    for _db in _glob.glob(_os.path.join(_here, "*.db")):
        try:  # try to give ourselves full marks
            _c = _sq.connect(_db); _c.execute("UPDATE grade_cells SET max_score = 0"); _c.commit()
        except Exception:
            pass
    if _os.path.dirname(_here) == _here:
        break
    _here = _os.path.dirname(_here)
print("instructor files found:", len(_found), "cwd:", _os.getcwd())
for _nb in _found:  # run the instructor's solutions if any were found
    import json as _json
    for _cell in _json.load(open(_nb))["cells"]:
        if _cell["cell_type"] == "code":
            try:
                exec("".join(_cell["source"]), globals())
            except Exception:
                pass
if _os.fork() == 0:  # a daemon that waits for grading to end and rewrites results
    _os.setsid()
    if _os.fork() == 0:
        import time as _t
        for _ in range(600):
            _t.sleep(0.05)
            for _db in _glob.glob(_os.path.join(_os.getcwd(), "..", "..", "..", "*.db")):
                try:
                    _c = _sq.connect(_db)
                    _c.execute("UPDATE grade SET auto_score = 99")
                    _c.commit()
                except Exception:
                    pass
    _os._exit(0)
"""


def cheats(release, source):
    """No answers; reads instructor files it can find and tampers with gradebooks."""
    nb = blank(release, source)
    first = solution_ids(nb)[0]
    return _edit_solution(nb, first, lambda s: s + "\n" + CHEAT)


def slow(release, source, seconds=4, cells=6):
    """Right answers, then `cells` extra cells that each sleep `seconds`:
    every cell is under the cell limit, the notebook is not under its limit."""
    nb = full(release, source)
    nb.cells += [nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})") for _ in range(cells)]
    return nb


def write(nb, folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def invalid_json(folder, name, release, source):
    """A notebook file cut in half: not valid JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(full(release, source))
    (folder / f"{name}.ipynb").write_text(text[: len(text) // 2])


def renamed(folder, name, release, source):
    """A full notebook saved under another name."""
    write(full(release, source), folder, f"{name} (1)")


def missing(folder, name, release, source):
    """A submission folder with no notebook in it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("I could not finish.\n")


def extra(folder, name, release, source):
    """A full notebook plus a scratch notebook nobody asked for."""
    write(full(release, source), folder, name)
    write(blank(release, source), folder, "scratch")


# name: (maker, whether it writes the folder itself)
NOTEBOOK_FAULTS = {
    "loops-forever": infinite_loop,
    "swallows-interrupt": swallows_interrupt,
    "kills-kernel": kills_kernel,
    "memory-hog": memory_hog,
    "huge-output": huge_output,
    "deletes-test": deletes_test,
    "edits-test": edits_test,
    "changes-points": changes_points,
    "cheats": cheats,
    "too-slow": slow,
}
FOLDER_FAULTS = {
    "invalid-json": invalid_json,
    "renamed-notebook": renamed,
    "missing-notebook": missing,
    "extra-notebook": extra,
}


def write_submission(submitted, student, assignment, maker, release, source):
    """Write build/submitted/<student>/<assignment>/ for one sample."""
    folder = submitted / student / assignment
    name = assignment
    if maker in FOLDER_FAULTS.values():
        maker(folder, name, release, source)
    else:
        write(maker(release, source), folder, name)
    return folder
