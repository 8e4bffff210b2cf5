"""Run nbgrader commands as subprocesses from a course root.

nbgrader reads nbgrader_config.py from the working directory; options given
here (`--Class.trait=value`) override it, which is how the pipeline redirects
output to temporary folders without editing the config.
"""

import subprocess
import sys

from rnn_helpers.course.paths import tool_env


class NbgraderError(RuntimeError):
    """An nbgrader command exited with a non-zero status."""


def nbgrader(paths, *args, overrides=None, check=True, timeout=None):
    """Run `nbgrader ARGS` in paths.course; return the CompletedProcess.

    overrides: {"Class.trait": value} given as --Class.trait=value.
    """
    cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
    cmd += [f"--{k}={v}" for k, v in (overrides or {}).items()]
    proc = subprocess.run(
        cmd, cwd=paths.course, env=tool_env(), capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise NbgraderError(
            f"{' '.join(cmd[2:])} failed (exit {proc.returncode}):\n"
            + proc.stdout[-3000:]
            + proc.stderr[-3000:]
        )
    return proc
