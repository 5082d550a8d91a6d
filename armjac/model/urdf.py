"""URDF reader: XML text in, :class:`~armjac.model.tree.RobotModel` out.

Only what kinematics and dynamics need is read (links, joints, inertials);
visual and collision geometry are left to the simulator. Unknown elements and
attributes are ignored, namespaced ones included, even when their prefix is
never declared (``drake:acceleration``), as urdfdom and Pinocchio do.

Refused with a :class:`~armjac.errors.URDFError` naming the file and element:
malformed XML, missing or non-finite numbers, negative mass, effort, velocity
or damping, duplicate link or joint names, and anything that is not a tree.
Loaded with a :class:`~armjac.errors.URDFWarning`: inertia tensors no rigid
body can have (negative or indefinite, or principal moments breaking the
triangle inequality). armjac uses such a tensor as written, where PyBullet
zeroes it; the mass matrices of the two then differ. Each such warning is
shown once per process, however often the file is loaded. ``<mimic>`` is recorded
but not enforced: every movable joint is independent (see
:meth:`~armjac.model.tree.RobotModel.warn_mimic`).
"""

from __future__ import annotations

import math
import os
import warnings
import xml.etree.ElementTree as ET
from xml.parsers import expat

from armjac.errors import URDFError, URDFWarning
from armjac.model.tree import Inertial, Joint, Link, RobotModel, inertia_problem


def load_urdf(path: str | os.PathLike) -> RobotModel:
    """Parse the URDF file at ``path``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise URDFError(f"URDF file not found: {path}")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise URDFError(f"cannot read URDF file {path}: {exc}") from None
    return parse_urdf(data, source=path)


def _parse_xml(text: str | bytes, source: str) -> ET.Element:
    """The element tree of ``text``, without XML namespace processing.

    A prefixed name (``xacro:macro``, ``drake:acceleration``) stays a plain
    name, so an undeclared prefix is not an error, and such elements and
    attributes are simply never looked up. Bytes are decoded as their XML
    declaration says (UTF-8 by default).
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
        return builder.close()
    except (expat.ExpatError, AssertionError) as exc:  # TreeBuilder asserts on no root
        raise URDFError(f"{source}: not well-formed XML ({exc or 'no root element'})") from None


def parse_urdf(text: str | bytes, source: str = "<string>") -> RobotModel:
    """Parse URDF XML ``text``; ``source`` names it in error messages."""
    root = _parse_xml(text, source)
    if root.tag != "robot":
        raise URDFError(f"{source}: root element is <{root.tag}>, expected <robot>")
    name = root.get("name", "robot")
    links = tuple(_link(el, source) for el in root.findall("link"))
    joints = tuple(_joint(el, source) for el in root.findall("joint"))
    if not links:
        raise URDFError(f"{source}: no <link> elements")
    return RobotModel(name=name, links=links, joints=joints, source=source)


def _floats(text: str | None, n: int, where: str, default: tuple[float, ...]) -> tuple:
    if text is None:
        return default
    parts = text.split()
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise URDFError(f"{where}: expected {n} numbers, got {text!r}") from None
    if len(vals) != n or not all(map(math.isfinite, vals)):
        raise URDFError(f"{where}: expected {n} finite numbers, got {text!r}")
    return vals


def _origin(el: ET.Element | None, where: str) -> tuple[tuple, tuple]:
    if el is None:
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
    xyz = _floats(el.get("xyz"), 3, f"{where} <origin xyz>", (0.0, 0.0, 0.0))
    rpy = _floats(el.get("rpy"), 3, f"{where} <origin rpy>", (0.0, 0.0, 0.0))
    return xyz, rpy


def _attr_float(
    el: ET.Element,
    key: str,
    where: str,
    default: float | None = None,
    *,
    finite: bool = False,
    minimum: float | None = None,
) -> float:
    """Attribute ``key`` as a float: never NaN; finite and ``>= minimum`` if asked."""
    raw = el.get(key)
    if raw is None:
        if default is None:
            raise URDFError(f"{where}: missing attribute {key!r}")
        return default
    try:
        val = float(raw)
    except ValueError:
        raise URDFError(f"{where}: attribute {key}={raw!r} is not a number") from None
    if math.isnan(val):
        raise URDFError(f"{where}: attribute {key} is NaN")
    if finite and not math.isfinite(val):
        raise URDFError(f"{where}: attribute {key}={raw!r} must be finite")
    if minimum is not None and val < minimum:
        raise URDFError(f"{where}: attribute {key}={raw!r} must not be negative")
    return val


def _link(el: ET.Element, source: str) -> Link:
    name = el.get("name")
    if not name:
        raise URDFError(f"{source}: <link> without a name")
    where = f"{source}: link {name!r}"
    inert = el.find("inertial")
    if inert is None:
        return Link(name=name)
    xyz, rpy = _origin(inert.find("origin"), f"{where} <inertial>")
    mass_el = inert.find("mass")
    if mass_el is None:
        raise URDFError(f"{where}: <inertial> has no <mass>")
    mass = _attr_float(mass_el, "value", f"{where} <mass>", finite=True)
    if mass < 0:
        raise URDFError(f"{where}: negative mass {mass}")
    tensor_el = inert.find("inertia")
    keys = ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")
    if tensor_el is None:
        tensor = (0.0,) * 6
    else:
        tensor = tuple(
            _attr_float(tensor_el, k, f"{where} <inertia>", 0.0, finite=True) for k in keys
        )
        _check_inertia(tensor, f"{where} <inertia>")
    return Link(name=name, inertial=Inertial(mass=mass, xyz=xyz, rpy=rpy, inertia=tensor))


# Inertia warnings already given (the message names file and link). The warnings
# module's own "once per location" forgets whenever any filter changes, which
# importing matplotlib or pybullet does, so a bundled arm would warn on each load.
_SHOWN: set[str] = set()


def _check_inertia(tensor: tuple[float, ...], where: str) -> None:
    """Warn about a tensor no rigid body has; armjac still uses it as written."""
    problem = inertia_problem(tensor)
    if problem:
        msg = (
            f"{where}: non-physical inertia, {problem}; armjac uses it as written "
            "(PyBullet zeroes such a tensor, so their mass matrices differ)"
        )
        if msg not in _SHOWN:
            warnings.warn(msg, URDFWarning, stacklevel=5)
            _SHOWN.add(msg)  # after: a filter turning it into an error raises every time


def _joint(el: ET.Element, source: str) -> Joint:
    name = el.get("name")
    if not name:
        raise URDFError(f"{source}: <joint> without a name")
    where = f"{source}: joint {name!r}"
    jtype = el.get("type")
    if jtype is None:
        raise URDFError(f"{where}: missing attribute 'type'")
    parent_el, child_el = el.find("parent"), el.find("child")
    if parent_el is None or parent_el.get("link") is None:
        raise URDFError(f"{where}: missing <parent link=...>")
    if child_el is None or child_el.get("link") is None:
        raise URDFError(f"{where}: missing <child link=...>")
    xyz, rpy = _origin(el.find("origin"), where)
    axis_el = el.find("axis")
    axis = _floats(
        None if axis_el is None else axis_el.get("xyz"), 3, f"{where} <axis>", (1.0, 0.0, 0.0)
    )
    norm = math.sqrt(sum(a * a for a in axis))
    if jtype != "fixed" and norm < 1e-12:
        raise URDFError(f"{where}: <axis> has zero length")
    if norm > 0:
        axis = tuple(a / norm for a in axis)
    lower, upper = float("-inf"), float("inf")
    effort = velocity = float("inf")
    lim = el.find("limit")
    if lim is not None:
        effort = _attr_float(lim, "effort", f"{where} <limit>", float("inf"))
        velocity = _attr_float(lim, "velocity", f"{where} <limit>", float("inf"))
        if jtype != "continuous":
            lower = _attr_float(lim, "lower", f"{where} <limit>", 0.0)
            upper = _attr_float(lim, "upper", f"{where} <limit>", 0.0)
    if effort < 0 or velocity < 0:
        which = "effort" if effort < 0 else "velocity"
        raise URDFError(
            f"{where} <limit>: negative {which} limit {min(effort, velocity):g}; "
            "a limit is a magnitude"
        )
    if jtype in ("revolute", "prismatic") and lim is None:
        raise URDFError(f"{where}: a {jtype} joint needs a <limit> element")
    if lower > upper:
        raise URDFError(f"{where}: lower limit {lower} exceeds upper limit {upper}")
    if effort <= 0:
        # Many URDFs write effort="0" to mean "not given".
        effort = float("inf")
    dyn = el.find("dynamics")
    damping = 0.0
    if dyn is not None:
        damping = _attr_float(dyn, "damping", f"{where} <dynamics>", 0.0, finite=True, minimum=0)
    return Joint(
        name=name,
        type=jtype,
        parent=parent_el.get("link"),
        child=child_el.get("link"),
        xyz=xyz,
        rpy=rpy,
        axis=axis,
        lower=lower,
        upper=upper,
        effort=effort,
        velocity=velocity,
        damping=damping,
        mimic=_mimic(el.find("mimic"), where),
    )


def _mimic(el: ET.Element | None, where: str) -> tuple[str, float, float] | None:
    """``<mimic joint= multiplier= offset=>`` as (joint, multiplier, offset)."""
    if el is None:
        return None
    master = el.get("joint")
    if not master:
        raise URDFError(f"{where} <mimic>: missing attribute 'joint'")
    mult = _attr_float(el, "multiplier", f"{where} <mimic>", 1.0, finite=True)
    offset = _attr_float(el, "offset", f"{where} <mimic>", 0.0, finite=True)
    return master, mult, offset
