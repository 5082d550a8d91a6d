"""Adjusted arms (joint-origin offsets and an end-effector load as kernel inputs)
against independent references: PyBullet on the adjusted URDF (FK, Jacobians,
inverse dynamics with velocities and accelerations), the same tree compiled
with its numbers as constants, and the parallel-axis theorem by hand."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_arm_dynamics import _check_against_pybullet

from armjac.arm import Arm, load_arm
from armjac.errors import InputError
from armjac.model.adjustment import LOAD_LINK, load_inertial, load_parameters
from armjac.model.tree import Inertial
from armjac.model.urdf_write import write_urdf

LOAD = Inertial(
    mass=1.3,
    xyz=(0.01, -0.02, 0.07),
    rpy=(0.1, 0.2, 0.3),
    inertia=(0.011, 0.001, 0.0005, 0.021, 0.002, 0.015),
)


def _offsets(arm, rng, mm=5.0):
    return rng.normal(0.0, mm * 1e-3, (arm.dof, 3))


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda"])
def test_adjusted_arm_matches_pybullet_on_its_urdf(arms, rng, tmp_path, name):
    nominal = arms(name)
    urdf = tmp_path / "adjusted.urdf"
    adj = nominal.adjusted(_offsets(nominal, rng), LOAD, source=str(urdf))
    write_urdf(adj.model, urdf)
    assert LOAD_LINK in adj.model.link_names
    _check_against_pybullet(adj, rng, n=8)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_every_kernel_equals_the_tree_compiled_with_constants(arms, rng, backend):
    nominal = arms("kuka_iiwa") if backend == "c" else load_arm("kuka_iiwa", backend="numpy")
    adj = nominal.adjusted(_offsets(nominal, rng), LOAD)
    ref = Arm(adj.model, nominal.ee_link, name="constants", backend=backend)
    q = nominal.random_q(20, rng)
    dq = rng.normal(size=q.shape)
    point = np.array([0.01, 0.02, 0.15])
    pairs = [
        (adj.fk(q), ref.fk(q)),
        (adj.jacobian(q, point=point), ref.jacobian(q, point=point)),
        (adj.dJdq(q, dq, point=point), ref.dJdq(q, dq, point=point)),
        (adj.mass_matrix(q), ref.mass_matrix(q)),
        (adj.gravity(q), ref.gravity(q)),
        (adj.coriolis(q, dq), ref.coriolis(q, dq)),
        (adj.nonlinear_effects(q, dq), ref.nonlinear_effects(q, dq)),
        (adj.jacobian(q, "lbr_iiwa_link_4"), ref.jacobian(q, "lbr_iiwa_link_4")),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    a, b = adj.control_terms(q[0], dq[0]), ref.control_terms(q[0], dq[0])
    for field in ("x", "J", "dJdq", "M", "h"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12, atol=1e-12)


def test_the_ctypes_path_reads_the_same_numbers(arms, rng, monkeypatch):
    nominal = arms("kuka_iiwa")
    off = _offsets(nominal, rng)
    fast = nominal.adjusted(off, LOAD)
    monkeypatch.setenv("ARMJAC_DISPATCHER", "off")
    slow = nominal.adjusted(off, LOAD)
    assert type(slow._ee["jac"]).__name__ == "CKernel"
    q = nominal.random_q(5, rng)
    np.testing.assert_array_equal(slow.mass_matrix(q), fast.mass_matrix(q))
    np.testing.assert_array_equal(slow.jacobian(q), fast.jacobian(q))


def test_no_adjustment_is_the_nominal_arm(arms, rng):
    nominal = arms("franka_panda")
    same = nominal.adjusted()
    q = nominal.random_q(10, rng)
    np.testing.assert_allclose(same.fk(q), nominal.fk(q), atol=1e-15)
    np.testing.assert_allclose(same.mass_matrix(q), nominal.mass_matrix(q), atol=1e-14)
    assert LOAD_LINK not in same.model.link_names
    assert (same.model.links, same.model.joints) == (nominal.model.links, nominal.model.joints)


def test_adjustments_compose(arms, rng):
    nominal = arms("kuka_iiwa")
    a, b = _offsets(nominal, rng), _offsets(nominal, rng)
    twice = nominal.adjusted(a, LOAD).adjusted(b, LOAD)
    once = nominal.adjusted(a + b, 2 * load_parameters(LOAD))
    q = nominal.random_q(10, rng)
    np.testing.assert_allclose(twice.fk(q), once.fk(q), atol=1e-15)
    np.testing.assert_allclose(twice.gravity(q), once.gravity(q), atol=1e-12)
    assert twice.base_model == nominal.model


def test_many_adjusted_arms_share_one_compilation(arms, rng, tmp_path):
    nominal = load_arm("kuka_iiwa", cache_dir=tmp_path)
    nominal.adjusted(_offsets(nominal, rng))  # builds the adjustable family
    entries = sorted(os.listdir(tmp_path))
    for _ in range(5):
        nominal.adjusted(_offsets(nominal, rng), LOAD)
    assert sorted(os.listdir(tmp_path)) == entries


def test_load_parameters_by_the_parallel_axis_theorem():
    # a point mass m at c: I_o = m (|c|^2 1 - c c^T), by hand for c = (0, 0, 0.2)
    point = Inertial(mass=2.0, xyz=(0.0, 0.0, 0.2))
    np.testing.assert_allclose(
        load_parameters(point), [2.0, 0, 0, 0.4, 0.08, 0, 0, 0.08, 0, 0], atol=1e-15
    )
    back = load_inertial(load_parameters(LOAD))
    again = load_parameters(back)
    np.testing.assert_allclose(again, load_parameters(LOAD), atol=1e-15)
    assert back.mass == LOAD.mass


@pytest.mark.parametrize(
    ("offsets", "load", "match"),
    [
        (np.zeros((6, 3)), None, "shape"),
        (np.full((7, 3), np.nan), None, "finite"),
        ("abc", None, "real numbers"),
        (np.ones((7, 3), bool), None, "real numbers"),
        (np.ones((7, 3), complex), None, "real numbers"),
        (None, np.r_[-1.0, np.zeros(9)], "mass"),
        (None, np.zeros(4), "shape"),
        # what the kernels could compute but no URDF can say (a simulator would differ)
        (None, np.r_[0.0, 0.1, 0.0, 0.0, np.zeros(6)], "first moment"),
        (None, np.r_[1.0, 0.0, 0.0, 0.0, -5.0, 0.0, 0.0, -5.0, 0.0, -5.0], "non-physical"),
        (None, Inertial(mass=1.0, inertia=(1.0, 0.0, 0.0, 0.1, 0.0, 0.1)), "triangle"),
        # issue 18, class 16: raw LinAlgError / ValueError / UFuncTypeError before
        (None, np.r_[1.0, 1e200, 0.0, 0.0, 0.1, 0.0, 0.0, 0.1, 0.0, 0.1], "double precision"),
        (None, Inertial(mass=1.0, xyz=(0, 0, 0.1), rpy=(np.nan, 0, 0)), "load rpy must be finite"),
        (None, Inertial(mass=1.0, inertia=("a", 0, 0, 0.1, 0, 0.1)), "load inertia must be real"),
        (None, Inertial(mass="x"), "load mass must be real"),
        (None, Inertial(mass=1.0, xyz=(0, 0)), r"load xyz must have shape \(3,\)"),
    ],
)
def test_bad_adjustments_are_refused(arms, offsets, load, match):
    with pytest.raises(InputError, match=match):
        arms("kuka_iiwa").adjusted(offsets, load)


def test_adjusted_random_chain_with_a_prismatic_joint_matches_pybullet(rng, tmp_path):
    """A chain with fixed joints between movable ones, a side branch and a prismatic
    joint: offsets on every chain joint and a load on the end link, against PyBullet."""
    from chain_factory import random_chain_urdf

    path = tmp_path / "chain.urdf"
    path.write_text(random_chain_urdf(7))
    nominal = load_arm(str(path), ee_link="ee")
    urdf = tmp_path / "adjusted.urdf"
    adj = nominal.adjusted(_offsets(nominal, rng, mm=20.0), LOAD, source=str(urdf))
    write_urdf(adj.model, urdf)
    _check_against_pybullet(adj, rng, n=8)


def test_the_load_link_has_the_end_effectors_frame(arms, rng):
    adj = arms("kuka_iiwa").adjusted(None, LOAD)
    q = adj.random_q(4, rng)
    np.testing.assert_array_equal(adj.fk(q, LOAD_LINK), adj.fk(q))
    np.testing.assert_array_equal(adj.jacobian(q, LOAD_LINK), adj.jacobian(q))


def test_a_written_adjusted_urdf_takes_another_load(arms, rng, tmp_path):
    """Reloaded, an adjusted arm's URDF already has a load link: the next one is numbered,
    and the two loads together match PyBullet."""
    first = tmp_path / "first.urdf"
    adj = arms("kuka_iiwa").adjusted(_offsets(arms("kuka_iiwa"), rng), LOAD, source=str(first))
    write_urdf(adj.model, first)
    again = load_arm(str(first), ee_link=adj.ee_link)
    second = tmp_path / "second.urdf"
    twice = again.adjusted(None, Inertial(mass=0.5, xyz=(0, 0, 0.1)), source=str(second))
    assert f"{LOAD_LINK}_2" in twice.model.link_names
    write_urdf(twice.model, second)
    _check_against_pybullet(twice, rng, n=4)


def test_a_simulator_refuses_an_adjusted_arm_whose_urdf_is_not_its_model(arms, rng, tmp_path):
    from armjac.sim.pybullet_model import PyBulletModel

    nominal = arms("kuka_iiwa")
    with pytest.raises(InputError, match="without a URDF file"):
        PyBulletModel(nominal.adjusted(_offsets(nominal, rng)))
    other = tmp_path / "other.urdf"
    write_urdf(nominal.adjusted(_offsets(nominal, rng, mm=50.0)).model, other)
    with pytest.raises(InputError, match="does not hold"):
        PyBulletModel(nominal.adjusted(None, source=str(other)))


def test_an_entry_is_found_under_another_arms_name(tmp_path):
    """The same kernels (same key) built for an arm of another name are reused."""
    a = load_arm("kuka_iiwa", cache_dir=tmp_path)
    entries = sorted(os.listdir(tmp_path))
    b = Arm(a.model, a.ee_link, name="renamed", cache_dir=tmp_path)
    assert sorted(os.listdir(tmp_path)) == entries
    q = a.home + 0.1
    np.testing.assert_array_equal(a.mass_matrix(q), b.mass_matrix(q))


def test_an_entry_reading_another_count_of_numbers_is_rebuilt(arms, rng, tmp_path):
    from armjac.codegen.cache import read_sealed, write_sealed

    nominal = load_arm("kuka_iiwa", cache_dir=tmp_path)
    nominal.adjusted(_offsets(nominal, rng))
    (entry,) = [p for p in tmp_path.iterdir() if "-adj-" in p.name]
    manifest = read_sealed(entry / "manifest.json")  # without its seal
    manifest["fields"]["extra"] = 3  # sealed again: only the count check can catch it
    write_sealed(entry / "manifest.json", manifest)
    with pytest.warns(UserWarning, match="extra numbers"):
        adj = nominal.adjusted(_offsets(nominal, rng))
    ref = Arm(adj.model, nominal.ee_link, name="constants", cache_dir=tmp_path)
    q = nominal.random_q(3, rng)
    np.testing.assert_allclose(adj.gravity(q), ref.gravity(q), atol=1e-12)
