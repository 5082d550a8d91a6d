"""A PyBullet world holding one torque-controlled arm.

:class:`ArmSim` follows the abr_control interface: ``connect()``,
``get_feedback()``, ``send_forces(u)`` (apply joint torques and step once),
``disconnect()``. The arm is loaded with the URDF's own inertias, a fixed base,
the default velocity motors off and every damping term set explicitly (zero by
default), so the joints feel exactly the torques a controller sends. Movable
joints off the controlled chain (the Panda's fingers) are held by position
control.

Every step checks the state: a NaN, or a joint speed beyond
``max_joint_speed``, stops the run with :class:`~armjac.errors.SimulationError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
import pybullet as pb

from armjac.arm import Arm, load_arm
from armjac.errors import ConfigError, InputError, SimulationError
from armjac.sim.pybullet_model import body_index, link_pose, urdf_for
from armjac.validation import as_vector, check_gain

# A joint spinning faster than this (rad/s or m/s) has left any physical regime.
DEFAULT_MAX_JOINT_SPEED = 50.0


def _as_arm(arm: str | os.PathLike | Arm) -> Arm:
    if isinstance(arm, Arm):
        return arm
    try:
        return load_arm(arm)
    except ConfigError as exc:
        raise ConfigError(f"ArmSim: {exc}") from None


class _Push:
    """An external force applied to a link for a stretch of simulated time."""

    __slots__ = ("force", "link", "point", "until")

    def __init__(self, force: list[float], link: int, point: list[float], until: float):
        self.force, self.link, self.point, self.until = force, link, point, until


class ArmSim:
    """One arm in a PyBullet world, driven by joint torques.

    Parameters
    ----------
    arm : str, path or Arm
        A bundled arm name, a URDF/YAML path, or a loaded :class:`~armjac.arm.Arm`.
    dt : float
        Physics time step, s (1 kHz by default).
    gui : bool
        Open the PyBullet GUI instead of the headless DIRECT server.
    joint_damping, link_damping : float
        Joint damping (N·m·s/rad) and linear/angular link damping applied to the
        arm's links (finite, >= 0). Zero by default, so torques are exactly the
        commanded ones.
    q0 : sequence of float, optional
        Initial chain posture; defaults to ``arm.home``.
    max_joint_speed : float
        Joint speed treated as divergence, rad/s or m/s (finite, > 0).
    connect : bool
        Connect immediately (otherwise call :meth:`connect` or use ``with``).

    Examples
    --------
    >>> with ArmSim("kuka_iiwa") as sim:
    ...     fb = sim.get_feedback()
    ...     sim.send_forces(sim.arm.gravity(fb["q"]))
    """

    def __init__(
        self,
        arm: str | os.PathLike | Arm,
        dt: float = 1e-3,
        gui: bool = False,
        *,
        joint_damping: float = 0.0,
        link_damping: float = 0.0,
        q0: Sequence[float] | None = None,
        max_joint_speed: float = DEFAULT_MAX_JOINT_SPEED,
        connect: bool = True,
    ):
        self.dt = check_gain("dt (s)", dt)
        self.joint_damping = check_gain("joint_damping", joint_damping, zero=True)
        self.link_damping = check_gain("link_damping", link_damping, zero=True)
        self.max_joint_speed = check_gain("max_joint_speed", max_joint_speed)
        self._speed_sq = self.max_joint_speed**2
        self.arm = _as_arm(arm)
        self.dof = self.arm.dof
        self.gui = bool(gui)
        self.q0 = self.arm.home.copy() if q0 is None else self._vector(q0, "q0")
        self.client_id = -1
        self.body_id = -1
        self.time = 0.0
        self._pushes: list[_Push] = []
        self._q = np.zeros(self.dof)
        self._ones = np.ones(self.dof)
        self._dq = np.zeros(self.dof)
        self._u = np.zeros(self.dof)
        if connect:
            self.connect()

    # -- lifecycle -----------------------------------------------------------------
    def connect(self) -> None:
        """Start the PyBullet server, load the arm and put it at ``q0``."""
        if self.connected:
            return
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
        self.time = 0.0
        self.reset(self.q0)

    def disconnect(self) -> None:
        """Shut the PyBullet server down (safe to call twice); :meth:`connect` starts it again."""
        if self.client_id >= 0 and pb.isConnected(self.client_id):
            pb.disconnect(self.client_id)
        self.client_id = -1

    def close(self) -> None:
        """Release the PyBullet server, as every armjac object holding a resource does
        (the same as :meth:`disconnect`)."""
        self.disconnect()

    @property
    def connected(self) -> bool:
        """Whether the PyBullet server is up (False after :meth:`disconnect`)."""
        return self.client_id >= 0 and pb.isConnected(self.client_id)

    def __enter__(self) -> ArmSim:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # best effort; disconnect() is preferred
        try:
            self.disconnect()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"ArmSim({self.arm.name!r}, dt={self.dt}, {state})"

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

    # -- state ---------------------------------------------------------------------
    def _require(self) -> None:
        if not self.connected:
            raise SimulationError("the simulation is not connected; call connect() first")

    def _vector(self, values, what: str, n: int | None = None) -> np.ndarray:
        n = self.dof if n is None else n
        if (
            values.__class__ is np.ndarray
            and values.shape == (n,)
            and values.dtype.char == "d"
            and math.isfinite(values.dot(values))  # a dot: a third of sum()'s cost
        ):
            return values  # the usual case, checked cheaply (an overflow takes the full check)
        return as_vector(values, n, f"{what} (for {self.arm.name})")

    def reset(self, q: Sequence[float] | None = None, dq: Sequence[float] | None = None) -> None:
        """Put the chain at ``q`` (default ``q0``) with velocity ``dq`` (default zero)."""
        self._require()
        q = self.q0 if q is None else self._vector(q, "q")
        dq = np.zeros(self.dof) if dq is None else self._vector(dq, "dq")
        for idx in self.others:
            pb.resetJointState(self.body_id, idx, 0.0, 0.0, physicsClientId=self.client_id)
        for idx, qi, vi in zip(self.chain, q, dq, strict=True):
            pb.resetJointState(
                self.body_id, idx, float(qi), float(vi), physicsClientId=self.client_id
            )
        self._pushes.clear()
        self._u = np.zeros(self.dof)
        self._read_state()

    def _read_state(self) -> None:
        states = pb.getJointStates(self.body_id, self.chain, physicsClientId=self.client_id)
        # Per joint: position, velocity, reaction forces, motor torque.
        q, dq, _, _ = zip(*states, strict=True)
        self._q, self._dq = np.array(q), np.array(dq)

    def get_feedback(self) -> dict[str, np.ndarray | float]:
        """Current joint state: ``q``, ``dq``, the last torques ``u`` and ``time``."""
        self._require()
        return {"q": self._q.copy(), "dq": self._dq.copy(), "u": self._u.copy(), "time": self.time}

    def send_forces(self, u) -> None:
        """Apply joint torques ``u`` (N·m, one per chain joint) and step once.

        Raises
        ------
        InputError
            ``u`` has the wrong length or non-finite values (nothing is sent).
        SimulationError
            The state after the step is not finite or a joint spins beyond
            ``max_joint_speed``.
        """
        self._require()
        u = self._vector(u, "torques u")
        cid = self.client_id
        pb.setJointMotorControlArray(
            self.body_id, self.chain, pb.TORQUE_CONTROL, forces=u.tolist(), physicsClientId=cid
        )
        if self._pushes:
            self._apply_pushes()
        pb.stepSimulation(physicsClientId=cid)
        self.time += self.dt
        self._u = u
        self._read_state()
        self._check_state()

    def _check_state(self) -> None:
        # Two dot products on the fast path (|dq|_inf <= |dq|_2); NaN fails the comparison too.
        dq = self._dq
        if dq.dot(dq) <= self._speed_sq and math.isfinite(self._ones.dot(self._q)):
            return
        fastest = float(np.abs(dq).max())
        if fastest <= self.max_joint_speed and np.isfinite(self._q).all():
            return
        if not (np.isfinite(self._q).all() and np.isfinite(self._dq).all()):
            raise SimulationError(
                f"simulation diverged at t={self.time:.3f} s: non-finite joint state "
                f"(q={self._q}, dq={self._dq})"
            )
        worst = int(np.argmax(np.abs(self._dq)))
        raise SimulationError(
            f"simulation diverged at t={self.time:.3f} s: joint "
            f"{self.arm.joint_names[worst]!r} moves at {fastest:.3g} rad/s "
            f"(bound {self.max_joint_speed:g})"
        )

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

    def contact_depth(self, other: int | None = None) -> float:
        """Mean penetration (m, >= 0) of the end-effector body's contact points into
        ``other`` (or anything); 0 without contact. With the contact force it gives the
        contact's effective stiffness, whatever the number of contact points."""
        self._require()
        kwargs = {"bodyA": self.body_id, "physicsClientId": self.client_id}
        if other is not None:
            kwargs["bodyB"] = other
        depths = [-c[8] for c in pb.getContactPoints(**kwargs) if c[3] in self.contact_links]
        return max(0.0, sum(depths) / len(depths)) if depths else 0.0

    def ft_sensor(self, joint: str | None = None):
        """Switch on a wrist force/torque sensor on ``joint`` (default: the flange, the
        joint above the end-effector link); see :class:`~armjac.sim.ft_sensor.WristFTSensor`."""
        from armjac.sim.ft_sensor import WristFTSensor

        return WristFTSensor(self, joint)

    def in_contact(self, other: int | None = None) -> bool:
        """Whether the end-effector body touches ``other`` (or anything)."""
        self._require()
        kwargs = {"bodyA": self.body_id, "physicsClientId": self.client_id}
        if other is not None:
            kwargs["bodyB"] = other
        return any(c[3] in self.contact_links for c in pb.getContactPoints(**kwargs))

    # -- the world -----------------------------------------------------------------
    def push(
        self,
        force: Sequence[float],
        duration: float | None = None,
        point: Sequence[float] | None = None,
    ) -> None:
        """Push the end effector with a world-frame force (N) for ``duration`` seconds.

        ``duration=None`` applies it for the next step only. ``point`` is a
        world-frame offset from the EE frame origin (default: the origin).
        """
        self._require()
        f = self._vector(force, "force", 3)
        off = np.zeros(3) if point is None else self._vector(point, "point", 3)
        if duration is not None and not (duration >= 0 and math.isfinite(duration)):
            raise InputError(f"duration must be a non-negative number of seconds; got {duration}")
        until = self.time + (self.dt if duration is None else float(duration)) - 1e-12
        self._pushes.append(_Push(f.tolist(), self.ee_index, off.tolist(), until))

    def _apply_pushes(self) -> None:
        cid = self.client_id
        keep = []
        for p in self._pushes:
            if self.time >= p.until:
                continue
            pos, _ = self.ee_pose()
            at = (pos + np.asarray(p.point)).tolist()
            pb.applyExternalForce(
                self.body_id, p.link, p.force, at, pb.WORLD_FRAME, physicsClientId=cid
            )
            keep.append(p)
        self._pushes = keep

    def add_payload(
        self, mass: float, offset: Sequence[float] = (0.0, 0.0, 0.0), radius: float = 0.03
    ) -> int:
        """Attach a solid sphere of ``mass`` kg rigidly to the end effector.

        ``offset`` is its centre in the EE link frame. It does not collide with
        the arm. Returns the payload's body id.
        """
        self._require()
        if not (mass > 0 and math.isfinite(mass)):
            raise InputError(f"payload mass must be a positive number of kg; got {mass!r}")
        off = self._vector(offset, "payload offset", 3)
        cid = self.client_id
        pos, orn = self.ee_pose()
        rot = np.array(pb.getMatrixFromQuaternion(orn.tolist())).reshape(3, 3)
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
        """Add a fixed box (a table, a wall) and return its body id.

        ``stiffness`` (N/m) and ``damping`` (N·s/m) make its contacts compliant, a spring
        and damper along the normal (a padded surface, or a tool's compliance); None keeps
        the engine's rigid contact, whose impact force is an impulse over one time step.
        """
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
        if stiffness is not None or damping is not None:
            k = check_gain("box contact stiffness (N/m)", stiffness)
            c = check_gain("box contact damping (N·s/m)", 0.0 if damping is None else damping,
                           zero=True)
            pb.changeDynamics(body, -1, contactStiffness=k, contactDamping=c, physicsClientId=cid)
        return body

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
