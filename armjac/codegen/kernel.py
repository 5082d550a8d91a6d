"""Kernels: named output matrices lowered to straight-line code.

Every loaded kernel has the same calling convention whatever the backend::

    kernel(q, dq, p, out[, u]) -> ndarray

``q`` is (N,) or (B, N), ``dq`` and ``u`` (a third joint vector: the
accelerations of inverse dynamics, the torques of forward dynamics) the same
shape or None, ``p`` a (3,) point offset or None (the origin), and ``out`` an
array of the result shape (``kernel.shape``, with a leading B for a batch) to
fill, or None to allocate one. Any real dtype and memory layout is accepted
(converted by :func:`preparer`); the result is the one for the float64
contiguous input. A kernel that meets a non-finite input, or whose result
overflows to a non-finite value, raises :class:`~armjac.errors.InputError`
(:func:`failer`), never returns NaN.

Status codes of the compiled kernels: 1, 2 and 4 for a non-finite q, dq and u,
3 for a non-finite result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from armjac.errors import InputError, SingularityError
from armjac.validation import as_batch, check_out, check_point, excerpt

if TYPE_CHECKING:  # the derivation loads only when code is generated
    from armjac.symbolic.program import Poly, Program


@dataclass(frozen=True)
class KernelSpec:
    """A named output matrix (rows of expressions of ``program``) to compile.
    ``name`` must be a C identifier; ``lanes`` asks for a batch loop that evaluates
    several configurations at once (:mod:`armjac.codegen.simd`)."""

    name: str
    rows: list[list[Poly]]
    program: Program
    lanes: bool = False

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
        elif kind == "recip":
            temps.append((names[var], f"1.0 / {names[arg]}"))
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
    for prefix in ("dq", "q", "u"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return prefix, int(name[len(prefix) :])
    raise ValueError(f"unexpected free symbol {name!r} in a kernel")


SINGULAR = (
    "manipulability gradient is undefined where J J^T is singular; an arm with fewer "
    "joints than the rows used is always singular: use translational=True or a redundant arm"
)
# What the third joint vector ``u`` is, by kernel kind (for messages).
U_NAMES = {"rnea": "qdd", "fd": "tau"}


def _aligned(a: np.ndarray) -> np.ndarray:
    """``a``, copied when its data sit at an address no float64 may (a view at an
    odd byte offset): the compiled kernels read only aligned arrays."""
    return a if a.flags.aligned else a.copy()


def preparer(
    dof: int,
    shape: tuple[int, ...],
    owner: str,
    name: str,
    needs_dq: bool,
    needs_u: bool = False,
) -> Callable:
    """The argument converter of one kernel: any accepted input to the aligned
    float64 C-contiguous arrays the kernel reads, or a clear :class:`InputError`."""
    u_name = U_NAMES.get(name.split("_")[0], "u")

    def like_q(value, what, qb, single, q):
        arr, one = as_batch(value, dof, what, owner)
        if arr.shape != qb.shape or one != single:
            raise InputError(
                f"q and {what} must have the same shape; got {np.shape(q)} and {np.shape(value)}"
            )
        return _aligned(arr[0] if single else arr)

    def prepare(q, dq, p, out, u=None):
        qb, single = as_batch(q, dof, "q", owner)
        if dq is None and needs_dq:
            raise InputError(f"{name} needs dq (joint velocities)")
        if u is None and needs_u:
            raise InputError(f"{name} needs {u_name}")
        dqb = None if dq is None else like_q(dq, "dq", qb, single, q)
        ub = None if u is None else like_q(u, u_name, qb, single, q)
        qb = _aligned(qb[0] if single else qb)
        full = shape if single else (qb.shape[0], *shape)
        out = np.empty(full) if out is None else check_out(out, full, f"out ({name})")
        if not out.flags.aligned:
            raise InputError(
                f"out ({name}) must be an aligned float64 array; got a view at an odd byte offset"
            )
        return qb, dqb, None if p is None else _aligned(check_point(p)), out, ub

    return prepare


def failer(name: str) -> Callable:
    """The error raiser of one kernel, for its non-zero status codes."""
    u_name = U_NAMES.get(name.split("_")[0], "u")

    def fail(code: int, q, dq, u=None):
        if code in (1, 2, 4):
            what, value = {1: ("q", q), 2: ("dq", dq), 4: (u_name, u)}[code]
            raise InputError(f"{what} must be finite (got NaN or inf): {excerpt(value)}")
        if name.startswith("mgrad"):  # a zero pivot of J J^T: the square root's gradient
            raise SingularityError(SINGULAR)
        biggest = max(float(np.abs(v).max(initial=0.0)) for v in (q, dq, u) if v is not None)
        why = "such values exceed double precision"
        if name.startswith("fd"):
            why += ", or the mass matrix is singular (bodies without mass at the chain's end)"
        raise InputError(
            f"{name} overflowed: its result is not finite although the inputs are "
            f"(largest |q|, |dq| entry {biggest:.3g}); {why}"
        )

    return fail
