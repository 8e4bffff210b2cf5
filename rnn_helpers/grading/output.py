"""Output never costs points: stderr is shown on stdout, warnings become notes.

nbgrader's rule (nbgrader.utils.determine_grade, used by autograde and by the
Validate button alike) gives 0 to a test cell with an error OR with anything on
stderr, so a debugging `print(..., file=sys.stderr)` or a numpy RuntimeWarning
cost a correct function its points. A check fails on wrong values, shapes,
dtypes, exceptions, time or tampering; never on output.

- `StderrToStdout` (installed by `install()`, which the package runs when the
  notebook's locked first cell imports it): in a Jupyter kernel, text written
  to sys.stderr is printed on stdout, each line marked "[stderr] ". Python's
  warnings are written to sys.stderr, so they follow. Only writes through
  sys.stderr are caught: what a C library writes to file descriptor 2 still
  arrives as stderr, and the grader's side (StderrAsStdout in
  rnn_helpers/course/preprocessors.py) turns it into stdout in autograded test
  cells. The Validate button has only this half.
- `StudentWarnings`: while `check` runs a suite, the warnings that the
  student's function emits are recorded and printed after the suite as
  "note: <function> emitted <Category>: <message> (this does not cost points)".
"""

import sys
import warnings

from rnn_helpers.grading import guards

MARK = "[stderr] "
MAX_NOTES = 10  # distinct notes printed per check; a warning in a loop repeats itself


def mark_lines(text, line_start=True):
    """`text` with MARK before every line that starts in it (the first only if line_start)."""
    lines = text.split("\n")
    return "\n".join(MARK + line if line and (i > 0 or line_start) else line for i, line in enumerate(lines))


class StderrToStdout:
    """A sys.stderr that prints its text on the current sys.stdout, lines marked.

    Everything but writing (set_parent, fileno, encoding, isatty, ...) is the
    original stream's, so ipykernel keeps routing output to the right cell.
    """

    def __init__(self, original):
        self._original = original
        self._line_start = True  # the last text written ended a line

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            target = sys.stdout if sys.stdout is not self else self._original
            target.write(mark_lines(text, self._line_start))
            self._line_start = text.endswith("\n")
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if sys.stdout is not self:
            sys.stdout.flush()
        self._original.flush()

    def __getattr__(self, name):
        return getattr(self._original, name)


def install():
    """Replace sys.stderr by a StderrToStdout, in a Jupyter kernel only and once.

    Outside a kernel (a terminal, pytest) nothing scores stderr, and a replaced
    sys.stderr would only get in the way of the tools that capture it.
    """
    stream = sys.stderr
    if isinstance(stream, StderrToStdout) or not type(stream).__module__.startswith("ipykernel."):
        return
    sys.stderr = StderrToStdout(stream)


def _whose(frame):
    """Whose call `frame` runs in: "fn" or "forward" inside a student's function, else None.

    Every call `check` makes to a student's function goes through
    guards.student_call (guards.forward_call for the forward handed to a
    backward check), so the stack at the moment a warning is issued says whose
    call it was, wherever numpy or Python attribute the warning.
    """
    fn, forward = guards.student_call.__code__, guards.forward_call.__code__
    while frame is not None:
        if frame.f_code is fn:
            return "fn"
        if frame.f_code is forward:
            return "forward"
        frame = frame.f_back
    return None


class StudentWarnings:
    """Context manager around a suite: the student's warnings become notes printed at exit.

    A warning is the student's when it is issued inside a call of the
    student's function (see `_whose`): a numpy RuntimeWarning from the
    student's np.exp, a DeprecationWarning of a library the student calls.
    Warnings issued by the grader's own code (the suite, the reference twin)
    are not the student's: they are shown as Python would have shown them.
    Every warning is recorded, however often it was seen before ("always"), so
    the notes do not depend on what ran earlier in the kernel; a warning never
    fails a check, even where the notebook turned warnings into errors.
    """

    def __init__(self, name):
        self.name = name
        self.notes = {}  # note text -> None: distinct notes in the order seen

    def __enter__(self):
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("always")
        self._show = warnings.showwarning
        warnings.showwarning = self._record
        return self

    def __exit__(self, *exc_info):
        self._catch.__exit__(*exc_info)
        notes = list(self.notes)
        for text in notes[:MAX_NOTES]:
            print(text)
        if len(notes) > MAX_NOTES:
            print(f"note: {len(notes) - MAX_NOTES} more different warnings not shown")
        return False

    def _record(self, message, category, filename, lineno, file=None, line=None):
        whose = _whose(sys._getframe(1))
        if whose is None:
            self._show(message, category, filename, lineno, file, line)
            return
        who = self.name if whose == "fn" else f"the forward pass given to {self.name}"
        self.notes.setdefault(
            f"note: {who} emitted {category.__name__}: {message} (this does not cost points)"
        )
