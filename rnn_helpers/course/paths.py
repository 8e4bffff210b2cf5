"""Where the course lives on disk.

The layout is fixed relative to one folder (the repository root by default):
    course/nbgrader_config.py   nbgrader's course root and configuration
    solutions/<A>/<A>.ipynb     authored notebooks (nbgrader source)
    exercises/<A>/<A>.ipynb     released notebooks (generated, committed)
    build/                      everything grading produces (git-ignored)
Tests and the demo point CoursePaths at a temporary copy of that layout.

Two settings come from course/nbgrader_config.py, so that nbgrader's own
commands (formgrader, `nbgrader autograde`) and the pipeline agree:
    c.CourseDirectory.db_url   the gradebook (default: sqlite in build/; a
                               PostgreSQL URL keeps it on a database server)
    c.RnnCourse.cluster        the Dask scheduler `rnn-course autograde`
                               sends jobs to (default: none, the local pool)
"""

import functools
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from rnn_helpers.notebook import FAST_VAR

REPO_ROOT = Path(__file__).resolve().parents[2]
# The exchange folder of a class on a JupyterHub (shared by the instructor and students).
EXCHANGE_VAR = "RNN_COURSE_EXCHANGE"


@dataclass(frozen=True)
class CoursePaths:
    """All folders of one course, derived from its top folder."""

    top: Path

    @classmethod
    def default(cls):
        return cls(Path(os.environ.get("RNN_COURSE_TOP", REPO_ROOT)).resolve())

    @property
    def course(self):
        return self.top / "course"

    @property
    def solutions(self):
        return self.top / "solutions"

    @property
    def exercises(self):
        return self.top / "exercises"

    @property
    def build(self):
        return self.top / "build"

    @property
    def submitted(self):
        return self.build / "submitted"

    @property
    def autograded(self):
        return self.build / "autograded"

    @property
    def feedback(self):
        return self.build / "feedback"

    @property
    def gradebook(self):
        return self.build / "gradebook.db"

    @property
    def default_db_url(self):
        """The gradebook URL when the course config sets none: build/gradebook.db."""
        return f"sqlite:///{self.gradebook}"

    @property
    def db_url(self):
        """The gradebook's URL: CourseDirectory.db_url of course/nbgrader_config.py
        (PostgreSQL: postgresql://USER@HOST:PORT/DB), else default_db_url."""
        return self.config().CourseDirectory.get("db_url") or self.default_db_url

    @property
    def cluster(self):
        """The Dask scheduler address set by c.RnnCourse.cluster, or None."""
        return self.config().RnnCourse.get("cluster") or None

    def config(self):
        """course/nbgrader_config.py as nbgrader reads it (a traitlets Config,
        empty without the file), loaded again only when the file changes."""
        path = self.course / "nbgrader_config.py"
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            from traitlets.config import Config

            return Config()
        return _load_config(str(path), stamp)

    @property
    def results(self):
        """The grader's own record of statuses and reasons (see results.py)."""
        return self.build / "grading_results.json"

    @property
    def reports(self):
        return self.build / "reports"

    @property
    def exchange(self):
        """nbgrader's exchange folder: $RNN_COURSE_EXCHANGE where set (a JupyterHub
        sets it for every server it starts, see deploy/), else build/exchange, a
        writable default for a single machine."""
        shared = os.environ.get(EXCHANGE_VAR)
        return Path(shared).resolve() if shared else self.build / "exchange"

    def nbgrader_course_directory(self):
        """nbgrader's CourseDirectory settings for this layout.

        course/nbgrader_config.py applies them, so this class is the one
        definition of the course folders. Folders are relative to the course
        root (nbgrader's convention); the gradebook URL is absolute, since
        sqlite resolves a relative path against the current directory.
        """

        def rel(path):
            return os.path.relpath(path, self.course)

        return {
            "root": str(self.course),
            "source_directory": rel(self.solutions),
            "release_directory": rel(self.exercises),
            "submitted_directory": rel(self.submitted),
            "autograded_directory": rel(self.autograded),
            "feedback_directory": rel(self.feedback),
            # not self.db_url, which reads the config that calls this
            "db_url": self.default_db_url,
        }

    def assignments(self):
        """Assignment names: folders of solutions/ that hold a notebook, sorted."""
        if not self.solutions.is_dir():
            return []
        return sorted(p.name for p in self.solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def released_assignments(self):
        if not self.exercises.is_dir():
            return []
        return sorted(p.name for p in self.exercises.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def tool_env(extra=None):
    """Environment for nbgrader subprocesses: this Python's bin first on PATH
    (nbgrader runs `alembic` from PATH) and the package importable in kernels."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env[FAST_VAR] = "1"  # the notebooks' fast mode: shorter training, same checks
    env.update(extra or {})
    return env


def own_bin_on_path():
    """Put this Python's bin folder first on PATH, in this process.

    nbgrader's Gradebook runs the `alembic` executable from PATH when it opens a
    gradebook, in the calling process (report, collect): `.venv/bin/rnn-course`
    called by its full path, with no activated environment, must still find it.
    """
    own = os.path.dirname(sys.executable)
    if own not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = own + os.pathsep + os.environ.get("PATH", "")


@functools.lru_cache(maxsize=16)
def _load_config(path, stamp):
    from traitlets.config import PyFileConfigLoader

    folder, name = os.path.split(path)
    return PyFileConfigLoader(name, path=folder).load_config()


# Appended to the config of a copy: the instructor's database and cluster stay theirs.
_COPY_SETTINGS = """
# A copy of the course (paths.make_course): its own gradebook, graded on this machine.
c.CourseDirectory.db_url = CoursePaths(Path(__file__).resolve().parents[1]).default_db_url
c.RnnCourse.cluster = ""
"""


def make_course(top, solutions_from=None):
    """Create a course at `top` with a copy of the course config; copy
    solutions/ from `solutions_from` when given. Returns its CoursePaths.

    The copy keeps its gradebook in its own build/ and grades on this machine,
    whatever database or cluster the course config names."""
    paths = CoursePaths(Path(top).resolve())
    paths.course.mkdir(parents=True, exist_ok=True)
    config = paths.course / "nbgrader_config.py"
    config.write_text((REPO_ROOT / "course" / "nbgrader_config.py").read_text() + _COPY_SETTINGS)
    if solutions_from is not None:
        shutil.copytree(solutions_from, paths.solutions, dirs_exist_ok=True)
    paths.solutions.mkdir(exist_ok=True)
    return paths
