"""A simulated wrist force/torque sensor on one joint of an :class:`~armjac.sim.ArmSim` arm.

Each engine reports the wrench the parent link exerts on the child link
through the joint (PyBullet's joint force-torque sensor, MuJoCo's force and
torque sensors at a site on the child link's frame); the engine turns it into
the world frame, about the child link's frame origin (the flange).
:class:`WristFTSensor` turns that into what force control wants: the wrench
the tool applies to the world, with the weight of everything below the sensor
removed the way a real sensor is tared with its tool's mass and centre of
mass. Inertial forces of the tool (m a) are not removed, as a real sensor
would not remove them either.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError, UnknownLinkError


class WristFTSensor:
    """Force/torque sensor on ``joint`` of ``sim``'s arm (default: the joint above the
    end-effector link).

    Parameters
    ----------
    sim : ArmSim
        A connected simulation; the sensor is switched on in its engine.
    joint : str, optional
        URDF joint name. Its child link and everything below it is the "tool".

    Raises
    ------
    UnknownLinkError
        ``joint`` is not a joint of the arm.
    InputError
        The end-effector link is the root, so no joint carries it.
    """

    def __init__(self, sim, joint: str | None = None):
        sim._require()
        self.sim = sim
        model = sim.arm.model
        if joint is None:
            parent = model.parent_joint(sim.arm.ee_link)
            if parent is None:
                raise InputError("the end-effector link is the root: no joint to put a sensor on")
            joint = parent.name
        elif joint not in {j.name for j in model.joints}:
            names = sorted(j.name for j in model.joints)
            raise UnknownLinkError(f"unknown joint {joint!r}; joints: {names}")
        self.joint = joint
        self._handle, self.tool_links, masses = sim._ft_attach(joint)
        self.tool_masses = np.asarray(masses, float)
        self.gravity = np.asarray(sim.arm.gravity_vector, float)

    @property
    def tool_mass(self) -> float:
        """Mass below the sensor, kg (what compensation removes)."""
        return float(self.tool_masses.sum())

    def wrench(self, compensate: bool = True, frame: str = "world") -> np.ndarray:
        """The wrench (6,) [force N; torque N·m] the tool applies to the world.

        Parameters
        ----------
        compensate : bool
            Remove the tool's weight (its force and its moment about the flange).
            Without it the reading carries that bias, as a raw sensor does.
        frame : {"world", "sensor"}
            Express it in the world frame or in the sensor's (the child link's) frame.
            The torque is about the child link's frame origin either way.
        """
        if frame not in ("world", "sensor"):
            raise InputError(f"frame must be 'world' or 'sensor'; got {frame!r}")
        sim = self.sim
        sim._require()
        # The parent's wrench on the tool plus the tool's weight is, at rest, what the
        # tool applies to the world.
        force, torque, origin, rot = sim._ft_read(self._handle)
        if compensate:
            for link, m in zip(self.tool_links, self.tool_masses, strict=True):
                weight = m * self.gravity
                force = force + weight
                torque = torque + np.cross(sim._link_com(link) - origin, weight)
        if frame == "sensor":
            force, torque = rot.T @ force, rot.T @ torque
        return np.concatenate((force, torque))
