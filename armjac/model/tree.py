"""Immutable kinematic tree: links, joints and inertials as parsed from a URDF.

Nothing here knows about sympy or numerics beyond plain floats; the tree is the
single source every later stage (derivation, codegen, simulation) reads from.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

from armjac.errors import UnknownLinkError, URDFError, URDFWarning

Vec3 = tuple[float, float, float]

STANDARD_GRAVITY = (0.0, 0.0, -9.81)  # m/s^2, world frame, z up
MOVABLE_TYPES = ("revolute", "continuous", "prismatic")
JOINT_TYPES = (*MOVABLE_TYPES, "fixed")


@dataclass(frozen=True)
class Inertial:
    """Mass properties of one link.

    ``inertia`` holds (ixx, ixy, ixz, iyy, iyz, izz) about the centre of mass,
    in the inertial frame given by ``xyz``/``rpy`` relative to the link frame.
    """

    mass: float
    xyz: Vec3 = (0.0, 0.0, 0.0)
    rpy: Vec3 = (0.0, 0.0, 0.0)
    inertia: tuple[float, float, float, float, float, float] = (0.0,) * 6


INERTIA_RTOL = 1e-6  # relative slack of the physical-tensor tests (URDF decimals)


def inertia_problem(tensor: tuple[float, ...]) -> str | None:
    """What makes an inertia tensor (ixx, ixy, ixz, iyy, iyz, izz) one no rigid body
    has, or None: a negative moment, an indefinite tensor, or principal moments that
    break the triangle inequality."""
    ixx, ixy, ixz, iyy, iyz, izz = tensor
    mat = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
    moments = np.linalg.eigvalsh(mat)  # ascending principal moments
    tol = INERTIA_RTOL * float(np.abs(moments).max())
    if min(ixx, iyy, izz) < -tol:
        return f"a negative moment (ixx, iyy, izz = {ixx:g}, {iyy:g}, {izz:g})"
    if moments[0] < -tol:
        return "an indefinite tensor (principal moments {:g}, {:g}, {:g})".format(*moments)
    if moments[0] + moments[1] < moments[2] - tol:
        return (
            "principal moments {:g}, {:g}, {:g} that break the triangle inequality "
            "(the two smaller must sum to at least the largest)".format(*moments)
        )
    return None


@dataclass(frozen=True)
class Link:
    """A URDF link: its name and mass properties (None when the URDF gives none)."""

    name: str
    inertial: Inertial | None = None


@dataclass(frozen=True)
class Joint:
    """A URDF joint. ``axis`` is a unit vector in the joint frame.

    ``mimic`` is the URDF's ``<mimic>`` as (master joint, multiplier, offset),
    or None. It is recorded, not enforced (see :meth:`RobotModel.warn_mimic`).
    """

    name: str
    type: str
    parent: str
    child: str
    xyz: Vec3 = (0.0, 0.0, 0.0)
    rpy: Vec3 = (0.0, 0.0, 0.0)
    axis: Vec3 = (1.0, 0.0, 0.0)
    lower: float = float("-inf")
    upper: float = float("inf")
    effort: float = float("inf")
    velocity: float = float("inf")
    damping: float = 0.0
    mimic: tuple[str, float, float] | None = None

    @property
    def movable(self) -> bool:
        """Whether the joint moves (revolute, continuous or prismatic)."""
        return self.type in MOVABLE_TYPES


@dataclass(frozen=True)
class RobotModel:
    """A robot as a tree of links joined by joints.

    Construction validates the tree: every joint's parent and child exist, every
    link has at most one parent joint, and exactly one link (the root) has none.
    """

    name: str
    links: tuple[Link, ...]
    joints: tuple[Joint, ...]
    source: str = field(default="<memory>", compare=False)

    def __post_init__(self) -> None:
        names = [lk.name for lk in self.links]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise URDFError(f"{self.source}: duplicate link names {dup}")
        jnames = [j.name for j in self.joints]
        if len(set(jnames)) != len(jnames):
            dup = sorted({n for n in jnames if jnames.count(n) > 1})
            raise URDFError(f"{self.source}: duplicate joint names {dup}")
        known = set(names)
        parent_of: dict[str, str] = {}
        for j in self.joints:
            if j.type not in JOINT_TYPES:
                raise URDFError(
                    f"{self.source}: joint {j.name!r} has unsupported type {j.type!r}; "
                    f"armjac handles {', '.join(JOINT_TYPES)}"
                )
            for role, lk in (("parent", j.parent), ("child", j.child)):
                if lk not in known:
                    raise URDFError(
                        f"{self.source}: joint {j.name!r} names {role} link {lk!r}, "
                        "which is not defined"
                    )
            if j.child in parent_of:
                raise URDFError(
                    f"{self.source}: link {j.child!r} has two parent joints "
                    f"({parent_of[j.child]!r} and {j.name!r}); a closed loop is not a tree"
                )
            parent_of[j.child] = j.name
        roots = [n for n in names if n not in parent_of]
        if len(roots) != 1:
            raise URDFError(
                f"{self.source}: a robot tree needs exactly one root link, found "
                f"{roots or 'none (the joints form a closed loop)'}"
            )
        # A cycle that does not include the root leaves links unreachable.
        reach = {roots[0]}
        frontier = [roots[0]]
        while frontier:
            cur = frontier.pop()
            for j in self.joints:
                if j.parent == cur and j.child not in reach:
                    reach.add(j.child)
                    frontier.append(j.child)
        if reach != known:
            raise URDFError(
                f"{self.source}: links {sorted(known - reach)} are not connected to the "
                f"root {roots[0]!r}; the joints form a closed loop"
            )

    # -- lookup -----------------------------------------------------------------
    @cached_property
    def root(self) -> str:
        """Name of the root link (the one that is no joint's child)."""
        children = {j.child for j in self.joints}
        return next(lk.name for lk in self.links if lk.name not in children)

    @cached_property
    def _links(self) -> dict[str, Link]:
        return {lk.name: lk for lk in self.links}

    @cached_property
    def _parent_joint(self) -> dict[str, Joint]:
        return {j.child: j for j in self.joints}

    @property
    def link_names(self) -> tuple[str, ...]:
        """Link names, in URDF order."""
        return tuple(lk.name for lk in self.links)

    def link(self, name: str) -> Link:
        """The link ``name``; :class:`~armjac.errors.UnknownLinkError` if there is none."""
        try:
            return self._links[name]
        except KeyError:
            raise UnknownLinkError(
                f"robot {self.name!r} has no link {name!r}; links are {list(self.link_names)}"
            ) from None

    def parent_joint(self, link: str) -> Joint | None:
        """The joint whose child is ``link`` (None for the root)."""
        self.link(link)
        return self._parent_joint.get(link)

    def path_to(self, link: str) -> tuple[Joint, ...]:
        """Joints from the root down to ``link``, in order."""
        path = []
        j = self.parent_joint(link)
        while j is not None:
            path.append(j)
            j = self._parent_joint.get(j.parent)
        return tuple(reversed(path))

    def children(self, link: str) -> tuple[Joint, ...]:
        """Joints whose parent is ``link``."""
        return tuple(j for j in self.joints if j.parent == link)

    def leaves(self) -> tuple[str, ...]:
        """Names of the links that are no joint's parent."""
        parents = {j.parent for j in self.joints}
        return tuple(n for n in self.link_names if n not in parents)

    def warn_mimic(self, chain: Iterable[str]) -> None:
        """Warn (:class:`~armjac.errors.URDFWarning`) where ``<mimic>`` touches ``chain``.

        armjac does not couple mimic joints: a mimic joint on the chain is an
        independent joint with its own entry in q, and a joint that mimics one
        on the chain is held at zero rather than following it. A mimic pair
        off the chain (a gripper's fingers beyond the end effector) changes
        nothing armjac computes and is not reported.
        """
        on_chain = set(chain)
        for j in self.joints:
            if j.mimic is None:
                continue
            master = j.mimic[0]
            if j.name in on_chain:
                msg = (
                    f"joint {j.name!r} mimics {master!r}, but armjac treats it as an "
                    "independent joint with its own entry in q; keep it equal to "
                    f"{j.mimic[1]:g} * q[{master}] + {j.mimic[2]:g} yourself"
                )
            elif master in on_chain:
                msg = (
                    f"joint {j.name!r} mimics {master!r} on the chain, but armjac holds it "
                    "at zero instead of following it (links below it are placed accordingly)"
                )
            else:
                continue
            warnings.warn(f"{self.source}: {msg}", URDFWarning, stacklevel=3)

    def fingerprint(self) -> str:
        """A hash of everything that determines the robot's kinematics and dynamics."""
        # repr of tuples of floats is exact and fast (dataclasses.asdict deep-copies:
        # a measurable part of a warm load). <mimic> is not enforced, so it does not
        # change what is computed and is left out.
        parts = [repr(self.name)]
        for lk in self.links:
            inert = lk.inertial
            parts.append(repr((lk.name, None if inert is None else _values(inert))))
        parts += [repr(_values(j, skip="mimic")) for j in self.joints]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _values(obj, skip: str = "") -> tuple:
    """A dataclass's field values, shallow (they are numbers, strings and tuples)."""
    return tuple(getattr(obj, f.name) for f in fields(obj) if f.name != skip)
