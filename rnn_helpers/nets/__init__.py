"""Small torch models of the lectures and exercises, and the training loop.

- training:     `fit` (progress bar, validation, early stopping, clipping), batches
- char_models:  CharRNN (temperature sampling) and SentimentRNN of the introduction deck
- digit_models: DigitCNN, DigitCaptioner (CNN -> GRU), CNNRNNClassifier (CNN per frame -> RNN)
- seq2seq:      GRU encoder-decoders: numbers -> words (lecture 000), DigitSpeller (assignment 04)
- length_study: assignment 04's experiment: attention against input length, over seeds
- translator:   torch port of additive attention and the date translator of lecture 002

Torch code here is not a reference twin: a student's function may call it.
"""
