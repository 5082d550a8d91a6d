"""URDF reader: XML text in, :class:`~armjac.model.tree.RobotModel` out.

Only what kinematics and dynamics need is read (links, joints, inertials);
visual and collision geometry are left to the simulator.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET

from armjac.errors import URDFError
from armjac.model.tree import Inertial, Joint, Link, RobotModel


def load_urdf(path: str | os.PathLike) -> RobotModel:
    """Parse the URDF file at ``path``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise URDFError(f"URDF file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return parse_urdf(text, source=path)


def parse_urdf(text: str, source: str = "<string>") -> RobotModel:
    """Parse URDF XML ``text``; ``source`` names it in error messages."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise URDFError(f"{source}: not well-formed XML ({exc})") from None
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
    if len(vals) != n or not all(math.isfinite(v) for v in vals):
        raise URDFError(f"{where}: expected {n} finite numbers, got {text!r}")
    return vals


def _origin(el: ET.Element | None, where: str) -> tuple[tuple, tuple]:
    if el is None:
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
    xyz = _floats(el.get("xyz"), 3, f"{where} <origin xyz>", (0.0, 0.0, 0.0))
    rpy = _floats(el.get("rpy"), 3, f"{where} <origin rpy>", (0.0, 0.0, 0.0))
    return xyz, rpy


def _attr_float(el: ET.Element, key: str, where: str, default: float | None = None) -> float:
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
    mass = _attr_float(mass_el, "value", f"{where} <mass>")
    if mass < 0:
        raise URDFError(f"{where}: negative mass {mass}")
    tensor_el = inert.find("inertia")
    keys = ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")
    if tensor_el is None:
        tensor = (0.0,) * 6
    else:
        tensor = tuple(_attr_float(tensor_el, k, f"{where} <inertia>", 0.0) for k in keys)
    return Link(name=name, inertial=Inertial(mass=mass, xyz=xyz, rpy=rpy, inertia=tensor))


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
    if jtype in ("revolute", "prismatic") and lim is None:
        raise URDFError(f"{where}: a {jtype} joint needs a <limit> element")
    if lower > upper:
        raise URDFError(f"{where}: lower limit {lower} exceeds upper limit {upper}")
    if effort <= 0:
        # Many URDFs write effort="0" to mean "not given".
        effort = float("inf")
    dyn = el.find("dynamics")
    damping = 0.0 if dyn is None else _attr_float(dyn, "damping", f"{where} <dynamics>", 0.0)
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
    )
