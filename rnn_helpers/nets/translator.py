"""Small PyTorch models for the end of the notebooks: an encoder-decoder with
additive attention that translates dates, and what it needs to train and test.

Dimensions: N batch, T input characters, U output characters (10), E
embedding size, H encoder state size, S decoder state size, A attention size,
V vocabulary size.

The attention weights use the layout of the numpy exercise (row vectors):
Wa (S, A), Ua (H, A), va (A,), so that a student's numpy
`additive_attention(s_prev, h, Wa, Ua, va, mask)` can be plugged into a trained
model (`model.numpy_attention(additive_attention)`) and must give the same
translations as the torch port it replaces.
"""

import math

import numpy as np
import torch
from torch import nn

from rnn_helpers.data import dates


def additive_attention_torch(s_prev, h, Wa, Ua, va, mask=None, keys=None):
    """Torch port of additive (Bahdanau) attention, differentiable.

    Inputs: s_prev (N, S), h (N, T, H), Wa (S, A), Ua (H, A), va (A,) tensors;
    mask (N, T) bool tensor, True = may be attended to, or None; keys (N, T, A)
    optionally h @ Ua computed in advance (it is the same at every decoder step).
    Returns (context (N, H), weights (N, T)); masked weights are exactly 0 and
    a row that keeps nothing has all-zero weights.
    """
    keys = h @ Ua if keys is None else keys
    scores = torch.tanh((s_prev @ Wa)[:, None, :] + keys) @ va  # (N, T)
    if mask is not None:
        # -inf makes exp() exactly 0; a row with nothing kept would be all -inf
        # and give NaN, so those rows are computed on zeros and then zeroed.
        empty = ~mask.any(dim=1, keepdim=True)
        scores = scores.masked_fill(~mask, -math.inf).masked_fill(empty, 0.0)
        weights = torch.softmax(scores, dim=1).masked_fill(empty, 0.0)
    else:
        weights = torch.softmax(scores, dim=1)
    return (weights[:, :, None] * h).sum(dim=1), weights


def _as_numpy(t):
    """A tensor as a float64 numpy array, the dtype the numpy exercises expect."""
    return t.detach().double().numpy()


class AdditiveAttention(nn.Module):
    """Additive attention with learnable Wa (S, A), Ua (H, A), va (A,)."""

    def __init__(self, S, H, A):
        super().__init__()
        self.Wa = nn.Parameter(torch.randn(S, A) / math.sqrt(S))
        self.Ua = nn.Parameter(torch.randn(H, A) / math.sqrt(H))
        self.va = nn.Parameter(torch.randn(A) / math.sqrt(A))
        self.numpy_fn = None  # set by DateTranslator.numpy_attention

    def forward(self, s_prev, h, mask=None, keys=None):
        """s_prev (N, S), h (N, T, H), mask (N, T) bool or None, keys (N, T, A)
        = h @ Ua or None -> (context (N, H), weights (N, T))."""
        if self.numpy_fn is None:
            return additive_attention_torch(s_prev, h, self.Wa, self.Ua, self.va, mask, keys)
        if torch.is_grad_enabled():
            raise RuntimeError(
                "a numpy attention function cannot be trained through; "
                "call the model under torch.no_grad() (translate() does)"
            )
        context, weights = self.numpy_fn(
            _as_numpy(s_prev),
            _as_numpy(h),
            _as_numpy(self.Wa),
            _as_numpy(self.Ua),
            _as_numpy(self.va),
            None if mask is None else mask.numpy(),
        )
        return (
            torch.as_tensor(np.asarray(context), dtype=h.dtype),
            torch.as_tensor(np.asarray(weights), dtype=h.dtype),
        )


class DateTranslator(nn.Module):
    """Character encoder-decoder: GRU encoder, GRU decoder, optional attention.

    With attention, each decoder step reads a context vector that attends over
    all encoder states. Without it, the context is the encoder's last state
    at every step: the whole input must squeeze through one vector of size H,
    the bottleneck that attention removes.
    """

    def __init__(
        self, attention=True, E=16, H=48, S=48, A=32, V_in=len(dates.IN_VOCAB), V_out=len(dates.OUT_VOCAB)
    ):
        super().__init__()
        self.embed_in = nn.Embedding(V_in, E, padding_idx=dates.IN_VOCAB.pad_idx)
        self.encoder = nn.GRU(E, H, batch_first=True)
        self.embed_out = nn.Embedding(V_out, E)
        self.init_state = nn.Linear(H, S)
        self.attention = AdditiveAttention(S, H, A) if attention else None
        self.decoder = nn.GRUCell(E + H, S)
        self.readout = nn.Linear(S + H, V_out)

    def numpy_attention(self, fn):
        """Use fn(s_prev, h, Wa, Ua, va, mask) -> (context, weights), numpy, in
        place of the torch port (inference only); None restores the port."""
        if self.attention is None:
            raise ValueError("this model was built with attention=False")
        self.attention.numpy_fn = fn

    def encode(self, x, mask):
        """x (N, T) indices, mask (N, T) bool -> states (N, T, H), last state (N, H).

        The encoder reads left to right, so the states up to each sequence's
        own length do not depend on the padding after it; the last real state
        is picked out per sequence (states over padding are masked out of
        attention). This is much faster on a CPU than packed sequences.
        """
        h, _ = self.encoder(self.embed_in(x))  # (N, T, H)
        last = h[torch.arange(x.shape[0]), mask.sum(dim=1) - 1]
        return h, last

    def forward(self, x, mask, y_in=None):
        """Decode all U = 10 output characters.

        Inputs: x (N, T) indices and mask (N, T) bool, tensors; y_in (N, U)
        the true previous characters (teacher forcing, for training) or None
        (greedy decoding: each step reads the previous prediction).
        Returns (logits (N, U, V_out), weights (N, U, T), or None without attention).
        """
        h, last = self.encode(x, mask)
        s = torch.tanh(self.init_state(last))
        keys = None
        if self.attention is not None and self.attention.numpy_fn is None:
            keys = h @ self.attention.Ua  # (N, T, A), the same at every step
        y_prev = torch.full((x.shape[0],), dates.OUT_VOCAB.start_idx)
        logits, weights = [], []
        for u in range(dates.OUT_LEN):
            if y_in is not None:
                y_prev = y_in[:, u]
            if self.attention is None:
                context = last
            else:
                context, w = self.attention(s, h, mask, keys)
                weights.append(w)
            s = self.decoder(torch.cat([self.embed_out(y_prev), context], dim=1), s)
            logits.append(self.readout(torch.cat([s, context], dim=1)))
            if y_in is None:
                y_prev = logits[-1].argmax(dim=1)
        return torch.stack(logits, 1), (torch.stack(weights, 1) if weights else None)

    @torch.no_grad()
    def translate(self, x, mask):
        """Greedy decoding. x (N, T), mask (N, T): numpy arrays or tensors.

        Returns (y (N, U) int64 numpy, weights (N, U, T) numpy or None).
        """
        self.eval()
        logits, weights = self(torch.as_tensor(x), torch.as_tensor(mask))
        return logits.argmax(dim=2).numpy(), None if weights is None else weights.numpy()


def shift_right(y):
    """Decoder inputs for teacher forcing: <s> followed by y without its last column."""
    start = np.full((y.shape[0], 1), dates.OUT_VOCAB.start_idx, dtype=y.dtype)
    return np.concatenate([start, y[:, :-1]], axis=1)


def train_translator(model, steps, batch_size=128, lr=1e-2, seed=0, progress=None):
    """Train on freshly generated dates (no epoch: every batch is new).

    Inputs: model (DateTranslator), steps, batch_size, lr (Adam), seed;
    progress: a tqdm-like factory (e.g. tqdm.auto.tqdm) or None.
    Returns the list of training losses, one per step.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    losses = []
    it = range(steps) if progress is None else progress(range(steps), desc="training")
    model.train()
    for _ in it:
        x, mask, y = dates.encode(*dates.random_dates(batch_size, rng))
        logits, _ = model(torch.as_tensor(x), torch.as_tensor(mask), torch.as_tensor(shift_right(y)))
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), torch.as_tensor(y).reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    model.eval()
    return losses


def accuracy_by_length(model, texts, isos, bins):
    """Exact-match accuracy (all 10 characters right) per input-length bin.

    Inputs: texts, isos (lists of str); bins: increasing bin edges in characters.
    Returns (centres, accuracy, counts), arrays of len(bins) - 1; accuracy is
    NaN for an empty bin.
    """
    x, mask, y = dates.encode(texts, isos)
    pred, _ = model.translate(x, mask)
    right = (pred == y).all(axis=1)
    lengths = mask.sum(axis=1)
    which = np.digitize(lengths, bins) - 1
    acc = np.array([right[which == k].mean() if np.any(which == k) else np.nan for k in range(len(bins) - 1)])
    counts = np.bincount(which[(which >= 0) & (which < len(bins) - 1)], minlength=len(bins) - 1)
    return (np.asarray(bins[:-1]) + np.asarray(bins[1:])) / 2, acc, counts
