"""Input validation: the one home for turning user input into checked arrays and numbers.

Every public entry point (Arm, learned models, PyBulletModel, ArmSim, the
controllers, config readers) converts its inputs through these functions, so
the same bad value gets the same clear :class:`~armjac.errors.InputError`
everywhere. Messages name the argument and show a bounded excerpt of the bad
value (a huge or hostile value never floods a log).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence

import numpy as np

from armjac.errors import InputError

_ZERO3 = np.zeros(3)
_ZERO3.flags.writeable = False
_EXCERPT = 120
# Nested containers are shown a few levels and items deep, so the work is
# bounded too: a YAML alias bomb expands to gigabytes under plain repr().
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 3, 8, 8, 8
_REPR.maxset = _REPR.maxfrozenset = 8
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = _EXCERPT


def excerpt(value: object, limit: int = _EXCERPT) -> str:
    """``repr(value)`` cut to at most ``limit`` characters, for error messages.

    The cost is bounded as well as the length: nested containers are shown
    only a few levels and items deep.
    """
    if isinstance(value, np.ndarray) and value.size > 16:
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, list | tuple) and len(value) > 16:
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, list | tuple | dict | set | frozenset):
        text = _REPR.repr(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_float_array(value: object, name: str) -> np.ndarray:
    """``value`` as a float64 array of real numbers.

    Refuses what ``np.asarray(..., float)`` would silently coerce: booleans,
    complex numbers (their imaginary part would be dropped) and strings.

    Raises
    ------
    InputError
        Naming ``name`` and an excerpt of the value.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        return value.astype(np.float64, copy=False)
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be real numbers; got {excerpt(value)}") from None
    if raw.dtype.kind not in "fiu":
        raise InputError(f"{name} must be real numbers; got {excerpt(value)} (dtype {raw.dtype})")
    return raw.astype(np.float64, copy=False)


def check_finite(arr: np.ndarray, name: str) -> None:
    """Refuse NaN and infinite entries (one reduction: cheap enough for every step)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(arr))
    if not math.isfinite(total) and not np.isfinite(arr).all():
        raise InputError(f"{name} must be finite; got {excerpt(arr)}")


def as_vector(value: object, n: int, name: str, *, finite: bool = True) -> np.ndarray:
    """``value`` as a contiguous float64 (n,) array.

    Raises
    ------
    InputError
        Not real numbers, wrong shape, or (with ``finite``) NaN/inf entries.
    """
    arr = as_float_array(value, name)
    if arr.shape != (n,):
        raise InputError(f"{name} must have shape ({n},); got shape {arr.shape}")
    if finite:
        check_finite(arr, name)
    return np.ascontiguousarray(arr)


def as_batch(value: object, n: int, name: str = "q", owner: str = "") -> tuple[np.ndarray, bool]:
    """``value`` of shape (n,) or (B, n) as a C-contiguous float64 (B, n) array.

    Any dtype of real numbers and any memory layout (strided, Fortran order)
    give the same contiguous result.

    Returns
    -------
    (B, n) array and whether the input was a single (n,) vector.

    Raises
    ------
    InputError
        Not real numbers, or the wrong shape (``owner`` names whose dof it is).
    """
    arr = as_float_array(value, name)
    if arr.ndim == 1 and arr.shape[0] == n:
        return np.ascontiguousarray(arr).reshape(1, n), True
    if arr.ndim == 2 and arr.shape[1] == n:
        return np.ascontiguousarray(arr), False
    who = f" for {owner}" if owner else ""
    raise InputError(f"{name} must have shape ({n},) or (B, {n}){who}; got shape {arr.shape}")


def check_out(out: object, shape: tuple[int, ...], name: str = "out") -> np.ndarray:
    """``out`` if it is a writeable C-contiguous float64 array of ``shape``.

    Raises
    ------
    InputError
        Anything else (an output buffer is filled in place, never converted).
    """
    ok = (
        isinstance(out, np.ndarray)
        and out.dtype == np.float64
        and out.shape == tuple(shape)
        and out.flags.c_contiguous
        and out.flags.writeable
    )
    if not ok:
        got = (
            f"dtype {out.dtype}, shape {out.shape}, C-contiguous {out.flags.c_contiguous}, "
            f"writeable {out.flags.writeable}"
            if isinstance(out, np.ndarray)
            else excerpt(out)
        )
        raise InputError(
            f"{name} must be a writeable C-contiguous float64 array of shape {tuple(shape)}; "
            f"got {got}"
        )
    return out


def check_point(point: object) -> np.ndarray:
    """A point in a link frame as a contiguous float (3,) array; ``None`` is the origin.

    Parameters
    ----------
    point : 3 floats or None
        Offset from the link frame origin, along the link frame axes.

    Returns
    -------
    (3,) array
        Read-only when ``point`` is None (a shared zero vector).

    Raises
    ------
    InputError
        Not three finite numbers.
    """
    if point is None:
        return _ZERO3
    try:
        return as_vector(point, 3, "point (a 3-vector in the link frame)")
    except InputError:
        raise InputError(
            f"point must be a finite 3-vector in the link frame; got {excerpt(point)}"
        ) from None


def check_gain(name: str, value: object, *, zero: bool = False) -> float:
    """``value`` as a finite float that is > 0 (or >= 0 with ``zero``).

    Raises
    ------
    InputError
        Naming ``name`` and the value.
    """
    if isinstance(value, bool | str | bytes):
        raise InputError(f"{name} must be a number; got {excerpt(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {excerpt(value)}") from None
    if not (math.isfinite(v) and (v >= 0.0 if zero else v > 0.0)):
        raise InputError(f"{name} must be a finite number {'>= 0' if zero else '> 0'}; got {v!r}")
    return v


def as_gains(value: object, n: int, name: str, *, zero: bool = False) -> np.ndarray:
    """A scalar or (n,) of finite gains (> 0, or >= 0 with ``zero``) as an (n,) array.

    Raises
    ------
    InputError
        Not numbers, the wrong length, or a non-finite or out-of-range entry.
    """
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{name} must be a number or {n} numbers; got shape {arr.shape}")
    bad = ~np.isfinite(arr) | ((arr < 0.0) if zero else (arr <= 0.0))
    if bad.any():
        rule = ">= 0" if zero else "> 0"
        raise InputError(f"{name} must be finite and {rule}; got {excerpt(arr)}")
    return arr.copy()


def as_count(value: object, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum] (booleans refused).

    Raises
    ------
    InputError
        Not an integer, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be an integer; got {excerpt(value)}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        top = "" if maximum is None else f" and <= {maximum}"
        raise InputError(f"{name} must be >= {minimum}{top}; got {v}")
    return v


def as_mask(value: Sequence[object], n: int, name: str) -> np.ndarray:
    """``n`` booleans (True/False or 0/1 only) as a bool array.

    Raises
    ------
    InputError
        Wrong length or entries other than booleans / 0 / 1.
    """
    try:
        items = list(value)
    except TypeError:
        raise InputError(f"{name} must be {n} booleans; got {excerpt(value)}") from None
    ok = len(items) == n and all(
        isinstance(v, bool | np.bool_) or (isinstance(v, int | np.integer) and v in (0, 1))
        for v in items
    )
    if not ok:
        raise InputError(f"{name} must be {n} booleans (or 0/1); got {excerpt(value)}")
    return np.array([bool(v) for v in items])


def as_measurements(
    q: object, x: object, dof: int | None = None, minimum: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Measured pairs: joint readings ``q`` (B, N) and tip positions ``x`` (B, 3).

    Raises :class:`InputError` for wrong shapes (``N == dof`` when given, ``B >=
    minimum``) or non-finite values.
    """
    q = as_float_array(q, "q")
    x = as_float_array(x, "x")
    n = "N" if dof is None else str(dof)
    if q.ndim != 2 or (dof is not None and q.shape[1] != dof):
        raise InputError(f"q must have shape (B, {n}); got {q.shape}")
    if q.shape[0] < minimum:
        raise InputError(f"needs at least {minimum} samples; got {q.shape[0]}")
    if x.shape != (q.shape[0], 3):
        raise InputError(f"x must have shape ({q.shape[0]}, 3) to match q; got {x.shape}")
    check_finite(q, "q")
    check_finite(x, "x")
    return q, x
