"""Adjustments of a robot model that its compiled kernels take at run time.

A drawn "real" arm, a calibrated arm and an arm carrying a tool differ from
their URDF in a few numbers: each chain joint's origin moves, and a load
hangs from the end-effector link. Compiling each of them anew costs a second
of compiler time per arm. An :class:`Adjustment` holds exactly those numbers;
:meth:`armjac.arm.Arm.adjusted` evaluates one family of kernels, derived once
per URDF with the numbers as inputs, so a thousand calibrated arms cost one
compilation.

The numbers, in the order the kernels read them after the point offset:

- ``origin_offsets`` (N, 3), m: added to the ``xyz`` of each chain joint's
  origin (in its parent link's frame), in the arm's joint order;
- ``load`` (10,): the load's inertial parameters in the end-effector link
  frame, all linear in the masses so two loads add: mass ``m``, first moment
  ``m c`` (3) and the rotational inertia about the link origin
  ``I_c + m (|c|^2 1 - c c^T)`` as (xx, xy, xz, yy, yz, zz).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from armjac.errors import InputError
from armjac.model.tree import Inertial, Joint, Link, RobotModel, inertia_problem
from armjac.symbolic.transforms import rpy_matrix_numeric
from armjac.validation import as_float_array, as_vector, check_finite, excerpt

LOAD_LINK = "adjustment_load"
LOAD_SIZE = 10
_SYM = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def load_link_name(model: RobotModel) -> str:
    """The name the load link gets in ``model``: ``adjustment_load``, numbered when a
    model armjac wrote already has one."""
    taken = set(model.link_names) | {j.name for j in model.joints}
    name, k = LOAD_LINK, 1
    while name in taken or f"{name}_joint" in taken:
        k += 1
        name = f"{LOAD_LINK}_{k}"
    return name


def parameter_count(dof: int) -> int:
    """How many adjustment numbers a ``dof``-joint arm's kernels take."""
    return 3 * dof + LOAD_SIZE


def load_parameters(inertial: Inertial | None) -> np.ndarray:
    """The 10 linear inertial parameters (see the module doc) of a URDF inertial."""
    if inertial is None:
        return np.zeros(LOAD_SIZE)
    rot = rpy_matrix_numeric(inertial.rpy)
    ixx, ixy, ixz, iyy, iyz, izz = inertial.inertia
    tensor = rot @ np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]]) @ rot.T
    m, c = float(inertial.mass), np.asarray(inertial.xyz, float)
    about_origin = tensor + m * (c @ c * np.eye(3) - np.outer(c, c))
    return np.array([m, *(m * c), *(about_origin[i, j] for i, j in _SYM)])


def load_inertial(params: np.ndarray) -> Inertial:
    """The URDF inertial (about its centre of mass) of 10 linear parameters."""
    m, h = float(params[0]), np.asarray(params[1:4], float)
    c = h / m if m > 0 else np.zeros(3)
    tensor = np.zeros((3, 3))
    for k, (i, j) in enumerate(_SYM):
        tensor[i, j] = tensor[j, i] = params[4 + k]
    about_com = tensor - m * (c @ c * np.eye(3) - np.outer(c, c))
    # the shift cancels to rounding noise for a point mass: that noise is no moment
    about_com[np.abs(about_com) <= 1e-12 * np.abs(tensor).max(initial=0.0)] = 0.0
    return Inertial(
        mass=m,
        xyz=tuple(float(v) for v in c),
        inertia=tuple(float(about_com[i, j]) for i, j in _SYM),
    )


@dataclasses.dataclass(frozen=True)
class Adjustment:
    """Joint-origin offsets and an end-effector load (see the module doc).

    Parameters
    ----------
    origin_offsets : (N, 3) array, optional
        Offsets of the chain joints' origins, m (default zero).
    load : Inertial or (10,) array, optional
        What hangs from the end-effector link: a URDF inertial (in the link
        frame) or its linear parameters (default nothing).
    source : str, optional
        The URDF file of the adjusted model, where one is written (a simulator
        loads the arm from it).
    """

    origin_offsets: np.ndarray | None = None
    load: Inertial | np.ndarray | None = None
    source: str | None = None

    @classmethod
    def of_vector(cls, numbers: np.ndarray, dof: int, source: str | None = None) -> Adjustment:
        """The adjustment whose :meth:`vector` is ``numbers`` (``3 dof + 10``)."""
        numbers = as_vector(numbers, parameter_count(dof), "adjustment")
        return cls(numbers[: 3 * dof].reshape(dof, 3), numbers[3 * dof :], source)

    def vector(self, dof: int) -> np.ndarray:
        """The ``3 dof + 10`` numbers the kernels read, checked."""
        off = np.zeros((dof, 3)) if self.origin_offsets is None else self.origin_offsets
        off = as_float_array(off, "origin_offsets")
        if off.shape != (dof, 3):
            raise InputError(f"origin_offsets must have shape {(dof, 3)}; got {off.shape}")
        check_finite(off, "origin_offsets")
        load = self.load
        if isinstance(load, Inertial):
            _check_inertial(load)
        load = load_parameters(load) if load is None or isinstance(load, Inertial) else load
        load = as_vector(load, LOAD_SIZE, "load")
        _check_load(load)
        return np.concatenate([off.ravel(), load])  # a copy: the caller's arrays may change


def _check_inertial(inertial: Inertial) -> None:
    """Every field of a load's URDF inertial: finite real numbers of the right count."""
    for field, size in (("mass", 1), ("xyz", 3), ("rpy", 3), ("inertia", 6)):
        value = getattr(inertial, field)
        as_vector([value] if field == "mass" else value, size, f"load {field}")


def _check_load(load: np.ndarray) -> None:
    """Refuse a load no body can be: the kernels would compute it, but its URDF (what a
    simulator loads) could not say it, so the two would silently disagree."""
    if load[0] < 0:
        raise InputError(f"load mass must be >= 0; got {load[0]!r}")
    if load[0] == 0 and np.any(load[1:4] != 0):
        raise InputError(f"a load without mass has no first moment; got {excerpt(load[1:4])}")
    with np.errstate(all="ignore"):
        inertial = load_inertial(load)
    if not np.isfinite([*inertial.xyz, *inertial.inertia]).all():
        raise InputError(
            "load: its centre of mass or inertia about it exceeds double precision "
            f"(first moment {excerpt(load[1:4])} with mass {load[0]!r})"
        )
    problem = inertia_problem(inertial.inertia)
    if problem:
        raise InputError(f"load: non-physical inertia about its centre of mass, {problem}")


def adjusted_model(
    model: RobotModel,
    joint_names: Sequence[str],
    ee_link: str,
    params: np.ndarray,
    source: str | None = None,
) -> RobotModel:
    """The URDF tree the adjusted kernels compute: each chain joint's origin moved,
    and a load link fixed to ``ee_link`` when the load has mass or inertia."""
    n = len(joint_names)
    offsets, load = params[: 3 * n].reshape(n, 3), params[3 * n :]
    index = {name: i for i, name in enumerate(joint_names)}
    joints = []
    for j in model.joints:
        if j.name in index:
            xyz = np.asarray(j.xyz) + offsets[index[j.name]]
            j = dataclasses.replace(j, xyz=tuple(float(v) for v in xyz))
        joints.append(j)
    links = list(model.links)
    if np.any(load != 0):
        name = load_link_name(model)
        links.append(Link(name, load_inertial(load)))
        joints.append(Joint(f"{name}_joint", "fixed", ee_link, name))
    name = f"{model.name}_adjusted"
    return RobotModel(name, tuple(links), tuple(joints), source=source or f"<{name}>")
