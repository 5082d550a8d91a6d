"""Parametric kinematic calibration by nonlinear least squares.

:func:`calibrate` fits joint-origin offsets, joint zero offsets and the tool
point (:mod:`armjac.calibration.kinematics`) to measured pairs (joint
readings, tool-tip positions) with Levenberg-Marquardt.

Identifiability: some parameters cannot be told apart from tip positions
(e.g. an origin offset along a joint's own axis and the next joint's offset
along the same line). The columns of the parameter Jacobian are scaled to unit
norm and its SVD at the nominal taken; directions whose singular value is
below ``rank_tol`` times the largest are dropped, and the fit runs in the
remaining subspace (a minimum-norm solution). The numerical rank is reported.
A small ridge term (``regularization``) keeps badly conditioned directions
near the nominal.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from armjac.calibration.joint_errors import JointErrorArm, joint_features
from armjac.calibration.kinematics import ChainModel
from armjac.calibration.offset_arm import OffsetArm
from armjac.validation import as_measurements, check_point


@dataclasses.dataclass
class CalibrationResult:
    """A calibration's outcome.

    Attributes
    ----------
    arm : OffsetArm
        The corrected arm: ``arm.position(q, point=point)`` predicts the tip.
    point : (3,) array
        The identified tool point (EE link frame).
    origin_offsets : (N, 3) array
        Identified joint-origin offsets, m (parent frame).
    zero_offsets : (N,) array
        Identified joint zero offsets, rad.
    residual_mm : dict
        ``rms``, ``median``, ``p95``, ``max`` of the fitted tip residuals, mm.
    initial_mm : dict
        The same for the nominal arm with the starting point.
    rank, n_params : int
        Numerical rank of the scaled parameter Jacobian and the parameter count.
    iterations : int
    seconds : float
    """

    arm: OffsetArm
    point: np.ndarray
    origin_offsets: np.ndarray
    zero_offsets: np.ndarray
    residual_mm: dict
    initial_mm: dict
    rank: int
    n_params: int
    iterations: int
    seconds: float

    def predict(self, q) -> np.ndarray:
        """Tip positions (3,)/(B, 3) predicted from joint readings ``q``."""
        return self.arm.position(q, point=self.point)

    def write_urdf(self, path: str | os.PathLike) -> Path:
        """Write the calibrated chain as a URDF (the tool point is reported, not written)."""
        return self.arm.write_urdf(path)

    def summary(self) -> dict:
        """JSON-friendly numbers."""
        return {
            "residual_mm": self.residual_mm,
            "initial_mm": self.initial_mm,
            "rank": self.rank,
            "n_params": self.n_params,
            "iterations": self.iterations,
            "seconds": round(self.seconds, 3),
            "point": self.point.tolist(),
        }


def _stats(res: np.ndarray) -> dict:
    e = 1e3 * np.linalg.norm(res.reshape(-1, 3), axis=1)
    return {
        "rms": float(np.sqrt(np.mean(e**2))),
        "median": float(np.median(e)),
        "p95": float(np.percentile(e, 95)),
        "max": float(e.max()),
    }


def calibrate(
    nominal,
    q,
    x,
    point=None,
    *,
    zero_offsets: bool = True,
    origin_offsets: bool = True,
    max_iter: int = 30,
    tol: float = 1e-12,
    rank_tol: float = 1e-6,
    regularization: float = 1e-10,
    joint_errors: bool = False,
) -> CalibrationResult:
    """Identify joint-origin offsets, zero offsets and the tool point from data.

    Parameters
    ----------
    nominal : Arm
        The nominal arm (URDF).
    q : (B, N) array
        Joint readings.
    x : (B, 3) array
        Measured tool-tip positions, m, in the arm's base frame.
    point : 3 floats, optional
        Starting tool point (EE link frame), default the EE origin.
    zero_offsets, origin_offsets : bool
        Which joint parameters to identify (the tool point always is).
    max_iter : int
        Levenberg-Marquardt iterations at most.
    tol : float
        Stop when the relative decrease of the squared residual is below this.
    rank_tol : float
        Relative singular value below which a parameter direction is dropped.
    regularization : float
        Ridge weight pulling the (scaled) parameters towards the nominal.
    joint_errors : bool
        Also identify the joint-error model of :mod:`armjac.calibration.joint_errors`
        (encoder eccentricity, gravity deflection; 4 weights per joint); the result's
        ``arm`` is then a :class:`~armjac.calibration.joint_errors.JointErrorArm`.

    Returns
    -------
    CalibrationResult
    """
    import time


    t0 = time.perf_counter()
    q, x = as_measurements(q, x, nominal.dof, minimum=4)
    p0 = np.zeros(3) if point is None else check_point(point)
    model = ChainModel(nominal)
    n = nominal.dof
    phi = joint_features(nominal, q, p0) if joint_errors else np.zeros((len(q), 0, n))
    n_geo = model.n_params
    n_all = n_geo + phi.shape[1] * n  # geometric parameters, then the joint-error weights
    theta = np.zeros(n_all)
    theta[n_geo - 3 : n_geo] = p0
    free = np.ones(n_all, bool)
    per_joint = np.ones((n, 4), bool)
    per_joint[:, :3] = origin_offsets
    per_joint[:, 3] = zero_offsets
    free[: 4 * n] = per_joint.ravel()

    def tip_and_jac(th):
        w = th[n_geo:].reshape(-1, n)
        tp, jc = model.tip(q + np.einsum("kn,bkn->bn", w, phi), th[:n_geo])
        # d tip / d w_ki = (d tip / d q_i) phi_ki: the zero offset's column times the feature
        jq = jc[:, :, 3 : 4 * n : 4]
        jw = (jq[:, :, None, :] * phi[:, None, :, :]).reshape(len(q), 3, -1)
        return tp, np.concatenate([jc, jw], axis=2)

    tip, jac = tip_and_jac(theta)
    res = (tip - x).ravel()
    initial = _stats(res)
    a = jac.reshape(-1, n_all)[:, free]
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    _, s, vt = np.linalg.svd(a / scale, full_matrices=False)
    rank = int((s > rank_tol * s[0]).sum())
    basis = vt[:rank].T / scale[:, None]  # theta_free = theta0_free + basis z
    z = np.zeros(rank)
    base = theta.copy()

    def evaluate(z):
        th = base.copy()
        th[free] += basis @ z
        tp, jc = tip_and_jac(th)
        return th, (tp - x).ravel(), jc

    th, res, jac = evaluate(z)
    cost = res @ res + regularization * z @ z
    lam = 1e-3
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        jz = jac.reshape(-1, n_all)[:, free] @ basis
        h = jz.T @ jz + regularization * np.eye(rank)
        g = jz.T @ res + regularization * z
        improved = False
        for _ in range(10):
            step = np.linalg.solve(h + lam * np.diag(np.diag(h)), -g)
            th_new, res_new, jac_new = evaluate(z + step)
            cost_new = res_new @ res_new + regularization * (z + step) @ (z + step)
            if cost_new < cost:
                improved = True
                rel = (cost - cost_new) / max(cost, 1e-300)
                z, th, res, jac, cost = z + step, th_new, res_new, jac_new, cost_new
                lam = max(lam / 3, 1e-9)
                break
            lam *= 10
        if not improved or rel < tol:
            break
    offsets = th[: 4 * nominal.dof].reshape(nominal.dof, 4)
    arm = nominal.adjusted(offsets[:, :3], name=f"{nominal.name}-calibrated")
    if joint_errors:
        corrected_arm = JointErrorArm(arm, offsets[:, 3], th[n_geo:], nominal, p0)
    else:
        corrected_arm = OffsetArm(arm, offsets[:, 3])
    return CalibrationResult(
        arm=corrected_arm,
        point=th[n_geo - 3 : n_geo].copy(),
        origin_offsets=offsets[:, :3].copy(),
        zero_offsets=offsets[:, 3].copy(),
        residual_mm=_stats(res),
        initial_mm=initial,
        rank=rank,
        n_params=int(free.sum()),
        iterations=iterations,
        seconds=time.perf_counter() - t0,
    )
