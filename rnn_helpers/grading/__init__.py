"""The in-kernel grading library that the notebooks' hidden tests call.

    from rnn_helpers import grading              # the locked first cell
    grading.check("rnn_forward", rnn_forward, suite="random", seed=1)

Modules: `registry` (suites and assertions), `checker` (`check`), `guards`
(catches delegation to the reference, and any torch or autodiff computation in
a numpy exercise), `visible` (`grading.visible`: visible tests under the same
guard), `composition` (one bug costs one function: a composite is also checked
with the reference twins of its callees), `diagnosis` (names a known mistake
from `catalogue/`), `output` (stderr and warnings never cost points), `tamper`
(undoes changes student code makes to numpy, the grading code or IPython's
error reporting; its grader-side half is GuardedExecute in
rnn_helpers/course/preprocessors.py, never imported in the kernel). Suites live
in `cases/`, one module per assignment, imported the first time `check` needs
them; known mistakes and correct variants in `catalogue/`.

Importing this package snapshots what the checks rely on, so it must happen in
the notebook's first cell, before any student code.
"""

import sys
import types

import numpy
import numpy.linalg

from rnn_helpers.grading import checker, guards, registry, tamper
from rnn_helpers.grading.checker import check
from rnn_helpers.grading.registry import assert_close, assert_dtype, assert_shape, suite
from rnn_helpers.grading.visible import visible

__all__ = ["check", "visible", "suite", "assert_close", "assert_shape", "assert_dtype"]


def _snapshot():
    """Record numpy, the reference and this package, and watch the IPython shell."""
    try:
        import rnn_helpers.reference  # noqa: F401  (loads every reference module)
    except ImportError:
        pass
    for module in (numpy, numpy.linalg):
        tamper.GUARD.protect(module)
    for name, module in list(sys.modules.items()):
        if name == "rnn_helpers" or (name.startswith("rnn_helpers.") and not name.startswith(__name__)):
            tamper.GUARD.protect(module)
    for module in (checker, guards, registry, tamper, sys.modules[f"{__name__}.visible"]):
        tamper.GUARD.protect(module, data=True)
    tamper.GUARD.protect(sys.modules[__name__], data=True, mutable=("cases",))
    tamper.GUARD.watch_shell(tamper.get_shell())


class _Sealed(types.ModuleType):
    """This package's type: its functions cannot be replaced by assignment."""

    def __setattr__(self, name, value):
        if name in _SEALED:
            raise AttributeError(f"rnn_helpers.grading.{name} belongs to the grader and cannot be replaced")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in _SEALED:
            raise AttributeError(f"rnn_helpers.grading.{name} belongs to the grader")
        super().__delattr__(name)


_SEALED = frozenset(
    [
        "check",
        "visible",
        "suite",
        "assert_close",
        "assert_shape",
        "assert_dtype",
        "checker",
        "guards",
        "registry",
        "tamper",
    ]
)
_snapshot()
sys.modules[__name__].__class__ = _Sealed

# Output never costs points (output.py): nbgrader and its Validate button give 0
# to a test cell with anything on stderr, so in a Jupyter kernel what is written
# to sys.stderr (warnings included) is shown on stdout instead, each line marked.
from rnn_helpers.grading import output  # noqa: E402  (already loaded by checker)

tamper.GUARD.protect(output, data=True)
output.install()
