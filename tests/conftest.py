import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

# nbgrader runs the `alembic` executable from PATH to create gradebooks; make the
# venv's bin folder visible even when pytest is started by its full path.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Headless plotting in every test and every kernel the tests start.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A fresh, seeded generator per test: the same inputs on every run."""
    return np.random.default_rng(0)
