"""Lecture 000's corrected claims, checked against independent truths.

Who scales the dot-product score (Vaswani et al.) and who does not (Luong et
al.), against torch in float64; the BPTT recursion with its direct loss term,
against autograd; and the first output position of a decoder, which reads
<s> whether or not it is teacher-forced.
"""

import json
from pathlib import Path

import numpy as np
import torch

from rnn_helpers import reference as ref
from rnn_helpers.nets import seq2seq

LECTURE = Path(__file__).resolve().parents[1] / "lectures" / "000_rnn_sequence_modeling.ipynb"


def markdown():
    cells = json.loads(LECTURE.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_scaled_dot_product_is_vaswanis_and_unscaled_is_luongs_and_the_lecture_says_so(rng):
    """dot_product_attention(scale=True) == torch SDPA; scale=False == softmax(q.k) (float64, 1e-12)."""
    N, T, d = 3, 5, 4
    q, K, V = rng.normal(size=(N, d)), rng.normal(size=(N, T, d)), rng.normal(size=(N, T, d))
    scaled, _ = ref.dot_product_attention(q, K, V, scale=True)
    torch_out = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q)[:, None], torch.tensor(K), torch.tensor(V)
    )[:, 0].numpy()
    assert np.max(np.abs(scaled - torch_out)) < 1e-12
    unscaled, w = ref.dot_product_attention(q, K, V, scale=False)
    expected_w = torch.softmax(torch.einsum("nd,ntd->nt", torch.tensor(q), torch.tensor(K)), dim=1).numpy()
    assert np.max(np.abs(w - expected_w)) < 1e-12
    assert np.max(np.abs(unscaled - (w[:, :, None] * V).sum(1))) < 1e-12
    text = markdown()
    for name in ("Luong", "Vaswani", "Bahdanau"):
        assert name in text, f"lecture 000 must attribute the attention scores to {name}"
    assert "unscaled" in text


def test_bptt_recursion_with_direct_loss_term_matches_autograd(rng):
    """dL/dh_{t-1} = dl_{t-1}/dh_{t-1} + (dL/dh_t * (1 - h_t^2)) W_h^T for a loss at every step (1e-12)."""
    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)
    direct = rng.normal(size=(N, T, H))  # dl_t/dh_t of a loss l_t = sum(h_t * direct_t) at every step
    states, h = [], torch.tensor(h0, requires_grad=True)
    for t in range(T):
        h = torch.tanh(torch.tensor(x[:, t]) @ torch.tensor(Wx) + h @ torch.tensor(Wh) + torch.tensor(b))
        h.retain_grad()
        states.append(h)
    sum((s * torch.tensor(direct[:, t])).sum() for t, s in enumerate(states)).backward()
    dh = direct[:, -1]
    for t in range(T - 1, 0, -1):  # the lecture's recursion, from the last step back
        h_t = states[t].detach().numpy()
        dh = direct[:, t - 1] + (dh * (1 - h_t**2)) @ Wh.T
        assert np.max(np.abs(dh - states[t - 1].grad.numpy())) < 1e-12
    direct_term = r"\frac{\partial \ell_{t-1}}{\partial h_{t-1}}"
    assert direct_term in markdown(), "lecture 000's recursion needs its direct loss term"


def test_first_decoder_position_reads_start_token_with_or_without_teacher_forcing():
    """position_errors at position 0 are identical for tf_ratio 1 and 0 (an untrained model, exact)."""
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(H=16)
    batch = seq2seq.encode_pairs(list(range(0, 1000, 37)))
    forced, _ = seq2seq.position_errors(model, batch, 1.0)
    free, _ = seq2seq.position_errors(model, batch, 0.0)
    assert forced[0] == free[0]
    assert not np.allclose(forced[1:], free[1:]), "later positions should differ, or the test shows nothing"
