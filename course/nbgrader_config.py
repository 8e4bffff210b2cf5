"""nbgrader configuration for the RNN course.

The course root is this folder. Authored notebooks live in ../solutions, the
released (student) notebooks in ../exercises (both committed); everything
nbgrader produces while grading lives under ../build, which git ignores. The
folders are defined once, by rnn_helpers.course.paths.CoursePaths.
nbgrader reads this file from the working directory, so run nbgrader (or
`rnn-course`) from course/.

nbgrader only logs an exception raised in this file and goes on with its
defaults, so the imports below must stay simple.
"""

from pathlib import Path

from rnn_helpers.course.paths import CoursePaths
from rnn_helpers.course.preprocessors import (
    autograde_preprocessors,
    feedback_preprocessors,
    generate_preprocessors,
)

c = get_config()  # noqa: F821 (injected by traitlets)

_paths = CoursePaths(Path(__file__).resolve().parents[1])
for _name, _value in _paths.nbgrader_course_directory().items():
    setattr(c.CourseDirectory, _name, _value)
c.CourseDirectory.course_id = "rnn-course"

# Per-cell limit; the pipeline adds a wall-clock limit per notebook on top
# (nbgrader has none) and a memory limit on the kernel.
c.Execute.timeout = 30
# A deleted test cell is put back and graded instead of being left for
# manual grading with no score.
c.OverwriteCells.add_missing_cells = True
# Keep feedback readable when a student prints in a loop.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# Students pull the release from git; the exchange serves nbgrader's
# Assignment List and formgrader on a single machine.
c.Exchange.root = str(_paths.exchange)

# Release: every stub names the function it stands for. Autograde: the one chain
# used by formgrader, plain `nbgrader autograde` and `rnn-course autograde`
# (rnn_helpers/course/preprocessors.py): before each test cell the grader audits
# the kernel for tampering, outputs are capped, leftover processes killed.
c.GenerateAssignment.preprocessors = generate_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
# Autograde puts each written question's mark scheme back for formgrader's
# manual grading; feedback pages for students leave it out.
c.GenerateFeedback.preprocessors = feedback_preprocessors()
