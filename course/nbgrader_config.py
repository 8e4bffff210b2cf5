"""nbgrader configuration for the RNN course.

The course root is this folder. Authored notebooks live in ../solutions, the
released (student) notebooks in ../exercises (both committed); everything
nbgrader produces while grading lives under ../build, which git ignores.
nbgrader reads this file from the working directory, so run nbgrader (or
`rnn-course`) from course/.
"""
import os

c = get_config()  # noqa: F821 (injected by traitlets)

_here = os.path.dirname(os.path.abspath(__file__))
_build = os.path.join(_here, "..", "build")

c.CourseDirectory.root = _here
c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.source_directory = "../solutions"
c.CourseDirectory.release_directory = "../exercises"
c.CourseDirectory.submitted_directory = "../build/submitted"
c.CourseDirectory.autograded_directory = "../build/autograded"
c.CourseDirectory.feedback_directory = "../build/feedback"
# An absolute path: sqlite resolves relative paths against the current
# directory, and the grading pipeline does not always run from course/.
c.CourseDirectory.db_url = "sqlite:///" + os.path.normpath(os.path.join(_build, "gradebook.db"))

# Per-cell limit; the pipeline adds a wall-clock limit per notebook on top
# (nbgrader has none) and a memory limit on the kernel.
c.Execute.timeout = 30
# A deleted test cell is put back and graded instead of being left for
# manual grading with no score.
c.OverwriteCells.add_missing_cells = True
# Keep feedback readable when a student prints in a loop.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# Students pull the release from git, not from an exchange directory.
c.Exchange.root = os.path.join(_build, "exchange")

# Release: every stub names the function it stands for. Autograde: before each
# test cell the grader audits the kernel for tampering (rnn_helpers.grading).
# nbgrader only logs an exception raised in this file and goes on with its
# defaults, so these imports must stay simple.
from rnn_helpers.course.preprocessors import generate_preprocessors  # noqa: E402
from rnn_helpers.grading.nbgrader_execute import autograde_preprocessors  # noqa: E402

c.GenerateAssignment.preprocessors = generate_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
