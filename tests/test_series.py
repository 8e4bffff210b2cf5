"""The statsmodels time-series loaders, the standardiser and the windowing."""

import csv
import importlib.util
import os

import numpy as np
import pytest

from rnn_helpers.data import series


def _csv_rows(name):
    """Rows of a statsmodels dataset file, read with the csv module (not pandas)."""
    folder = os.path.dirname(importlib.util.find_spec(f"statsmodels.datasets.{name}").origin)
    with open(os.path.join(folder, f"{name}.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_load_sunspots_matches_the_shipped_csv():
    rows = _csv_rows("sunspots")
    values, times = series.load_series("sunspots")
    assert values.dtype == np.float64 and values.shape == (len(rows),)
    np.testing.assert_allclose(values, [float(r["SUNACTIVITY"]) for r in rows], rtol=0, atol=1e-12)
    np.testing.assert_allclose(times, [float(r["YEAR"]) for r in rows], rtol=0, atol=1e-12)


def test_load_elnino_flattens_months_in_time_order():
    rows = _csv_rows("elnino")
    values, times = series.load_series("elnino")
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    expected = [float(r[m]) for r in rows for m in months]
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    assert np.all(np.diff(times) > 0), "times must increase"
    np.testing.assert_allclose(np.diff(times), 1 / 12, rtol=0, atol=1e-9)


def test_load_co2_fills_missing_weeks_by_linear_interpolation():
    rows = _csv_rows("co2")
    raw = np.array([float(r["co2"]) if r["co2"] else np.nan for r in rows])
    assert np.isnan(raw).any(), "the test needs the file to have gaps"
    values, times = series.load_series("co2")
    assert values.shape == raw.shape and not np.isnan(values).any()
    known = ~np.isnan(raw)
    np.testing.assert_allclose(values[known], raw[known], rtol=0, atol=1e-12)
    # Inside the series, a filled week lies on the line between its known neighbours.
    idx = np.arange(len(raw))
    inner = ~known & (idx > idx[known][0]) & (idx < idx[known][-1])
    np.testing.assert_allclose(
        values[inner], np.interp(idx[inner], idx[known], raw[known]), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(np.diff(times), 7 / 365.25, rtol=0, atol=3 / 365.25)


def test_load_series_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown series 'tides'.*sunspots"):
        series.load_series("tides")


def test_load_series_says_how_to_install_statsmodels_when_missing(monkeypatch):
    monkeypatch.setattr(series, "_PACKAGE", "statsmodels_not_installed_here")
    with pytest.raises(ModuleNotFoundError, match="pip install statsmodels"):
        series.load_series("sunspots")


def test_make_windows_pairs_each_window_with_the_values_after_it():
    values = np.arange(10.0) ** 2
    before = values.copy()
    X, Y = series.make_windows(values, T=3, horizon=2)
    assert X.shape == (6, 3, 1) and Y.shape == (6, 2)
    for n in range(6):  # independent truth: plain slicing
        np.testing.assert_array_equal(X[n, :, 0], values[n : n + 3])
        np.testing.assert_array_equal(Y[n], values[n + 3 : n + 5])
    np.testing.assert_array_equal(values, before)
    X[0, 0, 0] = -1.0
    assert values[0] == 0.0, "windows must be copies, not views of the input"


@pytest.mark.parametrize(
    "T, horizon, match",
    [
        (0, 1, "T must be a positive integer"),
        (3, 0, "horizon must be a positive integer"),
        (9, 2, "too short"),
    ],
)
def test_make_windows_rejects_bad_sizes(T, horizon, match):
    with pytest.raises(ValueError, match=match):
        series.make_windows(np.arange(10.0), T=T, horizon=horizon)


def test_standardizer_uses_training_statistics_and_inverts():
    rng = np.random.default_rng(0)
    train, test = rng.normal(5, 2, 50), rng.normal(9, 3, 20)
    s = series.Standardizer(train)
    z = s.transform(train)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12
    np.testing.assert_allclose(s.transform(test), (test - train.mean()) / train.std(), rtol=1e-12)
    np.testing.assert_allclose(s.inverse(s.transform(test)), test, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="constant"):
        series.Standardizer(np.ones(5))


def test_forecast_split_keeps_test_targets_in_the_test_period():
    d = series.forecast_split("nile", T=10, horizon=1, test_fraction=0.2)
    values, split, scaler = d["values"], d["split"], d["scaler"]
    assert split == 80
    assert abs(scaler.mean - values[:80].mean()) < 1e-9, "scaled with test data"
    raw_test_targets = scaler.inverse(d["Y_test"][:, 0])
    np.testing.assert_allclose(raw_test_targets, values[80:], rtol=0, atol=1e-9)
    raw_train_targets = scaler.inverse(d["Y_train"][:, 0])
    np.testing.assert_allclose(raw_train_targets, values[10:80], rtol=0, atol=1e-9)
    assert d["X_train"].shape == (70, 10, 1) and d["X_test"].shape == (20, 10, 1)
