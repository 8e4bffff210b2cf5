"""A small, generic PyTorch training loop for the lectures.

`fit` runs epochs over minibatches, shows a tqdm progress bar, records the
loss of every step and every epoch, optionally clips the global gradient norm,
and, given validation batches, stops early once the validation loss has not
improved for `patience` epochs (restoring the best weights).

The loop knows nothing about the model's task: the caller passes
`loss_fn(model, batch) -> scalar tensor`, so the same loop trains a
many-to-one classifier, a language model or a forecaster.

Batches can be any objects `loss_fn` understands (tuples of tensors, dicts...).
"""

import copy
import math
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm


@dataclass
class History:
    """What happened during `fit`.

    - steps: training loss of every optimisation step, in order
    - train: mean training loss of each epoch
    - val: validation loss after each epoch (empty without validation)
    - grad_norms: global gradient norm of every step, before clipping
    - best_epoch: index of the epoch with the lowest validation loss (None without validation)
    - stopped_early: True when patience ran out before `epochs`
    """

    steps: list = field(default_factory=list)
    train: list = field(default_factory=list)
    val: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    best_epoch: int = None
    stopped_early: bool = False


def _batches(source, epoch):
    """A fresh iterable of batches: `source(epoch)` if callable, else `source` itself.

    A callable lets the caller reshuffle (or grow a curriculum) each epoch; a
    list or a DataLoader is simply iterated again.
    """
    return source(epoch) if callable(source) else source


@torch.no_grad()
def evaluate(model, loss_fn, batches):
    """Mean of loss_fn(model, batch) over batches, in eval mode (dropout off).

    Returns a float; NaN when there are no batches.
    """
    was_training = model.training
    model.eval()
    losses = [float(loss_fn(model, b)) for b in batches]
    model.train(was_training)
    return sum(losses) / len(losses) if losses else math.nan


def fit(
    model,
    loss_fn,
    train_batches,
    epochs,
    lr=1e-2,
    optimizer=None,
    val_batches=None,
    patience=None,
    clip=None,
    restore_best=True,
    progress=True,
    desc="training",
):
    """Train `model` and return its History.

    Inputs:
    - model: a torch.nn.Module
    - loss_fn: loss_fn(model, batch) -> scalar tensor to minimise
    - train_batches: a re-iterable of batches (list, DataLoader) or a callable
      epoch -> iterable of batches
    - epochs: the most epochs to run (a positive int)
    - lr: learning rate of the default optimiser, Adam (ignored if `optimizer` is given)
    - optimizer: a torch optimiser over model's parameters, or None
    - val_batches: like train_batches, or None for no validation
    - patience: with validation, stop after this many epochs without a new best
      validation loss (None: never stop early)
    - clip: max global gradient norm (torch.nn.utils.clip_grad_norm_), or None
    - restore_best: with validation, load the weights of the best epoch at the end
    - progress: show a tqdm bar over epochs with the latest losses
    - desc: the bar's label

    Returns History. The model is left in eval mode.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if patience is not None and val_batches is None:
        raise ValueError("fit: patience (early stopping) needs val_batches to watch")
    opt = optimizer if optimizer is not None else torch.optim.Adam(model.parameters(), lr=lr)
    params = [p for p in model.parameters() if p.requires_grad]
    hist = History()
    best, best_state, waited = math.inf, None, 0
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=True)
    for epoch in bar:
        model.train()
        epoch_losses = []
        for batch in _batches(train_batches, epoch):
            loss = loss_fn(model, batch)
            opt.zero_grad()
            loss.backward()
            # clip_grad_norm_ returns the norm before clipping; with an infinite
            # max_norm it measures without changing anything.
            norm = torch.nn.utils.clip_grad_norm_(params, math.inf if clip is None else clip)
            opt.step()
            hist.grad_norms.append(float(norm))
            hist.steps.append(loss.item())
            epoch_losses.append(hist.steps[-1])
        if not epoch_losses:
            raise ValueError("fit: train_batches yielded no batches")
        hist.train.append(sum(epoch_losses) / len(epoch_losses))
        shown = {"train": f"{hist.train[-1]:.4f}"}
        if val_batches is not None:
            v = evaluate(model, loss_fn, _batches(val_batches, epoch))
            hist.val.append(v)
            shown["val"] = f"{v:.4f}"
            if v < best:
                best, waited, hist.best_epoch = v, 0, epoch
                if restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
        bar.set_postfix(shown)
        if patience is not None and waited >= patience:
            hist.stopped_early = epoch < epochs - 1
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return hist


def tensor_batches(*arrays, batch_size, shuffle=True, seed=0):
    """A callable epoch -> list of minibatches, for `fit`.

    Inputs:
    - arrays: tensors (or numpy arrays) with the same first dimension N
    - batch_size: rows per minibatch (the last one may be smaller)
    - shuffle: a new permutation every epoch (seeded by seed + epoch, so runs repeat)

    Returns make(epoch) -> list of tuples (a[idx] for a in arrays).
    """
    tensors = [torch.as_tensor(a) for a in arrays]
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"tensor_batches: arrays have different lengths {[len(t) for t in tensors]}")

    def make(epoch):
        if shuffle:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        else:
            order = torch.arange(n)
        return [tuple(t[order[i : i + batch_size]] for t in tensors) for i in range(0, n, batch_size)]

    return make
