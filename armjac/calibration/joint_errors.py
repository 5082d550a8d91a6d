"""Joint errors that geometric calibration does not model: eccentricity and deflection.

A motor-side encoder on a harmonic drive reads ``q + a sin(q + phi)`` (eccentricity),
and an elastic joint under gravity reads ``q - tau_g(q) / k`` (deflection). Both are
joint errors, so the true angle is the reading plus a correction

    delta_i(q) = w_i . phi_i(q),   phi_i = [sin q_i, cos q_i, g_i(q), dz_tip/dq_i (q)],

linear in the weights: the eccentricity's two harmonics of the joint's own angle, the
nominal arm's gravity torque on the joint (its deflection per unit compliance), and
the torque a unit weight at the tool point puts on it (the unknown tool and payload).
:func:`armjac.calibrate` with ``joint_errors=True`` identifies the weights together with
the geometric parameters; :class:`JointErrorArm` is the corrected arm.
"""

from __future__ import annotations

import numpy as np

from armjac.calibration.offset_arm import OffsetArm

N_FEATURES = 4


def joint_features(arm, q, point) -> np.ndarray:
    """Features ``phi`` (B, 4, N) (or (4, N) for one q) of the joint-error model, from the
    nominal ``arm`` and its tool ``point`` at the readings ``q``."""
    q = np.asarray(q, float)
    single = q.ndim == 1
    q2 = np.atleast_2d(q)
    g = np.array([arm.gravity(qq) for qq in q2])
    jz = np.asarray(arm.jacobian(q2, point=point))[:, 2, :]
    phi = np.stack([np.sin(q2), np.cos(q2), g, jz], axis=1)
    return phi[0] if single else phi


class JointErrorArm(OffsetArm):
    """A calibrated arm whose readings are also corrected by the joint-error model.

    ``q_true = q + offsets + delta(q)`` with ``delta_i = weights[:, i] . phi_i(q)``
    (:func:`joint_features` of ``feature_arm`` at ``feature_point``). The Jacobian is
    ``J(q_true) (I + d delta / d q)``, the correction's derivative by central
    differences of the features (they are smooth; h = 1e-6 rad).
    """

    def __init__(self, arm, offsets, weights, feature_arm, feature_point):
        super().__init__(arm, offsets)
        self.weights = np.asarray(weights, float).reshape(N_FEATURES, arm.dof)
        self.feature_arm = feature_arm
        self.feature_point = np.asarray(feature_point, float)

    def __repr__(self) -> str:
        return f"JointErrorArm({self.base!r}, max |offset| {np.abs(self.offsets).max():.3g})"

    def correction(self, q) -> np.ndarray:
        """``delta(q)`` (N,) / (B, N), rad."""
        phi = joint_features(self.feature_arm, q, self.feature_point)
        return np.sum(self.weights * phi, axis=-2)

    def _q(self, q) -> np.ndarray:
        return np.asarray(q, float) + self.offsets + self.correction(q)

    def jacobian(self, q, link=None, point=None):
        """6xN geometric Jacobian at the readings ``q``: ``J(q_true) (I + d delta/dq)``."""
        q = np.asarray(q, float)
        h, eye = 1e-6, np.eye(self.dof)
        dd = np.stack(
            [(self.correction(q + h * e) - self.correction(q - h * e)) / (2 * h) for e in eye],
            axis=-1,
        )
        return self.base.jacobian(self._q(q), link, point) @ (eye + dd)

    def write_urdf(self, path):
        """Not representable: a URDF holds no joint-error model."""
        from armjac.errors import InputError

        raise InputError(
            "a URDF cannot hold the joint-error model (eccentricity, deflection); "
            "calibrate with joint_errors=False to write one"
        )
