"""MuJoCo's own kinematics and dynamics behind the armjac numeric API, and the URDF
loading the MuJoCo engine shares with it.

:class:`MujocoModel` answers ``fk``, ``jacobian``, ``mass_matrix`` and ``gravity``
from MuJoCo (``xpos``/``xmat``, ``mj_jac``, ``mj_crb`` + ``mj_fullM``, ``mj_rne`` at rest)
for the arm's chain joints, with every other movable joint held at zero. Each
query runs only the part of MuJoCo's pipeline it needs.

MuJoCo facts that shape this code (mujoco 4.0.1):

* Its URDF importer fuses links joined by fixed joints into their parent
  (``fusestatic``) and would then have no body for an end-effector link such as
  the Panda's ``panda_grasptarget``: fusing is switched off.
* It reads mesh paths as written; ``package://X`` is resolved here against the
  URDF's folder, as PyBullet does. A mesh that is not on disk (the URDF copies
  shipped without PyBullet's ``pybullet_data``) leaves its link without that
  collision shape: :func:`load_spec` reports which.
* It refuses an inertia tensor whose principal moments break the triangle
  inequality, or "balances" it (xarm6's link2 and link3: M then differs by
  6.5e-3). The tensor the URDF states is written back into the compiled model,
  so MuJoCo integrates the arm armjac models.
* Links without ``<inertial>`` get no mass (``inertiafromgeom`` off), as in armjac;
  by default MuJoCo would compute one from the collision meshes.
* It reads the URDF's joint damping into ``dof_damping`` (0.5 on the bundled
  kuka); armature and friction loss are 0. Callers set damping explicitly.
* ``mj_fullM(m, d, dst)`` in 4.x (the 3.x order was ``(m, dst, qM)``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# MuJoCo picks its OpenGL back end when imported; without a display only EGL renders.
if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
    os.environ["MUJOCO_GL"] = "egl"

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from armjac.arm import Arm  # noqa: E402
from armjac.errors import InputError, SimulationError, URDFError  # noqa: E402
from armjac.sim.urdf_file import urdf_for  # noqa: E402
from armjac.validation import check_point  # noqa: E402


@dataclass
class LoadedSpec:
    """A MuJoCo spec of an arm's URDF, ready to compile.

    Attributes
    ----------
    spec : mujoco.MjSpec
        The editable model (the engine adds tables, payloads and sensors to it).
    missing_meshes : list of str
        Mesh files the URDF names that are not on disk (their shapes are left out).
    balanced : dict
        Body name -> (principal moments (3,), orientation quaternion wxyz (4,)) the URDF
        states for inertias MuJoCo's compiler would refuse; :func:`restore_inertias`
        writes them into a compiled model.
    """

    spec: mujoco.MjSpec
    missing_meshes: list[str]
    balanced: dict[str, tuple[np.ndarray, np.ndarray]]


def _mesh_file(urdf_dir: str, name: str) -> str:
    rel = name.split("://", 1)[1] if "://" in name else name
    return os.path.normpath(os.path.join(urdf_dir, rel))


def load_spec(arm: Arm, joint_damping: float = 0.0) -> LoadedSpec:
    """The arm's URDF as a MuJoCo spec: no fused links, meshes resolved, the URDF's
    inertias kept, gravity the arm's, and every joint's damping ``joint_damping``
    with no armature or friction loss.

    Raises
    ------
    URDFError
        MuJoCo cannot read the URDF.
    """
    path = urdf_for(arm)
    try:
        spec = mujoco.MjSpec.from_file(path)
    except ValueError as exc:
        raise URDFError(f"{path}: MuJoCo cannot read it: {exc}") from None
    spec.compiler.fusestatic = False
    # The URDF's visuals are gone after parsing; geoms added later (markers, payloads)
    # collide with nothing and must not be discarded as "visual" at compile.
    spec.compiler.discardvisual = False
    spec.compiler.inertiafromgeom = mujoco.mjtInertiaFromGeom.mjINERTIAFROMGEOM_FALSE
    spec.compiler.balanceinertia = True  # compiles; restore_inertias undoes it
    spec.option.gravity = np.asarray(arm.gravity_vector, float)
    folder = os.path.dirname(os.path.abspath(path))
    missing = []
    for mesh in list(spec.meshes):
        file = _mesh_file(folder, mesh.file)
        if os.path.isfile(file):
            mesh.file = file
            continue
        missing.append(file)
        for geom in [g for g in spec.geoms if g.meshname == mesh.name]:
            spec.delete(geom)
        spec.delete(mesh)
    for joint in spec.joints:
        joint.damping = [float(joint_damping), 0.0, 0.0]
        joint.armature = 0.0
        joint.frictionloss = 0.0
    return LoadedSpec(spec, missing, _unphysical_inertias(spec))


def _unphysical_inertias(spec: mujoco.MjSpec) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Principal moments and axes of the inertias the compiler would balance."""
    out = {}
    for body in spec.bodies:
        if not body.explicitinertial or body.mass <= 0:
            continue
        ixx, iyy, izz, ixy, ixz, iyz = body.fullinertia
        if np.isnan(ixx):  # given as principal moments: the compiler checks those itself
            continue
        tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
        moments, axes = np.linalg.eigh(tensor)
        if moments[0] + moments[1] >= moments[2] * (1 - 1e-9):
            continue
        if np.linalg.det(axes) < 0:
            axes[:, 2] *= -1
        frame = np.zeros(9)
        mujoco.mju_quat2Mat(frame, np.asarray(body.iquat, float))
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, (frame.reshape(3, 3) @ axes).ravel())
        out[body.name] = (moments, quat)
    return out


def restore_inertias(model: mujoco.MjModel, balanced: dict) -> None:
    """Write the URDF's inertias (see :class:`LoadedSpec`) into a compiled ``model``."""
    for name, (moments, quat) in balanced.items():
        body = model.body(name).id
        model.body_inertia[body] = moments
        model.body_iquat[body] = quat


def compile_spec(loaded: LoadedSpec) -> mujoco.MjModel:
    """Compile ``loaded.spec`` and restore the URDF's inertias.

    Raises
    ------
    URDFError
        MuJoCo's compiler refuses the model.
    """
    try:
        model = loaded.spec.compile()
    except ValueError as exc:
        raise URDFError(f"MuJoCo cannot compile the arm: {exc}") from None
    restore_inertias(model, loaded.balanced)
    return model


def chain_addresses(model: mujoco.MjModel, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """``qpos`` and ``qvel`` addresses of the arm's chain joints, in the arm's order."""
    joints = [model.joint(name) for name in arm.joint_names]
    return (np.array([j.qposadr[0] for j in joints]), np.array([j.dofadr[0] for j in joints]))


class MujocoModel:
    """Reference kinematics/dynamics from MuJoCo for an :class:`~armjac.arm.Arm`.

    Parameters
    ----------
    arm : Arm
        Supplies the URDF, the chain joints and the end effector.
    """

    def __init__(self, arm: Arm):
        self.arm = arm
        self.dof = arm.dof
        self.home = arm.home
        self.model = compile_spec(load_spec(arm))
        self.data = mujoco.MjData(self.model)
        self._qadr, self._vadr = chain_addresses(self.model, arm)
        self._full = np.zeros((self.model.nv, self.model.nv))
        self._bias = np.zeros(self.model.nv)

    def close(self) -> None:
        """Release the model (safe to call twice); every query then raises SimulationError."""
        self.data = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self.data is None

    def __enter__(self) -> MujocoModel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_state(self, q, stage: int = 3) -> None:
        """Put the chain at ``q`` at rest (every other joint at zero) and run MuJoCo's
        pipeline as far as a query needs: 1 kinematics, 2 the Jacobian's inputs
        (``mj_comPos``), 3 everything (``mj_forward``).

        Raises
        ------
        InputError
            ``q`` has the wrong shape or non-finite values.
        SimulationError
            The model is closed.
        """
        if self.data is None:
            raise SimulationError(f"{self!r} is closed")
        q = np.asarray(q, dtype=float)
        if q.shape != (self.dof,):
            raise InputError(f"q must have shape ({self.dof},); got {q.shape}")
        if not np.isfinite(q).all():
            raise InputError("q must be finite")
        d = self.data
        d.qpos[:] = 0.0
        d.qpos[self._qadr] = q
        d.qvel[:] = 0.0
        if stage >= 3:
            mujoco.mj_forward(self.model, d)
            return
        mujoco.mj_kinematics(self.model, d)
        if stage >= 2:
            mujoco.mj_comPos(self.model, d)

    def _body(self, link: str | None) -> int:
        link = self.arm.ee_link if link is None else link
        self.arm.model.link(link)  # UnknownLinkError naming the links
        return self.model.body(link).id

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """4x4 world transform of the URDF link frame."""
        self.set_state(q, 1)
        body = self._body(link)
        t = np.eye(4)
        t[:3, :3] = self.data.xmat[body].reshape(3, 3)
        t[:3, 3] = self.data.xpos[body]
        return t

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """6xN world-frame Jacobian at ``point`` (link frame) from ``mj_jac``."""
        self.set_state(q, 2)
        body = self._body(link)
        at = self.data.xpos[body].copy()
        if point is not None:
            at += self.data.xmat[body].reshape(3, 3) @ check_point(point)
        lin, ang = np.zeros((3, self.model.nv)), np.zeros((3, self.model.nv))
        mujoco.mj_jac(self.model, self.data, lin, ang, at, body)
        return np.vstack((lin, ang))[:, self._vadr]

    def mass_matrix(self, q) -> np.ndarray:
        """Joint-space inertia M(q) (N, N) of the chain from ``mj_crb`` and ``mj_fullM``."""
        self.set_state(q, 2)
        mujoco.mj_crb(self.model, self.data)
        mujoco.mj_fullM(self.model, self.data, self._full)
        return self._full[np.ix_(self._vadr, self._vadr)].copy()

    def gravity(self, q) -> np.ndarray:
        """MuJoCo's bias forces at zero velocity (``mj_rne`` without acceleration): the
        torques holding the arm against gravity."""
        self.set_state(q, 2)
        mujoco.mj_rne(self.model, self.data, 0, self._bias)
        return self._bias[self._vadr].copy()

    def __repr__(self) -> str:
        return f"MujocoModel({self.arm.name!r})"
