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

from dataclasses import dataclass

import numpy as np
import pybullet as pb

from armjac.arm import Arm
from armjac.errors import InputError, SimulationError
from armjac.sim.urdf_file import urdf_for
from armjac.validation import check_point

MOVABLE = (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC)
__all__ = ["BodyIndex", "PyBulletModel", "body_index", "link_pose", "urdf_for"]


@dataclass(frozen=True)
class BodyIndex:
    """PyBullet's indices of one loaded body, by URDF name.

    Attributes
    ----------
    joints : dict
        Joint name -> joint index.
    links : dict
        Link name -> link index (the joint's index; the root link is -1).
    parents : dict
        Joint index -> index of its parent link (-1: the root).
    movable : list of int
        Indices of the revolute and prismatic joints, in PyBullet's order (the
        order of ``calculateJacobian``'s columns and of its q arguments).
    max_force : dict
        Joint index -> the URDF effort limit PyBullet read.
    """

    joints: dict[str, int]
    links: dict[str, int]
    parents: dict[int, int]
    movable: list[int]
    max_force: dict[int, float]


def body_index(client: int, body: int, root: str) -> BodyIndex:
    """Index the joints and links of ``body`` in PyBullet server ``client``.

    Parameters
    ----------
    client, body : int
        The server and the body's unique id in it.
    root : str
        Name of the body's root link (PyBullet reports no name for it).

    Returns
    -------
    BodyIndex
    """
    joints: dict[str, int] = {}
    links: dict[str, int] = {root: -1}
    parents: dict[int, int] = {}
    movable: list[int] = []
    max_force: dict[int, float] = {}
    for i in range(pb.getNumJoints(body, physicsClientId=client)):
        info = pb.getJointInfo(body, i, physicsClientId=client)
        joints[info[1].decode()] = i
        links[info[12].decode()] = i
        parents[i] = info[16]
        max_force[i] = info[10]
        if info[2] in MOVABLE:
            movable.append(i)
    return BodyIndex(joints, links, parents, movable, max_force)


def link_pose(client: int, body: int, link: int) -> tuple[tuple, tuple]:
    """World position and quaternion (x, y, z, w) of a link's URDF frame.

    For the root (``link == -1``) PyBullet reports its inertial frame: the
    inertial offset from the URDF is undone here, as ``getLinkState``'s
    ``worldLinkFramePosition`` does for the other links.

    Parameters
    ----------
    client, body : int
        The server and the body.
    link : int
        Link index, -1 for the root.

    Returns
    -------
    (position, quaternion) : tuples of 3 and 4 floats
    """
    if link >= 0:
        state = pb.getLinkState(body, link, computeForwardKinematics=True, physicsClientId=client)
        return state[4], state[5]
    com_pos, com_orn = pb.getBasePositionAndOrientation(body, physicsClientId=client)
    inertial = pb.getDynamicsInfo(body, -1, physicsClientId=client)
    inv_pos, inv_orn = pb.invertTransform(inertial[3], inertial[4])
    return pb.multiplyTransforms(com_pos, com_orn, inv_pos, inv_orn)


class PyBulletModel:
    """Reference kinematics/dynamics from PyBullet for an :class:`~armjac.arm.Arm`.

    The arm is loaded into a private DIRECT server: :meth:`fk` resets the
    body's joints and :meth:`gravity` sets the world's gravity, so sharing a
    server with a running simulation would rewrite its state.

    Parameters
    ----------
    arm : Arm
        Supplies the URDF, the chain joints and the end effector.
    """

    def __init__(self, arm: Arm):
        self.arm = arm
        self.dof = arm.dof
        self.home = arm.home
        self.client = pb.connect(pb.DIRECT)
        if self.client < 0:
            raise SimulationError("could not start a PyBullet server")
        try:
            self._load(arm)
        except BaseException:
            self.close()  # a failed load must not leave the server running
            raise

    def _load(self, arm: Arm) -> None:
        self.body = pb.loadURDF(
            urdf_for(arm),
            useFixedBase=True,
            flags=pb.URDF_USE_INERTIA_FROM_FILE,
            physicsClientId=self.client,
        )
        index = body_index(self.client, self.body, arm.model.root)
        self.link_index = index.links
        self.movable = index.movable  # PyBullet joint indices of all movable joints
        _, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)
        self._base_rot = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
        self.chain = [index.joints[n] for n in arm.joint_names]  # PyBullet indices of the chain
        # Columns of the chain joints within PyBullet's movable-joint ordering.
        self._cols = [self.movable.index(i) for i in self.chain]

    def close(self) -> None:
        """Shut the private PyBullet server down (safe to call twice).

        The client id is forgotten: PyBullet gives it to the next server, which
        a later ``close`` (or the garbage collector) must not disconnect.
        """
        if self.client >= 0 and pb.isConnected(self.client):
            pb.disconnect(self.client)
        self.client = -1

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (every query then raises SimulationError)."""
        return self.client < 0

    def __enter__(self) -> PyBulletModel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # best effort; explicit close() is preferred
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- state ----------------------------------------------------------------------
    def _check_q(self, q) -> np.ndarray:
        if self.client < 0:
            raise SimulationError(f"{self!r} is closed")
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
        """Put the chain at ``q`` at rest, every other movable joint at zero.

        Parameters
        ----------
        q : (N,) array
            Chain joint positions.

        Raises
        ------
        InputError
            ``q`` has the wrong shape or non-finite values.
        SimulationError
            The model is closed.
        """
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
        """4x4 world transform of the URDF link frame (resets the body's joints to q)."""
        self.set_state(q)
        pos, orn = link_pose(self.client, self.body, self._link(link))
        t = np.eye(4)
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
            p = check_point(point)
            orn = pb.getDynamicsInfo(self.body, idx, physicsClientId=self.client)[4]
            rot = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
            local = (rot.T @ p).tolist()
        lin, ang = pb.calculateJacobian(
            self.body, idx, local, full, zeros, zeros, physicsClientId=self.client
        )
        rot = self._base_rot
        jac = np.vstack([rot @ np.asarray(lin), rot @ np.asarray(ang)])
        return jac[:, self._cols]

    def mass_matrix(self, q) -> np.ndarray:
        """Joint-space inertia M(q) (N, N) of the chain from ``calculateMassMatrix``."""
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
