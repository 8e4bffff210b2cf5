"""Plausible mistakes and correct variants for assignment 01_rnn_forward.

Each source replaces the whole solution cell named by `function`; the other
solution cells of the notebook stay correct (so a source may call them).
"""

from rnn_helpers.grading.catalogue import Entry

_STEP = "def rnn_step_forward(x, h_prev, Wx, Wh, b):\n"
_SEQ = "def rnn_forward(x, h0, Wx, Wh, b):\n"
_EMB = "def embedding_forward(idx, W):\n"
_AFF = "def temporal_affine_forward(h, W, b):\n"
_SM = "def softmax(scores, axis=-1):\n"
_LOSS = "def temporal_softmax_loss(scores, y, mask=None):\n"
_BI = "def bidirectional_rnn_forward(x, h0_f, h0_b, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):\n"

# A correct sequence helper for bug entries of bidirectional_rnn_forward.
_LOOP = """    N, T, _ = x.shape
    H = h0_f.shape[1]
"""

BUGS = [
    # ------------------------------------------------------------ rnn_step_forward
    Entry(
        "rnn_step_forward",
        "sigmoid instead of tanh",
        _STEP
        + """\
    a = x @ Wx + h_prev @ Wh + b
    h_next = 1 / (1 + np.exp(-a))
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="the state is squashed with a sigmoid; a vanilla RNN uses tanh, so states range over (-1, 1)",
    ),
    Entry(
        "rnn_step_forward",
        "no nonlinearity",
        _STEP
        + """\
    h_next = x @ Wx + h_prev @ Wh + b
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="no nonlinearity: the weighted sum x Wx + h_prev Wh + b must go through tanh",
    ),
    Entry(
        "rnn_step_forward",
        "ReLU instead of tanh",
        _STEP
        + """\
    h_next = np.maximum(0, x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="ReLU instead of tanh: this RNN squashes its pre-activation with tanh, which keeps negative values",
    ),
    Entry(
        "rnn_step_forward",
        "bias forgotten",
        _STEP
        + """\
    h_next = np.tanh(x @ Wx + h_prev @ Wh)
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="the bias b is missing from the pre-activation",
    ),
    Entry(
        "rnn_step_forward",
        "Wh transposed (column-vector habit)",
        _STEP
        + """\
    h_next = np.tanh(x @ Wx + h_prev @ Wh.T + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="Wh is used transposed (the column-vector habit); with row vectors the recurrent term is h_prev times Wh as given",
    ),
    Entry(
        "rnn_step_forward",
        "previous state ignored",
        _STEP
        + """\
    h_next = np.tanh(x @ Wx + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="the previous state h_prev is left out: the recurrent term h_prev Wh is missing",
    ),
    Entry(
        "rnn_step_forward",
        "tanh applied to the input term only",
        _STEP
        + """\
    h_next = np.tanh(x @ Wx) + h_prev @ Wh + b
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
        why="tanh is applied to the input term only; it must wrap the whole sum, recurrent term and bias included",
    ),
    Entry(
        "rnn_step_forward",
        "writes the new state into h_prev in place",
        _STEP
        + """\
    h_prev[...] = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_prev, (x, h_prev, Wx, Wh, h_prev)
""",
        why="the new state is written into h_prev in place, which changes the caller's array; compute h_next as a new array",
    ),
    # ------------------------------------------------------------ rnn_forward
    Entry(
        "rnn_forward",
        "starts from zeros instead of h0",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    h_prev = np.zeros_like(h0)
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
    return h, None
""",
        why="the sequence starts from zeros instead of the given initial state h0",
    ),
    Entry(
        "rnn_forward",
        "stores the state before the update (off by one)",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    h_prev = h0
    for t in range(T):
        h[:, t] = h_prev
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
    return h, None
""",
        why="off by one: h[:, t] holds the state before step t; it must hold the state after reading x[:, t]",
    ),
    Entry(
        "rnn_forward",
        "state not carried: h0 fed to every step",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    for t in range(T):
        h[:, t], _ = rnn_step_forward(x[:, t], h0, Wx, Wh, b)
    return h, None
""",
        why="the state is not carried: every step starts from h0 instead of the previous step's state",
    ),
    Entry(
        "rnn_forward",
        "slices the batch axis instead of time (x[t])",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    h_prev = h0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
    return h, None
""",
        why="x[t] slices the batch axis; the input at time t is x[:, t] (x is (N, T, D))",
    ),
    Entry(
        "rnn_forward",
        "reads the sequence backwards",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    h_prev = h0
    for t in reversed(range(T)):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
    return h, None
""",
        why="the sequence is read from the last step to the first; an RNN reads t = 0, 1, ..., T-1",
    ),
    Entry(
        "rnn_forward",
        "returns only the last state",
        _SEQ
        + """\
    h_prev = h0
    for t in range(x.shape[1]):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
    return h_prev, None
""",
        why="only the last state is returned; h must hold the state after every step, shape (N, T, H)",
    ),
    Entry(
        "rnn_forward",
        "allocates h like x (shape (N, T, D))",
        _SEQ
        + """\
    h = np.zeros_like(x)
    h_prev = h0
    for t in range(x.shape[1]):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
    return h, None
""",
        why="h is allocated like x, with D features; the states have H features: shape (N, T, H)",
    ),
    # ------------------------------------------------------------ embedding_forward
    Entry(
        "embedding_forward",
        "indexes columns: W[:, idx]",
        _EMB
        + """\
    return W[:, idx], (idx, W)
""",
        why="W[:, idx] picks columns; each token's vector is a row of W (V, D)",
    ),
    Entry(
        "embedding_forward",
        "one-hot sized by the largest index present",
        _EMB
        + """\
    onehot = np.eye(idx.max() + 1)[idx]
    return onehot @ W, (idx, W)
""",
        why="the one-hot width comes from the largest index in this batch; the vocabulary size is W.shape[0]",
    ),
    Entry(
        "embedding_forward",
        "idx transposed: (T, N, D) output",
        _EMB
        + """\
    return W[idx.T], (idx, W)
""",
        why="idx is transposed: the output must be (N, T, D), batch first",
    ),
    Entry(
        "embedding_forward",
        "off by one: W[idx - 1]",
        _EMB
        + """\
    return W[idx - 1], (idx, W)
""",
        why="off by one: token v is row v of W (indices start at 0), not row v - 1",
    ),
    Entry(
        "embedding_forward",
        "flattened output (N*T, D)",
        _EMB
        + """\
    return W[idx.ravel()], (idx, W)
""",
        why="the output is flattened to (N*T, D); keep the batch and time axes: (N, T, D)",
    ),
    Entry(
        "embedding_forward",
        "result cast to the index dtype",
        _EMB
        + """\
    out = W[idx].astype(idx.dtype)
    return out, (idx, W)
""",
        why="the vectors are cast to the integer dtype of idx; keep the dtype of W",
    ),
    Entry(
        "embedding_forward",
        "averages the embeddings over time",
        _EMB
        + """\
    out = W[idx].mean(axis=1, keepdims=True) * np.ones((1, idx.shape[1], 1))
    return out, (idx, W)
""",
        why="the embeddings are averaged over time; each position keeps its own token's vector",
    ),
    # ------------------------------------------------------------ temporal_affine_forward
    Entry(
        "temporal_affine_forward",
        "bias forgotten",
        _AFF
        + """\
    return h @ W, (h, W, b)
""",
        why="the bias b is missing from the scores",
    ),
    Entry(
        "temporal_affine_forward",
        "W transposed",
        _AFF
        + """\
    return h @ W.T + b, (h, W, b)
""",
        why="W is used transposed; with h (N, T, H) and W (H, V) the scores are h times W as given",
    ),
    Entry(
        "temporal_affine_forward",
        "time and batch mixed up when flattening",
        _AFF
        + """\
    N, T, H = h.shape
    flat = h.transpose(1, 0, 2).reshape(N * T, H)
    return (flat @ W + b).reshape(N, T, -1), (h, W, b)
""",
        why="batch and time are mixed up: flattening a time-major copy and reshaping it as (N, T, V) scrambles the positions",
    ),
    Entry(
        "temporal_affine_forward",
        "sums over time first (many-to-one confusion)",
        _AFF
        + """\
    return h.sum(axis=1) @ W + b, (h, W, b)
""",
        why="the states are summed over time first; every time step gets its own scores, shape (N, T, V)",
    ),
    Entry(
        "temporal_affine_forward",
        "loop writes every step from h[:, 0]",
        _AFF
        + """\
    N, T, H = h.shape
    scores = np.zeros((N, T, W.shape[1]))
    for t in range(T):
        scores[:, t] = h[:, 0] @ W + b
    return scores, (h, W, b)
""",
        why="every time step is computed from h[:, 0]; step t must use h[:, t]",
    ),
    Entry(
        "temporal_affine_forward",
        "bias as a column b[:, None]",
        _AFF
        + """\
    return h @ W + b[:, None], (h, W, b)
""",
        why="b[:, None] broadcasts the bias along the wrong axis; it has one value per vocabulary entry (the last axis)",
    ),
    # ------------------------------------------------------------ softmax
    Entry(
        "softmax",
        "no max subtraction (overflows)",
        _SM
        + """\
    e = np.exp(scores)
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="exp overflows for large scores: subtract the maximum along the axis before exp",
    ),
    Entry(
        "softmax",
        "axis argument ignored (always the last)",
        _SM
        + """\
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""",
        why="the axis argument is ignored: the maximum and the sum must be taken along `axis`",
    ),
    Entry(
        "softmax",
        "sum without keepdims",
        _SM
        + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis)
""",
        why="the sum is taken without keepdims, so dividing broadcasts along the wrong axis",
    ),
    Entry(
        "softmax",
        "subtracts the global maximum (rows far below underflow to 0/0)",
        _SM
        + """\
    e = np.exp(scores - scores.max())
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="the maximum of the whole array is subtracted; a row far below it underflows to 0/0: subtract each row's own maximum",
    ),
    Entry(
        "softmax",
        "subtracts the minimum instead of the maximum",
        _SM
        + """\
    e = np.exp(scores - scores.min(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="the minimum is subtracted instead of the maximum, so exp can still overflow",
    ),
    Entry(
        "softmax",
        "divides by the maximum instead of the sum",
        _SM
        + """\
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.max(axis=axis, keepdims=True)
""",
        why="the exponentials are divided by their maximum; probabilities are divided by their sum",
    ),
    Entry(
        "softmax",
        "maximum taken over the last axis, sum over axis",
        _SM
        + """\
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
        why="the maximum is taken over the last axis but the sum over `axis`: shift and normalise along the same axis",
    ),
    # ------------------------------------------------------------ temporal_softmax_loss
    Entry(
        "temporal_softmax_loss",
        "mask ignored",
        _LOSS
        + """\
    N, T, V = scores.shape
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -np.log(p[n, t, y]).mean()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores / (N * T)
""",
        why="the mask is ignored: padded positions must add nothing to the loss or the gradient",
    ),
    Entry(
        "temporal_softmax_loss",
        "divides by N (CS231n habit) instead of the kept count",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / N
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / N
""",
        why="the loss is divided by the batch size N; divide by the number of positions the mask keeps",
    ),
    Entry(
        "temporal_softmax_loss",
        "masks the sum but divides by N*T",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / (N * T)
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / (N * T)
""",
        why="masked positions are left out of the sum but still counted: divide by the number of kept positions, not N*T",
    ),
    Entry(
        "temporal_softmax_loss",
        "dscores not divided by the count",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None]
""",
        why="dscores is not divided by the number of kept positions, as the loss is",
    ),
    Entry(
        "temporal_softmax_loss",
        "gradient not masked",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores / keep.sum()
""",
        why="the gradient is not masked: dscores must be exactly 0 at padded positions",
    ),
    Entry(
        "temporal_softmax_loss",
        "one-hot not subtracted in the gradient",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    return loss, p * keep[..., None] / keep.sum()
""",
        why="the gradient of cross-entropy is softmax minus the one-hot target; the one-hot is not subtracted",
    ),
    Entry(
        "temporal_softmax_loss",
        "softmax over the time axis",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores, axis=1)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / keep.sum()
""",
        why="softmax is taken over the time axis; the probabilities are over the vocabulary (the last axis)",
    ),
    Entry(
        "temporal_softmax_loss",
        "sign of the loss flipped",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    p = softmax(scores)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = (np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / keep.sum()
""",
        why="the loss has the wrong sign: cross-entropy is minus the log-probability of the target",
    ),
    Entry(
        "temporal_softmax_loss",
        "no max subtraction: exp overflows for scores of size 1e3",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), bool) if mask is None else mask
    e = np.exp(scores)
    p = e / e.sum(axis=2, keepdims=True)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(np.log(p[n, t, y]) * keep).sum() / keep.sum()
    dscores = p.copy()
    dscores[n, t, y] -= 1
    return loss, dscores * keep[..., None] / keep.sum()
""",
        why="exp overflows for large scores: subtract each position's maximum score before exp",
    ),
    # ------------------------------------------------------------ bidirectional_rnn_forward
    Entry(
        "bidirectional_rnn_forward",
        "backward states not reversed back",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b], axis=2), (c_f, c_b)
""",
        why="the backward direction's states are not reversed back: its state for position t must sit at t",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "backward direction first in the concatenation",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_b[:, ::-1], h_f], axis=2), (c_f, c_b)
""",
        why="the backward direction comes first; the layout is [forward states, backward states] on the last axis",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "forward weights used for both directions",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_f, Wh_f, b_f)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2), (c_f, c_b)
""",
        why="the forward weights are used for both directions; the backward RNN has its own Wx_b, Wh_b, b_b",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "h0_f used for both directions",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_f, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2), (c_f, c_b)
""",
        why="h0_f starts both directions; the backward RNN starts from h0_b",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "input not reversed, only the output",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x, h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2), (c_f, c_b)
""",
        why="the backward RNN reads the input in the original order; it must read the sequence reversed",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "concatenated along time (N, 2T, H)",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=1), (c_f, c_b)
""",
        why="the directions are concatenated along time; join them on the feature axis: (N, T, 2H)",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "directions summed instead of concatenated",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(x[:, ::-1], h0_b, Wx_b, Wh_b, b_b)
    return h_f + h_b[:, ::-1], (c_f, c_b)
""",
        why="the two directions are summed; concatenate them on the feature axis: (N, T, 2H)",
    ),
]

VARIANTS = [
    # ------------------------------------------------------------ rnn_step_forward
    Entry(
        "rnn_step_forward",
        "concatenated weights [x, h] @ [Wx; Wh]",
        _STEP
        + """\
    xh = np.concatenate([x, h_prev], axis=1)          # (N, D + H)
    W = np.concatenate([Wx, Wh], axis=0)              # (D + H, H)
    h_next = np.tanh(xh @ W + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
    ),
    Entry(
        "rnn_step_forward",
        "float32 computation",
        _STEP
        + """\
    f = np.float32
    h_next = np.tanh(x.astype(f) @ Wx.astype(f) + h_prev.astype(f) @ Wh.astype(f) + b.astype(f))
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
    ),
    Entry(
        "rnn_step_forward",
        "einsum and tanh written with exp",
        _STEP
        + """\
    a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    h_next = 2.0 / (1.0 + np.exp(-2.0 * a)) - 1.0
    return h_next, (x, h_prev, Wx, Wh, h_next)
""",
    ),
    Entry(
        "rnn_step_forward",
        "column-vector maths transposed back",
        _STEP
        + """\
    h_next = np.tanh(Wx.T @ x.T + Wh.T @ h_prev.T + b[:, None]).T
    return h_next, {"x": x, "h_prev": h_prev, "h_next": h_next}
""",
    ),
    # ------------------------------------------------------------ rnn_forward
    Entry(
        "rnn_forward",
        "input projection for all steps, list and np.stack",
        _SEQ
        + """\
    xw = np.einsum("ntd,dh->nth", x, Wx) + b
    states, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = np.tanh(xw[:, t] + h_prev @ Wh)
        states.append(h_prev)
    return np.stack(states, axis=1), states
""",
    ),
    Entry(
        "rnn_forward",
        "time-major copy with a while loop",
        _SEQ
        + """\
    xt = np.transpose(x, (1, 0, 2))                   # (T, N, D)
    out = []
    t, h_prev = 0, h0.copy()
    while t < len(xt):
        h_prev, _ = rnn_step_forward(xt[t], h_prev, Wx, Wh, b)
        out.append(h_prev)
        t += 1
    return np.array(out).transpose(1, 0, 2), None
""",
    ),
    Entry(
        "rnn_forward",
        "float32 throughout",
        _SEQ
        + """\
    f = np.float32
    x, h_prev, Wx, Wh, b = (a.astype(f) for a in (x, h0, Wx, Wh, b))
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]), dtype=f)
    for t in range(T):
        h_prev = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)
        h[:, t] = h_prev
    return h, None
""",
    ),
    Entry(
        "rnn_forward",
        "loop over examples, then over time",
        _SEQ
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    for n in range(N):
        state = h0[n]
        for t in range(T):
            state = np.tanh(x[n, t] @ Wx + state @ Wh + b)
            h[n, t] = state
    return h, None
""",
    ),
    # ------------------------------------------------------------ embedding_forward
    Entry(
        "embedding_forward",
        "one-hot matrix product",
        _EMB
        + """\
    onehot = np.eye(W.shape[0])[idx]                  # (N, T, V)
    return onehot @ W, (idx, W)
""",
    ),
    Entry(
        "embedding_forward",
        "np.take",
        _EMB
        + """\
    return np.take(W, idx, axis=0), (idx, W)
""",
    ),
    Entry(
        "embedding_forward",
        "double loop",
        _EMB
        + """\
    N, T = idx.shape
    out = np.zeros((N, T, W.shape[1]), dtype=W.dtype)
    for n in range(N):
        for t in range(T):
            out[n, t] = W[idx[n, t]]
    return out, (idx, W.shape)
""",
    ),
    # ------------------------------------------------------------ temporal_affine_forward
    Entry(
        "temporal_affine_forward",
        "flatten to (N*T, H) and back",
        _AFF
        + """\
    N, T, H = h.shape
    scores = (h.reshape(N * T, H) @ W + b).reshape(N, T, -1)
    return scores, (h, W, b)
""",
    ),
    Entry(
        "temporal_affine_forward",
        "einsum",
        _AFF
        + """\
    return np.einsum("nth,hv->ntv", h, W) + b, (h, W, b)
""",
    ),
    Entry(
        "temporal_affine_forward",
        "tensordot in float32",
        _AFF
        + """\
    f = np.float32
    return np.tensordot(h.astype(f), W.astype(f), axes=(2, 0)) + b.astype(f), (h, W, b)
""",
    ),
    Entry(
        "temporal_affine_forward",
        "loop over time steps",
        _AFF
        + """\
    scores = np.stack([h[:, t] @ W + b for t in range(h.shape[1])], axis=1)
    return scores, (h, W, b)
""",
    ),
    # ------------------------------------------------------------ softmax
    Entry(
        "softmax",
        "via log-sum-exp",
        _SM
        + """\
    m = np.max(scores, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(scores - m), axis=axis, keepdims=True))
    return np.exp(scores - lse)
""",
    ),
    Entry(
        "softmax",
        "axis moved to the end and back",
        _SM
        + """\
    s = np.moveaxis(scores, axis, -1)
    e = np.exp(s - s.max(axis=-1)[..., None])
    return np.moveaxis(e / e.sum(axis=-1)[..., None], -1, axis)
""",
    ),
    Entry(
        "softmax",
        "float32",
        _SM
        + """\
    s = scores.astype(np.float32)
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
""",
    ),
    # ------------------------------------------------------------ temporal_softmax_loss
    Entry(
        "temporal_softmax_loss",
        "flattened (N*T, V), CS231n style",
        _LOSS
        + """\
    N, T, V = scores.shape
    flat = scores.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    keep = np.ones(N * T, dtype=bool) if mask is None else mask.reshape(N * T).astype(bool)
    probs = np.exp(flat - np.max(flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    count = np.sum(keep)
    loss = -np.sum(keep * np.log(probs[np.arange(N * T), y_flat])) / count
    dx = probs.copy()
    dx[np.arange(N * T), y_flat] -= 1
    dx *= keep[:, None] / count
    return loss, dx.reshape(N, T, V)
""",
    ),
    Entry(
        "temporal_softmax_loss",
        "one-hot targets and boolean selection",
        _LOSS
        + """\
    N, T, V = scores.shape
    keep = np.ones((N, T), dtype=bool) if mask is None else mask
    onehot = np.eye(V)[y]                             # (N, T, V)
    p = softmax(scores)
    logp = np.log(p)
    loss = -(onehot * logp).sum(axis=2)[keep].mean()
    dscores = np.zeros_like(p)
    dscores[keep] = (p - onehot)[keep] / keep.sum()
    return float(loss), dscores
""",
    ),
    Entry(
        "temporal_softmax_loss",
        "python loops over kept positions",
        _LOSS
        + """\
    N, T, V = scores.shape
    total, count = 0.0, 0
    dscores = np.zeros(scores.shape)
    for n in range(N):
        for t in range(T):
            if mask is not None and not mask[n, t]:
                continue
            s = scores[n, t] - scores[n, t].max()
            p = np.exp(s) / np.exp(s).sum()
            total -= np.log(p[y[n, t]])
            dscores[n, t] = p
            dscores[n, t, y[n, t]] -= 1
            count += 1
    return total / count, dscores / count
""",
    ),
    Entry(
        "temporal_softmax_loss",
        "float32",
        _LOSS
        + """\
    N, T, V = scores.shape
    s = scores.astype(np.float32)
    keep = (np.ones((N, T)) if mask is None else mask).astype(np.float32)
    shifted = s - s.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(logp, y[..., None], axis=2)[..., 0]
    loss = -(picked * keep).sum() / keep.sum()
    d = np.exp(logp)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], axis=2) - 1, axis=2)
    return loss, d * keep[..., None] / keep.sum()
""",
    ),
    # ------------------------------------------------------------ bidirectional_rnn_forward
    Entry(
        "bidirectional_rnn_forward",
        "explicit loops writing into halves of h",
        _BI
        + _LOOP
        + """\
    h = np.zeros((N, T, 2 * H))
    hf, hb = h0_f, h0_b
    for t in range(T):
        hf = np.tanh(x[:, t] @ Wx_f + hf @ Wh_f + b_f)
        h[:, t, :H] = hf
    for t in range(T - 1, -1, -1):
        hb = np.tanh(x[:, t] @ Wx_b + hb @ Wh_b + b_b)
        h[:, t, H:] = hb
    return h, None
""",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "np.flip and np.dstack",
        _BI
        + """\
    h_f, c_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b, c_b = rnn_forward(np.flip(x, axis=1), h0_b, Wx_b, Wh_b, b_b)
    return np.dstack([h_f, np.flip(h_b, axis=1)]), [c_f, c_b]
""",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "float32",
        _BI
        + """\
    f = np.float32
    h_f, _ = rnn_forward(x.astype(f), h0_f.astype(f), Wx_f.astype(f), Wh_f.astype(f), b_f.astype(f))
    h_b, _ = rnn_forward(x[:, ::-1].astype(f), h0_b.astype(f), Wx_b.astype(f), Wh_b.astype(f),
                         b_b.astype(f))
    return np.concatenate([h_f, h_b[:, ::-1]], axis=-1).astype(f), None
""",
    ),
    # Composite functions written without their callees (or pairing an inlined
    # forward with a called step backward): full marks, whatever the callees do.
    Entry(
        "bidirectional_rnn_forward",
        "rnn_step_forward called directly in two loops, no rnn_forward",
        _BI
        + """\
    N, T, _ = x.shape
    H = h0_f.shape[1]
    h = np.empty((N, T, 2 * H))
    hf, hb, caches_f, caches_b = h0_f, h0_b, [], []
    for t in range(T):
        hf, cf = rnn_step_forward(x[:, t], hf, Wx_f, Wh_f, b_f)
        h[:, t, :H] = hf
        caches_f.append(cf)
    for t in reversed(range(T)):
        hb, cb = rnn_step_forward(x[:, t], hb, Wx_b, Wh_b, b_b)
        h[:, t, H:] = hb
        caches_b.append(cb)
    return h, (caches_f, caches_b)
""",
    ),
    Entry(
        "bidirectional_rnn_forward",
        "rnn_forward one way, a tanh loop written out the other",
        _BI
        + """\
    h_f, cache_f = rnn_forward(x, h0_f, Wx_f, Wh_f, b_f)
    h_b = np.empty(h_f.shape)
    hb = h0_b
    for t in range(x.shape[1] - 1, -1, -1):
        hb = np.tanh(x[:, t] @ Wx_b + hb @ Wh_b + b_b)
        h_b[:, t] = hb
    return np.concatenate([h_f, h_b], axis=2), (cache_f, None)
""",
    ),
]
