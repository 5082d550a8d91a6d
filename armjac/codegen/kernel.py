"""Kernels: named sympy matrices lowered to straight-line code by cse.

Every kernel has the same calling convention whatever the backend::

    fn(q, dq, p, out) -> None

``q`` and ``dq`` are C-contiguous float64 arrays of shape (B, N), ``p`` is a
(3,) point offset, and ``out`` is a C-contiguous float64 array of shape
(B, *kernel.shape) that the kernel fills. Inputs a kernel does not use are
ignored. A kernel that meets a non-finite input raises
:class:`~armjac.errors.InputError` rather than returning NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sympy loads only when code is generated, not on a warm cache
    import sympy as sp


@dataclass(frozen=True)
class KernelSpec:
    """A named output matrix to compile. ``name`` must be a C identifier."""

    name: str
    expr: sp.Matrix

    @property
    def shape(self) -> tuple[int, ...]:
        """Output shape per sample: ``(rows,)`` for a column, else ``(rows, cols)``."""
        rows, cols = self.expr.shape
        return (rows,) if cols == 1 else (rows, cols)

    @property
    def size(self) -> int:
        """Number of output values per sample (rows * cols)."""
        return self.expr.rows * self.expr.cols


@dataclass(frozen=True)
class Lowered:
    """A kernel after common-subexpression elimination."""

    spec: KernelSpec
    temporaries: list[tuple[sp.Symbol, sp.Expr]]
    outputs: list[sp.Expr]
    inputs: frozenset[str]  # names of the q/dq/p symbols actually used


def lower(spec: KernelSpec) -> Lowered:
    """Common-subexpression elimination of ``spec`` into temporaries and outputs."""
    import sympy as sp

    flat = list(spec.expr)  # row-major
    temps, outs = sp.cse(flat, symbols=sp.numbered_symbols("t"), order="none")
    used = set()
    for e in [*outs, *(t[1] for t in temps)]:
        used.update(s.name for s in e.free_symbols)
    used -= {t[0].name for t in temps}
    return Lowered(spec, temps, outs, frozenset(used))


def input_index(name: str) -> tuple[str, int]:
    """Map a symbol name (q3, dq0, px) to (array, index)."""
    if name in ("px", "py", "pz"):
        return "p", "xyz".index(name[1])
    for prefix in ("dq", "q"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return prefix, int(name[len(prefix) :])
    raise ValueError(f"unexpected free symbol {name!r} in a kernel")
