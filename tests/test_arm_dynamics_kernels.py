"""The dynamics kernels added for force control and model-predictive control:
``momentum_terms`` against finite differences of PyBullet's mass matrix and
PyBullet's inverse dynamics, inverse and forward dynamics and n against Pinocchio where
installed, batch layouts against single calls, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from chain_factory import random_chain_urdf
from test_arm_dynamics import pybullet_inverse_dynamics

import armjac
from armjac.errors import InputError
from armjac.sim.pybullet_model import PyBulletModel

H = 1e-5


def _momentum_reference(ref: PyBulletModel, q, dq):
    """p = M dq and n = dq^T (dM/dq_i) dq / 2 - g_i from PyBullet's M (central
    differences) and gravity torques: the Christoffel C^T dq is the kinetic
    energy's gradient."""
    m = ref.mass_matrix(q)
    grad = []
    for e in np.eye(len(q)):
        dm = (ref.mass_matrix(q + H * e) - ref.mass_matrix(q - H * e)) / (2 * H)
        grad.append(0.5 * dq @ dm @ dq)
    return m @ dq, np.array(grad) - ref.gravity(q)


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "random chain"])
def test_momentum_terms_match_pybullet_differences(arms, rng, tmp_path, name):
    if name == "random chain":
        path = tmp_path / "chain.urdf"
        path.write_text(random_chain_urdf(11, n_movable=6))
        arm = armjac.load_arm(path, cache_dir=tmp_path / "cache")
    else:
        arm = arms(name)
    ref = PyBulletModel(arm)
    try:
        for _ in range(4):
            q, dq = arm.random_q(rng=rng, margin=0.05), rng.normal(size=arm.dof) * 1.5
            p, n = arm.momentum_terms(q, dq)
            p_ref, n_ref = _momentum_reference(ref, q, dq)
            np.testing.assert_allclose(p, p_ref, atol=1e-9)
            np.testing.assert_allclose(n, n_ref, atol=2e-7)
    finally:
        ref.close()


def test_momentum_rate_is_torque_plus_n(arms, rng):
    """The observer's identity dp/dt = tau + n along a motion, with tau from
    PyBullet's inverse dynamics and dp/dt from central differences in time."""
    arm = arms("kuka_iiwa")
    ref = PyBulletModel(arm)
    try:
        for _ in range(3):
            q, dq, qdd = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7), rng.normal(size=7)
            dt = 1e-6
            ahead, behind = (
                arm.momentum_terms(q + dq * t + qdd * t * t / 2, dq + qdd * t)[0] for t in (dt, -dt)
            )
            rate = (ahead - behind) / (2 * dt)
            tau = pybullet_inverse_dynamics(ref, q, dq, qdd)
            np.testing.assert_allclose(rate, tau + arm.momentum_terms(q, dq)[1], atol=1e-7)
    finally:
        ref.close()


def test_momentum_terms_layouts(arms, rng):
    arm = arms("franka_panda")
    qs, dqs = arm.random_q(5, rng), rng.normal(size=(5, 7))
    p, n = arm.momentum_terms(qs, dqs)
    assert p.shape == n.shape == (5, 7)
    for i in range(5):
        pi, ni = arm.momentum_terms(qs[i], dqs[i])
        np.testing.assert_array_equal(p[i], pi)
        np.testing.assert_array_equal(n[i], ni)
    out = np.empty((5, 2, 7))
    p2, n2 = arm.momentum_terms(qs, dqs, out=out)
    assert np.shares_memory(p2, out) and np.shares_memory(n2, out)
    np.testing.assert_array_equal(out[:, 0], p)
    with pytest.raises(InputError, match="needs dq"):
        arm.momentum_terms(qs[0], None)
    with pytest.raises(InputError, match="out"):
        arm.momentum_terms(qs[0], dqs[0], out=np.empty((2, 6)))


def _pinocchio(arm):
    pin = pytest.importorskip("pinocchio")
    model = pin.buildModelFromUrdf(arm.urdf_path)
    cols = [model.joints[model.getJointId(n)].idx_v for n in arm.joint_names]
    assert model.nq == model.nv  # revolute and prismatic joints only

    def full(x):
        v = np.zeros(model.nv)
        v[cols] = x
        return v

    return pin, model, model.createData(), cols, full


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda"])
def test_dynamics_match_pinocchio(arms, rng, name):
    """(dJ/dt is held to finite differences in test_arm_jacobians: Pinocchio 2.6's
    LOCAL_WORLD_ALIGNED time variation is another quantity, zero in the first column.)"""
    arm = arms(name)
    pin, model, data, cols, full = _pinocchio(arm)
    for _ in range(5):
        q, dq, u = arm.random_q(rng=rng), rng.normal(size=arm.dof), rng.normal(size=arm.dof) * 5
        # held joints (the Panda's fingers) get no acceleration in either
        tau = pin.rnea(model, data, full(q), full(dq), full(u))[cols]
        np.testing.assert_allclose(arm.inverse_dynamics(q, dq, u), tau, atol=1e-9)
        m_full = pin.crba(model, data, full(q))
        m_full = np.triu(m_full) + np.triu(m_full, 1).T
        h = pin.nonLinearEffects(model, data, full(q), full(dq))[cols]
        qdd = np.linalg.solve(m_full[np.ix_(cols, cols)], u - h)
        np.testing.assert_allclose(arm.forward_dynamics(q, dq, u), qdd, rtol=1e-9, atol=1e-9)
        c = pin.computeCoriolisMatrix(model, data, full(q), full(dq))[np.ix_(cols, cols)]
        g = pin.computeGeneralizedGravity(model, data, full(q))[cols]
        p, n = arm.momentum_terms(q, dq)
        np.testing.assert_allclose(n, c.T @ dq - g, atol=1e-9)
        np.testing.assert_allclose(p, m_full[np.ix_(cols, cols)] @ dq, atol=1e-9)


def test_batches_equal_single_calls(arms, rng):
    arm = arms("kuka_iiwa")
    qs, dqs, us = arm.random_q(6, rng), rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    calls = {
        "inverse_dynamics": lambda q, dq, u: arm.inverse_dynamics(q, dq, u),
        "forward_dynamics": lambda q, dq, u: arm.forward_dynamics(q, dq, u),
        "jacobian_dot": lambda q, dq, u: arm.jacobian_dot(q, dq, point=[0.0, 0.1, 0.05]),
        "local jacobian": lambda q, dq, u: arm.jacobian(q, frame="local"),
    }
    for what, call in calls.items():
        batch = call(qs, dqs, us)
        for i in range(6):
            np.testing.assert_array_equal(batch[i], call(qs[i], dqs[i], us[i]), err_msg=what)


def test_bad_joint_vectors_are_named(arms):
    arm = arms("kuka_iiwa")
    q, dq = arm.home, np.zeros(7)
    with pytest.raises(InputError, match="qdd must be finite"):
        arm.inverse_dynamics(q, dq, [0, 0, np.nan, 0, 0, 0, 0])
    with pytest.raises(InputError, match="tau must be finite"):
        arm.forward_dynamics(q, dq, np.full(7, np.inf))
    with pytest.raises(InputError, match="needs qdd"):
        arm.inverse_dynamics(q, dq, None)
    with pytest.raises(InputError, match="needs tau"):
        arm.forward_dynamics(q, dq, None)
    with pytest.raises(InputError, match="q and tau must have the same shape"):
        arm.forward_dynamics(q, dq, np.zeros((2, 7)))
    with pytest.raises(InputError, match="real numbers"):
        arm.inverse_dynamics(q, dq, ["a"] * 7)
    with pytest.raises(InputError, match="overflowed"):
        arm.forward_dynamics(q, dq, np.full(7, 1e308))


def test_a_massless_chain_end_is_an_error_not_nan(tmp_path):
    """Forward dynamics needs M invertible: a last body with no mass makes it singular."""
    urdf = tmp_path / "massless.urdf"
    urdf.write_text(
        """<robot name="massless">
  <link name="base"/>
  <link name="a"><inertial><mass value="1"/><inertia ixx="0.01" ixy="0" ixz="0"
    iyy="0.01" iyz="0" izz="0.01"/><origin xyz="0.1 0 0"/></inertial></link>
  <link name="b"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a"/>
    <axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <joint name="j2" type="revolute"><parent link="a"/><child link="b"/>
    <origin xyz="0.2 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
</robot>"""
    )
    arm = armjac.load_arm(urdf, cache_dir=tmp_path / "cache")
    with pytest.raises(InputError, match="mass matrix is singular"):
        arm.forward_dynamics(np.zeros(2), np.zeros(2), np.ones(2))


@pytest.mark.parametrize("scale", [1.0, 3e4, 2e5])
def test_vector_lanes_give_the_single_calls_bits(arms, rng, scale):
    """Batches run several configurations per vector (simd.py) and the remainder
    one by one; both must give exactly the single call's numbers, for angles the
    inlined sin/cos reduce and for a batch holding one beyond 1e5 rad (libm)."""
    arm = arms("kuka_iiwa")
    qs = rng.uniform(-scale, scale, size=(37, 7))
    point = np.array([0.01, -0.02, 0.05])
    for call in (
        lambda q: arm.fk(q),
        lambda q: arm.jacobian(q, point=point),
        lambda q: arm.jacobian(q, frame="local"),
        lambda q: arm.gravity(q),
    ):
        batch = call(qs)
        for i in range(len(qs)):
            np.testing.assert_array_equal(batch[i], call(qs[i]))


def test_manipulability_gradient_refuses_a_singular_pose(arms):
    """kuka_iiwa straight up (q = 0): joints 1, 3, 5 and 7 share one axis, J J^T is
    singular, and the kernel's gate reports it on every layout."""
    from armjac.errors import SingularityError

    arm = arms("kuka_iiwa")
    assert arm.manipulability(np.zeros(7)) < 1e-8
    with pytest.raises(SingularityError, match="singular"):
        arm.manipulability_gradient(np.zeros(7))
    with pytest.raises(SingularityError, match="singular"):
        arm.manipulability_gradient(np.vstack([arm.random_q(rng=0), np.zeros(7)]))
    grad = arm.manipulability_gradient(np.full(7, 0.4), translational=True)
    assert np.isfinite(grad).all()
