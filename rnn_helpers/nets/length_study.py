"""Attention against input length: train DigitSpeller with and without attention,
measure exact match per string length over several seeds (assignment 04).

The task (data.numbers): spell out a digit string word by word, "307" ->
"three zero seven". Each digit adds 3.3 bits the model must carry to the
output, so the information grows with the length while the state of a model
without attention stays H numbers (Cho et al., 2014; Bahdanau et al., 2015).

Dimensions: N strings, T source positions, U decoder steps, S seeds, L lengths.
"""

import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnn_helpers.data.numbers import encode_spelling, random_digit_strings
from rnn_helpers.nets.seq2seq import DigitSpeller


def as_tensors(batch):
    """A dict of numpy arrays (from encode_spelling) -> the same dict of tensors."""
    return {k: torch.as_tensor(v) for k, v in batch.items()}


def training_batch(rng, batch_size, min_len, max_len, width=4):
    """One batch of strings of similar length (bucketing: little padding, cheap steps).

    The bucket's shortest length is drawn from [min_len, max_len - width + 1]
    with its square root uniform: short strings, the only ones a model without
    attention can learn, come up more often than long ones, and long ones
    still often enough to train the positions they alone reach.
    Returns the tensors of encode_spelling (lengths in [min_len, max_len]).
    """
    low = int(rng.uniform(np.sqrt(min_len), np.sqrt(max_len - width + 2)) ** 2)
    low = min(low, max_len - width + 1)
    return as_tensors(encode_spelling(random_digit_strings(batch_size, low, low + width - 1, rng)))


def train_speller(model, steps, min_len=3, max_len=44, batch_size=32, lr=2e-2, seed=0):
    """Train with teacher forcing, Adam, one-cycle learning rate, clipping at norm 1.

    Every batch is freshly generated (no epochs). Returns the list of training losses.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    model.train()
    losses = []
    for _ in range(steps):
        b = training_batch(rng, batch_size, min_len, max_len)
        logits, _ = model(b["src"], b["src_mask"], b["y_in"])
        loss = F.cross_entropy(logits[b["y_mask"]], b["y_out"][b["y_mask"]])  # padding excluded
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    model.eval()
    return losses


def exact_match_by_length(model, lengths, n_per_length=100, seed=1000, attention_fn=None):
    """Fraction of unseen strings spelt exactly right (every word and the final </s>), per length.

    Inputs: lengths, a list of L ints; n_per_length strings each, drawn with
    `seed`; attention_fn as in DigitSpeller.greedy. Returns an (L,) float64 array.
    """
    rng = np.random.default_rng(seed)
    accuracy = []
    for length in lengths:
        b = as_tensors(encode_spelling(random_digit_strings(n_per_length, length, length, rng)))
        tokens, _ = model.greedy(b["src"], b["src_mask"], length + 1, attention_fn=attention_fn)
        accuracy.append(float(np.mean(np.all(tokens == b["y_out"].numpy(), axis=1))))
    return np.array(accuracy)


def attention_against_length(
    lengths, seeds, steps, n_per_length=100, batch_size=32, lr=2e-2, **model_options
):
    """Train a DigitSpeller without and with attention for every seed; exact match per length.

    Returns (accuracy, models, seconds): accuracy and models are dicts keyed by
    attention (False, True), accuracy[a] an (S, L) array and models[a] the S
    trained models; seconds, the wall time of all of it.
    """
    start = time.perf_counter()
    accuracy, models = {False: [], True: []}, {False: [], True: []}
    for seed in seeds:
        for attention in (False, True):
            torch.manual_seed(seed)
            model = DigitSpeller(attention=attention, **model_options)
            train_speller(model, steps, min(lengths), max(lengths) + 4, batch_size, lr, seed)
            accuracy[attention].append(exact_match_by_length(model, lengths, n_per_length))
            models[attention].append(model)
    return {a: np.array(v) for a, v in accuracy.items()}, models, time.perf_counter() - start
