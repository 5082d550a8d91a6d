"""PyBullet's own kinematics and dynamics behind the armjac numeric API.

:class:`PyBulletModel` answers ``fk``, ``jacobian``, ``mass_matrix`` and
``gravity`` from PyBullet (``getLinkState``, ``calculateJacobian``,
``calculateMassMatrix``, ``calculateInverseDynamics``) for the arm's chain
joints, with every other movable joint held at zero. It is the simulator
reference source, and the independent check the analytic arm is tested
against.

PyBullet facts that shape this code:

* ``calculateJacobian``'s ``localPosition`` is relative to the URDF link frame
  origin, and it needs q, qd, qdd for *every* movable joint.
* The URDF is loaded with ``URDF_USE_INERTIA_FROM_FILE``; otherwise PyBullet
  recomputes inertias from collision shapes.
* Link poses from ``getLinkState`` carry about 1e-7 of error.
* ``calculateJacobian``'s ``localPosition`` is measured from the link frame
  origin but along the axes of the link's *inertial* frame (measured: they
  differ when the ``<inertial>`` has an rpy), so points are rotated into it.
* ``calculateJacobian`` and ``calculateInverseDynamics`` work in the base's
  *inertial* frame. When the root link's ``<inertial>`` is rotated, the Jacobian
  must be rotated back to the world and gravity given in that frame.
"""

from __future__ import annotations

import numpy as np
import pybullet as pb

from armjac.arm import Arm
from armjac.errors import InputError

MOVABLE = (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC)


class PyBulletModel:
    """Reference kinematics/dynamics from PyBullet for an :class:`~armjac.arm.Arm`.

    Parameters
    ----------
    arm : Arm
        Supplies the URDF, the chain joints and the end effector.
    client : int, optional
        An existing PyBullet client to load the arm into. By default a private
        DIRECT client is created (and closed by :meth:`close`).
    body : int, optional
        An already-loaded body in ``client`` to use instead of loading the URDF.
    """

    def __init__(self, arm: Arm, client: int | None = None, body: int | None = None):
        self.arm = arm
        self.dof = arm.dof
        self.home = arm.home
        self._own_client = client is None
        self.client = pb.connect(pb.DIRECT) if client is None else client
        if body is None:
            body = pb.loadURDF(
                arm.urdf_path,
                useFixedBase=True,
                flags=pb.URDF_USE_INERTIA_FROM_FILE,
                physicsClientId=self.client,
            )
        self.body = body
        self.link_index: dict[str, int] = {}
        self.movable: list[int] = []  # PyBullet joint indices of all movable joints
        names: dict[str, int] = {}
        for i in range(pb.getNumJoints(body, physicsClientId=self.client)):
            info = pb.getJointInfo(body, i, physicsClientId=self.client)
            names[info[1].decode()] = i
            self.link_index[info[12].decode()] = i
            if info[2] in MOVABLE:
                self.movable.append(i)
        self.link_index[arm.model.root] = -1
        _, orn = pb.getBasePositionAndOrientation(body, physicsClientId=self.client)
        self._base_rot = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
        self.chain = [names[n] for n in arm.joint_names]  # PyBullet indices of chain joints
        # Columns of the chain joints within PyBullet's movable-joint ordering.
        self._cols = [self.movable.index(i) for i in self.chain]

    def close(self) -> None:
        if self._own_client and pb.isConnected(self.client):
            pb.disconnect(self.client)

    def __del__(self):  # best effort; explicit close() is preferred
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- state ----------------------------------------------------------------------
    def _check_q(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if q.shape != (self.dof,):
            raise InputError(f"q must have shape ({self.dof},); got {q.shape}")
        if not np.isfinite(q).all():
            raise InputError("q must be finite")
        return q

    def _full(self, q: np.ndarray) -> list[float]:
        """All movable joints' values: the chain from q, the rest at zero."""
        full = np.zeros(len(self.movable))
        full[self._cols] = q
        return full.tolist()

    def set_state(self, q) -> None:
        q = self._check_q(q)
        for idx in self.movable:
            pb.resetJointState(self.body, idx, 0.0, 0.0, physicsClientId=self.client)
        for idx, val in zip(self.chain, q, strict=True):
            pb.resetJointState(self.body, idx, float(val), 0.0, physicsClientId=self.client)

    def _link(self, link: str | None) -> int:
        link = self.arm.ee_link if link is None else link
        self.arm.model.link(link)
        return self.link_index[link]

    # -- numeric API --------------------------------------------------------------
    def fk(self, q, link: str | None = None) -> np.ndarray:
        """4x4 world transform of the link frame (resets the body's joints to q)."""
        self.set_state(q)
        idx = self._link(link)
        t = np.eye(4)
        if idx == -1:
            pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)
        else:
            state = pb.getLinkState(
                self.body, idx, computeForwardKinematics=True, physicsClientId=self.client
            )
            pos, orn = state[4], state[5]
        t[:3, :3] = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
        t[:3, 3] = pos
        return t

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """6xN world-frame Jacobian at ``point`` (link frame) from ``calculateJacobian``."""
        q = self._check_q(q)
        full = self._full(q)
        zeros = [0.0] * len(full)
        idx = self._link(link)
        local = [0.0, 0.0, 0.0]
        if point is not None:
            orn = pb.getDynamicsInfo(self.body, idx, physicsClientId=self.client)[4]
            rot = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
            local = (rot.T @ np.asarray(point, dtype=float)).tolist()
        lin, ang = pb.calculateJacobian(
            self.body, idx, local, full, zeros, zeros, physicsClientId=self.client
        )
        rot = self._base_rot
        jac = np.vstack([rot @ np.asarray(lin), rot @ np.asarray(ang)])
        return jac[:, self._cols]

    def mass_matrix(self, q) -> np.ndarray:
        q = self._check_q(q)
        m = np.asarray(
            pb.calculateMassMatrix(self.body, self._full(q), physicsClientId=self.client)
        )
        return m[np.ix_(self._cols, self._cols)]

    def gravity(self, q) -> np.ndarray:
        """Inverse dynamics at zero velocity and acceleration, under the arm's gravity."""
        q = self._check_q(q)
        g_base = self._base_rot.T @ np.asarray(self.arm.gravity_vector)
        pb.setGravity(*g_base, physicsClientId=self.client)
        full = self._full(q)
        zeros = [0.0] * len(full)
        tau = pb.calculateInverseDynamics(
            self.body, full, zeros, zeros, physicsClientId=self.client
        )
        return np.asarray(tau)[self._cols]

    def __repr__(self) -> str:
        return f"PyBulletModel({self.arm.name!r})"
