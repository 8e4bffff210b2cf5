"""A character-level language model assembled from the reference layers:
its loss with every gradient, and sampling text from it.

Dimensions: N batch, T time, V vocabulary (characters), D embedding size,
H hidden units. The model reads character indices and predicts the next one:

    x = W_embed[idx_in]                          # (N, T, D)
    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)      # (N, T, H), starting from h0
    scores = h @ W_out + b_out                   # (N, T, V)
    loss = mean cross-entropy of scores against idx_out over the kept positions

`params` is a dict with exactly the keys of PARAM_SHAPES; the gradients come
back in a dict with the same keys, ready for clip_gradients and adam_step.
"""

import math

import numpy as np

from rnn_helpers.reference._checks import check_arrays, check_mask
from rnn_helpers.reference.affine import temporal_affine_backward, temporal_affine_forward
from rnn_helpers.reference.embedding import check_indices, embedding_backward, embedding_forward
from rnn_helpers.reference.losses import temporal_softmax_loss
from rnn_helpers.reference.rnn import rnn_backward, rnn_forward, rnn_step_forward

PARAM_SHAPES = {
    "W_embed": ("V", "D"),
    "Wx": ("D", "H"),
    "Wh": ("H", "H"),
    "b": ("H",),
    "W_out": ("H", "V"),
    "b_out": ("V",),
}

# Below this temperature sample_chars takes the most likely character instead
# of dividing by (almost) zero.
GREEDY_BELOW = 1e-8


def _check_params(func, params):
    """Raise ValueError unless params is a dict of arrays with exactly the keys of PARAM_SHAPES."""
    expected = ", ".join(PARAM_SHAPES)
    if not isinstance(params, dict):
        raise ValueError(f"{func}: params must be a dict with keys {expected}, got {type(params).__name__}")
    missing = [k for k in PARAM_SHAPES if k not in params]
    if missing:
        lacking = ", ".join(map(repr, missing))
        raise ValueError(f"{func}: params lacks {lacking}; expected the keys {expected}")
    extra = [k for k in params if k not in PARAM_SHAPES]
    if extra:
        raise ValueError(
            f"{func}: params has unexpected key {', '.join(map(repr, extra))}; expected exactly the keys "
            f"{expected} (a misspelt name would otherwise be silently ignored)"
        )
    for name, value in params.items():
        # check_arrays skips None (it means "optional argument"); no parameter is optional.
        if value is None:
            shape = PARAM_SHAPES[name]
            raise ValueError(f"{func}: params[{name!r}] is None; expected an array of shape {shape}")


def char_rnn_loss(params, idx_in, idx_out, h0, mask=None):
    """Loss of the character RNN on one chunk of text, its gradients, and the last state.

    Inputs:
    - params: dict with W_embed (V, D), Wx (D, H), Wh (H, H), b (H,),
      W_out (H, V), b_out (V,)
    - idx_in: (N, T) integer input characters, each in [0, V); T >= 1
    - idx_out: (N, T) integer targets (usually idx_in shifted by one), in
      [0, V) wherever mask is true; padded positions may hold anything
    - h0: (N, H) hidden state before the first step (zeros at the start of a
      text, the previous chunk's h_last in truncated BPTT)
    - mask: (N, T) bool, True = this position counts in the loss; None keeps all

    Returns (loss, grads, h_last):
    - loss: scalar, the mean cross-entropy over the kept positions, as
      temporal_softmax_loss (0 when the mask keeps nothing)
    - grads: dict with the keys of params, each gradient shaped like its parameter
    - h_last: (N, H) the hidden state after step T-1. The mask does not stop
      the recurrence (padding is still read), so h_last is the state after the
      whole chunk whatever the mask. Pass it as h0 of the next chunk: that
      continues the sequence forward, while the gradient stops at the chunk
      boundary (truncated BPTT; the gradient of h0 is not returned).

    float32 parameters, h0 included, give float32 results; otherwise float64.
    Inputs are never modified.
    """
    func = "char_rnn_loss"
    _check_params(func, params)
    dtype, s = check_arrays(
        func,
        {**PARAM_SHAPES, "idx_in": ("N", "T"), "idx_out": ("N", "T"), "h0": ("N", "H")},
        {**params, "idx_in": idx_in, "idx_out": idx_out, "h0": h0},
        integer=("idx_in", "idx_out"),
    )
    N, T, V = s["N"], s["T"], s["V"]
    if T < 1:
        raise ValueError(f"{func}: idx_in has shape {idx_in.shape}, expected at least one time step (T >= 1)")
    mask = check_mask(func, mask, (N, T))
    keep = np.ones((N, T), dtype=bool) if mask is None else mask
    # Checked here so that the message names our arguments, not the inner layers'.
    check_indices(func, "idx_in", idx_in, V)
    check_indices(func, "idx_out", np.where(keep, idx_out, 0), V)

    p = params
    x, cache_embed = embedding_forward(idx_in, p["W_embed"])  # (N, T, D)
    h, cache_rnn = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])  # (N, T, H)
    scores, cache_affine = temporal_affine_forward(h, p["W_out"], p["b_out"])  # (N, T, V)
    loss, dscores = temporal_softmax_loss(scores, idx_out, mask)

    # Backward in the reverse order of the forward; each layer hands the
    # gradient of its input to the layer below.
    dh, dW_out, db_out = temporal_affine_backward(dscores, cache_affine)
    dx, _dh0, dWx, dWh, db = rnn_backward(dh, cache_rnn)
    dW_embed = embedding_backward(dx, cache_embed)

    grads = {"W_embed": dW_embed, "Wx": dWx, "Wh": dWh, "b": db, "W_out": dW_out, "b_out": db_out}
    grads = {name: g.astype(dtype, copy=False) for name, g in grads.items()}
    h_last = h[:, -1].astype(dtype, copy=True)  # a copy, so that it does not keep all of h alive
    return dtype.type(loss), grads, h_last


def sample_chars(params, start_idx, n, temperature=1.0, rng=None):
    """Sample n characters from the model, one at a time, each fed back as the next input.

    Inputs:
    - params: dict with W_embed (V, D), Wx (D, H), Wh (H, H), b (H,),
      W_out (H, V), b_out (V,), as in char_rnn_loss
    - start_idx: int in [0, V), the first input character (not part of the output)
    - n: int >= 0, how many characters to sample
    - temperature: number >= 0. The scores (V,) are divided by it before the
      softmax: below 1 sharpens the distribution, above 1 flattens it.
      temperature < 1e-8 (0 included) is greedy: the argmax of the scores,
      the smallest index on a tie, and rng is not used at all.
    - rng: a numpy.random.Generator; None makes a fresh np.random.default_rng()

    Returns (n,) int64 array of sampled indices, each in [0, V).

    The state starts at h = 0 (H,) and start_idx is fed first. At each step:

        h = tanh(W_embed[idx] @ Wx + h @ Wh + b); scores = h @ W_out + b_out
        probs = softmax(scores / temperature)    # in float64
        idx = rng.choice(V, p=probs)             # exactly one draw per step

    so the same seed and the same parameters give the same characters.
    Inputs (rng aside, whose state advances) are never modified.
    """
    func = "sample_chars"
    _check_params(func, params)
    _, s = check_arrays(func, PARAM_SHAPES, params)
    V, H = s["V"], s["H"]
    if isinstance(start_idx, bool) or not isinstance(start_idx, (int, np.integer)) or not 0 <= start_idx < V:
        raise ValueError(f"{func}: start_idx must be an integer in [0, V) = [0, {V}), got {start_idx!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{func}: n must be a non-negative integer, got {n!r}")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float, np.integer, np.floating))
        or not (0 <= temperature < math.inf)
    ):
        raise ValueError(
            f"{func}: temperature must be a finite number >= 0 (0 = greedy), got {temperature!r}"
        )
    if rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{func}: rng must be a numpy.random.Generator, got {type(rng).__name__}; "
            f"make one with np.random.default_rng(seed)"
        )

    p = params
    greedy = temperature < GREEDY_BELOW
    out = np.empty(int(n), dtype=np.int64)
    h = np.zeros((1, H), dtype=p["Wh"].dtype)  # a batch of one sequence
    idx = int(start_idx)
    for t in range(int(n)):
        h, _ = rnn_step_forward(p["W_embed"][[idx]], h, p["Wx"], p["Wh"], p["b"])  # (1, H)
        scores = (h[0] @ p["W_out"] + p["b_out"]).astype(np.float64)  # (V,)
        if greedy:
            idx = int(np.argmax(scores))
        else:
            z = scores / temperature
            e = np.exp(z - z.max())  # every exponent <= 0: no overflow
            idx = int(rng.choice(V, p=e / e.sum()))
        out[t] = idx
    return out
