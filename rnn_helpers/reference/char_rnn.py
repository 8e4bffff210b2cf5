"""A character-level language model assembled from the reference layers:
its loss with every gradient, sampling text from it, its training loop with
truncated BPTT, and the bigram baseline it must beat.

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
from rnn_helpers.reference.optim import adam_step, clip_gradients
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


def _check_stream(func, name, idx, min_len):
    """A 1-D integer array of at least min_len indices, or ValueError naming it."""
    idx = np.asarray(idx)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"{func}: {name} must be a 1-D integer array, got dtype {idx.dtype}, shape {idx.shape}"
        )
    if len(idx) < min_len:
        raise ValueError(f"{func}: {name} has {len(idx)} indices, expected at least {min_len}")
    return idx


def bigram_baseline(train_idx, val_idx, V, alpha=1.0):
    """Validation cross-entropy of an add-alpha smoothed bigram model counted on the training text.

    Inputs:
    - train_idx: (L,) integer indices in [0, V), the training text as one stream
    - val_idx: (M,) integer indices in [0, V), M >= 2, the validation text
    - V: int, the vocabulary size
    - alpha: number > 0 added to every count (Laplace smoothing for alpha = 1)

    The model: count[a, b] = alpha + the number of t with train_idx[t] = a and
    train_idx[t + 1] = b, a (V, V) table; P(b | a) = count[a, b] / sum_c count[a, c].

    Returns a float: the mean over the M - 1 validation pairs of
    -log P(val_idx[t + 1] | val_idx[t]), in nats (ln V for alpha -> infinity).
    """
    func = "bigram_baseline"
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"{func}: V must be a positive integer, got {V!r}")
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float, np.integer, np.floating))
        or not alpha > 0
    ):
        raise ValueError(
            f"{func}: alpha must be a number > 0 (0 would give unseen pairs probability 0), got {alpha!r}"
        )
    train_idx = _check_stream(func, "train_idx", train_idx, 0)
    val_idx = _check_stream(func, "val_idx", val_idx, 2)
    check_indices(func, "train_idx", train_idx, V)
    check_indices(func, "val_idx", val_idx, V)
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (train_idx[:-1], train_idx[1:]), 1.0)  # every pair, repeats included
    log_p = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))  # (V, V), rows sum to 1
    return float(-log_p[val_idx[:-1], val_idx[1:]].mean())


def train_char_rnn(params, data, batch_size, seq_len, steps, lr=1e-2, max_norm=1.0):
    """Train the character RNN with truncated BPTT, global-norm clipping and Adam.

    Inputs:
    - params: dict of the model's parameters, as in char_rnn_loss (not modified)
    - data: (L,) integer indices, the training text as one stream
    - batch_size: int N, the number of streams read side by side
    - seq_len: int T, the length of a chunk (the truncation length)
    - steps: int >= 0, the number of updates
    - lr: number, Adam's learning rate
    - max_norm: number, the clipping threshold

    The loop, exactly:

        L_row = len(data) // N                      # needs L_row >= T + 1
        streams = data[:N * L_row].reshape(N, L_row)  # row n: a contiguous stretch of the text
        h = zeros (N, H); p = 0; state = None
        each step:
            if p + T + 1 > L_row: p = 0; h = zeros   # text used up: start again from a zero state
            loss, grads, h = char_rnn_loss(params, streams[:, p:p+T], streams[:, p+1:p+T+1], h)
            grads, _ = clip_gradients(grads, max_norm)
            params, state = adam_step(params, grads, state, lr=lr)
            p += T

    The state h is carried from one chunk to the next (it is where the text
    continues) but the gradient is not: each chunk backpropagates only
    through its own T steps.

    Returns (params, losses): the trained parameters (a new dict) and a
    (steps,) float64 array of the training loss of each chunk, before its update.
    """
    func = "train_char_rnn"
    _check_params(func, params)
    data = _check_stream(func, "data", data, 2)
    for name, value in (("batch_size", batch_size), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{func}: {name} must be a positive integer, got {value!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{func}: steps must be a non-negative integer, got {steps!r}")
    N, T = int(batch_size), int(seq_len)
    L_row = len(data) // N
    if L_row < T + 1:
        raise ValueError(
            f"{func}: data has {len(data)} indices, {L_row} per stream for batch_size {N}; "
            f"a chunk needs seq_len + 1 = {T + 1}"
        )
    streams = data[: N * L_row].reshape(N, L_row)  # (N, L_row)
    H = params["Wh"].shape[0]
    zeros = np.zeros((N, H), dtype=params["Wh"].dtype)
    h, p, state, losses = zeros, 0, None, np.zeros(int(steps))
    for step in range(int(steps)):
        if p + T + 1 > L_row:
            p, h = 0, zeros  # back to the start of the text: nothing came before it
        loss, grads, h = char_rnn_loss(params, streams[:, p : p + T], streams[:, p + 1 : p + T + 1], h)
        grads, _ = clip_gradients(grads, max_norm)
        params, state = adam_step(params, grads, state, lr=lr)
        losses[step] = loss
        p += T
    return params, losses
