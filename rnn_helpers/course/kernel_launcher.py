"""Start an IPython kernel in a sandbox, with a memory limit and an output budget.

Copied into each grading job folder and named in that job's kernelspec:
    python kernel_launcher.py MEM_MB OUT_CHARS -f CONNECTION_FILE
The limits apply to the student's kernel only, not to nbgrader.

When the job folder holds sandbox.json (written by the grader when bubblewrap
runs; see sandbox.py), this script runs twice. Started by nbgrader, it
replaces itself with `bwrap ... python kernel_launcher.py ...`, SIGINT ignored
so that an interrupt does not kill bwrap; run again inside the sandbox
(RNN_GRADING_SANDBOXED=1), it restores Python's SIGINT handler, sets the limits
and starts the kernel.

Without sandbox.json, when the job folder holds hide.json (a list of folders),
the kernel gets its own mount namespace in which those folders are empty: the
solutions, the real gradebook and other students' jobs cannot be read even by
absolute path; the rest of the disk can. The job folder itself stays visible.
Only the standard library is used here.
"""

import ctypes
import json
import os
import resource
import signal
import sys

INSIDE_VAR = "RNN_GRADING_SANDBOXED"  # sandbox.INSIDE_VAR (this file imports nothing of the package)

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000


def hide_paths(paths, keep):
    """Make each folder in paths look empty to this process, except keep (and below).

    Uses a private mount namespace (as root, or inside a user namespace when
    unprivileged ones are allowed); returns None on success or the reason it
    could not, so that grading goes on with folder isolation only.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

    def fail(what):
        return f"{what}: {os.strerror(ctypes.get_errno())}"

    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWNS if uid == 0 else CLONE_NEWNS | CLONE_NEWUSER) != 0:
        return fail("unshare")
    if uid != 0:  # map ourselves to ourselves so files keep their owners
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    # Mounts made from here on must not propagate back to the grader's namespace.
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return fail("make mounts private")
    cwd = os.getcwd()
    keep_fd = os.open(keep, os.O_RDONLY | os.O_DIRECTORY)
    for path in paths:
        if not os.path.isdir(path):
            continue
        if libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=64k,mode=0755") != 0:
            return fail(f"hide {path}")
        if os.path.commonpath([path, keep]) == path:
            # keep lay inside the folder just hidden: bring it back (same files, by its fd).
            os.makedirs(keep, exist_ok=True)
            if (
                libc.mount(f"/proc/self/fd/{keep_fd}".encode(), keep.encode(), None, MS_BIND | MS_REC, None)
                != 0
            ):
                return fail(f"keep {keep}")
    os.close(keep_fd)
    os.chdir(cwd)  # resolve the working directory again, through the new mounts
    return None


def enter_sandbox(sandbox_file):
    """Replace this process with the same command run inside bwrap."""
    with open(sandbox_file) as f:
        argv = json.load(f)["argv"]
    argv += ["--chdir", os.getcwd(), sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    # nbclient interrupts with SIGINT to the whole process group: bwrap's processes
    # must outlive it (an ignored signal stays ignored across exec); the kernel
    # restores the handler in main().
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.execv(argv[0], argv)


def main():
    job = os.path.dirname(os.path.abspath(__file__))
    sandbox_file = os.path.join(job, "sandbox.json")
    inside = os.environ.get(INSIDE_VAR) == "1"
    if os.path.exists(sandbox_file) and not inside:
        enter_sandbox(sandbox_file)  # does not return
    mem_mb, out_chars = int(sys.argv.pop(1)), int(sys.argv.pop(1))
    if inside:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    hide_file = os.path.join(job, "hide.json")
    if not inside and os.path.exists(hide_file):
        with open(hide_file) as f:
            problem = hide_paths([os.path.abspath(p) for p in json.load(f)], job)
        if problem:
            print(
                f"grader: instructor folders not hidden ({problem}); folder isolation only", file=sys.stderr
            )
    if mem_mb > 0:
        # Address space, not RSS: an allocation past it raises MemoryError in the
        # student's cell instead of the machine swapping or the OOM killer firing.
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
    sys.path[0] = ""  # as with `python -m ipykernel_launcher`: the cwd, not this folder

    from ipykernel import iostream  # after the limits, on purpose

    write = iostream.OutStream.write
    left = [out_chars]

    def capped_write(self, text):
        """Drop output past the budget: a print loop must not fill the grader's memory."""
        if left[0] <= 0:
            return len(text)
        if len(text) > left[0]:
            text = text[: left[0]] + "\n... output limit reached: the rest was dropped ...\n"
        left[0] -= len(text)
        return write(self, text)

    iostream.OutStream.write = capped_write

    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
