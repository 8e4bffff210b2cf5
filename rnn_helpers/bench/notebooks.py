"""How long does each notebook take top to bottom, and how much memory does it use?

    python -m rnn_helpers.bench.notebooks              # lectures and solutions
    python -m rnn_helpers.bench.notebooks lectures/002_sequence_models.ipynb --fast

Each notebook runs in a fresh kernel (nbclient), as CI and students run it;
the kernel's peak resident memory is sampled every 50 ms with psutil. The
budgets are the course's: 90 s per lecture and 60 s per assignment on 2 cores.
Prints a table and the verdict per notebook; it is a measurement, not a test.
"""

import argparse
import os
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

from rnn_helpers.notebook import FAST_VAR

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = {"lectures": 90.0, "solutions": 60.0}


def _sample_peak(pid, stop, peak):
    """Record the largest RSS of the kernel process (and its children) until stop is set."""
    try:
        proc = psutil.Process(pid)
        while not stop.is_set():
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(True))
            peak[0] = max(peak[0], rss)
            time.sleep(0.05)
    except psutil.Error:
        pass  # the kernel has exited: the peak seen so far stands


def run_notebook(path, timeout=600):
    """Execute one notebook in a fresh kernel; return (seconds, peak MiB, error or None)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}
    )
    stop, peak, error = threading.Event(), [0], None
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        sampler = threading.Thread(target=_sample_peak, args=(pid, stop, peak), daemon=True)
        sampler.start()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        except Exception as exc:  # report it in the table; the benchmark goes on
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120]}"
        finally:
            stop.set()
            sampler.join()
    return time.perf_counter() - start, peak[0] / 2**20, error


def default_notebooks():
    """Every lecture and every assignment solution, in course order."""
    return sorted((ROOT / "lectures").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*/*.ipynb"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lectures and solutions")
    parser.add_argument("--fast", action="store_true", help="set RNN_COURSE_FAST=1 (CI's fast mode)")
    args = parser.parse_args(argv)
    if args.fast:
        os.environ[FAST_VAR] = "1"
    notebooks = args.notebooks or default_notebooks()
    print(
        f"{len(notebooks)} notebook(s), fast mode {'on' if args.fast else 'off'}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'notebook':<48} {'seconds':>8} {'peak MiB':>9} {'budget':>7}  verdict")
    failures = 0
    for path in notebooks:
        seconds, peak, error = run_notebook(path)
        budget = BUDGET_S.get(path.resolve().parent.name, BUDGET_S.get(path.resolve().parent.parent.name))
        verdict = (
            f"ERROR {error}"
            if error
            else "within budget"
            if budget is None or seconds <= budget
            else "OVER BUDGET"
        )
        failures += bool(error)
        print(
            f"{str(path.resolve().relative_to(ROOT)):<48} {seconds:8.1f} {peak:9.0f} "
            f"{budget or float('nan'):7.0f}  {verdict}",
            flush=True,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
