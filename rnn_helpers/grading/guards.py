"""Catch a student's function that delegates to the reference or to torch's RNNs.

While a check runs, a profiler (sys.setprofile, which sees Python calls and
calls of C functions) watches for entries into
- rnn_helpers' reference modules (anything in rnn_helpers outside grading/,
  cli/, course/, _checks.py, data.py, plots.py, benchmark.py),
- torch's recurrent and attention code: torch/nn/modules/rnn.py,
  nn.MultiheadAttention, F.multi_head_attention_forward, torch/nn/attention/,
  and the C kernels torch.lstm, torch.gru, torch.rnn_tanh, ..., the *_cell
  kernels and scaled_dot_product_attention.
An entry is legitimate when the code that made it is the grader's (a suite
calling the reference twin) and delegation when, walking back through library
frames, the first frame found belongs to the student or is the wrapper that
calls a student function. Walking frames rather than patching module
attributes also catches `from rnn_helpers.rnn import rnn_forward as f`
captured long before the check, and work deferred to `__array__` of a
returned object.
"""
import functools
import os
import sys
import sysconfig
import threading
import types

GRADING_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(GRADING_DIR)
# Parts of rnn_helpers that are not reference implementations of exercises.
NOT_REFERENCE = frozenset({"grading", "cli", "course", "_checks", "data", "plots", "benchmark",
                           "__init__"})

LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for p in (
    sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))}))

TORCH_C_KERNELS = frozenset({
    "lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell",
    "rnn_relu_cell", "scaled_dot_product_attention", "_native_multi_head_attention",
    "_fused_sdp_choice", "_scaled_dot_product_attention_math", "_thnn_fused_lstm_cell",
    "_thnn_fused_gru_cell", "quantized_lstm", "quantized_gru"})
# torch files where only some functions are recurrent or attention code.
TORCH_PARTIAL = types.MappingProxyType({
    os.path.join("nn", "modules", "activation.py"): ("MultiheadAttention",),
    os.path.join("nn", "functional.py"): ("multi_head_attention_forward",
                                          "scaled_dot_product_attention")})
TORCH_WHOLE = (os.path.join("nn", "modules", "rnn.py"), os.path.join("nn", "attention") + os.sep,
               os.path.join("ao", "nn", "quantized", "dynamic", "modules", "rnn.py"))
# Identities of the functions that switch tracing off: a student calling them is tampering.
_TRACER_SETTERS = frozenset(id(f) for f in (sys.setprofile, sys.settrace, threading.setprofile,
                                            threading.settrace))


def _torch_dir():
    """torch's package folder, or None; torch is not imported for this."""
    import importlib.util
    spec = importlib.util.find_spec("torch")   # finds it without importing it
    return os.path.realpath(os.path.dirname(spec.origin)) + os.sep if spec else None


TORCH_DIR = _torch_dir()


# Cached so each file is classified once; an lru_cache, unlike a dict, cannot be
# filled with false entries by student code, only emptied.
@functools.lru_cache(maxsize=None)
def kind_of(filename):
    """'grader', 'reference', 'torch', 'torch-partial', 'library' or 'student'."""
    path = os.path.realpath(filename) if os.path.isabs(filename) else filename
    if path.startswith(GRADING_DIR + os.sep):
        return "grader"
    if path.startswith(PACKAGE_DIR + os.sep):
        top = os.path.relpath(path, PACKAGE_DIR).split(os.sep)[0]
        return "library" if top.removesuffix(".py") in NOT_REFERENCE else "reference"
    if TORCH_DIR and path.startswith(TORCH_DIR):
        rel = path[len(TORCH_DIR):]
        return ("torch" if rel.startswith(TORCH_WHOLE) else
                "torch-partial" if rel in TORCH_PARTIAL else "library")
    if path.startswith(LIBRARY_DIRS) or filename.startswith("<frozen"):
        return "library"
    return "student"   # notebook cells, exec'd strings, the student's own files


@functools.lru_cache(maxsize=None)
def _relative_to_torch(filename):
    """Path of a torch source file relative to the torch package."""
    return os.path.realpath(filename)[len(TORCH_DIR):]


def student_call(fn, *args, **kwargs):
    """Call the student's function under test; its code object marks that context."""
    return fn(*args, **kwargs)


def forward_call(fn, *args, **kwargs):
    """Call the forward pass handed to a backward check; its code object marks that context."""
    return fn(*args, **kwargs)


_FN, _FORWARD = student_call.__code__, forward_call.__code__


def _blame(frame):
    """Whose call is the one made in `frame`: None (the grader's), "fn" or "forward".

    Walks back through library frames to the first frame that decides: one of
    the wrappers above, or the grader's code (student code in between still
    counts, e.g. an `__array__` method the suite triggered).
    """
    seen_student = False
    while frame is not None:
        code = frame.f_code
        if code is _FN or code is _FORWARD:
            return "fn" if code is _FN else "forward"
        kind = kind_of(code.co_filename)
        if kind == "grader":
            return "fn" if seen_student else None
        seen_student = seen_student or kind == "student"
        frame = frame.f_back
    return "fn" if seen_student else None


def _describe(frame):
    """module.qualname of the function running in `frame`, for messages."""
    code = frame.f_code
    module = frame.f_globals.get("__name__", "?")
    return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"


class Tracer:
    """Context manager: record delegations made while it is active.

    `violations` lists what the student's code called. `allow` names reference
    functions the notebook gives students as building blocks; `forward_ok`
    names the reference forward that the forward handed to a backward check may
    be (the notebook may give it, as it is not what is being graded).
    """

    def __init__(self, allow=(), forward_ok=()):
        self.allow = frozenset(allow)
        self.forward_ok = self.allow | frozenset(forward_ok)
        self.violations = []

    def _note(self, what):
        if what not in self.violations:
            self.violations.append(what)

    def profile(self, frame, event, arg):
        """The sys.setprofile callback: judge entries into watched code."""
        if event == "call":
            kind = kind_of(frame.f_code.co_filename)
            if kind in ("grader", "library", "student"):
                return
            caller = frame.f_back
            if caller is not None and kind_of(caller.f_code.co_filename) == kind:
                return   # inside the reference or torch already: judged at its entry
            if kind == "torch-partial":
                rel = _relative_to_torch(frame.f_code.co_filename)
                qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
                if not qualname.startswith(TORCH_PARTIAL[rel]):
                    return
            who = _blame(caller)
            if who is None or (kind == "reference" and frame.f_code.co_name in (
                    self.allow if who == "fn" else self.forward_ok)):
                return
            self._note(_describe(frame))
        elif event == "c_call":
            name = getattr(arg, "__name__", None)
            if name in TORCH_C_KERNELS and str(getattr(arg, "__module__", "")).startswith("torch"):
                if _blame(frame):
                    self._note(f"torch.{name}")
            elif id(arg) in _TRACER_SETTERS and _blame(frame):
                self._note(f"{arg.__module__}.{name} (it switches off the grader's tracing)")

    def __enter__(self):
        self._saved = (sys.getprofile(), threading.getprofile())
        threading.setprofile(self.profile)   # threads the student starts are watched too
        sys.setprofile(self.profile)
        return self

    def __exit__(self, *exc):
        if sys.getprofile() != self.profile:
            self._note("sys.setprofile (the grader's tracing was switched off)")
        sys.setprofile(self._saved[0])
        threading.setprofile(self._saved[1])
        return False
