"""The generic torch training loop: losses recorded, clipping, early stopping."""

import math

import numpy as np
import pytest
import torch

from rnn_helpers.nets.training import evaluate, fit, tensor_batches


def _mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def _line_data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def test_fit_learns_a_linear_map_and_records_every_step():
    torch.manual_seed(0)
    x, y = _line_data()
    model = torch.nn.Linear(3, 1)
    hist = fit(model, _mse, tensor_batches(x, y, batch_size=16), epochs=60, lr=0.05, progress=False)
    assert len(hist.train) == 60 and len(hist.steps) == 60 * 4 and len(hist.grad_norms) == 240
    assert hist.train[-1] < 1e-3 < hist.train[0], "the loss did not fall"
    # Independent truth: least squares.
    X1 = torch.cat([x, torch.ones(len(x), 1)], 1).double()
    w = torch.linalg.lstsq(X1, y.double()).solution.squeeze()
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), w[:3].numpy(), atol=2e-2)
    assert not model.training, "fit must leave the model in eval mode"


def test_fit_epoch_loss_is_the_mean_of_its_step_losses():
    x, y = _line_data()
    hist = fit(torch.nn.Linear(3, 1), _mse, tensor_batches(x, y, batch_size=16), epochs=3, progress=False)
    for e in range(3):
        assert abs(hist.train[e] - np.mean(hist.steps[4 * e : 4 * e + 4])) < 1e-12


def test_fit_clips_the_global_gradient_norm_like_torch():
    x, y = _line_data()
    y = y * 1000  # huge gradients
    torch.manual_seed(0)
    clipped = torch.nn.Linear(3, 1)
    reference = torch.nn.Linear(3, 1)
    reference.load_state_dict(clipped.state_dict())
    batches = [(x, y)]
    fit(
        clipped,
        _mse,
        batches,
        epochs=1,
        optimizer=torch.optim.SGD(clipped.parameters(), lr=0.1),
        clip=1.0,
        progress=False,
    )
    # Independent truth: one SGD step of length lr * 1 along the gradient direction.
    loss = _mse(reference, (x, y))
    grads = torch.autograd.grad(loss, list(reference.parameters()))
    norm = math.sqrt(sum(float((g**2).sum()) for g in grads))
    assert norm > 1.0
    for p, g in zip(reference.parameters(), grads):
        expected = p.detach() - 0.1 * g / norm
        got = dict(zip(["weight", "bias"], clipped.parameters()))["weight" if p.dim() == 2 else "bias"]
        torch.testing.assert_close(got.detach(), expected, rtol=0, atol=1e-6)


def test_fit_stops_early_and_restores_the_best_weights():
    torch.manual_seed(0)
    x, y = _line_data(32)
    xv, yv = _line_data(32, seed=1)
    yv = -yv  # a validation set the model gets worse on as it fits the training set
    model = torch.nn.Linear(3, 1)
    hist = fit(model, _mse, [(x, y)], epochs=200, lr=0.05, val_batches=[(xv, yv)], patience=5, progress=False)
    assert hist.stopped_early and len(hist.val) < 200
    assert len(hist.val) == hist.best_epoch + 1 + 5, "stopped after exactly `patience` bad epochs"
    assert abs(evaluate(model, _mse, [(xv, yv)]) - min(hist.val)) < 1e-6, "best weights not restored"


def test_evaluate_turns_dropout_off_and_restores_training_mode():
    model = torch.nn.Sequential(torch.nn.Dropout(0.9), torch.nn.Linear(3, 1))
    x, y = _line_data()
    model.train()
    a = evaluate(model, _mse, [(x, y)])
    b = evaluate(model, _mse, [(x, y)])
    assert a == b, "dropout was active during evaluation"
    assert model.training


def test_fit_rejects_bad_arguments():
    m = torch.nn.Linear(3, 1)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(m, _mse, [], epochs=0, progress=False)
    with pytest.raises(ValueError, match="patience .* needs val_batches"):
        fit(m, _mse, [], epochs=1, patience=2, progress=False)
    with pytest.raises(ValueError, match="yielded no batches"):
        fit(m, _mse, [], epochs=1, progress=False)


def test_tensor_batches_cover_every_row_once_per_epoch_and_reshuffle():
    x = torch.arange(10)
    make = tensor_batches(x, batch_size=4, seed=3)
    e0, e1 = make(0), make(1)
    assert [len(b[0]) for b in e0] == [4, 4, 2]
    assert sorted(torch.cat([b[0] for b in e0]).tolist()) == list(range(10))
    assert torch.cat([b[0] for b in e0]).tolist() != torch.cat([b[0] for b in e1]).tolist()
    with pytest.raises(ValueError, match="different lengths"):
        tensor_batches(torch.zeros(3), torch.zeros(4), batch_size=2)
