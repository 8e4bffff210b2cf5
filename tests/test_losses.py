"""temporal_softmax_loss against torch.nn.functional.cross_entropy and centred differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from oracle import centred_difference, max_abs, tensors
from strictness import strict

from rnn_helpers.reference.losses import temporal_softmax_loss


def torch_loss(scores, y, mask):
    """Loss and gradient from torch: cross_entropy(mean) over the kept positions."""
    (st,) = tensors(scores)
    keep = torch.ones(y.shape, dtype=torch.bool) if mask is None else torch.tensor(mask)
    loss = F.cross_entropy(st[keep], torch.tensor(y)[keep], reduction="mean")
    loss.backward()
    return loss.item(), st.grad.numpy()


def rel_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300))


def case(rng, N, T, V, masked):
    scores = rng.normal(scale=2.0, size=(N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = None
    if masked:
        mask = rng.random((N, T)) < 0.6
        mask[0, 0] = True  # at least one kept position
    return scores, y, mask


@pytest.mark.parametrize(
    "N,T,V,masked", [(3, 4, 5, False), (3, 4, 5, True), (1, 1, 1, False), (1, 1, 4, True), (4, 6, 2, True)]
)
def test_loss_matches_torch_cross_entropy_on_kept_positions(rng, N, T, V, masked):
    scores, y, mask = case(rng, N, T, V, masked)
    loss, dscores = temporal_softmax_loss(scores, y, mask)
    loss_t, dscores_t = torch_loss(scores, y, mask)
    assert abs(loss - loss_t) < 1e-10
    assert max_abs(dscores, dscores_t) < 1e-10


def test_gradient_matches_centred_differences(rng):
    scores, y, mask = case(rng, 2, 3, 4, masked=True)
    _, dscores = temporal_softmax_loss(scores, y, mask)
    # The loss is a scalar: an upstream gradient of 1.0.
    numeric = centred_difference(lambda s: temporal_softmax_loss(s, y, mask)[0], scores.copy(), 1.0, eps=1e-5)
    assert rel_error(dscores, numeric) < 1e-7


def test_mask_of_ones_equals_no_mask(rng):
    scores, y, _ = case(rng, 2, 3, 4, masked=False)
    a = temporal_softmax_loss(scores, y)
    b = temporal_softmax_loss(scores, y, np.ones((2, 3), dtype=bool))
    assert abs(a[0] - b[0]) < 1e-15 and max_abs(a[1], b[1]) < 1e-15


def test_masked_positions_are_ignored_labels_included(rng):
    scores, y, mask = case(rng, 3, 4, 5, masked=True)
    assert not mask.all()  # else nothing below is about masked positions
    loss, dscores = temporal_softmax_loss(scores, y, mask)
    y_pad = np.where(mask, y, -1)  # padding labels are never read
    scores_pad = np.where(mask[:, :, None], scores, 1e3)
    loss_pad, dscores_pad = temporal_softmax_loss(scores_pad, y_pad, mask)
    assert abs(loss - loss_pad) < 1e-12 and max_abs(dscores, dscores_pad) < 1e-12
    assert np.all(dscores[~mask] == 0.0)


def test_empty_mask_gives_zero_loss_and_gradient_without_warnings(rng):
    scores, y, _ = case(rng, 2, 3, 4, masked=False)
    with strict():
        loss, dscores = temporal_softmax_loss(scores, y, np.zeros((2, 3), dtype=bool))
    assert loss == 0.0 and np.all(dscores == 0.0) and dscores.shape == (2, 3, 4)


def test_huge_scores_are_exact_and_silent():
    scores = np.array([[[1e3, -1e3, 0.0], [-1e3, 1e3, 1e3]]])
    y = np.array([[0, 0]])
    with strict():
        loss, dscores = temporal_softmax_loss(scores, y)
    loss_t, dscores_t = torch_loss(scores, y, None)
    assert abs(loss - loss_t) < 1e-10 and max_abs(dscores, dscores_t) < 1e-12
    # by hand: position 0 costs 0, position 1 costs 2000 + log 2
    assert abs(loss - (2000 + np.log(2)) / 2) < 1e-9


def test_float32_in_float32_out_and_inputs_unchanged(rng):
    scores, y, mask = case(rng, 2, 3, 4, masked=True)
    s32 = scores.astype(np.float32)
    copies = [s32.copy(), y.copy(), mask.copy()]
    loss, dscores = temporal_softmax_loss(s32, y, mask)
    assert np.asarray(loss).dtype == np.float32 and dscores.dtype == np.float32
    loss_t, dscores_t = torch_loss(s32.astype(np.float64), y, mask)
    assert abs(loss - loss_t) < 1e-5 and max_abs(dscores, dscores_t) < 1e-6
    assert all(np.array_equal(a, b) for a, b in zip([s32, y, mask], copies))


def test_errors_name_the_argument_and_shapes():
    scores = np.zeros((2, 3, 4))
    y = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(ValueError, match=r"temporal_softmax_loss: y must hold integers, got dtype float64"):
        temporal_softmax_loss(scores, y.astype(float))
    with pytest.raises(
        ValueError,
        match=r"temporal_softmax_loss: y has shape \(2, 4\), "
        r"expected \(N, T\) = \(2, 3\)",
    ):
        temporal_softmax_loss(scores, np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(
        ValueError, match=r"temporal_softmax_loss: y\[1, 2\] = 4 is outside \[0, V\) = \[0, 4\)"
    ):
        temporal_softmax_loss(scores, np.array([[0, 1, 2], [3, 0, 4]]))
    with pytest.raises(
        ValueError, match=r"temporal_softmax_loss: mask has shape \(3, 2\), expected \(2, 3\)"
    ):
        temporal_softmax_loss(scores, y, np.ones((3, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"temporal_softmax_loss: mask has dtype float64, expected bool"):
        temporal_softmax_loss(scores, y, np.ones((2, 3)))
    with pytest.raises(
        ValueError,
        match=r"temporal_softmax_loss: scores has shape \(2, 3\), "
        r"expected 3 dimensions \(N, T, V\)",
    ):
        temporal_softmax_loss(np.zeros((2, 3)), y)
