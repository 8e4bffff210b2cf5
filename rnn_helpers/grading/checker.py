"""`check`: run one hidden suite on a student's function and its reference twin.

Hidden test cells only call `check`, so a failing hidden test shows the call
and a message, not the inputs the suite drew.
"""
import functools
import importlib
from typing import Callable, NamedTuple

import numpy as np

from rnn_helpers.grading import guards, registry, tamper

_default_rng = np.random.default_rng   # captured before any student code runs
# Where reference twins live when rnn_helpers.reference is not there.
REFERENCE_MODULES = ("reference", "rnn", "lstm", "gru", "attention", "activations", "embedding",
                     "affine", "losses", "gradcheck", "optim")


class Twin(NamedTuple):
    """A function and its forward pass; a tuple, so a suite cannot swap them."""
    fn: Callable | None
    forward: Callable | None


def reference(name):
    """The reference function called `name`, or None when there is none."""
    if name is None:
        return None
    for module in REFERENCE_MODULES:
        try:
            fn = getattr(importlib.import_module(f"rnn_helpers.{module}"), name, None)
        except ImportError:
            continue
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
        _fail(f"{name}: {'; '.join(found)} {when}; the grader has undone this, and no check "
              f"passes while the notebook tampers with the grading")


def check(name, student_fn, *, forward=None, suite="random", seed=0):
    """Run hidden suite `suite` for function `name` on `student_fn`.

    - student_fn: the student's function called `name`
    - forward: the student's forward pass, for suites that check a backward
    - seed: seeds the numpy Generator that draws the suite's inputs

    Raises AssertionError with a readable message when the function disagrees
    with its reference twin, when it delegates to the reference or to torch's
    recurrent or attention code, or when the notebook tampered with the grading.
    """
    __tracebackhide__ = True   # IPython then shows the call in the test cell, not our frames
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
    ref = Twin(reference(name), reference(fwd_name))
    student = Twin(_as_student(student_fn), _as_student(forward, guards.forward_call))
    tracer = guards.Tracer(allow=entry.allow, forward_ok=(fwd_name,) if fwd_name else ())
    registry.CONTEXT.append(name)
    try:
        with tracer:
            entry.fn(_default_rng(seed), student, ref)
    except AssertionError as error:
        message = str(error)
    else:
        message = None
    finally:
        registry.CONTEXT.pop()
    if tracer.violations:
        _fail(f"{name} delegates to {tracer.violations[0]}: write it yourself")
    _audit(name, "while the check ran")
    if message is not None:
        # A fresh error without the suite's frames: the message says what is wrong.
        _fail(message)

