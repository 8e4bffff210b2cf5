"""Name the known mistake behind a failing function, from the misconception catalogue.

The catalogue (rnn_helpers/grading/catalogue/) holds, for every graded
function, plausible wrong answers, each with a one-line explanation written
for students (Entry.why). When a hidden check fails, `check` replays the calls
the suite made to the student's function on each known mistake of that
function and, when exactly one explanation fits, adds to the message

    Your output matches a known mistake: <why>

The calls are recorded (a Recorder) in the first rerun of composition.retry,
where the callees' twins are lent to the student's function: a bug in a
callee then does not hide the function's own, and the mistakes run with the
same twins. The rules:

- a mistake fits when, on every recorded call (the inputs copied before the
  student's code ran, the same seed's inputs up to where the check stopped),
  it does what the student's function did: the same graded outputs (not a
  forward's cache) within the check's tolerance (1e-6 times the size of the
  values, 1e-4 when either is float32), the same changes to its inputs in
  place, or the same exception with the same message;
- and it is told apart from a correct answer on those calls (the function's
  twin does something else on at least one of them), so a failure that the
  values cannot show (a dtype, a shape of the cache) is never blamed on a
  mistake that happens to be right on these inputs;
- a check stops at its first failure, often on its smallest inputs, where
  dividing by N cannot be told from not dividing at all: so a mistake that
  fits must also fit the calls of a replay of the whole suite (the student's
  function as its own reference, `replay`) and those of earlier failed checks
  of the same function in this kernel (another hidden cell, an edge suite);
- mistakes that fit with the same explanation count as one; fits with
  different explanations name none: no diagnosis beats a guess.

A wrong answer that fits no known mistake keeps the located message of the
check. The mistakes run with numpy as np and the twins of the graded
functions they call (composition.twin), on copies of the inputs, their
output and warnings dropped, outside the delegation tracer. An entry marked
`hangs` never runs, and a diagnosis that takes more than BUDGET_S seconds
names nothing. Never run on a passing check.

Visible tests: grading.visible calls `tell`, which says the same for the one
call the test makes (`diagnose_call`); there is no replay, so a visible test
names a mistake only as far as its fixed inputs tell mistakes apart.
"""

import builtins
import copy
import functools
import importlib
import pkgutil
import sys
import time
import types
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from rnn_helpers.grading import composition, tamper
from rnn_helpers.grading.cases._common import ATOL32, ATOL64

MARKER = "Your output matches a known mistake: "
_default_rng = np.random.default_rng  # captured before any student code runs
BUDGET_S = 10.0  # seconds a diagnosis may take; on small suite inputs one takes milliseconds
CATALOGUE = "rnn_helpers.grading.catalogue"


def _load_mistakes():
    """function name -> its BUGS entries that may run, from every catalogue module.

    Read once, when the notebook's first cell imports the grading package, so
    that later cells cannot change what the diagnosis runs. A module that
    fails to import only loses its own entries.
    """
    found = {}
    package = importlib.import_module(CATALOGUE)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{CATALOGUE}.{info.name}")
        except Exception:  # a broken catalogue must not break every notebook's first cell
            continue
        for entry in getattr(module, "BUGS", ()):
            if entry.why and not entry.hangs:
                found.setdefault(entry.function, []).append(entry)
    return MappingProxyType({name: tuple(entries) for name, entries in found.items()})


MISTAKES = _load_mistakes()
# Graded functions a mistake may call: they are bound to their twins.
GRADED = frozenset(MISTAKES) | frozenset(c for callees in composition.CALLEES.values() for c in callees)


class Raised(NamedTuple):
    """An exception, as compared: its type's name and its message."""

    kind: str
    text: str

    @classmethod
    def of(cls, error):
        return cls(type(error).__name__, str(error))


class Call(NamedTuple):
    """One call of a function: inputs (copied before it ran) and what it did."""

    args: tuple
    kwargs: dict
    outcome: object  # the value returned, or Raised
    changed: dict | None  # path in (args, kwargs) -> value after the call; None: not known


def _copy(value):
    """A deep copy, or the value itself when it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _identical(a, b):
    """Same shape and the same values, nan where nan (arrays)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:  # equal_nan needs a numeric dtype
        return bool(np.array_equal(a, b))


def _changes(before, after, path=()):
    """{path: value after} for the arrays of `after` (args, kwargs) that differ from `before`."""
    if isinstance(after, np.ndarray):
        same = isinstance(before, np.ndarray) and _identical(before, after)
        return {} if same else {path: after.copy()}
    found = {}
    if isinstance(after, dict) and isinstance(before, dict):
        for key in after:
            if key in before:
                found.update(_changes(before[key], after[key], path + (key,)))
            else:
                found[path + (key,)] = _copy(after[key])
        found.update({path + (key,): "<removed>" for key in before if key not in after})
    elif isinstance(after, (list, tuple)) and isinstance(before, (list, tuple)):
        if len(after) != len(before):
            return {path: _copy(after)}
        for k, (b, a) in enumerate(zip(before, after)):
            found.update(_changes(b, a, path + (k,)))
    return found


class Recorder:
    """Records the calls made to the function it watches, for the diagnosis."""

    def __init__(self):
        self.calls = []

    def watch(self, fn):
        """fn, recording each call: inputs copied before, what it returned or raised, what it changed."""
        calls = self.calls

        def recorded(*args, **kwargs):
            before = _copy((args, kwargs))
            try:
                result = fn(*args, **kwargs)
            except Exception as error:
                calls.append(Call(*before, Raised.of(error), _changes(before, (args, kwargs))))
                raise
            calls.append(Call(*before, _copy(result), _changes(before, (args, kwargs))))
            return result

        return recorded


# ------------------------------------------------------------------- comparison


def graded(name, value):
    """The part of a result the checks grade: a forward's outputs without its cache."""
    if isinstance(value, Raised):
        return value
    if name.endswith("_forward") and isinstance(value, tuple) and len(value) >= 2:
        value = value[:-1]
        return value[0] if len(value) == 1 else value
    return value


def _close(a, b):
    """Numbers or arrays: same shape, nan and inf in the same places, the rest within tolerance."""
    try:
        a, b = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if a.shape != b.shape:
        return False
    numeric = all(np.issubdtype(v.dtype, np.number) or v.dtype == bool for v in (a, b))
    if not numeric or np.iscomplexobj(a) or np.iscomplexobj(b):
        try:
            return bool(np.array_equal(a, b))
        except Exception:
            return False
    x, y = a.astype(np.float64), b.astype(np.float64)
    finite = np.isfinite(x)
    if not np.array_equal(finite, np.isfinite(y)) or not np.array_equal(np.isnan(x), np.isnan(y)):
        return False
    odd = ~finite & ~np.isnan(x)  # +inf or -inf in both: the same sign
    if np.any(x[odd] != y[odd]):
        return False
    if not finite.any():
        return True
    scale = max(1.0, float(np.max(np.abs(x[finite]))), float(np.max(np.abs(y[finite]))))
    base = ATOL32 if np.float32 in (a.dtype, b.dtype) else ATOL64
    return bool(np.all(np.abs(x[finite] - y[finite]) <= base * scale))


def agree(a, b):
    """Whether two results (values, tuples, lists, dicts or Raised) are the same to the tolerance."""
    if isinstance(a, Raised) or isinstance(b, Raised):
        return isinstance(a, Raised) and isinstance(b, Raised) and tuple(a) == tuple(b)
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(agree(a[k], b[k]) for k in a)
        )
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (
            isinstance(a, (tuple, list))
            and isinstance(b, (tuple, list))
            and len(a) == len(b)
            and all(agree(x, y) for x, y in zip(a, b))
        )
    if a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return _close(a, b)


def _same(name, mine, theirs):
    """(outcome, changed) pairs: the same graded outcome and, where known, the same changes."""
    if not agree(graded(name, mine[0]), graded(name, theirs[0])):
        return False
    if mine[1] is None or theirs[1] is None:
        return True
    return mine[1].keys() == theirs[1].keys() and all(agree(mine[1][k], theirs[1][k]) for k in mine[1])


# ------------------------------------------------------------------- the mistakes


def _names(code):
    """Global names a code object (and the code nested in it) uses."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


@functools.cache
def build(entry):
    """The function a catalogue entry defines, with numpy and the twins of the graded functions it calls.

    None when the source does not compile, fails to run, or defines no function
    of the entry's name.
    """
    try:
        code = compile(entry.source, f"<known mistake: {entry.function}: {entry.label}>", "exec")
    except SyntaxError:
        return None
    space = {"__name__": "known_mistake", "__builtins__": builtins, "np": np}
    for name in sorted(_names(code) & GRADED):
        fn = composition.twin(name)
        if fn is not None:
            space[name] = fn
    try:
        with composition.quiet():
            exec(code, space)
    except Exception:
        return None
    fn = space.get(entry.function)
    return fn if callable(fn) else None


def run(fn, call):
    """(outcome, changed) of fn on a copy of the call's inputs, silently; exceptions are outcomes."""
    args, kwargs = _copy(call.args), _copy(call.kwargs)
    with composition.quiet():
        try:
            outcome = fn(*args, **kwargs)
        except Exception as error:
            outcome = Raised.of(error)
    changed = None if call.changed is None else _changes((call.args, call.kwargs), (args, kwargs))
    return outcome, changed


def _fits(name, fn, calls, truths, need_truth=False):
    """Whether fn does what the student's function did on every call, and is told apart from the truth.

    need_truth: every call must have a truth to tell the mistake apart from
    (visible tests: nobody has yet said the student's answer is wrong).
    """
    told_apart = False
    for k, call in enumerate(calls):
        theirs = run(fn, call)
        if not _same(name, (call.outcome, call.changed), theirs):
            return False
        truth = truths(k)
        if truth is None and need_truth:
            return False
        # A twin that cannot run these inputs (a cache in the student's own layout) tells
        # nothing; after a failed check that is enough, since the answer is known to be wrong.
        told_apart = told_apart or truth is None or not _same(name, truth, theirs)
    return told_apart


def _fitting(name, entries, calls, deadline, need_truth=False):
    """The entries whose mistakes fit the calls; None when the time ran out before all were tried."""
    truth_fn = composition.twin(name)

    @functools.cache
    def truths(k):
        if truth_fn is None:
            return None
        outcome = run(truth_fn, calls[k])
        return None if isinstance(outcome[0], Raised) else outcome

    found = []
    for entry in entries:
        if time.perf_counter() > deadline:
            return None  # not every mistake was tried: naming one could be a guess
        fn = build(entry)
        if fn is not None and _fits(name, fn, calls, truths, need_truth):
            found.append(entry)
    return found


def name_mistake(name, calls, more=None, need_truth=False):
    """The `why` of the one known mistake of `name` that fits the recorded calls, or None.

    more: a function returning further calls (see `explain`), asked when some
    mistake fits `calls`: only the mistakes that fit those too stay. A check
    stops at its first failure, often on its smallest inputs (N = T = H = 1),
    where dividing by N cannot be told from not dividing at all.
    need_truth: name a mistake only where the reference's answer on the same
    inputs is known and differs (see _fits).
    """
    entries = MISTAKES.get(name, ())
    if not calls or not entries:
        return None
    deadline = time.perf_counter() + BUDGET_S
    found = _fitting(name, entries, calls, deadline, need_truth)
    if found and more is not None:
        found = _fitting(name, found, calls + more(), deadline, need_truth)
    whys = list(dict.fromkeys(e.why for e in found or ()))
    return whys[0] if len(whys) == 1 else None


def replay(name, entry, seed, student_fn, forward):
    """The calls suite `entry` makes to the student's function when that function is its own reference.

    A check stops at the first failure, so its record can be too short to
    tell two mistakes apart (both give 8 for lstm_param_count(1, 1)). Here
    the suite runs once more with the student's function in the reference's
    place as well, so every comparison of outputs passes and the suite draws
    all its inputs, with the same lent twins and forward as the first rerun
    of composition.retry; it stops only at a check of another kind (an input
    changed in place, a gradient against centred differences). Outside the
    tracer and silent: the check has already failed and nothing here can
    make it pass.
    """
    from rnn_helpers.grading.checker import Twin  # checker imports this module

    first = composition.attempts(name, forward, composition.forward_name(name, entry, forward))[0]
    recorder = Recorder()
    student = Twin(recorder.watch(student_fn), first.forward)
    ref = Twin(student_fn, first.forward)
    with composition.lent(composition.namespaces(student_fn, forward), first.twins), composition.quiet():
        try:
            entry.fn(_default_rng(seed), student, ref)
        except Exception:
            pass  # the calls recorded so far are the evidence
    return recorder.calls


# Calls recorded by earlier failed checks of the same function in this kernel:
# name -> (the function, its code, [Call]). Another hidden cell of the same
# function (an edge suite) can tell apart what one cell's inputs cannot.
_SEEN = {}


def _remembered(name, student_fn):
    """The calls earlier failed checks recorded for this very function (not redefined since)."""
    fn, code, calls = _SEEN.get(name, (None, None, ()))
    same = fn is student_fn and code is getattr(student_fn, "__code__", None)
    return list(calls) if same else []


def _remember(name, student_fn, calls):
    earlier = _remembered(name, student_fn)
    _SEEN[name] = (student_fn, getattr(student_fn, "__code__", None), earlier + list(calls))


def explain(name, error, calls, *, entry=None, seed=0, student_fn=None, forward=None):
    """`error` of a failed check of `name`, with the known mistake named when one fits.

    - calls: what the Recorder of composition.retry's first rerun recorded
    - entry, seed, student_fn, forward: the check's suite and arguments, for
      more evidence once a mistake fits `calls`: the calls of a replay of the
      suite (see `replay`) and of earlier failed checks of the same function
      in this kernel; the mistake must fit them all.

    An AssertionError gets a new message ending in a line "Your output
    matches a known mistake: <why>"; another exception (the student's code
    raised) keeps its traceback and gets that line as a note.
    """

    def more():
        found = _remembered(name, student_fn) if student_fn is not None else []
        if entry is not None and student_fn is not None:
            found += replay(name, entry, seed, student_fn, forward)
        return found

    try:
        why = name_mistake(name, calls, more)
        if student_fn is not None:
            _remember(name, student_fn, calls)
    except Exception:  # the diagnosis must never change what a check reports
        why = None
    if why is None:
        return error
    if isinstance(error, AssertionError):
        return AssertionError(f"{error}\n{MARKER}{why}")
    error.add_note(MARKER + why)
    return error


def diagnose_call(name, student_output, args, kwargs=None):
    """The `why` of the one known mistake of `name` that gives `student_output` on these inputs, or None.

    - name: the graded function ("lstm_step_forward")
    - student_output: what the student's function returned, or the exception it raised
    - args, kwargs: the inputs as they were BEFORE the student's call

    For visible test cells. Pass copies of the inputs to the student's
    function (one that changes its inputs in place would hand the mistakes
    changed inputs otherwise), and call this outside the delegation guard:
    the mistakes call the reference twins. In-place changes are not compared
    here, only outputs (to 1e-6 times their size, 1e-4 for float32). E.g.

        inputs = (x, h_prev, c_prev, Wx, Wh, b)
        out = lstm_step_forward(*copy.deepcopy(inputs))
        ok = np.allclose(out[0], expected_h, rtol=0, atol=1e-6)
        why = None if ok else diagnose_call("lstm_step_forward", out, inputs)
        assert ok, f"h_next differs: ..." + (f"\\n{MARKER}{why}" if why else "")
    """
    outcome = Raised.of(student_output) if isinstance(student_output, BaseException) else student_output
    # Nothing says yet that this output is wrong: a mistake is named only where the
    # reference's answer is known and differs, never for an answer that may be right.
    return name_mistake(name, [Call(tuple(args), dict(kwargs or {}), outcome, None)], need_truth=True)


def copy_inputs(args, kwargs):
    """(args, kwargs) copied, for diagnose_call or tell after the student's function ran on the originals."""
    return _copy((tuple(args), dict(kwargs)))


def _with_twins(name, fn, inputs):
    """What fn does on a copy of `inputs` with its callees' course twins lent (as composition.retry does).

    None when nothing can be lent (no callee, or none the notebook defines):
    then what the student's own call did is all there is.
    """
    twins = composition.attempts(name, None, None)[0].twins
    spaces = composition.namespaces(fn)
    if not any(callee in space for space in spaces for callee in twins):
        return None
    args, kwargs = _copy(inputs)
    with composition.lent(spaces, twins), composition.quiet():
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            return error


def tell(name, fn, outcome, inputs):
    """In a visible test: say so when the student's `name` makes a known mistake on `inputs`.

    - fn: the student's function; outcome: what it returned or raised
    - inputs: copy_inputs(args, kwargs) taken before the call

    A visible test runs the student's own composition, so a wrong callee
    could pass for the caller's own mistake (lstm_backward over an
    lstm_step_backward that ignores dc_next looks like an lstm_backward that
    drops the cell's gradient). So, like a hidden check, the function runs
    once more with its callees' twins lent, outside the tracer and silently,
    and that result is the one compared with the known mistakes. A result
    that fits gets the line "Your output matches a known mistake: <why>"
    printed (on stdout: the test's own assert then fails below it); an
    exception that fits gets it as a note under its traceback. Nothing is
    said for a right answer or one that fits no known mistake. Never raises.
    """
    try:
        lent = _with_twins(name, fn, inputs)
        why = diagnose_call(name, outcome if lent is None else lent, *inputs)
    except Exception:
        return
    if why is None:
        return
    if isinstance(outcome, BaseException):
        outcome.add_note(MARKER + why)
    else:
        print(MARKER + why)


tamper.GUARD.protect(sys.modules[__name__], data=True)
