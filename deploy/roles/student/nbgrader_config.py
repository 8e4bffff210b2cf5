"""nbgrader settings of a student's server on the class hub (deploy/jupyterhub_config.py).

The hub puts this folder on JUPYTER_CONFIG_PATH for students only. A student
needs just the exchange and the course id, both set by the hub from the
course's own settings (course/nbgrader_config.py) so that the two agree.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.Exchange.root = os.environ["RNN_COURSE_EXCHANGE"]
c.CourseDirectory.course_id = os.environ["RNN_COURSE_ID"]
# "trial" accounts: every server runs as one Unix user, so nbgrader cannot tell
# students apart by their account; the hub passes the login name instead.
# ("class" accounts: one Unix user per student, nbgrader reads it itself.)
if os.environ.get("RNN_COURSE_STUDENT"):
    c.CourseDirectory.student_id = os.environ["RNN_COURSE_STUDENT"]
