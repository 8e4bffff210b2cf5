"""JupyterHub settings for a class of the RNN course.

Started by `deploy/hub.py start`, which sets the environment read here
(state folder, ports, exchange, course id) from the class list and the
course's nbgrader settings. Roles come from the class list:
    instructors  hub admins; their server opens in the course checkout, so
                 formgrader and `rnn-course` find the course (nbgrader_config.py there)
    students     their server opens in their home; nbgrader's Assignment List
                 and Validate only (deploy/roles/student)
Each role's folder goes first on JUPYTER_CONFIG_PATH: its nbgrader settings and
the nbgrader lab and server extensions it turns off.
"""

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets)

DEPLOY = Path(__file__).resolve().parent
COURSE = os.environ["RNN_COURSE_TOP"]  # the instructor's course checkout (hub.py --course)
BIN = Path(sys.executable).parent
STATE = Path(os.environ["RNN_HUB_STATE"])
CLASS = json.loads((STATE / "class.json").read_text())
TRIAL = CLASS["accounts"] == "trial"
INSTRUCTORS = set(CLASS["instructors"])

# The hub and its proxy: public port from `hub.py start`, internal ones on loopback.
c.JupyterHub.ip = os.environ["RNN_HUB_IP"]
c.JupyterHub.port = int(os.environ["RNN_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["RNN_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['RNN_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# Who may log in, and as what.
c.Authenticator.allowed_users = set(CLASS["students"]) | INSTRUCTORS
c.Authenticator.admin_users = INSTRUCTORS
c.JupyterHub.load_groups = {
    "instructors": {"users": sorted(INSTRUCTORS)},
    "students": {"users": sorted(CLASS["students"])},
}
if TRIAL:
    # One password for every student, another for instructors: no privacy between students.
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = CLASS["trial_password"]
    c.SharedPasswordAuthenticator.admin_password = CLASS["trial_admin_password"]
    # Every server runs as the hub's Unix user, each in its own home under the state folder.
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
    if os.geteuid() == 0:
        c.Spawner.args = ["--allow-root"]
else:
    # Unix passwords (hub.py add-student sets one); each server runs as its user.
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
    c.JupyterHub.spawner_class = "localprocess"

# Every server: JupyterLab from this venv (nbgrader, the course package, alembic on PATH).
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# Two shared cores: a server and its first kernel can take a while to start.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
COMMON = {
    "RNN_COURSE_EXCHANGE": os.environ["RNN_COURSE_EXCHANGE"],
    "RNN_COURSE_ID": os.environ["RNN_COURSE_ID"],
    "RNN_COURSE_TOP": COURSE,
    "RNN_HUB_RUN": os.environ["RNN_HUB_RUN"],
    "PATH": os.pathsep.join([str(BIN), "/usr/local/bin", "/usr/bin", "/bin"]),
}


def pre_spawn_hook(spawner):
    """Role settings for this user's server."""
    name = spawner.user.name
    role = "instructor" if name in INSTRUCTORS else "student"  # added on the admin page: student
    env = dict(COMMON, JUPYTER_CONFIG_PATH=str(DEPLOY / "roles" / role))
    if role == "instructor":
        spawner.notebook_dir = COURSE
    elif TRIAL:
        env["RNN_COURSE_STUDENT"] = name  # one Unix user for all: nbgrader needs the name
    spawner.environment = env


c.Spawner.pre_spawn_hook = pre_spawn_hook
