"""Tests of the torch models (rnn_helpers.nets.translator) and the date data (rnn_helpers.data.dates).

The torch port of additive attention is checked against the numpy reference
(forward, float64, 1e-12) and its autograd gradients against the reference's
hand-written backward (1e-10); the translator against its own numpy-plugged
twin; the dates against Python's datetime.
"""

import datetime
import re

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from rnn_helpers.data import dates
from rnn_helpers.nets import translator as models  # noqa: E402
from rnn_helpers.plots import plot_accuracy_by_length  # noqa: E402
from rnn_helpers.reference.attention import additive_attention, additive_attention_backward  # noqa: E402


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models: with several threads on a busy machine torch spends its time waiting."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def _attention_inputs(rng, N=3, T=5, S=4, H=6, A=3):
    s_prev, h = rng.standard_normal((N, S)), rng.standard_normal((N, T, H))
    Wa, Ua, va = rng.standard_normal((S, A)), rng.standard_normal((H, A)), rng.standard_normal(A)
    mask = rng.random((N, T)) < 0.6
    mask[0] = False  # a row with nothing kept
    mask[1] = True
    return s_prev, h, Wa, Ua, va, mask


def test_additive_attention_torch_matches_the_numpy_reference(rng):
    arrays = _attention_inputs(rng)
    for mask in (arrays[-1], None):
        want_c, want_w = additive_attention(*arrays[:-1], mask=mask)
        got_c, got_w = models.additive_attention_torch(
            *(torch.tensor(a) for a in arrays[:-1]), mask=None if mask is None else torch.tensor(mask)
        )
        assert np.max(np.abs(got_w.numpy() - want_w)) < 1e-12
        assert np.max(np.abs(got_c.numpy() - want_c)) < 1e-12


def test_additive_attention_torch_gives_zero_weights_and_no_nan_for_an_empty_row(rng):
    arrays = _attention_inputs(rng)
    _, w = models.additive_attention_torch(*(torch.tensor(a) for a in arrays))
    assert torch.all(w[0] == 0) and not torch.any(torch.isnan(w))


def test_additive_attention_torch_gradients_match_the_reference_backward(rng):
    arrays = _attention_inputs(rng)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays[:-1]]
    context, weights = models.additive_attention_torch(*leaves, mask=torch.tensor(arrays[-1]))
    dcontext, dweights = rng.standard_normal(context.shape), rng.standard_normal(weights.shape)
    loss = (context * torch.tensor(dcontext)).sum() + (weights * torch.tensor(dweights)).sum()
    got = torch.autograd.grad(loss, leaves)
    want = additive_attention_backward(dcontext, *arrays[:-1], mask=arrays[-1], dweights=dweights)
    for g, w in zip(got, want):
        assert np.max(np.abs(g.numpy() - w)) < 1e-10


def test_precomputed_keys_give_the_same_attention(rng):
    s_prev, h, Wa, Ua, va, mask = (torch.tensor(a) for a in _attention_inputs(rng))
    plain = models.additive_attention_torch(s_prev, h, Wa, Ua, va, mask)
    keyed = models.additive_attention_torch(s_prev, h, Wa, Ua, va, mask, keys=h @ Ua)
    for a, b in zip(plain, keyed):
        assert torch.max(torch.abs(a - b)) < 1e-12


def _batch(n=16, seed=0):
    return dates.encode(*dates.random_dates(n, np.random.default_rng(seed)))


def test_translator_with_numpy_attention_translates_like_the_torch_port():
    torch.manual_seed(0)
    model = models.DateTranslator(attention=True)
    x, mask, _ = _batch()
    pred, w = model.translate(x, mask)
    model.numpy_attention(additive_attention)
    pred_np, w_np = model.translate(x, mask)
    model.numpy_attention(None)
    assert w.shape == (16, dates.OUT_LEN, x.shape[1])
    # float32 model against a float64 numpy function: rounding only.
    assert np.max(np.abs(w - w_np)) < 1e-5
    assert np.array_equal(pred, pred_np)


def test_numpy_attention_refuses_to_train():
    model = models.DateTranslator(attention=True)
    model.numpy_attention(additive_attention)
    x, mask, y = _batch(4)
    with pytest.raises(RuntimeError, match="no_grad"):
        model(torch.as_tensor(x), torch.as_tensor(mask), torch.as_tensor(models.shift_right(y)))


def test_numpy_attention_needs_a_model_with_attention():
    with pytest.raises(ValueError, match="attention=False"):
        models.DateTranslator(attention=False).numpy_attention(additive_attention)


def test_encoder_last_state_does_not_depend_on_padding():
    torch.manual_seed(0)
    model = models.DateTranslator(attention=False)
    texts = ["3.5.1998", "Wednesday, the 23rd of September 1998, 14:05:09"]
    x, mask = dates.encode(texts)
    _, last_batch = model.encode(torch.as_tensor(x), torch.as_tensor(mask))
    x1, mask1 = dates.encode(texts[:1])
    _, last_alone = model.encode(torch.as_tensor(x1), torch.as_tensor(mask1))
    assert torch.max(torch.abs(last_batch[0] - last_alone[0])) < 1e-6


def test_teacher_forced_logits_have_one_row_per_output_character():
    model = models.DateTranslator(attention=True)
    x, mask, y = _batch(5)
    logits, weights = model(torch.as_tensor(x), torch.as_tensor(mask), torch.as_tensor(models.shift_right(y)))
    assert logits.shape == (5, dates.OUT_LEN, len(dates.OUT_VOCAB))
    assert weights.shape == (5, dates.OUT_LEN, x.shape[1])
    assert torch.all(weights[torch.as_tensor(~mask)[:, None, :].expand_as(weights)] == 0)


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    losses = models.train_translator(models.DateTranslator(attention=True), steps=30, batch_size=32, seed=0)
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_shift_right_starts_with_the_start_symbol():
    y = np.array([[5, 6, 7], [8, 9, 10]])
    start = dates.OUT_VOCAB.stoi["<s>"]
    assert models.shift_right(y).tolist() == [[start, 5, 6], [start, 8, 9]]


def test_accuracy_by_length_counts_exact_matches_per_bin():
    texts = ["1.2.2000", "01/02/2000", "Tuesday, February 1, 2000"]
    isos = ["2000-02-01"] * 3

    class Oracle:
        """Right on the first two dates, one character wrong on the third."""

        def translate(self, x, mask):
            y = dates.encode(texts, isos)[2].copy()
            y[2, 0] = dates.OUT_VOCAB.stoi["1"]
            return y, None

    centres, acc, counts = models.accuracy_by_length(Oracle(), texts, isos, bins=[0, 9, 20, 40, 60])
    assert counts.tolist() == [1, 1, 1, 0]
    assert acc[:3].tolist() == [1.0, 1.0, 0.0] and np.isnan(acc[3])
    assert centres.tolist() == [4.5, 14.5, 30.0, 50.0]


_MONTH = {m: k + 1 for k, m in enumerate(dates.MONTHS)}


def _parse(text):
    """The date a generated text names, read back independently of dates.FORMATS."""
    text = re.sub(r"(,? at .*|,? \d\d:\d\d(:\d\d)?)$", "", text)  # drop the time of day
    numeric = re.fullmatch(r"(\d+)[./](\d+)[./](\d{4})", text)
    if numeric:
        d, m, y = map(int, numeric.groups())
        return datetime.date(y, m, d)
    words = re.findall(r"[A-Za-z]+|\d+", text)
    year = int(words[-1])
    month = next(
        _MONTH.get(w) or next(k for name, k in _MONTH.items() if name[:3] == w)
        for w in words
        if w[:3] in {n[:3] for n in dates.MONTHS}
    )
    day = int(next(w for w in words[:-1] if w.isdigit()))
    return datetime.date(year, month, day)


def test_every_generated_text_names_its_iso_date_and_weekday():
    texts, isos = dates.random_dates(500, np.random.default_rng(7))
    for text, iso in zip(texts, isos):
        date = _parse(text)
        assert date.isoformat() == iso, text
        for k, name in enumerate(dates.WEEKDAYS):
            if re.search(rf"\b{name[:3]}", text):
                assert date.weekday() == k, text


def test_every_format_and_time_format_is_drawn():
    texts, _ = dates.random_dates(2000, np.random.default_rng(0))
    assert any(" of " in t and "the" in t for t in texts)
    assert any(re.fullmatch(r"\d+\.\d+\.\d{4}", t) for t in texts)
    assert any(t.endswith(("am", "pm")) for t in texts)
    assert sum(":" in t or "h" in t[-6:] for t in texts) > 600  # about half have a time
    lengths = [len(t) for t in texts]
    assert min(lengths) >= 8 and max(lengths) <= 52


def test_ordinals():
    assert [dates._ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "31st",
    ]


def test_random_dates_are_reproducible_and_in_range():
    a = dates.random_dates(50, np.random.default_rng(3), first_year=1990, last_year=1991)
    b = dates.random_dates(50, np.random.default_rng(3), first_year=1990, last_year=1991)
    assert a == b
    assert all(iso[:4] in ("1990", "1991") for iso in a[1])


def test_encode_and_decode_round_trip():
    texts, isos = dates.random_dates(20, np.random.default_rng(1))
    x, mask, y = dates.encode(texts, isos)
    assert x.shape == mask.shape == (20, max(map(len, texts)))
    assert mask.sum(axis=1).tolist() == [len(t) for t in texts]
    assert ["".join(dates.IN_VOCAB.itos[i] for i in row[m]) for row, m in zip(x, mask)] == texts
    assert np.all(x[~mask] == 0)
    assert dates.decode(y) == isos


def test_encode_names_an_unknown_character():
    with pytest.raises(ValueError, match="'#'"):
        dates.encode(["3 May #1998"])


def test_encode_rejects_an_iso_date_of_the_wrong_length():
    with pytest.raises(ValueError, match="10 characters"):
        dates.encode(["3.5.1998"], ["1998-5-3"])


def test_plot_accuracy_by_length_skips_empty_bins():
    ax = plot_accuracy_by_length({"a": ([1, 2, 3], [0.5, np.nan, 1.0])})
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [1.0, 3.0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
