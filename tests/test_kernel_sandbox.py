"""The grading kernel's launcher hides instructor folders, even from absolute paths."""
import json
import subprocess
import sys
from pathlib import Path

from rnn_helpers.course import kernel_launcher

PROBE = """
import json, os, sys
sys.path.insert(0, {launcher_dir!r})
from kernel_launcher import hide_paths
problem = hide_paths({hide!r}, {keep!r})
print(json.dumps({{
    "problem": problem,
    "secret_visible": os.path.exists({secret!r}),
    "other_job_visible": os.path.exists({other!r}),
    "own_job_readable": open({own!r}).read(),
    "cwd": os.getcwd(),
}}))
"""


def run_probe(tmp_path):
    solutions = tmp_path / "top" / "solutions" / "01"
    solutions.mkdir(parents=True)
    (solutions / "01.ipynb").write_text("the instructor's solution")
    run = tmp_path / "run"
    own, other = run / "alice--01", run / "bob--01"
    for job in (own, other):
        job.mkdir(parents=True)
        (job / "work.txt").write_text(job.name)
    code = PROBE.format(launcher_dir=str(Path(kernel_launcher.__file__).parent),
                        hide=[str(tmp_path / "top" / "solutions"), str(run)], keep=str(own),
                        secret=str(solutions / "01.ipynb"), other=str(other / "work.txt"),
                        own=str(own / "work.txt"))
    out = subprocess.run([sys.executable, "-c", code], cwd=own, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), solutions, other


def test_kernel_cannot_read_solutions_or_other_jobs_but_keeps_its_own(tmp_path):
    seen, solutions, other = run_probe(tmp_path)
    assert seen["problem"] is None, f"the sandbox could not be set up here: {seen['problem']}"
    assert seen["secret_visible"] is False
    assert seen["other_job_visible"] is False
    assert seen["own_job_readable"] == "alice--01"
    assert seen["cwd"].endswith("alice--01")
    # Only the kernel's own view changed: the grader still sees everything.
    assert (solutions / "01.ipynb").read_text() == "the instructor's solution"
    assert (other / "work.txt").read_text() == "bob--01"


def test_every_grading_job_lists_solutions_and_the_run_folder_to_hide(tmp_path):
    from rnn_helpers.course import isolation

    release = tmp_path / "release"
    release.mkdir()
    library = tmp_path / "lib"
    library.mkdir()
    job, _ = isolation.make_job_dir(tmp_path / "run", b"", library, release, "alice", "01",
                                    {}, tmp_path / "none", 512, 1000,
                                    hide=[tmp_path / "top" / "solutions"])
    hidden = json.loads((job / "hide.json").read_text())
    assert str(tmp_path / "run") in hidden
    assert str(tmp_path / "top" / "solutions") in hidden
