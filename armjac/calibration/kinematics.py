"""The parametric kinematic model a calibration fits, with sympy derivatives.

Parameters per movable chain joint ``i``: an offset ``d_i`` (3, m) of its
origin, in its parent's frame, and a zero offset ``t_i`` (rad); plus the tool
point ``p`` (3, m, end-effector link frame). The local transform of joint ``i``::

    T_i(q_i; d_i, t_i) = Trans(xyz_i + d_i) Rot(rpy_i) Rot(axis_i, q_i + t_i)

is derived in sympy once per joint, with its derivatives with respect to the
four parameters, and compiled with ``lambdify(cse=True)``. The tip and its
parameter Jacobian are then composed numerically, batched over samples:
``d tip / d theta_i = P_{i-1} dT_i S_i`` with the prefix product ``P`` and the
suffix ``S = T_{i+1} ... T_n [p; 1]``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from armjac.symbolic.transforms import origin_matrix, rpy_matrix_numeric

PARAMS_PER_JOINT = ("dx", "dy", "dz", "dtheta")


@lru_cache(maxsize=64)
def _local(xyz: tuple, rpy: tuple, axis: tuple, prismatic: bool):
    """Compiled ``(T, dT/d[dx, dy, dz, dtheta])`` of one joint, vectorised over q."""
    import sympy as sp

    from armjac.symbolic.transforms import axis_rotation

    q, dx, dy, dz, dt = sp.symbols("q dx dy dz dt", real=True)
    shift = sp.eye(4)
    shift[:3, 3] = sp.Matrix([dx, dy, dz])
    motion = sp.eye(4)
    if prismatic:
        motion[:3, 3] = sp.Matrix(axis) * (q + dt)
    else:
        motion[:3, :3] = sp.Matrix(axis_rotation(axis, sp.cos(q + dt), sp.sin(q + dt)))
    t = shift * sp.Matrix(origin_matrix(xyz, rpy)) * motion  # right angles exact
    derivs = [t.diff(s) for s in (dx, dy, dz, dt)]
    args = (q, dx, dy, dz, dt)
    flat = list(t) + [e for d in derivs for e in d]
    return sp.lambdify(args, flat, modules="numpy", cse=True)


class ChainModel:
    """Tip position of ``arm``'s chain and its parameter Jacobian (see the module doc).

    Parameters
    ----------
    arm : Arm
        The nominal arm; its joint origins are the zero point of the offsets.
    """

    def __init__(self, arm):
        self.arm = arm
        self.dof = arm.dof
        chain = set(arm.joint_names)
        # Path from the root to the EE link: constant transforms between movable joints.
        self.steps = []
        for j in arm.model.path_to(arm.ee_link):
            if j.name in chain:
                key = (tuple(j.xyz), tuple(j.rpy), tuple(j.axis), j.type == "prismatic")
                self.steps.append(("joint", arm.joint_names.index(j.name), _local(*key)))
            else:
                c = np.eye(4)
                c[:3, :3] = rpy_matrix_numeric(j.rpy)
                c[:3, 3] = j.xyz
                self.steps.append(("fixed", None, c))
        self.n_params = 4 * self.dof + 3
        self.names = [f"{n}.{p}" for n in arm.joint_names for p in PARAMS_PER_JOINT]
        self.names += ["tool.x", "tool.y", "tool.z"]

    @staticmethod
    def _eval(fn, q: np.ndarray, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = q.shape[0]
        vals = fn(q, *th)
        arr = np.empty((80, b))
        for k, v in enumerate(vals):
            arr[k] = v  # constants come back as scalars
        arr = arr.T.reshape(b, 5, 4, 4)
        return arr[:, 0], arr[:, 1:]

    def tip(self, q: np.ndarray, theta: np.ndarray, with_jac: bool = True):
        """Tip positions (B, 3) and, optionally, d tip / d theta (B, 3, P)."""
        q = np.atleast_2d(np.asarray(q, float))
        b = q.shape[0]
        joint_th = theta[: 4 * self.dof].reshape(self.dof, 4)
        point = np.r_[theta[4 * self.dof :], 1.0]
        mats, dmats = [], []
        for kind, i, obj in self.steps:
            if kind == "fixed":
                mats.append(np.broadcast_to(obj, (b, 4, 4)))
                dmats.append(None)
            else:
                t, dt = self._eval(obj, q[:, i], joint_th[i])
                mats.append(t)
                dmats.append((i, dt))
        prefix = [np.broadcast_to(np.eye(4), (b, 4, 4))]
        for m in mats:
            prefix.append(prefix[-1] @ m)
        full = prefix[-1]
        tip = full[:, :3, :] @ point
        if not with_jac:
            return tip, None
        jac = np.zeros((b, 3, self.n_params))
        suffix = np.broadcast_to(point, (b, 4))
        for k in range(len(mats) - 1, -1, -1):
            if dmats[k] is not None:
                i, dt = dmats[k]
                # (B, 4 params, 4, 4) @ (B, 4) -> (B, 4, 4); then prefix (B, 4, 4)
                local = np.einsum("bkij,bj->bki", dt, suffix)
                jac[:, :, 4 * i : 4 * i + 4] = np.einsum("bij,bkj->bik", prefix[k][:, :3, :], local)
            suffix = np.einsum("bij,bj->bi", mats[k], suffix)
        jac[:, :, 4 * self.dof :] = full[:, :3, :3]
        return tip, jac
