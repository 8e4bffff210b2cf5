"""Notice and undo what student code changes to make checks pass dishonestly.

A snapshot is taken when the grading package is imported (the notebook's
locked first cell, before any student code) of
- numpy's functions (a redefined np.allclose or np.tanh would fool the
  visible tests or the reference itself),
- the grading package and the reference modules (a replaced `check`,
  `assert_close` or reference twin, including a swapped `__code__`),
- a few builtins the checks rely on,
- the IPython shell's error reporting: custom exception handlers, methods
  overridden on the instance or the class, AST and input transformers,
  event callbacks; nbgrader scores a test cell by its error outputs, so
  anything that hides an error hands out points.
`audit()` compares the present with the snapshot, restores what changed and
returns one line per change. It runs before every cell (an IPython
pre_run_cell hook, and from outside the kernel with GuardedExecute in
rnn_helpers/course/preprocessors.py) and before and after every `check`.
"""

import builtins
import sys
import types

from rnn_helpers.grading import guards

_BUILTINS = (
    "AssertionError",
    "Exception",
    "BaseException",
    "__import__",
    "isinstance",
    "getattr",
    "setattr",
    "callable",
    "abs",
    "max",
    "min",
    "len",
    "float",
    "int",
    "range",
    "zip",
    "sum",
    "all",
    "any",
    "type",
    "tuple",
    "dict",
    "str",
)
# Objects on the shell instance that report errors; replacing one hides them.
_WATCHED = frozenset(
    {"CustomTB", "InteractiveTB", "SyntaxTB", "display_pub", "displayhook", "display_formatter", "events"}
)
# Lists of transformations applied to every cell's source or syntax tree.
_SHELL_LISTS = ("ast_transformers", "input_transformers_cleanup", "input_transformers_post")
_MANAGER_LISTS = ("cleanup_transforms", "line_transforms", "token_transformers")


def _installed(callback):
    """True for a callback written in an installed package (inline figures, widgets)."""
    code = getattr(getattr(callback, "__func__", callback), "__code__", None)
    return code is not None and guards.kind_of(code.co_filename) in ("library", "grader")


def _entry(obj):
    """What must stay the same for an attribute: the object, and its code if a function."""
    return obj, getattr(obj, "__code__", None)


class ModuleSnapshot:
    """Attributes of one module (and methods of its own classes) at snapshot time.

    With data=False only functions, classes and modules are kept (numpy and
    the reference); with data=True every attribute except those in `mutable`
    (the grading package's own tables must not be swapped either).
    """

    def __init__(self, module, data=False, mutable=()):
        self.module = module
        self.attrs = {
            k: _entry(v)
            for k, v in vars(module).items()
            if k not in mutable
            and not k.startswith("__")
            and (data or callable(v) or isinstance(v, types.ModuleType))
        }
        self.classes = {
            k: dict(vars(v))
            for k, v in vars(module).items()
            if isinstance(v, type) and v.__module__ == module.__name__
        }

    def audit(self):
        """Restore this module's changed attributes; one line per change."""
        found, space, name = [], vars(self.module), self.module.__name__
        if sys.modules.get(name) is not self.module:
            sys.modules[name] = self.module
            found.append(f"sys.modules[{name!r}] was replaced")
        for k, (obj, code) in self.attrs.items():
            if k not in space or space[k] is not obj:
                space[k] = obj
                found.append(f"{name}.{k} was redefined")
            elif code is not None and getattr(obj, "__code__", None) is not code:
                obj.__code__ = code
                found.append(f"the code of {name}.{k} was replaced")
        for k, saved in self.classes.items():
            cls = space[k]
            for attr, value in saved.items():
                if vars(cls).get(attr) is not value and not attr.startswith("__"):
                    setattr(cls, attr, value)
                    found.append(f"{name}.{k}.{attr} was redefined")
        return found


class ShellSnapshot:
    """The IPython shell's error reporting and cell rewriting at snapshot time."""

    def __init__(self, shell):
        self.shell = shell
        self.instance = {k: v for k, v in vars(shell).items() if callable(v)}
        self.classes = [
            (c, {k: v for k, v in vars(c).items() if callable(v)})
            for c in type(shell).__mro__
            if c is not object
        ]
        self.lists = {k: (getattr(shell, k), list(getattr(shell, k))) for k in _SHELL_LISTS}
        manager = shell.input_transformer_manager
        self.manager = manager
        self.manager_lists = {
            k: (getattr(manager, k), list(getattr(manager, k))) for k in _MANAGER_LISTS if hasattr(manager, k)
        }
        self.callbacks = {e: list(cbs) for e, cbs in shell.events.callbacks.items()}
        self.grading = sys.modules[__package__]
        self.grading_names = set()

    def audit(self):
        """Restore the shell's error reporting and cell rewriting; one line per change."""
        shell, found = self.shell, []
        if shell.custom_exceptions:
            shell.custom_exceptions = ()
            found.append("a custom exception handler was installed")
        for k, v in list(vars(shell).items()):
            if not callable(v) or self.instance.get(k) is v:
                continue
            if k in self.instance and k in _WATCHED:
                setattr(shell, k, self.instance[k])
            elif k not in self.instance and any(k in vars(c) for c, _ in self.classes):
                delattr(shell, k)  # an instance attribute hiding one of the class's methods
            else:
                continue  # state IPython itself keeps on the instance
            found.append(f"the shell's {k} was overridden")
        for cls, saved in self.classes:
            for k, v in saved.items():
                if vars(cls).get(k) is not v:
                    setattr(cls, k, v)
                    found.append(f"{cls.__name__}.{k} was redefined")
        for owner, lists in ((shell, self.lists), (self.manager, self.manager_lists)):
            for k, (lst, items) in lists.items():
                if getattr(owner, k) is not lst or lst != items:
                    setattr(owner, k, lst)
                    lst[:] = items
                    found.append(f"the shell's {k} were changed")
        for event, cbs in shell.events.callbacks.items():
            for cb in list(cbs):
                if cb not in self.callbacks.get(event, ()) and not _installed(cb):
                    cbs.remove(cb)
                    found.append(f"a {event} callback was registered")
            for cb in self.callbacks.get(event, ()):
                if cb not in cbs:
                    cbs.append(cb)  # the grader's own hook, or the kernel's, put back
                    found.append(f"a {event} callback was removed")
        found += self._audit_names()
        return found

    def _audit_names(self):
        """Put the grading module back under every name the notebook gave it."""
        grading, space, found = self.grading, self.shell.user_ns, []
        for k in self.grading_names:
            if space.get(k) is not grading:
                space[k] = grading
                found.append(f"the name {k!r} was rebound away from rnn_helpers.grading")
        self.grading_names |= {k for k, v in space.items() if v is grading}
        return found


class Guard:
    """All snapshots together; `audit()` restores everything and reports it."""

    def __init__(self):
        self.modules, self.shell = [], None
        self.builtins = {k: getattr(builtins, k) for k in _BUILTINS}

    def protect(self, module, data=False, mutable=()):
        """Snapshot `module` (once): from now on changes to it are undone."""
        if all(s.module is not module for s in self.modules):
            self.modules.append(ModuleSnapshot(module, data, mutable))

    def watch_shell(self, shell):
        """Snapshot the IPython shell and audit before every cell it runs."""
        if shell is None or self.shell is not None:
            return
        shell.events.register("pre_run_cell", self.before_cell)
        self.shell = ShellSnapshot(shell)

    def before_cell(self, info=None):
        """The pre_run_cell hook: audit, and say what was undone."""
        found = self.audit()
        if found:
            # stdout, not stderr: nbgrader gives 0 to a test cell that prints to stderr.
            print("rnn_helpers.grading undid changes made by earlier cells: " + "; ".join(found))

    def audit(self):
        """Restore everything that differs from the snapshots; one line per change."""
        found = []
        for k, v in self.builtins.items():
            if getattr(builtins, k, None) is not v:
                setattr(builtins, k, v)
                found.append(f"builtins.{k} was redefined")
        for snap in self.modules:
            found += snap.audit()
        if self.shell is not None:
            found += self.shell.audit()
        return list(dict.fromkeys(found))  # each change once, in the order found


def get_shell():
    """The running IPython shell, or None outside IPython."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None


GUARD = Guard()
