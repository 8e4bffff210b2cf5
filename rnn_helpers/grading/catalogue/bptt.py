"""Plausible mistakes and correct variants for assignment 02_bptt.

Each source replaces the whole solution cell named by `function`; the given
forward functions and the other solution cells stay as in the solution.
"""

from rnn_helpers.grading.catalogue import Entry

_NUM = "def numerical_gradient(f, x, dout, eps=1e-5):\n"
_STEP = "def rnn_step_backward(dh_next, cache):\n    x, h_prev, Wx, Wh, h_next = cache\n"
_SEQ = "def rnn_backward(dh, cache):\n"
_EMB = "def embedding_backward(dout, cache):\n    idx, W = cache\n"
_AFF = "def temporal_affine_backward(dscores, cache):\n    h, W, b = cache\n"
_CLIP = "def clip_gradients(grads, max_norm):\n"

# The opening of a correct rnn_backward; bug entries change the loop after it.
_SEQ_HEAD = (
    _SEQ
    + """\
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_prev = np.zeros((N, H))
"""
)


def _num(loop_body, ret="    return dx\n"):
    return _NUM + "    dx = np.zeros(x.shape)\n    for i in np.ndindex(x.shape):\n" + loop_body + ret


def _clip(body):
    return _CLIP + "    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))\n" + body


BUGS = [
    # ------------------------------------------------------------ numerical_gradient
    Entry(
        "numerical_gradient",
        "one-sided (forward) difference",
        _num("""\
        base = np.sum(f(x) * dout)
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f(x) * dout)
        x[i] = old
        dx[i] = (plus - base) / eps
"""),
        why="a one-sided difference (f(x + eps) - f(x)) / eps; use centred differences, (f(x + eps) - f(x - eps)) / (2 eps)",
    ),
    Entry(
        "numerical_gradient",
        "divides by eps instead of 2 eps",
        _num("""\
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f(x) * dout)
        x[i] = old - eps
        minus = np.sum(f(x) * dout)
        x[i] = old
        dx[i] = (plus - minus) / eps
"""),
        why="the centred difference is divided by eps; the two points are 2 eps apart",
    ),
    Entry(
        "numerical_gradient",
        "upstream gradient dout ignored",
        _num("""\
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f(x))
        x[i] = old - eps
        minus = np.sum(f(x))
        x[i] = old
        dx[i] = (plus - minus) / (2 * eps)
"""),
        why="dout is ignored: differentiate sum(f(x) * dout), not sum(f(x))",
    ),
    Entry(
        "numerical_gradient",
        "x not restored (left at x - eps)",
        _num("""\
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f(x) * dout)
        x[i] = old - eps
        minus = np.sum(f(x) * dout)
        dx[i] = (plus - minus) / (2 * eps)
"""),
        why="x is not restored after each element: put the original value back before moving on",
    ),
    Entry(
        "numerical_gradient",
        "perturbs a flattened copy (f never sees it)",
        _NUM
        + """\
    flat = x.flatten()
    dx = np.zeros(flat.shape)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = np.sum(f(x) * dout)
        flat[i] = old - eps
        minus = np.sum(f(x) * dout)
        flat[i] = old
        dx[i] = (plus - minus) / (2 * eps)
    return dx.reshape(x.shape)
""",
        why="a flattened copy is perturbed, so f never sees the change: perturb x itself (or a view of it)",
    ),
    Entry(
        "numerical_gradient",
        "perturbs every element at once",
        _NUM
        + """\
    grad = (np.sum(f(x + eps) * dout) - np.sum(f(x - eps) * dout)) / (2 * eps)
    return np.full(x.shape, grad)
""",
        why="every element is perturbed at once; perturb one element at a time to get each partial derivative",
    ),
    Entry(
        "numerical_gradient",
        "eps argument ignored (always 1e-5)",
        _num("""\
        old = x[i]
        x[i] = old + 1e-5
        plus = np.sum(f(x) * dout)
        x[i] = old - 1e-5
        minus = np.sum(f(x) * dout)
        x[i] = old
        dx[i] = (plus - minus) / 2e-5
"""),
        why="the eps argument is ignored: use the step size you are given",
    ),
    # ------------------------------------------------------------ rnn_step_backward
    Entry(
        "rnn_step_backward",
        "tanh derivative missing",
        _STEP
        + """\
    da = dh_next
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
        why="the tanh derivative is missing: multiply dh_next by 1 - h_next**2 first",
    ),
    Entry(
        "rnn_step_backward",
        "derivative 1 - tanh(h_next)^2 (tanh applied twice)",
        _STEP
        + """\
    da = dh_next * (1 - np.tanh(h_next) ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
        why="tanh is applied twice: h_next is already tanh(a), so the derivative is 1 - h_next**2",
    ),
    Entry(
        "rnn_step_backward",
        "sigmoid derivative h (1 - h)",
        _STEP
        + """\
    da = dh_next * h_next * (1 - h_next)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
        why="the derivative h (1 - h) belongs to a sigmoid; for tanh it is 1 - h**2",
    ),
    Entry(
        "rnn_step_backward",
        "dWh uses h_next instead of h_prev",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_next.T @ da, da.sum(axis=0)
""",
        why="dWh uses h_next; Wh multiplies h_prev in the forward pass, so dWh is built from h_prev",
    ),
    Entry(
        "rnn_step_backward",
        "db not summed over the batch",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da
""",
        why="db is not summed over the batch: it must have the shape of b, (H,)",
    ),
    Entry(
        "rnn_step_backward",
        "dh_prev skips the tanh derivative",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx.T, dh_next @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
        why="dh_prev skips the tanh derivative: go through 1 - h_next**2 before Wh",
    ),
    Entry(
        "rnn_step_backward",
        "weight gradients skip the tanh derivative",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ dh_next, h_prev.T @ dh_next, dh_next.sum(axis=0)
""",
        why="the weight and bias gradients skip the tanh derivative: use the gradient of the pre-activation",
    ),
    Entry(
        "rnn_step_backward",
        "bias gradient averaged over the batch",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.mean(axis=0)
""",
        why="db is averaged over the batch; gradients of a sum are summed over the examples",
    ),
    # ------------------------------------------------------------ rnn_backward
    Entry(
        "rnn_backward",
        "no gradient carried between steps",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh[:, t], cache[t])
        dWx += a; dWh += b_; db += c
    return dx, dh_prev, dWx, dWh, db
""",
        why="no gradient is carried between steps: add the dh_prev from step t+1 to dh[:, t]",
    ),
    Entry(
        "rnn_backward",
        "dh0 returned as zeros",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh[:, t] + dh_prev, cache[t])
        dWx += a; dWh += b_; db += c
    return dx, np.zeros((N, H)), dWx, dWh, db
""",
        why="dh0 is returned as zeros; it is the gradient carried out of the first step",
    ),
    Entry(
        "rnn_backward",
        "loops forward in time",
        _SEQ_HEAD
        + """\
    for t in range(T):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh[:, t] + dh_prev, cache[t])
        dWx += a; dWh += b_; db += c
    return dx, dh_prev, dWx, dWh, db
""",
        why="the loop runs forward in time; backpropagation through time goes from the last step to the first",
    ),
    Entry(
        "rnn_backward",
        "weight gradients overwritten instead of summed",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dWx, dWh, db = rnn_step_backward(dh[:, t] + dh_prev, cache[t])
    return dx, dh_prev, dWx, dWh, db
""",
        why="dWx, dWh and db are overwritten at each step instead of summed over time",
    ),
    Entry(
        "rnn_backward",
        "only the last step's upstream gradient used",
        _SEQ_HEAD
        + """\
    dh_prev = dh[:, -1]
    for t in reversed(range(T)):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh_prev, cache[t])
        dWx += a; dWh += b_; db += c
    return dx, dh_prev, dWx, dWh, db
""",
        why="only the last state's upstream gradient is used; every dh[:, t] reaches its own step",
    ),
    Entry(
        "rnn_backward",
        "dh0 taken from the upstream dh[:, 0]",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh[:, t] + dh_prev, cache[t])
        dWx += a; dWh += b_; db += c
    return dx, dh[:, 0], dWx, dWh, db
""",
        why="dh0 is taken from dh[:, 0]; it is the gradient carried back out of the first step",
    ),
    Entry(
        "rnn_backward",
        "step caches read in the wrong order",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        dx[:, t], dh_prev, a, b_, c = rnn_step_backward(dh[:, t] + dh_prev, cache[T - 1 - t])
        dWx += a; dWh += b_; db += c
    return dx, dh_prev, dWx, dWh, db
""",
        why="the step caches are read in the wrong order: step t needs cache[t]",
    ),
    Entry(
        "rnn_backward",
        "carries the summed upstream gradient without going through Wh",
        _SEQ_HEAD
        + """\
    for t in reversed(range(T)):
        total = dh[:, t] + dh_prev
        dx[:, t], _, a, b_, c = rnn_step_backward(total, cache[t])
        dh_prev = total
        dWx += a; dWh += b_; db += c
    return dx, dh_prev, dWx, dWh, db
""",
        why="the gradient carried to the previous step skips the step: use the dh_prev that the step's backward returns",
    ),
    # ------------------------------------------------------------ embedding_backward
    Entry(
        "embedding_backward",
        "dW[idx] += dout (repeated tokens counted once)",
        _EMB
        + """\
    dW = np.zeros_like(W)
    dW[idx] += dout
    return dW
""",
        why="dW[idx] += dout counts a repeated token once; use np.add.at so that every occurrence adds up",
    ),
    Entry(
        "embedding_backward",
        "V taken from the largest index present",
        _EMB
        + """\
    dW = np.zeros((idx.max() + 1, W.shape[1]))
    np.add.at(dW, idx, dout)
    return dW
""",
        why="the number of rows comes from the largest index in the batch; dW has the shape of W (V, D)",
    ),
    Entry(
        "embedding_backward",
        "every row gets the total gradient",
        _EMB
        + """\
    return np.zeros_like(W) + dout.sum(axis=(0, 1))
""",
        why="every row gets the total gradient; each token's row gets only the gradients of the positions where it occurs",
    ),
    Entry(
        "embedding_backward",
        "off by one: idx - 1",
        _EMB
        + """\
    dW = np.zeros_like(W)
    np.add.at(dW, idx - 1, dout)
    return dW
""",
        why="off by one: token v's gradient goes to row v, not row v - 1",
    ),
    Entry(
        "embedding_backward",
        "averaged over the occurrences of each token",
        _EMB
        + """\
    dW = np.zeros_like(W)
    np.add.at(dW, idx, dout)
    counts = np.bincount(idx.ravel(), minlength=W.shape[0])
    return dW / np.maximum(counts, 1)[:, None]
""",
        why="a token's gradient is averaged over its occurrences; the gradients of repeated uses add up",
    ),
    Entry(
        "embedding_backward",
        "returned transposed (D, V)",
        _EMB
        + """\
    dW = np.zeros_like(W)
    np.add.at(dW, idx, dout)
    return dW.T
""",
        why="dW is returned transposed; it has the shape of W, (V, D)",
    ),
    Entry(
        "embedding_backward",
        "indices transposed",
        _EMB
        + """\
    dW = np.zeros_like(W)
    np.add.at(dW, idx.T, dout.transpose(1, 0, 2)[::-1])
    return dW
""",
        why="the indices and gradients are paired up wrongly: dout[n, t] belongs to token idx[n, t]",
    ),
    # ------------------------------------------------------------ temporal_affine_backward
    Entry(
        "temporal_affine_backward",
        "db not summed over time",
        _AFF
        + """\
    return dscores @ W.T, np.einsum("nth,ntv->hv", h, dscores), dscores.sum(axis=0)
""",
        why="db is summed over the batch only; sum it over batch and time, to the shape of b",
    ),
    Entry(
        "temporal_affine_backward",
        "dW from the first sequence only",
        _AFF
        + """\
    return dscores @ W.T, h[0].T @ dscores[0], dscores.sum(axis=(0, 1))
""",
        why="dW uses only the first sequence; sum the contributions of every sequence and time step",
    ),
    Entry(
        "temporal_affine_backward",
        "dh = dscores @ W (no transpose)",
        _AFF
        + """\
    return dscores @ W, np.einsum("nth,ntv->hv", h, dscores), dscores.sum(axis=(0, 1))
""",
        why="dh needs W transposed: it goes back from V scores to H features",
    ),
    Entry(
        "temporal_affine_backward",
        "db averaged instead of summed",
        _AFF
        + """\
    return dscores @ W.T, np.einsum("nth,ntv->hv", h, dscores), dscores.mean(axis=(0, 1))
""",
        why="db is averaged over positions; gradients of a sum are summed",
    ),
    Entry(
        "temporal_affine_backward",
        "dW transposed (V, H)",
        _AFF
        + """\
    return dscores @ W.T, np.einsum("nth,ntv->vh", h, dscores), dscores.sum(axis=(0, 1))
""",
        why="dW is transposed; it has the shape of W, (H, V)",
    ),
    Entry(
        "temporal_affine_backward",
        "batch and time mixed up when flattening",
        _AFF
        + """\
    N, T, H = h.shape
    hf = h.reshape(N * T, H)
    df = dscores.transpose(1, 0, 2).reshape(N * T, -1)
    return dscores @ W.T, hf.T @ df, df.sum(axis=0)
""",
        why="batch and time are flattened in different orders for h and dscores, so states meet the wrong gradients",
    ),
    Entry(
        "temporal_affine_backward",
        "dh divided by the number of positions",
        _AFF
        + """\
    N, T, _ = h.shape
    return (dscores @ W.T) / (N * T), np.einsum("nth,ntv->hv", h, dscores), dscores.sum(axis=(0, 1))
""",
        why="dh is divided by the number of positions; the layer does not average, so nothing is divided",
    ),
    # ------------------------------------------------------------ clip_gradients
    Entry(
        "clip_gradients",
        "each array clipped by its own norm",
        _CLIP
        + """\
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    clipped = {}
    for k, g in grads.items():
        n = np.sqrt(np.sum(g ** 2))
        clipped[k] = g * min(max_norm / (n + 1e-6), 1.0)
    return clipped, total
""",
        why="each array is clipped by its own norm; clipping uses the global norm of all gradients together",
    ),
    Entry(
        "clip_gradients",
        "always rescales to max_norm (also scales up)",
        _clip("""\
    coef = max_norm / (total + 1e-6)
    return {k: g * coef for k, g in grads.items()}, total
"""),
        why="gradients under the threshold are scaled up too; leave them unchanged when the global norm is below max_norm",
    ),
    Entry(
        "clip_gradients",
        "returns the norm after clipping",
        _clip("""\
    coef = min(max_norm / (total + 1e-6), 1.0)
    return {k: g * coef for k, g in grads.items()}, total * coef
"""),
        why="the norm after clipping is returned; total_norm is the global norm before clipping",
    ),
    Entry(
        "clip_gradients",
        "scales the caller's arrays in place",
        _clip("""\
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads.values():
        g *= coef
    return grads, total
"""),
        why="the caller's arrays are scaled in place; return new arrays and leave grads unchanged",
    ),
    Entry(
        "clip_gradients",
        "norm as the sum of per-array norms",
        _CLIP
        + """\
    total = float(sum(np.sqrt(np.sum(g ** 2)) for g in grads.values()))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return {k: g * coef for k, g in grads.items()}, total
""",
        why="the norms of the arrays are added; the global norm is the square root of the sum of all squared entries",
    ),
    Entry(
        "clip_gradients",
        "clips values element-wise instead of the norm",
        _clip("""\
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, total
"""),
        why="values are clipped one by one; clipping rescales all gradients together, keeping their direction",
    ),
    Entry(
        "clip_gradients",
        "square root forgotten (squared norm)",
        _CLIP
        + """\
    total = float(sum(np.sum(g ** 2) for g in grads.values()))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return {k: g * coef for k, g in grads.items()}, total
""",
        why="the square root is missing: that is the squared global norm",
    ),
    Entry(
        "clip_gradients",
        "ratio inverted",
        _clip("""\
    coef = min(total / max_norm, 1.0)
    return {k: g * coef for k, g in grads.items()}, total
"""),
        why="the scale factor is inverted: it is max_norm / total_norm",
    ),
]

VARIANTS = [
    # ------------------------------------------------------------ numerical_gradient
    Entry(
        "numerical_gradient",
        "flat view and range loop",
        _NUM
        + """\
    flat = x.reshape(-1)                 # a view: writing into it changes x
    grad = np.zeros_like(flat)
    for k in range(flat.size):
        keep = flat[k]
        flat[k] = keep + eps
        fp = f(x)
        flat[k] = keep - eps
        fm = f(x)
        flat[k] = keep
        grad[k] = np.sum((fp - fm) * dout) / (2 * eps)
    return grad.reshape(x.shape)
""",
    ),
    Entry(
        "numerical_gradient",
        "perturbed copies, x never touched",
        _NUM
        + """\
    dx = np.zeros_like(x, dtype=float)
    for i in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        dx[i] = np.sum(f(xp) * dout - f(xm) * dout) / (2 * eps)
    return dx
""",
    ),
    Entry(
        "numerical_gradient",
        "np.nditer with multi_index",
        _NUM
        + """\
    dx = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = float(x[i])
        x[i] = old + eps
        plus = f(x).copy()
        x[i] = old - eps
        minus = f(x).copy()
        x[i] = old
        dx[i] = np.vdot(plus - minus, dout) / (2 * eps)
        it.iternext()
    return dx
""",
    ),
    # ------------------------------------------------------------ rnn_step_backward
    Entry(
        "rnn_step_backward",
        "concatenated weights, split afterwards",
        _STEP
        + """\
    da = dh_next * (1.0 - h_next * h_next)
    xh = np.hstack([x, h_prev])                       # (N, D + H)
    W = np.vstack([Wx, Wh])                           # (D + H, H)
    dxh = da @ W.T
    dW = xh.T @ da
    D = x.shape[1]
    return dxh[:, :D], dxh[:, D:], dW[:D], dW[D:], np.sum(da, axis=0)
""",
    ),
    Entry(
        "rnn_step_backward",
        "einsum",
        _STEP
        + """\
    da = dh_next * (1 - h_next ** 2)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", h_prev, da), da.sum(0))
""",
    ),
    Entry(
        "rnn_step_backward",
        "float32",
        _STEP
        + """\
    f = np.float32
    da = (dh_next * (1 - h_next ** 2)).astype(f)
    return (da @ Wx.T.astype(f), da @ Wh.T.astype(f), x.T.astype(f) @ da,
            h_prev.T.astype(f) @ da, da.sum(axis=0))
""",
    ),
    # ------------------------------------------------------------ rnn_backward
    Entry(
        "rnn_backward",
        "collect da, weight gradients vectorised after the loop",
        _SEQ
        + """\
    N, T, H = dh.shape
    xs = np.stack([c[0] for c in cache], axis=1)      # (N, T, D)
    hp = np.stack([c[1] for c in cache], axis=1)      # (N, T, H) states fed into each step
    hn = np.stack([c[4] for c in cache], axis=1)      # (N, T, H)
    Wx, Wh = cache[0][2], cache[0][3]
    da = np.zeros((N, T, H))
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da[:, t] = (dh[:, t] + carry) * (1 - hn[:, t] ** 2)
        carry = da[:, t] @ Wh.T
    return (da @ Wx.T, carry, np.einsum("ntd,nth->dh", xs, da),
            np.einsum("ntk,nth->kh", hp, da), da.sum(axis=(0, 1)))
""",
    ),
    Entry(
        "rnn_backward",
        "while loop and lists",
        _SEQ
        + """\
    N, T, H = dh.shape
    grads_x, dWx, dWh, db = [], 0, 0, 0
    carry = np.zeros((N, H))
    t = T - 1
    while t >= 0:
        gx, carry, a, b_, c = rnn_step_backward(dh[:, t] + carry, cache[t])
        grads_x.insert(0, gx)
        dWx, dWh, db = dWx + a, dWh + b_, db + c
        t -= 1
    return np.stack(grads_x, axis=1), carry, dWx, dWh, db
""",
    ),
    Entry(
        "rnn_backward",
        "float32 accumulation",
        _SEQ
        + """\
    f = np.float32
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]), dtype=f)
    dWx, dWh, db = np.zeros(Wx.shape, f), np.zeros(Wh.shape, f), np.zeros(H, f)
    dh_prev = np.zeros((N, H), dtype=f)
    for t in reversed(range(T)):
        g = rnn_step_backward((dh[:, t] + dh_prev).astype(f), cache[t])
        dx[:, t], dh_prev = g[0], g[1].astype(f)
        dWx += g[2]; dWh += g[3]; db += g[4]
    return dx, dh_prev, dWx, dWh, db
""",
    ),
    # ------------------------------------------------------------ embedding_backward
    Entry(
        "embedding_backward",
        "one-hot and einsum",
        _EMB
        + """\
    onehot = np.eye(W.shape[0])[idx]                  # (N, T, V)
    return np.einsum("ntv,ntd->vd", onehot, dout)
""",
    ),
    Entry(
        "embedding_backward",
        "double loop",
        _EMB
        + """\
    dW = np.zeros(W.shape)
    N, T = idx.shape
    for n in range(N):
        for t in range(T):
            dW[idx[n, t]] += dout[n, t]
    return dW
""",
    ),
    Entry(
        "embedding_backward",
        "np.bincount per feature",
        _EMB
        + """\
    V, D = W.shape
    flat_idx = idx.ravel()
    flat = dout.reshape(-1, D)
    return np.stack([np.bincount(flat_idx, weights=flat[:, d], minlength=V) for d in range(D)], axis=1)
""",
    ),
    # ------------------------------------------------------------ temporal_affine_backward
    Entry(
        "temporal_affine_backward",
        "flatten to (N*T, .) and back",
        _AFF
        + """\
    N, T, H = h.shape
    V = W.shape[1]
    hf, df = h.reshape(N * T, H), dscores.reshape(N * T, V)
    return (df @ W.T).reshape(N, T, H), hf.T @ df, df.sum(axis=0)
""",
    ),
    Entry(
        "temporal_affine_backward",
        "tensordot",
        _AFF
        + """\
    dW = np.tensordot(h, dscores, axes=([0, 1], [0, 1]))
    return np.tensordot(dscores, W, axes=(2, 1)), dW, dscores.sum(axis=1).sum(axis=0)
""",
    ),
    Entry(
        "temporal_affine_backward",
        "loop over time, float32",
        _AFF
        + """\
    f = np.float32
    N, T, H = h.shape
    dh = np.zeros((N, T, H), f)
    dW = np.zeros(W.shape, f)
    db = np.zeros(W.shape[1], f)
    for t in range(T):
        d = dscores[:, t].astype(f)
        dh[:, t] = d @ W.T.astype(f)
        dW += h[:, t].T.astype(f) @ d
        db += d.sum(axis=0)
    return dh, dW, db
""",
    ),
    # ------------------------------------------------------------ clip_gradients
    Entry(
        "clip_gradients",
        "np.linalg.norm of all values concatenated",
        _CLIP
        + """\
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    scale = min(1.0, max_norm / (total + 1e-6))
    return {k: v * scale for k, v in grads.items()}, float(total)
""",
    ),
    Entry(
        "clip_gradients",
        "no epsilon, copies when under the threshold",
        _CLIP
        + """\
    import math
    total = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
    if total <= max_norm:
        return {k: g.copy() for k, g in grads.items()}, total
    return {k: g * (max_norm / total) for k, g in grads.items()}, total
""",
    ),
    Entry(
        "clip_gradients",
        "float32 arithmetic",
        _CLIP
        + """\
    g32 = {k: g.astype(np.float32) for k, g in grads.items()}
    total = np.sqrt(sum(np.sum(np.square(g)) for g in g32.values()))
    coef = np.float32(min(max_norm / (float(total) + 1e-6), 1.0))
    return {k: g * coef for k, g in g32.items()}, total
""",
    ),
    # Composite functions written without their callees (or pairing an inlined
    # forward with a called step backward): full marks, whatever the callees do.
    Entry(
        "rnn_backward",
        "step backward written out in the loop, read from the step caches",
        _SEQ
        + """\
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_prev = np.zeros((N, H))
    for t in reversed(range(T)):
        x_t, h_prev, _, _, h_next = cache[t]
        da = (dh[:, t] + dh_prev) * (1 - h_next ** 2)   # through tanh
        dx[:, t] = da @ Wx.T
        dh_prev = da @ Wh.T
        dWx += x_t.T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
""",
    ),
    Entry(
        "rnn_backward",
        "step backward written out, per-step gradients in lists summed at the end",
        _SEQ
        + """\
    N, T, H = dh.shape
    dxs, gWx, gWh, gb = [None] * T, [], [], []
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        x_t, h_prev, Wx, Wh, h_next = cache[t]
        da = (dh[:, t] + carry) * (1 - h_next * h_next)
        dxs[t] = da @ Wx.T
        carry = da @ Wh.T
        gWx.append(x_t.T @ da)
        gWh.append(h_prev.T @ da)
        gb.append(np.sum(da, axis=0))
    return np.stack(dxs, axis=1), carry, sum(gWx), sum(gWh), sum(gb)
""",
    ),
]


# ======================================================================== the character RNN
# Section 7-10 of the notebook: the model the student assembles and trains.

_LOSS = "def char_rnn_loss(params, idx_in, idx_out, h0, mask=None):\n    p = params\n"
_LOSS_FWD = """\
    x, c_emb = embedding_forward(idx_in, p["W_embed"])
    h, c_rnn = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
    scores, c_aff = temporal_affine_forward(h, p["W_out"], p["b_out"])
"""
_LOSS_BWD = """\
    dh, dW_out, db_out = temporal_affine_backward(dscores, c_aff)
    dx, _, dWx, dWh, db = rnn_backward(dh, c_rnn)
    dW_embed = embedding_backward(dx, c_emb)
"""
_GRADS = (
    '    grads = {"W_embed": dW_embed, "Wx": dWx, "Wh": dWh, "b": db, "W_out": dW_out, "b_out": db_out}\n'
)


def _loss(
    forward=_LOSS_FWD,
    loss="    loss, dscores = temporal_softmax_loss(scores, idx_out, mask)\n",
    backward=_LOSS_BWD,
    ret="    return loss, grads, h[:, -1].copy()\n",
):
    return _LOSS + forward + loss + backward + _GRADS + ret


_SAMPLE = """\
def sample_chars(params, start_idx, n, temperature=1.0, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    V, H = params["W_out"].shape[1], params["Wh"].shape[0]
    h = np.zeros((1, H))
    idx = start_idx
    out = np.zeros(n, dtype=np.int64)
    for t in range(n):
"""
_STEP_IN = """\
        h, _ = rnn_step_forward(params["W_embed"][[idx]], h, params["Wx"], params["Wh"], params["b"])
        scores = (h @ params["W_out"] + params["b_out"])[0]
"""
_DRAW = """\
        if temperature < 1e-8:
            idx = int(np.argmax(scores))
        else:
            idx = int(rng.choice(V, p=softmax(scores / temperature)))
        out[t] = idx
"""


def _sample(step=_STEP_IN, draw=_DRAW, ret="    return out\n"):
    return _SAMPLE + step + draw + ret


_BIGRAM = "def bigram_baseline(train_idx, val_idx, V, alpha=1.0):\n"
_COUNTS = """\
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (train_idx[:-1], train_idx[1:]), 1.0)
"""


def _bigram(
    counts=_COUNTS,
    probs="    probs = counts / counts.sum(axis=1, keepdims=True)\n",
    score="    return float(-np.mean(np.log(probs[val_idx[:-1], val_idx[1:]])))\n",
):
    return _BIGRAM + counts + probs + score


_TRAIN = """\
from rnn_helpers.reference.optim import adam_step


def train_char_rnn(params, data, batch_size, seq_len, steps, lr=1e-2, max_norm=1.0):
    N, T = batch_size, seq_len
    L_row = len(data) // N
"""
_STREAMS = "    streams = data[: N * L_row].reshape(N, L_row)\n"
_TRAIN_LOOP = """\
    H = params["Wh"].shape[0]
    h, p, state = np.zeros((N, H)), 0, None
    losses = np.zeros(steps)
    for step in range(steps):
        if p + T + 1 > L_row:
            p, h = 0, np.zeros((N, H))
"""
_TRAIN_STEP = """\
        loss, grads, h = char_rnn_loss(params, streams[:, p:p + T], streams[:, p + 1:p + T + 1], h)
        grads, _ = clip_gradients(grads, max_norm)
        params, state = adam_step(params, grads, state, lr=lr)
"""
_TRAIN_END = """\
        losses[step] = loss
        p += T
    return params, losses
"""


def _train(streams=_STREAMS, loop=_TRAIN_LOOP, step=_TRAIN_STEP, end=_TRAIN_END):
    return _TRAIN + streams + loop + step + end


BUGS += [
    # ------------------------------------------------------------ char_rnn_loss
    Entry(
        "char_rnn_loss",
        "h_last from the first step",
        _loss(ret="    return loss, grads, h[:, 0].copy()\n"),
        why="h_last is the state after the first step; return the state after the last step, where the next chunk goes on",
    ),
    Entry(
        "char_rnn_loss",
        "h0 ignored (recurrence starts from zeros)",
        _loss(forward=_LOSS_FWD.replace("rnn_forward(x, h0,", "rnn_forward(x, np.zeros_like(h0),")),
        why="the recurrence starts from zeros instead of h0: h0 carries the previous chunk's state, start from it",
    ),
    Entry(
        "char_rnn_loss",
        "mask not passed to the loss",
        _loss(loss="    loss, dscores = temporal_softmax_loss(scores, idx_out)\n"),
        why="the mask is not passed to the loss, so padded positions count: give it to temporal_softmax_loss",
    ),
    Entry(
        "char_rnn_loss",
        "h_last at the last kept position of each row",
        _loss(
            ret="""\
    keep = np.ones(idx_in.shape, dtype=bool) if mask is None else mask
    last = keep.shape[1] - 1 - np.argmax(keep[:, ::-1], axis=1)
    return loss, grads, h[np.arange(h.shape[0]), last].copy()
"""
        ),
        why="h_last is taken at the last position the mask keeps; the mask only selects the loss, the state runs to the end of the chunk",
    ),
    Entry(
        "char_rnn_loss",
        "embedding table gets no gradient",
        _loss(backward=_LOSS_BWD.replace("embedding_backward(dx, c_emb)", 'np.zeros_like(p["W_embed"])')),
        why="the embedding table gets no gradient: send the gradient of x (from rnn_backward) through embedding_backward",
    ),
    Entry(
        "char_rnn_loss",
        "loss divided by N again",
        _loss(
            loss="""\
    loss, dscores = temporal_softmax_loss(scores, idx_out, mask)
    loss = loss / idx_in.shape[0]
"""
        ),
        why="the loss is divided once more; temporal_softmax_loss already averages over the kept positions",
    ),
    Entry(
        "char_rnn_loss",
        "embedding backward fed the gradient of h",
        _loss(backward=_LOSS_BWD.replace("embedding_backward(dx, c_emb)", "embedding_backward(dh, c_emb)")),
        why="the embedding's upstream gradient is the gradient of its output x, which rnn_backward returns, not the gradient of h",
    ),
    Entry(
        "char_rnn_loss",
        "h_last returned as all the states",
        _loss(ret="    return loss, grads, h.copy()\n"),
        why="h_last is all the states (N, T, H); return only the state after the last step, shape (N, H)",
    ),
    # ------------------------------------------------------------ sample_chars
    Entry(
        "sample_chars",
        "scores multiplied by the temperature",
        _sample(draw=_DRAW.replace("scores / temperature", "scores * temperature")),
        why="the scores are multiplied by the temperature; divide them by it (a low temperature must sharpen the distribution)",
    ),
    Entry(
        "sample_chars",
        "temperature ignored when sampling",
        _sample(draw=_DRAW.replace("scores / temperature", "scores")),
        why="the temperature is ignored when sampling: divide the scores by it before the softmax",
    ),
    Entry(
        "sample_chars",
        "state reset at every step",
        _sample(step="        h = np.zeros((1, H))\n" + _STEP_IN),
        why="the state is reset at every step, so each character depends only on the one before: carry h from step to step",
    ),
    Entry(
        "sample_chars",
        "start_idx fed at every step",
        _sample(step=_STEP_IN.replace("[[idx]]", "[[start_idx]]")),
        why="start_idx is fed at every step: feed back the character you have just drawn",
    ),
    Entry(
        "sample_chars",
        "start_idx included in the output",
        _sample(ret="    return np.concatenate([[start_idx], out[:-1]]).astype(np.int64) if n else out\n"),
        why="the output starts with start_idx; return only the n characters you sampled",
    ),
    Entry(
        "sample_chars",
        "characters drawn uniformly",
        _sample(
            draw=_DRAW.replace("int(rng.choice(V, p=softmax(scores / temperature)))", "int(rng.integers(V))")
        ),
        why="characters are drawn uniformly; draw with the model's probabilities, rng.choice(V, p=softmax(scores / temperature))",
    ),
    Entry(
        "sample_chars",
        "always the most likely character",
        _sample(
            draw="""\
        idx = int(np.argmax(scores))
        out[t] = idx
"""
        ),
        why="the most likely character is taken at every temperature; sample from softmax(scores / temperature) unless temperature < 1e-8",
    ),
    Entry(
        "sample_chars",
        "output bias forgotten",
        _sample(step=_STEP_IN.replace(' + params["b_out"])[0]', ")[0]")),
        why="the output bias b_out is missing from the scores",
    ),
    # ------------------------------------------------------------ bigram_baseline
    Entry(
        "bigram_baseline",
        "alpha not added (no smoothing)",
        _bigram(
            counts="""\
    counts = np.zeros((V, V))
    np.add.at(counts, (train_idx[:-1], train_idx[1:]), 1.0)
    counts = counts + (counts.sum(axis=1, keepdims=True) == 0)
"""
        ),
        why="alpha is not added to the counts: add it to every entry of the table, seen pairs and unseen ones",
    ),
    Entry(
        "bigram_baseline",
        "repeated pairs counted once",
        _bigram(
            counts="""\
    counts = np.full((V, V), float(alpha))
    counts[train_idx[:-1], train_idx[1:]] += 1.0
"""
        ),
        why="counts[a, b] += 1 with index arrays counts a repeated pair once; every occurrence must add 1 (numpy's trap of section 4)",
    ),
    Entry(
        "bigram_baseline",
        "whole table normalised (joint probabilities)",
        _bigram(probs="    probs = counts / counts.sum()\n"),
        why="the table is normalised as a whole (joint probabilities); P(b | a) divides each row by that row's total",
    ),
    Entry(
        "bigram_baseline",
        "columns normalised",
        _bigram(probs="    probs = counts / counts.sum(axis=0, keepdims=True)\n"),
        why="each column is normalised; the row of the current character must sum to 1",
    ),
    Entry(
        "bigram_baseline",
        "log base 2",
        _bigram(score="    return float(-np.mean(np.log2(probs[val_idx[:-1], val_idx[1:]])))\n"),
        why="the logarithm is base 2 (bits); the model's loss is in nats: use the natural logarithm",
    ),
    Entry(
        "bigram_baseline",
        "summed instead of averaged",
        _bigram(score="    return float(-np.sum(np.log(probs[val_idx[:-1], val_idx[1:]])))\n"),
        why="the cross-entropies are summed; return their mean over the validation pairs",
    ),
    Entry(
        "bigram_baseline",
        "pairs counted as (next, current)",
        _bigram(
            counts="""\
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (train_idx[1:], train_idx[:-1]), 1.0)
"""
        ),
        why="the pairs are counted as (next, current); count[a, b] counts a followed by b",
    ),
    Entry(
        "bigram_baseline",
        "previous character ignored (unigram)",
        _bigram(
            probs="""\
    col = counts.sum(axis=0)
    probs = np.tile(col / col.sum(), (V, 1))
"""
        ),
        why="the current character is ignored (a unigram model); the bigram model conditions on it, row by row",
    ),
    # ------------------------------------------------------------ train_char_rnn
    Entry(
        "train_char_rnn",
        "state reset at every chunk",
        _train(
            step=_TRAIN_STEP.replace(
                "streams[:, p + 1:p + T + 1], h)", "streams[:, p + 1:p + T + 1], np.zeros((N, H)))"
            )
        ),
        why="the state is reset at every chunk: carry h_last into the next chunk (truncated BPTT cuts the gradient, not the state)",
    ),
    Entry(
        "train_char_rnn",
        "gradients not clipped",
        _train(step=_TRAIN_STEP.replace("        grads, _ = clip_gradients(grads, max_norm)\n", "")),
        why="the gradients are not clipped: call clip_gradients(grads, max_norm) before the update",
    ),
    Entry(
        "train_char_rnn",
        "adam_step's result discarded",
        _train(step=_TRAIN_STEP.replace("params, state = adam_step(", "new_params, state = adam_step(")),
        why="the parameters never change: rebind params to the new parameters adam_step returns",
    ),
    Entry(
        "train_char_rnn",
        "chunks overlap (p += 1)",
        _train(end=_TRAIN_END.replace("p += T", "p += 1")),
        why="consecutive chunks overlap: move on by seq_len, so that each chunk starts where the last one ended",
    ),
    Entry(
        "train_char_rnn",
        "state not reset when the text starts again",
        _train(loop=_TRAIN_LOOP.replace("p, h = 0, np.zeros((N, H))", "p = 0")),
        why="when the text starts again, the state from its end is carried into its beginning: reset h to zeros there",
    ),
    Entry(
        "train_char_rnn",
        "Adam state restarted at every step",
        _train(
            step=_TRAIN_STEP.replace(
                "adam_step(params, grads, state, lr=lr)", "adam_step(params, grads, None, lr=lr)"
            )
        ),
        why="Adam's state is restarted at every step: pass the state it returned to the next call",
    ),
    Entry(
        "train_char_rnn",
        "targets are the inputs (not shifted)",
        _train(step=_TRAIN_STEP.replace("streams[:, p + 1:p + T + 1], h)", "streams[:, p:p + T], h)")),
        why="the targets are the inputs themselves; the model predicts the next character, streams[:, p + 1:p + T + 1]",
    ),
    Entry(
        "train_char_rnn",
        "streams cut column-wise",
        _train(streams="    streams = data[: N * L_row].reshape(L_row, N).T\n"),
        why="the text is cut into streams the wrong way: row n must be one contiguous stretch, data[:N * L_row].reshape(N, L_row)",
    ),
]

VARIANTS += [
    # ------------------------------------------------------------ char_rnn_loss
    Entry(
        "char_rnn_loss",
        "steps and layers written out, no calls to the backward functions",
        _LOSS
        + """\
    N, T = idx_in.shape
    H = p["Wh"].shape[0]
    x = p["W_embed"][idx_in]                                    # (N, T, D)
    hs, h_prev = [], h0
    for t in range(T):
        h_prev = np.tanh(x[:, t] @ p["Wx"] + h_prev @ p["Wh"] + p["b"])
        hs.append(h_prev)
    h = np.stack(hs, axis=1)                                    # (N, T, H)
    scores = h @ p["W_out"] + p["b_out"]
    loss, dscores = temporal_softmax_loss(scores, idx_out, mask)
    dW_out = h.reshape(N * T, H).T @ dscores.reshape(N * T, -1)
    db_out = dscores.sum(axis=(0, 1))
    dh = dscores @ p["W_out"].T
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(p["Wx"]), np.zeros_like(p["Wh"]), np.zeros_like(p["b"])
    carry = np.zeros((N, H))
    for t in reversed(range(T)):
        da = (dh[:, t] + carry) * (1 - h[:, t] ** 2)
        before = h0 if t == 0 else h[:, t - 1]
        dx[:, t] = da @ p["Wx"].T
        dWx += x[:, t].T @ da
        dWh += before.T @ da
        db += da.sum(axis=0)
        carry = da @ p["Wh"].T
    dW_embed = np.zeros_like(p["W_embed"])
    np.add.at(dW_embed, idx_in, dx)
"""
        + _GRADS
        + "    return loss, grads, h[:, T - 1]\n",
    ),
    Entry(
        "char_rnn_loss",
        "grads built with a loop over names, mask made explicit",
        _LOSS
        + """\
    keep = np.ones(idx_in.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    x, c_emb = embedding_forward(idx_in, p["W_embed"])
    h, c_rnn = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
    scores, c_aff = temporal_affine_forward(h, p["W_out"], p["b_out"])
    loss, dscores = temporal_softmax_loss(scores, idx_out, keep)
    dh, dW_out, db_out = temporal_affine_backward(dscores, c_aff)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, c_rnn)
    values = [embedding_backward(dx, c_emb), dWx, dWh, db, dW_out, db_out]
    grads = {}
    for name, g in zip(["W_embed", "Wx", "Wh", "b", "W_out", "b_out"], values):
        grads[name] = g
    return float(loss), grads, np.array(h[:, -1])
""",
    ),
    Entry(
        "char_rnn_loss",
        "one-hot embedding by matrix product",
        _LOSS
        + """\
    V = p["W_embed"].shape[0]
    onehot = np.eye(V)[idx_in]                                   # (N, T, V)
    x = onehot @ p["W_embed"]                                    # (N, T, D)
    h, c_rnn = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
    scores, c_aff = temporal_affine_forward(h, p["W_out"], p["b_out"])
    loss, dscores = temporal_softmax_loss(scores, idx_out, mask)
    dh, dW_out, db_out = temporal_affine_backward(dscores, c_aff)
    dx, _, dWx, dWh, db = rnn_backward(dh, c_rnn)
    dW_embed = np.einsum("ntv,ntd->vd", onehot, dx)
"""
        + _GRADS
        + "    return loss, grads, h[:, -1, :].copy()\n",
    ),
    # ------------------------------------------------------------ sample_chars
    Entry(
        "sample_chars",
        "cumulative probabilities and one rng.random() per step",
        _sample(
            draw="""\
        if temperature < 1e-8:
            idx = int(np.argmax(scores))
        else:
            z = scores / temperature
            e = np.exp(z - z.max())
            cdf = np.cumsum(e / e.sum())
            idx = int(np.searchsorted(cdf / cdf[-1], rng.random(), side="right"))
        out[t] = idx
"""
        ),
    ),
    Entry(
        "sample_chars",
        "list of samples, log-sum-exp softmax, np.arange(V) as the population",
        """\
def sample_chars(params, start_idx, n, temperature=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    W_embed, Wx, Wh, b = params["W_embed"], params["Wx"], params["Wh"], params["b"]
    h = np.zeros(Wh.shape[0])
    samples, current = [], start_idx
    while len(samples) < n:
        h = np.tanh(W_embed[current] @ Wx + h @ Wh + b)
        s = h @ params["W_out"] + params["b_out"]
        if temperature < 1e-8:
            current = int(s.argmax())
        else:
            z = s / temperature
            logp = z - (z.max() + np.log(np.sum(np.exp(z - z.max()))))
            current = int(rng.choice(np.arange(len(s)), p=np.exp(logp)))
        samples.append(current)
    return np.array(samples, dtype=np.int64)
""",
    ),
    Entry(
        "sample_chars",
        "float32 scores, float64 probabilities",
        _sample(
            step="""\
        f = np.float32
        h, _ = rnn_step_forward(params["W_embed"][[idx]].astype(f), h.astype(f), params["Wx"].astype(f),
                                params["Wh"].astype(f), params["b"].astype(f))
        scores = (h @ params["W_out"].astype(f) + params["b_out"].astype(f))[0].astype(np.float64)
"""
        ),
    ),
    # ------------------------------------------------------------ bigram_baseline
    Entry(
        "bigram_baseline",
        "np.bincount on pair codes",
        _BIGRAM
        + """\
    pairs = train_idx[:-1] * V + train_idx[1:]
    counts = np.bincount(pairs, minlength=V * V).reshape(V, V) + alpha
    logp = np.log(counts) - np.log(counts.sum(axis=1))[:, None]
    return float(-logp[val_idx[:-1], val_idx[1:]].sum() / (len(val_idx) - 1))
""",
    ),
    Entry(
        "bigram_baseline",
        "Python loops over the pairs",
        _BIGRAM
        + """\
    counts = [[alpha] * V for _ in range(V)]
    for a, b in zip(train_idx[:-1], train_idx[1:]):
        counts[a][b] += 1
    total = 0.0
    for a, b in zip(val_idx[:-1], val_idx[1:]):
        total -= np.log(counts[a][b] / sum(counts[a]))
    return total / (len(val_idx) - 1)
""",
    ),
    Entry(
        "bigram_baseline",
        "one-hot matrix product for the counts",
        _BIGRAM
        + """\
    eye = np.eye(V)
    counts = eye[train_idx[:-1]].T @ eye[train_idx[1:]] + alpha      # (V, V)
    probs = counts / counts.sum(axis=1)[:, None]
    return float(np.mean(-np.log(probs[val_idx[:-1], val_idx[1:]])))
""",
    ),
    # ------------------------------------------------------------ train_char_rnn
    Entry(
        "train_char_rnn",
        "chunk offsets precomputed, losses in a list",
        _TRAIN
        + """\
    streams = np.reshape(data[: N * L_row], (N, L_row))
    starts = list(range(0, L_row - T, T))           # every chunk that fits, in order
    H = params["Wh"].shape[0]
    state, losses, h = None, [], None
    for step in range(steps):
        k = step % len(starts)
        if k == 0:
            h = np.zeros((N, H))
        p = starts[k]
        loss, grads, h = char_rnn_loss(params, streams[:, p:p + T], streams[:, p + 1:p + T + 1], h)
        clipped, _ = clip_gradients(grads, max_norm)
        params, state = adam_step(params, clipped, state, lr=lr)
        losses.append(loss)
    return params, np.array(losses, dtype=float)
""",
    ),
    Entry(
        "train_char_rnn",
        "while loop, clipping written inline",
        _TRAIN
        + """\
    streams = data[: N * L_row].reshape(N, L_row)
    H = params["Wh"].shape[0]
    h, p, state, losses, step = np.zeros((N, H)), 0, None, np.zeros(steps), 0
    while step < steps:
        if p + T >= L_row:
            p, h = 0, 0 * h
        loss, grads, h = char_rnn_loss(params, streams[:, p:p + T], streams[:, p + 1:p + T + 1], h)
        norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
        coef = min(1.0, max_norm / (norm + 1e-6))
        params, state = adam_step(params, {k: g * coef for k, g in grads.items()}, state, lr=lr)
        losses[step] = loss
        p += T
        step += 1
    return params, losses
""",
    ),
    Entry(
        "train_char_rnn",
        "params copied first, keyword arguments",
        _TRAIN
        + """\
    params = {k: v.copy() for k, v in params.items()}
    streams = data[: N * L_row].reshape(N, L_row)
    zeros = np.zeros((N, params["Wh"].shape[0]))
    h, p, opt, losses = zeros, 0, None, np.empty(steps)
    for step in range(steps):
        if p + T + 1 > L_row:
            h, p = zeros, 0
        x, y = streams[:, p:p + T], streams[:, p + 1:p + T + 1]
        loss, grads, h = char_rnn_loss(params=params, idx_in=x, idx_out=y, h0=h)
        grads, norm = clip_gradients(grads, max_norm=max_norm)
        params, opt = adam_step(params, grads, state=opt, lr=lr)
        losses[step] = loss
        p = p + T
    return params, losses
""",
    ),
]
