"""What every notebook shares: the fast-mode switch, epoch counts, timing, outcome checks.

Fast mode (`RNN_COURSE_FAST=1`, set by CI and the autograder) shortens
training and demonstrations; it never skips or loosens a correctness check.

    from rnn_helpers.notebook import FAST, epochs, median_ms, expect
    n_epochs = epochs(full=30, fast=3)
"""

import os
import statistics
import time
import warnings

FAST_VAR = "RNN_COURSE_FAST"  # "1": fast mode
CI_VAR = "CI"  # set by CI services; outcome checks are then hard assertions


def fast_mode():
    """True when the environment asks for fast mode (read anew at each call)."""
    return os.environ.get(FAST_VAR, "0") == "1"


def in_ci():
    """True under continuous integration (CI=true or CI=1)."""
    return os.environ.get(CI_VAR, "").lower() in ("1", "true", "yes")


FAST = fast_mode()


def epochs(full, fast):
    """`fast` in fast mode, else `full`: training length is the only thing fast mode changes."""
    return fast if fast_mode() else full


def median_ms(fn, repeats=7, warmup=1):
    """Median wall time of `fn()` in milliseconds, after `warmup` untimed calls.

    The warm-up pays one-off costs (allocation, caches, lazy imports); the
    median ignores the odd run disturbed by other programs.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"median_ms: repeats must be >= 1 and warmup >= 0, got {repeats}, {warmup}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


class OutcomeWarning(UserWarning):
    """A training outcome this run did not reach (a warning outside CI)."""


def expect(
    condition, message, likely_reason="training is random and short; run the cell again or train longer"
):
    """Check an outcome of stochastic training.

    Under CI a failed check is an AssertionError (the course must reproduce);
    in a student's run it is a warning that says the likely reason, and the
    notebook goes on. Returns `condition` as a bool.
    """
    if condition:
        return True
    if in_ci():
        raise AssertionError(message)
    warnings.warn(f"{message} (this run; likely reason: {likely_reason})", OutcomeWarning, stacklevel=2)
    return False
