"""Gradient clipping and parameter updates for numpy training loops.

Parameters and gradients are dicts name -> array with the same keys and
shapes (e.g. {"Wx": (D, H), "Wh": (H, H), "b": (H,)}). Every function returns
NEW dicts and arrays: the caller's parameters, gradients and optimiser state
are never modified, so a training step reads

    grads, norm = clip_gradients(grads, max_norm=5.0)
    params, state = adam_step(params, grads, state, lr=1e-3)
"""

import math

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def _check_grads(func, grads):
    if not isinstance(grads, dict):
        raise ValueError(f"{func}: grads must be a dict name -> array, got {type(grads).__name__}")
    check_arrays(func, {n: tuple(np.shape(g)) for n, g in grads.items()}, grads)


def _check_matching(func, params, grads):
    """params and grads: same keys, and each gradient shaped like its parameter."""
    if not isinstance(params, dict):
        raise ValueError(f"{func}: params must be a dict name -> array, got {type(params).__name__}")
    _check_grads(func, grads)
    if set(params) != set(grads):
        raise ValueError(
            f"{func}: params and grads must have the same keys; params has "
            f"{sorted(params)}, grads has {sorted(grads)}"
        )
    check_arrays(func, {n: tuple(np.shape(p)) for n, p in params.items()}, params)
    for name, p in params.items():
        if grads[name].shape != p.shape:
            raise ValueError(
                f"{func}: the gradient of {name} has shape {grads[name].shape}, "
                f"expected {p.shape}, the shape of {name}"
            )


def clip_gradients(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    Exploding gradients in an RNN show up as a huge norm of the gradient of
    all parameters together; shrinking every array by the same factor keeps
    the direction of the step and only limits its length. This is
    torch.nn.utils.clip_grad_norm_ (PyTorch 2.x):

        total_norm = sqrt(sum over arrays of sum(g ** 2))
        coef = min(max_norm / (total_norm + 1e-6), 1.0)
        clipped[name] = grads[name] * coef

    The 1e-6 guards against dividing by zero; a consequence (as in PyTorch)
    is that a norm within 1e-6 of max_norm from below is scaled by a factor a
    hair under 1. A NaN or infinite norm propagates into the result as in
    PyTorch (whose error_if_nonfinite is False by default).

    Inputs:
    - grads: dict name -> float array, any shapes
    - max_norm: positive number, the largest global norm allowed

    Returns (clipped, total_norm):
    - clipped: a new dict name -> array, same shapes and dtypes as grads
    - total_norm: float, the global norm BEFORE clipping (worth logging:
      spikes in it are how exploding gradients are noticed)
    """
    if (
        isinstance(max_norm, bool)
        or not isinstance(max_norm, (int, float, np.integer, np.floating))
        or not max_norm > 0
    ):
        raise ValueError(f"clip_gradients: max_norm must be a positive number, got {max_norm!r}")
    _check_grads("clip_gradients", grads)
    # Sum of squares in float64 whatever the gradients' dtype, so that many
    # float32 arrays do not lose the small ones in rounding.
    total_norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))
    coef = min(float(max_norm) / (total_norm + 1e-6), 1.0)
    clipped = {name: (g * coef).astype(g.dtype, copy=False) for name, g in grads.items()}
    return clipped, total_norm


def sgd_step(params, grads, lr=1e-2):
    """One step of plain gradient descent: p <- p - lr * dp.

    Inputs:
    - params: dict name -> float array
    - grads: dict with the same keys and shapes
    - lr: learning rate

    Returns a new dict name -> array (same shapes and dtypes as params).
    """
    _check_matching("sgd_step", params, grads)
    return {name: (p - lr * grads[name]).astype(p.dtype, copy=False) for name, p in params.items()}


def adam_step(params, grads, state=None, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """One step of Adam (Kingma and Ba), as torch.optim.Adam with its defaults.

    Adam keeps, per parameter element, running averages of the gradient (m)
    and of its square (v) and steps by m / sqrt(v): each element gets its own
    step size, so parameters with small, steady gradients still move. The
    averages start at zero, which biases them towards zero in early steps;
    dividing by 1 - beta ** t undoes that.

        t <- t + 1
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g ** 2
        p <- p - lr / (1 - beta1 ** t) * m / (sqrt(v) / sqrt(1 - beta2 ** t) + eps)

    Inputs:
    - params: dict name -> float array, any shapes
    - grads: dict with the same keys and shapes as params
    - state: None before the first step, then the state this function returned
    - lr: learning rate; betas: (beta1, beta2); eps: added to the denominator

    Returns (new_params, new_state):
    - new_params: dict name -> array, same shapes and dtypes as params
    - new_state: {"step": t, "m": {name: array}, "v": {name: array}}, with m
      and v shaped like the parameters; pass it to the next call
    """
    _check_matching("adam_step", params, grads)
    beta1, beta2 = betas
    if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
        raise ValueError(f"adam_step: betas must lie in [0, 1), got {betas!r}")
    if state is None:
        state = {
            "step": 0,
            "m": {n: np.zeros_like(p) for n, p in params.items()},
            "v": {n: np.zeros_like(p) for n, p in params.items()},
        }
    elif set(state.get("m", {})) != set(params) or set(state.get("v", {})) != set(params):
        raise ValueError(
            "adam_step: state does not belong to these params (its keys differ); "
            "pass state=None on the first step and the returned state afterwards"
        )
    t = state["step"] + 1
    bias1 = 1.0 - beta1**t
    bias2_sqrt = math.sqrt(1.0 - beta2**t)
    new_params, m_new, v_new = {}, {}, {}
    for name, p in params.items():
        g = grads[name]
        m = beta1 * state["m"][name] + (1.0 - beta1) * g
        v = beta2 * state["v"][name] + (1.0 - beta2) * g * g
        new_params[name] = (p - (lr / bias1) * m / (np.sqrt(v) / bias2_sqrt + eps)).astype(
            p.dtype, copy=False
        )
        m_new[name], v_new[name] = m.astype(p.dtype, copy=False), v.astype(p.dtype, copy=False)
    return new_params, {"step": t, "m": m_new, "v": v_new}
