"""Catalogues of student mistakes and of correct variants, one module per assignment.

Each module `tests/catalogue/<topic>.py` defines two lists of `Entry`:
- BUGS: plausible wrong solutions; each must lose points in at least one test
  cell of its function (grade_id starting with `test_<function>`).
- VARIANTS: correct solutions written differently (float32, other loop
  orders, concatenated weights, equivalent formulas); each must get full marks.

`tests/test_catalogue.py` turns every entry into a student submission (the
solution cell whose grade_id is `function` replaced by `source`) and grades
them all with real `nbgrader autograde`.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One catalogue entry.

    - function: grade_id of the solution cell to replace (the function's name)
    - label: a short description shown in reports ("sigmoid instead of tanh")
    - source: the full replacement cell source (imports it needs included)
    """
    function: str
    label: str
    source: str
