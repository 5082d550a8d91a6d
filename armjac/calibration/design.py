"""Poses that identify the calibration's parameters: a greedy D-optimal design.

:func:`design_poses` draws candidate configurations uniformly within the joint limits
(shrunk by a margin) and picks, in batches, those that most increase the log
determinant of the information matrix ``sum J_c^T J_c`` of the minimal parameter set
(:mod:`armjac.calibration.identify`, unit-norm columns): each pick adds what the poses
picked so far identify worst. The result's condition number is far below that of as
many random poses (test), and the poses serve as static measurement poses or as via
points of an exploration path.
"""

from __future__ import annotations

import numpy as np

from armjac.calibration.joint_errors import joint_features
from armjac.validation import as_count


def design_poses(
    arm,
    n: int,
    *,
    point=None,
    candidates: int = 4000,
    margin: float = 0.1,
    joint_errors: bool = False,
    orientation: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """``n`` joint configurations (n, N) chosen for identifiability and coverage.

    Parameters
    ----------
    arm : Arm
        The nominal arm.
    n : int
        Poses wanted (at most ``candidates``).
    point : 3 floats, optional
        The tool point (EE link frame) the tracker measures.
    candidates : int
        Random configurations to choose from.
    margin : float
        Fraction of each joint range kept free at both ends.
    joint_errors, orientation : bool
        Design for the joint-error model too; for full tool poses.
    seed : int

    Returns
    -------
    (n, N) array
    """
    from armjac.calibration.calibrate import (
        _Problem,
        _check_arm,
        _reach,
        parameter_set,
        structural,
    )

    _check_arm(arm)
    n = as_count(n, "n", minimum=1)
    m = as_count(candidates, "candidates", minimum=n)
    p0 = np.zeros(3) if point is None else np.asarray(point, float)
    flags = {"base_frame": True, "origin_offsets": True, "axes": True, "zero_offsets": True,
             "joint_errors": bool(joint_errors)}  # fmt: skip
    model, names, order = parameter_set(arm, bool(orientation), None, flags)
    theta = np.zeros(len(names))
    theta[: model.n_params] = model.initial(p0)
    kept, _ = structural(model, names, order, theta, p0, flags["joint_errors"])
    qc = arm.random_q(m, np.random.default_rng(seed), margin)
    phi = joint_features(arm, qc, p0) if joint_errors else np.zeros((m, 0, arm.dof))
    rot = np.broadcast_to(np.eye(3), (m, 3, 3)) if orientation else None
    jac = _Problem(model, qc, np.zeros((m, 3)), rot, phi, _reach(arm, p0))(theta)[1][:, :, kept]
    jac = jac / np.linalg.norm(jac, axis=(0, 1))  # unit columns over the candidates
    return qc[_greedy(jac, n)]


def _greedy(jac: np.ndarray, n: int, steps: int = 50) -> np.ndarray:
    """Indices of ``n`` candidates (C, rows, K) maximising log det of their information,
    about ``n / steps`` picked per step."""
    c, _, k = jac.shape
    info = 1e-6 * np.eye(k) * jac.shape[1]
    chosen = np.zeros(c, bool)
    batch = max(1, -(-n // steps))
    while chosen.sum() < n:
        low = np.linalg.cholesky(info)
        b = np.linalg.solve(low, jac.reshape(-1, k).T).T.reshape(c, -1, k)
        gain = np.linalg.slogdet(np.eye(jac.shape[1]) + b @ np.swapaxes(b, 1, 2))[1]
        gain[chosen] = -np.inf
        take = np.argsort(-gain)[: min(batch, n - int(chosen.sum()))]
        chosen[take] = True
        info = info + np.einsum("cri,crj->ij", jac[take], jac[take])
    return np.flatnonzero(chosen)
