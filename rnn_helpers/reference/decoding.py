"""Decoding a sequence from a step-by-step model: a decoder step with
attention, greedy decoding and beam search.

Dimensions: N batch, T encoder positions, E embedding size, H encoder state
size, S decoder state size, A attention size, V vocabulary.

`attention_decoder_step` is one step of an RNN decoder with additive
attention: it reads the previous token and state and returns the
log-probabilities of the next token. The decoders below only see it through
a function

    step_fn(state, token) -> (log_probs, new_state)

that reads one token and returns the log-probabilities (V,) of the next one
and the state to pass to the following call. The first call gets state None
and the `start` token. step_fn must not modify a state in place: beam search
passes the same state to every extension of a hypothesis.

Conventions shared by both decoders, so that beam_width=1 is greedy:
- the returned tokens do not include `start`, and include `end` when it was
  produced (it is the last token then);
- a sequence stops when it produces `end` or when it has max_len tokens
  (`end` counted), so it has at most max_len tokens;
- a tie between equal log-probabilities goes to the smaller token sequence
  (lexicographic order on the list of tokens), so greedy takes the smallest
  index among the maxima, as np.argmax does.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays, check_mask, check_positive_int
from rnn_helpers.reference.attention import additive_attention

# The weights of attention_decoder_step, with their shapes.
DECODER_PARAMS = {
    "W_embed": ("V", "E"),
    "Wa": ("S", "A"),
    "Ua": ("H", "A"),
    "va": ("A",),
    "Wx": ("EH", "S"),
    "Ws": ("S", "S"),
    "b": ("S",),
    "W_out": ("SH", "V"),
    "b_out": ("V",),
}


def attention_decoder_step(y_prev, s_prev, h, params, mask=None):
    """One step of a tanh-RNN decoder with additive attention over the encoder states.

        context, weights = additive_attention(s_prev, h, Wa, Ua, va, mask)
        s_next = tanh([W_embed[y_prev], context] @ Wx + s_prev @ Ws + b)
        log_probs = log_softmax([s_next, context] @ W_out + b_out)

    ([a, b] joins the two along the feature axis: embedding first, then context.)

    Inputs:
    - y_prev: (N,) integers in [0, V), the previous token of each sequence
    - s_prev: (N, S) previous decoder state
    - h: (N, T, H) encoder states
    - params: dict with W_embed (V, E), Wa (S, A), Ua (H, A), va (A,),
      Wx (E + H, S), Ws (S, S), b (S,), W_out (S + H, V), b_out (V,)
    - mask: (N, T) bool, True = may be attended to; None attends everywhere

    Returns (log_probs, s_next, weights):
    - log_probs: (N, V), log-probabilities of the next token (logsumexp 0 per row)
    - s_next: (N, S), the new decoder state
    - weights: (N, T), the attention weights this step used (they attend
      from s_prev, before the state is updated)
    """
    func = "attention_decoder_step"
    if not isinstance(params, dict) or set(DECODER_PARAMS) - set(params):
        missing = sorted(set(DECODER_PARAMS) - set(params)) if isinstance(params, dict) else "all"
        raise ValueError(
            f"{func}: params must be a dict with keys {sorted(DECODER_PARAMS)}; missing {missing}"
        )
    dtype, n = check_arrays(
        func,
        {"y_prev": ("N",), "s_prev": ("N", "S"), "h": ("N", "T", "H"), **DECODER_PARAMS},
        dict(y_prev=y_prev, s_prev=s_prev, h=h, **{k: params[k] for k in DECODER_PARAMS}),
        integer=("y_prev",),
    )
    for name, size in (("Wx", n["E"] + n["H"]), ("W_out", n["S"] + n["H"])):
        if params[name].shape[0] != size:
            raise ValueError(
                f"{func}: {name} has shape {params[name].shape}, expected {size} rows "
                f"({'E + H' if name == 'Wx' else 'S + H'}: the two inputs joined)"
            )
    if np.any((y_prev < 0) | (y_prev >= n["V"])):
        raise ValueError(f"{func}: y_prev holds indices outside [0, V) = [0, {n['V']}): {y_prev}")
    check_mask(func, mask, (n["N"], n["T"]))
    p = params
    # The decoder attends from the state it has before this step (Bahdanau).
    context, weights = additive_attention(s_prev, h, p["Wa"], p["Ua"], p["va"], mask)  # (N, H), (N, T)
    x = np.concatenate([p["W_embed"][y_prev], context], axis=1)  # (N, E + H)
    s_next = np.tanh(x @ p["Wx"] + s_prev @ p["Ws"] + p["b"])  # (N, S)
    # The readout sees the context too, so it can copy what attention found.
    scores = np.concatenate([s_next, context], axis=1) @ p["W_out"] + p["b_out"]  # (N, V)
    shifted = scores - scores.max(axis=1, keepdims=True)  # exp cannot overflow
    with np.errstate(under="ignore"):  # exp of a very negative score is 0, as it should be
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return log_probs.astype(dtype, copy=False), s_next.astype(dtype, copy=False), weights


def _check_token(func, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{func}: {name} must be an integer token index, got {value!r}")
    return int(value)


def _check_decoder(func, step_fn, start, end, max_len):
    if not callable(step_fn):
        raise ValueError(
            f"{func}: step_fn must be a function step_fn(state, token) -> (log_probs, new_state), "
            f"got {type(step_fn).__name__}"
        )
    return (
        _check_token(func, "start", start),
        _check_token(func, "end", end),
        check_positive_int(func, "max_len", max_len),
    )


def _step(func, step_fn, state, token, end):
    """Call step_fn and check its answer; return (log_probs (V,) float64, new_state)."""
    result = step_fn(state, token)
    if not isinstance(result, tuple) or len(result) != 2:
        raise ValueError(
            f"{func}: step_fn must return a pair (log_probs, new_state), got {type(result).__name__}"
        )
    log_probs, new_state = result
    log_probs = np.asarray(log_probs)
    if log_probs.ndim != 1 or log_probs.size == 0 or not np.issubdtype(log_probs.dtype, np.floating):
        raise ValueError(
            f"{func}: step_fn returned log_probs of shape {log_probs.shape} and dtype {log_probs.dtype}, "
            f"expected a float array of shape (V,) with V >= 1"
        )
    # -inf is a valid log-probability (probability 0); NaN and +inf would make
    # the ranking of hypotheses meaningless.
    if np.isnan(log_probs).any() or np.isposinf(log_probs).any():
        raise ValueError(f"{func}: step_fn returned log_probs containing NaN or +inf: {log_probs}")
    V = log_probs.shape[0]
    if not 0 <= end < V:
        raise ValueError(
            f"{func}: end = {end} is outside [0, V) = [0, {V}) for the log_probs step_fn returned; "
            f"such a sequence could never finish"
        )
    return log_probs.astype(np.float64, copy=False), new_state


def greedy_decode(step_fn, start, end, max_len):
    """Decode by taking the most likely next token at every step.

    Inputs:
    - step_fn: step_fn(state, token) -> (log_probs (V,), new_state); the first
      call gets state None and token start
    - start: int, the token fed first (not part of the result)
    - end: int in [0, V), the token that ends the sequence
    - max_len: int >= 1, the most tokens to produce, end included

    Returns the list of produced tokens (Python ints), of length at most
    max_len: without start, and ending with end if end was produced.
    On a tie the smallest token index wins (np.argmax). step_fn is called
    once per returned token.
    """
    start, end, max_len = _check_decoder("greedy_decode", step_fn, start, end, max_len)
    tokens, state, token = [], None, start
    while len(tokens) < max_len:
        log_probs, state = _step("greedy_decode", step_fn, state, token, end)
        token = int(np.argmax(log_probs))  # the first maximum: the smallest index wins a tie
        tokens.append(token)
        if token == end:
            break
    return tokens


def _rank(hyp):
    """Sort key of a hypothesis (log_prob, tokens, state, finished): best first, then the smaller sequence."""
    return (-hyp[0], hyp[1])


def beam_search(step_fn, start, end, beam_width, max_len):
    """Decode by keeping the beam_width most probable hypotheses at every step.

    Inputs:
    - step_fn, start, end, max_len: as in greedy_decode
    - beam_width: int >= 1, how many hypotheses are kept

    Returns (tokens, log_prob): the best finished hypothesis, as a list of
    Python ints (without start, with end if produced, at most max_len long),
    and its log-probability, the float sum of the log_probs of its tokens.

    The rule, exactly: the beam starts as one empty hypothesis. At each step
    every unfinished hypothesis is extended by each of the V tokens (one
    step_fn call per hypothesis), each finished one is carried over as it is,
    and of all these candidates the beam keeps the beam_width best, ranked by
    log-probability, ties going to the smaller token sequence (lexicographic
    on the token list). A hypothesis is finished when its last token is end
    or when it has max_len tokens. The search stops when every hypothesis in
    the beam is finished (after max_len steps at the latest) and returns the
    first of the beam. With beam_width 1 this is greedy_decode; with
    beam_width >= V ** (max_len - 1) nothing is ever pruned and the result is
    the most probable sequence of all.
    """
    start, end, max_len = _check_decoder("beam_search", step_fn, start, end, max_len)
    beam_width = check_positive_int("beam_search", "beam_width", beam_width)
    beam = [(0.0, [], None, False)]  # (log_prob, tokens, state, finished)
    while not all(finished for *_, finished in beam):
        candidates = []
        for log_prob, tokens, state, finished in beam:
            if finished:
                candidates.append((log_prob, tokens, state, True))
                continue
            log_probs, new_state = _step("beam_search", step_fn, state, tokens[-1] if tokens else start, end)
            for v, lp in enumerate(log_probs.tolist()):
                new = tokens + [v]
                candidates.append((log_prob + lp, new, new_state, v == end or len(new) == max_len))
        beam = sorted(candidates, key=_rank)[:beam_width]
    log_prob, tokens, _, _ = beam[0]
    return tokens, float(log_prob)
