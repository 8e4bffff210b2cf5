"""rnn_helpers: everything the RNN course runs on, laid out by audience.

- reference/  numpy twins of every exercise function (one module per topic),
              gradient checking and optimisers; `from rnn_helpers import reference`
- data/       offline datasets (names, Shakespeare, sentences, series, digits,
              dates, numbers) and the one vocabulary class
- nets/       small torch models and the training loop used by lectures and exercises
- plots.py    figures shared by lectures and exercises
- notebook.py what notebooks share: the fast-mode switch, epoch counts, timing
- grading/    the in-kernel library that hidden tests call (students' side of grading)
- course/     the instructor pipeline behind `rnn-course` (release, autograde, report)
- bench/      benchmarks that print figures (layers, grading, notebooks)
- cli.py      the `rnn-course` command line

docs/architecture.md says where each kind of thing goes.
"""

__version__ = "0.1.0"
