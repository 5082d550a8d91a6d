"""The OSC, hybrid and joint-PD laws against hand-computed cases and independent sources."""

from __future__ import annotations

import math

import numpy as np
import pytest

from armjac.control import OSC, HybridForceOSC, JointDamping, JointPD, RestingPosture
from armjac.control.linalg import damped_inverse_sym
from armjac.control.orientation import matrix_from_quat, orientation_error, quat_from_matrix
from armjac.errors import InputError


class IdentitySource:
    """A fake N=6 (or 3) arm whose Jacobian is the identity: x = q, so Mx = M."""

    def __init__(self, rng, rows: int = 6):
        self.dof = rows
        a = rng.normal(size=(rows, rows))
        self.M = a @ a.T + rows * np.eye(rows)
        self.g = rng.normal(size=rows)
        self.effort_limits = np.full(rows, 1e9)

    def fk(self, q, link=None):
        t = np.eye(4)
        t[:3, 3] = q[:3]
        return t if self.dof == 6 else np.asarray(q[:3], dtype=float)

    def jacobian(self, q, link=None, point=None):
        return np.eye(self.dof)

    def mass_matrix(self, q):
        return self.M

    def gravity(self, q):
        return self.g


def test_identity_jacobian_gives_mx_equal_m(rng):
    src = IdentitySource(rng, rows=3)
    osc = OSC(src, kp=50.0, kv=7.0, vmax=None)
    q, dq = rng.normal(size=3), rng.normal(size=3)
    target = rng.normal(size=3)
    u = osc.generate(q, dq, target)
    # J = I: u = M (kp e - kv dq) + g, since Mx = (I M^-1 I)^-1 = M.
    expected = src.M @ (50.0 * (target - q) - 7.0 * dq) + src.g
    np.testing.assert_allclose(u, expected, rtol=1e-10, atol=1e-10)


def test_identity_jacobian_with_orientation_and_feedforward(rng):
    src = IdentitySource(rng, rows=6)
    osc = OSC(src, kp=40.0, ko=30.0, kv=9.0, kvo=8.0, ctrlr_dof=[True] * 6, vmax=None)
    q = np.zeros(6)
    q[:3] = rng.normal(size=3)
    dq = rng.normal(size=6)
    # Target orientation: 0.3 rad about z; the current one is the identity.
    target = np.concatenate((rng.normal(size=3), [0, 0, math.sin(0.15), math.cos(0.15)]))
    v_d, a_d = rng.normal(size=6), rng.normal(size=6)
    u = osc.generate(q, dq, target, target_velocity=v_d, target_acceleration=a_d)
    e = np.concatenate((target[:3] - q[:3], [0, 0, 0.3]))
    gains_p = np.array([40.0] * 3 + [30.0] * 3)
    gains_v = np.array([9.0] * 3 + [8.0] * 3)
    expected = src.M @ (gains_p * e + gains_v * (v_d - dq) + a_d) + src.g
    np.testing.assert_allclose(u, expected, rtol=1e-9, atol=1e-9)


def test_damped_inverse_is_exact_when_well_conditioned_and_bounded_otherwise(rng):
    a = rng.normal(size=(6, 6))
    spd = a @ a.T + np.eye(6)
    np.testing.assert_allclose(damped_inverse_sym(spd, 1e-3), np.linalg.inv(spd), rtol=1e-9)
    v = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    singular = (v * [0.0, 1e-9, 1e-5, 0.5, 1.0, 2.0]) @ v.T
    inv = damped_inverse_sym(singular, 1e-3)
    assert np.isfinite(inv).all()
    assert np.linalg.eigvalsh(inv).max() <= 1e3 * (1 + 1e-9)


def test_singular_jacobian_gives_finite_bounded_torques(arms, rng):
    arm = arms("kuka_iiwa")
    q = np.zeros(7)  # fully stretched: the arm is singular
    jac = arm.jacobian(q)
    assert np.linalg.svd(jac, compute_uv=False)[-1] < 1e-9
    thr = 1e-3
    osc = OSC(arm, kp=100.0, ctrlr_dof=[True] * 6, torque_limits=np.full(7, 1e12),
              singular_threshold=thr)  # fmt: skip
    target = np.concatenate((arm.fk(q)[:3, 3] + [0.05, 0.02, -0.1], [0, 0, 0, 1]))
    dq = rng.normal(size=7) * 0.1
    u = osc.generate(q, dq, target)
    assert np.isfinite(u).all()
    # |J^T Mx a| <= |J| |Mx| |a| with |Mx| <= 1/threshold.
    e = osc.task_error(q, target)
    a = 100.0 * e - 20.0 * (jac @ dq) - arm.dJdq(q, dq)
    bound = np.linalg.norm(jac, 2) * (1.0 / thr) * np.linalg.norm(a)
    assert np.linalg.norm(u - arm.gravity(q)) <= bound


def test_torques_respect_effort_limits(arms):
    arm = arms("franka_panda")
    osc = OSC(arm, kp=1e6)
    u = osc.generate(arm.home, np.zeros(7), arm.fk(arm.home)[:3, 3] + [0.5, 0.5, 0.5])
    assert (np.abs(u) <= arm.effort_limits + 1e-12).all()
    assert np.isclose(np.abs(u), arm.effort_limits).any()


def test_null_space_torques_do_not_accelerate_the_task(arms, rng):
    arm = arms("kuka_iiwa")
    q, dq = arm.home + rng.normal(size=7) * 0.1, rng.normal(size=7)
    target = arm.fk(q)[:3, 3] + 0.05
    plain = OSC(arm, kp=100.0, torque_limits=np.full(7, 1e9))
    tasks = [RestingPosture(np.zeros(7), kp=50.0), JointDamping(5.0)]
    nulled = OSC(arm, kp=100.0, torque_limits=np.full(7, 1e9), null_controllers=tasks)
    extra = nulled.generate(q, dq, target) - plain.generate(q, dq, target)
    assert np.linalg.norm(extra) > 1.0  # the posture task does push
    # Task acceleration from the extra torques: J M^-1 du = 0 for the controlled rows.
    jv = arm.jacobian(q)[:3]
    np.testing.assert_allclose(jv @ np.linalg.solve(arm.mass_matrix(q), extra), 0, atol=1e-9)


def test_orientation_error_rotates_current_onto_target(rng):
    for _ in range(20):
        qt, qc = rng.normal(size=4), rng.normal(size=4)
        qt, qc = qt / np.linalg.norm(qt), qc / np.linalg.norm(qc)
        e = orientation_error(qt, qc)
        angle = np.linalg.norm(e)
        assert angle <= math.pi + 1e-12
        # Rodrigues: exp([e]x) @ R_current == R_target
        k = e / angle
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rot = np.eye(3) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx
        np.testing.assert_allclose(rot @ matrix_from_quat(qc), matrix_from_quat(qt), atol=1e-12)
        np.testing.assert_allclose(matrix_from_quat(quat_from_matrix(matrix_from_quat(qt))),
                                   matrix_from_quat(qt), atol=1e-12)  # fmt: skip


def test_pybullet_and_analytic_sources_give_the_same_torques(arms, rng):
    from armjac.sim.pybullet_model import PyBulletModel

    arm = arms("kuka_iiwa")
    pbm = PyBulletModel(arm)
    try:
        # No clamp: saturated torques would agree whatever the sources said.
        kw = dict(kp=200.0, ctrlr_dof=[True] * 6, use_dJ=False, torque_limits=np.full(7, 1e6),
                  null_controllers=[RestingPosture(arm.home, kp=10.0)])  # fmt: skip
        a, b = OSC(arm, **kw), OSC(pbm, **kw)
        for _ in range(5):
            q, dq = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7) * 0.3
            target = np.concatenate((arm.fk(q)[:3, 3] + rng.normal(size=3) * 0.05,
                                     quat_from_matrix(arm.fk(arm.home)[:3, :3])))  # fmt: skip
            ua, ub = a.generate(q, dq, target), b.generate(q, dq, target)
            # PyBullet's link poses carry ~1e-7 m of error; times kp·Mx that is ~1e-4 N·m.
            np.testing.assert_allclose(ua, ub, atol=1e-3, rtol=1e-6)
    finally:
        pbm.close()


class PositionOnly:
    """A position-only source without dynamics, like a learned model, built on the analytic arm.

    ``jac_error`` (N, N) makes its Jacobian ``J_v (I + jac_error)``: an approximate one.
    """

    def __init__(self, arm, fk_offset=(0.0, 0.0, 0.0), jac_error=None):
        self.arm, self.dof = arm, arm.dof
        self.offset = np.asarray(fk_offset)
        self.scale = np.eye(arm.dof) if jac_error is None else np.eye(arm.dof) + jac_error

    def fk(self, q, link=None):
        return self.arm.fk(q)[:3, 3] + self.offset

    def jacobian(self, q, link=None, point=None):
        return self.arm.jacobian(q)[:3] @ self.scale


def test_position_only_source_uses_trusted_fk_by_default(arms, rng):
    arm = arms("kuka_iiwa")
    q, dq = arm.home + rng.normal(size=7) * 0.1, rng.normal(size=7) * 0.2
    target = arm.fk(q)[:3, 3] + [0.03, -0.02, 0.04]
    reference = OSC(arm, kp=150.0, use_dJ=False).generate(q, dq, target)
    src = PositionOnly(arm, fk_offset=[0.01, 0, 0])
    trusted = OSC(src, kp=150.0, dynamics=arm).generate(q, dq, target)
    np.testing.assert_allclose(trusted, reference, rtol=1e-10, atol=1e-10)
    own = OSC(src, kp=150.0, dynamics=arm, fk_source="source")
    own.generate(q, dq, target)
    np.testing.assert_allclose(own.error, target - arm.fk(q)[:3, 3] - [0.01, 0, 0], atol=1e-12)


def test_position_only_source_refuses_orientation_and_needs_dynamics(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="orientation control"):
        OSC(PositionOnly(arm), dynamics=arm, ctrlr_dof=[True] * 6)
    with pytest.raises(InputError, match="dynamics="):
        OSC(PositionOnly(arm))
    with pytest.raises(InputError, match="fk_source"):
        OSC(arm, fk_source="elsewhere")


def test_bad_inputs_to_generate(arms):
    arm = arms("kuka_iiwa")
    osc = OSC(arm, ctrlr_dof=[True] * 6)
    pose = np.concatenate((arm.fk(arm.home)[:3, 3], [0, 0, 0, 1]))
    with pytest.raises(InputError, match="shape"):
        osc.generate(np.zeros(6), np.zeros(7), pose)
    with pytest.raises(InputError, match="finite"):
        osc.generate(np.full(7, np.nan), np.zeros(7), pose)
    with pytest.raises(InputError, match="7 values"):
        osc.generate(arm.home, np.zeros(7), pose[:3])
    with pytest.raises(InputError, match="quaternion"):
        osc.generate(arm.home, np.zeros(7), np.concatenate((pose[:3], [0, 0, 0, 0])))
    with pytest.raises(InputError, match="ctrlr_dof"):
        OSC(arm, ctrlr_dof=[True, True])


def test_hybrid_law_on_identity_jacobian(rng):
    src = IdentitySource(rng, rows=3)
    ctrl = HybridForceOSC(src, kp=40.0, kv=9.0, kp_force=0.5, ki_force=0.0, kv_force=20.0,
                          force_filter=0.0, vmax=None)  # fmt: skip
    q, dq, target = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    u = ctrl.generate(q, dq, target, force_target=[0, 0, -10.0], force_measured=[0, 0, -8.0])
    a = 40.0 * (target - q) - 9.0 * dq
    a[2] = -20.0 * dq[2]  # z is force-controlled: only damped
    f_cmd = -10.0 + 0.5 * (-10.0 - -8.0)
    expected = src.M @ a + np.array([0, 0, f_cmd]) + src.g
    np.testing.assert_allclose(u, expected, rtol=1e-10, atol=1e-10)


def test_joint_pd_law(arms, rng):
    arm = arms("planar3")
    pd = JointPD(arm, kp=[10.0, 20.0, 30.0], kv=[1.0, 2.0, 3.0], torque_limits=np.full(3, 1e6))
    q, dq, qd = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    expected = np.array([10, 20, 30]) * (qd - q) - np.array([1, 2, 3]) * dq + arm.gravity(q)
    np.testing.assert_allclose(pd.generate(q, dq, qd), expected, rtol=1e-12)


class FourJoints:
    """N=4, J = [[1,0,0,1], [0,1,0,0], [0,0,1,0]], M = diag(4, 1, 1, 1/4).

    The null space of J is along n = (1, 0, 0, -1); the last joint is the light one.
    """

    dof = 4
    effort_limits = np.full(4, 1e9)
    J = np.array([[1.0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]])
    M = np.diag([4.0, 1.0, 1.0, 0.25])

    def fk(self, q, link=None):
        return self.J @ q

    def jacobian(self, q, link=None, point=None):
        return self.J

    def mass_matrix(self, q):
        return self.M

    def gravity(self, q):
        return np.zeros(4)


class ConstantAcceleration:
    def __init__(self, qdd):
        self.qdd = np.asarray(qdd, dtype=float)

    def generate(self, q, dq):
        return self.qdd


@pytest.mark.parametrize(
    ("metric", "expected_qdd"),
    [
        # Euclidean projection of (0,0,0,1) onto n: n (n . qdd) / (n . n) = (-1/2, 0, 0, 1/2).
        ("joint", [-0.5, 0.0, 0.0, 0.5]),
        # M-orthogonal projection: n (n^T M qdd) / (n^T M n) = (1,0,0,-1) (-1/4) / (17/4).
        ("inertia", [-1 / 17, 0.0, 0.0, 1 / 17]),
    ],
)
def test_null_space_projection_metric_on_hand_computed_case(metric, expected_qdd, rng):
    src = FourJoints()
    q, dq, target = rng.normal(size=4), rng.normal(size=4), rng.normal(size=3)
    plain = OSC(src, kp=30.0, null_metric=metric)
    nulled = OSC(src, kp=30.0, null_metric=metric,
                 null_controllers=[ConstantAcceleration([0, 0, 0, 1.0])])  # fmt: skip
    extra = nulled.generate(q, dq, target) - plain.generate(q, dq, target)
    np.testing.assert_allclose(extra, src.M @ expected_qdd, atol=1e-12)
    np.testing.assert_allclose(src.J @ np.linalg.solve(src.M, extra), 0.0, atol=1e-12)


def test_task_velocity_and_djdq_from_the_last_step_for_an_approximate_jacobian(arms, rng):
    arm = arms("kuka_iiwa")
    src = PositionOnly(arm, jac_error=rng.normal(size=(7, 7)) * 0.05)
    assert OSC(arm).task_velocity == "jacobian"  # J is the sensor's own derivative
    assert OSC(src, dynamics=arm, fk_source="source").task_velocity == "jacobian"
    dt, kp, kv = 1e-3, 150.0, 20.0
    osc = OSC(src, kp=kp, kv=kv, dynamics=arm, dt=dt, null_damping=0.0)
    assert osc.task_velocity == "sensor"
    q0 = arm.home + rng.normal(size=7) * 0.1
    dq0, dq1 = rng.normal(size=7) * 0.3, rng.normal(size=7) * 0.3
    q1 = q0 + dq0 * dt
    target = arm.fk(q0)[:3, 3] + [0.02, -0.01, 0.03]

    def law(q, dq, xdot, djdq):
        jac, mass = src.jacobian(q), arm.mass_matrix(q)
        mx = np.linalg.inv(jac @ np.linalg.solve(mass, jac.T))
        a = kp * (target - arm.fk(q)[:3, 3]) - kv * xdot - djdq
        return jac.T @ mx @ a + arm.gravity(q)

    # First step: nothing to difference yet, so J dq and no dJ dq.
    first = law(q0, dq0, src.jacobian(q0) @ dq0, np.zeros(3))
    np.testing.assert_allclose(osc.generate(q0, dq0, target), first, rtol=1e-9, atol=1e-9)
    # Next step: the measured position's change and the Jacobian's change over dt.
    xdot = (arm.fk(q1)[:3, 3] - arm.fk(q0)[:3, 3]) / dt
    djdq = (src.jacobian(q1) - src.jacobian(q0)) @ dq1 / dt
    second = law(q1, dq1, xdot, djdq)
    np.testing.assert_allclose(osc.generate(q1, dq1, target), second, rtol=1e-9, atol=1e-9)
    osc.reset()
    np.testing.assert_allclose(osc.generate(q0, dq0, target), first, rtol=1e-9, atol=1e-9)
    with pytest.raises(InputError, match="task_velocity"):
        OSC(arm, task_velocity="guess")
    with pytest.raises(InputError, match="null_metric"):
        OSC(arm, null_metric="mass")
