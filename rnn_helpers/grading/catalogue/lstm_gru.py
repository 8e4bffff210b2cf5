"""Plausible mistakes and correct variants for assignment 03_lstm_gru.

Each source replaces the whole solution cell named by `function`; the other
solution cells of the notebook stay correct (so a source may call them).
Forward entries keep the solution's cache layout, because the notebook's own
backward functions read it:
- lstm_step_forward: cache = (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
- lstm_forward: cache = list of the T step caches
- gru_step_forward: cache = (x, h_prev, Wx, Wh, r, z, n, ah), ah = h_prev @ Wh + bh (N, 3H)
- gru_forward: cache = list of the T step caches
"""

from rnn_helpers.grading.catalogue import Entry

_SIG = "def sigmoid(x):\n"
_STEP = "def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):\n"
_SEQ = "def lstm_forward(x, h0, Wx, Wh, b, c0=None):\n"
_SB = "def lstm_step_backward(dh_next, dc_next, cache):\n"
_BW = "def lstm_backward(dh, cache):\n"
_PC = "def lstm_param_count(input_size, hidden_size):\n"
_GS = "def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):\n"
_GF = "def gru_forward(x, h0, Wx, Wh, bx, bh):\n"
_GSB = "def gru_step_backward(dh_next, cache):\n"
_GBW = "def gru_backward(dh, cache):\n"

# The correct LSTM step, with placeholders for the parts a bug changes.
_STEP_BODY = """\
    H = h_prev.shape[1]
    a = {a}
    i, f, g, o = {gates}
    c_next = {c}
    tanh_c = np.tanh(c_next)
    h_next = {h}
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
"""
_A = "x @ Wx + h_prev @ Wh + b"
_GATES = "sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sigmoid(a[:, 3*H:])"
_C = "f * c_prev + i * g"
_H = "o * tanh_c"


def _step(a=_A, gates=_GATES, c=_C, h=_H):
    return _STEP + _STEP_BODY.format(a=a, gates=gates, c=c, h=h)


# The correct sequence loop; `init` sets c_prev and h_prev, `store` keeps a state.
def _seq(
    init="c_prev = np.zeros_like(h0) if c0 is None else c0\n    h_prev = h0",
    loop="for t in range(T):",
    step="h_prev, c_prev, sc = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)",
    store="h[:, t] = h_prev",
    ret="return h, caches",
):
    return (
        _SEQ
        + f"""\
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    caches = [None] * T
    {init}
    {loop}
        {step}
        {store}
        caches[t] = sc
    {ret}
"""
    )


# The correct step backward, with placeholders.
def _sb(
    dc="dc_next + dh_next * o * (1 - tanh_c ** 2)",
    di="dc * g * i * (1 - i)",
    df="dc * c_prev * f * (1 - f)",
    dg="dc * i * (1 - g ** 2)",
    do="dh_next * tanh_c * o * (1 - o)",
    order="[di, df, dg, do]",
    dc_prev="dc * f",
    db="da.sum(axis=0)",
):
    return (
        _SB
        + f"""\
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = {dc}
    di, df, dg, do = {di}, {df}, {dg}, {do}
    da = np.concatenate({order}, axis=1)
    return da @ Wx.T, da @ Wh.T, {dc_prev}, x.T @ da, h_prev.T @ da, {db}
"""
    )


# The correct backward through time, with placeholders.
def _bw(
    loop="for t in reversed(range(T)):",
    upstream="dh[:, t] + dh_prev",
    cell="dc_prev",
    acc="dWx, dWh, db = dWx + gx, dWh + gh, db + gb",
    ret="return dx, dh_prev, dWx, dWh, db",
):
    return (
        _BW
        + f"""\
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
    dWx, dWh, db = 0, 0, 0
    {loop}
        dx[:, t], dh_prev, dc_prev, gx, gh, gb = lstm_step_backward({upstream}, {cell}, cache[t])
        {acc}
    {ret}
"""
    )


_GS_BODY = """\
    H = h_prev.shape[1]
    ax = x @ Wx + bx
    ah = h_prev @ Wh + {bh}
    r = {r}
    z = {z}
    n = {n}
    return {h}, (x, h_prev, Wx, Wh, r, z, n, ah)
"""


def _gs(
    bh="bh",
    r="sigmoid(ax[:, :H] + ah[:, :H])",
    z="sigmoid(ax[:, H:2*H] + ah[:, H:2*H])",
    n="np.tanh(ax[:, 2*H:] + r * ah[:, 2*H:])",
    h="(1 - z) * n + z * h_prev",
):
    return _GS + _GS_BODY.format(bh=bh, r=r, z=z, n=n, h=h)


def _gf(
    init="h_prev = h0",
    loop="for t in range(T):",
    step="h_prev, sc = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)",
    store="h[:, t] = h_prev",
    ret="return h, caches",
):
    return (
        _GF
        + f"""\
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    caches = []
    {init}
    {loop}
        {step}
        {store}
        caches.append(sc)
    {ret}
"""
    )


# The correct GRU step backward, with placeholders.
def _gsb(
    dn="dh_next * (1 - z)",
    dz="dh_next * (h_prev - n)",
    dan="dn * (1 - n ** 2)",
    dr="dan * ah[:, 2*H:]",
    dax="np.concatenate([dr * r * (1 - r), dz * z * (1 - z), dan], axis=1)",
    dah="np.concatenate([dax[:, :2*H], dan * r], axis=1)",
    direct="dh_next * z",
    dbh="dah.sum(axis=0)",
):
    return (
        _GSB
        + f"""\
    x, h_prev, Wx, Wh, r, z, n, ah = cache
    H = h_prev.shape[1]
    dn = {dn}
    dz = {dz}
    dan = {dan}
    dr = {dr}
    dax = {dax}
    dah = {dah}
    return dax @ Wx.T, {direct} + dah @ Wh.T, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), {dbh}
"""
    )


# The correct GRU backward through time, with placeholders.
def _gbw(
    loop="for t in reversed(range(T)):",
    step="dx[:, t], dh_prev, gx, gh, gbx, gbh = gru_step_backward({upstream}, cache[t])",
    upstream="dh[:, t] + dh_prev",
    acc="dWx, dWh, dbx, dbh = dWx + gx, dWh + gh, dbx + gbx, dbh + gbh",
    ret="return dx, dh_prev, dWx, dWh, dbx, dbh",
):
    return (
        _GBW
        + f"""\
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dh_prev = np.zeros((N, H))
    dWx, dWh, dbx, dbh = 0, 0, 0, 0
    {loop}
        {step.format(upstream=upstream)}
        {acc}
    {ret}
"""
    )


BUGS = [
    # ------------------------------------------------------------------ sigmoid
    Entry(
        "sigmoid",
        "exp(x) / (1 + exp(x)): nan for large x",
        _SIG
        + """\
    return np.exp(x) / (1 + np.exp(x))
""",
        why="exp(x) / (1 + exp(x)) gives inf / inf = nan for large x: use a form whose exp argument is never positive",
    ),
    Entry(
        "sigmoid",
        "sign error: 1 / (1 + exp(x))",
        _SIG
        + """\
    return 1 / (1 + np.exp(x))
""",
        why="sign error: the logistic function is 1 / (1 + exp(-x))",
    ),
    Entry(
        "sigmoid",
        "tanh instead of the logistic function",
        _SIG
        + """\
    return np.tanh(x)
""",
        why="tanh is not the logistic sigmoid: it ranges over (-1, 1), the sigmoid over (0, 1)",
    ),
    Entry(
        "sigmoid",
        "input clipped to [-10, 10] to avoid overflow",
        _SIG
        + """\
    x = np.clip(x, -10, 10)
    return 1 / (1 + np.exp(-x))
""",
        why="clipping x to [-10, 10] changes the value for larger |x|; avoid overflow without clipping",
    ),
    Entry(
        "sigmoid",
        "stable form with the negative branch written like the positive one",
        _SIG
        + """\
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), 1 / (1 + z))
""",
        why="the branch for negative x repeats the positive formula; for x < 0 use exp(x) / (1 + exp(x)) with exp(x) = exp(-|x|)",
    ),
    Entry(
        "sigmoid",
        "overwrites the input array in place",
        _SIG
        + """\
    pos = x >= 0
    x[pos] = 1 / (1 + np.exp(-x[pos]))
    x[~pos] = np.exp(x[~pos]) / (1 + np.exp(x[~pos]))
    return x
""",
        why="the input array is overwritten in place; return a new array",
    ),
    Entry(
        "sigmoid",
        "math.exp, which only takes scalars",
        _SIG
        + """\
    import math
    return 1 / (1 + math.exp(-x))
""",
        why="math.exp works on single numbers only; use np.exp for arrays",
    ),
    Entry(
        "sigmoid",
        "tanh identity without the halving: (1 + tanh(x)) / 2",
        _SIG
        + """\
    return 0.5 * (1 + np.tanh(x))
""",
        why="(1 + tanh(x)) / 2 lacks the halving inside: sigmoid(x) = (1 + tanh(x / 2)) / 2",
    ),
    # ------------------------------------------------------------ lstm_step_forward
    Entry(
        "lstm_step_forward",
        "gate blocks read as [i, f, o, g]",
        _step(gates="sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), np.tanh(a[:, 3*H:]), sigmoid(a[:, 2*H:3*H])"),
        why="the gate blocks are read as [i, f, o, g]; the columns of a are in PyTorch's order [i, f, g, o]",
    ),
    Entry(
        "lstm_step_forward",
        "input and forget gates swapped ([f, i, g, o])",
        _step(gates="sigmoid(a[:, H:2*H]), sigmoid(a[:, :H]), np.tanh(a[:, 2*H:3*H]), sigmoid(a[:, 3*H:])"),
        why="the input and forget gates are swapped; the first H columns are the input gate i, the next H the forget gate f",
    ),
    Entry(
        "lstm_step_forward",
        "sigmoid on the candidate g",
        _step(gates="sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), sigmoid(a[:, 2*H:3*H]), sigmoid(a[:, 3*H:])"),
        why="the candidate g goes through a sigmoid; it uses tanh, so it can be negative",
    ),
    Entry(
        "lstm_step_forward",
        "tanh on the output gate",
        _step(gates="sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), np.tanh(a[:, 3*H:])"),
        why="the output gate goes through tanh; gates use a sigmoid, so they lie in (0, 1)",
    ),
    Entry(
        "lstm_step_forward",
        "missing tanh on c in h: h = o * c",
        _step(h="o * c_next"),
        why="h_next = o * c: the cell state must go through tanh first",
    ),
    Entry(
        "lstm_step_forward",
        "h from the old cell state: o * tanh(c_prev)",
        _step(h="o * np.tanh(c_prev)"),
        why="h_next is computed from the old cell state; use the new one, c_next",
    ),
    Entry(
        "lstm_step_forward",
        "input gate forgotten: c = f * c_prev + g",
        _step(c="f * c_prev + g"),
        why="the input gate is missing: the candidate g is scaled by i before it is added to the cell",
    ),
    Entry(
        "lstm_step_forward",
        "bias forgotten",
        _step(a="x @ Wx + h_prev @ Wh"),
        why="the bias b is missing from the gate pre-activations",
    ),
    Entry(
        "lstm_step_forward",
        "recurrent weights applied to c_prev instead of h_prev",
        _step(a="x @ Wx + c_prev @ Wh + b"),
        why="Wh multiplies the previous cell state; the gates read the previous hidden state h_prev",
    ),
    # ------------------------------------------------------------------ lstm_forward
    Entry(
        "lstm_forward",
        "cell state not carried: zeros at every step",
        _seq(step="h_prev, _, sc = lstm_step_forward(x[:, t], h_prev, np.zeros_like(h0), Wx, Wh, b)"),
        why="the cell state is not carried: each step must start from the previous step's c",
    ),
    Entry(
        "lstm_forward",
        "given c0 ignored (always zeros)",
        _seq(init="c_prev = np.zeros_like(h0)\n    h_prev = h0"),
        why="a given c0 is ignored; start from zeros only when c0 is None",
    ),
    Entry(
        "lstm_forward",
        "hidden state not carried: h0 at every step",
        _seq(
            step="h_new, c_prev, sc = lstm_step_forward(x[:, t], h0, c_prev, Wx, Wh, b)",
            store="h[:, t] = h_new",
        ),
        why="the hidden state is not carried: every step starts from h0 instead of the previous step's h",
    ),
    Entry(
        "lstm_forward",
        "returns the cell states instead of the hidden states",
        _seq(store="h[:, t] = c_prev"),
        why="the cell states are returned; the layer's output is the hidden states h",
    ),
    Entry(
        "lstm_forward",
        "off by one: stores the state before the step",
        _seq(
            step="h[:, t] = h_prev\n        h_prev, c_prev, sc = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)",
            store="",
        ),
        why="off by one: h[:, t] holds the state before step t; it must hold the state after reading x[:, t]",
    ),
    Entry(
        "lstm_forward",
        "reads the sequence backwards",
        _seq(loop="for t in reversed(range(T)):"),
        why="the sequence is read from the last step to the first; an LSTM reads t = 0, 1, ..., T-1",
    ),
    Entry(
        "lstm_forward",
        "c0=None replaced by h0 instead of zeros",
        _seq(init="c_prev = h0 if c0 is None else c0\n    h_prev = h0"),
        why="with c0=None the cell starts from h0; it must start from zeros",
    ),
    Entry(
        "lstm_forward",
        "states stacked time-major (T, N, H)",
        _seq(ret="return h.transpose(1, 0, 2), caches"),
        why="the states are returned time-major (T, N, H); h is batch first, (N, T, H)",
    ),
    # ------------------------------------------------------------ lstm_step_backward
    Entry(
        "lstm_step_backward",
        "missing tanh derivative on the cell state",
        _sb(dc="dc_next + dh_next * o"),
        why="the gradient reaching c_next through h_next skips the tanh derivative, 1 - tanh(c_next)**2",
    ),
    Entry(
        "lstm_step_backward",
        "upstream dc_next ignored",
        _sb(dc="dh_next * o * (1 - tanh_c ** 2)"),
        why="dc_next is ignored: the cell state's gradient also comes directly from the next step",
    ),
    Entry(
        "lstm_step_backward",
        "dc_prev not multiplied by the forget gate",
        _sb(dc_prev="dc"),
        why="dc_prev is not multiplied by the forget gate f, which scales c_prev in the forward pass",
    ),
    Entry(
        "lstm_step_backward",
        "sigmoid derivative taken as s instead of s (1 - s)",
        _sb(di="dc * g * i", df="dc * c_prev * f", do="dh_next * tanh_c * o"),
        why="the sigmoid's derivative is s (1 - s), not s",
    ),
    Entry(
        "lstm_step_backward",
        "tanh derivative of g taken as 1 - g",
        _sb(dg="dc * i * (1 - g)"),
        why="the derivative of tanh is 1 - g**2, not 1 - g",
    ),
    Entry(
        "lstm_step_backward",
        "output gate gradient uses tanh(c_prev)",
        _sb(do="dh_next * np.tanh(c_prev) * o * (1 - o)"),
        why="the output gate's gradient uses tanh(c_prev); h_next = o * tanh(c_next) uses the new cell state",
    ),
    Entry(
        "lstm_step_backward",
        "gate gradients concatenated as [i, f, o, g]",
        _sb(order="[di, df, do, dg]"),
        why="the gate gradients are concatenated as [i, f, o, g]; keep the forward's column order [i, f, g, o]",
    ),
    Entry(
        "lstm_step_backward",
        "bias gradient averaged over the batch",
        _sb(db="da.mean(axis=0)"),
        why="db is averaged over the batch; gradients of a sum are summed over the examples",
    ),
    # ------------------------------------------------------------------ lstm_backward
    Entry(
        "lstm_backward",
        "no gradient carried through c between steps",
        _bw(cell="np.zeros((N, H))"),
        why="no gradient is carried through the cell state: pass the dc_prev of step t+1 to step t",
    ),
    Entry(
        "lstm_backward",
        "no gradient carried through h between steps",
        _bw(upstream="dh[:, t]"),
        why="no gradient is carried through h: add the dh_prev of step t+1 to dh[:, t]",
    ),
    Entry(
        "lstm_backward",
        "loops forward in time",
        _bw(loop="for t in range(T):"),
        why="the loop runs forward in time; backpropagation through time goes from the last step to the first",
    ),
    Entry(
        "lstm_backward",
        "weight gradients overwritten instead of summed over steps",
        _bw(acc="dWx, dWh, db = gx, gh, gb"),
        why="dWx, dWh and db are overwritten at each step instead of summed over time",
    ),
    Entry(
        "lstm_backward",
        "dh0 taken from the upstream gradient of the first state",
        _bw(ret="return dx, dh[:, 0], dWx, dWh, db"),
        why="dh0 is taken from dh[:, 0]; it is the gradient carried back out of the first step",
    ),
    Entry(
        "lstm_backward",
        "only the last state's upstream gradient used",
        _bw(upstream="(dh[:, t] if t == T - 1 else 0) + dh_prev"),
        why="only the last state's upstream gradient is used; every dh[:, t] reaches its own step",
    ),
    Entry(
        "lstm_backward",
        "weight gradients averaged over time",
        _bw(ret="return dx, dh_prev, dWx / T, dWh / T, db / T"),
        why="the weight gradients are averaged over time; the weights are shared, so their gradients add up",
    ),
    Entry(
        "lstm_backward",
        "upstream gradient added twice",
        _bw(upstream="dh[:, t] + dh_prev + (dh[:, t] if t < T - 1 else 0)"),
        why="the upstream dh[:, t] is added twice at some steps: each step gets dh[:, t] once plus the carried dh_prev",
    ),
    # ---------------------------------------------------------------- lstm_param_count
    Entry(
        "lstm_param_count",
        "two biases per gate (PyTorch's count)",
        _PC
        + """\
    return 4 * ((input_size + hidden_size) * hidden_size + 2 * hidden_size)
""",
        why="two biases per gate is PyTorch's count; the slides' LSTM has one bias vector per gate",
    ),
    Entry(
        "lstm_param_count",
        "biases forgotten",
        _PC
        + """\
    return 4 * (input_size + hidden_size) * hidden_size
""",
        why="the biases are not counted: each gate has H of them",
    ),
    Entry(
        "lstm_param_count",
        "the factor 4 (gates) forgotten",
        _PC
        + """\
    return (input_size + hidden_size) * hidden_size + hidden_size
""",
        why="that counts one gate; an LSTM has four, each with its own weights and biases",
    ),
    Entry(
        "lstm_param_count",
        "recurrent weights forgotten",
        _PC
        + """\
    return 4 * (input_size * hidden_size + hidden_size)
""",
        why="the recurrent weights Wh (H x 4H) are not counted",
    ),
    Entry(
        "lstm_param_count",
        "three gates (a GRU's count)",
        _PC
        + """\
    return 3 * ((input_size + hidden_size) * hidden_size + hidden_size)
""",
        why="three gates is a GRU's count; an LSTM has four (i, f, g, o)",
    ),
    Entry(
        "lstm_param_count",
        "input and hidden sizes swapped",
        _PC
        + """\
    return 4 * ((hidden_size + input_size) * input_size + input_size)
""",
        why="the input and hidden sizes are swapped: Wx is (D, 4H), Wh (H, 4H), b (4H,)",
    ),
    Entry(
        "lstm_param_count",
        "one bias shared by the four gates",
        _PC
        + """\
    return 4 * (input_size + hidden_size) * hidden_size + hidden_size
""",
        why="one bias vector is counted for all four gates; each gate has its own, 4H in all",
    ),
    # ---------------------------------------------------------------- gru_step_forward
    Entry(
        "gru_step_forward",
        "z and 1 - z swapped (the other paper's convention)",
        _gs(h="z * n + (1 - z) * h_prev"),
        why="z and 1 - z are swapped: in PyTorch's GRU, z keeps the old state, h_next = (1 - z) n + z h_prev",
    ),
    Entry(
        "gru_step_forward",
        "reset gate applied before the product: (r * h) @ Wh_n",
        _gs(n="np.tanh(ax[:, 2*H:] + (r * h_prev) @ Wh[:, 2*H:] + bh[2*H:])"),
        why="r multiplies h_prev before the product; PyTorch's GRU applies r to (h_prev Wh_n + bh_n)",
    ),
    Entry(
        "gru_step_forward",
        "hidden bias of n outside the reset gate",
        _gs(n="np.tanh(ax[:, 2*H:] + r * (h_prev @ Wh[:, 2*H:]) + bh[2*H:])"),
        why="the hidden bias of n is left outside the reset gate; r scales h_prev Wh_n + bh_n together",
    ),
    Entry(
        "gru_step_forward",
        "gate blocks read as [z, r, n]",
        _gs(r="sigmoid(ax[:, H:2*H] + ah[:, H:2*H])", z="sigmoid(ax[:, :H] + ah[:, :H])"),
        why="the gate blocks are read as [z, r, n]; the columns are in PyTorch's order [r, z, n]",
    ),
    Entry(
        "gru_step_forward",
        "reset gate forgotten",
        _gs(n="np.tanh(ax[:, 2*H:] + ah[:, 2*H:])"),
        why="the reset gate is missing: r scales the recurrent part of the candidate n",
    ),
    Entry(
        "gru_step_forward",
        "sigmoid on the candidate n",
        _gs(n="sigmoid(ax[:, 2*H:] + r * ah[:, 2*H:])"),
        why="the candidate n goes through a sigmoid; it uses tanh",
    ),
    Entry(
        "gru_step_forward", "hidden biases bh forgotten", _gs(bh="0"), why="the hidden biases bh are missing"
    ),
    Entry(
        "gru_step_forward",
        "tanh on the update gate",
        _gs(z="np.tanh(ax[:, H:2*H] + ah[:, H:2*H])"),
        why="the update gate goes through tanh; gates use a sigmoid",
    ),
    # ---------------------------------------------------------------------- gru_forward
    Entry(
        "gru_forward",
        "hidden state not carried: h0 at every step",
        _gf(step="h_new, sc = gru_step_forward(x[:, t], h0, Wx, Wh, bx, bh)", store="h[:, t] = h_new"),
        why="the hidden state is not carried: every step starts from h0 instead of the previous step's state",
    ),
    Entry(
        "gru_forward",
        "reads the sequence backwards",
        _gf(loop="for t in reversed(range(T)):"),
        why="the sequence is read from the last step to the first; a GRU reads t = 0, 1, ..., T-1",
    ),
    Entry(
        "gru_forward",
        "off by one: stores the state before the step",
        _gf(
            step="h[:, t] = h_prev\n        h_prev, sc = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)",
            store="",
        ),
        why="off by one: h[:, t] holds the state before step t; it must hold the state after reading x[:, t]",
    ),
    Entry(
        "gru_forward",
        "returns only the last state",
        _gf(ret="return h_prev, caches"),
        why="only the last state is returned; h must hold the state after every step, shape (N, T, H)",
    ),
    Entry(
        "gru_forward",
        "states stacked time-major (T, N, H)",
        _gf(ret="return h.transpose(1, 0, 2), caches"),
        why="the states are returned time-major (T, N, H); h is batch first, (N, T, H)",
    ),
    Entry(
        "gru_forward",
        "last step skipped (range(T - 1))",
        _gf(loop="for t in range(T - 1):"),
        why="the last step is skipped: loop over all T steps",
    ),
    Entry(
        "gru_forward",
        "time step read from the batch axis: x[t]",
        _gf(step="h_prev, sc = gru_step_forward(x[t], h_prev, Wx, Wh, bx, bh)"),
        why="x[t] slices the batch axis; the input at time t is x[:, t] (x is (N, T, D))",
    ),
    # ---------------------------------------------------------------- gru_step_backward
    Entry(
        "gru_step_backward",
        "update gate's gradient with the wrong sign: n - h_prev",
        _gsb(dz="dh_next * (n - h_prev)"),
        why="the update gate's gradient has the wrong sign: z weighs h_prev and 1 - z weighs n; "
        "differentiate h_next with respect to z again",
    ),
    Entry(
        "gru_step_backward",
        "candidate's gradient without the factor (1 - z)",
        _gsb(dn="dh_next"),
        why="the candidate n reaches h_next through the factor (1 - z); its gradient is missing that factor",
    ),
    Entry(
        "gru_step_backward",
        "direct path z * h_prev left out of dh_prev",
        _gsb(direct="0"),
        why="dh_prev misses the path that does not go through Wh: h_prev also enters h_next directly, "
        "weighted by z",
    ),
    Entry(
        "gru_step_backward",
        "reset gate left out of the candidate's recurrent gradient",
        _gsb(dah="np.concatenate([dax[:, :2*H], dan], axis=1)"),
        why="the recurrent part of the candidate is scaled by r in the forward pass, so its gradient "
        "(in dWh, dbh and dh_prev) needs that factor too",
    ),
    Entry(
        "gru_step_backward",
        "dbh taken equal to dbx",
        _gsb(dbh="dax.sum(axis=0)"),
        why="dbh is taken equal to dbx: bh_n sits inside the reset gate's product, so its gradient "
        "differs from bx_n's in the candidate's block",
    ),
    Entry(
        "gru_step_backward",
        "tanh derivative of the candidate forgotten",
        _gsb(dan="dn"),
        why="the candidate's gradient skips the tanh: multiply by its derivative before going on to "
        "the gates and weights",
    ),
    Entry(
        "gru_step_backward",
        "reset gate's gradient from h_prev @ Wh_n, bias left out",
        _gsb(dr="dan * (h_prev @ Wh[:, 2*H:])"),
        why="r scales h_prev Wh_n + bh_n, bias included: the reset gate's gradient needs the whole "
        "recurrent part of the candidate",
    ),
    Entry(
        "gru_step_backward",
        "sigmoid derivative of r and z forgotten",
        _gsb(dax="np.concatenate([dr, dz, dan], axis=1)"),
        why="the gradients of r and z skip the sigmoid: multiply by s (1 - s) to reach their pre-activations",
    ),
    # ---------------------------------------------------------------------- gru_backward
    Entry(
        "gru_backward",
        "gradient from the next step dropped",
        _gbw(upstream="dh[:, t]"),
        why="the gradient carried back from step t+1 is dropped: h_t feeds both the layer above and "
        "the next step, so add the two",
    ),
    Entry(
        "gru_backward",
        "walks forward in time",
        _gbw(loop="for t in range(T):"),
        why="the steps are visited from the first to the last; backpropagation through time starts "
        "at the last step and carries the gradient back",
    ),
    Entry(
        "gru_backward",
        "dWh not summed over time",
        _gbw(acc="dWx, dWh, dbx, dbh = dWx + gx, gh, dbx + gbx, dbh + gbh"),
        why="dWh keeps one step's gradient only: Wh is shared by every step, so its gradients add up "
        "over time",
    ),
    Entry(
        "gru_backward",
        "weight gradients averaged over time",
        _gbw(ret="return dx, dh_prev, dWx / T, dWh / T, dbx / T, dbh / T"),
        why="the weight and bias gradients are divided by T: the loss sums the contributions of all "
        "steps, so their gradients add up, they are not averaged",
    ),
    Entry(
        "gru_backward",
        "dh0 returned as zeros",
        _gbw(ret="return dx, np.zeros((N, H)), dWx, dWh, dbx, dbh"),
        why="dh0 is returned as zeros: the gradient carried out of the first step is the gradient of h0",
    ),
    Entry(
        "gru_backward",
        "step caches read in reverse order",
        _gbw(step="dx[:, t], dh_prev, gx, gh, gbx, gbh = gru_step_backward({upstream}, cache[T - 1 - t])"),
        why="each step's backward reads another step's cache: step t must use the cache its own "
        "forward step stored, cache[t]",
    ),
    Entry(
        "gru_backward",
        "bias gradients not summed over time",
        _gbw(acc="dWx, dWh, dbx, dbh = dWx + gx, dWh + gh, gbx, gbh"),
        why="dbx and dbh keep one step's gradient only: the biases are shared by every step, so their "
        "gradients add up over time",
    ),
]

VARIANTS = [
    # ------------------------------------------------------------------ sigmoid
    Entry(
        "sigmoid",
        "textbook 1 / (1 + exp(-x)) (warns on overflow, right values)",
        _SIG
        + """\
    return 1 / (1 + np.exp(-x))
""",
    ),
    Entry(
        "sigmoid",
        "tanh identity (1 + tanh(x / 2)) / 2",
        _SIG
        + """\
    return 0.5 * (1 + np.tanh(0.5 * x))
""",
    ),
    Entry(
        "sigmoid",
        "masked assignment into a new array",
        _SIG
        + """\
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out
""",
    ),
    Entry(
        "sigmoid",
        "clipped to [-500, 500] (exp cannot overflow, same values)",
        _SIG
        + """\
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
""",
    ),
    # ------------------------------------------------------------ lstm_step_forward
    Entry(
        "lstm_step_forward",
        "concatenated [x, h_prev] times stacked weights",
        _STEP
        + """\
    H = h_prev.shape[1]
    xh = np.concatenate([x, h_prev], axis=1)           # (N, D + H)
    a = xh @ np.vstack([Wx, Wh]) + b                   # (N, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), sigmoid(a[:, 3*H:])
    g = np.tanh(a[:, 2*H:3*H])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "gates through a (N, 4, H) reshape",
        _STEP
        + """\
    N, H = h_prev.shape
    a = (x @ Wx + h_prev @ Wh + b).reshape(N, 4, H)
    i, f, g, o = sigmoid(a[:, 0]), sigmoid(a[:, 1]), np.tanh(a[:, 2]), sigmoid(a[:, 3])
    c_next = c_prev * f + g * i
    tanh_c = np.tanh(c_next)
    return tanh_c * o, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "one sigmoid over all 4H, then tanh for g; np.split",
        _STEP
        + """\
    a = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
    s = sigmoid(a)
    i, f, _, o = np.split(s, 4, axis=1)
    g = np.tanh(np.split(a, 4, axis=1)[2])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "float32 in, float32 out: computes in the inputs' dtype",
        _STEP
        + """\
    dtype = np.result_type(x, h_prev, c_prev, Wx, Wh, b)
    x, h_prev, c_prev = x.astype(dtype), h_prev.astype(dtype), c_prev.astype(dtype)
    H = h_prev.shape[1]
    a = np.einsum("nd,dk->nk", x, Wx.astype(dtype)) + np.einsum("nh,hk->nk", h_prev, Wh.astype(dtype)) + b.astype(dtype)
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sigmoid(a[:, 3*H:])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "gates laid out [i, f, o, g] internally (one sigmoid over 3H)",
        _STEP
        + """\
    H = h_prev.shape[1]
    order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]    # columns of [i, f, o, g]
    a = x @ Wx[:, order] + h_prev @ Wh[:, order] + b[order]
    s = sigmoid(a[:, :3 * H])
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]
    g = np.tanh(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    # ------------------------------------------------------------------ lstm_forward
    Entry(
        "lstm_forward",
        "states collected in a list, np.stack(axis=1)",
        _SEQ
        + """\
    c = np.zeros_like(h0) if c0 is None else c0
    h_t, hs, caches = h0, [], []
    for t in range(x.shape[1]):
        h_t, c, sc = lstm_step_forward(x[:, t, :], h_t, c, Wx, Wh, b)
        hs.append(h_t)
        caches.append(sc)
    return np.stack(hs, axis=1), caches
""",
    ),
    Entry(
        "lstm_forward",
        "time-major buffer (T, N, H), transposed at the end",
        _SEQ
        + """\
    N, T, D = x.shape
    H = Wh.shape[0]
    xs = x.transpose(1, 0, 2)                           # (T, N, D)
    out = np.empty((T, N, H), dtype=np.result_type(x, h0))
    h_t = h0
    c_t = np.zeros((N, H), dtype=out.dtype) if c0 is None else c0
    caches = []
    for t, x_t in enumerate(xs):
        h_t, c_t, sc = lstm_step_forward(x_t, h_t, c_t, Wx, Wh, b)
        out[t] = h_t
        caches.append(sc)
    return np.ascontiguousarray(out.transpose(1, 0, 2)), caches
""",
    ),
    Entry(
        "lstm_forward",
        "float32 buffers when the inputs are float32, while loop",
        _SEQ
        + """\
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H), dtype=x.dtype)
    c_prev = np.zeros((N, H), dtype=x.dtype) if c0 is None else c0.copy()
    h_prev, caches, t = h0.copy(), [], 0
    while t < T:
        h_prev, c_prev, sc = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        h[:, t, :] = h_prev
        caches.append(sc)
        t += 1
    return h, caches
""",
    ),
    # ------------------------------------------------------------ lstm_step_backward
    Entry(
        "lstm_step_backward",
        "preallocated da filled block by block",
        _SB
        + """\
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    H = h_prev.shape[1]
    dc = dc_next + dh_next * o * (1 - tanh_c * tanh_c)
    da = np.empty((x.shape[0], 4 * H), dtype=np.result_type(dh_next, i))
    da[:, :H] = dc * g * i * (1 - i)
    da[:, H:2 * H] = dc * c_prev * f * (1 - f)
    da[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    da[:, 3 * H:] = dh_next * tanh_c * o * (1 - o)
    return np.dot(da, Wx.T), np.dot(da, Wh.T), dc * f, np.dot(x.T, da), np.dot(h_prev.T, da), np.sum(da, axis=0)
""",
    ),
    Entry(
        "lstm_step_backward",
        "one product with the stacked weights, split into dx and dh",
        _SB
        + """\
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    D = x.shape[1]
    do = dh_next * tanh_c
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)])
    dxh = da @ np.vstack([Wx, Wh]).T                   # (N, D + H)
    dW = np.hstack([x, h_prev]).T @ da                 # (D + H, 4H)
    return dxh[:, :D], dxh[:, D:], f * dc, dW[:D], dW[D:], da.sum(0)
""",
    ),
    Entry(
        "lstm_step_backward",
        "einsum for the weight gradients",
        _SB
        + """\
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = dh_next * o * (1 - tanh_c ** 2) + dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), dh_next * tanh_c * o * (1 - o)], axis=-1)
    return (np.einsum("nk,dk->nd", da, Wx), np.einsum("nk,hk->nh", da, Wh), dc * f,
            np.einsum("nd,nk->dk", x, da), np.einsum("nh,nk->hk", h_prev, da), np.einsum("nk->k", da))
""",
    ),
    Entry(
        "lstm_step_backward",
        "gate gradients built as [i, f, o, g], columns permuted back",
        _SB
        + """\
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    H = i.shape[1]
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    s = np.hstack([i, f, o])
    ds = np.hstack([dc * g, dc * c_prev, dh_next * tanh_c])
    da_ifog = np.hstack([ds * s * (1 - s), dc * i * (1 - g ** 2)])
    back = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]      # position of [i, f, g, o] blocks in [i, f, o, g]
    da = da_ifog[:, np.argsort(back)]
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
""",
    ),
    # ------------------------------------------------------------------ lstm_backward
    Entry(
        "lstm_backward",
        "zeros_like accumulators with +=",
        _BW
        + """\
    N, T, H = dh.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx_t, dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, cache[t])
        dx[:, t] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db
""",
    ),
    Entry(
        "lstm_backward",
        "per-step gradients in lists, summed at the end",
        _BW
        + """\
    N, T, H = dh.shape
    dhs, dcs = np.zeros((N, H)), np.zeros((N, H))
    dxs, gx, gh, gb = [], [], [], []
    for t in reversed(range(T)):
        out = lstm_step_backward(dh[:, t] + dhs, dcs, cache[t])
        dxs.append(out[0]); dhs, dcs = out[1], out[2]
        gx.append(out[3]); gh.append(out[4]); gb.append(out[5])
    return np.stack(dxs[::-1], axis=1), dhs, np.sum(gx, axis=0), np.sum(gh, axis=0), np.sum(gb, axis=0)
""",
    ),
    Entry(
        "lstm_backward",
        "float32 upstream keeps float32 buffers",
        _BW
        + """\
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.empty((N, T, D), dtype=dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    dc_prev = np.zeros_like(dh_prev)
    grads = None
    for t in reversed(range(T)):
        step = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, cache[t])
        dx[:, t], dh_prev, dc_prev = step[:3]
        grads = step[3:] if grads is None else tuple(a + b for a, b in zip(grads, step[3:]))
    return (dx, dh_prev) + grads
""",
    ),
    Entry(
        "lstm_backward",
        "step gradients written inline from the cache, time-major buffers",
        _BW
        + """\
    N, T, H = dh.shape
    Wx, Wh = cache[0][3], cache[0][4]
    da = np.zeros((T, N, 4 * H))
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        x, h_prev, c_prev, _, _, i, f, g, o, tanh_c = cache[t]
        dh_t = dh[:, t] + dh_next
        dc = dc_next + dh_t * o * (1 - tanh_c ** 2)
        da[t] = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                           dc * i * (1 - g ** 2), dh_t * tanh_c * o * (1 - o)])
        dh_next, dc_next = da[t] @ Wh.T, dc * f
    xs = np.stack([c[0] for c in cache])                 # (T, N, D)
    hs = np.stack([c[1] for c in cache])                 # (T, N, H) states fed into each step
    dx = np.einsum("tnk,dk->ntd", da, Wx)
    return dx, dh_next, np.einsum("tnd,tnk->dk", xs, da), np.einsum("tnh,tnk->hk", hs, da), da.sum(axis=(0, 1))
""",
    ),
    # ---------------------------------------------------------------- lstm_param_count
    Entry(
        "lstm_param_count",
        "4 (D + H + 1) H",
        _PC
        + """\
    return 4 * (input_size + hidden_size + 1) * hidden_size
""",
    ),
    Entry(
        "lstm_param_count",
        "sum of the sizes of Wx, Wh and b",
        _PC
        + """\
    D, H = input_size, hidden_size
    shapes = [(D, 4 * H), (H, 4 * H), (4 * H,)]
    return int(sum(np.prod(s) for s in shapes))
""",
    ),
    Entry(
        "lstm_param_count",
        "by building zero weights and counting",
        _PC
        + """\
    Wx = np.zeros((input_size, 4 * hidden_size))
    Wh = np.zeros((hidden_size, 4 * hidden_size))
    b = np.zeros(4 * hidden_size)
    return Wx.size + Wh.size + b.size
""",
    ),
    # ---------------------------------------------------------------- gru_step_forward
    Entry(
        "gru_step_forward",
        "r and z from one sigmoid over 2H columns; h = n + z (h - n)",
        _GS
        + """\
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    rz = sigmoid(ax[:, :2 * H] + ah[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return n + z * (h_prev - n), (x, h_prev, Wx, Wh, r, z, n, ah)
""",
    ),
    Entry(
        "gru_step_forward",
        "weights split per gate with np.split",
        _GS
        + """\
    Wxr, Wxz, Wxn = np.split(Wx, 3, axis=1)
    Whr, Whz, Whn = np.split(Wh, 3, axis=1)
    bxr, bxz, bxn = np.split(bx, 3)
    bhr, bhz, bhn = np.split(bh, 3)
    ah_r, ah_z, ah_n = h_prev @ Whr + bhr, h_prev @ Whz + bhz, h_prev @ Whn + bhn
    r = sigmoid(x @ Wxr + bxr + ah_r)
    z = sigmoid(x @ Wxz + bxz + ah_z)
    n = np.tanh(x @ Wxn + bxn + r * ah_n)
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, np.hstack([ah_r, ah_z, ah_n]))
""",
    ),
    Entry(
        "gru_step_forward",
        "float32 in, float32 out",
        _GS
        + """\
    dt = np.result_type(x, h_prev, Wx, Wh, bx, bh)
    H = h_prev.shape[1]
    ax = (x @ Wx + bx).astype(dt)
    ah = (h_prev @ Wh + bh).astype(dt)
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2*H] + ah[:, H:2*H])
    n = np.tanh(ax[:, 2*H:] + r * ah[:, 2*H:])
    return ((1 - z) * n + z * h_prev).astype(dt), (x, h_prev, Wx, Wh, r, z, n, ah)
""",
    ),
    # ---------------------------------------------------------------------- gru_forward
    Entry(
        "gru_forward",
        "list of states, np.stack(axis=1)",
        _GF
        + """\
    hs, caches, h_t = [], [], h0
    for x_t in np.moveaxis(x, 1, 0):
        h_t, sc = gru_step_forward(x_t, h_t, Wx, Wh, bx, bh)
        hs.append(h_t)
        caches.append(sc)
    return np.stack(hs, axis=1), caches
""",
    ),
    Entry(
        "gru_forward",
        "step written inline, input projection for all steps at once",
        _GF
        + """\
    N, T, D = x.shape
    H = h0.shape[1]
    ax = x @ Wx + bx                                   # (N, T, 3H)
    h = np.empty((N, T, H))
    h_prev, caches = h0, []
    for t in range(T):
        ah = h_prev @ Wh + bh
        r = sigmoid(ax[:, t, :H] + ah[:, :H])
        z = sigmoid(ax[:, t, H:2*H] + ah[:, H:2*H])
        n = np.tanh(ax[:, t, 2*H:] + r * ah[:, 2*H:])
        caches.append((x[:, t], h_prev, Wx, Wh, r, z, n, ah))
        h_prev = h[:, t] = (1 - z) * n + z * h_prev
    return h, caches
""",
    ),
    Entry(
        "gru_forward",
        "float32 buffers for float32 inputs",
        _GF
        + """\
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=np.result_type(x, h0))
    h_prev, caches = h0, []
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)
        h[:, t] = h_prev
        caches += [step_cache]
    return h, caches
""",
    ),
    # Composite functions written without their callees (or pairing an inlined
    # forward with a called step backward): full marks, whatever the callees do.
    Entry(
        "lstm_step_forward",
        "sigmoid written out: 1 / (1 + exp(-a))",
        _STEP
        + """\
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    s = 1 / (1 + np.exp(-a))                          # the gates' sigmoid, all 4H columns
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
    g = np.tanh(a[:, 2 * H:3 * H])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "sigmoid through tanh: (1 + tanh(a / 2)) / 2",
        _STEP
        + """\
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o = [(1 + np.tanh(v / 2)) / 2 for v in (a_i, a_f, a_o)]
    g = np.tanh(a_g)
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    return o * tanh_c, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_step_forward",
        "stable sigmoid written out with np.logaddexp",
        _STEP
        + """\
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    sig = lambda v: np.exp(-np.logaddexp(0.0, -v))    # 1 / (1 + e^-v), never overflows
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
""",
    ),
    Entry(
        "lstm_forward",
        "step written inline, step caches in lstm_step_forward's layout",
        _SEQ
        + """\
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H))
    c_prev = np.zeros((N, H)) if c0 is None else c0
    h_prev, caches = h0, []
    for t in range(T):
        a = x[:, t] @ Wx + h_prev @ Wh + b
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
        g = np.tanh(a[:, 2 * H:3 * H])
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        caches.append((x[:, t], h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c))
        h_prev, c_prev = o * tanh_c, c_next
        h[:, t] = h_prev
    return h, caches
""",
    ),
    Entry(
        "lstm_forward",
        "step inline, input projection for all steps at once, one sigmoid over 4H",
        _SEQ
        + """\
    N, T, _ = x.shape
    H = h0.shape[1]
    ax = x @ Wx + b                                   # (N, T, 4H): no recurrence in it
    h = np.empty((N, T, H))
    h_prev, c_prev, caches = h0, (np.zeros((N, H)) if c0 is None else c0), []
    for t in range(T):
        a = ax[:, t] + h_prev @ Wh
        s = sigmoid(a)
        i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
        g = np.tanh(a[:, 2 * H:3 * H])
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        caches.append((x[:, t], h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c))
        h_prev, c_prev = o * tanh_c, c_next
        h[:, t] = h_prev
    return h, caches
""",
    ),
    Entry(
        "lstm_forward",
        "step inline with sigmoid written out, a while loop, time-major buffer",
        _SEQ
        + """\
    N, T, _ = x.shape
    H = h0.shape[1]
    hs = np.empty((T, N, H))
    h_prev = h0
    c_prev = np.zeros_like(h0) if c0 is None else c0
    caches, t = [], 0
    while t < T:
        a = x[:, t] @ Wx + h_prev @ Wh + b
        gates = 1 / (1 + np.exp(-a))
        i, f, o = gates[:, :H], gates[:, H:2 * H], gates[:, 3 * H:]
        g = np.tanh(a[:, 2 * H:3 * H])
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        caches.append((x[:, t], h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c))
        h_prev, c_prev = o * tanh_c, c_next
        hs[t] = h_prev
        t += 1
    return hs.transpose(1, 0, 2), caches
""",
    ),
    Entry(
        "lstm_backward",
        "step backward written out in the loop, read from the step caches",
        _BW
        + """\
    N, T, H = dh.shape
    Wx, Wh = cache[0][3], cache[0][4]
    dx = np.empty((N, T, Wx.shape[0]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        x_t, h_prev, c_prev, _, _, i, f, g, o, tanh_c = cache[t]
        dh_t = dh[:, t] + dh_next
        dc = dc_next + dh_t * o * (1 - tanh_c ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g ** 2), dh_t * tanh_c * o * (1 - o)], axis=1)
        dx[:, t] = da @ Wx.T
        dh_next, dc_next = da @ Wh.T, dc * f
        dWx += x_t.T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
    return dx, dh_next, dWx, dWh, db
""",
    ),
    Entry(
        "lstm_backward",
        "gate gradients of every step collected, weight gradients by einsum after the loop",
        _BW
        + """\
    N, T, H = dh.shape
    Wx, Wh = cache[0][3], cache[0][4]
    da = np.empty((N, T, 4 * H))
    carry_h, carry_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        _, _, c_prev, _, _, i, f, g, o, tanh_c = cache[t]
        dh_t = dh[:, t] + carry_h
        dc = carry_c + dh_t * o * (1 - tanh_c ** 2)
        da[:, t, :H] = dc * g * i * (1 - i)
        da[:, t, H:2 * H] = dc * c_prev * f * (1 - f)
        da[:, t, 2 * H:3 * H] = dc * i * (1 - g ** 2)
        da[:, t, 3 * H:] = dh_t * tanh_c * o * (1 - o)
        carry_h, carry_c = da[:, t] @ Wh.T, dc * f
    xs = np.stack([c[0] for c in cache], axis=1)      # (N, T, D)
    hs = np.stack([c[1] for c in cache], axis=1)      # (N, T, H) states fed into each step
    return (da @ Wx.T, carry_h, np.einsum("ntd,ntg->dg", xs, da),
            np.einsum("nth,ntg->hg", hs, da), da.sum(axis=(0, 1)))
""",
    ),
    Entry(
        "gru_step_forward",
        "sigmoid written out: 1 / (1 + exp(-a))",
        _GS
        + """\
    H = h_prev.shape[1]
    ax = x @ Wx + bx
    ah = h_prev @ Wh + bh
    rz = 1 / (1 + np.exp(-(ax[:, :2 * H] + ah[:, :2 * H])))
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, ah)
""",
    ),
    Entry(
        "gru_step_forward",
        "sigmoid through tanh, gates one at a time",
        _GS
        + """\
    H = h_prev.shape[1]
    sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
    r = sig(x @ Wx[:, :H] + bx[:H] + h_prev @ Wh[:, :H] + bh[:H])
    z = sig(x @ Wx[:, H:2 * H] + bx[H:2 * H] + h_prev @ Wh[:, H:2 * H] + bh[H:2 * H])
    ah = h_prev @ Wh + bh
    n = np.tanh(x @ Wx[:, 2 * H:] + bx[2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, ah)
""",
    ),
    Entry(
        "gru_step_forward",
        "stable sigmoid written out with np.logaddexp",
        _GS
        + """\
    H = h_prev.shape[1]
    ax = x @ Wx + bx
    ah = h_prev @ Wh + bh
    pre = ax[:, :2 * H] + ah[:, :2 * H]
    rz = np.exp(-np.logaddexp(0.0, -pre))
    r, z = np.split(rz, 2, axis=1)
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return n + z * (h_prev - n), (x, h_prev, Wx, Wh, r, z, n, ah)
""",
    ),
    Entry(
        "gru_forward",
        "step written inline with the sigmoid written out, caches in a list",
        _GF
        + """\
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H))
    h_prev, caches = h0, []
    for t in range(T):
        ax = x[:, t] @ Wx + bx
        ah = h_prev @ Wh + bh
        r = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
        z = 1 / (1 + np.exp(-(ax[:, H:2 * H] + ah[:, H:2 * H])))
        n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        caches.append((x[:, t], h_prev, Wx, Wh, r, z, n, ah))
        h_prev = (1 - z) * n + z * h_prev
        h[:, t] = h_prev
    return h, caches
""",
    ),
    Entry(
        "gru_forward",
        "step inline over a time-major copy, states in a list",
        _GF
        + """\
    H = h0.shape[1]
    xt = np.transpose(x, (1, 0, 2))                   # (T, N, D)
    states, caches, h_prev = [], [], h0
    for x_t in xt:
        ax = x_t @ Wx + bx
        ah = h_prev @ Wh + bh
        rz = sigmoid(ax[:, :2 * H] + ah[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        caches.append((x_t, h_prev, Wx, Wh, r, z, n, ah))
        h_prev = (1 - z) * n + z * h_prev
        states.append(h_prev)
    return np.stack(states, axis=1), caches
""",
    ),
    # ---------------------------------------------------------------- gru_step_backward
    Entry(
        "gru_step_backward",
        "preallocated dax filled block by block, np.dot",
        _GSB
        + """\
    x, h_prev, Wx, Wh, r, z, n, ah = cache
    H = h_prev.shape[1]
    dan = dh_next * (1 - z) * (1 - n * n)
    dax = np.empty((x.shape[0], 3 * H), dtype=np.result_type(dh_next, r))
    dax[:, :H] = dan * ah[:, 2 * H:] * r * (1 - r)
    dax[:, H:2 * H] = dh_next * (h_prev - n) * z * (1 - z)
    dax[:, 2 * H:] = dan
    dah = dax.copy()
    dah[:, 2 * H:] *= r
    return (np.dot(dax, Wx.T), z * dh_next + np.dot(dah, Wh.T), np.dot(x.T, dax), np.dot(h_prev.T, dah),
            np.sum(dax, axis=0), np.sum(dah, axis=0))
""",
    ),
    Entry(
        "gru_step_backward",
        "one gate at a time, weight gradients stacked with hstack",
        _GSB
        + """\
    x, h_prev, Wx, Wh, r, z, n, ah = cache
    H = h_prev.shape[1]
    Wx_r, Wx_z, Wx_n = np.split(Wx, 3, axis=1)
    Wh_r, Wh_z, Wh_n = np.split(Wh, 3, axis=1)
    d_hat_n = dh_next * (1 - z) * (1 - n ** 2)          # pre-activation of the candidate
    d_hat_r = d_hat_n * ah[:, 2 * H:] * r * (1 - r)
    d_hat_z = dh_next * (h_prev - n) * z * (1 - z)
    d_rec_n = d_hat_n * r                               # what reaches h_prev @ Wh_n + bh_n
    dx = d_hat_r @ Wx_r.T + d_hat_z @ Wx_z.T + d_hat_n @ Wx_n.T
    dh_prev = dh_next * z + d_hat_r @ Wh_r.T + d_hat_z @ Wh_z.T + d_rec_n @ Wh_n.T
    dWx = np.hstack([x.T @ d_hat_r, x.T @ d_hat_z, x.T @ d_hat_n])
    dWh = np.hstack([h_prev.T @ d_hat_r, h_prev.T @ d_hat_z, h_prev.T @ d_rec_n])
    dbx = np.concatenate([d_hat_r.sum(0), d_hat_z.sum(0), d_hat_n.sum(0)])
    dbh = np.concatenate([d_hat_r.sum(0), d_hat_z.sum(0), d_rec_n.sum(0)])
    return dx, dh_prev, dWx, dWh, dbx, dbh
""",
    ),
    Entry(
        "gru_step_backward",
        "einsum everywhere, h_next written as n + z (h_prev - n)",
        _GSB
        + """\
    x, h_prev, Wx, Wh, r, z, n, ah = cache
    H = h_prev.shape[1]
    # h_next = n + z (h_prev - n): the candidate gets dh (1 - z), z gets dh (h_prev - n)
    dpre_n = (dh_next - dh_next * z) * (1 - np.square(n))
    dpre = np.concatenate([dpre_n * ah[:, 2 * H:] * r * (1 - r), dh_next * (h_prev - n) * z * (1 - z), dpre_n], -1)
    drec = np.concatenate([dpre[:, :2 * H], dpre_n * r], -1)
    return (np.einsum("ng,dg->nd", dpre, Wx), dh_next * z + np.einsum("ng,hg->nh", drec, Wh),
            np.einsum("nd,ng->dg", x, dpre), np.einsum("nh,ng->hg", h_prev, drec),
            np.einsum("ng->g", dpre), np.einsum("ng->g", drec))
""",
    ),
    # ---------------------------------------------------------------------- gru_backward
    Entry(
        "gru_backward",
        "zeros_like accumulators with +=",
        _GBW
        + """\
    N, T, H = dh.shape
    x0, _, Wx, Wh = cache[0][:4]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    dbx, dbh = np.zeros(3 * H), np.zeros(3 * H)
    dh_next = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx_t, dh_next, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(dh[:, t] + dh_next, cache[t])
        dx[:, t] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        dbx += dbx_t
        dbh += dbh_t
    return dx, dh_next, dWx, dWh, dbx, dbh
""",
    ),
    Entry(
        "gru_backward",
        "per-step gradients in lists, summed at the end",
        _GBW
        + """\
    N, T, H = dh.shape
    carry = np.zeros((N, H))
    dxs, grads = [], []
    for t in reversed(range(T)):
        dx_t, carry, *g = gru_step_backward(dh[:, t] + carry, cache[t])
        dxs.append(dx_t)
        grads.append(g)
    sums = [np.sum([g[k] for g in grads], axis=0) for k in range(4)]
    return (np.stack(dxs[::-1], axis=1), carry, *sums)
""",
    ),
    Entry(
        "gru_backward",
        "step backward written out in the loop, weight gradients by einsum after it",
        _GBW
        + """\
    N, T, H = dh.shape
    Wx, Wh = cache[0][2], cache[0][3]
    dax, dah = np.empty((N, T, 3 * H)), np.empty((N, T, 3 * H))
    carry = np.zeros((N, H))
    for t in reversed(range(T)):
        _, h_prev, _, _, r, z, n, ah = cache[t]
        g = dh[:, t] + carry
        dan = g * (1 - z) * (1 - n ** 2)
        dax[:, t] = np.hstack([dan * ah[:, 2 * H:] * r * (1 - r), g * (h_prev - n) * z * (1 - z), dan])
        dah[:, t] = np.hstack([dax[:, t, :2 * H], dan * r])
        carry = g * z + dah[:, t] @ Wh.T
    xs = np.stack([c[0] for c in cache], axis=1)      # (N, T, D)
    hs = np.stack([c[1] for c in cache], axis=1)      # (N, T, H) states fed into each step
    return (dax @ Wx.T, carry, np.einsum("ntd,ntg->dg", xs, dax), np.einsum("nth,ntg->hg", hs, dah),
            dax.sum(axis=(0, 1)), dah.sum(axis=(0, 1)))
""",
    ),
    Entry(
        "gru_backward",
        "a while loop, float32 upstream keeps float32 buffers",
        _GBW
        + """\
    N, T, H = dh.shape
    dx = np.empty((N, T, cache[0][0].shape[1]), dtype=dh.dtype)
    dh_prev = np.zeros((N, H), dtype=dh.dtype)
    total, t = None, T - 1
    while t >= 0:
        step = gru_step_backward(dh[:, t] + dh_prev, cache[t])
        dx[:, t], dh_prev = step[0], step[1]
        total = list(step[2:]) if total is None else [a + b for a, b in zip(total, step[2:])]
        t -= 1
    return (dx, dh_prev, *total)
""",
    ),
]
