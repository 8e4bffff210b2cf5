"""The deck's torch models: CharRNN (LSTM, temperature sampling) and SentimentRNN."""

import numpy as np
import pytest
import torch
from oracle import max_abs

from rnn_helpers import reference
from rnn_helpers.data.vocab import Vocab
from rnn_helpers.nets.char_models import CharRNN, SentimentRNN, count_parameters


def _numpy_lstm_weights(lstm, layer=0):
    """torch (4H, D) weights and two biases -> the course's row-vector Wx (D, 4H), Wh, b."""
    get = lambda name: getattr(lstm, f"{name}_l{layer}").detach().double().numpy()
    return get("weight_ih").T, get("weight_hh").T, get("bias_ih") + get("bias_hh")


def test_char_lstm_scores_match_the_numpy_reference_lstm(rng):
    torch.manual_seed(0)
    model = CharRNN(vocab_size=7, hidden_size=5).double()
    idx = rng.integers(0, 7, size=(3, 6))
    scores, (h_n, c_n) = model(torch.as_tensor(idx))
    Wx, Wh, b = _numpy_lstm_weights(model.rnn)
    x = np.eye(7)[idx]  # one-hot (N, T, V)
    h, _ = reference.lstm_forward(x, np.zeros((3, 5)), Wx, Wh, b)
    expected = h @ model.fc.weight.detach().numpy().T + model.fc.bias.detach().numpy()
    assert max_abs(scores.detach().numpy(), expected) < 1e-10
    assert max_abs(h_n[0].detach().numpy(), h[:, -1]) < 1e-10


def test_generate_at_temperature_zero_is_greedy_decoding_of_the_whole_prefix():
    """Reusing the hidden state must give what re-reading the whole text gives."""
    torch.manual_seed(1)
    model = CharRNN(vocab_size=6, hidden_size=8, num_layers=2)
    out = model.generate([0, 3], length=10, temperature=0)
    seq = [0, 3]
    for _ in range(10):
        scores, _ = model(torch.tensor([seq]))
        seq.append(int(scores[0, -1].argmax()))
    assert out == seq[2:]


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_sampled_frequencies_follow_the_tempered_softmax(temperature):
    torch.manual_seed(2)
    model = CharRNN(vocab_size=4, hidden_size=6, cell="rnn")
    with torch.no_grad():
        model.fc.bias.copy_(torch.tensor([1.5, 0.5, 0.0, -1.0]))  # a clearly uneven distribution
    gen = torch.Generator().manual_seed(0)
    draws = [model.generate([1, 2], 1, temperature, generator=gen)[0] for _ in range(2500)]
    freq = np.bincount(draws, minlength=4) / len(draws)
    with torch.no_grad():
        logits = model(torch.tensor([[1, 2]]))[0][0, -1].double().numpy()
    expected = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
    # 2500 draws: the standard error of each frequency is below 0.01; allow 4 of them.
    assert np.max(np.abs(freq - expected)) < 0.04
    assert (
        model.generate(
            [1], 5, temperature=1.0, stop=int(np.argmax(expected)), generator=torch.Generator().manual_seed(0)
        ).count(int(np.argmax(expected)))
        == 0
    )


def test_generate_rejects_a_negative_temperature_and_unknown_cells():
    with pytest.raises(ValueError, match="temperature"):
        CharRNN(3, 4).generate([0], 2, temperature=-1)
    with pytest.raises(ValueError, match="cell"):
        CharRNN(3, 4, cell="transformer")
    with pytest.raises(ValueError, match="cell"):
        SentimentRNN(3, cell="cnn")


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sentiment_rnn_ignores_padding_when_given_lengths(cell):
    """Padded batch with lengths == each sentence run alone, without any padding."""
    torch.manual_seed(3)
    model = SentimentRNN(vocab_size=20, embedding_dim=4, hidden_size=6, cell=cell).double()
    rows = [[3, 4, 5, 6], [7, 8], [9]]
    idx = torch.tensor([r + [0] * (4 - len(r)) for r in rows])
    batched = model(idx, lengths=[len(r) for r in rows])
    alone = torch.cat([model(torch.tensor([r])) for r in rows])
    assert max_abs(batched.detach().numpy(), alone.detach().numpy()) < 1e-12
    # Without lengths the pad tokens are read and the answer for short rows changes.
    assert max_abs(model(idx)[1:].detach().numpy(), alone[1:].detach().numpy()) > 1e-6


def test_sentiment_rnn_leaves_the_vocab_pad_embedding_zero_and_untrained():
    """The default padding_idx is the <pad> of a Vocab batch: its row gets no gradient."""
    torch.manual_seed(5)
    sentences = [["a", "fine", "film"], ["dull"]]
    vocab = Vocab.from_texts(sentences, level="word")
    idx, mask = vocab.encode(sentences)
    assert not mask.all(), "the batch must hold padding for this test to mean anything"
    model = SentimentRNN(vocab_size=len(vocab), embedding_dim=4, hidden_size=6)
    model(torch.as_tensor(idx)).sum().backward()  # no lengths: the pad tokens are read
    grad = model.embedding.weight.grad
    assert torch.all(model.embedding.weight[vocab.pad_idx] == 0)
    assert torch.all(grad[vocab.pad_idx] == 0)
    assert grad[vocab.stoi["dull"]].abs().sum() > 0


def test_sentiment_rnn_is_embedding_two_layer_tanh_rnn_and_linear_head(rng):
    torch.manual_seed(4)
    model = SentimentRNN(vocab_size=11, embedding_dim=3, hidden_size=5).double()
    idx = rng.integers(1, 11, size=(2, 7))
    W = model.embedding.weight.detach().numpy()
    params = []
    for layer in range(2):
        get = lambda n: getattr(model.rnn, f"{n}_l{layer}").detach().numpy()
        params.append((get("weight_ih").T, get("weight_hh").T, get("bias_ih") + get("bias_hh")))
    h, _ = reference.stacked_rnn_forward(W[idx], np.zeros((2, 2, 5)), params)
    expected = h[:, -1] @ model.fc.weight.detach().numpy().T + model.fc.bias.detach().numpy()
    assert max_abs(model(torch.as_tensor(idx)).detach().numpy(), expected) < 1e-10


def test_parameter_count_of_the_decks_sentiment_model():
    """Embedding 10000x128, RNN 128->256 and 256->256 (two biases each), head 256->2."""
    model = SentimentRNN(10000, embedding_dim=128, hidden_size=256, num_layers=2)
    expected = (
        10000 * 128 + (128 * 256 + 256 * 256 + 2 * 256) + (256 * 256 + 256 * 256 + 2 * 256) + (256 * 2 + 2)
    )
    assert count_parameters(model) == expected
