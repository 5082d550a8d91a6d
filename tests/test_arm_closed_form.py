"""The planar arms against closed forms written out by hand.

Both arms move in the vertical x-z plane with joint axes along -y, so with
theta_k = q_1 + ... + q_k a link of length L adds (L cos theta_k, 0, L sin theta_k)
and every joint's angular velocity is -y. Links are uniform rods (centre of mass
at half length, inertia I about y); the end effector is a point mass at the tip.
"""

from __future__ import annotations

import numpy as np
import pytest

G = 9.81
# (length, mass, I_yy) per link, then the tip mass and its I_yy (planar*.urdf).
PLANAR2 = ([(0.5, 1.0, 0.0208333333333333), (0.4, 0.8, 0.0106666666666667)], 0.1, 1e-5)
PLANAR3 = (
    [(0.5, 1.0, 0.0208333333333333), (0.4, 0.8, 0.0106666666666667), (0.3, 0.5, 0.00375)],
    0.1,
    1e-5,
)


def test_planar2_fk_jacobian_by_hand(arms, rng):
    arm = arms("planar2")
    l1, l2 = 0.5, 0.4
    for _ in range(20):
        q1, q2 = arm.random_q(rng=rng)
        c1, s1, c12, s12 = np.cos(q1), np.sin(q1), np.cos(q1 + q2), np.sin(q1 + q2)
        t = arm.fk([q1, q2])
        np.testing.assert_allclose(
            t[:3, 3], [l1 * c1 + l2 * c12, 0, l1 * s1 + l2 * s12], atol=1e-12
        )
        # Rotation about -y by q1 + q2.
        np.testing.assert_allclose(
            t[:3, :3], [[c12, 0, -s12], [0, 1, 0], [s12, 0, c12]], atol=1e-12
        )
        expected = np.array(
            [
                [-l1 * s1 - l2 * s12, -l2 * s12],
                [0, 0],
                [l1 * c1 + l2 * c12, l2 * c12],
                [0, 0],
                [-1, -1],
                [0, 0],
            ]
        )
        np.testing.assert_allclose(arm.jacobian([q1, q2]), expected, atol=1e-12)


def test_planar2_dynamics_by_hand(arms, rng):
    arm = arms("planar2")
    (l1, m1, i1), (l2, m2, i2) = PLANAR2[0]
    me, ie = PLANAR2[1], PLANAR2[2]
    lc1, lc2 = l1 / 2, l2 / 2
    for _ in range(20):
        q1, q2 = arm.random_q(rng=rng)
        dq = rng.normal(size=2)
        c1, c2, c12, s1, s12 = np.cos(q1), np.cos(q2), np.cos(q1 + q2), np.sin(q1), np.sin(q1 + q2)
        m11 = (
            i1 + m1 * lc1**2
            + i2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * c2)
            + ie + me * (l1**2 + l2**2 + 2 * l1 * l2 * c2)
        )  # fmt: skip
        m12 = i2 + m2 * (lc2**2 + l1 * lc2 * c2) + ie + me * (l2**2 + l1 * l2 * c2)
        m22 = i2 + m2 * lc2**2 + ie + me * l2**2
        np.testing.assert_allclose(arm.mass_matrix([q1, q2]), [[m11, m12], [m12, m22]], atol=1e-12)
        g1 = G * (m1 * lc1 * c1 + m2 * (l1 * c1 + lc2 * c12) + me * (l1 * c1 + l2 * c12))
        g2 = G * (m2 * lc2 + me * l2) * c12
        np.testing.assert_allclose(arm.gravity([q1, q2]), [g1, g2], atol=1e-12)
        # Tip acceleration at qdd = 0: centripetal terms of each link.
        w1, w12 = dq[0], dq[0] + dq[1]
        acc = [
            -l1 * c1 * w1**2 - l2 * c12 * w12**2,
            0,
            -l1 * s1 * w1**2 - l2 * s12 * w12**2,
            0,
            0,
            0,
        ]
        np.testing.assert_allclose(arm.dJdq([q1, q2], dq), acc, atol=1e-12)


def _planar_by_hand(q, links, tip_mass, tip_inertia):
    """FK, position Jacobian (x and z rows), M and g of an n-link planar arm."""
    theta = np.cumsum(q)
    n = len(q)
    lengths = np.array([lk[0] for lk in links])

    # A point at distance r along link k sits at sum_{j<k} L_j u(theta_j) + r u(theta_k).
    def point_jac(k, r):
        jac = np.zeros((2, n))
        for i in range(k + 1):  # joint i moves every segment from link i on
            for j in range(i, k + 1):
                d = r if j == k else lengths[j]
                jac[0, i] += -d * np.sin(theta[j])
                jac[1, i] += d * np.cos(theta[j])
        return jac

    mass = np.zeros((n, n))
    grav = np.zeros(n)
    for k, (length, m, inertia) in enumerate(links):
        jv = point_jac(k, length / 2)
        jw = np.array([1.0 if i <= k else 0.0 for i in range(n)])
        mass += m * jv.T @ jv + inertia * np.outer(jw, jw)
        grav += G * m * jv[1]
    jv_tip = point_jac(n - 1, lengths[-1])
    mass += tip_mass * jv_tip.T @ jv_tip + tip_inertia * np.ones((n, n))
    grav += G * tip_mass * jv_tip[1]
    tip = np.array([lengths @ np.cos(theta), 0.0, lengths @ np.sin(theta)])
    return tip, jv_tip, mass, grav


@pytest.mark.parametrize("name,params", [("planar2", PLANAR2), ("planar3", PLANAR3)])
def test_planar_general_closed_form(arms, rng, name, params):
    arm = arms(name)
    for _ in range(20):
        q = arm.random_q(rng=rng)
        tip, jv, mass, grav = _planar_by_hand(q, *params)
        np.testing.assert_allclose(arm.fk(q)[:3, 3], tip, atol=1e-12)
        np.testing.assert_allclose(arm.jacobian(q)[[0, 2]], jv, atol=1e-12)
        np.testing.assert_allclose(arm.jacobian(q)[4], -np.ones(arm.dof), atol=1e-12)
        np.testing.assert_allclose(arm.mass_matrix(q), mass, atol=1e-12)
        np.testing.assert_allclose(arm.gravity(q), grav, atol=1e-12)


def test_symbolic_results_expand_to_the_compiled_ones(arms, rng):
    """The derivation written out in sympy gives the kernels' numbers."""
    import sympy as sp

    arm = arms("planar2")
    d = arm.symbolic
    jac = d.sympy(d.jacobian(arm.ee_link))
    mass = d.sympy(d.mass_matrix())
    q = arm.random_q(rng=rng)
    point = {sp.Symbol(n, real=True): 0.0 for n in ("px", "py", "pz")}
    values = {sp.Symbol(f"q{i}", real=True): v for i, v in enumerate(q)} | point
    np.testing.assert_allclose(np.array(jac.subs(values), dtype=float), arm.jacobian(q), atol=1e-12)
    np.testing.assert_allclose(
        np.array(mass.subs(values), dtype=float), arm.mass_matrix(q), atol=1e-12
    )
