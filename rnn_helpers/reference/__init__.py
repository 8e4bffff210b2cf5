"""Every function of the exercise API under its exercise name, in one namespace.

Hidden tests compare a student's function with its twin here; lectures import
from here too. The implementations live in the topic modules; this module only
gathers them, so there is exactly one reference implementation per idea.
"""

from rnn_helpers.reference.activations import sigmoid, softmax, softmax_backward
from rnn_helpers.reference.affine import temporal_affine_backward, temporal_affine_forward
from rnn_helpers.reference.attention import (
    additive_attention,
    additive_attention_backward,
    dot_product_attention,
    dot_product_attention_backward,
    masked_softmax,
    masked_softmax_backward,
)
from rnn_helpers.reference.char_rnn import bigram_baseline, char_rnn_loss, sample_chars, train_char_rnn
from rnn_helpers.reference.decoding import attention_decoder_step, beam_search, greedy_decode
from rnn_helpers.reference.embedding import embedding_backward, embedding_forward
from rnn_helpers.reference.gradcheck import numerical_gradient, rel_error
from rnn_helpers.reference.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnn_helpers.reference.losses import temporal_softmax_loss
from rnn_helpers.reference.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_param_count,
    lstm_step_backward,
    lstm_step_forward,
    stacked_lstm_backward,
    stacked_lstm_forward,
)
from rnn_helpers.reference.optim import clip_gradients
from rnn_helpers.reference.rnn import (
    bidirectional_rnn_backward,
    bidirectional_rnn_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    stacked_rnn_backward,
    stacked_rnn_forward,
)

__all__ = [
    "additive_attention",
    "additive_attention_backward",
    "attention_decoder_step",
    "beam_search",
    "bidirectional_rnn_backward",
    "bidirectional_rnn_forward",
    "bigram_baseline",
    "char_rnn_loss",
    "clip_gradients",
    "dot_product_attention",
    "dot_product_attention_backward",
    "embedding_backward",
    "embedding_forward",
    "greedy_decode",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "lstm_backward",
    "lstm_forward",
    "lstm_param_count",
    "lstm_step_backward",
    "lstm_step_forward",
    "masked_softmax",
    "masked_softmax_backward",
    "numerical_gradient",
    "rel_error",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sample_chars",
    "sigmoid",
    "softmax",
    "softmax_backward",
    "stacked_lstm_backward",
    "stacked_lstm_forward",
    "stacked_rnn_backward",
    "stacked_rnn_forward",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "temporal_softmax_loss",
    "train_char_rnn",
]
