"""Catalogues of student mistakes and of correct variants, one module per assignment.

An entry is one student's answer to one function: `Entry(function, label,
source)`, where `function` is the grade_id of the solution cell it fills (the
function's name, as the exercise API requires), `label` names what the student
did in a few words ("sigmoid instead of tanh"), and `source` is the whole cell
a student would hand in, imports included. The other solution cells of the
notebook stay as in the solution, so a source may call them.

Each module `rnn_helpers/grading/catalogue/<topic>.py` (the topic is the
assignment's name without its number: 01_rnn_forward -> rnn_forward) holds two
lists of entries:
- BUGS: plausible wrong answers, the misconception catalogue. Each must lose
  points in the test cells of its own function (a grade_id starting with
  `test_<function>`) and in no hidden test cell of another function: the
  hidden checks of a caller lend it the callees' twins
  (grading/composition.py); a caller's visible tests run the student's own
  composition and may show the bug too. Each carries `why`, the
  one-line explanation a student reads when a check fails and the output
  matches this mistake (grading/diagnosis.py): what the mistake is and what to
  do, written for students, never the answer line itself.
- VARIANTS: correct answers written differently (float32, other loop orders,
  concatenated weights, equivalent formulas). Each must keep full marks in
  every test cell.

Every graded function has at least six BUGS. tests/test_catalogue.py grades
every entry with real `nbgrader autograde` and checks the rules, and that the
diagnosis names each bug with its own `why`; the instructor demo takes its buggy sample student from
BUGS (rnn_helpers/course/samples.py). The entries are plain data: importing a
module runs no student code.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One catalogue entry.

    - function: grade_id of the solution cell to replace (the function's name)
    - label: a short description shown in reports ("sigmoid instead of tanh")
    - source: the full replacement cell source (imports it needs included)
    - why: for BUGS, the student-facing explanation the grader gives when a
      failing function's output matches this mistake ("h_next = o * c: the
      cell state must go through tanh first"); empty for VARIANTS
    - hangs: True for a mistake that can loop forever; the grader never runs it
    """

    function: str
    label: str
    source: str
    why: str = ""
    hangs: bool = False
