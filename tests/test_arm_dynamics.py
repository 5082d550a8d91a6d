"""Full rigid-body dynamics against independent references: PyBullet's inverse
dynamics with non-zero velocities and accelerations, the skew-symmetry of
dM/dt - 2C with dM/dt from finite differences, the two-link arm's Coriolis
matrix written out by hand, and forward dynamics inverting inverse dynamics."""

from __future__ import annotations

import numpy as np
import pybullet as pb
import pytest
from chain_factory import general_chain_urdf, random_chain_urdf

import armjac
from armjac.errors import InputError
from armjac.sim.pybullet_model import PyBulletModel


def pybullet_inverse_dynamics(ref: PyBulletModel, q, dq, qdd) -> np.ndarray:
    """PyBullet's calculateInverseDynamics for the chain (other joints at rest at zero)."""
    g_base = ref._base_rot.T @ np.asarray(ref.arm.gravity_vector)
    pb.setGravity(*g_base, physicsClientId=ref.client)
    tau = pb.calculateInverseDynamics(
        ref.body, ref._full(q), ref._full(dq), ref._full(qdd), physicsClientId=ref.client
    )
    return np.asarray(tau)[ref._cols]


def _check_against_pybullet(arm, rng, n=10, atol=1e-8):
    ref = PyBulletModel(arm)
    try:
        for _ in range(n):
            q = arm.random_q(rng=rng)
            dq, qdd = rng.normal(size=arm.dof) * 2, rng.normal(size=arm.dof) * 3
            expected = pybullet_inverse_dynamics(ref, q, dq, qdd)
            np.testing.assert_allclose(arm.inverse_dynamics(q, dq, qdd), expected, atol=atol)
            zero = np.zeros(arm.dof)
            np.testing.assert_allclose(
                arm.nonlinear_effects(q, dq), pybullet_inverse_dynamics(ref, q, dq, zero), atol=atol
            )
            np.testing.assert_allclose(arm.mass_matrix(q), ref.mass_matrix(q), atol=atol)
            np.testing.assert_allclose(arm.jacobian(q), ref.jacobian(q), atol=atol)
    finally:
        ref.close()


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda"])
def test_inverse_dynamics_matches_pybullet(arms, rng, name):
    _check_against_pybullet(arms(name), rng)


def test_random_chain_inverse_dynamics_matches_pybullet(tmp_path, rng):
    path = tmp_path / "chain.urdf"
    path.write_text(random_chain_urdf(7))
    _check_against_pybullet(armjac.load_arm(path, cache_dir=tmp_path / "cache"), rng)


def test_general_ten_joint_chain_generates_and_matches_pybullet(tmp_path, rng):
    """Exported-URDF style: general rpy at every joint rounded to 4 decimals, noisy
    axes, non-diagonal inertias and a prismatic joint; generated cold (its time is
    in benchmarks/bench_core.py)."""
    path = tmp_path / "general.urdf"
    path.write_text(general_chain_urdf(3))
    arm = armjac.load_arm(path, cache_dir=tmp_path / "cache")
    assert arm._cache.last_build_seconds is not None  # really cold
    assert arm.dof == 10 and arm.joints[4].type == "prismatic"
    _check_against_pybullet(arm, rng, n=6)
    ref = PyBulletModel(arm)
    try:
        q = arm.random_q(rng=rng)
        np.testing.assert_allclose(arm.fk(q), ref.fk(q), atol=1e-6)
        np.testing.assert_allclose(arm.gravity(q), ref.gravity(q), atol=1e-8)
    finally:
        ref.close()


def _mass_rate(arm, q, dq, h=1e-6):
    return (arm.mass_matrix(q + h * dq) - arm.mass_matrix(q - h * dq)) / (2 * h)


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "xarm6", "planar3"])
def test_coriolis_is_christoffel(arms, rng, name):
    """dM/dt - 2C is skew; C(q, u) v = C(q, v) u (Gamma symmetric); C dq + g = h."""
    arm = arms(name)
    for _ in range(5):
        q = arm.random_q(rng=rng, margin=0.05)
        dq, u = rng.normal(size=(2, arm.dof))
        c = arm.coriolis(q, dq)
        n = _mass_rate(arm, q, dq) - 2 * c
        np.testing.assert_allclose(n + n.T, 0.0, atol=1e-7)
        np.testing.assert_allclose(arm.coriolis(q, u) @ dq, c @ u, atol=1e-10)
        np.testing.assert_allclose(
            c @ dq + arm.gravity(q), arm.nonlinear_effects(q, dq), atol=1e-10
        )
        # Christoffel symbols from finite differences of M, entry by entry.
        h = 1e-6
        dm = np.stack(
            [
                (arm.mass_matrix(q + h * e) - arm.mass_matrix(q - h * e)) / (2 * h)
                for e in np.eye(arm.dof)
            ]
        )  # dm[k] = dM/dq_k
        gamma = 0.5 * (
            np.einsum("kij->ijk", dm) + np.einsum("jik->ijk", dm) - np.einsum("ijk->ijk", dm)
        )  # Gamma_ijk, dm[i][j,k] = dM_jk/dq_i
        np.testing.assert_allclose(c, gamma @ dq, atol=1e-6)


def test_planar2_coriolis_by_hand(arms, rng):
    """C = [[h dq2, h (dq1 + dq2)], [-h dq1, 0]], h = -(m2 l1 lc2 + me l1 l2) sin q2."""
    arm = arms("planar2")
    l1, l2, m2, me = 0.5, 0.4, 0.8, 0.1
    b = m2 * l1 * l2 / 2 + me * l1 * l2
    for _ in range(10):
        q, dq = arm.random_q(rng=rng), rng.normal(size=2)
        h = -b * np.sin(q[1])
        expected = [[h * dq[1], h * (dq[0] + dq[1])], [-h * dq[0], 0.0]]
        np.testing.assert_allclose(arm.coriolis(q, dq), expected, atol=1e-12)


@pytest.mark.parametrize("name", ["kuka_iiwa", "planar3"])
def test_forward_dynamics_inverts_inverse_dynamics(arms, rng, name):
    arm = arms(name)
    q = arm.random_q(6, rng)
    dq, qdd = rng.normal(size=(2, 6, arm.dof))
    tau = arm.inverse_dynamics(q, dq, qdd)
    np.testing.assert_allclose(arm.forward_dynamics(q, dq, tau), qdd, atol=1e-9)
    # Batched equals one at a time.
    for i in range(6):
        np.testing.assert_allclose(arm.inverse_dynamics(q[i], dq[i], qdd[i]), tau[i], atol=1e-12)
        np.testing.assert_allclose(arm.coriolis(q, dq)[i], arm.coriolis(q[i], dq[i]), atol=1e-14)
    with pytest.raises(InputError, match="qdd"):
        arm.inverse_dynamics(q[0], dq[0], qdd)
    with pytest.raises(InputError, match="needs dq"):
        arm.coriolis(q[0], None)


def test_control_terms_match_the_single_calls(arms, rng):
    arm = arms("kuka_iiwa")
    q, dq = arm.random_q(rng=rng), rng.normal(size=arm.dof)
    point = np.array([0.01, 0.02, 0.1])
    buf = arm.control_terms_buffer()
    for terms in (
        arm.control_terms(q, dq, point=point),
        arm.control_terms(q, dq, None, point, buf),
    ):
        np.testing.assert_array_equal(terms.T, arm.fk(q))
        np.testing.assert_allclose(terms.x, arm.position(q, point=point), atol=1e-14)
        np.testing.assert_array_equal(terms.J, arm.jacobian(q, point=point))
        np.testing.assert_allclose(terms.dJdq, arm.dJdq(q, dq, point=point), atol=1e-13)
        np.testing.assert_array_equal(terms.M, arm.mass_matrix(q))
        np.testing.assert_allclose(terms.h, arm.nonlinear_effects(q, dq), atol=1e-12)
    assert arm.control_terms(q, dq, out=buf) is buf
    mid = arm.control_terms(q, dq, "lbr_iiwa_link_4", point)  # another link: its own kernel
    np.testing.assert_array_equal(mid.J, arm.jacobian(q, "lbr_iiwa_link_4", point))
    np.testing.assert_array_equal(mid.T, arm.fk(q, "lbr_iiwa_link_4"))
    np.testing.assert_allclose(mid.dJdq, arm.dJdq(q, dq, "lbr_iiwa_link_4", point), atol=1e-13)
    np.testing.assert_allclose(
        arm.jacobian_dot(q, dq, "lbr_iiwa_link_4", point) @ dq, mid.dJdq, atol=1e-12
    )
    batch = arm.control_terms(arm.random_q(3, rng), rng.normal(size=(3, arm.dof)))
    assert batch.J.shape == (3, 6, 7) and batch.M.shape == (3, 7, 7)
    with pytest.raises(InputError, match="control_terms_buffer"):
        arm.control_terms(q, dq, out=np.zeros(10))
