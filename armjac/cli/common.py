"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
import math

import numpy as np

from armjac.errors import InputError


def parse_vector(text: str | list[str], what: str = "q") -> np.ndarray:
    """Parse ``"0.1,0.2 0.3"`` or a list of such strings into a float vector."""
    if isinstance(text, list | tuple):
        text = " ".join(text)
    parts = text.replace(",", " ").split()
    try:
        return np.array([float(p) for p in parts])
    except ValueError:
        raise InputError(
            f"{what} must be numbers separated by commas or spaces; got {text!r}"
        ) from None


def seconds(text: str) -> float:
    """An argparse type: a finite positive number of seconds (``--duration``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite positive number of seconds; got {text!r}"
        )
    return value


def format_matrix(m: np.ndarray, precision: int = 5) -> str:
    """``m`` as text (a vector as one row), ``precision`` decimals, tiny values shown as 0."""
    return np.array2string(
        np.atleast_2d(m), precision=precision, suppress_small=True, max_line_width=160
    )


def print_table(rows: list[dict], columns: list[str] | None = None, floatfmt: str = ".4g") -> None:
    """Print ``rows`` (dicts) as an aligned plain-text table."""
    if not rows:
        print("(no rows)")
        return
    columns = columns or list(rows[0])

    def cell(v) -> str:
        if isinstance(v, float):
            return format(v, floatfmt)
        return "" if v is None else str(v)

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
