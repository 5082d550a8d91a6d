"""A simulated wrist force/torque sensor on one joint of an :class:`~armjac.sim.ArmSim` arm.

PyBullet's joint force-torque sensor reports the wrench the parent link
exerts on the child link through the joint, in the child's inertial frame
about its centre of mass (measured: for an arm held still under a known
external force, the reading is -(F_ext + m g) and its moment is taken about
the centre of mass). :class:`WristFTSensor` turns that into what force
control wants: the wrench the tool applies to the world, in the world frame,
about the child link's frame origin (the flange), with the weight of
everything below the sensor removed the way a real sensor is tared with its
tool's mass and centre of mass. Inertial forces of the tool (m a) are not
removed, as a real sensor would not remove them either.
"""

from __future__ import annotations

import numpy as np
import pybullet as pb

from armjac.errors import InputError, UnknownLinkError
from armjac.sim.pybullet_model import body_index


class WristFTSensor:
    """Force/torque sensor on ``joint`` of ``sim``'s arm (default: the joint above the
    end-effector link).

    Parameters
    ----------
    sim : ArmSim
        A connected simulation; the sensor is switched on in its server.
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
        cid, body = sim.client_id, sim.body_id
        index = body_index(cid, body, sim.arm.model.root)
        if joint is None:
            self.joint = sim.ee_index
            if self.joint < 0:
                raise InputError("the end-effector link is the root: no joint to put a sensor on")
        elif joint in index.joints:
            self.joint = index.joints[joint]
        else:
            raise UnknownLinkError(f"unknown joint {joint!r}; joints: {sorted(index.joints)}")
        below = {self.joint}
        for i in sorted(index.parents):
            if index.parents[i] in below:
                below.add(i)
        self.tool_links = sorted(below)
        self.tool_masses = np.array(
            [pb.getDynamicsInfo(body, i, physicsClientId=cid)[0] for i in self.tool_links]
        )
        self.gravity = np.asarray(sim.arm.gravity_vector, float)
        pb.enableJointForceTorqueSensor(body, self.joint, True, physicsClientId=cid)

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
        cid, body = sim.client_id, sim.body_id
        raw = np.array(pb.getJointState(body, self.joint, physicsClientId=cid)[2])
        state = pb.getLinkState(body, self.joint, computeForwardKinematics=True,
                                physicsClientId=cid)
        com, inertial = np.array(state[0]), _rot(state[1])
        origin, link = np.array(state[4]), _rot(state[5])
        force = inertial @ raw[:3]
        torque = inertial @ raw[3:] + np.cross(com - origin, force)
        if compensate:
            for i, m in zip(self.tool_links, self.tool_masses, strict=True):
                c = com if i == self.joint else np.array(
                    pb.getLinkState(body, i, computeForwardKinematics=True,
                                    physicsClientId=cid)[0])
                weight = m * self.gravity
                force = force + weight
                torque = torque + np.cross(c - origin, weight)
        out = np.concatenate((force, torque))
        if frame == "sensor":
            out = np.concatenate((link.T @ force, link.T @ torque))
        return out


def _rot(quat) -> np.ndarray:
    return np.array(pb.getMatrixFromQuaternion(quat)).reshape(3, 3)
