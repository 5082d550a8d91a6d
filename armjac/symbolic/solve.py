"""Straight-line linear algebra on :class:`~armjac.symbolic.program.Program` expressions.

A symmetric positive-definite system is solved by its LDL^T factorisation
written out step by step: no pivoting, no branches, one reciprocal per pivot, so
it compiles to the same kind of straight-line code as the rest of a kernel.
A matrix that is not positive definite (a chain whose last bodies carry no mass)
gives a zero pivot, whose reciprocal is infinite: the kernel then reports a
non-finite result instead of returning one.
"""

from __future__ import annotations

from collections.abc import Sequence

from armjac.symbolic.program import Poly, Program


def ldl(
    prog: Program, a: Sequence[Sequence[Poly]]
) -> tuple[list[list[Poly]], list[Poly], list[Poly]]:
    """The unit lower-triangular L (below the diagonal), the pivots D and their
    reciprocals ``1 / D`` of ``a = L D L^T``, each entry bound as a step."""
    n = len(a)
    low: list[list[Poly]] = [[Poly({})] * n for _ in range(n)]
    piv: list[Poly] = []
    inv: list[Poly] = []
    for j in range(n):
        w = [prog.let(low[j][k] * piv[k]) for k in range(j)]  # L_jk D_k
        piv.append(prog.let(a[j][j] - sum((low[j][k] * w[k] for k in range(j)), Poly({}))))
        inv.append(prog.func("recip", piv[j]))
        for i in range(j + 1, n):
            s = a[i][j] - sum((low[i][k] * w[k] for k in range(j)), Poly({}))
            low[i][j] = prog.let(s * inv[j])
    return low, piv, inv


def ldl_solve(prog: Program, a: Sequence[Sequence[Poly]], b: Sequence[Poly]) -> list[Poly]:
    """``x`` with ``a x = b`` for a symmetric positive-definite ``a``."""
    low, _, inv = ldl(prog, a)
    return factored_solve(prog, low, inv, b)


def factored_solve(
    prog: Program, low: Sequence[Sequence[Poly]], inv: Sequence[Poly], b: Sequence[Poly]
) -> list[Poly]:
    """``x`` with ``L D L^T x = b`` from :func:`ldl`'s factors."""
    n = len(b)
    y: list[Poly] = []
    for i in range(n):
        y.append(prog.let(b[i] - sum((low[i][k] * y[k] for k in range(i)), Poly({}))))
    x: list[Poly] = [Poly({})] * n
    for i in range(n - 1, -1, -1):
        rest = sum((low[k][i] * x[k] for k in range(i + 1, n)), Poly({}))
        x[i] = prog.let(y[i] * inv[i] - rest)
    return x
