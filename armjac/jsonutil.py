"""Helpers for writing results to disk: JSON-safe values and file-name slugs."""

from __future__ import annotations

import math
from pathlib import PurePath

import numpy as np

NONFINITE = ("null", "keep")


def to_jsonable(obj, nonfinite: str = "null"):
    """``obj`` with numpy values, paths and tuples turned into plain JSON types.

    By default non-finite floats become ``None``: strict JSON has no NaN or
    infinity, and a missing number is what they stand for in a metrics file.

    Parameters
    ----------
    obj : object
        Nested dicts, lists and tuples of numbers, strings, numpy arrays and
        scalars, and paths.
    nonfinite : {"null", "keep"}
        ``"keep"`` leaves NaN and ±inf as floats, for files where an infinite
        bound means "unbounded" (``json`` writes them as ``Infinity``, which
        Python's ``json.loads`` reads back).

    Returns
    -------
    object
        The same structure with ``dict`` keys as strings, lists instead of
        tuples and arrays, Python numbers instead of numpy scalars, and strings
        instead of paths; anything else is returned unchanged.

    Examples
    --------
    >>> to_jsonable({"e": np.array([1.0, np.nan]), 2: (np.int64(3),)})
    {'e': [1.0, None], '2': [3]}
    >>> to_jsonable([np.inf, -np.inf], nonfinite="keep")
    [inf, -inf]
    """
    if nonfinite not in NONFINITE:
        raise ValueError(f"nonfinite must be 'null' or 'keep'; got {nonfinite!r}")
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, nonfinite) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v, nonfinite) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), nonfinite)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if nonfinite == "null" and isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, PurePath):
        return str(obj)
    return obj


def slug(name: str, max_len: int = 60, fallback: str = "") -> str:
    """``name`` made safe for a file name: letters, digits, ``-`` and ``_`` only.

    Parameters
    ----------
    name : str
        Any label.
    max_len : int
        Longest result, in characters.
    fallback : str
        Returned when nothing is left of ``name``.

    Examples
    --------
    >>> slug("tiny + learned FK")
    'tiny___learned_FK'
    """
    out = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:max_len]
    return out or fallback
