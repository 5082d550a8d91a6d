"""The analytic arm against PyBullet, an independent implementation.

PyBullet's link poses carry ~1e-7 of their own error (its FK is float-ish), so
FK is held to 1e-6; Jacobians, mass matrices and gravity to 1e-8.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from chain_factory import random_chain_urdf

import armjac
from armjac.model.tree import RobotModel
from armjac.sim.pybullet_model import PyBulletModel

N_SAMPLES = 25
POINT = np.array([0.03, -0.02, 0.07])


def _compare(arm, ref, rng, check_mass=True):
    for _ in range(N_SAMPLES):
        q = arm.random_q(rng=rng)
        t_ours, t_ref = arm.fk(q), ref.fk(q)
        np.testing.assert_allclose(t_ours[:3, 3], t_ref[:3, 3], atol=1e-6)
        np.testing.assert_allclose(t_ours[:3, :3], t_ref[:3, :3], atol=1e-6)
        np.testing.assert_allclose(arm.jacobian(q), ref.jacobian(q), atol=1e-8)
        np.testing.assert_allclose(
            arm.jacobian(q, point=POINT), ref.jacobian(q, point=POINT), atol=1e-8
        )
        np.testing.assert_allclose(arm.gravity(q), ref.gravity(q), atol=1e-8)
        if check_mass:
            np.testing.assert_allclose(arm.mass_matrix(q), ref.mass_matrix(q), atol=1e-8)


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "planar2", "planar3"])
def test_matches_pybullet(arms, rng, name):
    arm = arms(name)
    ref = PyBulletModel(arm)
    try:
        _compare(arm, ref, rng)
    finally:
        ref.close()


def test_panda_intermediate_links_match_pybullet(arms, rng):
    """Any link, not only the end effector: a mid-chain link and a finger (held at zero)."""
    arm = arms("franka_panda")
    ref = PyBulletModel(arm)
    try:
        for link in ("panda_link4", "panda_leftfinger", "panda_hand"):
            q = arm.random_q(rng=rng)
            np.testing.assert_allclose(arm.fk(q, link)[:3, 3], ref.fk(q, link)[:3, 3], atol=1e-6)
            np.testing.assert_allclose(
                arm.jacobian(q, link, POINT), ref.jacobian(q, link, POINT), atol=1e-8
            )
    finally:
        ref.close()


def _principal_moments_break_triangle(inertia) -> bool:
    ixx, ixy, ixz, iyy, iyz, izz = inertia
    moments = np.linalg.eigvalsh(np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]]))
    a, b, c = sorted(moments)
    return a + b < c


def test_xarm6_matches_pybullet_with_its_dropped_inertias(arms, rng):
    """PyBullet zeroes xarm6's link2/link3 inertias ("Bad inertia tensor properties").

    With the same tensors zeroed in our model everything agrees, which shows the
    full-model mass-matrix gap is PyBullet's; the true mass matrix is checked
    against kinetic energy in test_arm_derivatives.py.
    """
    arm = arms("xarm6")
    ref = PyBulletModel(arm)
    try:
        _compare(arm, ref, rng, check_mass=False)
        dropped = [
            lk.name
            for lk in arm.model.links
            if lk.inertial is not None and _principal_moments_break_triangle(lk.inertial.inertia)
        ]
        assert dropped == ["link2", "link3"]
        links = tuple(
            dataclasses.replace(lk, inertial=dataclasses.replace(lk.inertial, inertia=(0.0,) * 6))
            if lk.name in dropped
            else lk
            for lk in arm.model.links
        )
        model = RobotModel(arm.model.name, links, arm.model.joints, arm.model.source)
        as_pybullet = armjac.Arm(model, arm.ee_link)
        for _ in range(N_SAMPLES):
            q = arm.random_q(rng=rng)
            np.testing.assert_allclose(as_pybullet.mass_matrix(q), ref.mass_matrix(q), atol=1e-8)
        gap = max(
            np.abs(arm.mass_matrix(q) - ref.mass_matrix(q)).max() for q in arm.random_q(5, rng)
        )
        assert gap > 1e-3  # the real tensors do matter
    finally:
        ref.close()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_chain_matches_pybullet(tmp_path, rng, seed):
    """A URDF the bundled set doesn't cover: mixed axes, rpy offsets, fixed joints,
    a prismatic joint, a rotated base inertial and a movable side branch."""
    path = tmp_path / f"chain{seed}.urdf"
    path.write_text(random_chain_urdf(seed))
    arm = armjac.load_arm(path)
    assert arm.dof == 5
    assert arm.joints[2].type == "prismatic"
    assert "branch" not in arm.joint_names
    ref = PyBulletModel(arm)
    try:
        _compare(arm, ref, rng)
    finally:
        ref.close()
