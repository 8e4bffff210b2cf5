"""The grading kernel's sandbox: bubblewrap around the student's code.

When bubblewrap (`bwrap`, Debian package `bubblewrap`) can run, every grading
kernel starts in new mount, PID, IPC, UTS and network namespaces whose file
system is built from nothing but:
    /usr and /bin, /sbin, /lib*         read-only: system programs and libraries
    a few files of /etc (ETC_FILES)     read-only: linker cache, user names (no
                                        shadow), time zone, fonts
    the Python installation             read-only, at its own paths: sys.prefix,
                                        sys.base_prefix and their site-packages
    /dev, /proc, /tmp                   a minimal /dev, this sandbox's processes
                                        only, an empty tmpfs
    J (the job folder)                  read-write, at its own path
    J/lib, J/jupyter, J/connection, J/kernel_launcher.py, J/sandbox.json,
    J/hide.json                         read-only again: code and settings the
                                        job's next kernel starts from
Nothing else of the disk exists in there: not the repository (solutions/,
build/), not the instructor's home folder, not the other jobs of the run, not
any other copy of the course. Only the folders that lead to the Python
installation are listed on the way (a virtual environment in the repository
shows the repository as holding `.venv` alone; a pyenv Python shows the home
folder as holding `.pyenv` alone). The kernel runs with no capabilities, even
when grading as root, and cannot gain any (bwrap sets no_new_privs).

Network: the kernel's network namespace holds only a loopback of its own, so it
reaches no host, not even the grader's 127.0.0.1. nbgrader therefore talks to
the kernel over ZeroMQ's ipc transport: unix sockets in J/runtime, which work
across network namespaces, and a connection file in J/connection rather than
the host's /tmp (kernel_manager_config(); worker.py puts it in the kernel
manager's config). A unix socket path has at most 107 bytes; when the run
folder's path is too long for that (a long TMPDIR) the kernel keeps the host's
network and TCP, and the run's warning says so.

Signals: nbclient interrupts a kernel (cell time limit) with SIGINT to the
kernel's process group, which holds bwrap's processes too. The launcher
starts bwrap with SIGINT ignored, so that bwrap survives it, and restores
Python's handler inside, so that the student's code gets KeyboardInterrupt.
bwrap runs with --die-with-parent: the sandbox ends when nbgrader's worker
process does, as the kernel did outside through ipykernel's parent poller
(which cannot work inside, see argv). Its signal is tied to the thread that
started bwrap, jupyter_client's event-loop thread, which lives as long as the
worker. bwrap runs without --new-session, which would move the kernel out of
the process group that nbclient signals and kills. Leftovers are killed by the
job's token as before, and the PID namespace ends with the kernel.

Where bubblewrap cannot run (not installed; no user namespaces for a user who
is not root) or RNN_GRADING_SANDBOX=off, choose() logs one warning per run and
the kernel falls back to kernel_launcher.hide_paths: solutions/, build/ and the
run folder are hidden, nothing else is.
"""

import logging
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MODE_VAR = "RNN_GRADING_SANDBOX"  # "off": no bubblewrap, today's folder hiding only
INSIDE_VAR = "RNN_GRADING_SANDBOXED"  # set inside the sandbox: the launcher must not wrap again
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "fonts",  # matplotlib runs fc-list when it builds its font list
)
# Files of J that a student's code could otherwise rewrite for the job's next kernel.
READ_ONLY_IN_JOB = ("lib", "jupyter", "connection", "kernel_launcher.py", "sandbox.json", "hide.json")
SOCKET_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1
FIX = (
    "To sandbox grading kernels, install bubblewrap (`bash scripts/install_system_packages.sh`, "
    "or `apt-get install bubblewrap`) and, when grading as a user other than root, allow "
    "unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1` on Debian, "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 24.04)."
)

log = logging.getLogger(__name__)


def python_folders():
    """The folders of the running Python installation, outermost only, sorted:
    what the kernel (the same interpreter) needs to start and import packages."""
    exe = Path(os.path.realpath(sys.executable))
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(exe.parent.parent)}
    found.update(site.getsitepackages())
    folders = sorted({Path(os.path.realpath(p)) for p in found if os.path.isdir(p)})
    return [f for f in folders if not any(o != f and o in f.parents for o in folders)]


@dataclass(frozen=True)
class Sandbox:
    """How to start a kernel in bubblewrap.

    bwrap: absolute path of the program; network: whether the kernel gets a
    network namespace of its own (then the job's kernels use ipc transport).
    """

    bwrap: str
    network: bool = True

    def argv(self, job):
        """The bwrap command line for a kernel of job folder `job`, up to (not
        including) the command it runs; the launcher adds --chdir and that."""
        job = os.path.realpath(job)
        args = [self.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        args.append("--unshare-cgroup-try")
        if self.network:
            args.append("--unshare-net")
        for name in SYSTEM_DIRS:
            path = "/" + name
            if os.path.islink(path):  # merged /usr: /lib -> usr/lib
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        for folder in python_folders():
            args += ["--ro-bind", str(folder), str(folder)]
        args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        args += ["--bind", job, job]  # after /tmp: the job folder usually lies in /tmp
        for name in READ_ONLY_IN_JOB:
            args += ["--ro-bind-try", f"{job}/{name}", f"{job}/{name}"]
        # Inside, the kernel's parent is bwrap's init, PID 1, which ipykernel's parent
        # poller would take for "nbgrader has exited"; JPY_PARENT_PID=1 turns it off.
        args += ["--setenv", "JPY_PARENT_PID", "1", "--setenv", INSIDE_VAR, "1", "--cap-drop", "ALL"]
        return args

    def kernel_manager_config(self, job):
        """KernelManager settings for the job's kernels (worker.py applies them).

        connection_file: J/connection/kernel.json, not nbclient's default in the
        host's /tmp (absent inside); its folder is read-only inside, so that no
        kernel can leave a symlink there for nbgrader to write the next
        kernel's file through. transport, ip: ipc, with sockets J/runtime/k-1
        ..., when the kernel has no network (ipykernel binds them, so their
        folder stays writable).
        """
        job = os.path.realpath(job)
        settings = {"connection_file": os.path.join(job, "connection", "kernel.json")}
        if self.network:
            settings.update(transport="ipc", ip=os.path.join(job, "runtime", "k"))
        return settings


def _socket_room(run_dir):
    """Whether the sockets of a job folder in run_dir fit in a unix socket path
    (isolation.make_job_dir names J run_dir/job-<8 hex>)."""
    longest = os.path.join(os.path.realpath(run_dir), "job-00000000", "runtime", "k-99")
    return len(longest.encode()) <= SOCKET_PATH_MAX


def turned_off():
    """Whether RNN_GRADING_SANDBOX asks for no sandbox."""
    return os.environ.get(MODE_VAR, "").strip().lower() in ("off", "0", "no", "false")


def probe(run_dir, bwrap=None):
    """Start Python inside the sandbox once, as a kernel would be (in a scratch
    job folder under run_dir). Returns (Sandbox, None), or (None, the reason it
    cannot run). bwrap: the program to try (default: `bwrap` on PATH)."""
    bwrap = bwrap or shutil.which("bwrap")
    if not bwrap or not os.access(bwrap, os.X_OK):
        return None, "bubblewrap (bwrap) is not installed"
    sandbox = Sandbox(os.path.realpath(bwrap), network=_socket_room(run_dir))
    job = Path(run_dir) / "sandbox-probe"
    job.mkdir(parents=True, exist_ok=True)
    try:
        out = subprocess.run(
            sandbox.argv(job) + ["--chdir", str(job), sys.executable, "-c", "import zmq"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{bwrap} did not run ({exc})"
    finally:
        shutil.rmtree(job, ignore_errors=True)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or [f"exit status {out.returncode}"]
        return None, f"{bwrap} failed: {lines[-1]}"
    return sandbox, None


def choose(run_dir):
    """The sandbox for one grading run, or None for folder hiding only.

    Called once per run, so that a missing sandbox is one warning in the log,
    not one per student: it says what is not isolated and how to fix it.
    """
    if turned_off():
        sandbox, reason, fix = None, f"turned off by {MODE_VAR}={os.environ[MODE_VAR]}", f"Unset {MODE_VAR}."
    else:
        (sandbox, reason), fix = probe(run_dir), FIX
    if sandbox is None:
        log.warning(
            "grading kernels are NOT sandboxed: %s. Student code can read every file this user "
            "can (other copies of the course, your home folder) and use the network; only "
            "solutions/, build/ and the other grading jobs are hidden from it. %s",
            reason,
            fix,
        )
    elif not sandbox.network:
        log.warning(
            "grading kernels are sandboxed but keep the network: the run folder %s is too long "
            "for unix sockets. Set TMPDIR to a shorter folder (such as /tmp) to cut them off.",
            run_dir,
        )
    return sandbox
