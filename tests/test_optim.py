"""Gradient clipping and optimiser steps, checked against torch.nn.utils and torch.optim."""

import numpy as np
import pytest
import torch

from rnn_helpers.reference.optim import adam_step, clip_gradients, sgd_step

TOL = 1e-12  # float64 on both sides, same formula: only rounding differs


def grad_dict(rng, scale=1.0):
    return {
        "Wx": scale * rng.standard_normal((4, 6)),
        "Wh": scale * rng.standard_normal((6, 6)),
        "b": scale * rng.standard_normal(6),
    }


def torch_clip(grads, max_norm):
    """clip_grad_norm_ on parameters whose .grad are copies of grads."""
    params = []
    for g in grads.values():
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g, dtype=torch.float64)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {n: p.grad.numpy() for n, p in zip(grads, params)}, float(total)


def max_abs_dict(a, b):
    assert a.keys() == b.keys()
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
def test_clip_gradients_matches_torch_clip_grad_norm(rng, max_norm):
    grads = grad_dict(rng, scale=2.0)  # global norm about 14: clipped for 0.5 and 3, not for 1e3
    clipped, total = clip_gradients(grads, max_norm)
    clipped_t, total_t = torch_clip(grads, max_norm)
    assert abs(total - total_t) < TOL
    assert max_abs_dict(clipped, clipped_t) < TOL


def test_clip_gradients_rescales_to_max_norm(rng):
    clipped, total = clip_gradients(grad_dict(rng), 0.5)
    norm_after = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
    assert total > 0.5
    assert abs(norm_after - 0.5) < 1e-6  # the 1e-6 in the denominator shortens it a hair


def test_clip_gradients_never_modifies_its_inputs(rng):
    grads = grad_dict(rng)
    before = {k: v.copy() for k, v in grads.items()}
    clipped, _ = clip_gradients(grads, 0.1)
    assert clipped is not grads
    for k in grads:
        assert grads[k].tobytes() == before[k].tobytes()
        assert not np.shares_memory(clipped[k], grads[k])


def test_clip_gradients_leaves_gradients_under_the_threshold_unchanged(rng):
    grads = grad_dict(rng)
    clipped, total = clip_gradients(grads, 2 * np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    for k in grads:
        assert clipped[k].tobytes() == grads[k].tobytes()


def test_clip_gradients_just_under_max_norm_scales_like_torch(rng):
    # A norm within 1e-6 below max_norm is still scaled by max_norm / (norm + 1e-6) in torch.
    grads = grad_dict(rng)
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    clipped, _ = clip_gradients(grads, norm + 5e-7)
    clipped_t, _ = torch_clip(grads, norm + 5e-7)
    assert max_abs_dict(clipped, clipped_t) < TOL


def test_clip_gradients_keeps_float32(rng):
    grads = {k: v.astype(np.float32) for k, v in grad_dict(rng).items()}
    clipped, total = clip_gradients(grads, 1.0)
    assert all(g.dtype == np.float32 for g in clipped.values())
    assert isinstance(total, float)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "5", None, True])
def test_clip_gradients_rejects_a_max_norm_that_is_not_positive(rng, bad):
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        clip_gradients(grad_dict(rng), bad)


def test_clip_gradients_rejects_lists_and_integer_arrays():
    with pytest.raises(ValueError, match="numpy array"):
        clip_gradients({"W": [1.0, 2.0]}, 1.0)
    with pytest.raises(ValueError, match="int"):
        clip_gradients({"W": np.arange(3)}, 1.0)


# --- optimiser steps ---------------------------------------------------------


def torch_steps(make_optimizer, params, grad_seq):
    """Run a torch optimiser over a sequence of gradient dicts; returns the final params."""
    tp = {n: torch.tensor(p, dtype=torch.float64, requires_grad=True) for n, p in params.items()}
    opt = make_optimizer(list(tp.values()))
    for grads in grad_seq:
        for n, t in tp.items():
            t.grad = torch.tensor(grads[n], dtype=torch.float64)
        opt.step()
    return {n: t.detach().numpy() for n, t in tp.items()}


@pytest.mark.parametrize("lr, betas, eps", [(1e-3, (0.9, 0.999), 1e-8), (0.1, (0.5, 0.9), 1e-3)])
def test_adam_step_matches_torch_adam_over_several_steps(rng, lr, betas, eps):
    params = grad_dict(rng)
    grad_seq = [grad_dict(rng) for _ in range(5)]
    p, state = params, None
    for g in grad_seq:
        p, state = adam_step(p, g, state, lr=lr, betas=betas, eps=eps)
    expected = torch_steps(lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=eps), params, grad_seq)
    assert state["step"] == 5
    assert max_abs_dict(p, expected) < TOL


def test_adam_step_never_modifies_params_grads_or_state(rng):
    params, grads = grad_dict(rng), grad_dict(rng)
    _, state = adam_step(params, grads, None)
    copies = [{k: v.copy() for k, v in d.items()} for d in (params, grads, state["m"], state["v"])]
    new_params, new_state = adam_step(params, grads, state)
    for d, c in zip((params, grads, state["m"], state["v"]), copies):
        assert all(d[k].tobytes() == c[k].tobytes() for k in d)
    assert state["step"] == 1 and new_state["step"] == 2
    assert all(new_params[k].shape == params[k].shape for k in params)


def test_adam_step_keeps_float32(rng):
    params = {k: v.astype(np.float32) for k, v in grad_dict(rng).items()}
    grads = {k: v.astype(np.float32) for k, v in grad_dict(rng).items()}
    p, state = adam_step(params, grads)
    assert all(v.dtype == np.float32 for v in p.values())
    assert all(v.dtype == np.float32 for v in state["m"].values())


def test_sgd_step_matches_torch_sgd(rng):
    params, grads = grad_dict(rng), grad_dict(rng)
    expected = torch_steps(lambda ps: torch.optim.SGD(ps, lr=0.3), params, [grads])
    assert max_abs_dict(sgd_step(params, grads, lr=0.3), expected) < TOL


def test_optimiser_steps_reject_mismatched_keys_and_shapes(rng):
    params, grads = grad_dict(rng), grad_dict(rng)
    with pytest.raises(ValueError, match="same keys"):
        sgd_step(params, {k: v for k, v in grads.items() if k != "b"})
    with pytest.raises(ValueError, match=r"gradient of Wh has shape \(6, 4\), expected \(6, 6\)"):
        adam_step(params, {**grads, "Wh": grads["Wh"][:, :4]})
    with pytest.raises(ValueError, match="state does not belong"):
        adam_step(params, grads, {"step": 1, "m": {}, "v": {}})
