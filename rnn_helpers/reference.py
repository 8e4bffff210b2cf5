"""Every function of the exercise API under its exercise name, in one namespace.

Hidden tests compare a student's function with its twin here; lectures import
from here too. The implementations live in the topic modules; this module only
gathers them, so there is exactly one reference implementation per idea.
"""
from rnn_helpers.activations import sigmoid, softmax, softmax_backward
from rnn_helpers.affine import temporal_affine_backward, temporal_affine_forward
from rnn_helpers.attention import (additive_attention, additive_attention_backward,
                                   dot_product_attention, dot_product_attention_backward,
                                   masked_softmax, masked_softmax_backward)
from rnn_helpers.embedding import embedding_backward, embedding_forward
from rnn_helpers.gradcheck import numerical_gradient, rel_error
from rnn_helpers.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnn_helpers.losses import temporal_softmax_loss
from rnn_helpers.lstm import (lstm_backward, lstm_forward, lstm_param_count, lstm_step_backward,
                              lstm_step_forward, stacked_lstm_backward, stacked_lstm_forward)
from rnn_helpers.optim import clip_gradients
from rnn_helpers.rnn import (bidirectional_rnn_backward, bidirectional_rnn_forward, rnn_backward,
                             rnn_forward, rnn_step_backward, rnn_step_forward, stacked_rnn_backward,
                             stacked_rnn_forward)

__all__ = [name for name in dir() if not name.startswith("_")]
