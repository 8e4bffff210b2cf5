"""Start an IPython kernel with a memory limit and an output budget.

Copied into each grading job folder and named in that job's kernelspec:
    python kernel_launcher.py MEM_MB OUT_CHARS -f CONNECTION_FILE
The limits apply to the student's kernel only, not to nbgrader.
"""
import resource
import sys

mem_mb, out_chars = int(sys.argv.pop(1)), int(sys.argv.pop(1))
if mem_mb > 0:
    # Address space, not RSS: an allocation past it raises MemoryError in the
    # student's cell instead of the machine swapping or the OOM killer firing.
    resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
sys.path[0] = ""  # as with `python -m ipykernel_launcher`: the cwd, not this folder

from ipykernel import iostream  # noqa: E402 (after the limits, on purpose)

_write = iostream.OutStream.write
_left = [out_chars]


def _capped_write(self, text):
    """Drop output past the budget: a print loop must not fill the grader's memory."""
    if _left[0] <= 0:
        return len(text)
    if len(text) > _left[0]:
        text = text[:_left[0]] + "\n... output limit reached: the rest was dropped ...\n"
    _left[0] -= len(text)
    return _write(self, text)


iostream.OutStream.write = _capped_write

from ipykernel import kernelapp  # noqa: E402

kernelapp.launch_new_instance()
