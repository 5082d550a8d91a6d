"""Kinematic calibration by robust nonlinear least squares.

:func:`calibrate` fits the minimal parameter set of
:mod:`armjac.calibration.chain` (base frame, joint origins, axis orientations, zero
offsets, tool; optionally the joint-error model of
:mod:`armjac.calibration.joint_errors`) to measured pairs (joint readings, tool
positions or full tool poses) with Levenberg-Marquardt.

* **Identifiability** (:mod:`armjac.calibration.identify`): candidates that no pose set
  can tell apart are dropped first (reported by name with what absorbs them); a pose set
  that cannot tell the rest apart is refused, one that is badly conditioned warned about.
* **Robust loss**: Huber on each sample's residual norm, its threshold re-estimated from
  the residuals (the 99 % point of the noise's chi distribution, from the median), so a
  tracker outlier pulls with the force of a ~3-sigma sample, not with its size; samples
  beyond three thresholds (~10 sigma) are then left out of a last stage. Samples it
  down-weighted or left out are reported; samples absurdly far from the arm (beyond a
  quarter of its reach after the alignment below) are excluded up front.
* **Plausibility**: the measurements are first aligned with the nominal tips by a
  similarity transform; a scale far from 1 (millimetres given as metres) or a fitted
  geometry far from the nominal (a wrong arm, unidentifiable data) is refused.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from pathlib import Path

import numpy as np

from armjac.calibration import identify
from armjac.calibration.calibrated_arm import CalibratedArm
from armjac.calibration.chain import KinematicModel, motion
from armjac.calibration.joint_errors import FEATURE_NAMES, joint_features
from armjac.errors import InputError
from armjac.validation import as_float_array, check_finite, check_point, excerpt

LOSSES = ("huber", "squared")
# median and 99 % point of the norm of k-dimensional unit Gaussian noise (chi, k = 3, 6)
_CHI = {3: (1.5382, 3.3682), 6: (2.3126, 4.1002)}
# the fit may move a joint origin by this fraction of the arm's reach, tilt an axis or
# turn a zero by these angles; beyond, it is not a calibration of this arm
MAX_ORIGIN_SHIFT, MAX_TILT, MAX_ZERO = 0.1, 0.2, 0.5
MAX_SCALE_ERROR = 0.2  # the measurements' scale against the nominal tips


@dataclasses.dataclass
class CalibrationResult:
    """A calibration's outcome.

    Attributes
    ----------
    arm : CalibratedArm
        ``arm.position(q, point=point)`` predicts the tip in the measurement frame.
    point : (3,) array
        The identified tool point (EE link frame).
    parameters : dict
        The fitted minimal set, name -> value (m, rad).
    base_frame : (4, 4) array
        The robot's base in the measurement frame.
    origin_offsets, axis_tilts, zero_offsets : (N, 3), (N, 2), (N,) arrays
        Per joint: origin shift (parent frame, m), axis tilts about the two directions
        perpendicular to it (rad), zero offset (rad).
    tool_rotation : (3, 3) array or None
        The measured tool frame in the EE link frame (pose measurements only).
    identifiability : dict
        ``candidates``, ``dropped`` (name -> what it cannot be told from), ``rank``,
        ``n``, ``condition``, ``condition_warning``, ``weakest``.
    residual_mm, initial_mm : dict
        ``rms``, ``median``, ``p95``, ``max`` of the tip residuals after and before, mm
        (samples excluded as absurd are left out).
    outliers : (K,) int array
        Samples excluded up front or down-weighted to below 1/3 (> ~10 sigma).
    downweighted : int
        Samples beyond the Huber threshold (about 1 % of clean Gaussian data).
    huber_mm : float or None
        The final Huber threshold.
    rank, n_params : int
        Rank of the minimal set at the data and its size.
    iterations : int
    seconds : float
    """

    arm: CalibratedArm
    point: np.ndarray
    parameters: dict
    base_frame: np.ndarray
    origin_offsets: np.ndarray
    axis_tilts: np.ndarray
    zero_offsets: np.ndarray
    tool_rotation: np.ndarray | None
    identifiability: dict
    residual_mm: dict
    initial_mm: dict
    outliers: np.ndarray
    downweighted: int
    huber_mm: float | None
    rank: int
    n_params: int
    iterations: int
    seconds: float

    def predict(self, q) -> np.ndarray:
        """Tip positions (3,)/(B, 3) predicted from joint readings ``q``."""
        return self.arm.position(q, point=self.point)

    def predict_pose(self, q) -> np.ndarray:
        """Tool poses (4, 4)/(B, 4, 4) (the tool frame with ``tool_rotation``)."""
        t = np.array(self.arm.fk(q), copy=True)
        t[..., :3, 3] = self.predict(q)
        if self.tool_rotation is not None:
            t[..., :3, :3] = t[..., :3, :3] @ self.tool_rotation
        return t

    def write_urdf(self, path: str | os.PathLike) -> Path:
        """Write the calibrated chain as a URDF (the tool is reported, not written; the
        base frame is folded into the first joint's origin)."""
        return self.arm.write_urdf(path)

    def summary(self) -> dict:
        """JSON-friendly numbers."""
        return {
            "residual_mm": self.residual_mm,
            "initial_mm": self.initial_mm,
            "rank": self.rank,
            "n_params": self.n_params,
            "identifiability": self.identifiability,
            "outliers": self.outliers.tolist(),
            "downweighted": self.downweighted,
            "huber_mm": self.huber_mm,
            "iterations": self.iterations,
            "seconds": round(self.seconds, 3),
            "point": self.point.tolist(),
            "base_frame": self.base_frame.tolist(),
        }


def _stats(e_m: np.ndarray) -> dict:
    e = 1e3 * e_m
    return {"rms": float(np.sqrt(np.mean(e**2))), "median": float(np.median(e)),
            "p95": float(np.percentile(e, 95)), "max": float(e.max())}  # fmt: skip


# -- argument checks ---------------------------------------------------------------------
def _flag(name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"calibrate: {name} must be True or False; got {excerpt(value)}")
    return bool(value)


def _number(name: str, value, lo: float, hi: float = np.inf, lo_open: bool = False) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = np.isfinite(value) and (value > lo if lo_open else value >= lo) and value < hi
    if not ok:
        side = ">" if lo_open else ">="
        raise InputError(f"calibrate: {name} must be a finite number {side} {lo:g}"
                         + (f" and < {hi:g}" if np.isfinite(hi) else "")
                         + f"; got {excerpt(value)}")  # fmt: skip
    return value


def _check_arm(nominal) -> None:
    needed = ("dof", "joint_names", "model", "ee_link", "position", "jacobian", "gravity")
    if not all(hasattr(nominal, a) for a in needed):
        raise InputError(
            f"calibrate needs the nominal Arm (armjac.load_arm(...)); got {excerpt(nominal)}"
        )


def _measurements(q, x, dof: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Readings (B, N), positions (B, 3) and rotations (B, 3, 3) or None."""
    q, x = as_float_array(q, "q"), as_float_array(x, "x")
    if q.ndim != 2 or q.shape[1] != dof:
        raise InputError(f"q must have shape (B, {dof}); got {q.shape}")
    if x.shape not in ((len(q), 3), (len(q), 4, 4)):
        raise InputError(
            f"x must be positions ({len(q)}, 3) or poses ({len(q)}, 4, 4) to match q; "
            f"got {x.shape}"
        )
    check_finite(q, "q")
    check_finite(x, "x")
    if x.ndim == 2:
        return q, x, None
    rot = x[:, :3, :3]
    err = np.abs(rot @ np.swapaxes(rot, 1, 2) - np.eye(3)).max(axis=(1, 2))
    if err.max() > 1e-6 or (np.linalg.det(rot) < 0).any():
        k = int(np.argmax(err))
        raise InputError(f"x[{k}] is not a rigid transform (its 3x3 part is not a rotation)")
    return q, x[:, :3, 3].copy(), rot.copy()


def _tool(point) -> tuple[np.ndarray, np.ndarray | None]:
    if point is None:
        return np.zeros(3), None
    arr = np.asarray(point, dtype=object if isinstance(point, str) else None)
    if getattr(arr, "shape", None) == (4, 4):
        t = as_float_array(point, "point")
        check_finite(t, "point")
        return t[:3, 3].copy(), t[:3, :3].copy()
    return check_point(point), None


# -- the fit -----------------------------------------------------------------------------
def _reach(nominal, point: np.ndarray) -> float:
    joints = nominal.model.path_to(nominal.ee_link)
    return float(sum(np.linalg.norm(j.xyz) for j in joints) + np.linalg.norm(point)) or 1.0


def _similarity(p: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale, rotation and shift with x ~ s R p + t (Umeyama)."""
    mp, mx = p.mean(axis=0), x.mean(axis=0)
    a, b = p - mp, x - mx
    u, s, vt = np.linalg.svd(b.T @ a)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = float(np.trace(np.diag(s) @ d) / max(np.sum(a * a), 1e-300))
    return scale, rot, mx - scale * rot @ mp


def _xyz_angles(rot: np.ndarray) -> np.ndarray:
    """(a, b, c) with rot = Rx(a) Ry(b) Rz(c)."""
    b = np.arcsin(np.clip(rot[0, 2], -1.0, 1.0))
    return np.array([np.arctan2(-rot[1, 2], rot[2, 2]), b, np.arctan2(-rot[0, 1], rot[0, 0])])


def _align(tip0: np.ndarray, x: np.ndarray, reach: float, base: bool):
    """The initial base frame and the samples kept (absurd ones excluded).

    Raises InputError when the measurements do not look like this arm's tips."""
    d = np.linalg.norm(x - np.median(x, axis=0), axis=1)
    keep = d < 10 * max(float(np.median(d)), 0.1 * reach)  # robust to wrong units, too
    if keep.sum() < 4:
        raise InputError("fewer than 4 measurements lie near the others")
    rot, shift = np.eye(3), np.zeros(3)
    spread = np.linalg.svd(tip0[keep] - tip0[keep].mean(axis=0), compute_uv=False)
    base = base and spread[1] > 1e-3 * spread[0] > 0  # else no rotation to find (and the
    for _ in range(3):  # identifiability check refuses); trimmed: align, drop far, align
        if base:
            scale, rot, shift = _similarity(tip0[keep], x[keep])
            if abs(scale - 1) > MAX_SCALE_ERROR:
                raise InputError(
                    f"the measured positions are {scale:.4g} times the size of the nominal "
                    "arm's tips (best similarity fit): positions must be in metres "
                    "(millimetres give 1000)"
                )
        e = np.linalg.norm(tip0 @ rot.T + shift - x, axis=1)
        keep = keep & (e < max(0.25 * reach, 20 * np.median(e[keep])))
    e = np.linalg.norm(tip0 @ rot.T + shift - x, axis=1)
    if np.median(e[keep]) > 0.25 * reach:
        raise InputError(
            f"the measured positions are {np.median(e[keep]):.3g} m from the nominal arm's "
            f"tips (median; its reach is {reach:.3g} m): wrong arm, units or frame "
            "(calibrate with base_frame=True to identify the frame)"
        )
    return rot, shift, keep


class _Problem:
    """Residuals and Jacobians of the measurements at the parameters."""

    def __init__(self, model, q, xp, xr, phi, rotation_scale):
        self.model, self.q, self.xp, self.xr, self.phi = model, q, xp, xr, phi
        self.rs = rotation_scale
        self.n_geo = model.n_params

    def __call__(self, th: np.ndarray):
        n = self.model.dof
        w = th[self.n_geo :].reshape(-1, n)
        qq = self.q + np.einsum("kn,bkn->bn", w, self.phi)
        t, d_th, d_q = self.model.evaluate(qq, th[: self.n_geo])
        jw = (d_q[:, :, None, :] * self.phi[:, None, :, :]).reshape(len(qq), 6, -1)
        jac = np.concatenate([d_th, jw], axis=2)
        r = t[:, :3, 3] - self.xp
        if self.xr is None:
            return r, jac[:, :3]
        from armjac.rotation import rotation_error

        r_rot = rotation_error(t[:, :3, :3], self.xr) * self.rs
        jac[:, 3:] *= self.rs
        return np.concatenate([r, r_rot], axis=1), jac


def _huber(e: np.ndarray, c: float | None) -> tuple[np.ndarray, float]:
    """Weights (IRLS) and the loss sum of residual norms ``e``."""
    if c is None:
        return np.ones_like(e), float(0.5 * e @ e)
    big = e > c
    w = np.where(big, c / np.where(big, e, 1.0), 1.0)
    return w, float(np.sum(np.where(big, c * e - 0.5 * c * c, 0.5 * e * e)))


def _lm(problem, th0, kept, scale, mask, c, reg, max_iter, tol):
    """Levenberg-Marquardt on the kept parameters (scaled); returns (theta, r, iterations)."""
    def at(z):
        th = th0.copy()
        th[kept] += z / scale
        r, jac = problem(th)
        return th, r, jac[:, :, kept] / scale

    z = np.zeros(len(kept))
    th, r, jz = at(z)
    w, loss = _huber(np.linalg.norm(r, axis=1), c)
    cost = loss + 0.5 * reg * z @ z
    lam, it = 1e-3, 0
    for it in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        wm = w * mask
        h = np.einsum("b,bki,bkj->ij", wm, jz, jz) + reg * np.eye(len(z))
        g = np.einsum("b,bki,bk->i", wm, jz, r) + reg * z
        improved, rel = False, 0.0
        for _ in range(12):
            step = np.linalg.solve(h + lam * np.diag(np.diag(h)), -g)
            th_n, r_n, jz_n = at(z + step)
            w_n, loss_n = _huber(np.linalg.norm(r_n, axis=1) * mask, c)
            cost_n = loss_n + 0.5 * reg * (z + step) @ (z + step)
            if cost_n < cost:
                rel = (cost - cost_n) / max(cost, 1e-300)
                z, th, r, jz, w, cost = z + step, th_n, r_n, jz_n, w_n, cost_n
                lam, improved = max(lam / 3, 1e-9), True
                break
            lam *= 10
        if not improved or rel < tol:
            break
    return th, r, it


def calibrate(
    nominal,
    q,
    x,
    point=None,
    *,
    base_frame: bool = True,
    origin_offsets: bool = True,
    axes: bool = True,
    zero_offsets: bool = True,
    joint_errors: bool = False,
    loss: str = "huber",
    huber: float | None = None,
    rotation_scale: float = 0.1,
    max_iter: int = 50,
    tol: float = 1e-12,
    rank_tol: float = 1e-6,
    regularization: float = 1e-10,
) -> CalibrationResult:
    """Identify the arm's kinematic parameters from measured tool positions or poses.

    Parameters
    ----------
    nominal : Arm
        The nominal arm (URDF).
    q : (B, N) array
        Joint readings.
    x : (B, 3) or (B, 4, 4) array
        Measured tool positions (m) or full tool poses, in the measurement frame.
    point : 3 floats or (4, 4) array, optional
        Starting tool point on the EE link (default its origin); a transform also gives
        the measured tool frame's nominal orientation.
    base_frame, origin_offsets, axes, zero_offsets : bool
        Which groups to identify (the tool always is).
    joint_errors : bool
        Also identify the joint-error model (eccentricity, gravity deflection; 4 weights
        per joint); the result cannot then be written as a URDF.
    loss : {"huber", "squared"}
    huber : float, optional
        Huber threshold on a sample's residual norm, m (default: re-estimated from the
        residuals, the 99 % point of Gaussian noise of their median's size).
    rotation_scale : float
        Metres per radian: how much an orientation residual weighs against a position one.
    max_iter : int
        Levenberg-Marquardt iterations at most (per robust stage).
    tol : float
        Stop when the relative decrease of the loss is below this.
    rank_tol : float
        Relative singular value (unit-norm columns) below which the data are refused as
        unable to tell the parameters apart.
    regularization : float
        Ridge weight pulling the (scaled) parameters towards the nominal.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    InputError
        Bad arguments, measurements that do not fit this arm (units, frame), data that
        cannot identify the parameters, or a fit far from the nominal.
    """
    t0 = time.perf_counter()
    _check_arm(nominal)
    flags = {k: _flag(k, v) for k, v in (("base_frame", base_frame), ("origin_offsets",
             origin_offsets), ("axes", axes), ("zero_offsets", zero_offsets),
             ("joint_errors", joint_errors))}  # fmt: skip
    if loss not in LOSSES:
        raise InputError(f"calibrate: loss must be one of {LOSSES}; got {excerpt(loss)}")
    if huber is not None:
        huber = _number("huber", huber, 0.0, lo_open=True)
    rotation_scale = _number("rotation_scale", rotation_scale, 0.0, lo_open=True)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise InputError(f"calibrate: max_iter must be an integer >= 1; got {excerpt(max_iter)}")
    tol = _number("tol", tol, 0.0)
    rank_tol = _number("rank_tol", rank_tol, 0.0, 1.0, lo_open=True)
    regularization = _number("regularization", regularization, 0.0)

    q, xp, xr = _measurements(q, x, nominal.dof)
    p0, r0 = _tool(point)
    model, names, order = parameter_set(nominal, xr is not None, r0, flags)
    n, n_geo = nominal.dof, model.n_params
    phi = joint_features(nominal, q, p0) if flags["joint_errors"] else np.zeros((len(q), 0, n))
    theta = np.zeros(len(names))
    theta[:n_geo] = model.initial(p0)
    reach = _reach(nominal, p0)
    tip0 = model.evaluate(q, theta[:n_geo], jac=False)[0][:, :3, 3]
    rot, shift, mask = _align(tip0, xp, reach, flags["base_frame"])
    if flags["base_frame"]:
        theta[model.groups["base"]] = np.r_[shift, _xyz_angles(rot)]
    kept, dropped = structural(model, names, order, theta, p0, flags["joint_errors"])
    problem = _Problem(model, q, xp, xr, phi, rotation_scale)
    r, jac = problem(theta)
    data_jac = jac[mask].reshape(-1, len(names))
    info = identify.conditioning(data_jac[:, kept], [names[k] for k in kept], rank_tol)
    unexcited: dict = {}
    if info["rank"] < len(kept) and flags["joint_errors"]:
        # joint-error weights these poses do not excite stay at zero (reported); the
        # geometry must still be identified
        geo = [k for k in kept if k < model.n_params]
        weights = [k for k in kept if k >= model.n_params]
        more, unexcited = identify.minimal_set(data_jac, names, weights, tol=identify.DATA_TOL,
                                               basis=data_jac[:, geo])  # fmt: skip
        kept = geo + more
        info = identify.conditioning(data_jac[:, kept], [names[k] for k in kept], rank_tol)
    info = {"candidates": len(names), "dropped": dropped, "unexcited": sorted(unexcited), **info}
    if info["rank"] < len(kept):
        raise InputError(
            f"these {int(mask.sum())} poses cannot identify the arm: rank {info['rank']} of "
            f"{len(kept)} parameters; not told apart: "
            + "; ".join(" ~ ".join(c) for c in info["singular"][:4])
            + " (spread the poses over every joint's range: armjac.calibration.design_poses)"
        )
    if unexcited:
        warnings.warn(
            f"calibrate: these poses do not excite {len(unexcited)} joint-error weights "
            f"({', '.join(sorted(unexcited)[:4])}{', ...' if len(unexcited) > 4 else ''}); "
            "they are left at zero", identify.IdentifiabilityWarning, stacklevel=2
        )
    if info["condition"] > identify.CONDITION_WARNING:
        warnings.warn(
            f"calibrate: the pose set is badly conditioned (condition number "
            f"{info['condition']:.3g} > {identify.CONDITION_WARNING:g}); weakest: "
            f"{' ~ '.join(info['weakest'])}", identify.IdentifiabilityWarning, stacklevel=2
        )

    dim = r.shape[1]
    initial = _stats(np.linalg.norm(r[mask, :3], axis=1))
    scale = np.linalg.norm(jac[mask][:, :, kept], axis=(0, 1))
    scale[scale == 0] = 1.0
    fmask = mask.astype(float)
    c, iterations = huber, 0
    for stage in range(5):
        if loss == "huber" and huber is None:
            e = np.linalg.norm(r[mask], axis=1)
            c_new = _CHI[dim][1] * np.median(e) / _CHI[dim][0]
            if stage and abs(c_new - c) < 0.05 * c:
                break
            c = max(c_new, 1e-9)
        c_used = c if loss == "huber" else None
        theta, r, it = _lm(problem, theta, kept, scale, fmask, c_used, regularization, max_iter,
                           tol)  # fmt: skip
        iterations += it
        if loss == "squared" or huber is not None:
            break
    e = np.linalg.norm(r, axis=1)
    far = ~mask | ((e > 3 * c) if loss == "huber" else np.zeros(len(e), bool))
    if (far & mask).any():  # a last stage without the gross outliers: their pull is gone
        theta, r, it = _lm(problem, theta, kept, scale, (~far).astype(float), c, regularization,
                           max_iter, tol)  # fmt: skip
        iterations += it
        e = np.linalg.norm(r, axis=1)
    result = _result(model, theta, kept, names, nominal, reach, flags, p0, r0, xr)
    return CalibrationResult(
        **result,
        identifiability=info,
        residual_mm=_stats(np.linalg.norm(r[mask, :3], axis=1)),
        initial_mm=initial,
        outliers=np.flatnonzero(far),
        downweighted=int(((e > c) & mask).sum()) if loss == "huber" else 0,
        huber_mm=None if loss != "huber" else 1e3 * float(c),
        rank=info["rank"],
        n_params=len(kept),
        iterations=iterations,
        seconds=time.perf_counter() - t0,
    )


def parameter_set(nominal, orientation: bool, tool_rotation, flags: dict):
    """The candidate model, its parameter names (geometric, then joint-error weights) and
    the candidates to identify in order of preference (``flags`` as :func:`calibrate`)."""
    model = KinematicModel(nominal, orientation=orientation, tool_rotation=tool_rotation)
    names = list(model.names)
    if flags["joint_errors"]:
        names += [f"{j}.{f}" for f in FEATURE_NAMES for j in nominal.joint_names]
    groups = dict(model.groups, joint_errors=list(range(model.n_params, len(names))))
    use = {"base": flags["base_frame"], "origin": flags["origin_offsets"], "axis": flags["axes"],
           "zero": flags["zero_offsets"], "tool": True, "joint_errors": True}  # fmt: skip
    return model, names, [k for g in identify.PREFERENCE if use[g] for k in groups[g]]


def structural(model, names, order, theta, point, joint_errors: bool, n_generic: int = 64):
    """The minimal set (:func:`identify.minimal_set`) on generic configurations."""
    arm, n = model.arm, model.dof
    qg = arm.random_q(n_generic, np.random.default_rng(0))
    phi = joint_features(arm, qg, point) if joint_errors else np.zeros((n_generic, 0, n))
    rot = np.broadcast_to(np.eye(3), (n_generic, 3, 3)) if model.orientation else None
    generic = _Problem(model, qg, np.zeros((n_generic, 3)), rot, phi, _reach(arm, point))
    return identify.minimal_set(generic(theta)[1].reshape(-1, len(names)), names, order)


def _result(model, theta, kept, names, nominal, reach, flags, p0, r0, xr) -> dict:
    """The result's fields from the fitted parameters (refused when implausible)."""
    n, n_geo = nominal.dof, model.n_params
    g = model.groups
    origin = theta[g["origin"]].reshape(n, 3)
    tilts = theta[g["axis"]].reshape(n, 2)
    zeros = theta[g["zero"]]
    for what, values, limit in (("origin shift", np.linalg.norm(origin, axis=1),
                                 MAX_ORIGIN_SHIFT * reach), ("axis tilt", np.abs(tilts).max(axis=1),
                                 MAX_TILT), ("zero offset", np.abs(zeros), MAX_ZERO)):  # fmt: skip
        if (values > limit).any():
            j = int(np.argmax(values))
            raise InputError(
                f"calibrate: the fit gives joint {nominal.joint_names[j]} a {what} of "
                f"{values[j]:.3g} (more than {limit:.3g}): not a calibration of this arm "
                "(wrong nominal, units or frame, or data that do not identify it)"
            )
    weights = theta[n_geo:].reshape(4, n) if flags["joint_errors"] else None
    arm = CalibratedArm(model, theta[:n_geo], weights, p0 if flags["joint_errors"] else None)
    bt = np.eye(4)
    b = theta[g["base"]]
    for k, axis in enumerate(np.eye(3)):
        bt = bt @ motion("P", axis, np.array([b[k]]))[0]
    for k, axis in enumerate(np.eye(3)):
        bt = bt @ motion("R", axis, np.array([b[3 + k]]))[0]
    tool_rot = None
    if xr is not None:
        tool_rot = np.eye(3) if r0 is None else r0.copy()
        for k, axis in enumerate(np.eye(3)):
            tool_rot = tool_rot @ motion("R", axis, np.array([theta[g["tool"][3 + k]]]))[0][:3, :3]
    return {
        "arm": arm,
        "point": theta[model.tool_index].copy(),
        "parameters": {names[k]: float(theta[k]) for k in kept},
        "base_frame": bt,
        "origin_offsets": origin.copy(),
        "axis_tilts": tilts.copy(),
        "zero_offsets": zeros.copy(),
        "tool_rotation": tool_rot,
    }
