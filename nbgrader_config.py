"""nbgrader configuration seen by JupyterLab when it is started from the repository root.

The course's configuration is course/nbgrader_config.py (nbgrader's course root).
nbgrader's JupyterLab extensions (Validate button, Assignment List, Formgrader)
read nbgrader_config.py from the folder `jupyter lab` was started in, so this
file loads the course's one: `jupyter lab` in the repository root then needs no
further set-up. Nothing is configured here; change course/nbgrader_config.py.
"""

import os
import sys

c = get_config()  # noqa: F821 (injected by traitlets)
load_subconfig(
    os.path.join(
        os.path.dirname(os.path.abspath(__file__)),  # noqa: F821
        "course",
        "nbgrader_config.py",
    )
)

# Formgrader warns, and the Assignment List fails, while the exchange folder
# does not exist; build/ is git-ignored, so a fresh clone has none yet.
if "Exchange" in c and "root" in c.Exchange:
    os.makedirs(c.Exchange.root, exist_ok=True)

# nbgrader runs the `alembic` command to create the gradebook (formgrader does on
# its first visit). `.venv/bin/jupyter lab` without an activated venv would not
# find it, so put this Python's bin folder first on PATH.
_bin = os.path.dirname(sys.executable)
if os.path.exists(os.path.join(_bin, "alembic")) and _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
