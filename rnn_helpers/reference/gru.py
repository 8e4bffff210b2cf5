"""GRU layers: one step and a whole sequence.

Dimensions: N batch, T time, D input features, H hidden units.
Row-vector convention with PyTorch's gate order [r, z, n] (reset, update,
candidate): Wx is (D, 3H), Wh is (H, 3H), bx and bh are (3H,). The weights
copy straight into torch.nn.GRU as weight_ih = Wx.T, weight_hh = Wh.T,
bias_ih = bx, bias_hh = bh.

    ax = x @ Wx + bx;  ah = h_prev @ Wh + bh          (blocks [r, z, n])
    r = sigmoid(ax_r + ah_r);  z = sigmoid(ax_z + ah_z)
    n = tanh(ax_n + r * ah_n)
    h_next = (1 - z) * n + z * h_prev

The reset gate multiplies ah_n *after* the product with Wh (and its bias),
which is why a GRU needs two biases, unlike the LSTM: only with bh inside the
product does r reset the recurrent contribution exactly as PyTorch does.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays
from rnn_helpers.reference.activations import sigmoid
from rnn_helpers.reference.lstm import check_gated_arrays

_SPEC_WEIGHTS = {"Wx": ("D", "3H"), "Wh": ("H", "3H"), "bx": ("3H",), "bh": ("3H",)}


def _step(ax, h_prev, Wh, bh, H):
    """One recurrence step given the input projection ax = x @ Wx + bx (N, 3H).

    Returns (h_next, rzn, ah_n): rzn (N, 3H) the activated gates [r, z, n],
    ah_n (N, H) the recurrent part of the candidate before the reset gate.
    """
    ah = h_prev @ Wh + bh  # (N, 3H)
    rzn = np.empty_like(ax)
    rzn[:, : 2 * H] = sigmoid(ax[:, : 2 * H] + ah[:, : 2 * H])
    ah_n = ah[:, 2 * H :]
    rzn[:, 2 * H :] = np.tanh(ax[:, 2 * H :] + rzn[:, :H] * ah_n)
    z, n = rzn[:, H : 2 * H], rzn[:, 2 * H :]
    return n + z * (h_prev - n), rzn, ah_n  # (1 - z) n + z h, one product fewer


def _step_backward(dh, h_prev, rzn, ah_n, H):
    """Gradients of one step's pre-activations.

    Inputs: dh (N, H) total gradient of h_next; h_prev, ah_n (N, H); rzn (N, 3H).
    Returns (dax, dah, dh_direct): dax (N, 3H) gradient of x @ Wx + bx,
    dah (N, 3H) gradient of h_prev @ Wh + bh, dh_direct (N, H) the gradient that
    reaches h_prev through the z * h_prev term (not through Wh).
    """
    r, z, n = rzn[:, :H], rzn[:, H : 2 * H], rzn[:, 2 * H :]
    dan = dh * (1.0 - z) * (1.0 - n**2)  # through (1 - z) n, then tanh
    dax = np.empty_like(rzn)
    dax[:, :H] = dan * ah_n * r * (1.0 - r)  # r only scales ah_n
    dax[:, H : 2 * H] = dh * (h_prev - n) * z * (1.0 - z)
    dax[:, 2 * H :] = dan
    # r and z add ax and ah, so their gradients are the same; n's recurrent
    # part was multiplied by r.
    dah = dax.copy()
    dah[:, 2 * H :] *= r
    return dax, dah, dh * z


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One time step of a GRU.

    Inputs:
    - x: (N, D) inputs at this step
    - h_prev: (N, H) hidden state from the previous step
    - Wx: (D, 3H) input-to-gates weights, blocks [r, z, n]
    - Wh: (H, 3H) hidden-to-gates weights
    - bx: (3H,) input biases; bh: (3H,) hidden biases

    Returns (h_next, cache):
    - h_next: (N, H) new hidden state
    - cache: what gru_step_backward needs
    """
    dtype, s = check_gated_arrays(
        "gru_step_forward",
        "[r, z, n]",
        {"x": ("N", "D"), "h_prev": ("N", "H"), **_SPEC_WEIGHTS},
        dict(x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, bx=bx, bh=bh),
    )
    x, h_prev, Wx, Wh, bx, bh = (v.astype(dtype, copy=False) for v in (x, h_prev, Wx, Wh, bx, bh))
    h_next, rzn, ah_n = _step(x @ Wx + bx, h_prev, Wh, bh, s["H"])
    return h_next, (x, h_prev, Wx, Wh, rzn, ah_n)


def gru_step_backward(dh_next, cache):
    """Backward pass of gru_step_forward.

    Inputs:
    - dh_next: (N, H) gradient of the loss with respect to h_next
    - cache: from gru_step_forward

    Returns (dx, dh_prev, dWx, dWh, dbx, dbh) with shapes
    (N, D), (N, H), (D, 3H), (H, 3H), (3H,), (3H,).
    """
    x, h_prev, Wx, Wh, rzn, ah_n = cache
    check_arrays(
        "gru_step_backward",
        {"h_prev": ("N", "H"), "dh_next": ("N", "H")},
        dict(h_prev=h_prev, dh_next=dh_next),
    )
    dax, dah, dh_direct = _step_backward(dh_next, h_prev, rzn, ah_n, h_prev.shape[1])
    return (dax @ Wx.T, dh_direct + dah @ Wh.T, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0))


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """Run a GRU over a whole sequence.

    Inputs:
    - x: (N, T, D) input sequence
    - h0: (N, H) initial hidden state
    - Wx: (D, 3H), Wh: (H, 3H), bx: (3H,), bh: (3H,) as in gru_step_forward

    Returns (h, cache):
    - h: (N, T, H) the hidden state after every step
    - cache: what gru_backward needs
    """
    dtype, s = check_gated_arrays(
        "gru_forward",
        "[r, z, n]",
        {"x": ("N", "T", "D"), "h0": ("N", "H"), **_SPEC_WEIGHTS},
        dict(x=x, h0=h0, Wx=Wx, Wh=Wh, bx=bx, bh=bh),
    )
    N, T, H = s["N"], s["T"], s["H"]
    x, h0, Wx, Wh, bx, bh = (v.astype(dtype, copy=False) for v in (x, h0, Wx, Wh, bx, bh))
    # The input projection does not depend on h: one product for all steps.
    # Time-major buffers make each step's slice contiguous.
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, D)
    ax = (xt.reshape(T * N, -1) @ Wx + bx).reshape(T, N, 3 * H)
    h = np.empty((T + 1, N, H), dtype=dtype)  # h[t] is the state before step t
    rzn = np.empty((T, N, 3 * H), dtype=dtype)
    ah_n = np.empty((T, N, H), dtype=dtype)
    h[0] = h0
    for t in range(T):
        h[t + 1], rzn[t], ah_n[t] = _step(ax[t], h[t], Wh, bh, H)
    return np.ascontiguousarray(h[1:].transpose(1, 0, 2)), (xt, Wx, Wh, h, rzn, ah_n)


def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward.

    Inputs:
    - dh: (N, T, H) upstream gradient of every hidden state (from the layer above)
    - cache: from gru_forward

    Returns (dx, dh0, dWx, dWh, dbx, dbh) with shapes (N, T, D), (N, H),
    (D, 3H), (H, 3H), (3H,), (3H,).
    """
    xt, Wx, Wh, h, rzn, ah_n = cache
    T, N, H = ah_n.shape
    # h, the forward's output, names the expected shape in the error message.
    check_arrays(
        "gru_backward", {"h": ("N", "T", "H"), "dh": ("N", "T", "H")}, dict(h=h[1:].transpose(1, 0, 2), dh=dh)
    )
    dtype = np.result_type(rzn, dh)
    dh = dh.transpose(1, 0, 2)  # (T, N, H) view, time-major
    dax = np.empty((T, N, 3 * H), dtype=dtype)
    dah = np.empty((T, N, 3 * H), dtype=dtype)
    dh_prev = np.zeros((N, H), dtype=dtype)
    WhT = np.ascontiguousarray(Wh.T)
    for t in reversed(range(T)):
        # h after step t feeds the layer above (dh) and step t + 1 (dh_prev).
        dax[t], dah[t], direct = _step_backward(dh[t] + dh_prev, h[t], rzn[t], ah_n[t], H)
        dh_prev = direct + dah[t] @ WhT
    # Weight gradients sum over steps: one product over all T*N rows after the loop.
    dax2, dah2 = dax.reshape(T * N, 3 * H), dah.reshape(T * N, 3 * H)  # rows ordered (t, n)
    dx = (dax2 @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)  # (N, T, D)
    dWx = xt.reshape(T * N, -1).T @ dax2
    dWh = h[:-1].reshape(T * N, H).T @ dah2  # states fed into each step
    return (np.ascontiguousarray(dx), dh_prev, dWx, dWh, dax2.sum(axis=0), dah2.sum(axis=0))
