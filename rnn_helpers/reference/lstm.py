"""LSTM layers: one step, a whole sequence and a stack of layers.

Dimensions: N batch, T time, D input features, H hidden units, L layers.
Row-vector convention: a = x @ Wx + h_prev @ Wh + b, so Wx is (D, 4H),
Wh is (H, 4H) and b is (4H,). The four gate blocks are stacked in PyTorch's
order [i, f, g, o] (input, forget, candidate, output), so the weights copy
straight into torch.nn.LSTM as weight_ih = Wx.T, weight_hh = Wh.T,
bias_ih = b, bias_hh = 0.

    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_next = f * c_prev + i * g
    h_next = o * tanh(c_next)
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays, check_positive_int
from rnn_helpers.reference.activations import sigmoid


def check_gated_arrays(func, gates, spec, arrays):
    """check_arrays for gated layers, whose weights stack one H-wide block per gate.

    Inputs:
    - func: name of the calling function, used in messages
    - gates: the gate names in order, e.g. "[i, f, g, o]"
    - spec, arrays: as for check_arrays; the stacked gate axis is written
      "4H" (or "3H", ...) and must be present in "Wh", which is (H, 4H)

    check_arrays makes the weights agree with each other on 4H; this adds the
    one relation it cannot express, 4H = 4 * H. Returns check_arrays' (dtype, sizes).
    """
    k = len(gates.split(","))
    dtype, sizes = check_arrays(func, spec, arrays)
    H, kH = sizes["H"], sizes[f"{k}H"]
    if kH != k * H:
        h_from = "/".join(
            name
            for name, dims in spec.items()
            if arrays.get(name) is not None and "H" in dims and arrays[name].shape[dims.index("H")] == H
        )
        weights = ", ".join(name for name, dims in spec.items() if f"{k}H" in dims)
        raise ValueError(
            f"{func}: Wh has shape {arrays['Wh'].shape}, expected (H, {k}H) = ({H}, {k * H}) "
            f"(H={H} from {h_from}): the {k} gates {gates} are stacked along the last axis, "
            f"so {weights} need {k} * H = {k * H} entries there, not {kH}"
        )
    return dtype, sizes


def _gates(a, H):
    """Pre-activations (..., 4H) -> activated gates (..., 4H), [i, f, g, o] blocks.

    One sigmoid call over the whole array, then tanh overwrites the g block:
    fewer, larger numpy calls are what keeps the time loop fast.
    """
    gates = sigmoid(a)
    gates[..., 2 * H : 3 * H] = np.tanh(a[..., 2 * H : 3 * H])
    return gates


def _gates_backward(dh, dc, gates, c_prev, tanh_c, H):
    """Gradient through one step's gates.

    Inputs: dh, dc (N, H) total gradients reaching h_next and c_next from
    outside the tanh(c_next) path; gates (N, 4H) activated [i, f, g, o];
    c_prev, tanh_c (N, H).
    Returns (da, dc_prev): da (N, 4H) gradient of the pre-activations.
    """
    i, f, g, o = (gates[:, k * H : (k + 1) * H] for k in range(4))
    # c_next reaches the loss directly (dc) and through h_next = o * tanh(c_next).
    dc = dc + dh * o * (1.0 - tanh_c**2)
    da = np.empty_like(gates)
    da[:, :H] = dc * g * i * (1.0 - i)  # sigmoid' = s (1 - s)
    da[:, H : 2 * H] = dc * c_prev * f * (1.0 - f)
    da[:, 2 * H : 3 * H] = dc * i * (1.0 - g**2)  # tanh' = 1 - tanh^2
    da[:, 3 * H :] = dh * tanh_c * o * (1.0 - o)
    return da, dc * f


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One time step of an LSTM.

    Inputs:
    - x: (N, D) inputs at this step
    - h_prev: (N, H) hidden state from the previous step
    - c_prev: (N, H) cell state from the previous step
    - Wx: (D, 4H) input-to-gates weights, blocks [i, f, g, o]
    - Wh: (H, 4H) hidden-to-gates weights
    - b: (4H,) gate biases

    Returns (h_next, c_next, cache):
    - h_next: (N, H) new hidden state
    - c_next: (N, H) new cell state
    - cache: what lstm_step_backward needs
    """
    dtype, s = check_gated_arrays(
        "lstm_step_forward",
        "[i, f, g, o]",
        {
            "x": ("N", "D"),
            "h_prev": ("N", "H"),
            "c_prev": ("N", "H"),
            "Wx": ("D", "4H"),
            "Wh": ("H", "4H"),
            "b": ("4H",),
        },
        dict(x=x, h_prev=h_prev, c_prev=c_prev, Wx=Wx, Wh=Wh, b=b),
    )
    H = s["H"]
    x, h_prev, c_prev, Wx, Wh, b = (v.astype(dtype, copy=False) for v in (x, h_prev, c_prev, Wx, Wh, b))
    gates = _gates(x @ Wx + h_prev @ Wh + b, H)  # (N, 4H)
    c_next = gates[:, H : 2 * H] * c_prev + gates[:, :H] * gates[:, 2 * H : 3 * H]
    tanh_c = np.tanh(c_next)
    h_next = gates[:, 3 * H :] * tanh_c
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, gates, tanh_c)


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of lstm_step_forward.

    Inputs:
    - dh_next: (N, H) gradient of the loss with respect to h_next
    - dc_next: (N, H) gradient of the loss with respect to c_next
    - cache: from lstm_step_forward

    Returns (dx, dh_prev, dc_prev, dWx, dWh, db) with shapes
    (N, D), (N, H), (N, H), (D, 4H), (H, 4H), (4H,).
    """
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    check_arrays(
        "lstm_step_backward",
        {"h_prev": ("N", "H"), "dh_next": ("N", "H"), "dc_next": ("N", "H")},
        dict(h_prev=h_prev, dh_next=dh_next, dc_next=dc_next),
    )
    da, dc_prev = _gates_backward(dh_next, dc_next, gates, c_prev, tanh_c, h_prev.shape[1])
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Run an LSTM over a whole sequence.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, 4H), Wh: (H, 4H), b: (4H,) as in lstm_step_forward
    - c0: (N, H) initial cell state; zeros when None (PyTorch's default)

    Returns (h, cache):
    - h: (N, T, H) the hidden state after every step
    - cache: what lstm_backward needs
    """
    dtype, s = check_gated_arrays(
        "lstm_forward",
        "[i, f, g, o]",
        {
            "x": ("N", "T", "D"),
            "h0": ("N", "H"),
            "c0": ("N", "H"),
            "Wx": ("D", "4H"),
            "Wh": ("H", "4H"),
            "b": ("4H",),
        },
        dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, c0=c0),
    )
    N, T, H = s["N"], s["T"], s["H"]
    if c0 is None:
        c0 = np.zeros((N, H), dtype=dtype)
    x, h0, c0, Wx, Wh, b = (v.astype(dtype, copy=False) for v in (x, h0, c0, Wx, Wh, b))
    # The input projection does not depend on h, so it is one matrix product for
    # all steps; only the recurrence loops over time. Time-major buffers make
    # each step's slice contiguous.
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, D)
    xw = (xt.reshape(T * N, -1) @ Wx + b).reshape(T, N, 4 * H)
    gates = np.empty((T, N, 4 * H), dtype=dtype)
    c = np.empty((T + 1, N, H), dtype=dtype)  # c[t] is the cell state before step t
    h = np.empty((T + 1, N, H), dtype=dtype)  # likewise for h; h[0] = h0
    tanh_c = np.empty((T, N, H), dtype=dtype)
    h[0], c[0] = h0, c0
    for t in range(T):
        g = gates[t] = _gates(xw[t] + h[t] @ Wh, H)
        c[t + 1] = g[:, H : 2 * H] * c[t] + g[:, :H] * g[:, 2 * H : 3 * H]
        tanh_c[t] = np.tanh(c[t + 1])
        h[t + 1] = g[:, 3 * H :] * tanh_c[t]
    return np.ascontiguousarray(h[1:].transpose(1, 0, 2)), (xt, Wx, Wh, gates, c, h, tanh_c)


def lstm_backward_with_cell(dh, cache):
    """lstm_backward that also returns the gradient of the initial cell state.

    Inputs: as lstm_backward.
    Returns (dx, dh0, dWx, dWh, db, dc0): lstm_backward's gradients followed by
    dc0 (N, H), in the order of lstm_forward's inputs. Use it when c0 is a
    parameter or comes from another layer (an encoder's final cell state).
    """
    xt, Wx, Wh, gates, c, h, tanh_c = cache
    T, N, H = tanh_c.shape
    # h, the forward's output, names the expected shape in the error message.
    check_arrays(
        "lstm_backward",
        {"h": ("N", "T", "H"), "dh": ("N", "T", "H")},
        dict(h=h[1:].transpose(1, 0, 2), dh=dh),
    )
    dtype = np.result_type(gates, dh)
    dh = dh.transpose(1, 0, 2)  # (T, N, H) view, time-major
    da = np.empty((T, N, 4 * H), dtype=dtype)
    dh_prev = np.zeros((N, H), dtype=dtype)
    dc_prev = np.zeros((N, H), dtype=dtype)
    WhT = np.ascontiguousarray(Wh.T)
    for t in reversed(range(T)):
        # h after step t feeds both the layer above (dh) and step t + 1 (dh_prev);
        # the cell state only feeds the next step, so dc_prev is its whole gradient.
        da[t], dc_prev = _gates_backward(dh[t] + dh_prev, dc_prev, gates[t], c[t], tanh_c[t], H)
        dh_prev = da[t] @ WhT
    # Weight gradients sum over steps: one matrix product over all N*T rows
    # after the loop instead of T small ones inside it.
    da2 = da.reshape(T * N, 4 * H)  # rows ordered (t, n), like xt's
    dx = (da2 @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)  # (N, T, D)
    dWx = xt.reshape(T * N, -1).T @ da2
    dWh = h[:-1].reshape(T * N, H).T @ da2  # states fed into each step
    db = da2.sum(axis=0)
    return np.ascontiguousarray(dx), dh_prev, dWx, dWh, db, dc_prev


def lstm_backward(dh, cache):
    """Backpropagation through time for lstm_forward.

    Inputs:
    - dh: (N, T, H) upstream gradient of every hidden state (from the layer
      above); the cell state has no upstream gradient of its own, its gradient
      flows only from step to step
    - cache: from lstm_forward

    Returns (dx, dh0, dWx, dWh, db) with shapes (N, T, D), (N, H), (D, 4H),
    (H, 4H), (4H,). The gradient of c0 is in lstm_backward_with_cell.
    """
    return lstm_backward_with_cell(dh, cache)[:5]


def lstm_param_count(input_size, hidden_size):
    """Number of parameters of one LSTM layer with one bias per gate.

    4 * ((D + H) * H + H): each of the four gates has a (D, H) block of Wx, an
    (H, H) block of Wh and an (H,) bias. torch.nn.LSTM keeps two biases per
    gate (bias_ih and bias_hh), so it reports 4H more.
    """
    D = check_positive_int("lstm_param_count", "input_size", input_size)
    H = check_positive_int("lstm_param_count", "hidden_size", hidden_size)
    return 4 * ((D + H) * H + H)


def stacked_lstm_forward(x, h0, params, c0=None):
    """A stack of L LSTM layers; layer l reads the hidden states of layer l-1.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (L, N, H) initial hidden state of every layer
    - params: list of L tuples (Wx, Wh, b); Wx is (D, 4H) for the first layer
      and (H, 4H) above it
    - c0: (L, N, H) initial cell states; zeros when None

    Returns (h, cache): h (N, T, H) are the states of the top layer (the
    output of torch.nn.LSTM(num_layers=L, batch_first=True)).
    """
    if len(params) != len(h0) or (c0 is not None and len(c0) != len(h0)):
        raise ValueError(
            f"stacked_lstm_forward: params has {len(params)} layers, h0 has "
            f"{len(h0)}"
            + ("" if c0 is None else f" and c0 has {len(c0)}")
            + "; give one (Wx, Wh, b) per layer and h0, c0 of shape (L, N, H)"
        )
    caches, inp = [], x
    for layer, (Wx, Wh, b) in enumerate(params):
        try:
            inp, cache = lstm_forward(inp, h0[layer], Wx, Wh, b, None if c0 is None else c0[layer])
        except ValueError as err:
            # Say which layer: lstm_forward alone cannot know.
            raise ValueError(f"stacked_lstm_forward: layer {layer}: {err}") from None
        caches.append(cache)
    return inp, caches


def stacked_lstm_backward(dh, cache):
    """Backward pass of stacked_lstm_forward.

    Inputs:
    - dh: (N, T, H) upstream gradient of the top layer's states
    - cache: from stacked_lstm_forward

    Returns (dx, dh0, grads): dx (N, T, D), dh0 (L, N, H) and grads, a list of
    L tuples (dWx, dWh, db).
    """
    grads, dh0 = [], []
    for c in reversed(cache):
        dh, dh0_l, dWx, dWh, db = lstm_backward(dh, c)
        grads.append((dWx, dWh, db))
        dh0.append(dh0_l)
    return dh, np.stack(dh0[::-1]), grads[::-1]
