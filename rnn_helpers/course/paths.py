"""Where the course lives on disk.

The layout is fixed relative to one folder (the repository root by default):
    course/nbgrader_config.py   nbgrader's course root and configuration
    solutions/<A>/<A>.ipynb     authored notebooks (nbgrader source)
    exercises/<A>/<A>.ipynb     released notebooks (generated, committed)
    build/                      everything grading produces (git-ignored)
Tests and the demo point CoursePaths at a temporary copy of that layout.
"""
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


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
    def db_url(self):
        return f"sqlite:///{self.gradebook}"

    @property
    def results(self):
        """The grader's own record of statuses and reasons (see results.py)."""
        return self.build / "grading_results.json"

    @property
    def reports(self):
        return self.build / "reports"

    def assignments(self):
        """Assignment names: folders of solutions/ that hold a notebook, sorted."""
        if not self.solutions.is_dir():
            return []
        return sorted(p.name for p in self.solutions.iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb")))

    def released_assignments(self):
        if not self.exercises.is_dir():
            return []
        return sorted(p.name for p in self.exercises.iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb")))


def tool_env(extra=None):
    """Environment for nbgrader subprocesses: this Python's bin first on PATH
    (nbgrader runs `alembic` from PATH) and the package importable in kernels."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"]
                                          if env.get("PYTHONPATH") else "")
    env["RNN_COURSE_FAST"] = "1"  # the notebooks' fast mode: shorter training, same checks
    env.update(extra or {})
    return env


def make_course(top, solutions_from=None):
    """Create a course at `top` with a copy of the course config; copy
    solutions/ from `solutions_from` when given. Returns its CoursePaths."""
    paths = CoursePaths(Path(top).resolve())
    paths.course.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "course" / "nbgrader_config.py", paths.course)
    if solutions_from is not None:
        shutil.copytree(solutions_from, paths.solutions, dirs_exist_ok=True)
    paths.solutions.mkdir(exist_ok=True)
    return paths
