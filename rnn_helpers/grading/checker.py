"""`check`: run one hidden suite on a student's function and its reference twin.

Hidden test cells only call `check`, so a failing hidden test shows the call
and a message, not the inputs the suite drew.
"""

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from rnn_helpers.grading import composition, diagnosis, guards, output, registry, tamper

_default_rng = np.random.default_rng  # captured before any student code runs


class Twin(NamedTuple):
    """A function and its forward pass; a tuple, so a suite cannot swap them."""

    fn: Callable | None
    forward: Callable | None


def reference(name):
    """The reference function called `name`, or None when there is none."""
    if name is None:
        return None
    package = importlib.import_module("rnn_helpers.reference")
    modules = [package] + [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
    for module in modules:
        fn = getattr(module, name, None)
        if fn is not None and guards.kind_of(fn.__code__.co_filename) == "reference":
            return fn
    return None


def _as_student(fn, wrapper=guards.student_call):
    """Wrap a student's function so the tracer knows who is calling what."""
    return None if fn is None else functools.partial(wrapper, fn)


def _fail(message):
    __tracebackhide__ = True
    raise AssertionError(message)


def _audit(name, when):
    __tracebackhide__ = True
    found = tamper.GUARD.audit()
    if found:
        _fail(
            f"{name}: {'; '.join(found)} {when}; the grader has undone this, and no check "
            f"passes while the notebook tampers with the grading"
        )


def _run(name, entry, seed, fwd_name, fn, forward, also_allow=(), quiet=False):
    """Run suite `entry` once on the student's fn and forward under the tracer: (verdict, error).

    - also_allow: names of the twins composition.retry lent to the student's code
    - quiet: drop what the student's code prints and warns (a rerun)
    error is what the suite raised (a failed comparison, or the student's own
    exception), None when it passed; verdict is the tracer's (tracer.verdict).
    """
    __tracebackhide__ = True
    ref = Twin(reference(name), reference(fwd_name))
    student = Twin(_as_student(fn), _as_student(forward, guards.forward_call))
    tracer = guards.Tracer(
        allow=tuple(entry.allow) + tuple(also_allow),
        forward_ok=((fwd_name,) if fwd_name else ()) + tuple(also_allow),
        numpy_only=not entry.torch_ok,
    )
    registry.CONTEXT.append(name)
    try:
        # The warnings the student's function emits are printed as notes after
        # the suite (output.py): a warning never fails a check.
        with composition.quiet() if quiet else output.StudentWarnings(name), tracer:
            entry.fn(_default_rng(seed), student, ref)
    except Exception as error:
        return tracer.verdict(name), error
    finally:
        registry.CONTEXT.pop()
    return tracer.verdict(name), None


def check(name, student_fn, *, forward=None, suite="random", seed=0):
    """Run hidden suite `suite` for function `name` on `student_fn`.

    - student_fn: the student's function called `name`
    - forward: the student's forward pass, for suites that check a backward
    - seed: seeds the numpy Generator that draws the suite's inputs

    Raises AssertionError with a readable message when the function disagrees
    with its reference twin, when it delegates to the reference or to torch's
    recurrent or attention code, when it computes with torch or another
    autodiff library (unless its suite is torch_ok), or when the notebook
    tampered with the grading. A function that fails only because a graded
    function it calls is wrong passes (composition.py); a failure that matches
    a known mistake says so in its last line (diagnosis.py).
    """
    __tracebackhide__ = True  # IPython then shows the call in the test cell, not our frames
    _audit(name, "before this check")
    entry = registry.find(name, suite)
    for module in registry.load_cases():
        tamper.GUARD.protect(module)
    if guards.kind_of(entry.fn.__code__.co_filename) != "grader":
        _fail(f"{name}: the hidden suite {suite!r} was replaced by code outside the grader")
    for label, fn in ((name, student_fn), ("forward", forward)):
        if fn is not None and not callable(fn):
            _fail(f"{label} must be a function, got {type(fn).__name__}")
    fwd_name = entry.forward or (name.replace("backward", "forward") if forward else None)
    run = functools.partial(_run, name, entry, seed, fwd_name)
    verdict, error = run(student_fn, forward)
    if verdict is not None:
        _fail(verdict)
    if error is not None:
        # One bug costs one function: rerun with the callees' twins lent
        # (composition.py); when that fails too, name a known mistake (diagnosis.py).
        recorder = diagnosis.Recorder()
        quiet_run = functools.partial(run, quiet=True)
        if composition.retry(name, entry, student_fn, forward, quiet_run, watch=recorder.watch):
            error = None
        else:
            error = diagnosis.explain(
                name, error, recorder.calls, entry=entry, seed=seed, student_fn=student_fn, forward=forward
            )
    _audit(name, "while the check ran")
    if isinstance(error, AssertionError):
        # A fresh error without the suite's frames: the message says what is wrong.
        _fail(str(error))
    if error is not None:
        raise error  # the student's own exception, with its traceback
