"""Grade every catalogued bug and correct variant with real `nbgrader autograde`.

For each assignment that has a catalogue (rnn_helpers/grading/catalogue/<topic>.py
and solutions/NN_<topic>/NN_<topic>.ipynb), one submission is built per entry:
the solution notebook with the solution cell whose grade_id is the entry's
function replaced by the entry's source. Two controls join them: the solution
itself and the blank release. All of them are graded in one nbgrader run in a
temporary course, and the gradebook is read back:

- the solution gets full marks, the blank release scores 0 in every test cell;
- every bug loses points in at least one test cell of its function
  (grade_id starting with "test_<function>") and in no hidden test cell of
  another function: one bug costs one function (rnn_helpers/grading/
  composition.py). Visible test cells run the student's own composition, so
  a callee's bug still shows in a caller's visible cell, but visible cells
  are worth 0 points: a bug that costs points in any cell of another
  function fails the run;
- at least 90 % of the bugs are named with their own explanation: a failed
  test cell of the function says "Your output matches a known mistake:
  <the entry's why>" in the autograded notebook (grading/diagnosis.py);
- every correct variant gets full marks and no diagnosis anywhere.

Per assignment it prints the bugs caught, caught only in their own function,
named correctly, and the variants at full marks (run pytest with -s to see
it, or run this file as a script: python tests/test_catalogue.py [topic ...]).
"""

import copy
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from rnn_helpers.course.feedback import diagnoses
from rnn_helpers.grading import catalogue as catalogues
from rnn_helpers.notebook import FAST_VAR

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CATALOGUE_DIR = Path(catalogues.__file__).parent


def assignments():
    """(topic, assignment) for every catalogue module with a matching solution notebook."""
    found = []
    for module in sorted(CATALOGUE_DIR.glob("*.py")):
        topic = module.stem
        if topic.startswith("_"):
            continue
        matches = sorted((ROOT / "solutions").glob(f"[0-9][0-9]_{topic}"))
        if matches:
            found.append((topic, matches[0].name))
    return found


def _set_cell(nb, grade_id, source):
    """Replace the source of the solution cell whose nbgrader grade_id is grade_id."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == grade_id:
            if not meta.get("solution"):
                raise ValueError(f"cell {grade_id!r} is not a solution cell")
            cell.source = source
            return
    raise ValueError(f"no solution cell with grade_id {grade_id!r}")


def _without_demos(nb):
    """Drop plain code cells (no nbgrader metadata: demonstrations, training, plots).

    They earn no points and nbgrader does not restore them, so a student may
    delete them too; leaving them out makes each submission grade in about
    half the time without changing any score.
    """
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "nbgrader" in c.metadata]
    return nb


def _config(course):
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.root = '.'\n"
        "c.CourseDirectory.db_url = 'sqlite:///gradebook.db'\n"
        "c.Execute.timeout = 120\n"
        # Two graders share two cores: a kernel can take over the default 60 s to answer.
        "c.Execute.startup_timeout = 180\n"
        # Test cells are restored from the gradebook; a deleted one still counts.
        "c.OverwriteCells.add_missing_cells = True\n"
    )


def _env():
    return dict(
        os.environ,
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **{FAST_VAR: "1"},
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )


def _nbgrader(args, cwd):
    """Start `nbgrader ARGS` in the course folder cwd; returns the Popen."""
    return subprocess.Popen(
        [str(VENV_BIN / "nbgrader"), *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc, what):
    _, err = proc.communicate()
    # nbgrader logs the traceback of a failed student early and a summary at the end: show both.
    lines = err.splitlines()
    first = next((i for i, line in enumerate(lines) if "Traceback" in line or "ERROR" in line), len(lines))
    head = "\n".join(lines[max(0, first - 5) : first + 60])
    assert proc.returncode == 0, f"{what} failed:\n{head}\n...\n{err[-1500:]}"


def _course(folder, src_nb, assignment):
    """A fresh nbgrader course in folder with the assignment generated (gradebook included)."""
    folder.mkdir(parents=True)
    _config(folder)
    (folder / "source" / assignment).mkdir(parents=True)
    shutil.copy(src_nb, folder / "source" / assignment)
    _wait(_nbgrader(["generate_assignment", assignment, "--force"], folder), "generate_assignment")


def grade_catalogue(topic, assignment, workdir, jobs=None):
    """Build and autograde every submission; return (entries, scores, named).

    The submissions are spread over `jobs` course folders (default: the
    CATALOGUE_JOBS environment variable, else 2) graded by concurrent
    `nbgrader autograde` runs, one per folder.

    scores: student id -> {test grade_id: (score, max_score)}; entries:
    student id -> ("bug" | "variant" | "control", Entry or None); named:
    student id -> {function: [diagnoses its failed test cells gave]}.
    """
    jobs = jobs or int(os.environ.get("CATALOGUE_JOBS", "2"))
    catalogue = importlib.import_module(f"{catalogues.__name__}.{topic}")
    src_nb = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    courses = [Path(workdir) / f"course{k}" for k in range(jobs)]
    for course in courses:
        _course(course, src_nb, assignment)

    solution = _without_demos(nbformat.read(src_nb, as_version=4))
    release = nbformat.read(courses[0] / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    entries = {"solution": ("control", None), "blank": ("control", None)}
    notebooks = {"solution": solution, "blank": release}
    for kind, items in (("bug", catalogue.BUGS), ("variant", catalogue.VARIANTS)):
        for i, entry in enumerate(items):
            student = f"{kind}{i:03d}"
            nb = copy.deepcopy(solution)
            _set_cell(nb, entry.function, entry.source)
            entries[student], notebooks[student] = (kind, entry), nb
    where = {}
    for k, (student, nb) in enumerate(notebooks.items()):
        where[student] = courses[k % jobs]
        folder = where[student] / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")

    running = [_nbgrader(["autograde", assignment, "--force"], course) for course in courses]
    for proc in running:
        _wait(proc, "autograde")

    from nbgrader.api import Gradebook

    scores = {}
    for course in courses:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for student in [s for s, c in where.items() if c == course]:
                sub = gb.find_submission_notebook(assignment, assignment, student)
                scores[student] = {
                    g.name: (g.score, g.max_score) for g in sub.grades if g.name.startswith("test_")
                }
    functions = [
        c.metadata["nbgrader"]["grade_id"]
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    ]
    named = {}
    for student, course in where.items():
        graded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(graded, as_version=4) if graded.exists() else nbformat.v4.new_notebook()
        named[student] = diagnoses(nb, functions)
    return entries, scores, named


def hidden_cells(assignment):
    """grade_ids of the test cells with hidden checks (the ones that lend callees their twins)."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and "### BEGIN HIDDEN TESTS" in c.source
    }


def _lost(scores, function, functions):
    """Test cells of `function` that did not get full marks (test_masked_softmax_backward_*
    belongs to masked_softmax_backward, not to masked_softmax: _owner)."""
    return [
        gid
        for gid, (score, mx) in scores.items()
        if _owner(gid, functions) == function and (score is None or score < mx)
    ]


def _owner(gid, functions):
    """The function a test cell grades: test_<F>_<part> -> F (the longest F that fits)."""
    name = gid[len("test_") :]
    return max((f for f in functions if name == f or name.startswith(f + "_")), key=len, default=None)


def evaluate(topic, assignment, entries, scores, named=None, hidden=None):
    """Return (report lines, list of failure messages).

    named: student -> {function: [diagnoses]} (grade_catalogue); hidden: the
    grade_ids of test cells with hidden checks (hidden_cells). A bug's points
    lost in any cell of another function fail the run (visible cells are
    worth 0 points, so a caller's failing visible cell costs nothing).
    """
    named = named or {}
    hidden = set(scores["solution"]) if hidden is None else hidden
    failures, lines = [], []
    full = {gid: mx for gid, (_, mx) in scores["solution"].items()}
    wrong = [gid for gid, (s, mx) in scores["solution"].items() if s is None or s < mx]
    if wrong:
        failures.append(f"the solution loses points in {wrong}")
    passed_blank = [gid for gid, (s, _) in scores["blank"].items() if s is None or s > 0]
    if passed_blank:
        failures.append(f"the blank release scores points in {passed_blank}")
    functions = sorted({e.function for kind, e in entries.values() if e is not None})

    caught_by_fn, total_by_fn, alone_by_fn, named_by_fn = {}, {}, {}, {}
    variants_full = n_variants = 0
    for student, (kind, entry) in entries.items():
        if kind == "control":
            continue
        sc = scores[student]
        total = sum(s or 0 for s, _ in sc.values())
        lost_all = [gid for gid, (s, mx) in sc.items() if s is None or s < mx]
        whys = named.get(student, {})
        if kind == "bug":
            fn = entry.function
            total_by_fn[fn] = total_by_fn.get(fn, 0) + 1
            lost = _lost(sc, fn, functions)
            elsewhere = [gid for gid in lost_all if _owner(gid, functions) != fn]
            leaks = elsewhere
            name_ok = whys.get(fn, []) == [entry.why] and not any(
                w for f, ws in whys.items() if f != fn for w in ws
            )
            if lost:
                caught_by_fn[fn] = caught_by_fn.get(fn, 0) + 1
            else:
                failures.append(f"bug not caught: {fn}: {entry.label}")
            if lost and not elsewhere:
                alone_by_fn[fn] = alone_by_fn.get(fn, 0) + 1
            if leaks:
                failures.append(f"bug costs another function's points: {fn}: {entry.label}: {leaks}")
            if name_ok:
                named_by_fn[fn] = named_by_fn.get(fn, 0) + 1
            lines.append(
                f"  {'caught' if lost else 'MISSED':7s} {'named' if name_ok else 'UNNAMED':7s} {fn}: "
                f"{entry.label}  (loses points in {', '.join(lost) or 'nothing'}"
                + (f"; elsewhere in {', '.join(elsewhere)}" if elsewhere else "")
                + (f"; named {whys}" if whys and not name_ok else "")
                + ")"
            )
        else:
            n_variants += 1
            diagnosed = {f: w for f, w in whys.items() if w}
            if lost_all:
                failures.append(
                    f"correct variant loses points: {entry.function}: {entry.label} in {lost_all}"
                )
            if diagnosed:
                failures.append(f"correct variant diagnosed: {entry.function}: {entry.label}: {diagnosed}")
            variants_full += not lost_all and not diagnosed
            lines.append(
                f"  {'full' if not lost_all else 'PENALISED':9s} variant {entry.function}: "
                f"{entry.label} ({total:g}/{sum(full.values()):g})"
            )
    n_bugs = sum(total_by_fn.values())
    n_caught, n_alone, n_named = (sum(d.values()) for d in (caught_by_fn, alone_by_fn, named_by_fn))

    def pct(k, n):
        return f"{k}/{n} = {100 * k / max(n, 1):.0f}%"

    header = [
        f"{assignment}: bugs caught {pct(n_caught, n_bugs)}; caught only in their own function "
        f"{pct(n_alone, n_bugs)}; named correctly {pct(n_named, n_bugs)}; variants at full marks "
        f"with no diagnosis {pct(variants_full, n_variants)}"
    ]
    for fn in sorted(total_by_fn):
        header.append(
            f"  {fn}: {caught_by_fn.get(fn, 0)}/{total_by_fn[fn]} caught, "
            f"{alone_by_fn.get(fn, 0)} only there, {named_by_fn.get(fn, 0)} named"
        )
        if total_by_fn[fn] < 6:
            failures.append(f"{fn} has only {total_by_fn[fn]} catalogued bugs (at least 6)")
    if n_named < 0.9 * n_bugs:
        failures.append(f"only {pct(n_named, n_bugs)} of the bugs are named correctly (at least 90%)")
    return header + lines, failures


@pytest.mark.parametrize("topic,assignment", assignments())
def test_every_bug_loses_points_and_every_variant_gets_full_marks(topic, assignment, tmp_path):
    entries, scores, named = grade_catalogue(topic, assignment, tmp_path)
    lines, failures = evaluate(topic, assignment, entries, scores, named, hidden_cells(assignment))
    print("\n" + "\n".join(lines))
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    wanted = sys.argv[1:]
    status = 0
    for topic, assignment in assignments():
        if wanted and topic not in wanted:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            entries, scores, named = grade_catalogue(topic, assignment, tmp)
        lines, failures = evaluate(topic, assignment, entries, scores, named, hidden_cells(assignment))
        print("\n".join(lines))
        print("\n".join(f"FAIL: {f}" for f in failures) or "all checks pass")
        status |= bool(failures)
    sys.exit(status)
