"""Masked softmax, dot-product and additive attention against torch float64."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import autograd, centred_difference, max_abs, tensors
from strictness import strict

from rnn_helpers.reference.attention import (
    additive_attention,
    additive_attention_backward,
    dot_product_attention,
    dot_product_attention_backward,
    masked_softmax,
    masked_softmax_backward,
)


def random_mask(rng, N, T, empty_row=False):
    """(N, T) bool mask keeping at least one position per row (none in row 0 if empty_row)."""
    mask = rng.random((N, T)) < 0.6
    mask[np.arange(N), rng.integers(0, T, size=N)] = True
    if empty_row:
        mask[0] = False
    return mask


def rel_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300))


# ---------------------------------------------------------------- masked softmax


@pytest.mark.parametrize("axis", [-1, 0])
def test_masked_softmax_matches_torch_with_minus_inf_fill(rng, axis):
    scores = rng.normal(scale=3.0, size=(4, 5))
    mask = random_mask(rng, 4, 5) if axis == -1 else random_mask(rng, 5, 4).T
    dprobs = rng.normal(size=scores.shape)
    (st_,) = tensors(scores)
    probs_t = torch.softmax(st_.masked_fill(~torch.tensor(mask), -math.inf), dim=axis)
    (expected,) = autograd([(probs_t, dprobs)], [st_])
    probs = masked_softmax(scores, mask, axis=axis)
    assert max_abs(probs, probs_t.detach().numpy()) < 1e-12
    assert np.all(probs[~mask] == 0.0)
    assert max_abs(masked_softmax_backward(dprobs, probs, axis=axis), expected) < 1e-12


def test_masked_softmax_without_mask_is_torch_softmax(rng):
    scores = rng.normal(size=(2, 3, 4))
    assert max_abs(masked_softmax(scores), torch.softmax(torch.tensor(scores), -1).numpy()) < 1e-12


def test_fully_masked_row_is_zeros_without_warnings_or_nan(rng):
    scores = rng.normal(size=(3, 4))
    scores[0] = [1e3, np.nan, np.inf, -1e3]  # nothing from a masked entry may leak
    mask = random_mask(rng, 3, 4, empty_row=True)
    with strict():
        probs = masked_softmax(scores, mask)
        dscores = masked_softmax_backward(rng.normal(size=(3, 4)), probs)
    assert np.all(probs[0] == 0.0) and np.all(dscores[0] == 0.0)
    assert not np.any(np.isnan(probs)) and not np.any(np.isnan(dscores))
    assert max_abs(probs[1:].sum(axis=1), np.ones(2)) < 1e-12


def test_masked_softmax_is_exact_and_silent_for_huge_scores():
    scores = np.array([[1e3, -1e3, 5.0], [-1e3, -1e3, 1e3]])
    mask = np.array([[False, True, True], [True, True, False]])
    with strict():
        probs = masked_softmax(scores, mask)
    expected = torch.softmax(torch.tensor(scores).masked_fill(~torch.tensor(mask), -math.inf), -1)
    assert np.array_equal(probs, expected.numpy())
    assert np.array_equal(probs, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])


# ---------------------------------------------------------------- dot-product attention


def sdpa(query, keys, values, mask, scale):
    """torch's scaled_dot_product_attention with one query per sequence."""
    q, k, v = tensors(query, keys, values)
    attn_mask = None if mask is None else torch.tensor(mask)[:, None, :]  # (N, 1, T)
    out = F.scaled_dot_product_attention(
        q[:, None, :], k, v, attn_mask=attn_mask, scale=None if scale else 1.0
    )[:, 0]
    return out, (q, k, v)


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize(
    "N,T,Hk,Hv,masked", [(3, 5, 4, 6, True), (2, 4, 3, 2, False), (1, 1, 1, 1, False), (1, 3, 2, 5, True)]
)
def test_dot_product_attention_matches_torch_sdpa(rng, N, T, Hk, Hv, masked, scale):
    query, keys, values = (rng.normal(size=(N, Hk)), rng.normal(size=(N, T, Hk)), rng.normal(size=(N, T, Hv)))
    mask = random_mask(rng, N, T) if masked else None
    dcontext = rng.normal(size=(N, Hv))
    originals = [a.copy() for a in (query, keys, values, dcontext)]
    context, weights = dot_product_attention(query, keys, values, mask, scale=scale)
    context_t, inputs = sdpa(query, keys, values, mask, scale)
    expected = autograd([(context_t, dcontext)], list(inputs))
    assert max_abs(context, context_t.detach().numpy()) < 1e-10
    grads = dot_product_attention_backward(dcontext, query, keys, values, mask, scale=scale)
    for got, exp in zip(grads, expected):
        assert max_abs(got, exp) < 1e-9
    if mask is not None:
        assert np.all(weights[~mask] == 0.0)
    assert all(np.array_equal(a, b) for a, b in zip((query, keys, values, dcontext), originals))


def test_dot_product_attention_weights_and_dweights_match_torch(rng):
    N, T, Hk, Hv = 2, 4, 3, 5
    query, keys, values = (rng.normal(size=(N, Hk)), rng.normal(size=(N, T, Hk)), rng.normal(size=(N, T, Hv)))
    mask = random_mask(rng, N, T)
    dcontext, dweights = rng.normal(size=(N, Hv)), rng.normal(size=(N, T))
    q, k, v = tensors(query, keys, values)
    scores = torch.einsum("nk,ntk->nt", q, k) / math.sqrt(Hk)
    w = torch.softmax(scores.masked_fill(~torch.tensor(mask), -math.inf), -1)
    c = torch.einsum("nt,ntv->nv", w, v)
    expected = autograd([(c, dcontext), (w, dweights)], [q, k, v])
    context, weights = dot_product_attention(query, keys, values, mask)
    assert max_abs(weights, w.detach().numpy()) < 1e-10
    grads = dot_product_attention_backward(dcontext, query, keys, values, mask, dweights=dweights)
    for got, exp in zip(grads, expected):
        assert max_abs(got, exp) < 1e-9


def test_dot_product_attention_backward_matches_centred_differences(rng):
    N, T, Hk, Hv = 2, 3, 2, 3
    args = [rng.normal(size=(N, Hk)), rng.normal(size=(N, T, Hk)), rng.normal(size=(N, T, Hv))]
    mask = random_mask(rng, N, T)
    dcontext = rng.normal(size=(N, Hv))
    grads = dot_product_attention_backward(dcontext, *args, mask)
    for i, got in enumerate(grads):

        def f(x, i=i):
            a = list(args)
            a[i] = x
            return dot_product_attention(*a, mask)[0]

        assert rel_error(got, centred_difference(f, args[i].copy(), dcontext)) < 1e-7


def test_dot_product_attention_fully_masked_row_gives_zero_context(rng):
    query, keys, values = rng.normal(size=(2, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 2))
    mask = random_mask(rng, 2, 4, empty_row=True)
    with strict():
        context, weights = dot_product_attention(query, keys, values, mask)
        grads = dot_product_attention_backward(np.ones((2, 2)), query, keys, values, mask)
    assert np.all(context[0] == 0.0) and np.all(weights[0] == 0.0)
    assert all(np.all(g[0] == 0.0) for g in grads)


# ---------------------------------------------------------------- additive attention


def torch_additive(s_prev, h, Wa, Ua, va, mask):
    ts = tensors(s_prev, h, Wa, Ua, va)
    s, hh, Wa_t, Ua_t, va_t = ts
    e = torch.tanh((s @ Wa_t)[:, None, :] + hh @ Ua_t) @ va_t  # (N, T)
    if mask is not None:
        e = e.masked_fill(~torch.tensor(mask), -math.inf)
    w = torch.softmax(e, dim=-1)
    return torch.einsum("nt,nth->nh", w, hh), w, ts


def additive_case(rng, N, T, S, H, A):
    return [
        rng.normal(size=(N, S)),
        rng.normal(size=(N, T, H)),
        rng.normal(size=(S, A)),
        rng.normal(size=(H, A)),
        rng.normal(size=A),
    ]


@pytest.mark.parametrize(
    "N,T,S,H,A,masked",
    [(3, 5, 4, 3, 6, True), (2, 3, 2, 4, 3, False), (1, 1, 1, 1, 1, False), (1, 4, 3, 2, 2, True)],
)
def test_additive_attention_matches_torch_autograd(rng, N, T, S, H, A, masked):
    args = additive_case(rng, N, T, S, H, A)
    mask = random_mask(rng, N, T) if masked else None
    dcontext, dweights = rng.normal(size=(N, H)), rng.normal(size=(N, T))
    originals = [a.copy() for a in args]
    context, weights = additive_attention(*args, mask)
    c_t, w_t, inputs = torch_additive(*args, mask)
    assert max_abs(context, c_t.detach().numpy()) < 1e-10
    assert max_abs(weights, w_t.detach().numpy()) < 1e-10
    expected = autograd([(c_t, dcontext)], inputs)
    for got, exp in zip(additive_attention_backward(dcontext, *args, mask), expected):
        assert max_abs(got, exp) < 1e-9
    c_t, w_t, inputs = torch_additive(*args, mask)
    expected = autograd([(c_t, dcontext), (w_t, dweights)], inputs)
    for got, exp in zip(additive_attention_backward(dcontext, *args, mask, dweights=dweights), expected):
        assert max_abs(got, exp) < 1e-9
    assert all(np.array_equal(a, b) for a, b in zip(args, originals))


def test_additive_attention_backward_matches_centred_differences(rng):
    args = additive_case(rng, 2, 3, 2, 3, 2)
    mask = random_mask(rng, 2, 3)
    dcontext = rng.normal(size=(2, 3))
    grads = additive_attention_backward(dcontext, *args, mask)
    for i, got in enumerate(grads):

        def f(x, i=i):
            a = list(args)
            a[i] = x
            return additive_attention(*a, mask)[0]

        assert rel_error(got, centred_difference(f, args[i].copy(), dcontext)) < 1e-7


# ---------------------------------------------------------------- the backward passes students derive


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_masked_softmax_backward_matches_torch_along_every_axis_of_a_3d_array(rng, axis):
    scores = rng.normal(scale=2.0, size=(3, 4, 5))
    mask = rng.random((3, 4, 5)) < 0.7
    mask[0] = mask[:, 0] = mask[..., 0] = True  # no empty slice along any axis
    dprobs = rng.normal(size=scores.shape)
    (st_,) = tensors(scores)
    probs_t = torch.softmax(st_.masked_fill(~torch.tensor(mask), -math.inf), dim=axis)
    (expected,) = autograd([(probs_t, dprobs)], [st_])
    got = masked_softmax_backward(dprobs, masked_softmax(scores, mask, axis=axis), axis=axis)
    assert max_abs(got, expected) < 1e-12  # float64 rounding only
    assert np.all(got[~mask] == 0.0)


def test_a_single_kept_position_passes_no_gradient_to_the_scores(rng):
    # Its weight is 1 whatever the scores, so only its value (dot-product) or its
    # encoder state through the context (additive) receives a gradient.
    N, T = 2, 4
    mask = np.zeros((N, T), dtype=bool)
    mask[0, 1] = mask[1, 3] = True
    dcontext, dweights = rng.normal(size=(N, 3)), rng.normal(size=(N, T))
    query, keys, values = rng.normal(size=(N, 2)), rng.normal(size=(N, T, 2)), rng.normal(size=(N, T, 3))
    dquery, dkeys, dvalues = dot_product_attention_backward(
        dcontext, query, keys, values, mask, dweights=dweights
    )
    assert max_abs(dquery, np.zeros_like(dquery)) < 1e-15 and max_abs(dkeys, np.zeros_like(dkeys)) < 1e-15
    assert max_abs(dvalues[mask], dcontext) < 1e-15
    args = additive_case(rng, N, T, 2, 3, 2)
    ds_prev, dh, dWa, dUa, dva = additive_attention_backward(dcontext, *args, mask, dweights=dweights)
    for g in (ds_prev, dWa, dUa, dva):
        assert max_abs(g, np.zeros_like(g)) < 1e-15
    assert max_abs(dh[mask], dcontext) < 1e-15 and np.all(dh[~mask] == 0.0)


def test_additive_attention_backward_of_an_empty_row_is_zero_without_warnings(rng):
    args = additive_case(rng, 3, 4, 2, 3, 2)
    mask = random_mask(rng, 3, 4, empty_row=True)
    with strict():
        ds_prev, dh, *_ = additive_attention_backward(
            rng.normal(size=(3, 3)), *args, mask, dweights=rng.normal(size=(3, 4))
        )
    assert np.all(ds_prev[0] == 0.0) and np.all(dh[0] == 0.0)
    assert np.all(np.isfinite(ds_prev)) and np.all(np.isfinite(dh))


_SOFTMAX_BACKWARD_DIAGONAL_ONLY = """
def masked_softmax_backward(dprobs, probs, axis=-1):
    return probs * dprobs
"""
_DOT_BACKWARD_UNSCALED = """
def dot_product_attention_backward(dcontext, query, keys, values, mask=None, scale=True, dweights=None):
    _, weights = dot_product_attention(query, keys, values, mask, scale)
    dvalues = weights[:, :, None] * dcontext[:, None, :]
    dw = np.einsum("nv,ntv->nt", dcontext, values)
    if dweights is not None:
        dw = dw + dweights
    dscores = masked_softmax_backward(dw, weights, axis=1)
    return np.einsum("nt,ntk->nk", dscores, keys), dscores[:, :, None] * query[:, None, :], dvalues
"""


@pytest.mark.parametrize(
    "function,source,failing",
    [
        (None, None, set()),
        ("masked_softmax_backward", _SOFTMAX_BACKWARD_DIAGONAL_ONLY, {"masked_softmax_backward"}),
        ("dot_product_attention_backward", _DOT_BACKWARD_UNSCALED, {"dot_product_attention_backward"}),
    ],
)
def test_backward_suites_pass_the_solution_and_fail_a_planted_mistake_in_its_own_cells_only(
    function, source, failing
):
    """The hidden cells of the three backwards, run as the notebook runs them (notebook_cells)."""
    import notebook_cells as cells

    space = cells.namespace("04_attention", {function: source} if function else None)
    results = cells.grade("04_attention", space, lambda gid: "_backward_" in gid)
    assert len(results) == 6, sorted(results)  # gradcheck and edge cells of each backward
    ids = cells.solution_ids("04_attention")
    failed = {cells.function_of(gid, ids) for gid, error in results.items() if error is not None}
    assert failed == failing, {gid: str(e)[:200] for gid, e in results.items() if e is not None}


# ---------------------------------------------------------------- properties

shapes = st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 5), st.integers(1, 5))


@settings(max_examples=25, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), scale=st.booleans())
def test_attention_weights_are_a_distribution_over_kept_positions(shape, seed, scale):
    N, T, Hk, Hv = shape
    rng = np.random.default_rng(seed)
    query, keys, values = (rng.normal(size=(N, Hk)), rng.normal(size=(N, T, Hk)), rng.normal(size=(N, T, Hv)))
    mask = rng.random((N, T)) < 0.5  # rows with nothing kept are allowed here
    with strict():
        context, weights = dot_product_attention(query, keys, values, mask, scale=scale)
        c_add, w_add = additive_attention(
            query, keys, rng.normal(size=(Hk, 3)), rng.normal(size=(Hk, 3)), rng.normal(size=3), mask
        )
    for w, c in [(weights, context), (w_add, c_add)]:
        assert w.shape == (N, T) and np.all(w >= 0.0) and np.all(w[~mask] == 0.0)
        kept = mask.any(axis=1)
        assert max_abs(w.sum(axis=1), kept.astype(float)) < 1e-12
        # the context is a convex combination of the kept rows
        assert max_abs(c, np.einsum("nt,ntv->nv", w, values if c is context else keys)) < 1e-12


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 6)),
    seed=st.integers(0, 2**32 - 1),
    big=st.sampled_from([1.0, 1e3]),
)
def test_masked_softmax_properties(shape, seed, big):
    rng = np.random.default_rng(seed)
    scores = rng.normal(scale=big, size=shape)
    mask = rng.random(shape) < 0.5
    with strict():
        probs = masked_softmax(scores, mask)
        dscores = masked_softmax_backward(rng.normal(size=shape), probs)
    assert np.all(probs[~mask] == 0.0) and np.all(dscores[~mask] == 0.0)
    assert max_abs(probs.sum(axis=-1), mask.any(axis=-1).astype(float)) < 1e-12
    # a softmax gradient sums to 0 over each row: adding a constant changes nothing
    assert max_abs(dscores.sum(axis=-1), np.zeros(shape[0])) < 1e-12


# ---------------------------------------------------------------- dtypes and errors


def test_float32_in_float32_out(rng):
    f32 = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    mask = random_mask(rng, 2, 3)
    assert masked_softmax(f32(2, 3), mask).dtype == np.float32
    outs = dot_product_attention(f32(2, 4), f32(2, 3, 4), f32(2, 3, 5), mask)
    outs += dot_product_attention_backward(f32(2, 5), f32(2, 4), f32(2, 3, 4), f32(2, 3, 5), mask)
    args = [f32(2, 2), f32(2, 3, 4), f32(2, 3), f32(4, 3), f32(3)]
    outs += additive_attention(*args, mask)
    outs += additive_attention_backward(f32(2, 4), *args, mask)
    assert all(o.dtype == np.float32 for o in outs), [o.dtype for o in outs]


def test_errors_name_the_argument_and_shapes():
    q, k, v = np.zeros((2, 4)), np.zeros((2, 3, 4)), np.zeros((2, 3, 5))
    with pytest.raises(
        ValueError,
        match=r"dot_product_attention: keys has shape \(2, 3, 6\), "
        r"expected \(N, T, Hk\) = \(2, 3, 4\) \(Hk=4 from query\)",
    ):
        dot_product_attention(q, np.zeros((2, 3, 6)), v)
    with pytest.raises(
        ValueError,
        match=r"dot_product_attention: values has shape \(2, 4, 5\), "
        r"expected \(N, T, Hv\) = \(2, 3, 5\) \(T=3 from keys\)",
    ):
        dot_product_attention(q, k, np.zeros((2, 4, 5)))
    with pytest.raises(
        ValueError, match=r"dot_product_attention: mask has shape \(3, 2\), expected \(2, 3\)"
    ):
        dot_product_attention(q, k, v, np.ones((3, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"dot_product_attention: scale must be True or False, got 0.5"):
        dot_product_attention(q, k, v, scale=0.5)
    with pytest.raises(
        ValueError,
        match=r"dot_product_attention_backward: dcontext has shape \(2, 4\), "
        r"expected \(N, Hv\) = \(2, 5\)",
    ):
        dot_product_attention_backward(np.zeros((2, 4)), q, k, v)
    with pytest.raises(
        ValueError,
        match=r"dot_product_attention_backward: dweights has shape \(2, 4\), "
        r"expected \(N, T\) = \(2, 3\)",
    ):
        dot_product_attention_backward(np.zeros((2, 5)), q, k, v, dweights=np.zeros((2, 4)))
    s, h, Wa, Ua, va = np.zeros((2, 3)), np.zeros((2, 4, 5)), np.zeros((3, 6)), np.zeros((5, 6)), np.zeros(6)
    with pytest.raises(
        ValueError,
        match=r"additive_attention: Ua has shape \(4, 6\), "
        r"expected \(H, A\) = \(5, 6\) \(H=5 from h",
    ):
        additive_attention(s, h, Wa, np.zeros((4, 6)), va)
    with pytest.raises(
        ValueError, match=r"additive_attention: va has shape \(7,\), expected \(A,\) = \(6,\)"
    ):
        additive_attention(s, h, Wa, Ua, np.zeros(7))
    with pytest.raises(
        ValueError, match=r"additive_attention: s_prev has dtype int64, expected float32 or float64"
    ):
        additive_attention(s.astype(np.int64), h, Wa, Ua, va)
    with pytest.raises(
        ValueError,
        match=r"additive_attention_backward: dcontext has shape \(2, 3\), "
        r"expected \(N, H\) = \(2, 5\)",
    ):
        additive_attention_backward(np.zeros((2, 3)), s, h, Wa, Ua, va)
    with pytest.raises(ValueError, match=r"masked_softmax: mask has shape \(2,\), expected \(2, 3\)"):
        masked_softmax(np.zeros((2, 3)), np.ones(2, dtype=bool))
    with pytest.raises(
        ValueError, match=r"masked_softmax_backward: dprobs has shape \(2, 2\), expected .*\(2, 3\)"
    ):
        masked_softmax_backward(np.zeros((2, 2)), np.zeros((2, 3)))
