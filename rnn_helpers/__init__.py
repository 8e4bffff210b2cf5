"""rnn_helpers: the reference package of the RNN course.

numpy reference implementations (one module per topic), gradient checking,
data, plots and the grading tools. `from rnn_helpers import reference` gives
every function of the exercise API under its exercise name.
"""
__version__ = "0.1.0"
