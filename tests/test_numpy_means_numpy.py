"""Numpy means numpy: a numpy exercise function that computes with torch scores 0 for it.

Every route by which a student's function can hand its work to torch is
tried on the course's real suites through `grading.check`: tensor ops
(torch.from_numpy and tensor algebra, or arithmetic on tensors made by
calling a class), torch functions (torch.sigmoid, F.softmax), tensor methods,
an nn.Module with copied weights, autograd (.backward() for a backward
function), torch reached through rnn_helpers.nets, and the reference through
an import route. Each cheat is first shown to be right (it agrees with the
reference to 1e-10 when called outside a check), so its 0 comes from the
guard alone. Honest numpy functions with torch imported, or calling
rnn_helpers.data, keep passing. `grading.visible` applies the same guard in
visible test cells. The last part grades a notebook through real
`nbgrader autograde` and reads the scores from the gradebook.
"""

import importlib
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_integrity import _meta, grade_class  # the real-nbgrader helpers (tests/ is on sys.path)

from rnn_helpers import grading, reference
from rnn_helpers.grading import guards, registry

REPO = Path(__file__).resolve().parents[1]
NUMPY_ONLY = "this exercise is numpy only — write it with numpy operations"


def failure(fn, *args, **kwargs):
    """The message of the AssertionError that fn raises (the test fails if none)."""
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def computes(name, what):
    """The message of a check of `name` that computed with torch, first seen at `what`."""
    return f"{name} computes with torch ({what}): {NUMPY_ONLY}"


def rnn_inputs(rng, N=3, D=4, H=5):
    return (
        rng.standard_normal((N, D)),
        rng.standard_normal((N, H)),
        rng.standard_normal((D, H)) / 2,
        rng.standard_normal((H, H)) / 2,
        rng.standard_normal(H),
    )


def lstm_inputs(rng, N=3, D=4, H=2):
    return (
        rng.standard_normal((N, D)),
        rng.standard_normal((N, H)),
        rng.standard_normal((N, H)),
        rng.standard_normal((D, 4 * H)) / 2,
        rng.standard_normal((H, 4 * H)) / 2,
        rng.standard_normal(4 * H),
    )


# --- honest numpy solutions -----------------------------------------------------------------


def honest_rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, b, h_next)


def honest_rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, _, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def honest_sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def honest_softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def honest_lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """The cache keeps the inputs: the autograd cheat below rebuilds the step from them."""
    i, f, g, o = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    c_next = honest_sigmoid(f) * c_prev + honest_sigmoid(i) * np.tanh(g)
    return honest_sigmoid(o) * np.tanh(c_next), c_next, (x, h_prev, c_prev, Wx, Wh, b)


# --- cheats, one per route ------------------------------------------------------------------


def rnn_step_by_tensor_ops(x, h_prev, Wx, Wh, b):
    t = torch.from_numpy
    return torch.tanh(t(x) @ t(Wx) + t(h_prev) @ t(Wh) + t(b)).numpy(), None


def rnn_step_by_class_made_tensors(x, h_prev, Wx, Wh, b):
    # Calling a class and `@`, `+` call no function the profiler sees: the TorchFunctionMode does.
    T = torch.DoubleTensor
    return np.tanh((T(x) @ T(Wx) + T(h_prev) @ T(Wh) + T(b)).numpy()), None


def rnn_step_by_linear(x, h_prev, Wx, Wh, b):
    linear = torch.nn.Linear(Wx.shape[0], Wx.shape[1]).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(Wx.T.copy()))
        linear.bias.copy_(torch.from_numpy(b))
        return np.tanh(linear(torch.from_numpy(x)).numpy() + h_prev @ Wh), None


def sigmoid_by_torch_sigmoid(x):
    return torch.sigmoid(torch.DoubleTensor(x)).numpy()


def sigmoid_by_tensor_method(x):
    return torch.DoubleTensor(x).sigmoid().numpy()


_ANY_TENSOR = torch.zeros(1, dtype=torch.float64)  # made before the check


def sigmoid_by_new_tensor(x):
    return _ANY_TENSOR.new_tensor(x).sigmoid().numpy()


def softmax_by_functional(scores, axis=-1):
    return F.softmax(torch.DoubleTensor(scores), dim=axis).numpy()


def attention_by_tensor_algebra(query, keys, values, mask=None, scale=True):
    q, k, v = (torch.from_numpy(a) for a in (query, keys, values))
    scores = (k @ q[:, :, None])[:, :, 0] / (np.sqrt(q.shape[1]) if scale else 1.0)
    if mask is not None:
        scores = scores.masked_fill(~torch.from_numpy(mask), -np.inf)
    weights = torch.softmax(scores, dim=1)
    return (weights[:, :, None] * v).sum(dim=1).numpy(), weights.numpy()


def lstm_step_backward_by_autograd(dh_next, dc_next, cache):
    # torch.tensor copies: the leaves made here are the student's, not the cache's arrays.
    x, h_prev, c_prev, Wx, Wh, b = (torch.tensor(a, requires_grad=True) for a in cache)
    i, f, g, o = torch.chunk(x @ Wx + h_prev @ Wh + b, 4, dim=1)
    c_next = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    (h_next * torch.from_numpy(dh_next) + c_next * torch.from_numpy(dc_next)).sum().backward()
    return tuple(t.grad.numpy() for t in (x, h_prev, c_prev, Wx, Wh, b))


def sigmoid_in_a_thread(x):
    box = []
    thread = threading.Thread(target=lambda: box.append(torch.sigmoid(torch.DoubleTensor(x)).numpy()))
    thread.start()
    thread.join()
    return box[0]


def sigmoid_by_reference(x):
    return importlib.import_module("rnn_helpers.reference").sigmoid(x)


def sigmoid_through_nets(x):
    from rnn_helpers.nets import training

    training.tensor_batches(x, batch_size=1, shuffle=False)  # torch.as_tensor, in library code
    return honest_sigmoid(x)


# --- the cheats are right: only the guard can fail them ---------------------------------------


def test_every_cheat_agrees_with_the_reference_outside_a_check(rng):
    args = rnn_inputs(rng)
    want = reference.rnn_step_forward(*args)[0]
    for cheat in (rnn_step_by_tensor_ops, rnn_step_by_class_made_tensors, rnn_step_by_linear):
        np.testing.assert_allclose(cheat(*args)[0], want, rtol=0, atol=1e-10, err_msg=cheat.__name__)
    x = rng.standard_normal((3, 4))
    for cheat in (
        sigmoid_by_torch_sigmoid,
        sigmoid_by_tensor_method,
        sigmoid_by_new_tensor,
        sigmoid_in_a_thread,
    ):
        np.testing.assert_allclose(cheat(x), reference.sigmoid(x), rtol=0, atol=1e-10, err_msg=cheat.__name__)
    np.testing.assert_allclose(softmax_by_functional(x, axis=0), reference.softmax(x, axis=0), atol=1e-10)
    query, keys, values = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((2, 4, 3)),
        rng.standard_normal((2, 4, 5)),
    )
    mask = np.array([[True, False, True, True], [False, True, True, True]])
    for got, want in zip(
        attention_by_tensor_algebra(query, keys, values, mask),
        reference.dot_product_attention(query, keys, values, mask),
    ):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    args = lstm_inputs(rng)
    _, _, ref_cache = reference.lstm_step_forward(*args)
    _, _, cache = honest_lstm_step_forward(*args)
    dh, dc = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    for got, want in zip(
        lstm_step_backward_by_autograd(dh, dc, cache), reference.lstm_step_backward(dh, dc, ref_cache)
    ):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


# --- grading.check: each route scores a failure that says why ------------------------------


@pytest.mark.parametrize(
    ("name", "cheat", "what"),
    [
        ("rnn_step_forward", rnn_step_by_tensor_ops, "torch.from_numpy"),
        ("rnn_step_forward", rnn_step_by_class_made_tensors, "torch.Tensor.matmul"),
        ("rnn_step_forward", rnn_step_by_linear, "torch.nn.modules.linear.Linear"),
        ("sigmoid", sigmoid_by_torch_sigmoid, "torch.sigmoid"),
        ("sigmoid", sigmoid_by_tensor_method, "torch.Tensor.sigmoid"),
        ("sigmoid", sigmoid_by_new_tensor, "torch.Tensor.new_tensor"),
        ("sigmoid", sigmoid_through_nets, "torch.as_tensor"),
        ("sigmoid", sigmoid_in_a_thread, "torch.sigmoid"),
        ("softmax", softmax_by_functional, "torch.nn.functional.softmax"),
        ("dot_product_attention", attention_by_tensor_algebra, "torch.from_numpy"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_a_numpy_function_that_computes_with_torch_fails_and_says_why(name, cheat, what):
    assert failure(grading.check, name, cheat, seed=1) == computes(name, what)


def test_a_backward_computed_by_torch_autograd_fails():
    message = failure(
        grading.check,
        "lstm_step_backward",
        lstm_step_backward_by_autograd,
        forward=honest_lstm_step_forward,
        suite="gradcheck",
        seed=2,
    )
    assert message == computes("lstm_step_backward", "torch.tensor"), message


def test_autograd_entries_are_seen_however_the_gradient_is_asked_for():
    def by_backward():
        w = torch.ones(2, dtype=torch.float64, requires_grad=True)  # made before tracing starts
        return w, lambda: (w * w).sum().backward()

    def by_autograd_grad():
        w = torch.ones(2, dtype=torch.float64, requires_grad=True)
        return w, lambda: torch.autograd.grad((w * w).sum(), [w])

    for make, entry in (
        (by_backward, "torch._tensor.Tensor.backward"),
        (by_autograd_grad, "torch.autograd.grad"),
    ):
        _, step = make()
        with guards.Tracer() as tracer:
            guards.student_call(step)
        assert ("torch", entry, "fn") in tracer.computations, (entry, tracer.computations)


def test_a_forward_that_computes_with_torch_fails_the_backward_check():
    def forward_by_torch(x, h_prev, Wx, Wh, b):
        h_next, _ = rnn_step_by_tensor_ops(x, h_prev, Wx, Wh, b)
        return h_next, (x, h_prev, Wx, Wh, b, h_next)

    message = failure(
        grading.check,
        "rnn_step_backward",
        honest_rnn_step_backward,
        forward=forward_by_torch,
        suite="gradcheck",
        seed=4,
    )
    assert message == (
        "rnn_step_backward: the forward pass given to it computes with torch "
        f"(torch.from_numpy); {NUMPY_ONLY}"
    )


def test_the_reference_through_an_import_route_is_still_delegation():
    assert failure(grading.check, "sigmoid", sigmoid_by_reference, seed=1) == (
        "sigmoid delegates to rnn_helpers.reference.activations.sigmoid: write it yourself"
    )


def test_torch_recurrent_layers_keep_their_delegation_message():
    def by_rnn_cell(x, h_prev, Wx, Wh, b):
        cell = torch.nn.RNNCell(Wx.shape[0], Wx.shape[1]).double()
        return cell(torch.from_numpy(x), torch.from_numpy(h_prev)).detach().numpy(), None

    # RNNCell is entered at its __init__: the message names torch's recurrent code, not "computes".
    assert failure(grading.check, "rnn_step_forward", by_rnn_cell, seed=1) == (
        "rnn_step_forward delegates to torch.nn.modules.rnn.RNNCell.__init__: write it yourself"
    )


def test_a_mode_the_student_leaves_pushed_is_popped_with_the_graders():
    class Quiet(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    def leaves_a_mode(x):
        Quiet().__enter__()
        return sigmoid_by_tensor_method(x)

    before = torch._C._len_torch_function_stack()
    message = failure(grading.check, "sigmoid", leaves_a_mode, seed=1)
    assert message.startswith("sigmoid computes with torch ("), message
    assert torch._C._len_torch_function_stack() == before


# --- honest solutions keep passing ----------------------------------------------------------


def test_honest_numpy_passes_with_torch_imported_and_data_helpers_called():
    from rnn_helpers.data import names

    def checks_its_input_and_shuffles(x, h_prev, Wx, Wh, b):
        assert not isinstance(x, torch.Tensor)  # naming torch is not computing with it
        names.train_val_split(list(range(10)), 0.2, seed=0)
        return honest_rnn_step_forward(x, h_prev, Wx, Wh, b)

    grading.check("rnn_step_forward", checks_its_input_and_shuffles, seed=1)
    grading.check("sigmoid", honest_sigmoid, seed=1)
    grading.check("softmax", honest_softmax, seed=1)
    grading.check(
        "rnn_step_backward",
        honest_rnn_step_backward,
        forward=honest_rnn_step_forward,
        suite="gradcheck",
        seed=4,
    )


def test_importing_torch_inside_the_function_during_the_check_is_not_computation():
    # A fresh interpreter, where the student's function is the first to import torch.
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from rnn_helpers import grading
        def rnn_step_forward(x, h_prev, Wx, Wh, b):
            import torch  # noqa: F401
            import torch.nn.functional  # noqa: F401
            return np.tanh(x @ Wx + h_prev @ Wh + b), None
        assert "torch" not in sys.modules
        grading.check("rnn_step_forward", rnn_step_forward, seed=1)
        print("passed", "torch" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["passed", "True"], out.stdout


def test_the_graders_own_torch_computation_is_not_blamed_on_the_student():
    # Code compiled under the grading folder counts as the grader's, as a suite would.
    source = textwrap.dedent(
        """
        def suite_step(student_fn, x):
            expected = torch.sigmoid(torch.from_numpy(x)).numpy()   # the grader's oracle
            return guards.student_call(student_fn, x), expected
        """
    )
    space = {"torch": torch, "guards": guards}
    exec(compile(source, str(Path(guards.GRADING_DIR) / "virtual_suite.py"), "exec"), space)
    x = np.linspace(-3, 3, 7)
    with guards.Tracer() as tracer:
        got, expected = space["suite_step"](honest_sigmoid, x)
    assert tracer.computations == [] and tracer.violations == []
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    with guards.Tracer() as tracer:
        space["suite_step"](sigmoid_by_torch_sigmoid, x)
    assert tracer.computations[0] == ("torch", "torch.sigmoid", "fn"), tracer.computations


def test_a_torch_ok_suite_lets_the_function_compute_with_torch_but_not_delegate():
    # A suite registered from code under the grading folder, as a torch end part would be.
    source = textwrap.dedent(
        """
        @registry.suite("torch_tanh_step", "random", torch_ok=True)
        def _(rng, student, ref):
            x = rng.standard_normal((2, 3))
            registry.assert_close("torch_tanh_step", student.fn(x), np.tanh(x), atol=1e-12)

        @registry.suite("torch_tanh_step", "numpy_only")
        def _(rng, student, ref):
            x = rng.standard_normal((2, 3))
            registry.assert_close("torch_tanh_step", student.fn(x), np.tanh(x), atol=1e-12)
        """
    )
    exec(
        compile(source, str(Path(guards.GRADING_DIR) / "virtual_cases.py"), "exec"),
        {"registry": registry, "np": np},
    )

    def by_torch(x):
        return torch.tanh(torch.from_numpy(x)).numpy()

    def by_rnn_cell(x):
        cell = torch.nn.RNNCell(3, 3, nonlinearity="tanh", bias=False).double()
        with torch.no_grad():
            cell.weight_ih.copy_(torch.eye(3, dtype=torch.float64))
            cell.weight_hh.zero_()
        return cell(torch.from_numpy(x)).numpy()

    try:
        grading.check("torch_tanh_step", by_torch, suite="random")
        assert failure(grading.check, "torch_tanh_step", by_torch, suite="numpy_only") == computes(
            "torch_tanh_step", "torch.from_numpy"
        )
        assert failure(grading.check, "torch_tanh_step", by_rnn_cell, suite="random").startswith(
            "torch_tanh_step delegates to torch.nn.modules.rnn.RNNCell"
        )
    finally:
        for key in [k for k in registry.SUITES if k[0] == "torch_tanh_step"]:
            del registry.SUITES[key]


# --- grading.visible -------------------------------------------------------------------------


def test_visible_returns_exactly_what_the_function_returned(rng):
    returned = []

    def honest(x, h_prev, Wx, Wh, b):
        returned.append(honest_rnn_step_forward(x, h_prev, Wx, Wh, b))
        return returned[-1]

    args = rnn_inputs(rng)
    result = grading.visible("rnn_step_forward", honest, *args)
    assert result is returned[0]
    np.testing.assert_allclose(result[0], reference.rnn_step_forward(*args)[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "cheat"),
    [
        ("sigmoid", sigmoid_by_torch_sigmoid),
        ("softmax", softmax_by_functional),
        ("sigmoid", sigmoid_by_reference),
        ("rnn_step_forward", rnn_step_by_class_made_tensors),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_visible_fails_a_cheat_with_the_message_of_the_hidden_check(name, cheat, rng):
    args = rnn_inputs(rng) if name == "rnn_step_forward" else (rng.standard_normal((2, 3)),)
    hidden = failure(grading.check, name, cheat, seed=1)
    assert failure(grading.visible, name, cheat, *args) == hidden


def test_visible_passes_the_students_own_errors_through():
    def stub(x):
        raise NotImplementedError("sigmoid: write this function")

    with pytest.raises(NotImplementedError, match="sigmoid: write this function"):
        grading.visible("sigmoid", stub, np.zeros(2))


def test_visible_refuses_a_name_without_hidden_suites():
    with pytest.raises(LookupError, match="no hidden test suite for 'sigmoidd'"):
        grading.visible("sigmoidd", honest_sigmoid, np.zeros(2))


# --- through real nbgrader -------------------------------------------------------------------

ASSIGNMENT = "numpy_only"
SOLUTIONS = {
    "rnn_step_forward": '''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) -> (h_next (N, H), cache)."""
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, b, h_next)
    ### END SOLUTION
''',
    "rnn_step_backward": '''
def rnn_step_backward(dh_next, cache):
    """dh_next (N, H) -> (dx, dh_prev, dWx, dWh, db)."""
    ### BEGIN SOLUTION
    x, h_prev, Wx, Wh, _, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION
''',
    "softmax": '''
def softmax(scores, axis=-1):
    """Probabilities along axis."""
    ### BEGIN SOLUTION
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION
''',
    "sigmoid": '''
def sigmoid(x):
    """1 / (1 + exp(-x)), any shape."""
    ### BEGIN SOLUTION
    return np.exp(-np.logaddexp(0, -x))
    ### END SOLUTION
''',
}
# The honest student also imports torch and computes with it outside the function.
HONEST_WITH_TORCH_AROUND = {
    "sigmoid": "import torch\n"
    "def sigmoid(x):\n    return np.exp(-np.logaddexp(0, -x))\n"
    "print(torch.sigmoid(torch.zeros(2)))  # torch in the notebook, not in the function\n",
}
TORCH_ROUTES = {  # functional, tensor ops, autograd
    "softmax": "import torch\nimport torch.nn.functional as F\n"
    "def softmax(scores, axis=-1):\n    return F.softmax(torch.from_numpy(scores), dim=axis).numpy()\n",
    "sigmoid": "import torch\n"
    "def sigmoid(x):\n    return (1 / (1 + torch.exp(-torch.from_numpy(x)))).numpy()\n",
    "rnn_step_backward": "import torch\n"
    "def rnn_step_backward(dh_next, cache):\n"
    "    x, h_prev, Wx, Wh, b = (torch.tensor(a, requires_grad=True) for a in cache[:5])\n"
    "    torch.tanh(x @ Wx + h_prev @ Wh + b).backward(torch.from_numpy(dh_next))\n"
    "    return tuple(t.grad.numpy() for t in (x, h_prev, Wx, Wh, b))\n",
}
MODULE_AND_REFERENCE = {  # an nn.Module, the reference through importlib
    "sigmoid": "import torch\ndef sigmoid(x):\n    return torch.nn.Sigmoid()(torch.from_numpy(x)).numpy()\n",
    "softmax": "import importlib\nsoftmax = importlib.import_module('rnn_helpers.reference').softmax\n",
}
FULL = {
    "test_softmax_visible": 1,
    "test_rnn_step_forward_hidden": 1,
    "test_rnn_step_backward_hidden": 2,
    "test_softmax_hidden": 1,
    "test_sigmoid_hidden": 1,
}
# student -> (solution cells replaced, exact scores)
STUDENTS = {
    "honest_with_torch_around": (HONEST_WITH_TORCH_AROUND, FULL),
    "torch_routes": (
        TORCH_ROUTES,
        dict(
            FULL,
            test_softmax_visible=0,
            test_softmax_hidden=0,
            test_sigmoid_hidden=0,
            test_rnn_step_backward_hidden=0,
        ),
    ),
    "module_and_reference": (
        MODULE_AND_REFERENCE,
        dict(FULL, test_softmax_visible=0, test_softmax_hidden=0, test_sigmoid_hidden=0),
    ),
}


def _hidden(name, call):
    return f'"""{name} on random shapes."""\n### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS'


def source_notebook():
    """The instructor's notebook: four numpy exercises, a visible and four hidden tests."""
    code = nbformat.v4.new_code_cell
    cells = [code("import numpy as np\nfrom rnn_helpers import grading", metadata=_meta("imports"))]
    cells += [code(src.strip(), metadata=_meta(name, solution=True)) for name, src in SOLUTIONS.items()]
    cells.append(
        code(
            '"""softmax of one fixed row, under the grader\'s guard."""\n'
            "p = grading.visible('softmax', softmax, np.array([[1.0, 2.0, 3.0]]))\n"
            "e = np.exp([1.0, 2.0, 3.0])\n"
            "assert np.allclose(p, e / e.sum(), atol=1e-12)",
            metadata=_meta("test_softmax_visible", grade=True, points=1),
        )
    )
    calls = {
        "rnn_step_forward": 'grading.check("rnn_step_forward", rnn_step_forward, seed=1)',
        "rnn_step_backward": 'grading.check("rnn_step_backward", rnn_step_backward, '
        'forward=rnn_step_forward, suite="gradcheck", seed=2)',
        "softmax": 'grading.check("softmax", softmax, seed=3)',
        "sigmoid": 'grading.check("sigmoid", sigmoid, seed=4)',
    }
    for name, call in calls.items():
        grade_id = f"test_{name}_hidden"
        cells.append(code(_hidden(name, call), metadata=_meta(grade_id, grade=True, points=FULL[grade_id])))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    """student -> {grade_id: score} after one autograde run of every submission."""

    def fill(student, grade_id, cell):
        if grade_id in SOLUTIONS:
            replaced = STUDENTS[student][0]
            cell.source = replaced.get(grade_id, SOLUTIONS[grade_id]).replace("    ### BEGIN SOLUTION\n", "")
            cell.source = cell.source.replace("    ### END SOLUTION\n", "")

    course = tmp_path_factory.mktemp("course")
    yield grade_class(course, ASSIGNMENT, source_notebook(), fill, STUDENTS, FULL)
    shutil.rmtree(course, ignore_errors=True)


@pytest.mark.parametrize("student", list(STUDENTS))
def test_nbgrader_gives_zero_exactly_to_the_functions_that_compute_with_torch(scores, student):
    _, expected = STUDENTS[student]
    assert scores[student] == expected, (
        f"{student}: gradebook scores {scores[student]}, expected {expected} (exact points)"
    )
