"""nbgrader settings of an instructor's server on the class hub (deploy/jupyterhub_config.py).

The hub puts this folder on JUPYTER_CONFIG_PATH for instructors. nbgrader
reads nbgrader_config.py from the server's working directory, which the hub
sets to the user's home, not the course: load the course's settings here so
that formgrader, the Assignment List and `rnn-course` all use the course in
$RNN_COURSE_TOP (deploy/hub.py --course).
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)
load_subconfig(os.path.join(os.environ["RNN_COURSE_TOP"], "course", "nbgrader_config.py"))  # noqa: F821
