"""Vanilla RNN layers: one step, a whole sequence, bidirectional and stacked.

Dimensions: N batch, T time, D input features, H hidden units, L layers.
Row-vector convention: a = x @ Wx + h_prev @ Wh + b, so Wx is (D, H),
Wh is (H, H) and b is (H,). Every forward returns (out, cache); its backward
takes (dout, cache) and returns gradients in the order of the forward's inputs.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One time step of a tanh RNN.

    Inputs:
    - x: (N, D) inputs at this step
    - h_prev: (N, H) hidden state from the previous step
    - Wx: (D, H) input-to-hidden weights
    - Wh: (H, H) hidden-to-hidden weights
    - b: (H,) bias

    Returns (h_next, cache):
    - h_next: (N, H) tanh(x @ Wx + h_prev @ Wh + b)
    - cache: what rnn_step_backward needs
    """
    dtype, _ = check_arrays(
        "rnn_step_forward",
        {"x": ("N", "D"), "h_prev": ("N", "H"), "Wx": ("D", "H"), "Wh": ("H", "H"), "b": ("H",)},
        dict(x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b),
    )
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b).astype(dtype, copy=False)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_backward(dh_next, cache):
    """Backward pass of rnn_step_forward.

    Inputs:
    - dh_next: (N, H) gradient of the loss with respect to h_next
    - cache: from rnn_step_forward

    Returns (dx, dh_prev, dWx, dWh, db) with shapes (N, D), (N, H), (D, H), (H, H), (H,).
    """
    x, h_prev, Wx, Wh, h_next = cache
    check_arrays("rnn_step_backward", {"dh_next": h_next.shape}, dict(dh_next=dh_next))
    da = dh_next * (1.0 - h_next**2)  # backprop through tanh: d tanh(a) = 1 - tanh(a)^2
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """Run a tanh RNN over a whole sequence.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, H), Wh: (H, H), b: (H,) as in rnn_step_forward

    Returns (h, cache):
    - h: (N, T, H) the hidden state after every step
    - cache: what rnn_backward needs
    """
    dtype, s = check_arrays(
        "rnn_forward",
        {"x": ("N", "T", "D"), "h0": ("N", "H"), "Wx": ("D", "H"), "Wh": ("H", "H"), "b": ("H",)},
        dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b),
    )
    N, T, H = s["N"], s["T"], s["H"]
    # The input projection does not depend on h, so it is done for all steps at once;
    # only the recurrence itself has to loop over time.
    xw = x @ Wx + b  # (N, T, H)
    h = np.empty((N, T, H), dtype=dtype)
    h_prev = h0
    for t in range(T):
        h_prev = h[:, t] = np.tanh(xw[:, t] + h_prev @ Wh)
    return h, (x, h0, Wx, Wh, h)


def rnn_backward(dh, cache):
    """Backpropagation through time for rnn_forward.

    Inputs:
    - dh: (N, T, H) upstream gradient of every hidden state (from the layer above)
    - cache: from rnn_forward

    Returns (dx, dh0, dWx, dWh, db) with shapes (N, T, D), (N, H), (D, H), (H, H), (H,).
    """
    x, h0, Wx, Wh, h = cache
    check_arrays("rnn_backward", {"dh": h.shape}, dict(dh=dh))
    N, T, H = h.shape
    da = np.empty_like(h, dtype=np.result_type(h, dh))
    dh_prev = np.zeros((N, H), dtype=da.dtype)
    for t in reversed(range(T)):
        # h[:, t] feeds both the layer above (dh) and the next step (dh_prev).
        da[:, t] = (dh[:, t] + dh_prev) * (1.0 - h[:, t] ** 2)
        dh_prev = da[:, t] @ Wh.T
    h_before = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H) states fed into each step
    dx = da @ Wx.T
    dWx = np.einsum("ntd,nth->dh", x, da)
    dWh = np.einsum("ntk,nth->kh", h_before, da)
    db = da.sum(axis=(0, 1))
    return dx, dh_prev, dWx, dWh, db


def bidirectional_rnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    """A forward RNN and a backward RNN over the same sequence, states concatenated.

    Inputs:
    - x: (N, T, D) input sequence
    - h0_f, h0_b: (N, H) initial states of the forward and backward directions
    - Wx_f, Wx_b: (D, H); Wh_f, Wh_b: (H, H); b_f, b_b: (H,)

    Returns (h, cache):
    - h: (N, T, 2H); h[:, t, :H] is the forward state after reading x[:, :t+1],
      h[:, t, H:] the backward state after reading x[:, t:] right to left
      (the layout of torch.nn.RNN(bidirectional=True, batch_first=True))
    """
    check_arrays(
        "bidirectional_rnn_forward",
        {
            "x": ("N", "T", "D"),
            "h0_f": ("N", "H"),
            "h0_b": ("N", "H"),
            "Wx_f": ("D", "H"),
            "Wh_f": ("H", "H"),
            "b_f": ("H",),
            "Wx_b": ("D", "H"),
            "Wh_b": ("H", "H"),
            "b_b": ("H",),
        },
        dict(x=x, h0_f=h0_f, h0_b=h0_b, Wx_f=Wx_f, Wh_f=Wh_f, b_f=b_f, Wx_b=Wx_b, Wh_b=Wh_b, b_b=b_b),
    )
    h_f, cache_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    # The backward direction is an ordinary RNN over the time-reversed sequence.
    h_b_rev, cache_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b_rev[:, ::-1]], axis=2), (cache_f, cache_b)


def bidirectional_rnn_backward(dh, cache):
    """Backward pass of bidirectional_rnn_forward.

    Inputs:
    - dh: (N, T, 2H) upstream gradient of the concatenated states
    - cache: from bidirectional_rnn_forward

    Returns (dx, dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b) with shapes
    (N, T, D), (N, H), (N, H), (D, H), (H, H), (H,), (D, H), (H, H), (H,).
    """
    cache_f, cache_b = cache
    H = cache_f[3].shape[0]
    N, T = cache_f[0].shape[:2]
    check_arrays("bidirectional_rnn_backward", {"dh": (N, T, 2 * H)}, dict(dh=dh))
    dx_f, dh0_f, dWx_f, dWh_f, db_f = rnn_backward(dh[:, :, :H], cache_f)
    dx_b_rev, dh0_b, dWx_b, dWh_b, db_b = rnn_backward(dh[:, ::-1, H:], cache_b)
    return dx_f + dx_b_rev[:, ::-1], dh0_f, dh0_b, dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


def stacked_rnn_forward(x, h0, params):
    """A stack of L tanh RNN layers; layer l reads the hidden states of layer l-1.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (L, N, H) initial state of every layer
    - params: list of L tuples (Wx, Wh, b); Wx is (D, H) for the first layer
      and (H, H) above it

    Returns (h, cache): h (N, T, H) are the states of the top layer.
    """
    if len(params) != len(h0):
        raise ValueError(
            f"stacked_rnn_forward: params has {len(params)} layers but h0 has "
            f"{len(h0)}; give one (Wx, Wh, b) per layer and h0 of shape (L, N, H)"
        )
    caches, inp = [], x
    for layer, (Wx, Wh, b) in enumerate(params):
        inp, c = rnn_forward(inp, h0[layer], Wx, Wh, b)
        caches.append(c)
    return inp, caches


def stacked_rnn_backward(dh, cache):
    """Backward pass of stacked_rnn_forward.

    Inputs:
    - dh: (N, T, H) upstream gradient of the top layer's states
    - cache: from stacked_rnn_forward

    Returns (dx, dh0, grads): dx (N, T, D), dh0 (L, N, H) and grads, a list of
    L tuples (dWx, dWh, db).
    """
    grads, dh0 = [], []
    for c in reversed(cache):
        dh, dh0_l, dWx, dWh, db = rnn_backward(dh, c)
        grads.append((dWx, dWh, db))
        dh0.append(dh0_l)
    return dh, np.stack(dh0[::-1]), grads[::-1]
