"""Lectures read as a course: objectives, short cells, self-checks, references, shared notation.

These are checks of the notebooks' text and structure; nbval (pytest's
`--nbval-lax` on lectures/) checks that every cell runs.
"""

import json
import re
from pathlib import Path

import pytest

LECTURES = sorted((Path(__file__).resolve().parents[1] / "lectures").glob("*.ipynb"))
MAX_CODE_LINES = 25


def cells(path):
    return json.loads(path.read_text())["cells"]


def text(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_no_code_cell_is_longer_than_25_lines(path):
    long = [(k, len(text(c).splitlines())) for k, c in enumerate(cells(path)) if c["cell_type"] == "code"]
    long = [(k, n) for k, n in long if n > MAX_CODE_LINES]
    assert not long, f"{path.name}: code cells over {MAX_CODE_LINES} lines (cell, lines): {long}"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_opens_with_objectives_assumptions_and_links_to_notation_and_glossary(path):
    first = "\n".join(text(c) for c in cells(path)[:3] if c["cell_type"] == "markdown")
    assert re.search(r"learning objectives", first, re.I), f"{path.name}: no learning objectives at the top"
    assert re.search(r"assumes|before this lecture|you should know", first, re.I), (
        f"{path.name}: the top does not say what the lecture assumes"
    )
    assert re.search(r"next|exercise", first, re.I), f"{path.name}: the top does not name what follows"
    for page in ("docs/notation.md", "docs/glossary.md"):
        assert page in first, f"{path.name}: the top does not link {page}"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_every_major_section_ends_with_self_check_questions_with_collapsible_answers(path):
    sections, current = [], None
    for cell in cells(path):
        if cell["cell_type"] != "markdown":
            continue
        src = text(cell)
        if re.match(r"## (?!#)", src) and not re.match(r"## (References|Summary|Key takeaways)", src, re.I):
            current = [src.splitlines()[0], False]
            sections.append(current)
        if current is not None and re.search(r"check yourself", src, re.I) and "<details>" in src:
            current[1] = True
    assert sections, f"{path.name}: no '## ' sections"
    missing = [title for title, ok in sections if not ok]
    # "Major" sections: every '## ' section but at most a quarter of them (short bridges).
    assert len(missing) <= len(sections) // 4, f"{path.name}: sections without self-checks: {missing}"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_cites_primary_papers_in_a_references_section(path):
    md = [text(c) for c in cells(path) if c["cell_type"] == "markdown"]
    refs = [m for m in md if re.match(r"#+ References", m)]
    assert refs, f"{path.name}: no References section"
    years = re.findall(r"\b(19[89]\d|20[0-2]\d)\b", refs[0])
    assert len(years) >= 3, f"{path.name}: the References section cites fewer than 3 dated works"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_reference_versus_torch_checks_are_folded(path):
    for k, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code" or not text(cell).startswith("# Check:"):
            continue
        tags = cell["metadata"].get("tags", [])
        hidden = cell["metadata"].get("jupyter", {}).get("source_hidden")
        assert "hide-input" in tags and hidden, f"{path.name} cell {k}: a '# Check:' cell is not folded"
