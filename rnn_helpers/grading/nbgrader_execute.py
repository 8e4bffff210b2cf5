"""nbgrader's Execute preprocessor, plus the grader's audit before each test cell.

Inside the kernel, `tamper.GUARD` undoes changes to numpy, the grading code
and IPython's error reporting before every cell, from an IPython pre_run_cell
hook. Student code can unregister that hook and then hide the error of a
visible test that has no `grading.check` in it. This preprocessor sends the
same audit as a separate, silent request before every autograded test cell,
so it runs whatever hooks the notebook removed. Its outputs belong to no cell.

Enable it in the course's nbgrader_config.py:

    from rnn_helpers.grading.nbgrader_execute import autograde_preprocessors
    c.Autograde.autograde_preprocessors = autograde_preprocessors()

Settings given to Execute (timeout, ...) apply to it unchanged. Note that
nbgrader only logs an exception raised in nbgrader_config.py and goes on with
the defaults, so check its output for "Exception while loading config file".
"""
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

# Runs in the kernel; does nothing in a notebook that never imported the grading
# package, and leaves no name behind in the student's namespace.
AUDIT = ("__import__('sys').modules.get('rnn_helpers.grading') is None or "
         "__import__('sys').modules['rnn_helpers.grading'].tamper.GUARD.before_cell()\n")


class GuardedExecute(Execute):
    """Execute, with `tamper.GUARD` run before every autograded test cell."""

    def preprocess_cell(self, cell, resources, index):
        # preprocess_cell, not async_execute_cell: nbclient's execute_cell is bound
        # to the base class's coroutine when the class is defined.
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            self.wait_for_reply(self.kc.execute(AUDIT, silent=True, store_history=False))
        return super().preprocess_cell(cell, resources, index)


def autograde_preprocessors():
    """nbgrader's default autograde preprocessors with Execute replaced by GuardedExecute."""
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [GuardedExecute if p is Execute else p for p in default]
