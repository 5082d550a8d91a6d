"""Which matrices are compiled for an arm: the bridge from derivation to kernels."""

from __future__ import annotations

from armjac.codegen.kernel import KernelSpec
from armjac.symbolic.derivation import ChainDerivation
from armjac.symbolic.program import Poly


def control_layout(dof: int) -> dict[str, tuple[int, ...]]:
    """Shape of each field of the fused control kernel, in output order."""
    return {"T": (4, 4), "x": (3,), "J": (6, dof), "dJdq": (6,), "M": (dof, dof), "h": (dof,)}


def link_kernels(d: ChainDerivation, link: str, tag: str, dynamics: bool) -> list[KernelSpec]:
    """Kernels of ``link`` (point offset symbolic), plus the arm-wide ones if ``dynamics``.

    Link kernels are ``fk_<tag>``, ``jac_<tag>``, ``jacl_<tag>`` (local frame),
    ``djdq_<tag>``, ``jdot_<tag>`` (dJ/dt), ``mgrad6_<tag>`` and ``mgrad3_<tag>``
    (manipulability gradient of all rows, of the linear rows) and the fused
    ``ctrl_<tag>`` (T, point x,
    J, dJdq, M, C dq + g, flattened in that order); arm-wide ones are ``mass``,
    ``grav``, ``nle`` (C dq + g), ``cor`` (C), ``rnea`` (inverse dynamics, ``u`` the
    accelerations), ``fd`` (forward dynamics, ``u`` the torques) and ``mom``
    (M dq, then C^T dq - g).
    """
    prog = d.prog
    fk, jac, djdq = d.fk(link), d.jacobian(link), d.djdq(link)
    mass, nle = d.mass_matrix(), d.nonlinear_effects()
    fused = [[e] for rows in (fk, [d.point(link)], jac, djdq, mass, nle) for r in rows for e in r]
    out = [
        KernelSpec(f"fk_{tag}", fk, prog, lanes=True),  # batches: datasets, IK, sampling
        KernelSpec(f"jac_{tag}", jac, prog, lanes=True),
        KernelSpec(f"djdq_{tag}", djdq, prog),
        KernelSpec(f"jacl_{tag}", d.local_jacobian(link), prog, lanes=True),
        KernelSpec(f"jdot_{tag}", d.jacobian_dot(link), prog),
        KernelSpec(f"mgrad6_{tag}", d.manipulability_gradient(link, 6), prog),
        KernelSpec(f"mgrad3_{tag}", d.manipulability_gradient(link, 3), prog),
        KernelSpec(f"ctrl_{tag}", fused, prog),
    ]
    if dynamics:
        out += [
            KernelSpec("mass", mass, prog),
            KernelSpec("grav", d.gravity(), prog, lanes=True),
            KernelSpec("nle", nle, prog),
            KernelSpec("cor", d.coriolis(), prog),
            KernelSpec("rnea", d.inverse_dynamics(), prog),
            KernelSpec("fd", d.forward_dynamics(), prog),
            KernelSpec("mom", _rows(d.momentum_terms(), len(d.joints)), prog),
        ]
    return out


def _rows(column: list[list[Poly]], width: int) -> list[list[Poly]]:
    """A stacked column as rows of ``width``."""
    flat = [r[0] for r in column]
    return [flat[i : i + width] for i in range(0, len(flat), width)]
