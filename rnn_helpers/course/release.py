"""Release: generate exercises/ from solutions/, check it is current, validate.

`release` runs `nbgrader generate_assignment` for every assignment (this also
records the assignments, their cells and points in the gradebook, which the
autograder needs; nbgrader's ClearMarkScheme takes the mark schemes of the
written questions out). `check_release` generates into a temporary folder,
diffs it with exercises/ and checks that no release holds grader-only text
(hygiene.leaks: delimiters, mark-scheme lines). `validate_release` executes every solution (all tests must
pass) and every released notebook (all tests must fail) with nbgrader's
Validator: `nbgrader validate` exits 0 either way, so its exit code says nothing.
"""

import difflib
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rnn_helpers.course import hygiene
from rnn_helpers.course.nbgrader_cli import nbgrader
from rnn_helpers.course.paths import REPO_ROOT
from rnn_helpers.notebook import FAST_VAR


def generate(paths, assignments=None, release_dir=None, db_url=None):
    """Generate the release of each assignment (all by default) into
    release_dir (exercises/ by default), recording it in db_url's gradebook."""
    overrides = {}
    if release_dir is not None:
        overrides["CourseDirectory.release_directory"] = str(release_dir)
    if db_url is not None:
        overrides["CourseDirectory.db_url"] = db_url
    paths.build.mkdir(parents=True, exist_ok=True)
    for name in assignments or paths.assignments():
        nbgrader(paths, "generate_assignment", name, "--force", overrides=overrides)


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def _text(path):
    """Comparable text: notebooks re-serialised with sorted keys."""
    if path.suffix == ".ipynb":
        return json.dumps(json.loads(path.read_text()), indent=1, sort_keys=True)
    try:
        return path.read_text()
    except UnicodeDecodeError:
        return path.read_bytes().hex()


def diff_trees(expected, actual, max_lines=40):
    """Lines describing how folder `actual` differs from `expected` ([] if equal)."""
    want, have = _files(expected), _files(actual)
    out = [f"missing from {actual}: {name}" for name in sorted(want.keys() - have.keys())]
    out += [f"not expected in {actual}: {name}" for name in sorted(have.keys() - want.keys())]
    for name in sorted(want.keys() & have.keys()):
        a, b = _text(want[name]), _text(have[name])
        if a != b:
            lines = list(
                difflib.unified_diff(
                    b.splitlines(),
                    a.splitlines(),
                    f"{actual.name}/{name}",
                    f"regenerated/{name}",
                    lineterm="",
                    n=1,
                )
            )
            out.append(f"differs: {name}")
            out += lines[:max_lines] + (["..."] if len(lines) > max_lines else [])
    return out


def check_release(paths):
    """Regenerate into a temporary folder; return diff lines against exercises/."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "exercises"
        generate(paths, release_dir=fresh, db_url=f"sqlite:///{tmp}/gradebook.db")
        fresh.mkdir(exist_ok=True)
        names = set(paths.assignments())
        current = paths.exercises
        out = [f"assignment {n} not released" for n in sorted(names) if not (current / n).is_dir()]
        out += [
            f"assignment {n} in exercises/ has no source"
            for n in paths.released_assignments()
            if n not in names
        ]
        for name in sorted(names):
            if (current / name).is_dir():
                out += diff_trees(fresh / name, current / name)
                # grader-only text (mark schemes, hidden tests) must be absent, whatever the diff says
                for nb in sorted((current / name).glob("*.ipynb")):
                    out += [f"{nb.relative_to(paths.top)}: {line}" for line in hygiene.leaks(nb)]
        return out


def _validate_one(path, invert, timeout):
    """Run nbgrader's Validator on one notebook (in a worker process)."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    # Kernels inherit this process's stderr: keep their start-up chatter out
    # of the report (failures come back in the Validator's results).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    # Kernels inherit this environment: they must import rnn_helpers.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    os.environ[FAST_VAR] = "1"  # fast mode shortens training, never a check
    c = Config()
    c.Validator.invert = invert
    c.Execute.timeout = timeout
    return Validator(config=c).validate(str(path))


def _with_source_tests(release_nb, source_nb, dest):
    """Write the released notebook with its test cells as the autograder will
    run them (source version, hidden tests included): hidden-only test cells
    are empty in the release and would pass trivially. Zero-point tests get a
    point (_counted)."""
    import nbformat

    from rnn_helpers.course.precheck import strip_hidden_markers

    src = {
        c.metadata.get("nbgrader", {}).get("grade_id"): c
        for c in nbformat.read(source_nb, as_version=4).cells
    }
    nb = nbformat.read(release_nb, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id") in src:
            cell.source = strip_hidden_markers(src[meta["grade_id"]].source)
            meta.pop("checksum", None)
    nbformat.write(_counted(nb), dest)


def _counted(nb):
    """`nb` with every zero-point test cell worth one point, for validation only.

    nbgrader's Validator calls a test passed when its score equals its points
    and failed when it is below them: a visible test worth 0 points would pass
    in a blank release and never fail in a solution, whatever it printed."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and float(meta.get("points", 0)) == 0:
            meta["points"] = 1
            meta.pop("checksum", None)
    return nb


def _solution_copy(source_nb, dest):
    """Write the solution as validated: zero-point tests counted (_counted)."""
    import nbformat

    nbformat.write(_counted(nbformat.read(source_nb, as_version=4)), dest)


def validate_release(paths, assignments=None, jobs=1, timeout=120):
    """Return problem lines: a solution test that fails, a release test that passes."""
    tasks = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in assignments or paths.assignments():
            for nb in sorted((paths.solutions / name).glob("*.ipynb")):
                counted = Path(tmp) / "solutions" / name / nb.name
                shutil.copytree(nb.parent, counted.parent, dirs_exist_ok=True)  # with its data files
                _solution_copy(nb, counted)
                tasks.append((nb, counted, False))
                released = paths.exercises / name / nb.name
                if released.exists():
                    # same folder layout, so data files next to it still resolve
                    shutil.copytree(paths.exercises / name, Path(tmp) / name, dirs_exist_ok=True)
                    _with_source_tests(released, nb, Path(tmp) / name / nb.name)
                    tasks.append((released, Path(tmp) / name / nb.name, True))
                else:
                    problems_missing = f"{released.relative_to(paths.top)}: not released"
                    tasks.append((problems_missing, None, True))
        problems = []
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [
                pool.submit(_validate_one, run, inv, timeout) if run else None for _, run, inv in tasks
            ]
            for (shown, _, invert), fut in zip(tasks, futures):
                if fut is None:
                    problems.append(shown)
                    continue
                problems += _problems(shown.relative_to(paths.top), invert, fut.result())
    return problems


def _problems(rel, invert, res):
    out = []
    for kind in ("type_changed", "changed"):
        out += [f"{rel}: cell {kind.replace('_', ' ')}: {c['source'][:60]!r}" for c in res.get(kind, [])]
    if invert:
        out += [
            f"{rel}: test passes without a solution: {c['source'].splitlines()[0][:70]}"
            for c in res.get("passed", [])
        ]
    else:
        out += [
            f"{rel}: solution fails its test: {c['source'].splitlines()[0][:70]}\n    "
            + (c["raw_error"].strip().splitlines() or [""])[-1][:200]
            for c in res.get("failed", [])
        ]
    return out
