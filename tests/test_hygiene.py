"""The repository stays clean: notebooks without outputs, lint configured and passing."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from rnn_helpers.course import hygiene

ROOT = Path(__file__).resolve().parents[1]


def test_every_tracked_notebook_is_committed_without_outputs():
    notebooks = hygiene.tracked_notebooks(ROOT)
    assert len(notebooks) >= 13, f"expected the course's notebooks, found {notebooks}"
    dirty = {str(nb.relative_to(ROOT)): hygiene.problems(nb) for nb in notebooks}
    assert not {k: v for k, v in dirty.items() if v}


def test_hygiene_check_reports_outputs_and_execution_counts(tmp_path, capsys):
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "text"},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "1",
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(nb))
    assert hygiene.problems(path) == ["cell 1: 1 output(s)", "cell 1: execution count 3"]
    assert hygiene.main([str(path)]) == 1
    assert "clear-output" in capsys.readouterr().out
    nb["cells"][1].update(outputs=[], execution_count=None)
    path.write_text(json.dumps(nb))
    assert hygiene.problems(path) == [] and hygiene.main([str(path)]) == 0


def test_unreadable_notebook_is_reported_not_crashed_on(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    assert hygiene.problems(path)[0].startswith("cannot be read as a notebook")


def test_ruff_lint_and_format_pass_on_the_repository():
    # ruff is a dev dependency (pyproject.toml); setup.sh installs it beside this Python.
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed: run `bash scripts/setup.sh` (it installs the dev extras)"
    for args in (["check", "--quiet", "."], ["format", "--check", "--quiet", "."]):
        run = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, f"ruff {' '.join(args)}:\n{run.stdout}{run.stderr}"
