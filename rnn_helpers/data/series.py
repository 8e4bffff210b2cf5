"""Real time series for forecasting demos, from the datasets shipped with statsmodels.

The data sit inside the `statsmodels` package, so the lectures run offline:
- "sunspots": yearly mean sunspot number, 1700-2008 (309 values, an ~11-year cycle)
- "co2": weekly Mauna Loa CO2 in ppm, 1958-2001 (2284 weeks; the 59 missing
  weeks are filled by linear interpolation)
- "nile": yearly flow of the Nile at Aswan, 1871-1970 (100 values)
- "elnino": monthly Pacific sea-surface temperature, 1950-2010 (732 values)

Dimensions: L length of a series, N windows, T time steps per window,
K forecast horizon. A window batch has shape (N, T, 1), one feature per step,
the layout a batch-first torch.nn.LSTM reads.
"""

import importlib.util

import numpy as np

SERIES = {
    "sunspots": "yearly mean sunspot number, 1700-2008",
    "co2": "weekly Mauna Loa CO2 (ppm), 1958-2001",
    "nile": "yearly Nile flow at Aswan (10^8 m^3), 1871-1970",
    "elnino": "monthly Pacific sea-surface temperature (deg C), 1950-2010",
}
_PACKAGE = "statsmodels"  # a module attribute so that the missing-package message can be tested


def _dataset(name):
    """The statsmodels.datasets submodule for `name`, or a clear error."""
    if importlib.util.find_spec(_PACKAGE) is None:
        raise ModuleNotFoundError(
            f"The time series come from the '{_PACKAGE}' package, which is not installed. "
            f"Install it with:  pip install statsmodels"
        )
    return importlib.import_module(f"{_PACKAGE}.datasets.{name}")


def load_series(name="sunspots"):
    """Load one series as a float64 array in time order.

    Inputs:
    - name: one of SERIES ("sunspots", "co2", "nile", "elnino")

    Returns (values, times): values (L,) float64 with no missing entries;
    times (L,) float64, the time of each value in (fractional) years.
    """
    if name not in SERIES:
        raise ValueError(f"load_series: unknown series {name!r}; choose from {sorted(SERIES)}")
    df = _dataset(name).load_pandas().data
    if name == "sunspots":
        values, times = df["SUNACTIVITY"].to_numpy(float), df["YEAR"].to_numpy(float)
    elif name == "nile":
        values, times = df["volume"].to_numpy(float), df["year"].to_numpy(float)
    elif name == "co2":
        # Gaps are short (a few weeks), so a straight line between neighbours is
        # a fair fill and keeps the weekly spacing the windows rely on.
        s = df["co2"].interpolate(limit_direction="both")
        values = s.to_numpy(float)
        times = (s.index.year + (s.index.day_of_year - 1) / 365.25).to_numpy(float)
    else:  # elnino: one row per year, one column per month
        months = df.columns[1:]
        values = df[months].to_numpy(float).reshape(-1)
        times = (df["YEAR"].to_numpy(float)[:, None] + np.arange(12) / 12).reshape(-1)
    return values, times


class Standardizer:
    """x -> (x - mean) / std with the mean and std of the training part only.

    Fitting on the training part alone keeps the test period truly unseen:
    its level must not leak into the scaling.
    """

    def __init__(self, train_values):
        """train_values: (L,) array; its std must be positive."""
        train_values = np.asarray(train_values, dtype=np.float64)
        self.mean = float(train_values.mean())
        self.std = float(train_values.std())
        if not self.std > 0:
            raise ValueError("Standardizer: the training values are constant; nothing to scale")

    def transform(self, x):
        """Any shape -> the same shape, standardised (float64)."""
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z):
        """Undo transform: back to the original units."""
        return np.asarray(z, dtype=np.float64) * self.std + self.mean


def make_windows(values, T, horizon=1):
    """Cut a series into overlapping input windows and the values that follow them.

    Inputs:
    - values: (L,) series
    - T: window length (positive int)
    - horizon: K, how many following values to predict (positive int)

    Returns (X, Y): X (N, T, 1) with X[n, :, 0] = values[n:n+T] and
    Y (N, K) with Y[n] = values[n+T:n+T+K], where N = L - T - K + 1.
    Both are float64 copies; `values` is not modified.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"make_windows: values has shape {values.shape}, expected (L,)")
    for name, v in (("T", T), ("horizon", horizon)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"make_windows: {name} must be a positive integer, got {v!r}")
    N = len(values) - T - horizon + 1
    if N < 1:
        raise ValueError(
            f"make_windows: a series of length {len(values)} is too short for "
            f"T={T} and horizon={horizon} (needs at least {T + horizon})"
        )
    # Row n of `idx` lists the positions n, ..., n+T+K-1: inputs first, targets after.
    idx = np.arange(N)[:, None] + np.arange(T + horizon)[None, :]  # (N, T+K)
    w = values[idx]
    return w[:, :T, None].copy(), w[:, T:].copy()


def forecast_split(name="sunspots", T=24, horizon=1, test_fraction=0.2):
    """Load, split in time, standardise on the training part, and window.

    The last `test_fraction` of the series is the test period; test windows
    may start inside the training period (their inputs are past values) but
    every test target lies in the test period.

    Returns a dict with X_train (N1, T, 1), Y_train (N1, K), X_test (N2, T, 1),
    Y_test (N2, K) (standardised), the Standardizer `scaler`, the raw `values`
    (L,), `times` (L,) and `split`, the index of the first test value.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"forecast_split: test_fraction must be in (0, 1), got {test_fraction}")
    values, times = load_series(name)
    split = int(round(len(values) * (1 - test_fraction)))
    scaler = Standardizer(values[:split])
    z = scaler.transform(values)
    X_train, Y_train = make_windows(z[:split], T, horizon)
    X_test, Y_test = make_windows(z[split - T :], T, horizon)
    return dict(
        X_train=X_train,
        Y_train=Y_train,
        X_test=X_test,
        Y_test=Y_test,
        scaler=scaler,
        values=values,
        times=times,
        split=split,
    )
