"""Notebooks are committed clean: no outputs, no execution counts, no leaks.

    python -m rnn_helpers.course.hygiene [NOTEBOOK ...]   # default: every tracked notebook

Outputs in git hide whether a notebook still runs, make diffs unreadable and,
in solutions/, could carry a solution's printout into the release. Exit code
1 and one line per offending notebook when any is dirty. `jupyter nbconvert
--clear-output --inplace NOTEBOOK` (or Edit -> Clear Outputs of All Cells in
JupyterLab, then save) cleans one.

A released notebook (exercises/<A>/<N>.ipynb) must also hold no nbgrader
delimiter (solution, hidden tests, mark scheme) and no line of a mark scheme
of its source (solutions/<A>/<N>.ipynb): the model answers and rubrics of the
written questions are for graders only (`leaks`).
"""

import json
import subprocess
import sys
from pathlib import Path

from rnn_helpers.course.paths import REPO_ROOT


def problems(path):
    """What is dirty in one notebook: a list of 'cell K: ...' strings ([] when clean):
    outputs, execution counts and, in a release, leaks of its source."""
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        return [f"cannot be read as a notebook ({error})"]
    found = []
    for k, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {k}: {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"cell {k}: execution count {cell['execution_count']}")
    if source_of(path) is not None:
        found += leaks(path, nb)
    return found


# Text that only an instructor's notebook holds; nbgrader strips each region from a release.
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "END MARK SCHEME")
SHORTEST_SECRET = 20  # characters: shorter mark-scheme lines ("Rubric:") may well appear elsewhere


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def mark_scheme_lines(nb):
    """The lines inside the mark-scheme regions of a notebook (dict), stripped,
    at least SHORTEST_SECRET characters long: the model answers and rubrics."""
    secret = []
    for cell in nb.get("cells", []):
        inside = False
        for line in _source(cell).splitlines():
            if "BEGIN MARK SCHEME" in line:
                inside = True
            elif "END MARK SCHEME" in line:
                inside = False
            elif inside and len(line.strip()) >= SHORTEST_SECRET:
                secret.append(line.strip())
    return secret


def source_of(release):
    """solutions/<A>/<N>.ipynb for exercises/<A>/<N>.ipynb (None when it is not a release)."""
    release = Path(release).resolve()
    if release.parent.parent.name != "exercises":
        return None
    source = release.parents[2] / "solutions" / release.parent.name / release.name
    return source if source.exists() else None


def leaks(release, nb=None):
    """What of the instructor's notebook shows in a released one: a list of
    'cell K: ...' strings ([] when nothing does)."""
    nb = nb if nb is not None else json.loads(Path(release).read_text())
    source = source_of(release)
    secret = mark_scheme_lines(json.loads(source.read_text())) if source else []
    found = []
    for k, cell in enumerate(nb.get("cells", [])):
        text = _source(cell)
        found += [f"cell {k}: nbgrader delimiter {d!r} in a release" for d in DELIMITERS if d in text]
        found += [
            f"cell {k}: mark scheme line in a release: {line[:50]!r}" for line in secret if line in text
        ]
    return found


def tracked_notebooks(root=REPO_ROOT):
    """Every notebook git tracks under root."""
    out = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return [Path(root) / line for line in out.splitlines() if line]


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    notebooks = [Path(a) for a in args] or tracked_notebooks()
    dirty = {str(nb): problems(nb) for nb in notebooks}
    dirty = {nb: p for nb, p in dirty.items() if p}
    for nb, found in dirty.items():
        print(f"{nb}: {'; '.join(found[:3])}{' ...' if len(found) > 3 else ''}")
    if dirty:
        print(
            f"{len(dirty)} notebook(s) are dirty: clear outputs with "
            "`jupyter nbconvert --clear-output --inplace NOTEBOOK`, regenerate a leaking release "
            "with `rnn-course release`, and commit again"
        )
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
