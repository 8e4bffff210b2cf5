"""Small torch models of the lectures and exercises, and the training loop.

- training:     `fit` (progress bar, validation, early stopping, clipping), batches
- char_models:  CharRNN (temperature sampling) and SentimentRNN of the introduction deck
- digit_models: DigitCNN, DigitCaptioner (CNN -> GRU), CNNRNNClassifier (CNN per frame -> RNN)
- seq2seq:      a GRU encoder-decoder for numbers -> words (teacher forcing, attention)
- translator:   torch port of additive attention and the date translator of assignment 04

Torch code here is not a reference twin: a student's function may call it.
"""
