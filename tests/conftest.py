import os
import sys
from pathlib import Path

# Two cores and tests that run two graders (or a grader and a kernel) at once:
# one BLAS/torch thread per process is several times faster than oversubscribing.
# Set before numpy is imported, and inherited by every kernel the tests start.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

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


@pytest.fixture(autouse=True)
def _torch_default_dtype_is_left_alone():
    """Fail a test that leaves torch's default dtype switched (or runs after an import that did).

    A session-wide float64 default makes a test pass or fail by which files were
    collected with it; tests make float64 tensors explicitly (oracle.tensors).
    torch is looked up, not imported, so tests without torch do not pay for it.
    """
    yield
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_default_dtype() != torch.float32:
        found = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        pytest.fail(
            f"torch's default dtype is {found} after this test, not torch's float32: pass "
            f"dtype=torch.float64 where a tensor is made, or set and restore the default inside the test"
        )
