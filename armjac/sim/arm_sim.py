"""One torque-controlled arm in a physics engine: the part every engine shares.

:class:`ArmSim` follows the abr_control interface: ``connect()``,
``get_feedback()``, ``send_forces(u)`` (apply joint torques and step once),
``disconnect()``. ``ArmSim(arm, engine="mujoco")`` builds the engine's subclass
(:mod:`armjac.sim.engines`); PyBullet is the default. Every engine loads the arm
with the URDF's own inertias, a fixed base, no motors, and the joint damping
set explicitly (zero by default), so the joints feel exactly the torques a
controller sends. Movable joints off the controlled chain (the Panda's
fingers) are held at zero.

This module holds what does not depend on the engine: argument checks, the
state checks after every step (a NaN, or a joint speed beyond
``max_joint_speed``, stops the run with :class:`~armjac.errors.SimulationError`),
the schedule of pushes, and the lifecycle. An engine module implements the
methods marked "engine" below.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from armjac.arm import Arm, load_arm
from armjac.errors import ConfigError, InputError, SimulationError
from armjac.sim.engines import DEFAULT_ENGINE, check_engine, engine_class
from armjac.validation import as_vector, check_gain

# A joint spinning faster than this (rad/s or m/s) has left any physical regime.
DEFAULT_MAX_JOINT_SPEED = 50.0


def compliance(stiffness, damping) -> tuple[float | None, float]:
    """A box's contact ``stiffness`` (N/m, > 0) and ``damping`` (N·s/m, >= 0) checked;
    ``(None, 0)`` for the engine's own contact."""
    if stiffness is None:
        if damping is not None:
            raise InputError("contact damping needs a contact stiffness")
        return None, 0.0
    k = check_gain("box contact stiffness (N/m)", stiffness)
    return k, check_gain("box contact damping (N·s/m)", 0.0 if damping is None else damping,
                         zero=True)


def _as_arm(arm: str | os.PathLike | Arm) -> Arm:
    if isinstance(arm, Arm):
        return arm
    try:
        return load_arm(arm)
    except ConfigError as exc:
        raise ConfigError(f"ArmSim: {exc}") from None


class Push:
    """An external world-frame force on the end effector until simulated time ``until``;
    ``point`` is a world-frame offset from the end-effector frame origin."""

    __slots__ = ("force", "point", "until")

    def __init__(self, force: np.ndarray, point: np.ndarray, until: float):
        self.force, self.point, self.until = force, point, until


class ArmSim:
    """One arm in a physics engine, driven by joint torques.

    Parameters
    ----------
    arm : str, path or Arm
        A bundled arm name, a URDF/YAML path, or a loaded :class:`~armjac.arm.Arm`.
    dt : float
        Physics time step, s (1 kHz by default).
    gui : bool
        Show the engine's viewer instead of running headless.
    engine : str, optional
        ``"pybullet"`` (the default) or ``"mujoco"``; see :mod:`armjac.sim.engines`.
    joint_damping, link_damping : float
        Joint damping (N·m·s/rad) the engine applies at every chain joint, and
        linear/angular link damping (PyBullet only; finite, >= 0). Zero by
        default, so torques are exactly the commanded ones.
    q0 : sequence of float, optional
        Initial chain posture; defaults to ``arm.home``.
    max_joint_speed : float
        Joint speed treated as divergence, rad/s or m/s (finite, > 0).
    connect : bool
        Connect immediately (otherwise call :meth:`connect` or use ``with``).

    Examples
    --------
    >>> with ArmSim("kuka_iiwa", engine="mujoco") as sim:   # doctest: +SKIP
    ...     fb = sim.get_feedback()
    ...     sim.send_forces(sim.arm.gravity(fb["q"]))
    """

    engine = ""  # the registered name, set by each engine's subclass

    def __new__(cls, *args, engine: str | None = None, **kwargs):
        if cls is ArmSim:  # ArmSim(...) builds the engine's subclass
            cls = engine_class(check_engine(engine or DEFAULT_ENGINE, "ArmSim(engine=)"))
        elif engine not in (None, cls.engine):
            raise ConfigError(f"{cls.__name__} is the {cls.engine!r} engine, not {engine!r}")
        return super().__new__(cls)

    def __init__(
        self,
        arm: str | os.PathLike | Arm,
        dt: float = 1e-3,
        gui: bool = False,
        *,
        engine: str | None = None,
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
        self.time = 0.0
        self._pushes: list[Push] = []
        self._q = np.zeros(self.dof)
        self._ones = np.ones(self.dof)
        self._dq = np.zeros(self.dof)
        self._u = np.zeros(self.dof)
        self._check_settings()
        if connect:
            self.connect()

    def _check_settings(self) -> None:
        """Engine: refuse settings it cannot honour (before connecting)."""

    # -- lifecycle (engine: _start, _stop, connected) -------------------------------
    def connect(self) -> None:
        """Start the engine, load the arm and put it at ``q0``."""
        if self.connected:
            return
        self._start()
        self.time = 0.0
        self.reset(self.q0)

    def disconnect(self) -> None:
        """Shut the engine down (safe to call twice); :meth:`connect` starts it again."""
        self._stop()

    def close(self) -> None:
        """Release the engine, as every armjac object holding a resource does
        (the same as :meth:`disconnect`)."""
        self.disconnect()

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        """Whether the engine is up (False after :meth:`disconnect`)."""
        raise NotImplementedError

    def __enter__(self) -> ArmSim:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # best effort; disconnect() is preferred
        try:
            self.disconnect()
        except Exception:  # noqa: BLE001 - interpreter shutdown, half-built object
            pass

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"ArmSim({self.arm.name!r}, engine={self.engine!r}, dt={self.dt}, {state})"

    # -- state (engine: _set_joints, _read_state, _step) ----------------------------
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
        self._set_joints(q, dq)
        self._pushes.clear()
        self._u = np.zeros(self.dof)
        self._read_state()

    def get_feedback(self) -> dict[str, np.ndarray | float]:
        """Current joint state: ``q``, ``dq``, the last applied torques ``u`` and ``time``."""
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
        pushes = self._active_pushes() if self._pushes else ()
        self._step(u, pushes)
        self.time += self.dt
        self._u = u
        self._read_state()
        self._check_state()

    def _active_pushes(self) -> list[Push]:
        """The pushes acting during the coming step (finished ones are dropped)."""
        self._pushes = [p for p in self._pushes if self.time < p.until]
        return self._pushes

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

    def _set_joints(self, q: np.ndarray, dq: np.ndarray) -> None:
        raise NotImplementedError

    def _read_state(self) -> None:
        """Engine: store the chain's joint positions and speeds in ``_q`` and ``_dq``."""
        raise NotImplementedError

    def _step(self, u: np.ndarray, pushes: Sequence[Push]) -> None:
        """Engine: apply joint torques ``u`` and the pushes for one step, and step."""
        raise NotImplementedError

    # -- end effector and sensors ---------------------------------------------------
    def ee_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (3,) and orientation quaternion (4,) xyzw of the EE link frame."""
        raise NotImplementedError

    def ee_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """World linear velocity of the EE link frame origin (3,) and angular velocity (3,)."""
        raise NotImplementedError

    def contact_force(self, other: int | None = None) -> np.ndarray:
        """Total contact force (3,) the world exerts on the end-effector body, N.

        Sums normal and friction forces over all contact points on the link
        carrying the end effector and the links rigidly below it (hand, fingers),
        optionally only those touching body ``other`` (an id from :meth:`add_box`).
        """
        raise NotImplementedError

    def in_contact(self, other: int | None = None) -> bool:
        """Whether the end-effector body touches ``other`` (or anything)."""
        raise NotImplementedError

    def contact_depth(self, other: int | None = None) -> float:
        """Mean penetration (m, >= 0) of the end-effector body's contact points into
        ``other`` (or anything); 0 without contact. With the contact force it gives the
        contact's effective stiffness, whatever the number of contact points."""
        raise NotImplementedError

    def ft_sensor(self, joint: str | None = None):
        """Switch on a wrist force/torque sensor on ``joint`` (default: the flange, the
        joint above the end-effector link); see :class:`~armjac.sim.ft_sensor.WristFTSensor`."""
        from armjac.sim.ft_sensor import WristFTSensor

        return WristFTSensor(self, joint)

    # -- the world ----------------------------------------------------------------------
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
        self._pushes.append(Push(f.copy(), off.copy(), until))

    def _check_payload(self, mass: float, offset) -> np.ndarray:
        self._require()
        if not (mass > 0 and math.isfinite(mass)):
            raise InputError(f"payload mass must be a positive number of kg; got {mass!r}")
        return self._vector(offset, "payload offset", 3)

    def add_payload(
        self, mass: float, offset: Sequence[float] = (0.0, 0.0, 0.0), radius: float = 0.03
    ) -> int:
        """Attach a solid sphere of ``mass`` kg rigidly to the end effector.

        ``offset`` is its centre in the EE link frame. It does not collide with
        the arm. Returns the payload's body id.
        """
        raise NotImplementedError

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

        ``friction`` is the box's friction coefficient. The coefficient between
        the arm and the box is ``friction`` times :data:`LINK_FRICTION` (PyBullet
        multiplies the two bodies' coefficients; the MuJoCo engine is given the
        product), so a scenario's ``friction`` means the same on every engine.

        ``stiffness`` (N/m) and ``damping`` (N·s/m) make its contacts compliant, a spring
        and damper along the normal (a padded surface, or a tool's compliance); None keeps
        the engine's own contact (rigid on PyBullet, whose impact force is then an impulse
        over one time step). Engines apply them per contact point or to the contact's
        reference acceleration, so the stiffness as simulated is what :meth:`contact_depth`
        measures with the force, not the number given.
        """
        raise NotImplementedError

    def add_marker(
        self,
        position: Sequence[float],
        radius: float = 0.015,
        color: Sequence[float] = (0.1, 0.8, 0.1, 0.8),
    ) -> int:
        """A visual-only sphere (no mass, no collisions), e.g. to show a target."""
        raise NotImplementedError

    def move_marker(self, marker: int, position: Sequence[float]) -> None:
        """Move a marker from :meth:`add_marker` to a world ``position`` (3,), m.

        Raises
        ------
        InputError
            ``position`` is not three finite numbers.
        SimulationError
            The simulation is not connected.
        """
        raise NotImplementedError

    def camera_image(
        self,
        width: int = 320,
        height: int = 240,
        target: Sequence[float] = (0.3, 0.0, 0.4),
        distance: float = 1.15,
        yaw: float = 45.0,
        pitch: float = -25.0,
    ) -> np.ndarray:
        """An RGB frame (height, width, 3) uint8 from an orbiting camera."""
        raise NotImplementedError


# PyBullet's friction coefficient of a URDF link that states none (every bundled arm).
LINK_FRICTION = 0.5
