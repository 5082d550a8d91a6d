"""URDF writer: :class:`~armjac.model.tree.RobotModel` out to XML text.

The inverse of :mod:`armjac.model.urdf` for what armjac reads (links, joints,
inertials): ``parse_urdf(urdf_text(model))`` gives back an equal model. Floats
are written with ``repr``, which round-trips exactly, so a model built in code
(a perturbed or calibrated arm) can be saved, simulated by PyBullet and loaded
again bit for bit. Visual and collision geometry are not part of the model and
are not written.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

from armjac.model.tree import Inertial, Joint, Link, RobotModel


def _nums(values) -> str:
    return " ".join(repr(float(v)) for v in values)


def _inertial(inert: Inertial) -> list[str]:
    keys = ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")
    tensor = " ".join(f'{k}="{float(v)!r}"' for k, v in zip(keys, inert.inertia, strict=True))
    return [
        "    <inertial>",
        f'      <origin xyz="{_nums(inert.xyz)}" rpy="{_nums(inert.rpy)}"/>',
        f'      <mass value="{float(inert.mass)!r}"/>',
        f"      <inertia {tensor}/>",
        "    </inertial>",
    ]


def _link(link: Link) -> list[str]:
    if link.inertial is None:
        return [f"  <link name={quoteattr(link.name)}/>"]
    return [f"  <link name={quoteattr(link.name)}>", *_inertial(link.inertial), "  </link>"]


def _joint(j: Joint) -> list[str]:
    out = [
        f"  <joint name={quoteattr(j.name)} type={quoteattr(j.type)}>",
        f"    <parent link={quoteattr(j.parent)}/>",
        f"    <child link={quoteattr(j.child)}/>",
        f'    <origin xyz="{_nums(j.xyz)}" rpy="{_nums(j.rpy)}"/>',
        f'    <axis xyz="{_nums(j.axis)}"/>',  # a fixed joint's too: it is read back as given
    ]
    if j.mimic is not None:
        joint, mult, offset = j.mimic
        out.append(f'    <mimic joint={quoteattr(joint)} multiplier="{float(mult)!r}" '
                   f'offset="{float(offset)!r}"/>')  # fmt: skip
    if j.type != "fixed":
        limit = []
        if j.type != "continuous":
            limit += [f'lower="{float(j.lower)!r}"', f'upper="{float(j.upper)!r}"']
        # "not given" is read back as infinity; URDFs write it as 0 / absent
        limit.append(f'effort="{float(j.effort)!r}"' if math.isfinite(j.effort) else 'effort="0"')
        if math.isfinite(j.velocity):
            limit.append(f'velocity="{float(j.velocity)!r}"')
        if j.type != "continuous" or len(limit) > 1:
            out.append(f"    <limit {' '.join(limit)}/>")
        if j.damping:
            out.append(f'    <dynamics damping="{float(j.damping)!r}"/>')
    out.append("  </joint>")
    return out


def urdf_text(model: RobotModel) -> str:
    """The URDF XML of ``model`` (links, joints and inertials)."""
    lines = ['<?xml version="1.0"?>', f"<robot name={quoteattr(model.name)}>"]
    for link in model.links:
        lines += _link(link)
    for joint in model.joints:
        lines += _joint(joint)
    lines.append("</robot>")
    return "\n".join(lines) + "\n"


def write_urdf(model: RobotModel, path: str | os.PathLike) -> Path:
    """Write ``model`` as a URDF file at ``path`` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(urdf_text(model), encoding="utf-8")
    return path
