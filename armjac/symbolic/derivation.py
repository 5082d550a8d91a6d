"""Symbolic kinematics and dynamics of a serial chain inside a URDF tree.

All results are plain sympy matrices in the joint symbols ``q``, ``dq`` and the
point offset ``p`` (a point fixed in a link frame). No ``simplify`` is ever
called: it takes hours on 7-DOF arms, and common-subexpression elimination at
code-generation time removes the redundancy instead.

Bodies that hang rigidly from a chain link (fixed joints, or movable joints off
the chain, which are held at zero) are folded into that link's composite
inertial. Links before the first chain joint never move and carry no dynamics.
Links without an ``<inertial>`` are massless, as the URDF spec says (PyBullet
gives them 1 kg and unit inertia instead: write explicit inertials where the
two must agree). A zero mass with a non-zero inertia tensor still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import sympy as sp

from armjac.model.tree import STANDARD_GRAVITY, Joint, RobotModel
from armjac.symbolic.transforms import axis_rotation, origin_transform, rpy_matrix_numeric


class CompositeBody:
    """Mass properties of everything rigidly attached to one chain link.

    ``com`` is in the link frame; ``inertia`` is the 3x3 tensor about the
    composite COM, in link-frame axes.
    """

    __slots__ = ("link", "mass", "com", "inertia")

    def __init__(self, link: str, mass: float, com: np.ndarray, inertia: np.ndarray):
        self.link, self.mass, self.com, self.inertia = link, mass, com, inertia


class ChainDerivation:
    """Symbolic FK, Jacobians, dJ/dt·dq, mass matrix and gravity for one chain.

    Parameters
    ----------
    model : RobotModel
        The parsed robot tree.
    joint_names : sequence of str
        The controlled joints, in order; each must be movable. Other movable
        joints are held at zero.
    gravity : 3 floats
        Gravity acceleration in the world (root link) frame.
    """

    def __init__(
        self,
        model: RobotModel,
        joint_names: Sequence[str],
        gravity: Sequence[float] = STANDARD_GRAVITY,
    ):
        self.model = model
        self.joint_names = tuple(joint_names)
        self.index = {name: i for i, name in enumerate(self.joint_names)}
        n = len(self.joint_names)
        self.q = sp.Matrix(sp.symbols(f"q0:{n}", real=True))
        self.dq = sp.Matrix(sp.symbols(f"dq0:{n}", real=True))
        self.p = sp.Matrix(sp.symbols("px py pz", real=True))
        self.gravity_vector = tuple(float(g) for g in gravity)
        self._world: dict[str, sp.Matrix] = {model.root: sp.eye(4)}
        self._joint_frame: dict[str, sp.Matrix] = {}

    # -- frames -------------------------------------------------------------------
    def _motion(self, joint: Joint) -> sp.Matrix:
        i = self.index.get(joint.name)
        if i is None or not joint.movable:
            return sp.eye(4)
        t = sp.eye(4)
        if joint.type == "prismatic":
            t[:3, 3] = sp.Matrix(joint.axis) * self.q[i]
        else:
            t[:3, :3] = axis_rotation(joint.axis, self.q[i])
        return t

    def joint_frame(self, joint: Joint) -> sp.Matrix:
        """World transform of the frame in which ``joint.axis`` is expressed."""
        if joint.name not in self._joint_frame:
            parent = self.fk(joint.parent)
            self._joint_frame[joint.name] = parent * origin_transform(joint.xyz, joint.rpy)
        return self._joint_frame[joint.name]

    def fk(self, link: str) -> sp.Matrix:
        """4x4 world transform of ``link``'s URDF frame."""
        if link not in self._world:
            joint = self.model.parent_joint(link)
            self._world[link] = self.joint_frame(joint) * self._motion(joint)
        return self._world[link]

    # -- Jacobians ----------------------------------------------------------------
    def chain_joints_above(self, link: str) -> tuple[Joint, ...]:
        """Joints of this chain (``joint_names``) from the root down to ``link``, in order."""
        return tuple(j for j in self.model.path_to(link) if j.name in self.index)

    def jacobian(self, link: str, point: sp.Matrix | None = None) -> sp.Matrix:
        """6xN geometric Jacobian [v; w] at ``point`` (link frame; default ``self.p``)."""
        point = self.p if point is None else point
        t = self.fk(link)
        target = t[:3, 3] + t[:3, :3] * point
        jac = sp.zeros(6, len(self.joint_names))
        for joint in self.chain_joints_above(link):
            frame = self.joint_frame(joint)
            z = frame[:3, :3] * sp.Matrix(joint.axis)
            col = self.index[joint.name]
            if joint.type == "prismatic":
                jac[:3, col] = z
            else:
                jac[:3, col] = z.cross(target - frame[:3, 3])
                jac[3:, col] = z
        return jac

    def djdq(self, link: str, point: sp.Matrix | None = None) -> sp.Matrix:
        """The 6-vector dJ/dt·dq, from the time derivative of each Jacobian column.

        With z_i, o_i the axis and origin of joint i, w_i the angular velocity of
        the frame it is fixed in, P the target point and v_X the velocity of X,

            d/dt [z_i x (P - o_i); z_i] = [(w_i x z_i) x (P - o_i) + z_i x (v_P - v_oi);
                                            w_i x z_i]     (revolute)
            d/dt [z_i; 0] = [w_i x z_i; 0]                 (prismatic)

        Differentiating the expanded expressions with sympy instead gives the same
        result but takes minutes on chains with general axes.
        """
        point = self.p if point is None else point
        t = self.fk(link)
        target = t[:3, 3] + t[:3, :3] * point
        v_target = self.jacobian(link, point)[:3, :] * self.dq
        omega = sp.zeros(3, 1)
        moving: list[tuple[sp.Matrix, sp.Matrix, sp.Expr, bool]] = []  # (z, o, dq, revolute)
        out = sp.zeros(6, 1)
        for joint in self.chain_joints_above(link):
            frame = self.joint_frame(joint)
            z, o = frame[:3, :3] * sp.Matrix(joint.axis), frame[:3, 3]
            dq_i = self.dq[self.index[joint.name]]
            z_dot = omega.cross(z)
            if joint.type == "prismatic":
                out[:3, 0] += z_dot * dq_i
            else:
                v_o = sp.zeros(3, 1)
                for zj, oj, dqj, revolute in moving:
                    v_o += (zj.cross(o - oj) if revolute else zj) * dqj
                out[:3, 0] += (z_dot.cross(target - o) + z.cross(v_target - v_o)) * dq_i
                out[3:, 0] += z_dot * dq_i
                omega = omega + z * dq_i
            moving.append((z, o, dq_i, joint.type != "prismatic"))
        return out

    # -- dynamics -------------------------------------------------------------------
    @cached_property
    def bodies(self) -> tuple[CompositeBody, ...]:
        """One composite body per chain joint (the joint's child link and all it carries)."""
        out = []
        for name in self.joint_names:
            joint = next(j for j in self.model.joints if j.name == name)
            out.append(self._composite(joint.child))
        return tuple(out)

    def _composite(self, base: str) -> CompositeBody:
        masses, coms, tensors = [], [], []
        stack = [(base, np.eye(4))]
        while stack:
            link, t_rel = stack.pop()
            inert = self.model.link(link).inertial
            if inert is not None:
                # A zero mass with a non-zero tensor still adds rotational inertia
                # (the Panda's link8 and grasp target), as PyBullet counts it.
                rot = t_rel[:3, :3] @ rpy_matrix_numeric(inert.rpy)
                ixx, ixy, ixz, iyy, iyz, izz = inert.inertia
                tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
                masses.append(inert.mass)
                coms.append(t_rel[:3, :3] @ np.array(inert.xyz) + t_rel[:3, 3])
                tensors.append(rot @ tensor @ rot.T)
            for child in self.model.children(link):
                if child.name in self.index:
                    continue  # the next chain body starts here
                local = origin_transform(child.xyz, child.rpy)  # off-chain joints sit at zero
                stack.append((child.child, t_rel @ np.array(local.evalf(), dtype=float)))
        mass = float(sum(masses))
        com = sum(m * c for m, c in zip(masses, coms, strict=True)) / mass if mass else np.zeros(3)
        inertia = np.zeros((3, 3))
        for m, c, tensor in zip(masses, coms, tensors, strict=True):
            d = c - com
            inertia += tensor + m * (d @ d * np.eye(3) - np.outer(d, d))
        return CompositeBody(base, mass, com, inertia)

    def mass_matrix(self) -> sp.Matrix:
        """NxN joint-space inertia matrix."""
        n = len(self.joint_names)
        m_sym = sp.zeros(n, n)
        for body in self.bodies:
            if body.mass == 0.0 and not body.inertia.any():
                continue
            jac = self.jacobian(body.link, sp.Matrix(body.com.tolist()))
            rot = self.fk(body.link)[:3, :3]
            jv, jw_local = jac[:3, :], rot.T * jac[3:, :]
            m_sym += body.mass * (jv.T * jv) + jw_local.T * sp.Matrix(body.inertia) * jw_local
        # Mirror the upper triangle so both halves are the same expressions for cse.
        for i in range(n):
            for j in range(i):
                m_sym[i, j] = m_sym[j, i]
        return m_sym

    def gravity(self) -> sp.Matrix:
        """N-vector of joint torques that hold the chain still: g(q) = -sum J_v^T m g."""
        g_vec = sp.Matrix(self.gravity_vector)
        tau = sp.zeros(len(self.joint_names), 1)
        for body in self.bodies:
            if body.mass == 0.0:
                continue
            jv = self.jacobian(body.link, sp.Matrix(body.com.tolist()))[:3, :]
            tau -= body.mass * (jv.T * g_vec)
        return tau
