"""The kinematic parameter set a calibration identifies, as a chain of elementary motions.

Parametrisation: perturbations of the URDF origins. Every parameter is an elementary
motion (a translation along, or a rotation about, a fixed axis) inserted at a fixed place
in the nominal chain, so the perturbed chain is a product of fixed transforms and
one-parameter motions, exactly as the joints themselves are:

* **base** (6): the measurement (tracker) frame to the robot's base,
  ``Trans(x, y, z) Rx(rx) Ry(ry) Rz(rz)``;
* per movable joint ``j`` (6): ``j.dx, j.dy, j.dz`` (its origin moved in the parent's
  frame), ``j.tilt_u, j.tilt_v`` (its axis turned about the two directions
  perpendicular to it) and ``j.zero`` (its zero offset)::

      Trans(d) Origin(xyz, rpy) Rot(u, tilt_u) Rot(v, tilt_v) Motion(axis, q + zero)

  (the rotation about the axis itself would be the zero offset again, so it is not a
  parameter);
* **tool** (3, or 6 with orientation measurements): ``Trans(p) [R0] Rx Ry Rz`` in the
  end-effector link's frame.

That is 6 + 6N + 3 (or 6) candidates: complete (every small change of a joint origin,
axis and zero, of the base and of the tool is one of them) but not minimal. Which of
them the measurements can tell apart is a property of the chain (consecutive parallel
axes, the base against joint 1, ...) found numerically in
:mod:`armjac.calibration.identify`, and the rest are dropped, so the fitted set is
minimal. URDF-origin perturbations rather than DH/MDH: they stay valid for parallel
axes (where DH is singular), need no conversion of the URDF, and map back onto a URDF
exactly (:meth:`CalibratedArm.folded_model`).

Because every parameter is a motion about or along a known axis, every derivative is
the geometric Jacobian column of that motion: a rotation about world axis ``w`` through
``o`` moves the tip by ``w x (p - o)`` and turns the frame by ``w``; a translation
along ``w`` moves it by ``w``. Exact at any parameter value, no symbolic algebra.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from armjac.symbolic.transforms import origin_matrix

_EYE3 = np.eye(3)


def rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations (B, 3, 3) about the unit ``axis`` by ``angle`` (B,) (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return _EYE3 + s * k + (1 - c) * (k @ k)


def motion(kind: str, axis: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Transforms (B, 4, 4) of a rotation (``"R"``) or translation (``"P"``) by ``value``."""
    out = np.zeros((value.size, 4, 4))
    out[:, 3, 3] = 1.0
    if kind == "R":
        out[:, :3, :3] = rotation(axis, value)
    else:
        out[:, :3, :3] = _EYE3
        out[:, :3, 3] = value[:, None] * axis
    return out


def _perpendicular(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing ``axis`` to a right-handed orthonormal frame."""
    helper = _EYE3[int(np.argmin(np.abs(axis)))]
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(axis, u)


@dataclasses.dataclass(frozen=True)
class Element:
    """One step of the chain: a fixed transform, or a motion of value
    ``q[joint] + theta[param]`` (either may be absent: -1)."""

    kind: str  # "F" fixed, "R" rotation, "P" translation
    matrix: np.ndarray | None = None
    axis: np.ndarray | None = None
    joint: int = -1
    param: int = -1


class KinematicModel:
    """The perturbed chain of ``arm`` (see the module doc).

    Parameters
    ----------
    arm : Arm
        The nominal arm; all parameters zero (and the tool at ``point``) is the nominal.
    orientation : bool
        Whether the tool's orientation is a parameter (pose measurements).
    tool_rotation : (3, 3) array, optional
        Nominal rotation of the measured tool frame in the EE link frame.

    Attributes
    ----------
    names : list of str
        Parameter names, in order.
    groups : dict
        Parameter indices by group: ``base``, ``origin``, ``axis``, ``zero``, ``tool``.
    """

    def __init__(self, arm, *, orientation: bool = False, tool_rotation=None):
        self.arm, self.dof, self.orientation = arm, arm.dof, orientation
        self.names: list[str] = []
        self.groups: dict[str, list[int]] = {g: [] for g in ("base", "origin", "axis",
                                                                "zero", "tool")}  # fmt: skip
        self.elements: list[Element] = []
        for k, name in enumerate(("x", "y", "z")):
            self._add("P", _EYE3[k], f"base.{name}", "base")
        for k, name in enumerate(("rx", "ry", "rz")):
            self._add("R", _EYE3[k], f"base.{name}", "base")
        joints = list(arm.joint_names)
        for j in arm.model.path_to(arm.ee_link):
            if j.name not in joints:
                self.elements.append(Element("F", origin_matrix(j.xyz, j.rpy)))
                continue
            i = joints.index(j.name)
            for k, name in enumerate(("dx", "dy", "dz")):
                self._add("P", _EYE3[k], f"{j.name}.{name}", "origin")
            self.elements.append(Element("F", origin_matrix(j.xyz, j.rpy)))
            axis = np.asarray(j.axis, float) / np.linalg.norm(j.axis)
            u, v = _perpendicular(axis)
            self._add("R", u, f"{j.name}.tilt_u", "axis")
            self._add("R", v, f"{j.name}.tilt_v", "axis")
            kind = "P" if j.type == "prismatic" else "R"
            self._add(kind, axis, f"{j.name}.zero", "zero", joint=i)
        self.n_link = len(self.elements)  # the elements up to the EE link frame
        for k, name in enumerate(("x", "y", "z")):
            self._add("P", _EYE3[k], f"tool.{name}", "tool")
        if tool_rotation is not None:
            rot = np.eye(4)
            rot[:3, :3] = tool_rotation
            self.elements.append(Element("F", rot))
        if orientation:
            for k, name in enumerate(("rx", "ry", "rz")):
                self._add("R", _EYE3[k], f"tool.{name}", "tool")
        self.n_params = len(self.names)
        self.tool_index = np.array(self.groups["tool"][:3])
        self.zero_index = np.array(self.groups["zero"])

    def _add(self, kind: str, axis, name: str, group: str, joint: int = -1) -> None:
        self.groups[group].append(len(self.names))
        self.elements.append(Element(kind, None, np.asarray(axis, float), joint, len(self.names)))
        self.names.append(name)

    def initial(self, point=None) -> np.ndarray:
        """The nominal's parameter vector, with the tool at ``point``."""
        theta = np.zeros(self.n_params)
        if point is not None:
            theta[self.tool_index] = point
        return theta

    def evaluate(self, q: np.ndarray, theta: np.ndarray, jac: bool = True, upto=None):
        """The tool frame (B, 4, 4) and, with ``jac``, its Jacobians.

        Returns ``(T, d_theta, d_q)``: ``d_theta`` (B, 6, P) and ``d_q`` (B, 6, N) have
        rows [d position; d rotation] (world frame). ``upto`` stops after that many
        elements (``self.n_link``: the EE link frame, no tool).
        """
        q = np.atleast_2d(q)
        b = q.shape[0]
        t = np.broadcast_to(np.eye(4), (b, 4, 4))
        seen = []
        for el in self.elements[:upto]:
            if el.kind == "F":
                t = t @ el.matrix
                continue
            value = np.zeros(b)
            if el.joint >= 0:
                value = value + q[:, el.joint]
            if el.param >= 0:
                value = value + theta[el.param]
            if jac:
                seen.append((el, t[:, :3, :3] @ el.axis, t[:, :3, 3]))
            t = t @ motion(el.kind, el.axis, value)
        if not jac:
            return t, None, None
        d_th, d_q = np.zeros((b, 6, self.n_params)), np.zeros((b, 6, self.dof))
        tip = t[:, :3, 3]
        for el, w, o in seen:
            col = np.zeros((b, 6))
            if el.kind == "R":
                col[:, :3], col[:, 3:] = np.cross(w, tip - o), w
            else:
                col[:, :3] = w
            if el.param >= 0:
                d_th[:, :, el.param] += col
            if el.joint >= 0:
                d_q[:, :, el.joint] += col
        return t, d_th, d_q
