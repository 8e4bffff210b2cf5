"""Catch a student's function that delegates to the reference or computes with torch.

While a check runs, a profiler (sys.setprofile, which sees Python calls and
calls of C functions) watches for entries into
- rnn_helpers/reference/, the numpy twins of the exercise functions (one
  rule, by folder: everything else in rnn_helpers is library code a student
  may call: data/, nets/, plots.py, notebook.py, ...),
- torch's recurrent and attention code: torch/nn/modules/rnn.py,
  nn.MultiheadAttention, F.multi_head_attention_forward, torch/nn/attention/,
  and the C kernels torch.lstm, torch.gru, torch.rnn_tanh, ..., the *_cell
  kernels and scaled_dot_product_attention ("delegates to ..."),
- any other code of torch or of another autodiff library that is installed
  (jax, autograd, tensorflow, ...: `AUTODIFF_PACKAGES`, found by folder without
  importing them): Python functions of their packages (torch.nn.functional,
  nn.Module calls, Tensor.backward, torch.autograd.grad), C functions whose
  module is theirs (torch.sigmoid, torch.from_numpy, torch.tensor) and builtin
  methods bound to their objects (t.sigmoid(), t.new_tensor(...), t.numpy()).
  The exercises are numpy only, so such an entry fails the check ("computes
  with torch ..."), unless the suite was registered with torch_ok=True.
  Tensor arithmetic (`a @ b`, `a + b`, `a[i]`, `float(a)`) calls no function
  the profiler sees, so while torch is imported a TorchFunctionMode watches
  those too.
An entry is legitimate when the code that made it is the grader's (a suite
calling the reference twin or torch) and delegation when, walking back
through library frames, the first frame found belongs to the student or is
the wrapper that calls a student function. Walking frames rather than
patching module attributes also catches `from rnn_helpers.reference.rnn
import rnn_forward as f` captured long before the check, and work deferred to
`__array__` of a returned object.

What is not computation: importing a module (its `<module>` code, and the
import system calling into the package), torch calling itself (through
functools or contextlib frames too), and torch's `__del__` finalizers, which
garbage collection may run while any frame is active. What is: torch reached
through library code on the student's behalf, rnn_helpers.nets included, as
the work is done for the student's function all the same.

Known limits: a tensor built by calling a class (torch.DoubleTensor(x)) and
only returned computes nothing and is not flagged; arithmetic on tensors in a
thread the student starts, or after torch is first imported inside the
checked function, is outside the TorchFunctionMode (the calls that made the
tensors are still seen); code compiled from a string into torch's own module
globals passes for torch's (that is how dataclasses write torch's methods).
"""

import functools
import importlib.util
import os
import sys
import sysconfig
import threading
import types

GRADING_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(GRADING_DIR)
# The one folder whose code counts as "the reference": calling it is delegation.
REFERENCE_DIR = os.path.join(PACKAGE_DIR, "reference")

LIBRARY_DIRS = tuple(
    sorted(
        {
            os.path.realpath(p) + os.sep
            for p in (sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))
        }
    )
)

TORCH_C_KERNELS = frozenset(
    {
        "lstm",
        "gru",
        "rnn_tanh",
        "rnn_relu",
        "lstm_cell",
        "gru_cell",
        "rnn_tanh_cell",
        "rnn_relu_cell",
        "scaled_dot_product_attention",
        "_native_multi_head_attention",
        "_fused_sdp_choice",
        "_scaled_dot_product_attention_math",
        "_thnn_fused_lstm_cell",
        "_thnn_fused_gru_cell",
        "quantized_lstm",
        "quantized_gru",
    }
)
# torch files where only some functions are recurrent or attention code.
TORCH_PARTIAL = types.MappingProxyType(
    {
        os.path.join("nn", "modules", "activation.py"): ("MultiheadAttention",),
        os.path.join("nn", "functional.py"): ("multi_head_attention_forward", "scaled_dot_product_attention"),
    }
)
TORCH_WHOLE = (
    os.path.join("nn", "modules", "rnn.py"),
    os.path.join("nn", "attention") + os.sep,
    os.path.join("ao", "nn", "quantized", "dynamic", "modules", "rnn.py"),
)
# Top-level packages that compute with tensors and gradients. Only those
# installed count; a name here that is not installed costs nothing.
AUTODIFF_PACKAGES = (
    "torch",
    "functorch",
    "jax",
    "jaxlib",
    "autograd",
    "tensorflow",
    "keras",
    "tf_keras",
    "mxnet",
    "chainer",
    "paddle",
    "mlx",
    "tinygrad",
    "theano",
    "pytensor",
    "flax",
    "haiku",
    "equinox",
)
# Identities of the functions that switch tracing off: a student calling them is tampering.
_TRACER_SETTERS = frozenset(
    id(f) for f in (sys.setprofile, sys.settrace, threading.setprofile, threading.settrace)
)
_SETTER_MODULES = frozenset({"sys", "threading", "_thread"})  # where such functions live
_QUIET = frozenset({"grader", "library", "student"})  # kinds whose entries are never judged
_AUTODIFF_KINDS = frozenset({"torch", "torch-partial", "autodiff"})
# Methods that build or call an object (an nn.Module...): described by the object's class.
_CALL_METHODS = frozenset({"__init__", "__call__", "_call_impl", "_wrapped_call_impl"})
NUMPY_ONLY = "this exercise is numpy only — write it with numpy operations"


def _installed(names):
    """Folder (or file) of each installed package in `names` -> its name; nothing is imported."""
    found = {}
    for name in names:
        try:
            spec = importlib.util.find_spec(name)  # finds it without importing it
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        folders = [os.path.realpath(p) + os.sep for p in spec.submodule_search_locations or ()]
        for place in folders or [os.path.realpath(spec.origin or "")]:
            # only one installed in site-packages: a student's own jax.py is the student's code
            if os.path.dirname(place.rstrip(os.sep)) + os.sep in LIBRARY_DIRS:
                found[place] = name
    return types.MappingProxyType(found)


AUTODIFF_DIRS = _installed(AUTODIFF_PACKAGES)
_AUTODIFF_PREFIXES = tuple(AUTODIFF_DIRS)
TORCH_DIR = next((place for place, name in AUTODIFF_DIRS.items() if name == "torch"), None)


@functools.cache
def autodiff_package(filename):
    """Name of the autodiff package ("torch", "jax", ...) whose file this is, or None."""
    path = os.path.realpath(filename) if os.path.isabs(filename) else filename
    if not path.startswith(_AUTODIFF_PREFIXES):
        return None
    return next(name for place, name in AUTODIFF_DIRS.items() if path.startswith(place))


# Cached so each file is classified once; an lru_cache, unlike a dict, cannot be
# filled with false entries by student code, only emptied.
@functools.cache
def kind_of(filename):
    """'grader', 'reference', 'torch', 'torch-partial', 'autodiff', 'library' or 'student'.

    'torch' and 'torch-partial' are torch's recurrent and attention files,
    'autodiff' any other file of torch or of another autodiff package.
    """
    path = os.path.realpath(filename) if os.path.isabs(filename) else filename
    if path.startswith(GRADING_DIR + os.sep):
        return "grader"
    if path.startswith(REFERENCE_DIR + os.sep):
        return "reference"
    if path.startswith(PACKAGE_DIR + os.sep):
        return "library"
    if TORCH_DIR and path.startswith(TORCH_DIR):
        rel = path[len(TORCH_DIR) :]
        if rel.startswith(TORCH_WHOLE):
            return "torch"
        return "torch-partial" if rel in TORCH_PARTIAL else "autodiff"
    if autodiff_package(filename):
        return "autodiff"
    if path.startswith(LIBRARY_DIRS) or filename.startswith("<frozen"):
        return "library"
    return "student"  # notebook cells, exec'd strings, the student's own files


@functools.cache
def _relative_to_torch(filename):
    """Path of a torch source file relative to the torch package."""
    return os.path.realpath(filename)[len(TORCH_DIR) :]


@functools.cache
def _owner_root(owner):
    """The package of a C function's owner when the tracer watches it: sys or an autodiff one.

    The owner is the function's module name ("torch._C._nn" -> "torch") or,
    for a method bound to an object, the object's class (torch.Tensor ->
    "torch"). Cached: the profiler asks for every C call, and most (numpy,
    builtins) get None here and nothing more is done for them.
    """
    module = owner if isinstance(owner, str) else getattr(owner, "__module__", None)
    root = module.partition(".")[0] if isinstance(module, str) else None
    return root if root in _SETTER_MODULES or root in AUTODIFF_PACKAGES else None


def student_call(fn, *args, **kwargs):
    """Call the student's function under test; its code object marks that context."""
    return fn(*args, **kwargs)


def forward_call(fn, *args, **kwargs):
    """Call the forward pass handed to a backward check; its code object marks that context."""
    return fn(*args, **kwargs)


_FN, _FORWARD = student_call.__code__, forward_call.__code__


def _generated_kind(frame):
    """kind_of for code compiled from a string ("<string>"): its module's when it runs in one.

    dataclasses and namedtuple compile the methods they write from a string
    and run them in the globals of the class's module: such code is that
    module's (torch's, say), not the student's.
    """
    module = sys.modules.get(frame.f_globals.get("__name__"))
    origin = getattr(module, "__file__", None)
    if origin and getattr(module, "__dict__", None) is frame.f_globals:
        return kind_of(origin)
    return "student"


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
        if kind == "student" and code.co_filename[:1] == "<":
            kind = _generated_kind(frame)
        if kind == "grader":
            return "fn" if seen_student else None
        seen_student = seen_student or kind == "student"
        frame = frame.f_back
    return "fn" if seen_student else None


def _blame_entry(frame):
    """Whose entry into an autodiff package is the one made in `frame` (see _blame).

    None when, through library frames, the package called itself (torch's
    Python calling its C functions, or itself through functools), the import
    system did (running a module, a module's __getattr__), or the reference did
    (judged where the student entered it).
    """
    while frame is not None:
        filename = frame.f_code.co_filename
        kind = kind_of(filename)
        if kind == "student" and filename[:1] == "<":
            kind = _generated_kind(frame)
        if kind != "library":
            break
        if filename.startswith("<frozen importlib"):
            return None
        frame = frame.f_back
    if frame is None or kind in _AUTODIFF_KINDS or kind == "reference":
        return None
    return _blame(frame)


def _describe(frame):
    """module.qualname of the function running in `frame`, for messages."""
    code = frame.f_code
    module = frame.f_globals.get("__name__", "?")
    return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"


def _describe_entry(frame):
    """What a Python entry into an autodiff package does: an nn.Module call names the module's class."""
    code = frame.f_code
    if code.co_name in _CALL_METHODS and code.co_argcount and code.co_varnames[0] == "self":
        cls = type(frame.f_locals.get("self"))
        return f"{cls.__module__}.{cls.__qualname__}"
    return _describe(frame)


def _describe_c(fn):
    """module.name of a C function, or Class.name for a method bound to an object."""
    module = getattr(fn, "__module__", None)
    if isinstance(module, str):
        return f"{module}.{fn.__name__}"
    cls = type(getattr(fn, "__self__", None))
    return f"{cls.__module__}.{cls.__qualname__}.{fn.__name__}"


def _describe_torch_function(func):
    """torch.Tensor.matmul for what `a @ b` dispatches, torch.sigmoid for torch.sigmoid."""
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or "torch"
    return f"{module}.{name.replace('TensorBase', 'Tensor')}"


def _watch_torch_function(self, func, types, args=(), kwargs=None):
    """__torch_function__ of the mode that reports torch calls the profiler cannot see."""
    self.tracer.torch_function(func, sys._getframe(1))
    return func(*args, **(kwargs or {}))


@functools.cache
def _torch_watch_class():
    """A TorchFunctionMode class whose handler is `_watch_torch_function` (torch is imported)."""
    from torch.overrides import TorchFunctionMode

    def init(self, tracer):
        TorchFunctionMode.__init__(self)
        self.tracer = tracer

    return type(
        "TorchWatch",
        (TorchFunctionMode,),
        {"__init__": init, "__torch_function__": _watch_torch_function, "__module__": __name__},
    )


class Tracer:
    """Context manager: record delegations and computations made while it is active.

    `violations` lists what the student's code called in the reference, in
    torch's recurrent or attention code, or to switch tracing off;
    `computations` lists (package, what, who) for each entry into torch or
    another autodiff package on the student's behalf, who being "fn" or
    "forward". `allow` names reference functions the notebook gives students
    as building blocks; `forward_ok` names the reference forward that the
    forward handed to a backward check may be (the notebook may give it, as it
    is not what is being graded); `numpy_only=False` (a suite registered with
    torch_ok=True) lets the function compute with torch.
    """

    def __init__(self, allow=(), forward_ok=(), numpy_only=True):
        self.allow = frozenset(allow)
        self.forward_ok = self.allow | frozenset(forward_ok)
        self.numpy_only = numpy_only
        self.violations = []
        self.computations = []
        self._watch = None

    def _note(self, what):
        if what not in self.violations:
            self.violations.append(what)

    def _computes(self, package, what, who):
        if (package, what, who) not in self.computations:
            self.computations.append((package, what, who))

    def profile(self, frame, event, arg):
        """The sys.setprofile callback: judge entries into watched code."""
        if event == "call":
            code = frame.f_code
            kind = kind_of(code.co_filename)
            if kind in _QUIET or code.co_name == "<module>":
                return  # a module's code runs when it is imported: no one calls it
            caller = frame.f_back
            if kind == "torch-partial":
                qualname = getattr(code, "co_qualname", code.co_name)
                if not qualname.startswith(TORCH_PARTIAL[_relative_to_torch(code.co_filename)]):
                    kind = "autodiff"
            if kind == "autodiff":
                if (
                    self.numpy_only
                    and code.co_name != "__del__"  # a finalizer the garbage collector runs
                    and (caller is None or kind_of(caller.f_code.co_filename) not in _AUTODIFF_KINDS)
                ):
                    who = _blame_entry(caller)
                    if who:
                        self._computes(autodiff_package(code.co_filename), _describe_entry(frame), who)
                return
            if caller is not None and kind_of(caller.f_code.co_filename) == kind:
                return  # inside the reference or torch already: judged at its entry
            who = _blame(caller)
            if who is None or (
                kind == "reference" and code.co_name in (self.allow if who == "fn" else self.forward_ok)
            ):
                return
            self._note(_describe(frame))
        elif event == "c_call":
            try:  # a builtin function or bound method: both attributes always exist
                root = _owner_root(arg.__module__ or type(arg.__self__))
            except AttributeError:
                return
            if root is None:
                return
            name = arg.__name__
            if root in _SETTER_MODULES:
                if id(arg) in _TRACER_SETTERS and _blame(frame):
                    self._note(f"{arg.__module__}.{name} (it switches off the grader's tracing)")
            elif root == "torch" and name in TORCH_C_KERNELS:
                if _blame(frame):
                    self._note(f"torch.{name}")
            elif self.numpy_only:
                who = _blame_entry(frame)
                if who:
                    self._computes(root, _describe_c(arg), who)

    def torch_function(self, func, frame):
        """Judge a torch call seen by the TorchFunctionMode, made in `frame`."""
        who = _blame_entry(frame)
        if who:
            self._computes("torch", _describe_torch_function(func), who)

    def verdict(self, name):
        """The failure message for function `name`, or None when nothing was found."""
        if self.violations:
            return f"{name} delegates to {self.violations[0]}: write it yourself"
        if self.computations:
            package, what, who = self.computations[0]
            if who == "forward":
                return f"{name}: the forward pass given to it computes with {package} ({what}); {NUMPY_ONLY}"
            return f"{name} computes with {package} ({what}): {NUMPY_ONLY}"
        return None

    def _push_watch(self):
        """Watch tensor arithmetic with a TorchFunctionMode, when torch is imported."""
        torch = sys.modules.get("torch")
        if not self.numpy_only or torch is None:
            return
        try:
            cls = _torch_watch_class()
            cls.__torch_function__ = _watch_torch_function  # undo a replaced handler
            watch = cls(self)
            torch._C._push_on_torch_function_stack(watch)
        except (ImportError, AttributeError):  # torch half imported, or without modes
            return
        self._watch = (torch, watch)

    def _pop_watch(self):
        """Pop the mode, and any the student's code pushed above it and left."""
        if self._watch is None:
            return
        torch, watch = self._watch
        self._watch = None
        stack = [torch._C._get_function_stack_at(i) for i in range(torch._C._len_torch_function_stack())]
        if not any(mode is watch for mode in stack):
            self._note("torch._C._pop_torch_function_stack (it removes the grader's watch on torch)")
            return
        while torch._C._pop_torch_function_stack() is not watch:
            pass
        if vars(type(watch)).get("__torch_function__") is not _watch_torch_function:
            self._note("TorchWatch.__torch_function__ (it was replaced during the check)")

    def __enter__(self):
        self._saved = (sys.getprofile(), threading.getprofile())
        self._push_watch()
        threading.setprofile(self.profile)  # threads the student starts are watched too
        sys.setprofile(self.profile)
        return self

    def __exit__(self, *exc):
        if sys.getprofile() != self.profile:
            self._note("sys.setprofile (the grader's tracing was switched off)")
        sys.setprofile(self._saved[0])
        threading.setprofile(self._saved[1])
        self._pop_watch()
        return False
