"""A grading worker: nbgrader's autograder run in-process, one job at a time.

Started by autograde.py (python -m rnn_helpers.course.worker). Reads one JSON
job per line on stdin, answers one JSON line on stdout. Keeping the process
alive saves nbgrader's ~2 s start-up on every student, which is where the
--jobs speed-up comes from. The student's code never runs here: it runs in
the kernel nbgrader starts, inside the job folder, with the job's limits.

Job: {"job": J, "student": S, "assignment": A, "config": course config file,
      "cell_timeout": seconds or null, "kernel_name": kernelspec to run,
      "env": {...} (set before nbgrader starts the kernel, which inherits it),
      "kernel_manager": {trait: value} for jupyter_client's KernelManager, such
             as the ipc transport of a sandboxed kernel (sandbox.py), or {}}
Reply: {"ok": bool, "log": last lines of nbgrader's log}
"""

import io
import json
import logging
import os
import sys
import traceback


def _config(job):
    """The course's nbgrader config with every path moved into the job folder."""
    from traitlets.config import PyFileConfigLoader

    from rnn_helpers.course.preprocessors import autograde_preprocessors

    folder, name = os.path.split(job["config"])
    c = PyFileConfigLoader(name, path=folder).load_config()
    course = os.path.join(job["job"], "course")
    c.CourseDirectory.root = course
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(course, "gradebook.db")
    c.CourseDirectory.assignment_id = job["assignment"]
    c.CourseDirectory.student_id = job["student"]
    # whatever kernel the notebook names, it runs under the job's limits
    c.Execute.kernel_name = job["kernel_name"]
    for name, value in job.get("kernel_manager", {}).items():
        setattr(c.KernelManager, name, value)
    if job.get("cell_timeout"):
        c.Execute.timeout = int(job["cell_timeout"])
    # The course config sets this chain already; setting it again keeps a
    # config that failed to load (nbgrader only logs that) from grading unguarded.
    c.Autograde.autograde_preprocessors = autograde_preprocessors()
    return c


def grade(job):
    """Autograde one submission in its job folder; return the reply dict."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    os.environ.update(job["env"])
    os.chdir(os.path.join(job["job"], "course"))
    config = _config(job)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    app = Autograde(coursedir=CourseDirectory(config=config), config=config)
    app.force = True
    app.log.addHandler(handler)
    try:
        app.start()
        ok = True
    except BaseException:  # nbgrader raises on any failed notebook
        ok = False
        buffer.write(traceback.format_exc(limit=3))
    finally:
        app.log.removeHandler(handler)
    return {"ok": ok, "log": buffer.getvalue()[-6000:]}


def _become_subreaper():
    """Orphans of our descendants re-parent to this process, not to init, so
    KillLeftovers finds processes the student's code detached (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def main():
    _become_subreaper()
    # Replies go to the real stdout; anything else printed goes to stderr.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    import nbgrader.converters  # noqa: F401 (pay the import once, before the first job)

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in sys.stdin:
        try:
            reply = grade(json.loads(line))
        except BaseException:
            reply = {"ok": False, "log": traceback.format_exc()[-4000:]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
