"""The speed benchmark: runs at a tiny size, times the same computation on both sides.

The timing tests run the real numpy and torch passes but read a fake clock that
each pass advances by a chosen number of milliseconds, so the figures the
benchmark must report are known exactly and asserted to 1e-9 ms.
"""

import types
from pathlib import Path

import numpy as np
import pytest

from rnn_helpers.bench import layers as benchmark
from rnn_helpers.bench.layers import Case, check_agreement, time_layer

TINY = dict(N=2, T=3, D=4, H=5)
LAYERS = ["RNN", "LSTM", "GRU"]


class FakeClock:
    """perf_counter() for the benchmark module: time moves only when a pass says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def advance_ms(self, ms):
        self.now += ms / 1e3


@pytest.fixture
def clock(monkeypatch):
    """Make every numpy / torch pass of a Case take ms[(layer, dtype)] = (numpy_ms, torch_ms).

    Set `clock.ms` in the test; the passes still compute (and are checked for
    agreement) as usual, only the clock they are timed with is fake.
    """
    fake = FakeClock()
    fake.ms = {}
    monkeypatch.setattr(benchmark, "time", types.SimpleNamespace(perf_counter=fake))
    real_numpy, real_torch = Case.run_numpy, Case.run_torch

    def run_numpy(self):
        result = real_numpy(self)
        fake.advance_ms(fake.ms[(self.layer, self.dtype.name)][0])
        return result

    def run_torch(self):
        result = real_torch(self)
        fake.advance_ms(fake.ms[(self.layer, self.dtype.name)][1])
        return result

    monkeypatch.setattr(Case, "run_numpy", run_numpy)
    monkeypatch.setattr(Case, "run_torch", run_torch)
    return fake


@pytest.mark.parametrize("layer", LAYERS)
def test_time_layer_times_both_sides_for_real_at_a_tiny_size(layer):
    r = time_layer(layer, repeats=2, warmup=1, **TINY)
    assert r["layer"] == layer and r["dtype"] == "float64"
    assert r["numpy_ms"] > 0 and r["torch_ms"] > 0
    assert r["max_diff"] < 1e-9


def test_time_layer_reports_numpy_and_torch_medians_and_their_ratio(clock):
    # numpy 6 ms and torch 2 ms per pass: numpy is 3 times slower, not 1/3.
    clock.ms = {("LSTM", "float64"): (6.0, 2.0)}
    r = time_layer("LSTM", repeats=3, warmup=1, **TINY)
    assert abs(r["numpy_ms"] - 6.0) < 1e-9 and abs(r["torch_ms"] - 2.0) < 1e-9
    assert abs(r["ratio"] - 3.0) < 1e-9


def test_a_slower_side_moves_the_ratio_the_right_way(clock):
    clock.ms = {("GRU", "float64"): (2.0, 2.0)}
    even = time_layer("GRU", repeats=2, warmup=0, **TINY)["ratio"]
    clock.ms = {("GRU", "float64"): (10.0, 2.0)}
    slow_numpy = time_layer("GRU", repeats=2, warmup=0, **TINY)["ratio"]
    clock.ms = {("GRU", "float64"): (2.0, 10.0)}
    slow_torch = time_layer("GRU", repeats=2, warmup=0, **TINY)["ratio"]
    assert abs(even - 1.0) < 1e-9
    assert abs(slow_numpy - 5.0) < 1e-9 and abs(slow_torch - 0.2) < 1e-9


def test_median_ms_takes_the_median_of_the_timed_runs_and_skips_the_warmup(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(benchmark, "time", types.SimpleNamespace(perf_counter=fake))
    # Two warm-up runs of 1 s each, then 5 timed runs with one 50 ms outlier per side:
    # the median is 6 ms and 2 ms; a mean, or counting the warm-up, would be far off.
    numpy_runs = iter([1000.0, 1000.0, 6.0, 50.0, 6.0, 5.0, 7.0])
    torch_runs = iter([1000.0, 1000.0, 2.0, 2.0, 50.0, 1.0, 3.0])
    order, ticks = [], []

    def numpy_side():
        order.append("numpy")
        fake.advance_ms(next(numpy_runs))

    def torch_side():
        order.append("torch")
        fake.advance_ms(next(torch_runs))

    numpy_ms, torch_ms = benchmark._median_ms([numpy_side, torch_side], 5, 2, lambda: ticks.append(1))
    assert abs(numpy_ms - 6.0) < 1e-9 and abs(torch_ms - 2.0) < 1e-9
    # The sides alternate, so a burst of load slows both alike; one tick per run.
    assert order == ["numpy", "torch"] * 7
    assert len(ticks) == 14


def test_time_layer_advances_the_progress_bar_once_per_run():
    class Bar:
        count = 0

        def update(self, n):
            self.count += n

    bar = Bar()
    time_layer("RNN", repeats=3, warmup=2, progress=bar, **TINY)
    assert bar.count == 2 * (3 + 2)


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_timed_numpy_and_torch_runs_compute_the_same_output_and_gradients(layer, dtype, tol):
    case = Case(layer, dtype=dtype, **TINY)
    out_np, grads_np = case.run_numpy()
    out_t, grads_t = case.run_torch()
    assert len(grads_np) == len(grads_t) == (6 if layer == "GRU" else 5)
    for a, b in zip([out_np, *grads_np], [out_t, *grads_t]):
        b = b.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype == dtype
        assert np.max(np.abs(a - b)) < tol * max(1.0, np.max(np.abs(b)))


@pytest.mark.parametrize("layer", LAYERS)
def test_check_agreement_refuses_to_time_code_that_disagrees_with_torch(layer):
    case = Case(layer, **TINY)
    case.np_inputs[3] = case.np_inputs[3] + 0.01  # numpy's Wh no longer equals torch's
    with pytest.raises(AssertionError, match="disagree"):
        check_agreement(case)


def test_time_layer_checks_agreement_before_timing(monkeypatch):
    real_numpy = Case.run_numpy

    def off_by_a_little(self):
        out, grads = real_numpy(self)
        return out + 1e-3, grads

    monkeypatch.setattr(Case, "run_numpy", off_by_a_little)
    with pytest.raises(AssertionError, match="numpy and torch disagree on out"):
        time_layer("RNN", repeats=1, warmup=0, **TINY)


def test_torch_gradients_are_fresh_on_every_run():
    # Accumulated .grad from earlier runs would make torch do (and report) something else.
    case = Case("LSTM", **TINY)
    first = [g.clone() for g in case.run_torch()[1]]
    second = case.run_torch()[1]
    assert all(float((a - b).abs().max()) == 0.0 for a, b in zip(first, second))


def test_main_prints_the_measured_figures_and_the_lstm_verdict(clock, capsys):
    # Chosen figures: LSTM misses the target of 2 in float64 (ratio 3) and meets it in float32 (0.5).
    clock.ms = {
        ("RNN", "float64"): (3.0, 2.0),
        ("LSTM", "float64"): (6.0, 2.0),
        ("GRU", "float64"): (1.0, 4.0),
        ("RNN", "float32"): (2.0, 2.0),
        ("LSTM", "float32"): (2.0, 4.0),
        ("GRU", "float32"): (9.0, 3.0),
    }
    results = benchmark.main(["--repeats", "2", "--warmup", "1", "--dtype", "both"], sizes=TINY)
    out = capsys.readouterr().out
    assert [(r["layer"], r["dtype"]) for r in results] == [
        (layer, dtype) for dtype in ("float64", "float32") for layer in LAYERS
    ]
    # Table rows: layer, dtype, numpy ms, torch ms, numpy/torch, max diff.
    cells = [line.split() for line in out.splitlines()]
    rows = {(c[0], c[1]): c[2:5] for c in cells if len(c) == 6 and c[0] in LAYERS}
    assert rows == {
        ("RNN", "float64"): ["3.00", "2.00", "1.50"],
        ("LSTM", "float64"): ["6.00", "2.00", "3.00"],
        ("GRU", "float64"): ["1.00", "4.00", "0.25"],
        ("RNN", "float32"): ["2.00", "2.00", "1.00"],
        ("LSTM", "float32"): ["2.00", "4.00", "0.50"],
        ("GRU", "float32"): ["9.00", "3.00", "3.00"],
    }
    assert "LSTM target: ratio <= 2.0 -> not met (float64, ratio 3.00)" in out
    assert "LSTM target: ratio <= 2.0 -> met (float32, ratio 0.50)" in out
    assert "median of 2 runs after 1 warm-up runs" in out
    assert "numpy/torch" in out and "threads" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--warmup", "-1"], "--warmup at least 0"),
        (["--dtype", "float16"], "invalid choice: 'float16'"),
        (["--repeats", "two"], "invalid int value: 'two'"),
    ],
)
def test_main_rejects_bad_arguments_before_timing_anything(monkeypatch, capsys, argv, message):
    monkeypatch.setattr(benchmark, "time_layer", lambda *a, **k: pytest.fail("timed despite bad arguments"))
    with pytest.raises(SystemExit) as info:
        benchmark.main(argv, sizes=TINY)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_notebook_benchmark_finds_every_lecture_and_solution_of_the_repository():
    from rnn_helpers.bench import notebooks

    found = {p.resolve() for p in notebooks.default_notebooks()}
    root = Path(__file__).resolve().parents[1]
    expected = set(root.glob("lectures/*.ipynb")) | set(root.glob("solutions/*/*.ipynb"))
    assert expected and found == {p.resolve() for p in expected}
