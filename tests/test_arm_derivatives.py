"""Self-consistency against finite differences: J from FK, dJ/dt·dq from J,
g from the potential energy, M from the kinetic energy."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.symbolic.transforms import rpy_matrix_numeric

H = 1e-6


def _fd_jacobian(arm, q, link=None, point=None):
    """Linear rows from d(position)/dq, angular rows from (dR/dq) R^T."""
    n = arm.dof
    jac = np.zeros((6, n))
    rot = arm.fk(q, link)[:3, :3]
    for i in range(n):
        e = np.zeros(n)
        e[i] = H
        tp, tm = arm.fk(q + e, link), arm.fk(q - e, link)
        pp = arm.position(q + e, link, point)
        pm = arm.position(q - e, link, point)
        jac[:3, i] = (pp - pm) / (2 * H)
        w = (tp[:3, :3] - tm[:3, :3]) / (2 * H) @ rot.T
        jac[3:, i] = [w[2, 1], w[0, 2], w[1, 0]]
    return jac


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "xarm6", "planar3"])
def test_jacobian_is_derivative_of_fk(arms, rng, name):
    arm = arms(name)
    point = np.array([0.05, -0.03, 0.1])
    for _ in range(5):
        q = arm.random_q(rng=rng)
        np.testing.assert_allclose(arm.jacobian(q), _fd_jacobian(arm, q), atol=1e-7)
        np.testing.assert_allclose(
            arm.jacobian(q, point=point), _fd_jacobian(arm, q, point=point), atol=1e-7
        )


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "xarm6"])
def test_djdq_is_time_derivative_of_j(arms, rng, name):
    arm = arms(name)
    point = np.array([0.0, 0.02, 0.05])
    for _ in range(5):
        q, dq = arm.random_q(rng=rng), rng.normal(size=arm.dof)
        fd = (arm.jacobian(q + H * dq, point=point) - arm.jacobian(q - H * dq, point=point)) / (
            2 * H
        )
        np.testing.assert_allclose(arm.dJdq(q, dq, point=point), fd @ dq, atol=1e-7)


def _bodies(arm):
    """(link, mass, com in link frame, inertia tensor in link axes) of every moving link."""
    chain_links = {j.child for j in arm.joints}
    out = []
    for link in arm.model.links:
        path = arm.model.path_to(link.name)
        if link.inertial is None or not any(j.child in chain_links for j in path):
            continue
        inert = link.inertial
        rot = rpy_matrix_numeric(inert.rpy)
        ixx, ixy, ixz, iyy, iyz, izz = inert.inertia
        tensor = rot @ np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]]) @ rot.T
        out.append((link.name, inert.mass, np.array(inert.xyz), tensor))
    return out


@pytest.mark.parametrize("name", ["kuka_iiwa", "xarm6"])
def test_gravity_is_gradient_of_potential_energy(arms, rng, name):
    arm = arms(name)
    bodies = _bodies(arm)
    g_vec = np.array(arm.gravity_vector)

    def potential(q):
        return -sum(m * g_vec @ arm.position(q, link, com) for link, m, com, _ in bodies)

    for _ in range(3):
        q = arm.random_q(rng=rng)
        grad = np.array(
            [(potential(q + H * e) - potential(q - H * e)) / (2 * H) for e in np.eye(arm.dof)]
        )
        np.testing.assert_allclose(arm.gravity(q), grad, atol=1e-6)


@pytest.mark.parametrize("name", ["kuka_iiwa", "xarm6"])
def test_mass_matrix_from_kinetic_energy(arms, rng, name):
    """0.5 dq^T M dq equals the kinetic energy summed link by link from finite-difference
    velocities, for the URDF's own inertias (xarm6's PyBullet reference drops two)."""
    arm = arms(name)
    bodies = _bodies(arm)
    for _ in range(3):
        q, dq = arm.random_q(rng=rng), rng.normal(size=arm.dof)
        energy = 0.0
        for link, m, com, tensor in bodies:
            v = (arm.position(q + H * dq, link, com) - arm.position(q - H * dq, link, com)) / (
                2 * H
            )
            rot = arm.fk(q, link)[:3, :3]
            rdot = (arm.fk(q + H * dq, link)[:3, :3] - arm.fk(q - H * dq, link)[:3, :3]) / (2 * H)
            w_skew = rot.T @ rdot  # body-frame angular velocity
            w = np.array([w_skew[2, 1], w_skew[0, 2], w_skew[1, 0]])
            energy += 0.5 * m * v @ v + 0.5 * w @ tensor @ w
        m_q = arm.mass_matrix(q)
        np.testing.assert_allclose(0.5 * dq @ m_q @ dq, energy, rtol=1e-7)
        np.testing.assert_allclose(m_q, m_q.T, atol=0)
        assert np.linalg.eigvalsh(m_q).min() > 0
