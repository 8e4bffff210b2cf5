"""Read a submission before grading (never write it) and list its faults.

A submission folder is build/submitted/<student>/<assignment>/. Each expected
notebook is matched to a file (a renamed copy is recognised by its cells),
parsed, and compared with the release: deleted or edited test cells and
changed points are noted (nbgrader restores them from the gradebook; the
notes make that visible in the report). Unparseable notebooks are failures.
"""

import hashlib
import re
from pathlib import Path

import nbformat

_HIDDEN = re.compile(r"^[ \t]*### (BEGIN|END) HIDDEN TESTS[ \t]*\n?", re.M)


def strip_hidden_markers(source):
    """Source of a test cell as the autograder runs it (hidden part kept)."""
    return _HIDDEN.sub("", source)


def tree_digest(folder):
    """{relative path: sha256} of every file under folder (empty if absent)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def grade_ids(nb):
    return [
        c.metadata.get("nbgrader", {}).get("grade_id")
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    ]


def _read(path):
    """(notebook, None) or (None, reason)."""
    try:
        return nbformat.read(path, as_version=4), None
    except Exception as exc:  # JSON errors, bad nbformat, unreadable bytes
        first = (str(exc).strip().splitlines() or [""])[0]
        return None, f"invalid notebook JSON ({type(exc).__name__}: {first[:100]})"


def inspect_submission(folder, release_nbs):
    """Plan the grading of one submission folder.

    release_nbs: {notebook name: released notebook (NotebookNode)}.
    Returns (plan, notes): plan maps each expected notebook name to a dict with
    "file" (Path or None), "status" ("ok", "missing", "failed"), "reason" and
    "notes" (list of str); notes are about the folder (extra notebooks).
    """
    folder = Path(folder)
    found = {p.stem: p for p in sorted(folder.glob("*.ipynb"))} if folder.is_dir() else {}
    parsed = {name: _read(path) for name, path in found.items()}
    plan, notes = {}, []
    unexpected = [n for n in found if n not in release_nbs]
    for name, release in release_nbs.items():
        entry = {"file": found.get(name), "status": "ok", "reason": "", "notes": []}
        if name not in found:
            # a renamed copy is one that holds this notebook's graded cells
            wanted = {g for g in grade_ids(release)}
            for other in unexpected:
                nb = parsed[other][0]
                if nb is not None and wanted & set(grade_ids(nb)):
                    entry["file"] = found[other]
                    entry["notes"].append(f"notebook renamed to {other}.ipynb: graded as {name}.ipynb")
                    unexpected.remove(other)
                    break
        if entry["file"] is None:
            entry.update(status="missing", reason=f"no {name}.ipynb submitted: scored 0")
        else:
            nb, error = parsed[entry["file"].stem]
            if nb is None:
                entry.update(status="failed", reason=error)
            else:
                entry["notes"] += compare_tests(nb, release)
        plan[name] = entry
    notes += [f"extra notebook {n}.ipynb ignored" for n in unexpected]
    return plan, notes


def _tests(nb):
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta.get("grade_id")] = (cell.source, meta.get("points"))
    return out


def _questions(nb):
    """{grade_id: source} of the written questions (nbgrader task cells)."""
    return {
        c.metadata["nbgrader"].get("grade_id"): c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("task")
    }


def compare_tests(nb, release):
    """Notes on test cells and written questions of `nb` that differ from the release (one per kind)."""
    got, want = _tests(nb), _tests(release)
    asked, given = _questions(release), _questions(nb)
    changed = [gid for gid in asked if given.get(gid, "").strip() != asked[gid].strip()]
    deleted = [gid for gid in want if gid not in got]
    edited = [gid for gid in want if gid in got and got[gid][0].strip() != want[gid][0].strip()]
    points = [
        f"{gid} from {want[gid][1]} to {got[gid][1]}"
        for gid in want
        if gid in got and got[gid][1] is not None and float(got[gid][1]) != float(want[gid][1])
    ]
    notes = []
    if deleted:
        notes.append(f"test cell {', '.join(deleted)} deleted: restored and graded")
    if edited:
        notes.append(f"test cell {', '.join(edited)} edited: original restored, edit ignored")
    if points:
        notes.append(f"points of {', '.join(points)} changed: reset")
    if changed:
        # the answer belongs in the cell below the question; the question is put back
        notes.append(f"question cell {', '.join(changed)} deleted or edited: original restored")
    return notes
