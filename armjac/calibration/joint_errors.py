"""Joint errors that geometric calibration does not model: eccentricity and deflection.

A motor-side encoder on a harmonic drive reads ``q + a sin(q + phi)`` (eccentricity),
and an elastic joint under gravity reads ``q - tau_g(q) / k`` (deflection). Both are
joint errors, so the true angle is the reading plus a correction

    delta_i(q) = w_i . phi_i(q),   phi_i = [sin q_i, cos q_i, g_i(q), dz_tip/dq_i (q)],

linear in the weights: the eccentricity's two harmonics of the joint's own angle, the
nominal arm's gravity torque on the joint (its deflection per unit compliance), and
the torque a unit weight at the tool point puts on it (the unknown tool and payload).
:func:`armjac.calibrate` with ``joint_errors=True`` identifies the weights together with
the geometric parameters; the corrected arm is a
:class:`~armjac.calibration.calibrated_arm.CalibratedArm` with ``weights``.
"""

from __future__ import annotations

import numpy as np

N_FEATURES = 4
FEATURE_NAMES = ("sin", "cos", "gravity", "tool_load")


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

