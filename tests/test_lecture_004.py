"""Lecture 004's corrected claims, checked against independent truths.

The Jacobian of one tanh RNN step (numerator layout) against torch autograd in
float64, the gap between the spectral radius and the largest singular value,
and the chance of a random exact caption against sampled captions. Each test
also checks that the lecture states the corrected claim.
"""

import json
import re
from pathlib import Path

import numpy as np
import torch

from rnn_helpers.data.digits import make_digit_strips

LECTURE = Path(__file__).resolve().parents[1] / "lectures" / "004_sequence_modelling_notes.ipynb"


def markdown():
    cells = json.loads(LECTURE.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_rnn_step_jacobian_is_diag_of_new_state_times_W_hh_and_the_notes_literal_form_is_not(rng):
    """d h_{t+1} / d h_t = diag(1 - h_{t+1}^2) W_hh (numerator layout), to 1e-12 against autograd."""
    H, D = 6, 3
    W_hh, W_xh = rng.normal(scale=0.6, size=(H, H)), rng.normal(scale=0.6, size=(H, D))
    b, x = rng.normal(size=H), rng.normal(size=D)
    h_t = np.tanh(rng.normal(size=H))

    def step(h):  # column form of the notes: h_{t+1} = tanh(W_xh x + W_hh h + b)
        return torch.tanh(torch.tensor(W_xh) @ torch.tensor(x) + torch.tensor(W_hh) @ h + torch.tensor(b))

    J = torch.autograd.functional.jacobian(step, torch.tensor(h_t)).numpy()  # row i: d h_{t+1, i}
    h_next = step(torch.tensor(h_t)).numpy()
    assert np.max(np.abs(J - np.diag(1 - h_next**2) @ W_hh)) < 1e-12
    notes_literal = W_hh @ np.diag(1 - h_t**2)
    assert np.max(np.abs(J - notes_literal)) > 1e-2, "the notes' literal form should not be the Jacobian"
    text = markdown()
    jacobian = r"\operatorname{diag}(1 - h_{t+1}^2)\, W_{hh}"
    assert jacobian in text, "lecture 004 must state the Jacobian plainly"
    assert "common shorthand" not in text, "the notes' form is wrong, not a shorthand"


def test_spectral_radius_equals_largest_singular_value_only_for_normal_matrices(rng):
    """rho(rho Q) = sigma_max(rho Q); the lecture's non-normal example has rho 0.5 < 1 < sigma_max (1e-12)."""
    Q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    W = 0.9 * Q
    assert abs(np.max(np.abs(np.linalg.eigvals(W))) - 0.9) < 1e-12
    assert abs(np.linalg.norm(W, 2) - 0.9) < 1e-12
    M = np.array([[0.5, 3.0], [0.0, 0.5]])
    assert abs(np.max(np.abs(np.linalg.eigvals(M))) - 0.5) < 1e-12 and np.linalg.norm(M, 2) > 3
    # A row vector multiplied by M grows before it decays: transient growth although rho < 1.
    v = np.array([1.0, 0.0])
    norms = [np.linalg.norm(v @ np.linalg.matrix_power(M, k)) for k in range(30)]
    assert max(norms) > 3 and norms[-1] < 1e-3
    assert re.search(r"\\sigma_\{\\max\}", markdown()), "lecture 004 must name sigma_max beside rho"


def test_random_caption_chance_is_about_1_2e_2_as_sampled_captions_show():
    """P(two random captions of 1-3 digits are equal) = 0.0123; 40,000 sampled pairs, 0.002 (~3.6 sd)."""
    exact = sum((1 / 3) ** 2 * 0.1**L for L in (1, 2, 3))
    assert abs(exact - 0.0123) < 1e-4
    images, labels = np.zeros((10, 8, 8)), np.arange(10)  # one image per digit: only the captions matter
    _, a = make_digit_strips(images, labels, 40_000, np.random.default_rng(1))
    _, b = make_digit_strips(images, labels, 40_000, np.random.default_rng(2))
    sampled = float(np.mean(np.all(a == b, axis=1)))
    assert abs(sampled - exact) < 0.002, sampled
    assert "1.2e-2" in markdown() or "1.2 \\times 10^{-2}" in markdown()
