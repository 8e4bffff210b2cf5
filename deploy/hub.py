"""Run the course for a class on a JupyterHub on this machine.

    .venv/bin/python deploy/hub.py add-instructor NAME      (once)
    .venv/bin/python deploy/hub.py add-student NAME [NAME ...]
    .venv/bin/python deploy/hub.py start --port 8000 [--ip 0.0.0.0]
    .venv/bin/python deploy/hub.py list
    .venv/bin/python deploy/hub.py backup [FOLDER]

Two kinds of accounts, chosen when the class is created (`--accounts`):
    class  one Unix account per student and instructor (created by add-*, with a
           password to hand out; PAM logs them in); the hub runs as root and
           starts each server as its user, so the exchange's modes and private
           homes keep students apart. For teaching.
    trial  every server runs as the Unix user who started the hub; students log
           in with one shared password, instructors with another (JupyterHub's
           SharedPasswordAuthenticator). Students are NOT kept apart: any student
           can log in as another and read every home and the exchange. For
           trying the hub on a laptop and for tests/test_hub_class_cycle.py.
The class list, the hub's database and secrets live in the state folder
(deploy/state by default, git-ignored); the grading area stays in build/.
"""

import argparse
import json
import os
import pwd
import secrets
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
BIN = Path(sys.executable).parent
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
# Every process the hub starts (proxy, servers, kernels) carries RUN_VAR=<token> in
# its environment, so that a test can find and stop whatever outlived the hub.
RUN_VAR = "RNN_HUB_RUN"
CLASS_EXCHANGE = Path("/srv/rnn-course/exchange")  # outside any home: every student must reach it

sys.path.insert(0, str(REPO))  # rnn_helpers, also when deploy/hub.py is run from elsewhere


class HubError(RuntimeError):
    """The class or the machine is not set up for what was asked."""


# ---------------------------------------------------------------- the class list


def load_class(state):
    path = Path(state) / "class.json"
    return json.loads(path.read_text()) if path.exists() else None


def save_class(state, klass):
    Path(state).mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)  # the hub's secrets and database
    path = Path(state) / "class.json"
    path.write_text(json.dumps(klass, indent=1) + "\n")


def open_class(state, accounts):
    """The class of this state folder, created with `accounts` if new."""
    klass = load_class(state)
    if klass is None:
        klass = {
            "accounts": accounts or "class",
            "students": [],
            "instructors": [],
            # trial accounts: one password for students, a longer one for instructors
            "trial_password": secrets.token_urlsafe(12),
            "trial_admin_password": secrets.token_urlsafe(24),
        }
    elif accounts and accounts != klass["accounts"]:
        raise HubError(
            f"the class in {state} has {klass['accounts']} accounts, not {accounts}: "
            "use another --state folder for another kind"
        )
    if klass["accounts"] == "class" and os.geteuid() != 0:
        raise HubError(
            "class accounts need root: the hub creates one Unix account per student and starts "
            "each server as its owner. Run as root, or try the hub as one user with --accounts trial."
        )
    return klass


def _unix_account(name, password=True):
    """Create a Unix account with a private home; return a new password, or None if it existed."""
    try:
        pwd.getpwnam(name)
        return None
    except KeyError:
        pass
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)  # homes hold each student's work and nbgrader cache
    secret = secrets.token_urlsafe(9)
    subprocess.run(["chpasswd"], input=f"{name}:{secret}\n", text=True, check=True)
    return secret


def add(state, accounts, role, names):
    klass = open_class(state, accounts)
    for name in names:
        if not name.isidentifier() or name.lower() != name:
            raise HubError(f"{name!r}: use lower-case letters, digits and _ (a Unix and nbgrader id)")
        for other in ("students", "instructors"):
            if name in klass[other]:
                klass[other].remove(name)
        klass[role].append(name)
        if klass["accounts"] == "class":
            secret = _unix_account(name)
            told = (
                f"password {secret} (change it with `passwd` in a terminal)" if secret else "existing account"
            )
        else:
            key = "trial_admin_password" if role == "instructors" else "trial_password"
            told = f"shared trial password {klass[key]}"
        print(f"{role[:-1]} {name}: {told}")
    save_class(state, klass)
    print("a running hub reads the list when it starts again (its servers stop with it)")


# ---------------------------------------------------------------- start


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_folder(path):
    """The first folder above `path` that other accounts cannot enter, or None."""
    for parent in Path(os.path.realpath(path)).parents:
        if not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def check_reachable(exchange_root):
    """Class accounts: every student's server runs this venv's Python, imports the
    course package from this checkout and reaches the exchange."""
    needs = {
        "the venv's Python": (
            sys.base_prefix,
            "make the venv from a Python every account can run: "
            "`PYTHON=/usr/bin/python3 bash scripts/setup.sh`",
        ),
        "the course checkout": (
            REPO / "rnn_helpers",
            "clone the course where every account can read it, e.g. under /srv",
        ),
        "the exchange": (exchange_root, "choose an --exchange outside it"),
    }
    for what, (path, fix) in needs.items():
        closed = closed_folder(path)
        if closed is not None:
            raise HubError(f"{what} ({path}) is inside {closed}, which other accounts cannot enter: {fix}")


def prepare_exchange(root, accounts):
    """The exchange root: created 1777 (anyone may add a course folder, only its
    owner may rename it); nbgrader makes the course's folders on `publish`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o1777)
    if accounts == "class":
        check_reachable(root)


def start_environment(state, course, ip, port, exchange_root):
    """Environment of the jupyterhub process: what deploy/jupyterhub_config.py reads."""
    from rnn_helpers.course.exchange import settings
    from rnn_helpers.course.paths import EXCHANGE_VAR, CoursePaths

    env = dict(os.environ)
    env[EXCHANGE_VAR] = str(exchange_root)
    os.environ[EXCHANGE_VAR] = str(exchange_root)  # read by the course's nbgrader config below
    _, course_id = settings(CoursePaths(course))
    env.update(
        {
            "RNN_COURSE_TOP": str(course),
            "RNN_COURSE_ID": course_id,
            "RNN_HUB_STATE": str(Path(state).resolve()),
            "RNN_HUB_IP": ip,
            "RNN_HUB_PORT": str(port),
            "RNN_HUB_API_PORT": str(free_port()),
            "RNN_HUB_PROXY_API_PORT": str(free_port()),
            RUN_VAR: env.get(RUN_VAR) or secrets.token_hex(8),
            "PATH": str(BIN) + os.pathsep + env.get("PATH", ""),
        }
    )
    return env


def start(state, course, accounts, ip, port, exchange_root):
    klass = open_class(state, accounts)
    save_class(state, klass)
    if not PROXY.exists():
        raise HubError(f"{PROXY} is missing: run `bash deploy/install.sh` (configurable-http-proxy, npm)")
    if not (BIN / "jupyterhub").exists():
        raise HubError(
            "jupyterhub is not installed: `.venv/bin/pip install -e '.[hub]'` (or scripts/setup.sh)"
        )
    if not klass["instructors"] and not klass["students"]:
        raise HubError("nobody in the class yet: `deploy/hub.py add-instructor NAME`, `add-student NAME`")
    exchange_root = Path(
        exchange_root or (CLASS_EXCHANGE if klass["accounts"] == "class" else Path(state) / "exchange")
    )
    prepare_exchange(exchange_root.resolve(), klass["accounts"])
    if klass["accounts"] == "class":
        # Students' servers import the course package from this checkout, so it stays
        # readable; the gradebook, the submissions and the authored solutions do not.
        owner = os.stat(course)  # the instructor's account: their server grades in build/
        if not (course / "build").exists():
            (course / "build").mkdir()
            os.chown(course / "build", owner.st_uid, owner.st_gid)
        for private in ("build", "solutions"):
            if (course / private).exists():
                os.chmod(course / private, 0o700)
    env = start_environment(state, course, ip, port, exchange_root.resolve())
    print(
        f"hub for {len(klass['students'])} student(s), {len(klass['instructors'])} instructor(s), "
        f"{klass['accounts']} accounts, exchange {exchange_root}"
    )
    if klass["accounts"] == "trial":
        print(
            f"trial accounts: students log in with {klass['trial_password']}, "
            f"instructors with {klass['trial_admin_password']}"
        )
    print(f"open http://{ip}:{port}/ (Ctrl+C stops the hub and every server)", flush=True)
    os.execve(
        str(BIN / "jupyterhub"),
        [str(BIN / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
        env,
    )


# ---------------------------------------------------------------- backup


def backup(state, course, dest):
    """One .tar.gz of what a class cannot lose: the gradebook (copied with
    sqlite's backup API, safe while the hub runs), grading records, submissions,
    feedback, reports, the exchange and the class list. Returns its path."""
    from rnn_helpers.course.exchange import settings
    from rnn_helpers.course.paths import EXCHANGE_VAR, CoursePaths

    klass = load_class(state) or {}
    paths = CoursePaths(course)
    if klass.get("accounts") == "trial" and EXCHANGE_VAR not in os.environ:
        os.environ[EXCHANGE_VAR] = str((Path(state) / "exchange").resolve())
    elif klass.get("accounts") == "class" and EXCHANGE_VAR not in os.environ:
        os.environ[EXCHANGE_VAR] = str(CLASS_EXCHANGE)
    exchange_root, course_id = settings(paths)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"rnn-course-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "w:gz") as tar:
        if paths.gradebook.exists():
            copy = Path(tmp) / "gradebook.db"
            with sqlite3.connect(paths.gradebook) as src, sqlite3.connect(copy) as out:
                src.backup(out)
            tar.add(copy, arcname="build/gradebook.db")
        for name in (
            "grading_results.json",
            "exchange_log.json",
            "submitted",
            "autograded",
            "feedback",
            "reports",
        ):
            if (paths.build / name).exists():
                tar.add(paths.build / name, arcname=f"build/{name}")
        course = Path(exchange_root) / course_id
        if course.exists():
            tar.add(course, arcname=f"exchange/{course_id}")
        for name in ("class.json", "jupyterhub.sqlite"):
            if (Path(state) / name).exists():
                tar.add(Path(state) / name, arcname=f"hub-state/{name}")
    return archive


# ---------------------------------------------------------------- command line


def main(argv=None):
    p = argparse.ArgumentParser(prog="deploy/hub.py", description=__doc__.splitlines()[0])
    p.add_argument(
        "--state", type=Path, default=DEPLOY / "state", help="class list, hub database (default deploy/state)"
    )
    p.add_argument(
        "--course",
        type=Path,
        default=REPO,
        help="the course the instructor teaches (default: this repository)",
    )
    p.add_argument(
        "--accounts", choices=["class", "trial"], help="kind of accounts, for a new class (default class)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="start the hub in the foreground")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--ip", default="127.0.0.1", help="address to serve on (0.0.0.0: every interface)")
    s.add_argument(
        "--exchange", type=Path, help=f"exchange root (class: {CLASS_EXCHANGE}, trial: STATE/exchange)"
    )
    for role in ("student", "instructor"):
        a = sub.add_parser(f"add-{role}", help=f"add {role}s to the class (and their Unix accounts)")
        a.add_argument("names", nargs="+")
    sub.add_parser("list", help="print the class")
    b = sub.add_parser("backup", help="archive the gradebook, submissions, feedback and exchange")
    b.add_argument("dest", nargs="?", default=".", type=Path)
    args = p.parse_args(argv)
    try:
        if args.command == "start":
            start(args.state, args.course.resolve(), args.accounts, args.ip, args.port, args.exchange)
        elif args.command.startswith("add-"):
            add(args.state, args.accounts, args.command[4:] + "s", args.names)
        elif args.command == "list":
            klass = load_class(args.state)
            if klass is None:
                print(f"no class in {args.state}")
            else:
                print(f"accounts: {klass['accounts']}")
                print("instructors: " + " ".join(klass["instructors"]))
                print("students: " + " ".join(klass["students"]))
        else:
            print(f"wrote {backup(args.state, args.course.resolve(), args.dest)}")
    except HubError as exc:
        print(f"deploy/hub.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
