"""Kernels: named output matrices lowered to straight-line code.

Every loaded kernel has the same calling convention whatever the backend::

    kernel(q, dq, p, out) -> ndarray

``q`` is (N,) or (B, N), ``dq`` the same shape or None, ``p`` a (3,) point
offset or None (the origin), and ``out`` an array of the result shape
(``kernel.shape``, with a leading B for a batch) to fill, or None to allocate
one. Any real dtype and memory layout is accepted (converted by
:func:`prepare`); the result is the one for the float64 contiguous input. A
kernel that meets a non-finite input, or whose result overflows to a
non-finite value, raises :class:`~armjac.errors.InputError` (:func:`fail`),
never returns NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from armjac.errors import InputError
from armjac.validation import as_batch, check_out, check_point, excerpt

if TYPE_CHECKING:  # the derivation loads only when code is generated
    from armjac.symbolic.program import Poly, Program


@dataclass(frozen=True)
class KernelSpec:
    """A named output matrix (rows of expressions of ``program``) to compile.
    ``name`` must be a C identifier."""

    name: str
    rows: list[list[Poly]]
    program: Program

    @property
    def shape(self) -> tuple[int, ...]:
        """Output shape per sample: ``(rows,)`` for a column, else ``(rows, cols)``."""
        rows, cols = len(self.rows), len(self.rows[0])
        return (rows,) if cols == 1 else (rows, cols)

    @property
    def size(self) -> int:
        """Number of output values per sample (rows * cols)."""
        return len(self.rows) * len(self.rows[0])


@dataclass(frozen=True)
class Lowered:
    """A kernel as straight-line code: the steps it needs in order, then the outputs."""

    spec: KernelSpec
    temporaries: list[tuple[str, str]]  # (variable name, expression text)
    outputs: list[str]  # expression texts, row-major
    inputs: frozenset[str]  # names of the q/dq/p inputs actually used


def _text(p: Poly, names: list[str]) -> str:
    """``p`` as C / Python source (the same syntax for both)."""
    if not p.terms:
        return "0.0"
    parts = []
    for mono, coeff in sorted(p.terms.items()):
        factors = [names[v] for v in mono]
        if not factors:
            parts.append(repr(coeff))
        elif coeff == 1.0:
            parts.append("*".join(factors))
        elif coeff == -1.0:
            parts.append("-" + "*".join(factors))
        else:
            parts.append(repr(coeff) + "*" + "*".join(factors))
    return " + ".join(parts).replace("+ -", "- ")


def lower(spec: KernelSpec, func_prefix: str = "") -> Lowered:
    """``spec`` as the program steps it needs and its outputs, printed as
    expressions (``func_prefix`` goes before sin/cos, e.g. ``numpy.``)."""
    prog, names = spec.program, spec.program.names
    flat = [e for row in spec.rows for e in row]
    temps = []
    for var, kind, arg in prog.needed(flat):
        if kind == "poly":
            temps.append((names[var], _text(arg, names)))
        else:
            temps.append((names[var], f"{func_prefix}{kind}({names[arg]})"))
    outs = [_text(e, names) for e in flat]
    return Lowered(spec, temps, outs, frozenset(prog.inputs_of(flat)))


def input_index(name: str) -> tuple[str, int]:
    """Map a symbol name (q3, dq0, px) to (array, index)."""
    if name in ("px", "py", "pz"):
        return "p", "xyz".index(name[1])
    if name.startswith("pk") and name[2:].isdigit():  # adjustment inputs follow the point
        return "p", 3 + int(name[2:])
    for prefix in ("dq", "q"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return prefix, int(name[len(prefix) :])
    raise ValueError(f"unexpected free symbol {name!r} in a kernel")


def preparer(dof: int, shape: tuple[int, ...], owner: str, name: str, needs_dq: bool) -> Callable:
    """The argument converter of one kernel: any accepted input to the float64
    C-contiguous arrays the kernel reads, or a clear :class:`InputError`."""

    def prepare(q, dq, p, out):
        qb, single = as_batch(q, dof, "q", owner)
        dqb = None
        if dq is None and needs_dq:
            raise InputError(f"{name} needs dq (joint velocities)")
        if dq is not None:
            dqb, dq_single = as_batch(dq, dof, "dq", owner)
            if dqb.shape != qb.shape or dq_single != single:
                raise InputError(
                    f"q and dq must have the same shape; got {np.shape(q)} and {np.shape(dq)}"
                )
        if single:
            qb, dqb = qb[0], None if dqb is None else dqb[0]
        full = shape if single else (qb.shape[0], *shape)
        out = np.empty(full) if out is None else check_out(out, full, f"out ({name})")
        return qb, dqb, None if p is None else check_point(p), out

    return prepare


def failer(name: str) -> Callable:
    """The error raiser of one kernel, for its non-zero status codes."""

    def fail(code: int, q, dq):
        if code in (1, 2):
            what, value = ("q", q) if code == 1 else ("dq", dq)
            raise InputError(f"{what} must be finite (got NaN or inf): {excerpt(value)}")
        biggest = max(float(np.abs(v).max(initial=0.0)) for v in (q, dq) if v is not None)
        raise InputError(
            f"{name} overflowed: its result is not finite although the inputs are "
            f"(largest |q|, |dq| entry {biggest:.3g}); such values exceed double precision"
        )

    return fail
