"""Digit images as sequences: the loader, the generated strips and clips, the CNN+RNN models."""

import numpy as np
import pytest
import torch
from oracle import max_abs

from rnn_helpers import reference
from rnn_helpers.data import digits
from rnn_helpers.nets import digit_models

VOCAB = digits.CAPTION_VOCAB


def test_split_rows_are_sklearn_load_digits_rows_scaled_to_unit_range():
    from sklearn.datasets import load_digits

    sk = load_digits()
    d = digits.load_digit_sequences(test_fraction=0.25, seed=3)
    assert d.x_train.shape == (1348, 8, 8) and d.x_test.shape == (449, 8, 8)
    assert d.x_train.dtype == np.float64 and d.y_train.dtype == np.int64
    # Independent truth: scikit-learn's own loader, pixels 0..16.
    assert max_abs(d.x_train * 16, sk.images[d.idx_train]) < 1e-12
    assert max_abs(d.x_test * 16, sk.images[d.idx_test]) < 1e-12
    assert np.array_equal(d.y_train, sk.target[d.idx_train])
    assert np.array_equal(d.y_test, sk.target[d.idx_test])
    # Train and test are disjoint and together hold every image once.
    assert np.array_equal(np.sort(np.concatenate([d.idx_train, d.idx_test])), np.arange(1797))
    assert d.x_train.min() >= 0.0 and d.x_train.max() <= 1.0


def test_same_seed_gives_the_same_split_and_another_seed_another():
    a, b, c = (digits.load_digit_sequences(seed=s) for s in (0, 0, 1))
    assert np.array_equal(a.idx_test, b.idx_test)
    assert not np.array_equal(a.idx_test, c.idx_test)


def test_missing_scikit_learn_names_the_install_command(monkeypatch):
    monkeypatch.setattr(digits, "_SKLEARN", "sklearn_is_not_installed_here")
    with pytest.raises(ModuleNotFoundError, match="pip install scikit-learn"):
        digits.load_digit_sequences()


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_test_fraction_outside_zero_one_is_rejected(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        digits.load_digit_sequences(test_fraction=fraction)


def test_strips_hold_the_digits_their_captions_name(rng):
    # Twelve distinct random "images" with known labels, so each block can be looked up.
    images = rng.random((12, 8, 8))
    labels = np.arange(12) % 10
    strips, captions = digits.make_digit_strips(images, labels, 50, rng, max_digits=3)
    assert strips.shape == (50, 8, 24) and captions.shape == (50, 5)
    for strip, cap in zip(strips, captions):
        words = digits.caption_text(cap).split()
        k = len(words)
        assert 1 <= k <= 3 and cap[0] == VOCAB.start_idx and cap[k + 1] == VOCAB.end_idx
        assert np.all(cap[k + 2 :] == VOCAB.pad_idx)
        for j, word in enumerate(words):
            block = strip[:, 8 * j : 8 * j + 8]
            source = [n for n in range(12) if np.array_equal(images[n], block)]
            assert len(source) == 1 and digits.DIGIT_WORDS[labels[source[0]]] == word
        assert np.all(strip[:, 8 * k :] == 0)


def test_caption_text_stops_at_end_and_skips_start_and_pad():
    four, nine, five = (VOCAB.stoi[w] for w in ("four", "nine", "five"))
    assert digits.caption_text([VOCAB.start_idx, four, nine, VOCAB.end_idx, five]) == "four nine"
    assert digits.caption_text([VOCAB.pad_idx, VOCAB.end_idx]) == ""


def test_caption_vocabulary_is_the_specials_then_the_ten_digit_words():
    assert VOCAB.itos == ["<pad>", "<s>", "</s>"] + list(digits.DIGIT_WORDS)


def test_each_frame_is_the_previous_one_moved_one_pixel_in_the_labelled_direction(rng):
    images = rng.random((5, 8, 8)) + 0.1  # no zero pixels, so a shift cannot hide
    clips, directions = digits.make_motion_clips(images, 40, rng, T=5, canvas=14)
    assert clips.shape == (40, 5, 14, 14) and set(directions) <= {0, 1, 2, 3}
    for clip, d in zip(clips, directions):
        dr, dc = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}[digits.DIRECTIONS[d]]
        for t in range(4):
            # The digit stays whole on the canvas (no pixel is cut off) ...
            assert abs(clip[t].sum() - clip[t + 1].sum()) < 1e-9
            # ... and the next frame is this one rolled by one pixel.
            assert np.array_equal(np.roll(clip[t], (dr, dc), axis=(0, 1)), clip[t + 1])


def test_a_clip_played_backwards_is_a_possible_clip_of_the_opposite_direction(rng):
    """Start positions of "right" clips are exactly the end positions of "left" clips."""
    ones = np.ones((1, 8, 8))
    clips, directions = digits.make_motion_clips(ones, 400, rng, T=5, canvas=14)
    first_col = lambda frame: int(np.argmax(frame.any(axis=0)))
    starts_right = {first_col(c[0]) for c, d in zip(clips, directions) if digits.DIRECTIONS[d] == "right"}
    ends_left = {first_col(c[-1]) for c, d in zip(clips, directions) if digits.DIRECTIONS[d] == "left"}
    assert starts_right == ends_left == {0, 1, 2}


def test_a_canvas_too_small_for_the_path_is_rejected(rng):
    with pytest.raises(ValueError, match="canvas"):
        digits.make_motion_clips(np.ones((1, 8, 8)), 3, rng, T=6, canvas=12)


def _gru_weights(gru):
    """torch GRU (3H, D) weights -> the course's row-vector Wx (D, 3H), Wh, bx, bh."""
    get = lambda name: getattr(gru, f"{name}_l0").detach().double().numpy()
    return get("weight_ih").T, get("weight_hh").T, get("bias_ih"), get("bias_hh")


def test_captioner_decoder_is_the_reference_gru_started_from_the_cnn_feature(rng):
    """h_0 = CNN(image), then h_t = GRU(x_t, h_{t-1}) and scores = h_t W + b, against numpy."""
    torch.manual_seed(0)
    model = digit_models.DigitCaptioner(width=16, hidden_size=6, embed_size=4).double()
    strips = torch.as_tensor(rng.random((3, 8, 16)))
    words = torch.as_tensor(rng.integers(0, len(VOCAB), size=(3, 4)))
    with torch.no_grad():
        scores = model(strips, words).numpy()
        f = model.cnn(strips).numpy()
        x = model.embed(words).numpy()
    h, _ = reference.gru_forward(x, f, *_gru_weights(model.rnn))
    expected = h @ model.out.weight.detach().numpy().T + model.out.bias.detach().numpy()
    assert scores.shape == (3, 4, len(VOCAB))
    assert max_abs(scores, expected) < 1e-10


def test_greedy_caption_is_the_argmax_of_teacher_forcing_on_its_own_words(rng):
    torch.manual_seed(1)
    model = digit_models.DigitCaptioner(width=16, hidden_size=8).double()
    strips = rng.random((5, 8, 16))
    caps = model.caption(strips, max_len=4)
    words_in = np.concatenate([np.full((5, 1), VOCAB.start_idx), caps[:, :-1]], axis=1)
    with torch.no_grad():
        argmax = model(torch.as_tensor(strips), torch.as_tensor(words_in)).argmax(-1).numpy()
    for cap, best in zip(caps, argmax):
        n = len(cap) if VOCAB.end_idx not in cap else list(cap).index(VOCAB.end_idx) + 1
        assert np.array_equal(cap[:n], best[:n])


def test_captions_are_padding_after_the_end_word(rng):
    model = digit_models.DigitCaptioner(width=8, hidden_size=4)
    with torch.no_grad():
        model.out.bias[:] = -100.0
        model.out.bias[VOCAB.end_idx] = 100.0  # </s> wins at every step
    caps = model.caption(rng.random((2, 8, 8)), max_len=3)
    assert caps.tolist() == [[VOCAB.end_idx, VOCAB.pad_idx, VOCAB.pad_idx]] * 2


def test_caption_loss_is_mean_cross_entropy_over_the_non_pad_targets(rng):
    torch.manual_seed(2)
    model = digit_models.DigitCaptioner(width=24, hidden_size=5).double()
    strips, captions = digits.make_digit_strips(rng.random((4, 8, 8)), np.arange(4), 6, rng)
    strips, captions = torch.as_tensor(strips), torch.as_tensor(captions)
    with torch.no_grad():
        loss = float(digit_models.caption_loss(model, (strips, captions)))
    with torch.no_grad():
        scores = model(strips, captions[:, :-1]).numpy()
    # Independent truth: log-softmax written out in numpy, averaged where the target is not <pad>.
    logp = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    target = captions[:, 1:].numpy()
    keep = target != VOCAB.pad_idx
    expected = -np.mean(np.take_along_axis(logp, target[..., None], -1)[..., 0][keep])
    assert abs(loss - expected) < 1e-12


def test_frame_features_are_the_cnn_of_each_frame_on_its_own(rng):
    torch.manual_seed(3)
    model = digit_models.CNNRNNClassifier(canvas=12, features=5, hidden_size=4).double()
    clips = torch.as_tensor(rng.random((2, 3, 12, 12)))
    with torch.no_grad():
        f = model.frame_features(clips)
        for t in range(3):
            assert max_abs(f[:, t].numpy(), model.cnn(clips[:, t]).numpy()) < 1e-12


def test_recurrent_head_matches_the_reference_gru_and_sees_frame_order(rng):
    torch.manual_seed(4)
    model = digit_models.CNNRNNClassifier(canvas=12, features=5, hidden_size=4, temporal="gru").double()
    clips = torch.as_tensor(rng.random((2, 4, 12, 12)))
    with torch.no_grad():
        scores = model(clips).numpy()
        f = model.frame_features(clips).numpy()
        reversed_scores = model(clips.flip(1)).numpy()
    h, _ = reference.gru_forward(f, np.zeros((2, 4)), *_gru_weights(model.rnn))
    expected = h[:, -1] @ model.out.weight.detach().numpy().T + model.out.bias.detach().numpy()
    assert max_abs(scores, expected) < 1e-10
    assert max_abs(scores, reversed_scores) > 1e-4


def test_mean_baseline_cannot_tell_a_clip_from_its_reverse(rng):
    torch.manual_seed(5)
    model = digit_models.CNNRNNClassifier(canvas=12, temporal="mean").double()
    clips = torch.as_tensor(rng.random((3, 5, 12, 12)))
    with torch.no_grad():
        assert max_abs(model(clips).numpy(), model(clips.flip(1)).numpy()) < 1e-12


def test_unknown_temporal_model_is_rejected():
    with pytest.raises(ValueError, match="temporal"):
        digit_models.CNNRNNClassifier(temporal="transformer")


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread (no hand-offs); restore the setting after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_few_training_steps_lower_the_caption_loss(rng, one_thread):
    torch.manual_seed(6)
    d = digits.load_digit_sequences()
    strips, captions = digits.make_digit_strips(d.x_train, d.y_train, 128, rng)
    batch = (torch.as_tensor(strips, dtype=torch.float32), torch.as_tensor(captions))
    model = digit_models.DigitCaptioner().float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    with torch.no_grad():
        first = float(digit_models.caption_loss(model, batch))
    for _ in range(50):
        loss = digit_models.caption_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    # Cross-entropy starts near log(13) = 2.56; 50 full-batch steps should at least halve it
    # (float32 weights drawn under seed 6 reach 0.37x the first loss here).
    with torch.no_grad():
        assert float(digit_models.caption_loss(model, batch)) < 0.5 * first
