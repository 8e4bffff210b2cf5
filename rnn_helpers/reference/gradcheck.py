"""Gradient checking: compare a hand-written backward pass with centred differences.

A backward pass is correct when, for every input array p and every upstream
gradient dout, it returns d/dp sum(f(...) * dout). Centred differences
estimate that derivative one element at a time,

    d/dp_i ~ (L(p_i + eps) - L(p_i - eps)) / (2 eps),   L = sum(f(...) * dout),

with an error of order eps**2, so in float64 with eps = 1e-5 a correct
gradient agrees to about 1e-9 relative error and a wrong one is usually off by
1e-2 or more. Always check in float64: in float32 the rounding error of
L(p_i + eps) - L(p_i - eps) swamps the derivative.

Shapes are whatever f's arguments and output have; the gradient of an array
always has the shape of that array.
"""

import numpy as np

from rnn_helpers.reference._checks import check_arrays


def rel_error(a, b):
    """Largest elementwise relative error between two arrays of the same shape.

        rel_error(a, b) = max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)

    The denominator makes the error scale-free (1e-7 means "agrees to about
    seven digits" whether the gradient is 1e3 or 1e-3); the 1e-8 floor stops
    elements where both gradients are essentially zero from dividing by zero.
    The result is 0 for identical arrays, at most 1, and NaN when either array
    holds NaN (NaN never passes a check).

    Inputs:
    - a, b: arrays (or numbers) of the same shape; no broadcasting.

    Returns a Python float (0.0 for empty arrays).
    Raises ValueError when the shapes differ.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error: shapes differ, a has shape {a.shape} and b has shape {b.shape}; "
            f"compare a gradient with the gradient of the same array"
        )
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _first(result):
    """Forward functions return (out, cache): differentiate the first element."""
    return result[0] if isinstance(result, tuple) else result


def numerical_gradient(f, x, dout, eps=1e-5):
    """Centred-difference gradient of sum(f(x) * dout) with respect to x.

    Inputs:
    - f: function of one array; it may return an array or a tuple, in which
      case its FIRST element is used (so forward functions returning
      (out, cache) can be passed as they are, e.g.
      lambda x: rnn_step_forward(x, h_prev, Wx, Wh, b))
    - x: float array of any shape; it is modified in place while the gradient
      is computed (f must read x on every call, not a copy taken earlier) and
      restored bit for bit afterwards, even when f raises
    - dout: array of the shape of f(x), the upstream gradient; None means all
      ones, i.e. the gradient of sum(f(x)), which is what you want for a
      scalar loss
    - eps: step size; 1e-5 balances truncation error (eps**2) against
      rounding error (1e-16 / eps) in float64

    Returns dx, an array of the shape and dtype of x.
    """
    check_arrays("numerical_gradient", {"x": tuple(np.shape(x))}, dict(x=x))
    if not eps > 0:
        raise ValueError(f"numerical_gradient: eps must be positive, got {eps!r}")
    original = x.copy()
    dx = np.zeros(x.shape, dtype=np.float64)
    try:
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            plus = np.asarray(_first(f(x)), dtype=np.float64)
            x[i] = old - eps
            minus = np.asarray(_first(f(x)), dtype=np.float64)
            x[i] = old
            if dout is None:
                dx[i] = np.sum(plus - minus) / (2 * eps)
            else:
                if np.shape(dout) != plus.shape:
                    raise ValueError(
                        f"numerical_gradient: dout has shape {np.shape(dout)}, "
                        f"expected the shape of f(x), {plus.shape}"
                    )
                dx[i] = np.sum((plus - minus) * dout) / (2 * eps)
    finally:
        # Restore from a copy rather than from `old`: this also undoes an f that
        # wrote into x itself, and it runs when f raises half way through.
        x[...] = original
    return dx.astype(x.dtype, copy=False)


def numerical_gradient_params(f, params, dout, eps=1e-5):
    """Centred-difference gradients of sum(f(**params) * dout) for every array in params.

    Inputs:
    - f: called as f(**params), so a forward function whose argument names are
      the keys can be passed as it is (rnn_step_forward with keys x, h_prev,
      Wx, Wh, b); otherwise wrap it, e.g. lambda **p: loss(p["W"], data).
      A tuple result means its first element, as in numerical_gradient.
    - params: dict name -> float array; each array is perturbed in place and
      restored bit for bit
    - dout: array of the shape of f's output, or None for all ones
    - eps: step size, as in numerical_gradient

    Returns dict name -> gradient, each of the shape of params[name].
    """
    if not isinstance(params, dict):
        raise ValueError(
            f"numerical_gradient_params: params must be a dict name -> array, got {type(params).__name__}"
        )
    # Check here so that a bad entry is reported under its own name.
    check_arrays("numerical_gradient_params", {n: tuple(np.shape(a)) for n, a in params.items()}, params)
    # The dict holds the very arrays that numerical_gradient perturbs, so calling
    # f(**params) inside the closure sees each perturbation.
    return {name: numerical_gradient(lambda _: f(**params), arr, dout, eps) for name, arr in params.items()}


class GradCheckResult(dict):
    """Relative error per parameter (a dict name -> float) with the verdict.

    Attributes: tol (the tolerance used), passed (True when every relative
    error is at most tol), failed (names of the parameters that did not pass).
    """

    def __init__(self, errors, tol):
        super().__init__(errors)
        self.tol = tol
        # `not e <= tol` rather than `e > tol` so that NaN counts as a failure.
        self.failed = [name for name, e in errors.items() if not e <= tol]
        self.passed = not self.failed


def _as_dict(analytic, params):
    """Accept the gradients as a dict or, in the order of params, as a tuple/list."""
    if isinstance(analytic, dict):
        return analytic
    if isinstance(analytic, (tuple, list)):
        if len(analytic) != len(params):
            raise ValueError(
                f"check_gradients: got {len(analytic)} analytic gradients for "
                f"{len(params)} parameters ({', '.join(params)}); give one per "
                f"parameter, in the same order, or a dict name -> gradient"
            )
        return dict(zip(params, analytic))
    raise ValueError(
        f"check_gradients: analytic must be a dict name -> gradient or a tuple "
        f"in the order of params, got {type(analytic).__name__}"
    )


def _norm(a):
    return float(np.linalg.norm(np.ravel(a)))


def check_gradients(f, params, analytic, dout=None, eps=1e-5, tol=1e-7, out=print):
    """Compare analytic gradients with centred differences and print a table.

    Inputs:
    - f: called as f(**params) (see numerical_gradient_params); a tuple result
      means its first element
    - params: dict name -> float64 array, the inputs to differentiate; every
      one of them is checked
    - analytic: your gradients, a dict name -> array, or a tuple in the order
      of params (which is what a backward function returns)
    - dout: the upstream gradient you passed to your backward function, of the
      shape of f's output; None for a scalar loss (all ones)
    - eps: finite-difference step
    - tol: largest relative error (see rel_error) that counts as a pass
    - out: where the lines go; print by default, or e.g. a list's append

    Prints one line per parameter: name, shape, the norms of the analytic and
    numeric gradients (a quick hint: a factor of 2 or a zero norm is a clue),
    the relative error and PASS/FAIL, then a one-line summary.

    Returns a GradCheckResult: dict name -> relative error, with .passed,
    .failed and .tol.
    Raises ValueError when analytic lacks a parameter, has one too many, or a
    gradient's shape differs from its parameter's.
    """
    analytic = _as_dict(analytic, params)
    missing = [name for name in params if name not in analytic]
    extra = [name for name in analytic if name not in params]
    if missing:
        raise ValueError(
            f"check_gradients: no analytic gradient for {', '.join(missing)}; "
            f"analytic has {', '.join(analytic) or 'nothing'}"
        )
    if extra:
        raise ValueError(
            f"check_gradients: analytic has gradients for {', '.join(extra)}, "
            f"which are not in params ({', '.join(params)})"
        )
    for name, p in params.items():
        if np.shape(analytic[name]) != np.shape(p):
            raise ValueError(
                f"check_gradients: the gradient of {name} has shape "
                f"{np.shape(analytic[name])}, expected {np.shape(p)}, the shape of {name}"
            )

    numeric = numerical_gradient_params(f, params, dout, eps)
    errors = {name: rel_error(analytic[name], numeric[name]) for name in params}
    result = GradCheckResult(errors, tol)

    rows = [
        (
            name,
            str(tuple(np.shape(p))),
            f"{_norm(analytic[name]):.4e}",
            f"{_norm(numeric[name]):.4e}",
            f"{errors[name]:.2e}",
            "PASS" if name not in result.failed else "FAIL",
        )
        for name, p in params.items()
    ]
    header = ("parameter", "shape", "|analytic|", "|numeric|", "rel. error", f"verdict (tol {tol:.0e})")
    widths = [max(len(r[k]) for r in rows + [header]) for k in range(len(header))]
    for row in [header] + rows:
        out("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    worst = max(errors.values(), default=0.0)
    if result.passed:
        out(f"all {len(errors)} gradients pass (largest relative error {worst:.2e} <= {tol:.0e})")
    else:
        out(
            f"{len(result.failed)} of {len(errors)} gradients FAIL: {', '.join(result.failed)} "
            f"(relative error above {tol:.0e}); look at the backward lines that produce them"
        )
    return result
