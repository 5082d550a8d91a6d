"""Bad input gets a clear error that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import armjac
from armjac.errors import ConfigError, InputError, UnknownLinkError, URDFError
from armjac.model.urdf import parse_urdf

LINK = (
    '<link name="{0}"><inertial><mass value="1"/>'
    '<inertia ixx="1" iyy="1" izz="1"/></inertial></link>'
)


def _joint(name, parent, child, jtype="revolute", extra='<limit lower="-1" upper="1"/>'):
    return (
        f'<joint name="{name}" type="{jtype}"><parent link="{parent}"/><child link="{child}"/>'
        f'<axis xyz="0 0 1"/>{extra}</joint>'
    )


def _robot(*parts):
    return '<robot name="r">' + "".join(parts) + "</robot>"


# -- numeric inputs -------------------------------------------------------------------
def test_q_wrong_length_names_dof(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match=r"dof=7.*\(5,\)"):
        arm.jacobian(np.zeros(5))
    with pytest.raises(InputError, match="dof=7"):
        arm.fk(np.zeros((3, 7, 1)))
    with pytest.raises(InputError, match="dof=7"):
        arm.mass_matrix(np.zeros((4, 6)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_q_is_refused(arms, bad):
    arm = arms("kuka_iiwa")
    q = np.zeros(7)
    q[3] = bad
    for fn in (arm.fk, arm.jacobian, arm.mass_matrix, arm.gravity):
        with pytest.raises(InputError, match="finite"):
            fn(q)
    batch = np.zeros((4, 7))
    batch[2, 1] = bad
    with pytest.raises(InputError, match="finite"):
        arm.jacobian(batch)
    with pytest.raises(InputError, match="finite"):
        arm.dJdq(np.zeros(7), q)


def test_dq_and_point_shapes(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="dq"):
        arm.dJdq(np.zeros(7), np.zeros(6))
    with pytest.raises(InputError, match="same shape"):
        arm.dJdq(np.zeros((2, 7)), np.zeros((3, 7)))
    with pytest.raises(InputError, match="point"):
        arm.jacobian(np.zeros(7), point=[0.0, 1.0])
    with pytest.raises(InputError, match="point"):
        arm.jacobian(np.zeros(7), point=[0.0, np.nan, 1.0])


def test_unknown_link_lists_valid_names(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(UnknownLinkError, match="lbr_iiwa_link_3") as info:
        arm.jacobian(np.zeros(7), link="gripper")
    assert "gripper" in str(info.value)
    with pytest.raises(KeyError):  # also a KeyError, for callers that expect one
        arm.fk(np.zeros(7), link="nope")
    with pytest.raises(UnknownLinkError):
        armjac.load_arm("planar2", ee_link="tool0")


# -- robot descriptions ------------------------------------------------------------------
def test_malformed_xml_names_file(tmp_path):
    path = tmp_path / "broken.urdf"
    path.write_text('<robot name="r"><link name="a"></robot>')
    with pytest.raises(URDFError, match="broken.urdf.*not well-formed"):
        armjac.load_arm(path)


def test_missing_file():
    with pytest.raises(URDFError, match="not found"):
        armjac.load_arm("/nonexistent/arm.urdf")


@pytest.mark.parametrize(
    "text,match",
    [
        (_robot(LINK.format("a"), _joint("j", "a", "b")), "joint 'j' names child link 'b'"),
        (_robot(LINK.format("b"), _joint("j", "ghost", "b")), "parent link 'ghost'"),
        (
            _robot(LINK.format("a"), LINK.format("b"), LINK.format("c"),
                   _joint("j1", "a", "b"), _joint("j2", "c", "b"), _joint("j3", "a", "c")),
            "two parent joints",
        ),
        (
            _robot(LINK.format("a"), LINK.format("b"), LINK.format("c"),
                   _joint("j1", "b", "c"), _joint("j2", "c", "b")),
            "closed loop",
        ),
        (_robot(LINK.format("a"), LINK.format("b"), _joint("j", "a", "b", "floating")),
         "unsupported type 'floating'"),
        (_robot(LINK.format("a"), LINK.format("b"), _joint("j", "a", "b", extra="")),
         "needs a <limit>"),
        (
            _robot(LINK.format("a"), LINK.format("b"),
                   _joint("j", "a", "b", extra='<limit lower="x" upper="1"/>')),
            "lower='x' is not a number",
        ),
        (
            _robot(LINK.format("a"), LINK.format("b"),
                   _joint("j", "a", "b", extra='<limit lower="-1" upper="1"/><origin xyz="0 1"/>')),
            "expected 3",
        ),
        (_robot('<link name="a"><inertial><inertia ixx="1"/></inertial></link>'), "no <mass>"),
        ('<notarobot name="x"/>', "expected <robot>"),
    ],
)  # fmt: skip
def test_invalid_urdf_names_element(text, match):
    with pytest.raises(URDFError, match=match):
        parse_urdf(text, source="test.urdf")


def test_error_names_the_file(tmp_path):
    path = tmp_path / "loop.urdf"
    path.write_text(_robot(LINK.format("a"), _joint("j", "a", "missing")))
    with pytest.raises(URDFError, match="loop.urdf"):
        armjac.load_arm(path)


# -- YAML arm configs -----------------------------------------------------------------------
def test_unknown_arm_name_lists_bundled():
    with pytest.raises(ConfigError, match="kuka_iiwa"):
        armjac.load_arm("ur5_not_bundled")


@pytest.mark.parametrize(
    "text,match",
    [
        ("name: [unclosed", "malformed YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: x\n", "urdf: is required"),
        ("urdf: a.urdf\nwheels: 4\n", r"unknown key\(s\) wheels"),
        ("urdf: a.urdf\ngravity: [0, 0]\n", "gravity: must be a list of 3 finite numbers"),
        ("urdf: a.urdf\nhome: [a, b]\n", "home: must be a list of finite numbers"),
    ],
)
def test_bad_arm_yaml(tmp_path, text, match):
    path = tmp_path / "arm.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        armjac.load_arm(path)


def test_home_posture_length_checked():
    with pytest.raises(InputError, match="home"):
        armjac.load_arm("planar2", home=[0.0, 0.0, 0.0])


def test_non_numeric_q_and_empty_batch(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="q must be real numbers"):
        arm.jacobian(["a"] * 7)
    with pytest.raises(InputError, match="real numbers"):
        arm.jacobian(None)
    with pytest.raises(InputError, match="dof=7"):
        arm.jacobian(np.zeros(6))
    assert arm.jacobian(np.zeros((0, 7))).shape == (0, 6, 7)
    assert arm.mass_matrix(np.zeros((0, 7))).shape == (0, 7, 7)


def test_dq_must_match_q_exactly(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="same shape"):
        arm.dJdq(np.zeros(7), np.zeros((1, 7)))
    dq = np.zeros(7)
    dq[2] = np.nan
    with pytest.raises(InputError, match="^dq must be finite"):
        arm.dJdq(np.zeros(7), dq)


def test_sampling_arguments_checked(arms):
    arm = arms("planar2")
    for margin in (-0.1, 0.5, 2.0):
        with pytest.raises(InputError, match="margin"):
            arm.random_q(3, margin=margin)
    with pytest.raises(InputError, match=r"n \(number of configurations\) must be >= 0"):
        arm.random_q(-1)
    for bad in (True, 2.0, "3"):  # a bool is an int to Python, never a count here
        with pytest.raises(InputError, match="must be an integer"):
            arm.random_q(bad)
    lo, hi = arm.sample_bounds(0.25)
    assert np.all(lo > arm.joint_limits[:, 0]) and np.all(hi < arm.joint_limits[:, 1])


def test_load_arm_refuses_options_for_an_existing_arm(arms):
    arm = arms("planar2")
    assert armjac.load_arm(arm) is arm
    with pytest.raises(InputError, match="backend"):
        armjac.load_arm(arm, backend="numpy")


@pytest.mark.parametrize(
    ("gravity", "match"),
    [
        ([np.nan, 0.0, -9.81], "gravity .* must be finite"),
        ("down", "gravity .* must be real numbers"),
        ([0.0, -9.81], r"gravity .* must have shape \(3,\)"),
        ([[0.0, 0.0, -9.81]], r"gravity .* must have shape \(3,\)"),
    ],
)
def test_bad_gravity_is_refused_before_any_derivation(tmp_path, gravity, match):
    """Issue 18, class 17: a NaN gravity reached the C compiler; a string or a
    2-vector gave a raw ValueError or IndexError."""
    with pytest.raises(InputError, match=match):
        armjac.load_arm("planar2", gravity=gravity, cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing was generated
