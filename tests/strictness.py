"""A context in which any warning or floating-point flag raised by numpy is an error."""

import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def strict():
    """Turn warnings into exceptions and make numpy raise on overflow, underflow,
    invalid operations and division by zero, so a test can prove a function is silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield
