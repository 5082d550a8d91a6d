"""URDFs no real robot description has: refused, warned about, or (namespaced extras) accepted."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import armjac
from armjac.errors import URDFError, URDFWarning
from armjac.model import urdf
from armjac.model.urdf import load_urdf, parse_urdf


@pytest.fixture(autouse=True)
def _fresh_inertia_warnings(monkeypatch):
    """Each test sees inertia warnings as a fresh process does (they are shown once)."""
    monkeypatch.setattr(urdf, "_SHOWN", set())


INERTIA = '<inertia ixx="{}" ixy="{}" ixz="{}" iyy="{}" iyz="{}" izz="{}"/>'


def _link(name: str, mass="1.0", inertia=(0.01, 0, 0, 0.01, 0, 0.01)) -> str:
    return (
        f'<link name="{name}"><inertial><mass value="{mass}"/>'
        f"{INERTIA.format(*inertia)}</inertial></link>"
    )


def _joint(name, parent, child, jtype="revolute", limit='lower="-1" upper="1"', extra=""):
    lim = f"<limit {limit}/>" if limit is not None else ""
    return (
        f'<joint name="{name}" type="{jtype}"><parent link="{parent}"/><child link="{child}"/>'
        f'<origin xyz="0 0 0.5"/><axis xyz="0 1 0"/>{lim}{extra}</joint>'
    )


def _robot(*parts, attrs="") -> str:
    return f'<robot name="t"{attrs}>{"".join(parts)}</robot>'


def _chain(*extra_joints, links=("a", "b", "c")) -> str:
    parts = [_link(n) for n in links]
    parts += [_joint("j1", "a", "b"), _joint("j2", "b", "c")]
    return _robot(*parts, *extra_joints)


# -- refused ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "match"),
    [
        (_robot(_link("a"), _link("b"), _link("c"), _joint("j", "a", "b"), _joint("j", "b", "c")),
         r"duplicate joint names \['j'\]"),
        (_robot(_link("a"), _link("a")), r"duplicate link names \['a'\]"),
        (_robot(_link("a"), _link("b"), _joint("j", "a", "b", limit='lower="-1" upper="1" '
                                                'effort="-5"')),
         r"joint 'j' <limit>: negative effort limit -5"),
        (_robot(_link("a"), _link("b"), _joint("j", "a", "b", limit='lower="-1" upper="1" '
                                                'velocity="-0.1"')),
         r"joint 'j' <limit>: negative velocity limit -0.1"),
        (_robot(_link("a", mass="inf")), r"link 'a' <mass>: attribute value='inf' must be finite"),
        (_robot(_link("a", inertia=(0.01, 0, 0, "inf", 0, 0.01))),
         r"link 'a' <inertia>: attribute iyy='inf' must be finite"),
        (_robot(_link("a", inertia=(0.01, "-inf", 0, 0.01, 0, 0.01))),
         r"link 'a' <inertia>: attribute ixy='-inf' must be finite"),
        (_robot(_link("a"), _link("b"), _joint("j", "a", "b", extra='<dynamics damping="-1"/>')),
         r"joint 'j' <dynamics>: attribute damping='-1' must not be negative"),
        (_robot(_link("a"), _link("b"), _joint("j", "a", "b", extra='<dynamics damping="inf"/>')),
         r"joint 'j' <dynamics>: attribute damping='inf' must be finite"),
        (_robot(_link("a"), _link("b"), _joint("j", "a", "b", extra="<mimic/>")),
         r"joint 'j' <mimic>: missing attribute 'joint'"),
        ("\x00\x01 not xml", "not well-formed XML"),
        ("", "not well-formed XML"),
    ],
)  # fmt: skip
def test_refused_with_file_and_element(text, match):
    with pytest.raises(URDFError, match=match) as exc:
        parse_urdf(text, source="bad.urdf")
    assert str(exc.value).startswith("bad.urdf")


def test_refusal_names_the_file_path(tmp_path):
    path = tmp_path / "dup.urdf"
    path.write_text(_robot(_link("a"), _link("b"), _link("c"),
                           _joint("j", "a", "b"), _joint("j", "b", "c")))  # fmt: skip
    with pytest.raises(URDFError, match=rf"{path}: duplicate joint names"):
        armjac.load_arm(path)


def test_binary_garbage_file(tmp_path):
    path = tmp_path / "garbage.urdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\xfd" * 10)
    with pytest.raises(URDFError, match=rf"{path}: not well-formed XML"):
        load_urdf(path)


def test_zero_effort_still_means_unlimited():
    limit = 'lower="-1" upper="1" effort="0"'
    model = parse_urdf(_robot(_link("a"), _link("b"), _joint("j", "a", "b", limit=limit)))
    assert model.joints[0].effort == float("inf")


# -- non-physical inertias: warned, and exactly where PyBullet zeroes them ------------------
PHYSICAL = {
    "diagonal": (0.01, 0, 0, 0.02, 0, 0.025),
    "rotated": (0.02, 0.004, -0.002, 0.018, 0.003, 0.015),
    "thin rod": (0.1, 0, 0, 0.1, 0, 1e-9),
    "point mass": (0, 0, 0, 0, 0, 0),
}
NON_PHYSICAL = {
    "negative moment": ((-0.01, 0, 0, 0.02, 0, 0.02), "a negative moment"),
    "indefinite": ((0.01, 0.05, 0, 0.01, 0, 0.01), "an indefinite tensor"),
    "triangle": ((0.01, 0, 0, 0.01, 0, 0.05), "break the triangle inequality"),
    "rotated triangle": ((0.03, 0.001, 0, 0.005, 0, 0.005), "break the triangle inequality"),
}


@pytest.mark.parametrize("name", sorted(PHYSICAL))
def test_physical_inertia_loads_silently(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_urdf(_robot(_link("a", inertia=PHYSICAL[name])))


@pytest.mark.parametrize("name", sorted(NON_PHYSICAL))
def test_non_physical_inertia_warns_and_is_kept(name):
    tensor, match = NON_PHYSICAL[name]
    with pytest.warns(URDFWarning, match=rf"w.urdf: link 'a' <inertia>: non-physical.*{match}"):
        model = parse_urdf(_robot(_link("a", inertia=tensor)), source="w.urdf")
    assert model.links[0].inertial.inertia == tuple(float(v) for v in tensor)


@pytest.mark.parametrize("name", sorted(PHYSICAL) + sorted(NON_PHYSICAL))
def test_warning_agrees_with_pybullet(tmp_path, name):
    """PyBullet zeroes ("Bad inertia tensor properties") exactly the tensors armjac warns about."""
    p = pytest.importorskip("pybullet")
    tensor = PHYSICAL[name] if name in PHYSICAL else NON_PHYSICAL[name][0]
    text = _robot(_link("a"), _link("b", inertia=tensor), _joint("j", "a", "b"))
    path = tmp_path / "x.urdf"
    path.write_text(text)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        load_urdf(path)
    warned = any(issubclass(w.category, URDFWarning) for w in rec)
    cid = p.connect(p.DIRECT)
    try:
        body = p.loadURDF(str(path), flags=p.URDF_USE_INERTIA_FROM_FILE, physicsClientId=cid)
        moments = p.getDynamicsInfo(body, 0, physicsClientId=cid)[2]
    finally:
        p.disconnect(cid)
    zeroed = np.allclose(moments, 0.0) and any(tensor)
    assert warned == zeroed, (name, moments)


def test_xarm6_inertias_warn_like_pybullet():
    from armjac.model.registry import resolve

    with pytest.warns(URDFWarning) as rec:
        load_urdf(resolve("xarm6").urdf)
    links = sorted(str(w.message).split("link '")[1].split("'")[0] for w in rec)
    assert links == ["link2", "link3"]  # the two PyBullet reports as bad


def test_inertia_warning_is_shown_once_per_process():
    """Also when filters change between loads (as importing matplotlib does), which
    makes the warnings module forget what it showed."""
    code = (
        "import warnings\n"
        "from armjac import load_arm\n"
        "for i in range(3):\n"
        "    load_arm('xarm6')\n"
        "    warnings.filterwarnings('ignore', message=f'unrelated {i}')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(urdf.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)  # fmt: skip
    assert out.stderr.count("URDFWarning") == 2, out.stderr  # link2 and link3, once each


# -- <mimic> ----------------------------------------------------------------------------------
def test_mimic_on_the_chain_warns(tmp_path):
    text = _chain(links=("a", "b", "c")).replace(
        '<limit lower="-1" upper="1"/></joint></robot>',
        '<limit lower="-1" upper="1"/><mimic joint="j1" multiplier="2"/></joint></robot>',
    )
    model = parse_urdf(text, source="m.urdf")
    assert model.joints[1].mimic == ("j1", 2.0, 0.0)
    with pytest.warns(URDFWarning, match=r"m.urdf: joint 'j2' mimics 'j1'.*independent joint"):
        model.warn_mimic(["j1", "j2"])
    path = tmp_path / "m.urdf"
    path.write_text(text)
    with pytest.warns(URDFWarning, match="independent joint"):
        arm = armjac.load_arm(path, ee_link="c")
    assert arm.joint_names == ("j1", "j2")


def test_follower_of_a_chain_joint_warns():
    text = _robot(
        _link("a"), _link("b"), _link("c"), _link("f"),
        _joint("j1", "a", "b"), _joint("j2", "b", "c"),
        _joint("jf", "b", "f", extra='<mimic joint="j1"/>'),
    )  # fmt: skip
    model = parse_urdf(text, source="m.urdf")
    with pytest.warns(URDFWarning, match=r"joint 'jf' mimics 'j1' on the chain.*holds it at zero"):
        model.warn_mimic(["j1", "j2"])


def test_mimic_off_the_chain_is_silent(arms):
    """The Panda's second finger mimics the first; neither is on the arm's chain."""
    panda = arms("franka_panda")
    assert any(j.mimic for j in panda.model.joints)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panda.model.warn_mimic(panda.joint_names)


def test_mimic_is_not_part_of_the_fingerprint():
    plain = _chain()
    mimic = plain.replace(
        '<limit lower="-1" upper="1"/></joint></robot>',
        '<limit lower="-1" upper="1"/><mimic joint="j1"/></joint></robot>',
    )
    assert parse_urdf(plain).fingerprint() == parse_urdf(mimic).fingerprint()


# -- namespaced extras --------------------------------------------------------------------------
def test_undeclared_namespace_prefixes_are_ignored():
    plain = _chain()
    extras = (
        plain.replace('<joint name="j1" type="revolute">',
                      '<joint name="j1" type="revolute" drake:acceleration="10">')
        .replace("</robot>", '<drake:collision_filter_group name="g"/><gazebo reference="a"/>'
                 "</robot>")
        .replace('<link name="a">', '<link name="a" xacro:foo="1">')
    )  # fmt: skip
    assert "xmlns" not in extras
    assert parse_urdf(extras).fingerprint() == parse_urdf(plain).fingerprint()


def test_declared_and_default_namespaces_load():
    plain = _chain()
    ns = 'xmlns:xacro="http://www.ros.org/wiki/xacro"'
    declared = plain.replace('<robot name="t">', f'<robot name="t" {ns}>')
    default = plain.replace('<robot name="t">', '<robot name="t" xmlns="http://example.org/u">')
    for text in (declared, default):
        assert parse_urdf(text).fingerprint() == parse_urdf(plain).fingerprint()


def test_encoding_declaration_is_honoured(tmp_path):
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + _chain().replace('"t"', '"t\xe9"')
    path = tmp_path / "latin1.urdf"
    path.write_bytes(text.encode("latin-1"))
    assert load_urdf(path).name == "t\xe9"


def test_entity_expansion_bomb_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    for k in range(1, 9):
        bomb += f'<!ENTITY a{k} "{("&a" + (str(k - 1) if k > 1 else "") + ";") * 10}">'
    bomb += ']><robot name="&a8;"><link name="a"/></robot>'
    with pytest.raises(URDFError, match="not well-formed XML"):
        parse_urdf(bomb)
