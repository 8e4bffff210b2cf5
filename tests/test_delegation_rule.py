"""One rule decides what is "the reference": the folder rnn_helpers/reference/.

A student's function may call library code (data, nets, plots, notebook) during
a check; calling anything under reference/ is delegation. These tests run the
real `grading.check` on the course's rnn_step_forward suite.
"""

import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import rnn_helpers
from rnn_helpers import grading
from rnn_helpers.grading import guards

PACKAGE = Path(rnn_helpers.__file__).resolve().parent


def honest(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def _message(fn):
    """The AssertionError message of a check of fn, or None when it passes."""
    try:
        grading.check("rnn_step_forward", fn, seed=1)
    except AssertionError as error:
        return str(error)
    return None


def test_every_module_under_reference_is_reference_and_nothing_else_is():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        expected = (
            "reference"
            if rel.parts[0] == "reference"
            else "grader"
            if rel.parts[0] == "grading"
            else "library"
        )
        assert guards.kind_of(str(path)) == expected, rel


def test_a_new_module_dropped_into_reference_counts_as_reference_without_editing_a_list():
    # The rule is the folder, so a module that does not exist yet is classified too.
    assert guards.kind_of(str(PACKAGE / "reference" / "not_written_yet.py")) == "reference"
    assert guards.kind_of(str(PACKAGE / "data" / "not_written_yet.py")) == "library"


@pytest.mark.parametrize(
    "helper",
    ["data", "nets", "plots", "notebook"],
)
def test_calling_library_helpers_during_a_check_is_not_delegation(helper):
    from rnn_helpers import notebook, plots
    from rnn_helpers.data import names
    from rnn_helpers.nets import training

    calls = {
        # each is a real function of that part of the package, called while the check runs
        "data": lambda: names.train_val_split(list(range(10)), 0.2, seed=0),
        "nets": lambda: training.History(),
        "plots": lambda: plots._axes is not None,
        "notebook": lambda: notebook.epochs(2, 1),
    }

    def student(x, h_prev, Wx, Wh, b):
        calls[helper]()
        return honest(x, h_prev, Wx, Wh, b)

    assert _message(student) is None


@pytest.mark.parametrize("module", sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE / "reference")])))
def test_calling_any_reference_module_during_a_check_is_delegation(module):
    import importlib

    mod = importlib.import_module(f"rnn_helpers.reference.{module}")
    # any function defined in that module, called from the student's function
    fn = next(
        v
        for v in vars(mod).values()
        if callable(v) and getattr(getattr(v, "__code__", None), "co_filename", "").endswith(f"{module}.py")
    )

    # None for every required argument: the call binds, so the function is entered
    # (and then fails inside, which does not matter: entering it is the delegation).
    required = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]

    def student(x, h_prev, Wx, Wh, b):
        try:
            fn(*[None] * len(required))
        except Exception:
            pass
        return honest(x, h_prev, Wx, Wh, b)

    message = _message(student)
    assert message is not None and f"delegates to rnn_helpers.reference.{module}." in message, message
