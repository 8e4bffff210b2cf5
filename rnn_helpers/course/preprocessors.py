"""The course's nbgrader preprocessors, and the one autograde chain that uses them.

`autograde_preprocessors()` is the only autograde chain: course/nbgrader_config.py
gives it to plain `nbgrader autograde` and formgrader, and the grading worker of
`rnn-course autograde` loads that same configuration, so every route grades alike.

GuardedExecute: nbgrader's Execute, plus the grader's tamper audit before each
test cell. Inside the kernel, `tamper.GUARD` undoes changes to numpy, the
grading code and IPython's error reporting before every cell, from an IPython
pre_run_cell hook; student code can unregister that hook and then hide the
error of a visible test that has no `grading.check` in it. The audit is also
sent as a separate, silent request before every autograded test cell, so it
runs whatever hooks the notebook removed. Its outputs belong to no cell.
KillLeftovers: the kernel has been shut down by then, but a process the
student's code started (a daemon that would rewrite the gradebook or the
notebook after grading) may still run; it is killed before anything is saved.
CapOutputs: nbgrader's LimitOutput counts lines; one enormous line (or a huge
repr) would still bloat the autograded notebook and the feedback HTML.
StderrAsStdout: nbgrader gives 0 to a test cell with anything on stderr; output
never costs points, so stderr in test cells becomes (marked) stdout before the
grades are saved, and only errors score 0.
ClearSolutionsNamingTheFunction (release): stubs that name their function.
ClearTaskMarkScheme (feedback): the written questions' mark schemes stay out of
students' feedback pages (feedback_preprocessors, in course/nbgrader_config.py).

nbgrader only logs an exception raised in nbgrader_config.py and goes on with
its defaults, so check its output for "Exception while loading config file".
"""

import os

import psutil
from nbgrader.preprocessors import (
    ClearMarkScheme,
    ClearSolutions,
    Execute,
    LimitOutput,
    NbGraderPreprocessor,
)
from nbgrader.utils import is_grade, is_solution, is_task
from traitlets import Integer

from rnn_helpers.course.isolation import TOKEN_VAR, kill_processes

# Runs in the kernel; does nothing in a notebook that never imported the grading
# package, and leaves no name behind in the student's namespace.
AUDIT = (
    "__import__('sys').modules.get('rnn_helpers.grading') is None or "
    "__import__('sys').modules['rnn_helpers.grading'].tamper.GUARD.before_cell()\n"
)


class GuardedExecute(Execute):
    """Execute, with `tamper.GUARD` run before every autograded test cell."""

    def preprocess_cell(self, cell, resources, index):
        # preprocess_cell, not async_execute_cell: nbclient's execute_cell is bound
        # to the base class's coroutine when the class is defined.
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            self.wait_for_reply(self.kc.execute(AUDIT, silent=True, store_history=False))
        return super().preprocess_cell(cell, resources, index)


TRUNCATED = "... output truncated by the grader ..."


class CapOutputs(NbGraderPreprocessor):
    """Truncate text outputs to max_chars; drop rich outputs larger than max_chars."""

    max_chars = Integer(20000, help="most characters kept per output").tag(config=True)

    def _cap(self, text):
        return text if len(text) <= self.max_chars else text[: self.max_chars] + "\n" + TRUNCATED

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cap(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                for mime in list(data):
                    value = data[mime] if isinstance(data[mime], str) else str(data[mime])
                    if mime == "text/plain":
                        data[mime] = self._cap(value)
                    elif len(value) > self.max_chars * 10:
                        del data[mime]
                if not data:
                    data["text/plain"] = TRUNCATED
        return cell, resources


# The kernel's half marks lines the same way (rnn_helpers/grading/output.py); it
# is not imported here, so that nbgrader's process never loads the in-kernel package.
STDERR_MARK = "[stderr] "


def mark_lines(text, line_start=True):
    """`text` with STDERR_MARK before every line that starts in it (the first only if line_start)."""
    lines = text.split("\n")
    return "\n".join(
        STDERR_MARK + line if line and (i > 0 or line_start) else line for i, line in enumerate(lines)
    )


class StderrAsStdout(NbGraderPreprocessor):
    """Turn stderr into stdout in autograded test cells, so that only errors cost points.

    nbgrader scores a test cell 0 when it has an error output OR any stderr
    stream (nbgrader.utils.determine_grade): a debugging print to stderr or a
    numpy RuntimeWarning cost a correct function its points. The grading
    library already shows the kernel's sys.stderr on stdout
    (rnn_helpers/grading/output.py); this catches the rest (file descriptor
    2, a notebook without the library). Each stderr line keeps its text,
    marked "[stderr] ". Error outputs are left exactly as they are, and
    nbgrader's Execute adds one whenever the kernel replies that a cell failed
    (even where IPython printed the error to stderr only, as for UsageError),
    so an exception still scores 0.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not is_grade(cell) or is_solution(cell):
            return cell, resources
        line_start = True
        for output in cell.outputs:
            if output.output_type != "stream":
                line_start = True
                continue
            if output.name == "stderr":
                output.name = "stdout"
                output.text = mark_lines(output.text, line_start)
            line_start = output.text.endswith("\n")
        return cell, resources


class KillLeftovers(NbGraderPreprocessor):
    """Kill every descendant of the grading worker before grades are saved.

    The worker is a child subreaper (see worker.py), so even a double-forked
    daemon stays its descendant. Only inside a grading job (the worker sets
    RNN_GRADING_JOB): under formgrader the process is the Jupyter server,
    whose other children are the instructor's own kernels.
    """

    def preprocess(self, nb, resources):
        if not os.environ.get(TOKEN_VAR):
            return nb, resources
        procs = psutil.Process().children(recursive=True)
        kill_processes(procs)
        if procs:
            self.log.warning("killed %d process(es) left by the notebook", len(procs))
        return nb, resources


class ClearSolutionsNamingTheFunction(ClearSolutions):
    """nbgrader's ClearSolutions, with a stub that names what the cell must define.

    nbgrader writes the same `raise NotImplementedError()` into every solution
    cell; a student who runs all cells then sees an error that does not say
    which function is missing. The solution cell of function F has grade_id F
    (the exercise API's convention), so the stub can name it.
    """

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not grade_id:
            return super().preprocess_cell(cell, resources, index)
        original = self.code_stub
        language = resources["language"]
        self.code_stub = dict(
            original,
            **{
                language: (
                    "# YOUR CODE HERE\n"
                    f'raise NotImplementedError("{grade_id} is not written yet: '
                    'replace this line with your code")'
                )
            },
        )
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.code_stub = original


def generate_preprocessors():
    """nbgrader's generate_assignment preprocessors with the naming ClearSolutions."""
    from nbgrader.converters import GenerateAssignment

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    return [ClearSolutionsNamingTheFunction if p is ClearSolutions else p for p in default]


def autograde_preprocessors():
    """nbgrader's default autograde chain with the course's preprocessors in place.

    Execute becomes GuardedExecute followed by KillLeftovers; CapOutputs and
    StderrAsStdout follow LimitOutput (so both before SaveAutoGrades).
    Everything else is nbgrader's, in nbgrader's order.
    """
    from nbgrader.converters import Autograde

    chain = []
    for step in Autograde.class_traits()["autograde_preprocessors"].default():
        if step is Execute:
            chain += [GuardedExecute, KillLeftovers]
        elif step is LimitOutput:
            chain += [LimitOutput, CapOutputs, StderrAsStdout]
        else:
            chain.append(step)
    return chain


def feedback_preprocessors():
    """nbgrader's generate_feedback preprocessors with ClearTaskMarkScheme after GetGrades:
    the autograded notebook holds each written question's mark scheme (put back
    for formgrader); the student's feedback page must not."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    chain = []
    for step in GenerateFeedback.class_traits()["preprocessors"].default():
        chain.append(step)
        if step is GetGrades:
            chain.append(ClearTaskMarkScheme)
    return chain


class ClearTaskMarkScheme(ClearMarkScheme):
    """nbgrader's ClearMarkScheme on the question (task) cells only: a student's
    answer that happens to contain the delimiters is theirs, and must not stop
    the class's feedback with nbgrader's "mark scheme in a non-grade cell"."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not is_task(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)
