"""The two PyTorch models of the RNN introduction deck, small enough for a CPU.

- CharRNN: reads one-hot characters with an LSTM (or a plain tanh RNN) and
  predicts the next character; `generate` samples text at a temperature.
- SentimentRNN: word embedding, a 2-layer RNN, and a linear head on the last
  layer's final hidden state (many-to-one).

Both are batch first, like the rest of the course (the deck's code is
sequence first, `x: [seq_len, batch]`; only the order of two axes differs).
Dimensions: N batch, T time steps, V vocabulary size, E embedding size,
H hidden size, L layers, C classes.
"""

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from rnn_helpers.data.vocab import PAD_IDX

CELLS = {"lstm": nn.LSTM, "rnn": nn.RNN, "gru": nn.GRU}


class CharRNN(nn.Module):
    """Next-character model: one-hot (N, T, V) -> recurrent layers -> scores (N, T, V)."""

    def __init__(self, vocab_size, hidden_size=128, num_layers=1, cell="lstm"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"CharRNN: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.vocab_size = vocab_size
        self.rnn = CELLS[cell](
            input_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers, batch_first=True
        )
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx, hidden=None):
        """idx (N, T) int64 character indices; hidden from a previous call or None.

        Returns (scores (N, T, V), hidden) where hidden continues the sequence.
        """
        x = F.one_hot(idx, self.vocab_size).to(self.fc.weight.dtype)  # (N, T, V): one-hot, as in the deck
        out, hidden = self.rnn(x, hidden)  # (N, T, H)
        return self.fc(out), hidden

    @torch.no_grad()
    def next_distribution(self, prefix, temperature=1.0):
        """Probabilities (V,) of the character after the index sequence `prefix`."""
        scores, _ = self(torch.as_tensor([list(prefix)], dtype=torch.long))
        return torch.softmax(scores[0, -1] / temperature, dim=-1)

    @torch.no_grad()
    def generate(self, prefix, length, temperature=1.0, generator=None, stop=None):
        """Sample `length` characters after `prefix` (a list of indices).

        temperature divides the scores before the softmax: below 1 sharpens the
        distribution (0 means always the most likely character), above 1
        flattens it. `stop`: an index that ends generation early when sampled
        (it is not returned). Returns the list of sampled indices.
        """
        if temperature < 0:
            raise ValueError(f"generate: temperature must be >= 0, got {temperature}")
        was_training = self.training
        self.eval()
        scores, hidden = self(torch.as_tensor([list(prefix)], dtype=torch.long))
        out = []
        for _ in range(length):
            last = scores[0, -1]  # (V,)
            if temperature == 0:
                nxt = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            if nxt == stop:
                break
            out.append(nxt)
            # Feed only the new character: the hidden state carries everything before it.
            scores, hidden = self(torch.tensor([[nxt]]), hidden)
        self.train(was_training)
        return out


class SentimentRNN(nn.Module):
    """Many-to-one classifier: idx (N, T) -> embedding (N, T, E) -> L-layer RNN -> scores (N, C)."""

    def __init__(
        self,
        vocab_size,
        embedding_dim=32,
        hidden_size=64,
        num_layers=2,
        num_classes=2,
        cell="rnn",
        dropout=0.0,
        padding_idx=PAD_IDX,
    ):
        """padding_idx: the index whose embedding stays zero and untrained, by default the
        <pad> of every data.vocab.Vocab; None gives every index a trained embedding."""
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"SentimentRNN: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.rnn = CELLS[cell](
            input_size=embedding_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout,
        )
        self.fc = nn.Linear(hidden_size, num_classes)

    def final_hidden(self, idx, lengths=None):
        """The top layer's hidden state after each sequence's last real token, (N, H).

        lengths (N,) gives the number of real tokens of each row of idx; the
        padding after them is skipped (packed sequence), so a short sentence's
        summary is not washed out by pad tokens. None: every row is full length.
        """
        embedded = self.embedding(idx)  # (N, T, E)
        if lengths is not None:
            embedded = pack_padded_sequence(
                embedded, torch.as_tensor(lengths).cpu(), batch_first=True, enforce_sorted=False
            )
        _, hidden = self.rnn(embedded)
        if isinstance(hidden, tuple):  # LSTM: (h, c)
            hidden = hidden[0]
        return hidden[-1]  # (L, N, H) -> (N, H)

    def forward(self, idx, lengths=None):
        """idx (N, T) int64 word indices, lengths (N,) or None -> class scores (N, C)."""
        return self.fc(self.final_hidden(idx, lengths))


def count_parameters(model):
    """Number of trainable scalars in a torch module."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
