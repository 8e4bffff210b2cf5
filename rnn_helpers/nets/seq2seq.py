"""A small encoder-decoder, and a generated task for it: numbers -> English words.

"342" -> "three hundred forty two": input and output have different lengths
(1-3 digits in, 1-4 words or up to 24 characters out), every output token
depends on the input, and a model learns it on a CPU in seconds. The same
model serves lecture 000's demos of teacher forcing against free running,
scheduled sampling (`tf_ratio`), dropout, padding masks and attention.

DigitSpeller (at the end) is built for speed on a CPU: its decoder reads the
true previous words in one nn.GRU call and attends after each step (Luong et
al., 2015), so teacher-forced training needs no Python loop over steps.

Dimensions: N batch, T source positions (padded), U target positions,
E embedding size, H state size, A attention size, V vocabulary size.
Sources are digit strings encoded as <s> d1 ... dL </s> over SRC_VOCAB;
targets are <s> t1 ... tL </s> over data.numbers.TARGETS (words or
characters); both are data.vocab.Vocab, padded with <pad>. Boolean masks are
True on real tokens.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnn_helpers.data.names import language_model_batch
from rnn_helpers.data.numbers import DIGIT_WORDS, DIGITS, TARGETS, target_tokens
from rnn_helpers.data.vocab import Vocab
from rnn_helpers.nets.translator import additive_attention_torch

SRC_VOCAB = Vocab(list("0123456789"))


def encode_pairs(numbers, level="word"):
    """Encode numbers and their words for the model.

    Inputs: numbers, a sequence of N ints in [0, 999]; level "word" or "char".
    Returns a dict of tensors: src (N, T) int64 and src_mask (N, T) bool (the
    digits); y_in (N, U) decoder inputs, y_out (N, U) targets and y_mask (N, U)
    bool (the target tokens, shifted by one for teacher forcing).
    """
    src, src_mask = SRC_VOCAB.encode([str(int(n)) for n in numbers], add_start=True, add_end=True)
    tokens = [target_tokens(n, level) for n in numbers]  # raises on a bad level
    idx, mask = TARGETS[level].encode(tokens, add_start=True, add_end=True)
    y_in, y_out, y_mask = language_model_batch(idx, mask)
    return {
        k: torch.as_tensor(v)
        for k, v in dict(src=src, src_mask=src_mask, y_in=y_in, y_out=y_out, y_mask=y_mask).items()
    }


class Seq2Seq(nn.Module):
    """GRU encoder, GRU-cell decoder; optional additive attention; dropout.

    Without attention the decoder starts from the encoder's last real state
    and must carry everything in that one vector (the "context vector").
    With attention, each step also reads a weighted mean of all encoder states.
    """

    def __init__(
        self, V_src=len(SRC_VOCAB), V_tgt=len(TARGETS["word"]), E=16, H=64, A=32, attention=False, dropout=0.0
    ):
        """V_tgt: len(TARGETS[level]); E, H, A: embedding, state and attention sizes."""
        super().__init__()
        self.embed_src = nn.Embedding(V_src, E)
        self.encoder = nn.GRU(E, H, batch_first=True)
        self.embed_tgt = nn.Embedding(V_tgt, E)
        self.attention = attention
        if attention:
            self.Wa = nn.Parameter(torch.randn(H, A) / math.sqrt(H))
            self.Ua = nn.Parameter(torch.randn(H, A) / math.sqrt(H))
            self.va = nn.Parameter(torch.randn(A) / math.sqrt(A))
        self.decoder = nn.GRUCell(E + (H if attention else 0), H)
        self.drop = nn.Dropout(dropout)
        self.readout = nn.Linear(2 * H if attention else H, V_tgt)

    def encode(self, src, src_mask):
        """src (N, T), src_mask (N, T) -> states (N, T, H), last real state (N, H)."""
        h, _ = self.encoder(self.drop(self.embed_src(src)))
        # A left-to-right encoder's states up to a sequence's end do not depend on
        # the padding after it, so picking the last real state is exact.
        last = h[torch.arange(src.shape[0]), src_mask.sum(dim=1) - 1]
        return h, last

    def forward(self, src, src_mask, y_in, tf_ratio=1.0, generator=None):
        """Decode len(y_in[0]) steps.

        Inputs: src, src_mask (N, T); y_in (N, U) the true previous tokens
        (y_in[:, 0] is <s>); tf_ratio: probability of reading the true previous
        token at each step after the first (1: teacher forcing, 0: free running,
        in between: scheduled sampling); generator: torch.Generator for the coin flips.
        Returns (logits (N, U, V), weights (N, U, T) or None without attention).
        """
        h, s = self.encode(src, src_mask)
        keys = h @ self.Ua if self.attention else None  # (N, T, A), same every step
        token, logits, weights = y_in[:, 0], [], []
        for u in range(y_in.shape[1]):
            if u > 0:
                pred = logits[-1].argmax(dim=1)
                if tf_ratio >= 1:
                    token = y_in[:, u]
                elif tf_ratio <= 0:
                    token = pred
                else:
                    coin = torch.rand(len(pred), generator=generator) < tf_ratio
                    token = torch.where(coin, y_in[:, u], pred)
            inp = self.drop(self.embed_tgt(token))
            if self.attention:
                context, w = additive_attention_torch(s, h, self.Wa, self.Ua, self.va, src_mask, keys)
                weights.append(w)
                s = self.decoder(torch.cat([inp, context], dim=1), s)
                out = torch.cat([s, context], dim=1)
            else:
                s = self.decoder(inp, s)
                out = s
            logits.append(self.readout(self.drop(out)))
        return torch.stack(logits, 1), (torch.stack(weights, 1) if weights else None)


def masked_cross_entropy(logits, y, mask):
    """Mean cross-entropy over the positions where mask is True.

    logits (N, U, V), y (N, U) int64, mask (N, U) bool -> scalar tensor.
    Padding positions contribute nothing, so the loss of a sequence does not
    depend on how much padding its batch needed.
    """
    return F.cross_entropy(logits[mask], y[mask])


def seq2seq_loss(model, batch):
    """loss_fn for training.fit; batch is a dict from encode_pairs, optionally with
    'tf_ratio' (float, default 1) for scheduled sampling."""
    logits, _ = model(batch["src"], batch["src_mask"], batch["y_in"], batch.get("tf_ratio", 1.0))
    return masked_cross_entropy(logits, batch["y_out"], batch["y_mask"])


@torch.no_grad()
def position_errors(model, batch, tf_ratio):
    """Error rate at each output position, teacher-forced (tf_ratio=1) or free running (0).

    Returns (errors (U,) float64, counts (U,) int64): the fraction of sequences
    whose prediction at position u is wrong, among those with a real target there.
    """
    model.eval()
    logits, _ = model(batch["src"], batch["src_mask"], batch["y_in"], tf_ratio)
    wrong = (logits.argmax(dim=2) != batch["y_out"]) & batch["y_mask"]
    counts = batch["y_mask"].sum(dim=0)
    return (wrong.sum(dim=0) / counts.clamp(min=1)).double().numpy(), counts.numpy()


@torch.no_grad()
def translate(model, numbers, level="word", max_len=None):
    """Free-running (greedy) translation.

    Returns (list of N token lists, weights (N, max_len, T) numpy or None);
    max_len defaults to 6 words or 30 characters.
    """
    model.eval()
    b = encode_pairs(numbers, level)
    max_len = max_len or (6 if level == "word" else 30)
    y_in = torch.full((len(numbers), max_len), TARGETS[level].start_idx)  # only y_in[:, 0] is read
    logits, weights = model(b["src"], b["src_mask"], y_in, tf_ratio=0.0)
    tokens = [TARGETS[level].decode(row) for row in logits.argmax(dim=2).tolist()]
    return tokens, None if weights is None else weights.numpy()


def exact_match(model, numbers, level="word"):
    """Fraction of numbers whose free-running translation is exactly right."""
    tokens, _ = translate(model, numbers, level)
    return float(np.mean([t == target_tokens(n, level) for t, n in zip(tokens, numbers)]))


class DigitSpeller(nn.Module):
    """GRU encoder, GRU decoder, optional dot-product attention, position embeddings.

    Without attention the decoder starts from the encoder's last state and
    must carry every digit in that one vector of H numbers. With attention,
    after each decoder step the state s_u (as a query W_q s_u) reads a scaled
    dot-product average of all encoder states h_t, and the readout sees both.
    Both models read the position of each token (one embedding table for source
    positions and decoder steps), so that the attention model can find "the
    digit at my step" without first learning to count; the model without
    attention gets the same inputs.
    """

    def __init__(self, V_src=len(DIGITS), V_tgt=len(DIGIT_WORDS), E=16, H=48, attention=False, max_len=64):
        """E, H: embedding and state sizes; max_len: the most positions a sequence may have."""
        super().__init__()
        self.embed_src = nn.Embedding(V_src, E)
        self.embed_tgt = nn.Embedding(V_tgt, E)
        self.position = nn.Embedding(max_len, E)  # shared: source position t and decoder step t
        self.encoder = nn.GRU(E, H, batch_first=True)
        self.decoder = nn.GRU(E, H, batch_first=True)
        self.attention = attention
        self.query = nn.Linear(H, H, bias=False) if attention else None
        self.readout = nn.Linear(2 * H if attention else H, V_tgt)

    def _embed(self, table, idx, first=0):
        """idx (N, L) token indices at positions first ... first+L-1 -> (N, L, E)."""
        return table(idx) + self.position(torch.arange(first, first + idx.shape[1]))

    def encode(self, src, src_mask):
        """src (N, T), src_mask (N, T) -> states h (N, T, H), last real state (N, H)."""
        h, _ = self.encoder(self._embed(self.embed_src, src))
        # Left to right, the states up to a sequence's end ignore the padding after it.
        return h, h[torch.arange(src.shape[0]), src_mask.sum(dim=1) - 1]

    def attend(self, s, h, src_mask):
        """Scaled dot-product attention of every decoder state over the encoder states.

        s (N, U, H), h (N, T, H), src_mask (N, T) bool -> (context (N, U, H),
        weights (N, U, T)); padding gets weight exactly 0.
        """
        scores = self.query(s) @ h.transpose(1, 2) / math.sqrt(h.shape[-1])  # (N, U, T)
        weights = torch.softmax(scores.masked_fill(~src_mask[:, None, :], -math.inf), dim=-1)
        return weights @ h, weights

    def forward(self, src, src_mask, y_in):
        """Teacher forcing: src, src_mask (N, T); y_in (N, U), <s> then the true words.

        Returns (logits (N, U, V_tgt), weights (N, U, T) or None without attention).
        """
        h, last = self.encode(src, src_mask)
        s, _ = self.decoder(self._embed(self.embed_tgt, y_in), last[None])  # (N, U, H)
        if not self.attention:
            return self.readout(s), None
        context, weights = self.attend(s, h, src_mask)
        return self.readout(torch.cat([s, context], dim=-1)), weights

    @torch.no_grad()
    def greedy(self, src, src_mask, steps, attention_fn=None):
        """Greedy decoding: each step reads the previous step's most likely word.

        Inputs: src, src_mask (N, T) tensors; steps: how many words to write;
        attention_fn: None, or a numpy function (query (N, H), keys (N, T, H),
        values (N, T, H), mask (N, T)) -> (context (N, H), weights (N, T)),
        scaled, used in place of the torch attention (e.g. a student's
        dot_product_attention).
        Returns (tokens (N, steps) int64 numpy, weights (N, steps, T) numpy or None).
        """
        self.eval()
        h, state = self.encode(src, src_mask)
        state = state[None]
        token = torch.full((src.shape[0], 1), DIGIT_WORDS.start_idx)
        tokens, weights = [], []
        for u in range(steps):
            s, state = self.decoder(self._embed(self.embed_tgt, token, first=u), state)  # s (N, 1, H)
            out = s
            if self.attention and attention_fn is None:
                context, w = self.attend(s, h, src_mask)
            elif self.attention:
                q = self.query(s[:, 0]).double().numpy()
                hn = h.double().numpy()
                context, w = attention_fn(q, hn, hn, src_mask.numpy())
                context = torch.as_tensor(np.asarray(context), dtype=h.dtype)[:, None]
                w = torch.as_tensor(np.asarray(w), dtype=h.dtype)[:, None]
            if self.attention:
                out = torch.cat([s, context], dim=-1)
                weights.append(w)
            token = self.readout(out).argmax(dim=-1)  # (N, 1)
            tokens.append(token)
        tokens = torch.cat(tokens, dim=1).numpy()
        return tokens, torch.cat(weights, dim=1).numpy() if weights else None
