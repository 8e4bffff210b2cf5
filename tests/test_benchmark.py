"""The speed benchmark: runs at a tiny size, times the same computation on both sides."""
import numpy as np
import pytest

from rnn_helpers import benchmark
from rnn_helpers.benchmark import Case, check_agreement, time_layer

TINY = dict(N=2, T=3, D=4, H=5)
LAYERS = ["RNN", "LSTM", "GRU"]


@pytest.mark.parametrize("layer", LAYERS)
def test_time_layer_returns_positive_times_at_a_tiny_size(layer):
    r = time_layer(layer, repeats=2, warmup=1, **TINY)
    assert r["numpy_ms"] > 0 and r["torch_ms"] > 0
    assert abs(r["ratio"] - r["numpy_ms"] / r["torch_ms"]) < 1e-12
    assert r["max_diff"] < 1e-9


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


def test_torch_gradients_are_fresh_on_every_run():
    # Accumulated .grad from earlier runs would make torch do (and report) something else.
    case = Case("LSTM", **TINY)
    first = [g.clone() for g in case.run_torch()[1]]
    second = case.run_torch()[1]
    assert all(float((a - b).abs().max()) == 0.0 for a, b in zip(first, second))


def test_main_prints_the_table_and_the_lstm_target_line(capsys):
    results = benchmark.main(["--repeats", "1", "--warmup", "0", "--dtype", "both"], sizes=TINY)
    out = capsys.readouterr().out
    assert [r["layer"] for r in results] == LAYERS * 2
    assert out.count("LSTM target: ratio <= 2.0 -> ") == 2
    for r in results:
        verdict = "met" if r["ratio"] <= 2.0 else "not met"
        if r["layer"] == "LSTM":
            assert f"-> {verdict} ({r['dtype']}" in out
    assert "numpy/torch" in out and "threads" in out
