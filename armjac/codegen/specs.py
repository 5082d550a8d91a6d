"""Which matrices are compiled for an arm: the bridge from derivation to kernels."""

from __future__ import annotations

from armjac.codegen.kernel import KernelSpec
from armjac.symbolic.derivation import ChainDerivation


def link_kernels(d: ChainDerivation, link: str, tag: str, dynamics: bool) -> list[KernelSpec]:
    """FK, J and dJ/dt·dq of ``link`` (point offset symbolic), plus M and g if ``dynamics``.

    Kernel names are ``<kind>_<tag>`` for link kernels and ``mass``/``grav``.
    """
    out = [
        KernelSpec(f"fk_{tag}", d.fk(link)),
        KernelSpec(f"jac_{tag}", d.jacobian(link)),
        KernelSpec(f"djdq_{tag}", d.djdq(link)),
    ]
    if dynamics:
        out += [KernelSpec("mass", d.mass_matrix()), KernelSpec("grav", d.gravity())]
    return out
