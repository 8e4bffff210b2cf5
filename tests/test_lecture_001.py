"""Lecture 001's corrected claims: row-form weights from PyTorch, the LSTM's direct path, timings.

The maths is checked against PyTorch (float64); the notebook's text and code are
checked for the errors issue 12 found, so that they cannot come back unnoticed.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn_helpers.reference.rnn import rnn_forward

LECTURE = Path(__file__).resolve().parents[1] / "lectures" / "001_rnn_intro_pytorch.ipynb"
FWD_TOL = 1e-12


def cells(kind):
    return ["".join(c["source"]) for c in json.loads(LECTURE.read_text())["cells"] if c["cell_type"] == kind]


def test_torch_weights_transposed_are_the_row_form_weights_of_the_exercises():
    """weight_ih_l0.T is W_x of shape (D, H): rnn_forward with it equals torch.nn.RNN to 1e-12."""
    D, H, T = 7, 4, 6  # one-hot inputs: D = V
    torch.manual_seed(0)
    rnn = torch.nn.RNN(D, H, batch_first=True).double()
    W_x = rnn.weight_ih_l0.detach().numpy().T
    W_h = rnn.weight_hh_l0.detach().numpy().T
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    x = np.eye(D)[np.random.default_rng(0).integers(0, D, size=(2, T))]  # (N, T, D)
    with torch.no_grad():
        expected, _ = rnn(torch.tensor(x))
    ours, _ = rnn_forward(x, np.zeros((2, H)), W_x, W_h, b)
    assert W_x.shape == (D, H)
    assert np.max(np.abs(ours - expected.numpy())) < FWD_TOL
    with pytest.raises(ValueError):  # the column-form (H, D) matrix is not the exercises' Wx
        rnn_forward(x, np.zeros((2, H)), W_x.T, W_h, b)


def test_lecture_builds_the_row_form_weights_from_torch_by_transposing():
    """Every W_x / W_h / W_y the lecture takes from a torch model's weight is transposed (.T)."""
    taken = [
        line.split("#")[0].strip()
        for src in cells("code")
        for line in src.splitlines()
        if re.match(r"\s*W_[xhy]\s*=.*\.weight", line)
    ]
    assert taken, "the lecture no longer reads W_x, W_h, W_y from the trained model"
    untransposed = [line for line in taken if not line.endswith(".T")]
    assert not untransposed, f"column-form torch weights named as the row-form matrices: {untransposed}"


def test_lecture_says_diag_f_is_only_the_direct_cell_path():
    """Where the text gives dc_t/dc_{t-1} = diag(f_t), it calls it the direct path."""
    mentions = [m for m in cells("markdown") if re.search(r"\\mathrm\{diag\}\(f_t\)", m)]
    assert mentions, "the LSTM section no longer states the cell-path derivative"
    assert all("direct" in m for m in mentions), "diag(f_t) is stated without saying it is the direct path"


def test_lecture_gradient_recursion_has_the_direct_loss_term():
    """The BPTT recursion for dL/dh_{t-1} includes the direct term d l_{t-1} / d h_{t-1}."""
    recursions = [m for m in cells("markdown") if r"\frac{\partial L}{\partial h_{t-1}} =" in m]
    assert recursions, "the vanishing-gradient section no longer writes the recursion"
    assert all(r"\partial \ell_{t-1}" in m for m in recursions)


def test_lecture_times_code_with_a_warm_up_and_a_median():
    """Timings use median_ms; perf_counter only measures the whole lecture (t_start)."""
    code = "\n".join(cells("code"))
    assert "median_ms(" in code
    stray = [line for line in code.splitlines() if "perf_counter" in line and "t_start" not in line]
    assert not stray, f"single-call timings without warm-up: {stray}"
