"""Helpers shared by the hidden suites of every assignment: shapes, tolerances, calls.

Kept apart from the suites so that no assignment's suites import another's.
"""

import numpy as np

from rnn_helpers.grading.registry import assert_close, assert_shape

# float64 results must agree to this, times the scale of the expected values.
ATOL64 = 1e-6
# float32 results: rounding in float32 is ~6e-8 per operation.
ATOL32 = 1e-4


def tolerance(got, scale=1.0):
    """Absolute tolerance for `got`, by its dtype, relative to `scale` (>= 1)."""
    base = ATOL32 if np.asarray(got).dtype == np.float32 else ATOL64
    return base * max(1.0, float(scale))


def compare(what, got, expected):
    """Shape check, then a float64 comparison with the dtype-dependent tolerance."""
    expected = np.asarray(expected, dtype=np.float64)
    got_arr = np.asarray(got)
    assert_shape(what, got_arr, expected.shape)
    if not np.issubdtype(got_arr.dtype, np.number):
        raise AssertionError(f"{what}: expected an array of numbers, got dtype {got_arr.dtype}")
    scale = np.max(np.abs(expected)) if expected.size else 1.0
    assert_close(what, got_arr.astype(np.float64), expected, atol=tolerance(got_arr, scale))


def as_float32(got):
    """A result for float32 inputs, as float32 when it is numbers, so that it is judged
    with the float32 tolerance whatever type it came back as (a Python float, say)."""
    try:
        return np.asarray(got, dtype=np.float32)
    except (TypeError, ValueError):
        return got


def call(fname, fn, **arrays):
    """Call fn(*arrays.values()) and check that no array input was modified in place."""
    saved = {k: v.copy() for k, v in arrays.items() if isinstance(v, np.ndarray)}
    result = fn(*arrays.values())
    for k, v in arrays.items():
        if isinstance(v, np.ndarray) and not np.array_equal(v, saved[k]):
            raise AssertionError(
                f"{fname} modified its input {k} in place; inputs must stay unchanged (work on new arrays)"
            )
    return result


def shapes(rng, letters, small=(1, 1, 1, 1), high=5):
    """Dimension tuples to try: all ones, each letter in turn at 1, and a random one.

    Returns a list of dicts letter -> size. For letters "NTDH" this includes
    N=1, T=1, H=1 and a case where every size is at least 2.
    """

    def draw():
        return {k: int(rng.integers(2, high + 1)) for k in letters}

    cases = [dict(zip(letters, small))]
    for k in letters:
        c = draw()
        c[k] = 1
        cases.append(c)
    cases.append(draw())
    return cases


def normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


# Step of the centred differences in the backward suites, which use the
# reference's numerical_gradient: in float64, on inputs of order 1, it leaves
# about 1e-9 of error, far inside the 1e-6 tolerance.
EPS = 1e-6


def unpack(fname, result, names):
    """The tuple of gradients a backward returns, checked for its length."""
    if len(names) == 1:
        return (result,)
    if not (isinstance(result, tuple) and len(result) == len(names)):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise AssertionError(f"{fname} must return a tuple ({', '.join(names)}), got {got}")
    return result
