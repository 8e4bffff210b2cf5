"""The grading library: readable assertions, the suite registry, and `check`.

The checks run on the course's real suites (rnn_step_forward and softmax from
cases/rnn_forward.py); the expected failures are planted by hand (a known
element changed by a known amount), so every message test knows the truth.
"""

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn_helpers import grading
from rnn_helpers.grading import guards, registry, tamper

REPO = Path(__file__).resolve().parents[1]


def honest_rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def honest_softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def failure(fn, *args, **kwargs):
    """The message of the AssertionError that fn raises (the test fails if none)."""
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- assert_close, assert_shape, assert_dtype -------------------------------------------


def test_assert_close_names_the_worst_index_both_values_and_the_tolerance():
    expected = np.zeros((2, 3, 4))
    got = expected.copy()
    got[0, 2, 1] = 0.19
    got[1, 0, 0] = 0.05
    message = failure(registry.assert_close, "rnn_forward: h", got, expected, atol=1e-6)
    assert message == (
        "rnn_forward: h differs from the reference at [0, 2, 1]: got 0.19, "
        "expected 0 (max abs error 0.19 > atol 1e-06); shapes (2, 3, 4)"
    )


def test_assert_close_accepts_errors_up_to_atol_and_rejects_beyond():
    expected = np.linspace(-1, 1, 6)
    registry.assert_close("f: y", expected + 0.9e-6, expected, atol=1e-6)  # inside: no error
    assert "at [5]" in failure(
        registry.assert_close, "f: y", expected + np.array([0, 0, 0, 0, 0, 1.1e-6]), expected, atol=1e-6
    )


def test_assert_close_rtol_scales_with_the_expected_magnitude():
    expected = np.array([1000.0, 1.0])
    registry.assert_close("f: y", expected * (1 + 1e-7), expected, atol=0, rtol=2e-7)
    message = failure(registry.assert_close, "f: y", expected * (1 + 3e-7), expected, atol=0, rtol=2e-7)
    assert "at [0]" in message and "rtol 2e-07" in message


def test_assert_close_treats_nan_as_an_error_at_its_index():
    got = np.array([[0.0, np.nan], [0.0, 0.0]])
    message = failure(registry.assert_close, "f: y", got, np.zeros((2, 2)), atol=1e30)
    assert "at [0, 1]: got nan" in message


def test_assert_close_reports_shape_mismatch_and_non_arrays():
    assert (
        failure(registry.assert_close, "f: y", np.zeros((3, 2)), np.zeros((2, 3)), atol=1)
        == "f: y has shape (3, 2), expected (2, 3)"
    )
    assert "expected an array of numbers of shape (2,), got str" in failure(
        registry.assert_close, "f: y", "abc", np.zeros(2), atol=1
    )


def test_assert_close_ignores_a_redefined_np_allclose_and_np_max(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "max", lambda *a, **k: 0.0)
    monkeypatch.setattr(np, "abs", lambda x: 0 * x)
    assert "at [1]" in failure(registry.assert_close, "f: y", np.array([0.0, 5.0]), np.zeros(2), atol=1e-6)


def test_assert_shape_and_dtype_messages():
    assert (
        failure(registry.assert_shape, "f: h", np.zeros((2, 3)), (2, 4))
        == "f: h has shape (2, 3), expected (2, 4)"
    )
    assert (
        failure(registry.assert_shape, "f: h", None, (2,))
        == "f: h: expected an array of shape (2,), got NoneType"
    )
    assert failure(registry.assert_dtype, "f: h", np.zeros(2), np.float32).startswith(
        "f: h has dtype float64, expected float32"
    )
    registry.assert_dtype("f: h", np.zeros(2, np.float32), np.float32)


# --- the registry -------------------------------------------------------------------------


def test_an_unknown_suite_is_a_lookup_error_listing_the_known_ones():
    with pytest.raises(
        LookupError,
        match=r"no hidden test suite 'nope' for 'softmax' "
        r"\(suites for 'softmax': \['large_scores', 'random'\]",
    ):
        grading.check("softmax", honest_softmax, suite="nope")


def test_a_suite_registered_outside_the_grader_is_refused():
    @grading.suite("softmax", "from_a_notebook")
    def _(rng, student, ref):
        pass

    try:
        assert "replaced by code outside the grader" in failure(
            grading.check, "softmax", honest_softmax, suite="from_a_notebook"
        )
    finally:
        del registry.SUITES[("softmax", "from_a_notebook")]


def test_check_loads_case_modules_lazily_and_reruns_a_module_patched_before():
    # A fresh interpreter: nothing loaded yet, then a student patches the case module.
    code = (
        "import sys, numpy as np\n"
        "from rnn_helpers import grading\n"
        "name = 'rnn_helpers.grading.cases.rnn_forward'\n"
        "assert name not in sys.modules, 'case module imported too early'\n"
        "import rnn_helpers.grading.cases.rnn_forward as case\n"
        "case.assert_close = case.compare = lambda *a, **k: None\n"
        "try:\n"
        "    grading.check('softmax', lambda s, axis=-1: np.ones_like(s), seed=0)\n"
        "except AssertionError as e:\n"
        "    print('FAILED:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("FAILED: softmax(scores) for scores of shape"), out.stdout
    assert "differs from the reference" in out.stdout


# --- check on honest and wrong solutions ---------------------------------------------------


def test_check_passes_a_correct_solution_in_float64_and_float32():
    grading.check("rnn_step_forward", honest_rnn_step_forward, seed=1)
    grading.check("softmax", honest_softmax, seed=2)

    def float32(x, h_prev, Wx, Wh, b):
        h, _ = honest_rnn_step_forward(*(a.astype(np.float32) for a in (x, h_prev, Wx, Wh, b)))
        return h, None

    grading.check("rnn_step_forward", float32, seed=1)


def test_a_wrong_answer_names_the_function_and_the_index():
    def off_by_a_bit(x, h_prev, Wx, Wh, b):
        h, cache = honest_rnn_step_forward(x, h_prev, Wx, Wh, b)
        h = h.copy()
        h[-1, -1] += 1e-3  # well above the suite's atol of 1e-6
        return h, cache

    message = failure(grading.check, "rnn_step_forward", off_by_a_bit, seed=1)
    assert message.startswith(
        "rnn_step_forward (N=1, D=1, H=1): h_next differs from the reference at [0, 0]: got "
    )
    assert "max abs error 0.001 > atol 1e-06" in message


def test_the_failure_has_no_frames_of_the_suite():
    def wrong(x, h_prev, Wx, Wh, b):
        return np.tanh(x @ Wx), None

    with pytest.raises(AssertionError) as info:
        grading.check("rnn_step_forward", wrong, seed=1)
    files = {Path(entry.path).name for entry in info.traceback}
    assert "rnn_forward.py" not in files and "registry.py" not in files, files


def test_errors_raised_by_the_student_reach_the_notebook_unchanged():
    def stub(scores, axis=-1):
        raise NotImplementedError("softmax: write this function")

    with pytest.raises(NotImplementedError, match="softmax: write this function"):
        grading.check("softmax", stub)


# --- delegation -----------------------------------------------------------------------------


def _delegation(fn, name="rnn_step_forward"):
    return failure(grading.check, name, fn, seed=1)


def test_delegating_to_the_reference_fails_however_it_is_reached():
    from rnn_helpers import reference
    from rnn_helpers.reference.rnn import rnn_step_forward as captured_before

    class Lazy:
        """Defers the work to np.asarray(), after the student's function returned."""

        def __init__(self, args):
            self.args = args

        def __array__(self, dtype=None, copy=None):
            return reference.rnn_step_forward(*self.args)[0]

    attempts = {
        "alias": lambda *a: captured_before(*a),
        "the reference itself": reference.rnn_step_forward,
        "through numpy": lambda *a: np.frompyfunc(lambda _: reference.rnn_step_forward(*a), 1, 1)(
            np.zeros(1)
        )[0],
        "lazily": lambda *a: (Lazy(a), None),
        "in a thread": lambda *a: _in_thread(reference.rnn_step_forward, *a),
    }
    for how, fn in attempts.items():
        message = _delegation(fn)
        assert message == (
            "rnn_step_forward delegates to rnn_helpers.reference.rnn.rnn_step_forward: write it yourself"
        ), (how, message)


def _in_thread(fn, *args):
    box = []
    thread = threading.Thread(target=lambda: box.append(fn(*args)))
    thread.start()
    thread.join()
    return box[0]


def test_delegating_to_torch_recurrent_or_attention_code_fails():
    def via_rnn_cell(x, h_prev, Wx, Wh, b):
        cell = torch.nn.RNNCell(Wx.shape[0], Wx.shape[1]).double()
        with torch.no_grad():
            cell.weight_ih.copy_(torch.from_numpy(Wx.T.copy()))
            cell.weight_hh.copy_(torch.from_numpy(Wh.T.copy()))
            cell.bias_ih.copy_(torch.from_numpy(b))
            cell.bias_hh.zero_()
            return cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy(), None

    lstm = torch.nn.LSTM(2, 3, batch_first=True).double()  # built before the check

    def with_lstm(x, h_prev, Wx, Wh, b):
        lstm(torch.zeros(1, 1, 2, dtype=torch.float64))
        return honest_rnn_step_forward(x, h_prev, Wx, Wh, b)

    def with_sdpa(scores, axis=-1):
        q = torch.zeros(1, 1, 2)
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
        return honest_softmax(scores, axis)

    mha = torch.nn.MultiheadAttention(4, 1, batch_first=True)

    def with_mha(scores, axis=-1):
        q = torch.zeros(1, 1, 4)
        mha(q, q, q)
        return honest_softmax(scores, axis)

    def with_kernel(x, h_prev, Wx, Wh, b):
        t = torch.from_numpy
        h = torch.rnn_tanh_cell(t(x), t(h_prev), t(Wx.T.copy()), t(Wh.T.copy()), t(b), None)
        return h.numpy(), None

    assert "delegates to torch.nn.modules.rnn.RNNCell" in _delegation(via_rnn_cell)
    assert "delegates to torch.nn.modules.rnn.LSTM.forward" in _delegation(with_lstm)
    assert "delegates to torch.scaled_dot_product_attention" in _delegation(with_sdpa, "softmax")
    assert "delegates to torch.nn.modules.activation.MultiheadAttention.forward" in _delegation(
        with_mha, "softmax"
    )
    assert "delegates to torch.rnn_tanh_cell" in _delegation(with_kernel)


def test_torch_outside_recurrent_and_attention_code_is_numpy_only_delegation():
    # Numpy means numpy: any torch computation for a numpy exercise scores 0
    # (tests/test_numpy_means_numpy.py covers every route).
    def via_torch_tanh(x, h_prev, Wx, Wh, b):
        a = torch.from_numpy(x @ Wx + h_prev @ Wh + b)
        return torch.tanh(a).numpy(), None

    assert _delegation(via_torch_tanh) == (
        "rnn_step_forward computes with torch (torch.from_numpy): this exercise is numpy only "
        "— write it with numpy operations"
    )


def test_switching_the_tracer_off_fails_and_the_previous_profiler_comes_back():
    def sneaky(x, h_prev, Wx, Wh, b):
        sys.setprofile(None)
        from rnn_helpers.reference.rnn import rnn_step_forward

        return rnn_step_forward(x, h_prev, Wx, Wh, b)

    calls = []
    previous = lambda frame, event, arg: calls.append(event)  # noqa: E731
    sys.setprofile(previous)
    try:
        message = failure(grading.check, "rnn_step_forward", sneaky, seed=1)
    finally:
        restored = sys.getprofile()
        sys.setprofile(None)
    assert message.startswith("rnn_step_forward delegates to sys.setprofile")
    assert restored is previous


def honest_rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def test_the_forward_given_to_a_backward_check_may_be_the_reference_forward():
    from rnn_helpers import reference

    grading.check(
        "rnn_step_backward",
        honest_rnn_step_backward,
        forward=reference.rnn_step_forward,
        suite="gradcheck",
        seed=4,
    )
    grading.check(
        "rnn_step_backward",
        honest_rnn_step_backward,
        forward=honest_rnn_step_forward,
        suite="gradcheck",
        seed=4,
    )


def test_a_backward_or_forward_that_calls_the_reference_backward_fails():
    from rnn_helpers import reference

    assert failure(
        grading.check,
        "rnn_step_backward",
        reference.rnn_step_backward,
        forward=honest_rnn_step_forward,
        suite="gradcheck",
        seed=4,
    ) == ("rnn_step_backward delegates to rnn_helpers.reference.rnn.rnn_step_backward: write it yourself")

    def forward_that_stashes_gradients(*args):
        h, cache = reference.rnn_step_forward(*args)
        return h, (cache, reference.rnn_step_backward(np.ones_like(h), cache))

    message = failure(
        grading.check,
        "rnn_step_backward",
        lambda dh, cache: honest_rnn_step_backward(dh, cache[0]),
        forward=forward_that_stashes_gradients,
        suite="gradcheck",
        seed=4,
    )
    assert message == (
        "rnn_step_backward delegates to rnn_helpers.reference.rnn.rnn_step_backward: write it yourself"
    )


def test_allowed_building_blocks_are_not_delegation():
    from rnn_helpers.reference.activations import softmax

    def uses_softmax():
        return softmax(np.zeros((1, 2)))

    with guards.Tracer(allow=("softmax",)) as tracer:
        guards.student_call(uses_softmax)
    assert tracer.violations == []
    with guards.Tracer() as tracer:
        guards.student_call(uses_softmax)
    assert tracer.violations == ["rnn_helpers.reference.activations.softmax"]


# --- tampering --------------------------------------------------------------------------


def test_a_redefined_numpy_function_fails_the_check_and_is_restored():
    genuine = np.allclose
    np.allclose = lambda *a, **k: True
    message = failure(grading.check, "softmax", honest_softmax)
    assert message.startswith("softmax: numpy.allclose was redefined before this check")
    assert np.allclose is genuine


def test_a_reference_twin_swapped_by_the_student_is_restored():
    import rnn_helpers.reference.rnn as rnn

    genuine_code = rnn.rnn_step_forward.__code__
    rnn.rnn_step_forward.__code__ = (lambda x, h_prev, Wx, Wh, b: (0 * x, None)).__code__
    message = failure(grading.check, "rnn_step_forward", honest_rnn_step_forward)
    assert "the code of rnn_helpers.reference.rnn.rnn_step_forward was replaced" in message
    assert rnn.rnn_step_forward.__code__ is genuine_code


def test_the_grading_functions_cannot_be_reassigned_and_dict_writes_are_undone():
    with pytest.raises(AttributeError, match="belongs to the grader"):
        grading.check = lambda *a, **k: None
    genuine = grading.assert_close
    grading.__dict__["assert_close"] = lambda *a, **k: None
    message = failure(grading.check, "softmax", honest_softmax)
    assert "rnn_helpers.grading.assert_close was redefined" in message
    assert grading.assert_close is genuine


def test_tampering_during_the_check_is_caught_afterwards():
    def patches_the_comparison(scores, axis=-1):
        registry.assert_close = lambda *a, **k: None
        return honest_softmax(scores, axis)

    message = failure(grading.check, "softmax", patches_the_comparison)
    assert "rnn_helpers.grading.registry.assert_close was redefined while the check ran" in message
    assert tamper.GUARD.audit() == []
