"""A residual in joint space: the network corrects the joint readings, the arm does the rest.

What geometric calibration leaves behind on an arm with motor-side encoders is a joint
error: encoder eccentricity (a function of each joint's own angle) and gravity
deflection (``tau_g(q) / k``, smooth and low order). :class:`JointResidualModel` learns
``delta(q)`` (N outputs, rad) so that the tip is

    x(q) = base.position(q + delta(q)),

and its Jacobian is ``J_base(q + delta) (I + d delta / d q)``. The output decoders start
at zero, so the model starts at exactly its base arm. Training linearises the tip around
the readings, ``x - base(q) ~ J_base(q) delta(q)`` (delta is a fraction of a degree, so
the dropped second-order term is microns), which keeps the arm out of the TensorFlow
graph: only the precomputed ``J_base(q)`` enters the loss.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError
from armjac.learned.data_model import DataModel


class JointResidualModel(DataModel):
    """A :class:`DataModel` whose network outputs joint corrections ``delta(q)``, rad."""

    def joint_correction(self, q) -> np.ndarray:
        """``delta(q)`` (N,) / (B, N), rad: what the model adds to the readings."""
        arr, single = self._batch(q)
        d, _ = self._cf.forward(arr)
        return d[0] if single else d

    def _outputs(self, q2: np.ndarray, with_jac: bool, backend: str = "numpy"):
        """Tip (B, 3) at the corrected joints and, optionally, its Jacobian (B, 3, N)."""
        if backend != "numpy":
            raise InputError(
                f"a joint-residual model evaluates with backend='numpy'; got {backend!r}"
            )
        if not with_jac:
            d, _ = self._cf.forward(q2)
            return self.nominal.position(q2 + d), None
        d, jd = self._cf.jacobian(q2)
        qc = q2 + d
        jb = self.nominal.jacobian(qc)[:, :3, :]
        return self.nominal.position(qc), jb + jb @ jd

    def jacobian(self, q, link: str | None = None, point=None, backend: str = "numpy"):
        """Tip Jacobian (3, N) / (B, 3, N): ``J_base(q + delta) (I + d delta / d q)``."""
        self._check_link(link, point)
        arr, single = self._batch(q)
        _, jy = self._outputs(arr, with_jac=True, backend=backend)
        return jy[0] if single else jy

    def __repr__(self) -> str:
        return (
            f"JointResidualModel(dof={self.dof}, {self.n_neurons} tanh neurons, "
            f"joint residual on {self.nominal.arm.name})"
        )
