"""An unknown tool's or payload's mass and centre of mass from joint torques at static poses.

Held still, a load of mass ``m`` with centre of mass ``c`` (link frame) adds to the
joint torques

    tau_load(q) = -m J_v(q)^T g_w + J_w(q)^T [g_w]x R(q) h,    h = m c

(``J_v``, ``J_w`` the link origin's linear and angular Jacobian rows, ``R`` the link's
orientation, ``g_w`` the gravity vector): linear in the four numbers ``(m, h)``.
Stacking ``tau - g_model(q)`` over poses gives a linear least-squares problem.

Only the load's weight acts at rest, so only ``m`` and the components of ``h``
that gravity sees are identified at each pose: one orientation of the link
leaves the component of ``h`` along gravity unknown. Poses that turn the link
(:func:`design_load_poses`) make all four identifiable; a pose set whose
regressor is rank-deficient or worse conditioned than :data:`MAX_CONDITION` is
refused. The load's rotational inertia needs accelerations and is not
identified here: the returned arm carries the load as a point mass.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from armjac.errors import InputError
from armjac.validation import as_count, as_float_array, check_finite

# Condition number of the column-normalised regressor above which a pose set is refused:
# 1% torque noise would move the worst-determined parameter by more than 100% of its scale.
MAX_CONDITION = 100.0
# Fewest static poses: 4 unknowns (4 + N with offsets), and a pose gives only the torques'
# gravity part.
MIN_POSES = 3
N_PARAMS = 4


def load_regressor(arm, q, link: str | None = None) -> np.ndarray:
    """The static load regressor ``Y(q)`` (B, N, 4): ``tau_load = Y (m, m cx, m cy, m cz)``.

    Parameters
    ----------
    arm : Arm
        The arm model (its kinematics; its own masses do not enter).
    q : (N,) or (B, N) array
        Joint positions.
    link : str, optional
        The link carrying the load (default: the end-effector link).
    """
    qb = np.atleast_2d(as_float_array(q, "q"))
    if qb.ndim != 2 or qb.shape[1] != arm.dof:
        raise InputError(f"q must have shape ({arm.dof},) or (B, {arm.dof}); got {np.shape(q)}")
    check_finite(qb, "q")
    link = arm.ee_link if link is None else link
    pose = np.asarray(arm.fk(qb, link))
    jac = np.asarray(arm.jacobian(qb, link))
    gw = np.asarray(arm.gravity_vector, dtype=float)
    skew_g = np.array([[0.0, -gw[2], gw[1]], [gw[2], 0.0, -gw[0]], [-gw[1], gw[0], 0.0]])
    y = np.empty((qb.shape[0], arm.dof, N_PARAMS))
    y[:, :, 0] = -np.einsum("bin,i->bn", jac[:, :3], gw)
    # J_w^T [g]x R: (B, N, 3)
    y[:, :, 1:] = np.einsum("bin,ij,bjk->bnk", jac[:, 3:], skew_g, pose[:, :3, :3])
    return y


@dataclasses.dataclass(frozen=True)
class LoadEstimate:
    """An identified load.

    Attributes
    ----------
    mass : float
        kg.
    com : (3,) array
        Centre of mass in the link frame, m (zero when no mass was found).
    first_moment : (3,) array
        ``mass * com``, kg·m.
    mass_std, com_std : float, (3,) array
        One-sigma uncertainties from the fit residual (kg, m).
    arm : Arm or None
        The arm carrying the load as a point mass (an adjusted arm; None when
        ``link`` is not the end-effector link, which adjusted arms load).
    residual_rms : float
        RMS torque residual of the fit, N·m.
    condition : float
        Condition number of the column-normalised regressor (the pose set's quality).
    n_poses : int
    link : str
    offsets : (N,) array or None
        The fitted joint-torque offsets, N·m (``identify_load(..., offsets=True)``).
    """

    mass: float
    com: np.ndarray
    first_moment: np.ndarray
    mass_std: float
    com_std: np.ndarray
    arm: object
    residual_rms: float
    condition: float
    n_poses: int
    link: str
    offsets: np.ndarray | None = None

    def __repr__(self) -> str:
        c = ", ".join(f"{v * 1e3:.1f}" for v in self.com)
        return (
            f"LoadEstimate(mass={self.mass:.4g} kg ± {self.mass_std:.2g}, com=[{c}] mm, "
            f"{self.n_poses} poses, condition {self.condition:.3g}, "
            f"residual {self.residual_rms:.3g} N·m)"
        )


def _condition(y: np.ndarray) -> float:
    scale = np.linalg.norm(y, axis=0)
    if not (scale > 0).all():
        return math.inf
    sv = np.linalg.svd(y / scale, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf


def _torques(tau, n_poses: int, dof: int) -> np.ndarray:
    t = np.atleast_2d(as_float_array(tau, "tau"))
    if t.shape != (n_poses, dof):
        raise InputError(
            f"tau must have one row of {dof} joint torques per pose, shape ({n_poses}, {dof}); "
            f"got {np.shape(tau)}"
        )
    check_finite(t, "tau")
    return t


def identify_load(
    arm, q, tau, link: str | None = None, *, offsets: bool = False
) -> LoadEstimate:
    """The mass and centre of mass of a load from joint torques measured at static poses.

    Parameters
    ----------
    arm : Arm
        The model of the arm without the load (an adjusted or calibrated arm works).
    q : (P, N) array
        Static joint positions, at least :data:`MIN_POSES` poses that turn the link.
    tau : (P, N) array
        The joint torques holding each pose (N·m): a joint-torque sensor's reading,
        or the motor torques once the arm is still.
    link : str, optional
        The link carrying the load (default: the end-effector link).
    offsets : bool
        Also fit a constant offset per joint torque (a torque sensor's bias), which
        would otherwise pass for part of the load; the offsets are in ``.offsets``.

    Returns
    -------
    LoadEstimate

    Raises
    ------
    InputError
        Bad shapes or non-finite values; too few poses; poses too alike to identify
        the load (condition number above :data:`MAX_CONDITION`, the message gives it).
    """
    qb = np.atleast_2d(as_float_array(q, "q"))
    if qb.ndim != 2 or qb.shape[1] != arm.dof:
        raise InputError(f"q must have shape (P, {arm.dof}); got {np.shape(q)}")
    n_poses = as_count(qb.shape[0], "number of poses")
    if n_poses < MIN_POSES:
        raise InputError(
            f"identify_load needs at least {MIN_POSES} static poses (4 unknowns, gravity "
            f"torques only); got {n_poses}"
        )
    t = _torques(tau, n_poses, arm.dof)
    if not isinstance(offsets, bool):
        raise InputError(f"offsets must be True or False; got {offsets!r}")
    link = arm.ee_link if link is None else link
    y = load_regressor(arm, qb, link).reshape(-1, N_PARAMS)
    if offsets:  # one column per joint: the same torque at every pose
        y = np.hstack([y, np.tile(np.eye(arm.dof), (n_poses, 1))])
    cond = _condition(y)
    if not cond <= MAX_CONDITION:
        raise InputError(
            f"these {n_poses} poses cannot identify the load: the regressor's condition number "
            f"is {cond:.3g} (limit {MAX_CONDITION:g}); the link must take several different "
            "orientations (armjac.estimation.design_load_poses picks such poses)"
        )
    b = (t - np.asarray(arm.gravity(qb))).reshape(-1)
    theta, *_ = np.linalg.lstsq(y, b, rcond=None)
    resid = b - y @ theta
    dof_left = max(b.size - y.shape[1], 1)
    sigma2 = float(resid @ resid) / dof_left
    cov = sigma2 * np.linalg.inv(y.T @ y)
    est = _estimate(arm, theta[:N_PARAMS], cov[:N_PARAMS, :N_PARAMS], resid, cond, n_poses, link)
    if offsets:
        est = dataclasses.replace(est, offsets=theta[N_PARAMS:].copy())
    return est


def _estimate(arm, theta, cov, resid, cond, n_poses, link) -> LoadEstimate:
    mass, h = float(theta[0]), theta[1:4].copy()
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    if mass > 3.0 * std[0] and mass > 0:
        com = h / mass
        # first-order propagation of h = m c: var(c) ~ (var(h) + c^2 var(m)) / m^2
        com_std = np.sqrt(std[1:] ** 2 + (com * std[0]) ** 2) / mass
    else:  # no load distinguishable from noise
        mass, h, com, com_std = 0.0, np.zeros(3), np.zeros(3), np.zeros(3)
    carrier = None
    if link == arm.ee_link:
        params = np.zeros(10)
        params[0], params[1:4] = mass, h
        # a point mass: rotational inertia about the link origin m (|c|^2 1 - c c^T)
        c = com
        about = mass * (c @ c * np.eye(3) - np.outer(c, c))
        params[4:] = [about[0, 0], about[0, 1], about[0, 2], about[1, 1], about[1, 2], about[2, 2]]
        carrier = arm.adjusted(load=params, name=f"{arm.name}+load")
    return LoadEstimate(
        mass=mass,
        com=com,
        first_moment=h,
        mass_std=float(std[0]),
        com_std=com_std,
        arm=carrier,
        residual_rms=float(np.sqrt(np.mean(resid**2))),
        condition=cond,
        n_poses=n_poses,
        link=link,
    )


def design_load_poses(
    arm,
    n: int = 12,
    *,
    link: str | None = None,
    candidates: int = 2000,
    margin: float = 0.1,
    min_height: float | None = 0.15,
    rng: np.random.Generator | int | None = 0,
) -> np.ndarray:
    """Static poses (n, N) that identify a load well: greedy D-optimal over random candidates.

    Each step adds the candidate that most increases ``log det(Y^T Y)`` of the poses so
    far (the information on ``(m, h)``), which spreads the link's orientation; the
    choice does not depend on the parameters' units.

    Parameters
    ----------
    arm : Arm
    n : int
        Number of poses (>= :data:`MIN_POSES`).
    link : str, optional
        The link carrying the load (default: the end effector).
    candidates : int
        Random configurations drawn within the joint limits to choose from.
    margin : float
        Fraction of each joint range kept clear of its limits.
    min_height : float or None
        Lowest allowed height of the link origin above the base, m (keeps the hand off
        the floor); None: no bound.
    rng : Generator, int or None
        Randomness (default: seed 0, so the same arm gets the same poses).
    """
    n = as_count(n, "n (poses)", minimum=MIN_POSES, maximum=10_000)
    count = as_count(candidates, "candidates", minimum=n, maximum=1_000_000)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    link = arm.ee_link if link is None else link
    q = np.asarray(arm.random_q(count, rng=gen, margin=margin))
    if min_height is not None:
        z = np.asarray(arm.fk(q, link))[:, 2, 3]
        q = q[z >= float(min_height)]
        if q.shape[0] < n:
            raise InputError(
                f"only {q.shape[0]} of {count} candidate poses keep {link} above "
                f"{min_height} m; lower min_height or draw more candidates"
            )
    ys = load_regressor(arm, q, link)  # (C, N, 4)
    info = np.eye(N_PARAMS) * 1e-9 * float(np.mean(ys**2))
    chosen: list[int] = []
    for _ in range(n):
        # log det(A + Y^T Y) - log det(A) = log det(I + Y A^-1 Y^T): per candidate
        inv = np.linalg.inv(info)
        gain = np.linalg.slogdet(
            np.eye(arm.dof) + np.einsum("cnp,pk,cmk->cnm", ys, inv, ys)
        )[1]
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        info = info + ys[best].T @ ys[best]
    return q[chosen]
