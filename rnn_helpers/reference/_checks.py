"""Argument checks shared by every reference function.

Every public function validates its inputs with `check_arrays` so that a
mistake in shapes or dtypes is reported where it happens, with the argument's
name, the shape received and the shape expected, instead of surfacing later as
an unreadable broadcasting error deep inside a matrix product.
"""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def _fmt(dims, sizes):
    """Render a symbolic shape such as ('N', 'H') as '(N, H) = (3, 5)'."""
    names = "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"
    known = [sizes.get(d, d) if isinstance(d, str) else d for d in dims]
    if all(isinstance(k, (int, np.integer)) for k in known):
        return f"{names} = {tuple(int(k) for k in known)}"
    return names


def check_arrays(func, spec, arrays, integer=()):
    """Validate arrays against symbolic shapes and return their common float dtype.

    Inputs:
    - func: name of the calling function, used in messages.
    - spec: dict name -> tuple of dimension letters or ints, e.g.
      {"x": ("N", "D"), "Wx": ("D", "H")}. A letter takes the size that most
      arguments using it agree on.
    - arrays: dict name -> array (None values are skipped).
    - integer: names whose arrays must hold integers (indices, labels).

    Returns (dtype, sizes): float64 unless every float argument is float32,
    and the dict of bound dimension sizes.

    Raises ValueError naming the argument, the shape received and the shape
    expected, or the dtype received and the dtypes accepted.
    """
    present = {name: dims for name, dims in spec.items() if arrays.get(name) is not None}
    dtypes = []
    for name, dims in present.items():
        arr = arrays[name]
        if not isinstance(arr, np.ndarray):
            raise ValueError(
                f"{func}: {name} must be a numpy array, got {type(arr).__name__}; "
                f"convert it with np.asarray(...) first"
            )
        if name in integer:
            if not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(
                    f"{func}: {name} must hold integers, got dtype {arr.dtype}; use {name}.astype(np.int64)"
                )
        else:
            if arr.dtype not in FLOAT_DTYPES:
                raise ValueError(
                    f"{func}: {name} has dtype {arr.dtype}, expected float32 or float64; "
                    f"convert it with {name}.astype(np.float64)"
                )
            dtypes.append(arr.dtype)
        if arr.ndim != len(dims):
            raise ValueError(
                f"{func}: {name} has shape {arr.shape}, expected {len(dims)} dimensions {_fmt(dims, {})}"
            )
    # Each dimension letter takes the size most arguments agree on (the first
    # argument wins a tie), so the message blames the odd one out rather than
    # whichever argument happened to come first.
    votes = {}
    for name, dims in present.items():
        for d, n in zip(dims, arrays[name].shape):
            if isinstance(d, str):
                votes.setdefault(d, {}).setdefault(n, []).append(name)
    sizes, origin = {}, {}
    for d, by_size in votes.items():
        n, names = max(by_size.items(), key=lambda kv: len(kv[1]))
        sizes[d], origin[d] = n, names
    for name, dims in present.items():
        shape = arrays[name].shape
        expected = tuple(sizes[d] if isinstance(d, str) else d for d in dims)
        if shape != expected:
            bound = ", ".join(
                f"{d}={sizes[d]} from {'/'.join(origin[d])}"
                for d in dict.fromkeys(dims)
                if isinstance(d, str) and name not in origin[d]
            )
            raise ValueError(
                f"{func}: {name} has shape {shape}, expected {_fmt(dims, sizes)}"
                + (f" ({bound})" if bound else "")
            )
    dtype = np.float32 if dtypes and all(d == np.float32 for d in dtypes) else np.float64
    return np.dtype(dtype), sizes


def check_mask(func, mask, shape):
    """Validate an optional boolean mask of the given shape; return it as bool or None."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise ValueError(f"{func}: mask has shape {mask.shape}, expected {tuple(shape)}")
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(
            f"{func}: mask has dtype {mask.dtype}, expected bool (True = keep); "
            f"build it with a comparison such as lengths[:, None] > np.arange(T)"
        )
    return mask.astype(bool)


def check_positive_int(func, name, value):
    """Raise ValueError unless value is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{func}: {name} must be a positive integer, got {value!r}")
    return int(value)
