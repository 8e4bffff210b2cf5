"""Benchmarks that print figures (never timed tests).

- layers:    `python -m rnn_helpers.bench.layers`: numpy reference vs torch CPU
- grading:   `rnn-course bench-grading`: plain nbgrader autograde vs rnn-course autograde
- cluster:   `rnn-course bench-cluster`: the local pool vs a local Dask cluster of the same size
- notebooks: `python -m rnn_helpers.bench.notebooks`: time and peak memory per notebook
"""
