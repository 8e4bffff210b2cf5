"""The registry of hidden test suites and the assertions they use.

A suite is a function `suite_fn(rng, student, ref)` registered under a
function name and a suite name:

    @suite("rnn_forward", "random")
    def _(rng, student, ref):
        ...   # student.fn / ref.fn, student.forward / ref.forward

`assert_close`, `assert_shape` and `assert_dtype` raise AssertionError with a
message that names the function, the position of the first large error, the
values there and the tolerance, so that a student can act on it without
seeing the hidden inputs.
"""

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

# The numpy functions the comparisons use, captured when the grading package
# is imported (the notebook's locked first cell), before any student code
# runs: rebinding np.allclose, np.max or np.abs later changes nothing here.
_asarray, _abs, _max, _argmax = np.asarray, np.abs, np.max, np.argmax
_isnan, _where, _unravel, _float64 = np.isnan, np.where, np.unravel_index, np.float64
_dtype, _inf = np.dtype, np.inf

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
CASES_PACKAGE = __name__.rsplit(".", 1)[0] + ".cases"


class Suite(NamedTuple):
    """One registered suite: the function to run and what it may call."""

    fn: Callable
    forward: str | None  # name of the reference forward twin (ref.forward)
    allow: tuple  # reference functions the student's code may call
    torch_ok: bool = False  # the function is meant to compute with torch


SUITES: dict = {}  # (function name, suite name) -> Suite
CONTEXT: list = []  # name of the function being checked, for messages
LOADED: dict = {}  # case module name -> module, or the error that stopped its import


def suite(name, suite_name="random", *, forward=None, allow=(), torch_ok=False):
    """Register `fn(rng, student, ref)` as suite `suite_name` of function `name`.

    - forward: reference name given as `ref.forward`; by default `name` with
      "backward" replaced by "forward" when `check` is given a forward.
    - allow: names of reference functions that the notebook hands to students
      as building blocks, so calling them is not delegation.
    - torch_ok: True for a function meant to be written with torch (a torch
      end part); by default the exercises are numpy only, and any computation
      with torch or another autodiff library fails the check. torch's
      recurrent and attention layers stay delegation either way.
    """

    def register(fn):
        SUITES[(name, suite_name)] = Suite(fn, forward, tuple(allow), bool(torch_ok))
        return fn

    return register


def load_cases():
    """Import every module of the cases package once; return those that imported.

    A case module that other code imported first is executed again, so that
    its suites and the names it uses are the course's own. One module that
    fails to import does not stop the others.
    """
    for info in pkgutil.iter_modules([CASES_DIR]):
        full = f"{CASES_PACKAGE}.{info.name}"
        if full not in LOADED:
            try:
                earlier = sys.modules.get(full)
                LOADED[full] = (
                    importlib.reload(earlier) if earlier is not None else importlib.import_module(full)
                )
            except Exception as error:  # reported by find() if one of its suites is asked for
                LOADED[full] = error
    return [m for m in LOADED.values() if not isinstance(m, Exception)]


def find(name, suite_name):
    """The Suite registered for (name, suite_name), loading the case modules if needed."""
    if not LOADED or (name, suite_name) not in SUITES:
        load_cases()
    try:
        return SUITES[(name, suite_name)]
    except KeyError:
        known = sorted(s for (n, s) in SUITES if n == name)
        broken = [f"{k} ({type(e).__name__}: {e})" for k, e in LOADED.items() if isinstance(e, Exception)]
        raise LookupError(
            f"no hidden test suite {suite_name!r} for {name!r} "
            f"(suites for {name!r}: {known or 'none'}"
            + (f"; case modules that failed to import: {broken}" if broken else "")
            + "); this is a bug in the course, not in your code"
        ) from None


def _prefix(what):
    """Start messages with the checked function's name unless `what` already does."""
    name = CONTEXT[-1] if CONTEXT else None
    return what if name is None or str(what).startswith(name) else f"{name}: {what}"


def _fmt(x):
    return f"{float(x):.6g}"


def assert_shape(what, got, expected_shape):
    """Raise AssertionError unless `got` is an array of shape `expected_shape`."""
    expected_shape = tuple(int(n) for n in expected_shape)
    shape = getattr(got, "shape", None)
    if shape is None:
        raise AssertionError(
            f"{_prefix(what)}: expected an array of shape {expected_shape}, got {type(got).__name__}"
        )
    if tuple(shape) != expected_shape:
        raise AssertionError(f"{_prefix(what)} has shape {tuple(shape)}, expected {expected_shape}")


def assert_dtype(what, got, expected_dtype):
    """Raise AssertionError unless `got` has dtype `expected_dtype`."""
    dtype = getattr(got, "dtype", None)
    if dtype is None or _dtype(dtype) != _dtype(expected_dtype):
        raise AssertionError(
            f"{_prefix(what)} has dtype {dtype}, expected "
            f"{_dtype(expected_dtype)} (float32 in gives float32 out, "
            f"float64 otherwise)"
        )


def assert_close(what, got, expected, *, atol, rtol=0.0):
    """Raise AssertionError unless |got - expected| <= atol + rtol * |expected| everywhere.

    Both are compared as float64 arrays of the same shape; nan or inf where the
    reference is finite counts as an error. The message gives the index of the
    worst element, both values there and the largest absolute error.
    """
    expected = _asarray(expected, dtype=_float64)
    try:
        got = _asarray(got, dtype=_float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{_prefix(what)}: expected an array of numbers of shape "
            f"{expected.shape}, got {type(got).__name__}"
        ) from None
    assert_shape(what, got, expected.shape)
    if got.size == 0:
        return
    err = _abs(got - expected)
    tol = atol + rtol * _abs(expected)
    # nan compares False with everything: count it as infinitely wrong.
    excess = _where(_isnan(err), _inf, err - tol)
    worst = int(_argmax(excess))
    if not excess.reshape(-1)[worst] > 0:
        return
    idx = tuple(int(i) for i in _unravel(worst, got.shape))
    where = f" at [{', '.join(map(str, idx))}]" if idx else ""
    max_err = _max(_where(_isnan(err), _inf, err))
    bound = f"atol {atol:g}" + (f" + rtol {rtol:g} * |expected|" if rtol else "")
    raise AssertionError(
        f"{_prefix(what)} differs from the reference{where}: got {_fmt(got[idx])}, "
        f"expected {_fmt(expected[idx])} (max abs error {_fmt(max_err)} > {bound}); "
        f"shapes {got.shape}"
    )
