"""One autograde chain: plain `nbgrader autograde` and `rnn-course autograde` grade alike.

A small class hands in the tiny assignment: full answers, add_one only,
nothing, the catalogued demo bug, and full answers with a debugging print left
in add_one plus one 50,000-character line. Two identical courses hold the
class; one is graded by plain `nbgrader autograde` run from its course folder
(nbgrader then loads course/nbgrader_config.py, which sets the chain), the
other by the pipeline (rnn_helpers/bench/grading.py does the same, timed).

Truth: the tiny assignment's points (add_one 1 visible + 2 hidden, double 1)
and what each sample hands in. The course chain's CapOutputs cuts the long
line to 20,000 characters and marks it; nbgrader's own chain keeps it whole
(its LimitOutput counts lines), so the mark shows which chain ran.
"""

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from rnn_helpers.bench.grading import grade_plain, released_course, sample_class, scores, twin
from rnn_helpers.course import autograde, samples
from rnn_helpers.course.preprocessors import TRUNCATED, autograde_preprocessors
from rnn_helpers.course.tiny import TINY, class_from

LONG_LINE = 50_000
PRINTS = (
    "def add_one(x):\n"
    "    print('add_one got', x)  # a debugging print, left in\n"
    "    return np.asarray(x) + 1\n"
    f"print('x' * {LONG_LINE})\n"
)


def prints(release, source):
    """Full answers; add_one prints at every call and its cell prints one long line."""
    nb = samples.full(release, source)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_one":
            cell.source = PRINTS
    return nb


# (test_add_one_visible, test_add_one_hidden, test_double_visible) per student;
# sample_class hands in full, partial, blank and buggy in turn. The demo bug of
# the tiny assignment adds one only where x > 0: the visible inputs are
# positive, the hidden ones are not all.
EXPECTED = {
    "student00": (1, 2, 1),
    "student01": (1, 2, 0),
    "student02": (0, 0, 0),
    "student03": (1, 0, 1),
    "prints": (1, 2, 1),
}
CELLS = ("test_add_one_visible", "test_add_one_hidden", "test_double_visible")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    top = tmp_path_factory.mktemp("one_chain")
    plain = released_course(top / "plain")
    sample_class(plain, 4)
    class_from(plain, {"prints": prints})
    ours = twin(plain, top / "ours")
    grade_plain(plain, check=True)
    autograde.autograde(ours, jobs=2, cell_timeout=10, progress=False)
    return plain, ours


def test_plain_nbgrader_and_the_pipeline_give_identical_cell_scores(graded):
    plain, ours = graded
    by_plain, by_ours = scores(plain), scores(ours)
    differ = {k: (by_plain.get(k), by_ours.get(k)) for k in by_plain.keys() | by_ours.keys()}
    differ = {k: v for k, v in differ.items() if v[0] != v[1]}
    assert not differ, f"plain nbgrader vs rnn-course (key: (plain, ours)): {differ}"
    # Both agree with the truth too, so two equally broken routes do not pass.
    truth = {(s, TINY, TINY, cell): float(p) for s, pts in EXPECTED.items() for cell, p in zip(CELLS, pts)}
    assert by_plain == truth


def _long_line_output(paths, student):
    nb = nbformat.read(paths.autograded / student / TINY / f"{TINY}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add_one")
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


def test_plain_nbgrader_runs_the_course_chain_from_the_course_config(graded):
    plain, ours = graded
    config = PyFileConfigLoader("nbgrader_config.py", path=str(plain.course)).load_config()
    assert "autograde_preprocessors" in config.Autograde, (
        "course/nbgrader_config.py does not set Autograde.autograde_preprocessors"
    )
    assert config.Autograde.autograde_preprocessors == autograde_preprocessors()
    # The effect: CapOutputs cut the 50,000-character line in both routes.
    for route, paths in (("plain nbgrader", plain), ("rnn-course", ours)):
        text = _long_line_output(paths, "prints")
        assert text.rstrip().endswith(TRUNCATED), f"{route}: the long line was not capped"
        assert len(text) < LONG_LINE // 2, f"{route}: {len(text)} characters kept"
