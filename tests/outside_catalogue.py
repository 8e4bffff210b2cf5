"""Plausible bugs that are NOT in the misconception catalogue, for the diagnosis's honesty.

tests/test_diagnosis.py grades each of them with the hidden checks of its own
function and requires: a diagnosis is given only when it is right. `named_as`
is the label of the catalogue entry (same function) whose explanation fits
this bug, when one does: the same mistake written another way. Where it is
None, no known explanation fits and the check must give none.

Each source replaces the whole solution cell of `function`, as in the catalogue.
"""

from typing import NamedTuple


class Outside(NamedTuple):
    assignment: str
    function: str
    label: str
    source: str
    named_as: str | None  # the catalogue label whose `why` is right for this bug, or None


_STEP = "def rnn_step_forward(x, h_prev, Wx, Wh, b):\n"
_RETURN = "    return h_next, (x, h_prev, Wx, Wh, h_next)\n"
_SEQ = "def rnn_forward(x, h0, Wx, Wh, b):\n"
_SM = "def softmax(scores, axis=-1):\n"
_LOSS = "def temporal_softmax_loss(scores, y, mask=None):\n"
_BI = "def bidirectional_rnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):\n"
_LSTM = "def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):\n"
_LSTM_BODY = """\
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2*H])
    g, o = np.tanh(a[:, 2*H:3*H]), sigmoid(a[:, 3*H:])
    c_next = {c}
    tanh_c = np.tanh(c_next)
    h_next = {h}
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
"""

BUGS = [
    Outside(
        "01_rnn_forward",
        "rnn_step_forward",
        "bias added after the tanh",
        _STEP + "    h_next = np.tanh(x @ Wx + h_prev @ Wh) + b\n" + _RETURN,
        None,
    ),
    Outside(
        "01_rnn_forward",
        "rnn_step_forward",
        "bias counted twice",
        _STEP + "    h_next = np.tanh(x @ Wx + h_prev @ Wh + 2 * b)\n" + _RETURN,
        None,
    ),
    Outside(
        "01_rnn_forward",
        "rnn_step_forward",
        "no nonlinearity, written with np.dot",
        _STEP + "    h_next = np.dot(x, Wx) + np.dot(h_prev, Wh) + b\n" + _RETURN,
        "no nonlinearity",
    ),
    Outside(
        "01_rnn_forward",
        "rnn_forward",
        "the first input fed to every step",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    h_prev = h0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[:, 0], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
    return h, None
""",
        None,
    ),
    Outside(
        "01_rnn_forward",
        "softmax",
        "normalised over the whole array",
        _SM + "    e = np.exp(scores - scores.max(axis=axis, keepdims=True))\n    return e / e.sum()\n",
        None,
    ),
    Outside(
        "01_rnn_forward",
        "softmax",
        "no shift, written with np.sum",
        _SM + "    return np.exp(scores) / np.sum(np.exp(scores), axis=axis, keepdims=True)\n",
        "no max subtraction (overflows)",
    ),
    Outside(
        "01_rnn_forward",
        "temporal_softmax_loss",
        "summed, never divided by the count",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None]
""",
        None,
    ),
    Outside(
        "01_rnn_forward",
        "bidirectional_rnn_forward",
        "forward states reversed too",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f[:, ::-1], h_b[:, ::-1]], axis=2), (c_f, c_b)
""",
        None,
    ),
    Outside(
        "02_bptt",
        "rnn_step_backward",
        "dx through Wh instead of Wx",
        """\
def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next ** 2)
    return da @ Wh.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
        None,
    ),
    Outside(
        "02_bptt",
        "numerical_gradient",
        "dout ignored, written with .sum()",
        """\
def numerical_gradient(f, x, dout, eps=1e-5):
    dx = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = f(x).sum()
        x[i] = old - eps
        minus = f(x).sum()
        x[i] = old
        dx[i] = (plus - minus) / (2 * eps)
    return dx
""",
        "upstream gradient dout ignored",
    ),
    Outside(
        "02_bptt",
        "clip_gradients",
        "clips to max_norm squared",
        """\
def clip_gradients(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    coef = min(max_norm ** 2 / (total + 1e-6), 1.0)
    return {k: g * coef for k, g in grads.items()}, total
""",
        None,
    ),
    Outside(
        "03_lstm_gru",
        "sigmoid",
        "sign error, written with logaddexp",
        "def sigmoid(x):\n    return np.exp(-np.logaddexp(0, x))\n",
        "sign error: 1 / (1 + exp(x))",
    ),
    Outside(
        "03_lstm_gru",
        "lstm_step_forward",
        "forget gate scales the candidate, input gate the old cell",
        _LSTM + _LSTM_BODY.format(c="i * c_prev + f * g", h="o * tanh_c"),
        "input and forget gates swapped ([f, i, g, o])",
    ),
    Outside(
        "03_lstm_gru",
        "lstm_step_forward",
        "previous hidden state added to h",
        _LSTM + _LSTM_BODY.format(c="f * c_prev + i * g", h="o * tanh_c + h_prev"),
        None,
    ),
    Outside(
        "03_lstm_gru",
        "lstm_backward",
        "dh0 returned as zeros",
        """\
def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dc_prev, gx, gh, gb = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, cache[t])
        dWx, dWh, db = dWx + gx, dWh + gh, db + gb
    return dx, np.zeros((N, H)), dWx, dWh, db
""",
        None,
    ),
    Outside(
        "03_lstm_gru",
        "gru_forward",
        "states returned in reverse time order",
        """\
def gru_forward(x, h0, Wx, Wh, bx, bh):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches, h_prev = [], h0
    for t in range(T):
        h_prev, sc = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)
        h[:, t] = h_prev
        caches.append(sc)
    return h[:, ::-1], caches
""",
        None,
    ),
    Outside(
        "04_attention",
        "masked_softmax",
        "-1e4 fill: a row with nothing kept gets uniform weights",
        """\
def masked_softmax(scores, mask=None, axis=-1):
    if mask is not None:
        scores = np.where(mask, scores, -1e4)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        "-1e9 fill: a row with nothing kept gets uniform weights",
    ),
    Outside(
        "04_attention",
        "dot_product_attention",
        "context scaled instead of the scores",
        """\
def dot_product_attention(query, keys, values, mask=None, scale=True):
    scores = np.einsum("nk,ntk->nt", query, keys)
    weights = masked_softmax(scores, mask, axis=1)
    context = np.einsum("nt,ntv->nv", weights, values)
    return (context / np.sqrt(query.shape[1]) if scale else context), weights
""",
        None,
    ),
    Outside(
        "04_attention",
        "additive_attention",
        "va replaced by a plain sum over A",
        """\
def additive_attention(s_prev, h, Wa, Ua, va, mask=None):
    act = np.tanh((s_prev @ Wa)[:, None, :] + h @ Ua)
    weights = masked_softmax(act.sum(axis=-1), mask, axis=1)
    return np.einsum("nt,nth->nh", weights, h), weights
""",
        None,
    ),
]
