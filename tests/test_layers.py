"""Embedding and temporal affine layers against torch float64 with autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from oracle import autograd, max_abs, tensors

from rnn_helpers.reference.affine import temporal_affine_backward, temporal_affine_forward
from rnn_helpers.reference.embedding import embedding_backward, embedding_forward


@pytest.mark.parametrize("N,T,V,D", [(2, 5, 7, 3), (1, 1, 1, 1), (3, 4, 2, 6)])
def test_embedding_matches_torch_forward_and_autograd(rng, N, T, V, D):
    idx = rng.integers(0, V, size=(N, T))
    W = rng.normal(size=(V, D))
    dout = rng.normal(size=(N, T, D))
    out, cache = embedding_forward(idx, W)
    (Wt,) = tensors(W)
    out_t = F.embedding(torch.tensor(idx), Wt)
    (dW_t,) = autograd([(out_t, dout)], [Wt])
    assert max_abs(out, out_t.detach().numpy()) < 1e-10
    assert max_abs(embedding_backward(dout, cache), dW_t) < 1e-9


def test_embedding_backward_accumulates_repeated_indices():
    # Every token is 1 here, so its row must receive the sum of all N*T upstream
    # vectors; an assignment dW[idx] += dout would keep only one of them.
    idx = np.ones((2, 3), dtype=np.int64)
    W = np.zeros((4, 2))
    dout = np.arange(12.0).reshape(2, 3, 2)
    dW = embedding_backward(dout, embedding_forward(idx, W)[1])
    (Wt,) = tensors(W)
    (expected,) = autograd([(F.embedding(torch.tensor(idx), Wt), dout)], [Wt])
    assert max_abs(dW, expected) < 1e-12
    assert max_abs(dW[1], dout.reshape(-1, 2).sum(axis=0)) < 1e-12


def test_embedding_keeps_float32_and_accepts_int32_indices(rng):
    idx = rng.integers(0, 5, size=(2, 3)).astype(np.int32)
    W = rng.normal(size=(5, 4)).astype(np.float32)
    out, cache = embedding_forward(idx, W)
    dW = embedding_backward(np.ones((2, 3, 4), dtype=np.float32), cache)
    assert out.dtype == np.float32 and dW.dtype == np.float32
    assert max_abs(out, W[idx.astype(np.int64)]) == 0.0


def test_embedding_output_does_not_alias_the_table(rng):
    idx = rng.integers(0, 5, size=(2, 3))
    W = rng.normal(size=(5, 4))
    idx0, W0 = idx.copy(), W.copy()
    out, cache = embedding_forward(idx, W)
    out[...] = 99.0
    embedding_backward(np.ones((2, 3, 4)), cache)
    assert np.array_equal(W, W0) and np.array_equal(idx, idx0)


@pytest.mark.parametrize("N,T,H,V", [(2, 5, 4, 7), (1, 1, 1, 1), (3, 2, 6, 3)])
def test_temporal_affine_matches_torch_autograd(rng, N, T, H, V):
    h, W, b = rng.normal(size=(N, T, H)), rng.normal(size=(H, V)), rng.normal(size=V)
    dscores = rng.normal(size=(N, T, V))
    h0, W0, b0, d0 = h.copy(), W.copy(), b.copy(), dscores.copy()
    scores, cache = temporal_affine_forward(h, W, b)
    ht, Wt, bt = tensors(h, W, b)
    scores_t = ht @ Wt + bt
    expected = autograd([(scores_t, dscores)], [ht, Wt, bt])
    assert max_abs(scores, scores_t.detach().numpy()) < 1e-10
    for got, exp in zip(temporal_affine_backward(dscores, cache), expected):
        assert max_abs(got, exp) < 1e-9
    assert all(np.array_equal(a, a0) for a, a0 in [(h, h0), (W, W0), (b, b0), (dscores, d0)])


def test_temporal_affine_keeps_float32(rng):
    h = rng.normal(size=(2, 3, 4)).astype(np.float32)
    W = rng.normal(size=(4, 5)).astype(np.float32)
    b = rng.normal(size=5).astype(np.float32)
    scores, cache = temporal_affine_forward(h, W, b)
    grads = temporal_affine_backward(np.ones((2, 3, 5), dtype=np.float32), cache)
    assert scores.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)


def test_embedding_errors_name_the_argument_and_value():
    W = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"embedding_forward: idx must hold integers, got dtype float64"):
        embedding_forward(np.zeros((2, 3)), W)
    with pytest.raises(
        ValueError, match=r"embedding_forward: idx\[1, 2\] = 5 is outside \[0, V\) = \[0, 5\)"
    ):
        embedding_forward(np.array([[0, 1, 2], [3, 4, 5]]), W)
    with pytest.raises(ValueError, match=r"embedding_forward: idx\[0, 0\] = -1 is outside"):
        embedding_forward(np.array([[-1, 1]]), W)
    with pytest.raises(
        ValueError, match=r"embedding_forward: idx has shape \(3,\), expected 2 dimensions \(N, T\)"
    ):
        embedding_forward(np.array([0, 1, 2]), W)
    with pytest.raises(
        ValueError, match=r"embedding_forward: W has shape \(5,\), expected 2 dimensions \(V, D\)"
    ):
        embedding_forward(np.array([[0]]), np.zeros(5))
    cache = embedding_forward(np.array([[0, 1]]), W)[1]
    with pytest.raises(
        ValueError, match=r"embedding_backward: dout has shape \(1, 2, 4\), expected .*\(1, 2, 3\)"
    ):
        embedding_backward(np.zeros((1, 2, 4)), cache)


def test_affine_errors_name_the_argument_and_shapes():
    h = np.zeros((2, 3, 4))
    with pytest.raises(
        ValueError,
        match=r"temporal_affine_forward: W has shape \(5, 6\), "
        r"expected \(H, V\) = \(4, 6\) \(H=4 from h\)",
    ):
        temporal_affine_forward(h, np.zeros((5, 6)), np.zeros(6))
    with pytest.raises(
        ValueError,
        match=r"temporal_affine_forward: b has shape \(7,\), "
        r"expected \(V,\) = \(6,\) \(V=6 from W\)",
    ):
        temporal_affine_forward(h, np.zeros((4, 6)), np.zeros(7))
    cache = temporal_affine_forward(h, np.zeros((4, 6)), np.zeros(6))[1]
    with pytest.raises(
        ValueError,
        match=r"temporal_affine_backward: dscores has shape \(2, 3, 5\), "
        r"expected .*\(2, 3, 6\)",
    ):
        temporal_affine_backward(np.zeros((2, 3, 5)), cache)
