"""Inverse kinematics: damped least squares (Levenberg-Marquardt) on the analytic Jacobian.

One call solves one target or a batch of them. Every iteration evaluates the
forward kinematics and Jacobians of all unsolved targets in one vectorised
call to the arm's compiled kernels, so a batch of a thousand costs little
more per iteration than a single target. Targets still unsolved after
``max_iterations`` start again from random seeds within the joint limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from armjac.control.orientation import orientation_error, quat_tuple
from armjac.errors import InputError
from armjac.rotation import as_quaternion, matrix_from_quat, rotation_error
from armjac.validation import as_batch, as_float_array, check_finite, check_gain, check_point


@dataclass
class IKResult:
    """What :func:`solve` found; arrays get a leading batch axis for a batch of targets.

    Attributes
    ----------
    q : (N,) or (B, N) array
        The best configuration found (within the joint limits), solved or not.
    success : bool or (B,) bool array
        Whether both errors are within the tolerances.
    residual : float or (B,) array
        Norm of the task error [position (m); orientation (rad)] at ``q``.
    position_error : float or (B,) array
        Distance to the target position, m.
    orientation_error : float or (B,) array
        Angle to the target orientation, rad (0 for position targets).
    iterations : int or (B,) int array
        Levenberg-Marquardt iterations spent, over all starts.
    restarts : int or (B,) int array
        Random restarts used.
    """

    q: np.ndarray
    success: np.ndarray | bool
    residual: np.ndarray | float
    position_error: np.ndarray | float
    orientation_error: np.ndarray | float
    iterations: np.ndarray | int
    restarts: np.ndarray | int


def _targets(target: ArrayLike) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Target positions (B, 3), rotations (B, 3, 3) or None, and whether it was one target."""
    arr = as_float_array(target, "target")
    check_finite(arr, "target")
    if arr.shape[-1:] == (3,) and arr.ndim in (1, 2):
        return arr.reshape(-1, 3), None, arr.ndim == 1
    if arr.shape[-2:] == (4, 4) and arr.ndim in (2, 3):
        poses = arr.reshape(-1, 4, 4)
        rot = poses[:, :3, :3]
        gram = rot @ np.swapaxes(rot, 1, 2)
        if np.abs(gram - np.eye(3)).max() > 1e-6 or (np.linalg.det(rot) < 0).any():
            raise InputError("target poses must have a rotation (orthonormal, det +1) block")
        return poses[:, :3, 3], rot, arr.ndim == 2
    if arr.shape[-1:] == (7,) and arr.ndim in (1, 2):
        rows = arr.reshape(-1, 7)
        rot = np.stack([matrix_from_quat(as_quaternion(r[3:], "target quaternion"))
                        for r in rows])
        return rows[:, :3], rot, arr.ndim == 1
    raise InputError(
        "target must be a position (3,), a 4x4 pose, position + quaternion xyzw (7,), "
        f"or a batch (B, 3) / (B, 4, 4) / (B, 7) of them; got shape {arr.shape}"
    )


class _Problem:
    """The arm, the task and the solver settings shared by every iteration."""

    def __init__(self, arm, link, point, pos, rot, weights, damping, posture, posture_gain,
                 settle, max_step):
        self.arm, self.link = arm, link
        self.point = check_point(point)
        # The kernels' point handling costs more than the Jacobian itself: skip it at the origin.
        self.jac_point = self.point if self.point.any() else None
        self.pos, self.rot = pos, rot
        self.rows = slice(0, 6) if rot is not None else slice(0, 3)
        self.weights = weights
        self.damping = damping
        self.posture, self.posture_gain = posture, posture_gain
        self.settle = settle  # iterations a start runs before it may be accepted
        self.max_step = max_step
        self.lo, self.hi = arm.joint_limits[:, 0], arm.joint_limits[:, 1]
        self.wrap = ~(np.isfinite(self.lo) & np.isfinite(self.hi))

    def errors(self, q: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Task errors (B, 3 or 6) at ``q`` for targets ``idx``, and the pose transforms."""
        t = self.arm.fk(q, self.link)
        p = t[:, :3, 3] + t[:, :3, :3] @ self.point
        e = self.pos[idx] - p
        if self.rot is None:
            return e, t
        if len(idx) == 1:  # scalar quaternion code is several times faster for one rotation
            ori = orientation_error(quat_tuple(self.rot[idx[0]]), quat_tuple(t[0, :3, :3]))[None]
        else:
            ori = rotation_error(self.rot[idx], t[:, :3, :3])
        return np.concatenate((e, ori), axis=1), t

    def step(self, q: np.ndarray, e: np.ndarray) -> np.ndarray:
        """One damped step, with joints at a limit that the step pushes on frozen."""
        jac = self.arm.jacobian(q, self.link, self.jac_point)[:, self.rows]
        dq = self._lm(jac, e)
        blocked = ((q <= self.lo) & (dq < 0)) | ((q >= self.hi) & (dq > 0))
        rows = blocked.any(axis=1)
        if rows.any():
            jac[rows] *= ~blocked[rows][:, None, :]
            dq[rows] = self._lm(jac[rows], e[rows])
        if self.posture is not None:
            dq += self._null_space(jac, self.posture_gain * (self.posture - q))
        big = np.max(np.abs(dq), axis=1)
        over = big > self.max_step
        if over.any():
            dq[over] *= (self.max_step / big[over])[:, None]
        return self.limit(q + dq)

    def _lm(self, jac: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Sugihara's Levenberg-Marquardt step: the damping grows with the squared error."""
        jw = jac * self.weights[:, None]
        energy = 0.5 * np.einsum("bi,i,bi->b", e, self.weights, e)
        lam = (energy + self.damping)[:, None, None] * np.eye(jac.shape[2])
        h = np.einsum("bin,bim->bnm", jw, jac) + lam
        g = np.einsum("bin,bi->bn", jw, e)
        return np.linalg.solve(h, g[..., None])[..., 0]

    @staticmethod
    def _null_space(jac: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``v`` projected onto the (damped) null space of ``jac``: v - J^+ J v."""
        jjt = jac @ np.swapaxes(jac, 1, 2) + 1e-6 * np.eye(jac.shape[1])
        jv = np.einsum("bin,bn->bi", jac, v)
        return v - np.einsum("bin,bi->bn", jac, np.linalg.solve(jjt, jv[..., None])[..., 0])

    def limit(self, q: np.ndarray) -> np.ndarray:
        """Clip to the joint limits; continuous joints wrap to (-pi, pi]."""
        q = np.minimum(np.maximum(q, self.lo), self.hi)
        if self.wrap.any():
            q[:, self.wrap] = np.pi - np.mod(np.pi - q[:, self.wrap], 2 * np.pi)
        return q


def solve(
    arm,
    target: ArrayLike,
    q0: ArrayLike | None = None,
    *,
    link: str | None = None,
    point: ArrayLike | None = None,
    tol_position: float = 1e-5,
    tol_orientation: float = 1e-4,
    max_iterations: int = 30,
    restarts: int = 25,
    orientation_weight: float = 1.0,
    damping: float = 1e-4,
    posture: ArrayLike | None = None,
    posture_gain: float = 0.2,
    posture_iterations: int = 30,
    max_step: float = 0.5,
    rng: int | np.random.Generator | None = None,
) -> IKResult:
    """Joint configurations placing ``point`` on ``link`` at ``target``.

    Parameters
    ----------
    arm : Arm
        Gives ``fk`` and ``jacobian`` (batched), the joint limits and ``random_q``.
    target : array
        A position (3,), a 4x4 pose, position + quaternion (x, y, z, w) (7,),
        or a batch of any one of these: (B, 3), (B, 4, 4), (B, 7). A position
        constrains 3 task rows; a pose 6.
    q0 : (N,) or (B, N) array, optional
        Start configurations (default ``arm.home``). The first attempt starts
        here; restarts draw uniform seeds within the joint limits.
    link, point :
        The controlled point: ``point`` (link frame, default origin) on
        ``link`` (default the end effector).
    tol_position, tol_orientation : float
        Success thresholds, m and rad.
    max_iterations : int
        Iterations per start before a restart.
    restarts : int
        Random restarts allowed per target.
    orientation_weight : float
        Weight of the orientation rows (m per rad) in the least-squares cost.
    damping : float
        Constant part of the Levenberg-Marquardt damping; the rest is the
        current squared error, so steps are long when far away and Gauss-Newton
        close to the solution.
    posture : (N,) array, optional
        A preferred configuration: each step also moves towards it within the
        Jacobian's null space (``posture_gain`` of the way per iteration), so
        the task is not disturbed, and a start is accepted only after
        ``posture_iterations`` iterations, so redundant arms settle near it.
    max_step : float
        Largest joint change per iteration, rad.
    rng : int or Generator, optional
        Seeds of the restarts.

    Returns
    -------
    IKResult
        With a leading batch axis when ``target`` is a batch.

    Raises
    ------
    InputError
        Bad target, q0, posture or settings.

    Examples
    --------
    >>> arm = load_arm("kuka_iiwa")
    >>> res = solve(arm, arm.fk(arm.random_q(rng=1)))
    >>> bool(res.success), res.position_error < 1e-5
    (True, True)
    """
    pos, rot, single = _targets(target)
    b, n = len(pos), arm.dof
    q_start = _start(arm, q0, b)
    for name, value in (("tol_position", tol_position), ("tol_orientation", tol_orientation),
                        ("orientation_weight", orientation_weight), ("damping", damping),
                        ("max_step", max_step)):
        check_gain(name, value)
    check_gain("posture_gain", posture_gain, zero=True)
    for name, value, least in (("max_iterations", max_iterations, 1), ("restarts", restarts, 0),
                               ("posture_iterations", posture_iterations, 0)):
        if not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name} must be an integer >= {least}; got {value!r}")
    if posture is not None:
        posture = as_float_array(posture, "posture")
        check_finite(posture, "posture")
        if posture.shape != (n,):
            raise InputError(f"posture must have shape ({n},); got shape {posture.shape}")
    weights = np.ones(3) if rot is None else np.array([1.0] * 3 + [orientation_weight] * 3)
    settle = 0 if posture is None else min(posture_iterations, max_iterations)
    prob = _Problem(arm, link, point, pos, rot, weights, damping, posture, posture_gain,
                    settle, max_step)
    run = _solve_one if single else _iterate
    out = run(prob, prob.limit(q_start), max_iterations, restarts, tol_position,
              tol_orientation, rng)
    return IKResult(*out)


def _start(arm, q0, b: int) -> np.ndarray:
    if q0 is None:
        return np.tile(arm.home, (b, 1))
    qb, one = as_batch(q0, arm.dof, "q0", arm.name)
    check_finite(qb, "q0")
    if one:
        return np.tile(qb[0], (b, 1))
    if len(qb) != b:
        raise InputError(f"q0 has {len(qb)} rows for {b} targets")
    return qb.copy()


_HANDOFF = 16  # targets left in a batch below which it finishes them one by one


def _iterate(prob: _Problem, q: np.ndarray, max_iterations: int, restarts: int,
             tol_p: float, tol_r: float, rng):
    """Iterate all targets together; converged ones leave the active set."""
    rng = np.random.default_rng(rng)
    b = len(q)
    iters = np.zeros(b, dtype=int)
    used = np.zeros(b, dtype=int)
    local = np.zeros(b, dtype=int)
    best_q, best_r = q.copy(), np.full(b, np.inf)
    active = np.arange(b)
    qa = q
    while active.size:
        e, _ = prob.errors(qa, active)
        ep = np.linalg.norm(e[:, :3], axis=1)
        er = np.linalg.norm(e[:, 3:], axis=1) if e.shape[1] == 6 else np.zeros_like(ep)
        res = np.sqrt(ep**2 + er**2)
        ok = (ep <= tol_p) & (er <= tol_r) & (local[active] >= prob.settle)
        better = (res < best_r[active]) | ok
        best_r[active[better]] = res[better]
        best_q[active[better]] = qa[better]
        spent = local[active] >= max_iterations
        retry = spent & ~ok & (used[active] < restarts)
        keep = ~ok & (~spent | retry)
        if retry.any():
            qa[retry] = prob.arm.random_q(int(retry.sum()), rng=rng)
            used[active[retry]] += 1
            local[active[retry]] = 0
            e[retry] = prob.errors(qa[retry], active[retry])[0]
        active, qa, e = active[keep], qa[keep], e[keep]
        if active.size <= _HANDOFF:
            # A handful left (the hard ones, often restarting): per-call overhead dominates.
            for k, qk in zip(active, qa, strict=True):
                qk, ok_k, res_k, _, _, its, att = _solve_one(
                    prob, qk[None], max_iterations, restarts - used[k], tol_p, tol_r, rng,
                    index=k, spent=local[k])
                if ok_k or res_k < best_r[k]:
                    best_q[k], best_r[k] = qk, res_k
                iters[k] += its
                used[k] += att
            break
        qa = prob.step(qa, e)
        iters[active] += 1
        local[active] += 1
    e, _ = prob.errors(best_q, np.arange(b))
    ep = np.linalg.norm(e[:, :3], axis=1)
    er = np.linalg.norm(e[:, 3:], axis=1) if e.shape[1] == 6 else np.zeros(b)
    success = (ep <= tol_p) & (er <= tol_r)
    return best_q, success, np.sqrt(ep**2 + er**2), ep, er, iters, used


def _solve_one(prob: _Problem, q: np.ndarray, max_iterations: int, restarts: int,
               tol_p: float, tol_r: float, rng, index: int = 0, spent: int = 0):
    """:func:`_iterate` for a single target on plain 2-D arrays.

    The same iteration without batch bookkeeping: per-call numpy overhead
    dominates at this size, so this runs about twice as fast.
    """
    arm, link, point, jpoint = prob.arm, prob.link, prob.point, prob.jac_point
    lo, hi, w = prob.lo, prob.hi, prob.weights
    eye = np.eye(arm.dof)
    wrap = bool(prob.wrap.any())
    q = q[0]
    pos = prob.pos[index]
    quat = None if prob.rot is None else quat_tuple(prob.rot[index])
    best = (np.inf, q, 0.0, 0.0)
    iters = 0
    for attempt in range(restarts + 1):
        if attempt:
            rng = np.random.default_rng(rng)  # only now: making one costs as much as a step
            q = arm.random_q(rng=rng)
        for it in range(spent if attempt == 0 else 0, max_iterations + 1):
            t = arm.fk(q, link)
            ep = pos - t[:3, 3] if jpoint is None else pos - t[:3, 3] - t[:3, :3] @ point
            e = ep if quat is None else np.concatenate(
                (ep, orientation_error(quat, quat_tuple(t[:3, :3]))))
            dp = math.sqrt(ep @ ep)
            dr = 0.0 if quat is None else math.sqrt(e[3:] @ e[3:])
            res = math.hypot(dp, dr)
            ok = dp <= tol_p and dr <= tol_r and it >= prob.settle
            if ok or res < best[0]:
                best = (res, q, dp, dr)
            if ok:
                return q, True, res, dp, dr, iters, attempt
            if it == max_iterations:
                break
            jac = arm.jacobian(q, link, jpoint)[prob.rows]
            dq = _lm_one(jac, e, w, prob.damping, eye)
            blocked = ((q <= lo) & (dq < 0)) | ((q >= hi) & (dq > 0))
            if blocked.any():
                jac = jac * ~blocked
                dq = _lm_one(jac, e, w, prob.damping, eye)
            if prob.posture is not None:
                dq += prob._null_space(jac[None], prob.posture_gain * (prob.posture - q)[None])[0]
            big = float(abs(dq).max())
            if big > prob.max_step:
                dq *= prob.max_step / big
            q = np.minimum(np.maximum(q + dq, lo), hi)
            if wrap:
                q = prob.limit(q[None])[0]
            iters += 1
    res, q, dp, dr = best
    return q, False, res, dp, dr, iters, restarts


def _lm_one(jac: np.ndarray, e: np.ndarray, w: np.ndarray, damping: float,
            eye: np.ndarray) -> np.ndarray:
    """:meth:`_Problem._lm` for one target."""
    jw = jac.T * w
    lam = 0.5 * float(e @ (w * e)) + damping
    return np.linalg.solve(jw @ jac + lam * eye, jw @ e)
