"""Notebooks are committed clean: no outputs, no execution counts.

    python -m rnn_helpers.course.hygiene [NOTEBOOK ...]   # default: every tracked notebook

Outputs in git hide whether a notebook still runs, make diffs unreadable and,
in solutions/, could carry a solution's printout into the release. Exit code
1 and one line per offending notebook when any is dirty. `jupyter nbconvert
--clear-output --inplace NOTEBOOK` (or Edit -> Clear Outputs of All Cells in
JupyterLab, then save) cleans one.
"""

import json
import subprocess
import sys
from pathlib import Path

from rnn_helpers.course.paths import REPO_ROOT


def problems(path):
    """What is dirty in one notebook: a list of 'cell K: ...' strings ([] when clean)."""
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
            f"{len(dirty)} notebook(s) hold outputs: clear them with "
            "`jupyter nbconvert --clear-output --inplace NOTEBOOK` and commit again"
        )
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
