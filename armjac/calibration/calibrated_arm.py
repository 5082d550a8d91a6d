"""The arm a calibration returns: the nominal chain with its identified parameters.

:class:`CalibratedArm` evaluates the perturbed chain of
:class:`~armjac.calibration.chain.KinematicModel` at fixed parameters: the constant parts
between two joints are multiplied out once, so ``fk`` and ``jacobian`` cost N joint
rotations and 2N small matrix products (numpy, batched). Everything is in the
measurement frame (the identified base frame included), at the readings ``q``.
No kernels are compiled for a calibration; :meth:`CalibratedArm.write_urdf` folds the
parameters into the joint origins when a URDF file is wanted.

Dynamics are not identified by a kinematic calibration: ``mass_matrix`` and ``gravity``
are the nominal's at the corrected angles.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np

from armjac.calibration.chain import KinematicModel, motion
from armjac.errors import InputError, UnknownLinkError

_COPIED = ("dof", "joint_names", "joints", "joint_limits", "effort_limits", "velocity_limits",
           "joint_damping", "home", "ee_link", "gravity_vector", "model", "spec", "link_names",
           "backend")  # fmt: skip
_EYE3 = np.eye(3)


def _rpy(rot: np.ndarray) -> tuple[float, float, float]:
    """URDF roll-pitch-yaw of ``rot`` = Rz(yaw) Ry(pitch) Rx(roll)."""
    pitch = float(np.arcsin(np.clip(-rot[2, 0], -1.0, 1.0)))
    if abs(rot[2, 0]) < 1 - 1e-12:
        return (float(np.arctan2(rot[2, 1], rot[2, 2])), pitch,
                float(np.arctan2(rot[1, 0], rot[0, 0])))  # fmt: skip
    return float(np.arctan2(-rot[1, 2], rot[1, 1])), pitch, 0.0  # gimbal lock: yaw in roll


class CalibratedArm:
    """``model`` (a :class:`KinematicModel`) at the parameters ``theta``.

    Parameters
    ----------
    model : KinematicModel
    theta : (P,) array
        The identified parameters (the tool's are reported, not applied: pass
        ``point=`` to :meth:`position` and :meth:`jacobian`).
    weights : (4, N) array, optional
        Joint-error weights (:mod:`armjac.calibration.joint_errors`): the true angle is
        the reading plus ``zero + weights . phi(q)``, the features ``phi`` from
        ``model.arm`` at ``feature_point``.
    feature_point : 3 floats, optional
    """

    def __init__(self, model: KinematicModel, theta, weights=None, feature_point=None):
        theta = np.asarray(theta, float)
        if theta.shape != (model.n_params,) or not np.isfinite(theta).all():
            raise InputError(f"theta must be {model.n_params} finite numbers; got {theta}")
        self.kinematics, self.theta, self.nominal = model, theta.copy(), model.arm
        for name in _COPIED:
            setattr(self, name, getattr(model.arm, name))
        self.name = f"{model.arm.name}-calibrated"
        self.offsets = theta[model.zero_index]
        self.weights = None if weights is None else np.asarray(weights, float).reshape(4, self.dof)
        self.feature_point = None if feature_point is None else np.asarray(feature_point, float)
        self._steps, self._end = self._collapse()

    def _collapse(self):
        """Per joint (constant transform before it, kind, axis, its cross-product matrix
        K and K @ K, index), and the constant after the last joint."""
        steps, c = [], np.eye(4)
        for el in self.kinematics.elements[: self.kinematics.n_link]:
            if el.kind == "F":
                c = c @ el.matrix
            elif el.joint >= 0:
                a = el.axis
                k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
                steps.append((c, el.kind, a, k, k @ k, el.joint))
                c = np.eye(4)
            else:
                c = c @ motion(el.kind, el.axis, np.array([self.theta[el.param]]))[0]
        self._revolute = np.array([kind == "R" for _, kind, *_ in steps])
        return steps, c

    def __repr__(self) -> str:
        extra = "" if self.weights is None else ", joint errors"
        return f"CalibratedArm({self.nominal.name!r}, {self.kinematics.n_params} parameters{extra})"

    @property
    def urdf_path(self) -> str:
        """The nominal's URDF (the calibration is not in it; see :meth:`write_urdf`)."""
        return self.nominal.urdf_path

    # -- readings to angles --------------------------------------------------------------
    def correction(self, q) -> np.ndarray:
        """The joint-error model's ``delta(q)`` (zero without one), rad."""
        q = np.asarray(q, float)
        if self.weights is None:
            return np.zeros_like(q)
        from armjac.calibration.joint_errors import joint_features

        return np.sum(self.weights * joint_features(self.nominal, q, self.feature_point), axis=-2)

    def _angles(self, q) -> np.ndarray:
        return np.asarray(q, float) + self.offsets + self.correction(q)

    def _check(self, q, link) -> tuple[np.ndarray, bool]:
        if link is not None and link != self.ee_link:
            raise UnknownLinkError(
                f"a calibrated arm models its end effector {self.ee_link!r} only; got {link!r}"
            )
        q = np.asarray(q, float)
        if q.shape[-1:] != (self.dof,) or q.ndim > 2:
            raise InputError(f"q must have shape ({self.dof},) or (B, {self.dof}); got {q.shape}")
        return np.atleast_2d(q), q.ndim == 1

    def _frames(self, angles: np.ndarray, jac: bool):
        """EE link frames (B, 4, 4) and the joints' world axes and origins (B, N, 3)."""
        b = angles.shape[0]
        t = np.broadcast_to(np.eye(4), (b, 4, 4))
        axes, origins = np.zeros((b, self.dof, 3)), np.zeros((b, self.dof, 3))
        m = np.zeros((b, 4, 4))
        m[:, 3, 3] = 1.0
        for c, kind, axis, k, kk, i in self._steps:
            t = t @ c
            if jac:
                axes[:, i], origins[:, i] = t[:, :3, :3] @ axis, t[:, :3, 3]
            if kind == "R":  # Rodrigues with the precomputed K, K^2
                s, co = np.sin(angles[:, i])[:, None, None], np.cos(angles[:, i])[:, None, None]
                m[:, :3, :3] = _EYE3 + s * k + (1 - co) * kk
                m[:, :3, 3] = 0.0
            else:
                m[:, :3, :3] = _EYE3
                m[:, :3, 3] = angles[:, i, None] * axis
            t = t @ m
        return t @ self._end, (axes, origins)

    # -- the numeric API -----------------------------------------------------------------
    def fk(self, q, link=None) -> np.ndarray:
        """4x4 transform (measurement frame) of the EE link at the readings ``q``."""
        q2, single = self._check(q, link)
        t, _ = self._frames(q2 + self.offsets + self.correction(q2), False)
        return t[0] if single else t

    def position(self, q, link=None, point=None) -> np.ndarray:
        """Position of ``point`` (EE link frame) at the readings ``q``."""
        t = self.fk(q, link)
        p = np.zeros(3) if point is None else np.asarray(point, float)
        return t[..., :3, 3] + t[..., :3, :3] @ p

    def jacobian(self, q, link=None, point=None) -> np.ndarray:
        """6xN geometric Jacobian at ``point`` with respect to the readings ``q``."""
        q2, single = self._check(q, link)
        t, axes = self._frames(self._angles(q2), True)
        p = np.zeros(3) if point is None else np.asarray(point, float)
        tip = t[:, :3, 3] + t[:, :3, :3] @ p
        w, o = axes
        rev = self._revolute
        jac = np.empty((q2.shape[0], 6, self.dof))
        jac[:, :3] = np.where(rev[:, None], np.cross(w, tip[:, None] - o), w).swapaxes(1, 2)
        jac[:, 3:] = np.where(rev[:, None], w, 0.0).swapaxes(1, 2)
        if self.weights is not None:  # d angles / d readings = I + d delta / dq
            h, eye = 1e-6, np.eye(self.dof)
            dd = np.stack([(self.correction(q2 + h * e) - self.correction(q2 - h * e)) / (2 * h)
                           for e in eye], axis=-1)  # fmt: skip
            jac = jac @ (eye + dd)
        return jac[0] if single else jac

    def dJdq(self, q, dq, link=None, point=None) -> np.ndarray:
        """dJ/dt dq by a central difference of :meth:`jacobian` along ``dq``."""
        dq = np.asarray(dq, float)
        h = 1e-6
        return (self.jacobian(q + h * dq, link, point) - self.jacobian(q - h * dq, link, point)
                ) @ dq / (2 * h)  # fmt: skip

    def mass_matrix(self, q):
        """The nominal's M at the corrected angles (inertia is not identified)."""
        return self.nominal.mass_matrix(self._angles(q))

    def gravity(self, q):
        """The nominal's g at the corrected angles (inertia is not identified)."""
        return self.nominal.gravity(self._angles(q))

    def adjusted(self, origin_offsets=None, load=None, *, name=None, source=None):
        """This calibration with its dynamics carrying ``load`` (EE link frame, see
        :meth:`armjac.arm.Arm.adjusted`), e.g. a tool identified from joint torques
        (:func:`~armjac.estimation.identify_load`): the nominal's dynamics, which this arm
        evaluates at the corrected angles, get the load; the kinematics stay."""
        if origin_offsets is not None:
            raise InputError("a calibrated arm's joint origins are its parameters; "
                             "adjust only its load")
        out = copy.copy(self)
        out.nominal = self.nominal.adjusted(None, load, name=name, source=source)
        out.name = name or f"{self.name}+load"
        return out

    def random_q(self, n=None, rng=None, margin: float = 0.0):
        """Uniform readings within the joint limits (as :meth:`Arm.random_q`)."""
        return self.nominal.random_q(n, rng, margin)

    def sample_bounds(self, margin: float = 0.0):
        """Joint sampling bounds (as :meth:`Arm.sample_bounds`)."""
        return self.nominal.sample_bounds(margin)

    # -- as a URDF -----------------------------------------------------------------------
    def folded_model(self):
        """The nominal's RobotModel with every parameter folded into the joint origins
        (the base frame into the first joint on the chain)."""
        import dataclasses

        from armjac.model.tree import RobotModel

        k = self.kinematics
        pending, origins = np.eye(4), {}
        chain = list(k.arm.model.path_to(k.arm.ee_link))
        elements = iter(k.elements[: k.n_link])
        joints = set(self.joint_names)
        for j in chain:
            while True:  # the elements up to and including this joint's own
                el = next(elements)
                if el.kind == "F":
                    pending = pending @ el.matrix
                    if j.name not in joints:
                        break
                    continue
                value = np.array([self.theta[el.param]])
                pending = pending @ motion(el.kind, el.axis, value)[0]
                if el.joint >= 0:
                    break
            origins[j.name], pending = pending, np.eye(4)
        out = []
        for j in k.arm.model.joints:
            if j.name in origins:
                m = origins[j.name]
                xyz = tuple(float(v) for v in m[:3, 3])
                j = dataclasses.replace(j, xyz=xyz, rpy=_rpy(m[:3, :3]))
            out.append(j)
        name = f"{k.arm.model.name}_calibrated"
        return RobotModel(name, k.arm.model.links, tuple(out), source=f"<{name}>")

    def compiled(self):
        """The calibrated chain as a compiled :class:`~armjac.arm.Arm` (its folded model:
        the same answers at the readings, at the compiled kernels' speed; compiles once per
        calibration, about a second). Not for the joint-error model."""
        if self.weights is not None:
            raise InputError("the joint-error model has no compiled form; use this arm itself")
        from armjac.arm import Arm

        n = self.nominal
        return Arm(self.folded_model(), ee_link=n.ee_link, name=self.name,
                   gravity=n.gravity_vector, home=n.home)  # fmt: skip

    def write_urdf(self, path: str | os.PathLike) -> Path:
        """Write the calibrated chain (parameters folded into the origins) as a URDF file."""
        if self.weights is not None:
            raise InputError(
                "a URDF cannot hold the joint-error model (eccentricity, deflection); "
                "calibrate with joint_errors=False to write one"
            )
        from armjac.model.urdf_write import write_urdf

        path = Path(path)
        if path.is_dir():
            raise InputError(f"write_urdf needs a file path; {path} is a folder")
        if not path.parent.is_dir():
            raise InputError(f"write_urdf: the folder {path.parent} does not exist")
        return write_urdf(self.folded_model(), path)

