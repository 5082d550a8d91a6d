"""The PyBullet engine of :class:`~armjac.sim.arm_sim.ArmSim`.

The arm is loaded with ``URDF_USE_INERTIA_FROM_FILE`` (PyBullet otherwise
recomputes inertias from collision shapes), a fixed base, the default velocity
motors off (they would fight the torques) and every damping term set
explicitly. Movable joints off the chain are held by position control.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pybullet as pb

from armjac.errors import SimulationError
from armjac.sim.arm_sim import ArmSim, Push, compliance
from armjac.sim.pybullet_model import body_index, link_pose, urdf_for


class PyBulletSim(ArmSim):
    """:class:`~armjac.sim.arm_sim.ArmSim` on PyBullet (``ArmSim(arm)`` builds one).

    Attributes
    ----------
    client_id, body_id : int
        The PyBullet server and the arm's body in it (-1 when disconnected).
    link_index : dict
        URDF link name -> PyBullet link index (the root is -1).
    """

    engine = "pybullet"
    client_id = -1
    body_id = -1

    # -- lifecycle ------------------------------------------------------------------
    def _check_settings(self) -> None:
        pass  # PyBullet honours every ArmSim setting

    def _start(self) -> None:
        self.client_id = pb.connect(pb.GUI if self.gui else pb.DIRECT)
        if self.client_id < 0:
            raise SimulationError("could not start a PyBullet server" + " (GUI)" * self.gui)
        cid = self.client_id
        pb.setTimeStep(self.dt, physicsClientId=cid)
        pb.setGravity(*self.arm.gravity_vector, physicsClientId=cid)
        self.body_id = pb.loadURDF(
            urdf_for(self.arm),
            useFixedBase=True,
            flags=pb.URDF_USE_INERTIA_FROM_FILE,
            physicsClientId=cid,
        )
        self._index_joints()
        for link in range(-1, pb.getNumJoints(self.body_id, physicsClientId=cid)):
            pb.changeDynamics(
                self.body_id,
                link,
                linearDamping=self.link_damping,
                angularDamping=self.link_damping,
                jointDamping=self.joint_damping,
                physicsClientId=cid,
            )
        # Velocity motors are on by default and would fight the torques.
        pb.setJointMotorControlArray(
            self.body_id,
            self.chain,
            pb.VELOCITY_CONTROL,
            forces=[0.0] * self.dof,
            physicsClientId=cid,
        )

    def _stop(self) -> None:
        if self.client_id >= 0 and pb.isConnected(self.client_id):
            pb.disconnect(self.client_id)
        self.client_id = -1

    @property
    def connected(self) -> bool:
        """Whether the PyBullet server is up (False after :meth:`disconnect`)."""
        return self.client_id >= 0 and pb.isConnected(self.client_id)

    def _index_joints(self) -> None:
        cid, body = self.client_id, self.body_id
        index = body_index(cid, body, self.arm.model.root)
        self.link_index: dict[str, int] = index.links
        parent = index.parents
        movable = set(index.movable)
        fixed = {i: i not in movable for i in parent}
        self.chain = [index.joints[n] for n in self.arm.joint_names]
        chain_set = set(self.chain)
        self.others: list[int] = [i for i in index.movable if i not in chain_set]
        self.ee_index = self.link_index[self.arm.ee_link]
        # Contacts count on the rigid body carrying the end effector: climb fixed
        # joints to the last chain link, then take everything below it.
        root = self.ee_index
        while root >= 0 and fixed.get(root, False):
            root = parent[root]
        below = {root}
        for i in sorted(parent):
            if parent[i] in below:
                below.add(i)
        self.contact_links = below
        if self.others:
            # Held where they are in the model (zero), like the analytic chain assumes.
            pb.setJointMotorControlArray(
                body,
                self.others,
                pb.POSITION_CONTROL,
                targetPositions=[0.0] * len(self.others),
                forces=[max(index.max_force[i], 1.0) for i in self.others],
                physicsClientId=cid,
            )

    # -- state ------------------------------------------------------------------------
    def _set_joints(self, q: np.ndarray, dq: np.ndarray) -> None:
        for idx in self.others:
            pb.resetJointState(self.body_id, idx, 0.0, 0.0, physicsClientId=self.client_id)
        for idx, qi, vi in zip(self.chain, q, dq, strict=True):
            pb.resetJointState(
                self.body_id, idx, float(qi), float(vi), physicsClientId=self.client_id
            )

    def _read_state(self) -> None:
        states = pb.getJointStates(self.body_id, self.chain, physicsClientId=self.client_id)
        # Per joint: position, velocity, reaction forces, motor torque.
        q, dq, _, _ = zip(*states, strict=True)
        self._q, self._dq = np.array(q), np.array(dq)

    def _step(self, u: np.ndarray, pushes: Sequence[Push]) -> None:
        cid = self.client_id
        pb.setJointMotorControlArray(
            self.body_id, self.chain, pb.TORQUE_CONTROL, forces=u.tolist(), physicsClientId=cid
        )
        if pushes:
            pos, _ = self.ee_pose()
            for p in pushes:
                pb.applyExternalForce(self.body_id, self.ee_index, p.force.tolist(),
                                      (pos + p.point).tolist(), pb.WORLD_FRAME,
                                      physicsClientId=cid)  # fmt: skip
        pb.stepSimulation(physicsClientId=cid)

    # -- end effector --------------------------------------------------------------
    def ee_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (3,) and orientation quaternion (4,) xyzw of the EE link frame."""
        self._require()
        pos, orn = link_pose(self.client_id, self.body_id, self.ee_index)
        return np.array(pos), np.array(orn)

    def ee_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """World linear velocity of the EE link frame origin (3,) and angular velocity (3,)."""
        self._require()
        if self.ee_index < 0:
            return np.zeros(3), np.zeros(3)
        s = pb.getLinkState(
            self.body_id,
            self.ee_index,
            computeLinkVelocity=1,
            computeForwardKinematics=1,
            physicsClientId=self.client_id,
        )
        # PyBullet reports the centre-of-mass velocity; move it to the frame origin.
        w = np.array(s[7])
        v_com = np.array(s[6])
        return v_com + np.cross(w, np.array(s[4]) - np.array(s[0])), w

    def contact_force(self, other: int | None = None) -> np.ndarray:
        """Total contact force (3,) the world exerts on the end-effector body, N.

        Sums normal and friction forces over all contact points on the link
        carrying the end effector and the links rigidly below it (hand, fingers),
        optionally only those touching body ``other``.
        """
        self._require()
        kwargs = {"bodyA": self.body_id, "physicsClientId": self.client_id}
        if other is not None:
            kwargs["bodyB"] = other
        fx = fy = fz = 0.0
        links = self.contact_links
        for c in pb.getContactPoints(**kwargs):
            if c[3] not in links:
                continue
            # contactNormalOnB (c[7]) points from B towards A: the push on A.
            # Plus the two friction components along their directions.
            (nx, ny, nz), fn = c[7], c[9]
            (ax, ay, az), fa = c[11], c[10]
            (bx, by, bz), fb = c[13], c[12]
            fx += fn * nx + fa * ax + fb * bx
            fy += fn * ny + fa * ay + fb * by
            fz += fn * nz + fa * az + fb * bz
        return np.array([fx, fy, fz])

    def _ft_attach(self, joint: str) -> tuple[int, list[int], list[float]]:
        """Switch PyBullet's sensor on at ``joint``: (its index, the tool's links, masses)."""
        cid, body = self.client_id, self.body_id
        index = body_index(cid, body, self.arm.model.root)
        handle = index.joints[joint]
        below = {handle}
        for i in sorted(index.parents):
            if index.parents[i] in below:
                below.add(i)
        links = sorted(below)
        masses = [pb.getDynamicsInfo(body, i, physicsClientId=cid)[0] for i in links]
        pb.enableJointForceTorqueSensor(body, handle, True, physicsClientId=cid)
        return handle, links, masses

    def _ft_read(self, joint: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parent's wrench on the child of ``joint`` in the world frame about the child's
        frame origin: (force, torque, origin, the child's rotation)."""
        cid, body = self.client_id, self.body_id
        # Measured: PyBullet reports it in the child's inertial frame, about its centre of mass.
        raw = np.array(pb.getJointState(body, joint, physicsClientId=cid)[2])
        state = pb.getLinkState(body, joint, computeForwardKinematics=True, physicsClientId=cid)
        com, inertial = np.array(state[0]), _rot(state[1])
        origin, link = np.array(state[4]), _rot(state[5])
        force = inertial @ raw[:3]
        return force, inertial @ raw[3:] + np.cross(com - origin, force), origin, link

    def _link_com(self, link: int) -> np.ndarray:
        """World centre of mass of link ``link``."""
        state = pb.getLinkState(self.body_id, link, computeForwardKinematics=True,
                                physicsClientId=self.client_id)  # fmt: skip
        return np.array(state[0])

    def in_contact(self, other: int | None = None) -> bool:
        """Whether the end-effector body touches ``other`` (or anything)."""
        self._require()
        kwargs = {"bodyA": self.body_id, "physicsClientId": self.client_id}
        if other is not None:
            kwargs["bodyB"] = other
        return any(c[3] in self.contact_links for c in pb.getContactPoints(**kwargs))

    # -- the world -----------------------------------------------------------------
    def add_payload(
        self, mass: float, offset: Sequence[float] = (0.0, 0.0, 0.0), radius: float = 0.03
    ) -> int:
        """Attach a solid sphere of ``mass`` kg rigidly to the end effector.

        ``offset`` is its centre in the EE link frame. It does not collide with
        the arm. Returns the payload's body id.
        """
        off = self._check_payload(mass, offset)
        cid = self.client_id
        pos, orn = self.ee_pose()
        rot = _rot(orn.tolist())
        shape = pb.createCollisionShape(pb.GEOM_SPHERE, radius=radius, physicsClientId=cid)
        visual = pb.createVisualShape(
            pb.GEOM_SPHERE, radius=radius, rgbaColor=[0.9, 0.4, 0.1, 1], physicsClientId=cid
        )
        body = pb.createMultiBody(
            baseMass=float(mass),
            baseCollisionShapeIndex=shape,
            baseVisualShapeIndex=visual,
            basePosition=(pos + rot @ off).tolist(),
            baseOrientation=orn.tolist(),
            physicsClientId=cid,
        )
        for link in range(-1, pb.getNumJoints(self.body_id, physicsClientId=cid)):
            pb.setCollisionFilterPair(self.body_id, body, link, -1, 0, physicsClientId=cid)
        # Start it moving with the hand, so the constraint has no jerk to absorb.
        v, w = self.ee_velocity()
        pb.resetBaseVelocity(
            body, (v + np.cross(w, rot @ off)).tolist(), w.tolist(), physicsClientId=cid
        )
        # Constraint frames are relative to the link's centre-of-mass frame, not
        # the URDF link frame: express the attachment point in it.
        inertial = pb.getLinkState(self.body_id, self.ee_index, physicsClientId=cid)
        inv_pos, inv_orn = pb.invertTransform(inertial[2], inertial[3])
        at_pos, at_orn = pb.multiplyTransforms(inv_pos, inv_orn, off.tolist(), [0, 0, 0, 1])
        cons = pb.createConstraint(
            self.body_id,
            self.ee_index,
            body,
            -1,
            pb.JOINT_FIXED,
            [0, 0, 0],
            at_pos,
            [0, 0, 0],
            parentFrameOrientation=at_orn,
            physicsClientId=cid,
        )
        pb.changeConstraint(cons, maxForce=1e5, physicsClientId=cid)
        return body

    def add_box(
        self,
        half_extents: Sequence[float],
        position: Sequence[float],
        *,
        friction: float = 0.5,
        color: Sequence[float] = (0.6, 0.5, 0.4, 1.0),
        stiffness: float | None = None,
        damping: float | None = None,
    ) -> int:
        """Add a fixed box (a table, a wall) and return its body id; ``stiffness`` and
        ``damping`` act per contact point (PyBullet's ``contactStiffness``)."""
        self._require()
        half = self._vector(half_extents, "half_extents", 3)
        pos = self._vector(position, "position", 3)
        cid = self.client_id
        shape = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half.tolist(), physicsClientId=cid)
        visual = pb.createVisualShape(
            pb.GEOM_BOX, halfExtents=half.tolist(), rgbaColor=list(color), physicsClientId=cid
        )
        body = pb.createMultiBody(
            baseMass=0.0,
            baseCollisionShapeIndex=shape,
            baseVisualShapeIndex=visual,
            basePosition=pos.tolist(),
            physicsClientId=cid,
        )
        pb.changeDynamics(body, -1, lateralFriction=float(friction), physicsClientId=cid)
        # PyBullet multiplies it by the arm link's (LINK_FRICTION unless the URDF says).
        k, c = compliance(stiffness, damping)
        if k is not None:
            pb.changeDynamics(body, -1, contactStiffness=k, contactDamping=c, physicsClientId=cid)
        return body

    def contact_depth(self, other: int | None = None) -> float:  # noqa: D102
        self._require()
        kwargs = {"bodyA": self.body_id, "physicsClientId": self.client_id}
        if other is not None:
            kwargs["bodyB"] = other
        depths = [-c[8] for c in pb.getContactPoints(**kwargs) if c[3] in self.contact_links]
        return max(0.0, sum(depths) / len(depths)) if depths else 0.0

    def add_marker(
        self,
        position: Sequence[float],
        radius: float = 0.015,
        color: Sequence[float] = (0.1, 0.8, 0.1, 0.8),
    ) -> int:
        """A visual-only sphere (no mass, no collisions), e.g. to show a target."""
        self._require()
        cid = self.client_id
        visual = pb.createVisualShape(
            pb.GEOM_SPHERE, radius=radius, rgbaColor=list(color), physicsClientId=cid
        )
        return pb.createMultiBody(
            baseMass=0.0,
            baseVisualShapeIndex=visual,
            basePosition=self._vector(position, "position", 3).tolist(),
            physicsClientId=cid,
        )

    def move_marker(self, marker: int, position: Sequence[float]) -> None:
        """Move a marker from :meth:`add_marker` to a world ``position`` (3,), m.

        Raises
        ------
        InputError
            ``position`` is not three finite numbers.
        SimulationError
            The simulation is not connected.
        """
        self._require()
        pos = self._vector(position, "position", 3)
        pb.resetBasePositionAndOrientation(
            marker, pos.tolist(), [0, 0, 0, 1], physicsClientId=self.client_id
        )

    def camera_image(
        self,
        width: int = 320,
        height: int = 240,
        target: Sequence[float] = (0.3, 0.0, 0.4),
        distance: float = 1.15,
        yaw: float = 45.0,
        pitch: float = -25.0,
    ) -> np.ndarray:
        """An RGB frame (height, width, 3) uint8 from an orbiting camera (CPU renderer)."""
        self._require()
        cid = self.client_id
        view = pb.computeViewMatrixFromYawPitchRoll(
            list(target), distance, yaw, pitch, 0.0, 2, physicsClientId=cid
        )
        proj = pb.computeProjectionMatrixFOV(60.0, width / height, 0.05, 10.0, physicsClientId=cid)
        renderer = pb.ER_BULLET_HARDWARE_OPENGL if self.gui else pb.ER_TINY_RENDERER
        _, _, rgba, _, _ = pb.getCameraImage(
            width, height, view, proj, renderer=renderer, physicsClientId=cid
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[..., :3]


def _rot(quat) -> np.ndarray:
    return np.array(pb.getMatrixFromQuaternion(quat)).reshape(3, 3)
