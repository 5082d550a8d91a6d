"""Spatial (6-D) vectors in world coordinates, on :mod:`armjac.symbolic.program` lists.

A motion vector is ``(w, v)``: angular velocity and the velocity of the body
point passing through the world origin. A force vector is ``(n, f)``: moment
about the world origin and force. A rigid body's spatial inertia about the world
origin is ``(m, h, I)``: mass, first moment ``m c`` and the rotational inertia
about the origin ``I = I_c + m (|c|^2 1 - c c^T)``. In these coordinates a
joint axis moves with its body (its rate is ``V x S``) and all bodies' inertias
add, which is what the recursive algorithms in
:mod:`armjac.symbolic.derivation` rely on (Featherstone, *Rigid Body Dynamics
Algorithms*, ch. 2).
"""

from __future__ import annotations

from collections.abc import Sequence

from armjac.symbolic.program import ZERO3, Poly, Program, Vec, add, cross, dot, matvec, scale, sub

Motion = tuple[Vec, Vec]
Force = tuple[Vec, Vec]
ZERO6: Motion = (ZERO3, ZERO3)


class Inertia:
    """Spatial inertia ``(m, h, I)`` about the world origin (see module docstring)."""

    __slots__ = ("m", "h", "rot")

    def __init__(self, m: Poly, h: Vec, rot: Sequence[Sequence]):
        self.m, self.h, self.rot = m, h, rot

    def __add__(self, other: Inertia) -> Inertia:
        rot = [[self.rot[i][j] + other.rot[i][j] for j in range(3)] for i in range(3)]
        return Inertia(self.m + other.m, add(self.h, other.h), rot)

    def bound(self, prog: Program) -> Inertia:
        """The same inertia with its entries bound as intermediates (symmetric)."""
        rot = [[None] * 3 for _ in range(3)]
        for i in range(3):
            for j in range(i, 3):
                rot[i][j] = rot[j][i] = prog.let(self.rot[i][j])
        return Inertia(prog.let(self.m), prog.vec(self.h), rot)

    def apply(self, v: Motion) -> Force:
        """The momentum ``I V``."""
        w, lin = v
        return add(matvec(self.rot, w), cross(self.h, lin)), sub(
            scale(self.m, lin), cross(self.h, w)
        )


def madd(*vs: Motion) -> Motion:
    """Sum of spatial vectors."""
    return add(*(v[0] for v in vs)), add(*(v[1] for v in vs))


def mscale(s: Poly, v: Motion) -> Motion:
    """s * V."""
    return scale(s, v[0]), scale(s, v[1])


def mcross(a: Motion, b: Motion) -> Motion:
    """Motion cross product ``a x b`` (the rate of ``b`` carried by velocity ``a``)."""
    return cross(a[0], b[0]), add(cross(a[0], b[1]), cross(a[1], b[0]))


def fcross(a: Motion, f: Force) -> Force:
    """Force cross product ``a x* f``."""
    return add(cross(a[0], f[0]), cross(a[1], f[1])), cross(a[0], f[1])


def power(a: Motion, f: Force) -> Poly:
    """The scalar ``a . f`` (a joint axis against a wrench gives the joint torque)."""
    return dot(a[0], f[0]) + dot(a[1], f[1])


def bind(prog: Program, v: Motion) -> Motion:
    """Both halves of ``v`` bound as intermediates."""
    return prog.vec(v[0]), prog.vec(v[1])
