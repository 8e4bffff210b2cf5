"""The character RNN's loss and sampler against PyTorch with copied weights and centred differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from oracle import centred_difference, max_abs

from rnn_helpers.reference.char_rnn import (
    PARAM_SHAPES,
    bigram_baseline,
    char_rnn_loss,
    sample_chars,
    train_char_rnn,
)

FWD_TOL, BWD_TOL, NUM_TOL = 1e-10, 1e-9, 1e-8  # float64 throughout


def make_params(rng, V=7, D=4, H=5, scale=0.5):
    return {
        "W_embed": rng.standard_normal((V, D)),
        "Wx": rng.standard_normal((D, H)) * scale,
        "Wh": rng.standard_normal((H, H)) * scale,
        "b": rng.standard_normal(H) * 0.1,
        "W_out": rng.standard_normal((H, V)),
        "b_out": rng.standard_normal(V) * 0.1,
    }


def make_batch(rng, V=7, N=3, T=6, H=5):
    idx = rng.integers(0, V, size=(N, T + 1))
    return idx[:, :-1], idx[:, 1:].copy(), rng.standard_normal((N, H)) * 0.5


class TorchCharRNN(torch.nn.Module):
    """nn.Embedding -> nn.RNN(tanh) -> nn.Linear holding our weights (torch stores W as (out, in))."""

    def __init__(self, p):
        super().__init__()
        V, D = p["W_embed"].shape
        H = p["Wh"].shape[0]
        self.embed = torch.nn.Embedding(V, D).double()
        self.rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).double()
        self.out = torch.nn.Linear(H, V).double()
        with torch.no_grad():
            self.embed.weight.copy_(torch.tensor(p["W_embed"]))
            self.rnn.weight_ih_l0.copy_(torch.tensor(p["Wx"].T))
            self.rnn.weight_hh_l0.copy_(torch.tensor(p["Wh"].T))
            self.rnn.bias_ih_l0.copy_(torch.tensor(p["b"]))
            self.rnn.bias_hh_l0.zero_()  # torch has two biases; ours is their sum
            self.out.weight.copy_(torch.tensor(p["W_out"].T))
            self.out.bias.copy_(torch.tensor(p["b_out"]))

    def forward(self, idx, h0):
        """idx (N, T) int64, h0 (N, H) -> scores (N, T, V), h_last (N, H)."""
        h, h_n = self.rnn(self.embed(idx), h0[None])
        return self.out(h), h_n[0]

    def grads(self):
        """Gradients in our layout and names."""
        return {
            "W_embed": self.embed.weight.grad.numpy(),
            "Wx": self.rnn.weight_ih_l0.grad.numpy().T,
            "Wh": self.rnn.weight_hh_l0.grad.numpy().T,
            "b": self.rnn.bias_ih_l0.grad.numpy(),
            "W_out": self.out.weight.grad.numpy().T,
            "b_out": self.out.bias.grad.numpy(),
        }


def torch_loss(p, idx_in, idx_out, h0, mask=None):
    """(loss, grads, h_last) from torch autograd; the mask selects the positions F.cross_entropy averages."""
    model = TorchCharRNN(p)
    scores, h_last = model(torch.tensor(idx_in), torch.tensor(h0))
    keep = torch.ones(idx_in.shape, dtype=torch.bool) if mask is None else torch.tensor(mask)
    loss = F.cross_entropy(scores[keep], torch.tensor(idx_out)[keep], reduction="mean")
    loss.backward()
    return float(loss.detach()), model.grads(), h_last.detach().numpy()


def torch_softmax_scores(p, prefix):
    """Scores (V,) after reading the index list prefix from h = 0, by torch."""
    model = TorchCharRNN(p)
    H = p["Wh"].shape[0]
    with torch.no_grad():
        scores, _ = model(torch.tensor([prefix]), torch.zeros(1, H, dtype=torch.float64))
    return scores[0, -1].numpy()


def test_char_rnn_loss_matches_torch_embedding_rnn_linear_cross_entropy(rng):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng)
    loss, grads, h_last = char_rnn_loss(p, idx_in, idx_out, h0)
    loss_t, grads_t, h_last_t = torch_loss(p, idx_in, idx_out, h0)
    assert abs(loss - loss_t) < FWD_TOL
    assert max_abs(h_last, h_last_t) < FWD_TOL
    assert grads.keys() == PARAM_SHAPES.keys()
    for name in PARAM_SHAPES:
        assert max_abs(grads[name], grads_t[name]) < BWD_TOL, name


def test_char_rnn_loss_with_mask_matches_torch_on_the_kept_positions(rng):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng)
    lengths = np.array([6, 2, 4])
    mask = lengths[:, None] > np.arange(6)
    idx_out[~mask] = -1  # padding labels are never read
    loss, grads, h_last = char_rnn_loss(p, idx_in, idx_out, h0, mask=mask)
    loss_t, grads_t, h_last_t = torch_loss(p, idx_in, idx_out, h0, mask=mask)
    assert abs(loss - loss_t) < FWD_TOL
    assert max_abs(h_last, h_last_t) < FWD_TOL
    for name in PARAM_SHAPES:
        assert max_abs(grads[name], grads_t[name]) < BWD_TOL, name


def test_char_rnn_loss_ignores_the_labels_of_masked_positions(rng):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng)
    mask = np.ones(idx_in.shape, dtype=bool)
    mask[0, 3:] = mask[2, 1] = False
    other = idx_out.copy()
    other[~mask] = (other[~mask] + 1) % 7  # different labels, only where masked
    loss_a, grads_a, _ = char_rnn_loss(p, idx_in, idx_out, h0, mask=mask)
    loss_b, grads_b, _ = char_rnn_loss(p, idx_in, other, h0, mask=mask)
    loss_all, _, _ = char_rnn_loss(p, idx_in, idx_out, h0)
    assert loss_a == loss_b
    for name in PARAM_SHAPES:
        assert np.array_equal(grads_a[name], grads_b[name]), name
    # ...and the mask does change the loss: the masked positions really were left out.
    assert abs(loss_a - loss_all) > 1e-3


def test_char_rnn_loss_gradients_match_centred_differences(rng):
    p = make_params(rng, V=5, D=3, H=4)
    idx_in, idx_out, h0 = make_batch(rng, V=5, N=2, T=4, H=4)
    mask = np.array([[True, True, False, True], [True, False, True, True]])
    _, grads, _ = char_rnn_loss(p, idx_in, idx_out, h0, mask=mask)
    for name, w in p.items():
        num = centred_difference(lambda _: char_rnn_loss(p, idx_in, idx_out, h0, mask=mask)[0], w, 1.0)
        # Absolute error: rows of W_embed for unused characters are exactly 0 analytically.
        assert max_abs(grads[name], num) < NUM_TOL, name


def test_char_rnn_loss_carrying_h_last_equals_running_the_whole_sequence(rng):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng, T=10)
    loss_full, _, h_full = char_rnn_loss(p, idx_in, idx_out, h0)
    loss_1, _, h_mid = char_rnn_loss(p, idx_in[:, :4], idx_out[:, :4], h0)
    loss_2, _, h_end = char_rnn_loss(p, idx_in[:, 4:], idx_out[:, 4:], h_mid)
    # Each chunk is a mean over its own positions: weight them by length.
    assert abs((4 * loss_1 + 6 * loss_2) / 10 - loss_full) < FWD_TOL
    assert max_abs(h_end, h_full) < FWD_TOL
    _, _, h_mid_t = torch_loss(p, idx_in[:, :4], idx_out[:, :4], h0)
    assert max_abs(h_mid, h_mid_t) < FWD_TOL


def test_char_rnn_loss_keeps_float32_and_leaves_inputs_untouched(rng):
    p = {k: v.astype(np.float32) for k, v in make_params(rng).items()}
    idx_in, idx_out, h0 = make_batch(rng)
    h0 = h0.astype(np.float32)
    mask = np.ones(idx_in.shape, dtype=bool)
    mask[1, 2] = False
    before = ({k: v.copy() for k, v in p.items()}, idx_in.copy(), idx_out.copy(), h0.copy(), mask.copy())
    loss, grads, h_last = char_rnn_loss(p, idx_in, idx_out, h0, mask=mask)
    assert loss.dtype == np.float32 and h_last.dtype == np.float32
    assert all(grads[k].dtype == np.float32 and grads[k].shape == p[k].shape for k in p)
    for k in p:
        assert np.array_equal(p[k], before[0][k]), k
    for a, b in zip((idx_in, idx_out, h0, mask), before[1:]):
        assert np.array_equal(a, b)
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    loss64, _, _ = char_rnn_loss(p64, idx_in, idx_out, h0.astype(np.float64), mask=mask)
    assert abs(loss - loss64) < 1e-5  # float32 rounding only


@pytest.mark.parametrize("name", list(PARAM_SHAPES))
def test_char_rnn_loss_names_a_missing_params_key(rng, name):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng)
    del p[name]
    with pytest.raises(ValueError, match=f"lacks '{name}'"):
        char_rnn_loss(p, idx_in, idx_out, h0)
    with pytest.raises(ValueError, match=f"lacks '{name}'"):
        sample_chars(p, 0, 3)


def test_char_rnn_loss_names_an_extra_params_key(rng):
    p = make_params(rng)
    p["W_hh"] = p["Wh"]  # a misspelling a student might make
    idx_in, idx_out, h0 = make_batch(rng)
    with pytest.raises(ValueError, match="unexpected key 'W_hh'"):
        char_rnn_loss(p, idx_in, idx_out, h0)


def test_char_rnn_loss_reports_wrong_shapes_and_indices(rng):
    p = make_params(rng)
    idx_in, idx_out, h0 = make_batch(rng)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 4\), expected \(N, H\) = \(3, 5\)"):
        char_rnn_loss(p, idx_in, idx_out, h0[:, :4])
    bad = idx_out.copy()
    bad[1, 2] = 7
    with pytest.raises(ValueError, match=r"idx_out\[1, 2\] = 7 is outside"):
        char_rnn_loss(p, idx_in, bad, h0)
    with pytest.raises(ValueError, match="at least one time step"):
        char_rnn_loss(p, idx_in[:, :0], idx_out[:, :0], h0)


def test_sample_chars_at_temperature_zero_follows_the_argmax_of_torch(rng):
    p = make_params(rng, V=7, D=6, H=8, scale=1.0)
    got = sample_chars(p, 2, 12, temperature=0.0, rng=np.random.default_rng(1))
    prefix, expected = [2], []
    for _ in range(12):
        nxt = int(np.argmax(torch_softmax_scores(p, prefix)))
        expected.append(nxt)
        prefix.append(nxt)
    assert got.tolist() == expected
    assert len(set(expected)) >= 3  # a varied path, not a fixed point that a broken loop could also hit
    # below 1e-8 is greedy too, whatever the generator
    assert sample_chars(p, 2, 12, temperature=1e-9, rng=np.random.default_rng(2)).tolist() == expected


@pytest.mark.parametrize("temperature", [0.0, 1e-9])
def test_sample_chars_greedy_breaks_ties_to_the_smallest_index_and_draws_nothing(rng, temperature):
    p = make_params(rng)
    # Characters 5 and 2 get identical scores everywhere, and large ones, so that they tie for the maximum.
    p["W_out"][:, 5] = p["W_out"][:, 2] = 0.0
    p["b_out"][5] = p["b_out"][2] = 10.0
    gen = np.random.default_rng(0)
    before = gen.bit_generator.state
    out = sample_chars(p, 0, 6, temperature=temperature, rng=gen)
    assert out.tolist() == [2] * 6  # a draw would pick 5 about half of the time
    assert gen.bit_generator.state == before


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_sample_chars_first_index_follows_the_softmax_probabilities(rng, temperature):
    p = make_params(rng, V=5)
    scores = torch_softmax_scores(p, [3])
    probs = torch.softmax(torch.tensor(scores) / temperature, dim=0).numpy()
    assert np.max(np.abs(probs - 0.2)) > 0.1  # far from uniform, so a wrong distribution shows
    draws = 10_000
    gen = np.random.default_rng(123)
    first = np.array([sample_chars(p, 3, 1, temperature, gen)[0] for _ in range(draws)])
    freq = np.bincount(first, minlength=5) / draws
    # The standard deviation of a frequency is at most sqrt(0.25 / 10_000) = 0.005; 0.02 is 4 of them.
    assert np.max(np.abs(freq - probs)) < 0.02


def test_sample_chars_draws_once_per_step_with_rng_choice(rng):
    """The documented draw, rng.choice(V, p=softmax(scores / T)), reproduces the samples exactly."""
    p = make_params(rng)
    got = sample_chars(p, 1, 15, temperature=0.8, rng=np.random.default_rng(7))
    mirror = np.random.default_rng(7)
    prefix = [1]
    for _ in range(15):
        probs = torch.softmax(torch.tensor(torch_softmax_scores(p, prefix)) / 0.8, dim=0).numpy()
        prefix.append(int(mirror.choice(7, p=probs)))
    assert got.tolist() == prefix[1:]


def test_sample_chars_returns_int64_indices_of_the_requested_length(rng):
    p = make_params(rng)
    out = sample_chars(p, 0, 9, rng=np.random.default_rng(0))
    assert out.dtype == np.int64 and out.shape == (9,)
    assert out.min() >= 0 and out.max() < 7
    assert sample_chars(p, 0, 0).shape == (0,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(temperature=-0.5), "temperature"),
        (dict(temperature=float("nan")), "temperature"),
        (dict(n=-1), "n must"),
        (dict(start_idx=7), "start_idx"),
        (dict(rng=np.random.RandomState(0)), "Generator"),
    ],
)
def test_sample_chars_rejects_bad_arguments(rng, kwargs, message):
    args = dict(params=make_params(rng), start_idx=0, n=3, temperature=1.0, rng=None) | kwargs
    with pytest.raises(ValueError, match=message):
        sample_chars(**args)


# ------------------------------------------------------------------ bigram baseline and training loop


def brute_force_bigram(train, val, V, alpha):
    """The bigram model's mean validation cross-entropy, by counting pairs in Python dicts."""
    counts = {}
    for a, b in zip(train[:-1].tolist(), train[1:].tolist()):
        counts[a, b] = counts.get((a, b), 0) + 1
    total = 0.0
    for a, b in zip(val[:-1].tolist(), val[1:].tolist()):
        row = sum(counts.get((a, c), 0) + alpha for c in range(V))
        total -= np.log((counts.get((a, b), 0) + alpha) / row)
    return total / (len(val) - 1)


@pytest.mark.parametrize("V,L,M,alpha", [(5, 80, 30, 1.0), (3, 2, 5, 0.5), (1, 10, 3, 1.0), (7, 1, 2, 2.0)])
def test_bigram_baseline_matches_counting_pairs_by_hand(rng, V, L, M, alpha):
    train, val = rng.integers(0, V, size=L), rng.integers(0, V, size=M)
    assert abs(bigram_baseline(train, val, V, alpha) - brute_force_bigram(train, val, V, alpha)) < 1e-12


def test_bigram_baseline_tends_to_ln_v_as_alpha_grows(rng):
    train, val = rng.integers(0, 6, size=50), rng.integers(0, 6, size=20)
    assert abs(bigram_baseline(train, val, 6, alpha=1e9) - np.log(6)) < 1e-6


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"alpha": 0.0}, "alpha must be a number > 0"),
        ({"V": 0}, "V must be a positive integer"),
        ({"val_idx": np.array([1])}, "val_idx has 1 indices"),
        ({"train_idx": np.array([0, 9])}, "train_idx"),
        ({"train_idx": np.zeros((2, 2), dtype=int)}, "1-D integer array"),
    ],
)
def test_bigram_baseline_rejects_bad_arguments(kwargs, message):
    args = {"train_idx": np.array([0, 1, 2]), "val_idx": np.array([1, 2]), "V": 3, "alpha": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        bigram_baseline(**args)


def torch_training(p, data, N, T, steps, lr, max_norm):
    """The loop of train_char_rnn in torch: detached state, clip_grad_norm_, torch.optim.Adam (float64)."""
    model = TorchCharRNN(p)
    model.rnn.bias_hh_l0.requires_grad_(False)  # ours has one bias: keep torch's second at zero
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    L_row = len(data) // N
    streams = torch.tensor(data[: N * L_row].reshape(N, L_row))
    H = p["Wh"].shape[0]
    h, pos, losses = torch.zeros(N, H, dtype=torch.float64), 0, []
    for _ in range(steps):
        if pos + T + 1 > L_row:
            pos, h = 0, torch.zeros(N, H, dtype=torch.float64)
        scores, h = model(streams[:, pos : pos + T], h)
        loss = F.cross_entropy(
            scores.reshape(-1, scores.shape[-1]), streams[:, pos + 1 : pos + T + 1].reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        opt.step()
        losses.append(loss.item())
        h = h.detach()  # truncated BPTT: the state goes on, the gradient stops
        pos += T
    with torch.no_grad():
        trained = {
            "W_embed": model.embed.weight.numpy().copy(),
            "Wx": model.rnn.weight_ih_l0.numpy().T.copy(),
            "Wh": model.rnn.weight_hh_l0.numpy().T.copy(),
            "b": model.rnn.bias_ih_l0.numpy().copy(),
            "W_out": model.out.weight.numpy().T.copy(),
            "b_out": model.out.bias.numpy().copy(),
        }
    return trained, np.array(losses)


@pytest.mark.parametrize("N,T,L,steps", [(2, 4, 26, 9), (1, 3, 10, 7), (3, 1, 12, 5)])
def test_train_char_rnn_matches_the_same_loop_in_torch(rng, N, T, L, steps):
    p = make_params(rng, V=5, D=3, H=4)
    data = rng.integers(0, 5, size=L)
    saved = {k: v.copy() for k, v in p.items()}
    trained, losses = train_char_rnn(p, data, N, T, steps, lr=0.05, max_norm=0.3)
    want, want_losses = torch_training(p, data, N, T, steps, lr=0.05, max_norm=0.3)
    assert all(np.array_equal(p[k], saved[k]) for k in p), "the caller's params changed"
    assert losses.shape == (steps,) and max_abs(losses, want_losses) < 1e-9
    for k in PARAM_SHAPES:
        assert max_abs(trained[k], want[k]) < 1e-9, k


def test_train_char_rnn_carries_the_state_between_chunks(rng):
    # With lr = 0 nothing changes, so the losses are those of the chunks read with the carried state.
    p = make_params(rng, V=5, D=3, H=4)
    data = rng.integers(0, 5, size=13)
    _, losses = train_char_rnn(p, data, 1, 4, 3, lr=0.0, max_norm=1.0)
    h = np.zeros((1, 4))
    for k, pos in enumerate((0, 4, 8)):
        loss, _, h = char_rnn_loss(p, data[None, pos : pos + 4], data[None, pos + 1 : pos + 5], h)
        assert abs(losses[k] - loss) < 1e-12


def test_train_char_rnn_beats_the_bigram_baseline_on_names():
    from rnn_helpers.grading.cases.bptt import _names_streams, char_params

    train, val, V = _names_streams()
    p = char_params(np.random.default_rng(0), V, 16, 48)
    trained, losses = train_char_rnn(p, train, 32, 16, 100, lr=1e-2, max_norm=1.0)
    val_loss = char_rnn_loss(trained, val[None, :-1], val[None, 1:], np.zeros((1, 48)))[0]
    assert losses[-10:].mean() < losses[:10].mean()
    assert val_loss < bigram_baseline(train, val, V) - 0.05


def test_train_char_rnn_rejects_text_shorter_than_a_chunk(rng):
    with pytest.raises(ValueError, match="a chunk needs seq_len"):
        train_char_rnn(make_params(rng), np.arange(5) % 7, batch_size=2, seq_len=3, steps=1)
