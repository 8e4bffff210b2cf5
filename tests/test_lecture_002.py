"""Claims that lecture 002 corrected, checked against independent truths.

- the chance that a random caption is exactly right (about 1.2e-2), against a
  Monte Carlo run on the course's own strip generator;
- "only the n-gate's two GRU biases must stay apart", against torch.nn.GRU;
- the attention notation (e_ij = a(s_{i-1}, h_j), alpha_ij a softmax over j)
  and rho / sigma_max used for what they are.
"""

import json
import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnn_helpers.data import digits as digit_data

LECTURE = Path(__file__).resolve().parents[1] / "lectures" / "002_sequence_models.ipynb"


def lecture_text():
    cells = json.loads(LECTURE.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells)


def test_random_caption_chance_matches_a_monte_carlo_estimate():
    """P(random 1-3 word caption is right) = sum_k (1/3)(1/3)(1/10)^k, within 4 standard errors."""
    rng = np.random.default_rng(0)
    images = np.zeros((10, 8, 8))
    labels = np.arange(10)
    n = 60_000  # 4 standard errors = 1.8e-3, far below the old claim's gap (1.2e-2 vs 4e-3)
    _, captions = digit_data.make_digit_strips(images, labels, n, rng)
    truth = [digit_data.caption_text(c) for c in captions]
    lengths = rng.integers(1, 4, size=n)
    guesses = [" ".join(digit_data.DIGIT_WORDS[d] for d in rng.integers(0, 10, size=k)) for k in lengths]
    estimate = np.mean([g == t for g, t in zip(guesses, truth)])
    formula = sum((1 / 3) * (1 / 3) * 0.1**k for k in (1, 2, 3))
    stderr = np.sqrt(formula * (1 - formula) / n)
    assert abs(estimate - formula) < 4 * stderr, (estimate, formula)
    assert "4e-3" not in lecture_text()


def test_only_the_gru_n_gate_biases_cannot_be_merged():
    """Merging torch's GRU biases keeps the outputs for r and z (1e-12) and changes them for n (> 1e-6)."""
    torch.manual_seed(0)
    H = 6
    gru = nn.GRU(4, H, batch_first=True).double()
    x = torch.randn(3, 5, 4, dtype=torch.float64)
    gaps = {}
    for name, block in (("rz", slice(0, 2 * H)), ("n", slice(2 * H, 3 * H))):
        merged = nn.GRU(4, H, batch_first=True).double()
        with torch.no_grad():
            merged.load_state_dict(gru.state_dict())
            merged.bias_ih_l0[block] += merged.bias_hh_l0[block]
            merged.bias_hh_l0[block] = 0.0
            gaps[name] = (gru(x)[0] - merged(x)[0]).abs().max().item()
    assert gaps["rz"] < 1e-12 and gaps["n"] > 1e-6, gaps
    assert "only the $n$-gate's two biases must stay apart" in lecture_text()


def test_lecture_uses_the_course_attention_indices_and_names_rho_and_sigma_max():
    """e_ij = a(s_{i-1}, h_j), no alpha_ij = f(...); rho is never called the largest singular value."""
    text = lecture_text()
    assert "e_{ij} = a(s_{i-1}, h_j)" in text
    assert "\\alpha_{ij} = f(" not in text
    assert not re.search(r"\\rho\$? (is )?the largest singular value", text)
    assert "\\sigma_{\\max}" in text
    assert "Luong et al. 2015" in text and "Vaswani et al. 2017" in text
