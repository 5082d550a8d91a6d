"""The OSC step against the textbook law written out with ``numpy.linalg.inv``.

Every torque the controller returns is compared with the same law computed
here term by term from the arm's separate ``fk``/``jacobian``/``dJdq``/``M``/``g``
calls, the null-space tasks' formulas written by hand, explicit inverses and
explicit projectors, so a change in how the controller solves (Cholesky,
stacked solves, fused tasks) cannot move its answer unseen.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from armjac.control import OSC, JointLimitAvoidance, RestingPosture
from armjac.control.orientation import quat_from_matrix

inv = np.linalg.inv


def _rotvec(rot: np.ndarray) -> np.ndarray:
    """Rotation vector of a rotation matrix by the matrix log (angles well below pi)."""
    angle = math.acos(max(-1.0, min(1.0, (np.trace(rot) - 1.0) / 2.0)))
    axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    return axis * (angle / (2.0 * math.sin(angle))) if angle > 1e-12 else 0.5 * axis


def _matrix(quat) -> np.ndarray:
    x, y, z, w = np.asarray(quat) / np.linalg.norm(quat)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # fmt: skip


def _posture(q, dq, q_rest, kp):
    wrapped = (q_rest - q + np.pi) % (2 * np.pi) - np.pi
    return kp * wrapped - 2.0 * math.sqrt(kp) * dq


def _joint_limits(q, limits, margin=0.2, gain=50.0):
    lo, hi = limits[:, 0], limits[:, 1]
    out = np.zeros_like(q)
    for i in range(q.size):
        if q[i] < lo[i] + margin:
            out[i] = min(gain, (lo[i] + margin - q[i]) * gain / margin)
        elif q[i] > hi[i] - margin:
            out[i] = -min(gain, (q[i] - hi[i] + margin) * gain / margin)
    return out


def textbook(arm, q, dq, target, *, kp, rows, vmax, null, kvn, metric, use_c, vel, acc, limits):
    """u = J^T Mx (a - dJ dq) + M P qdd_null - kvn (I - J^T Jbar^T) M dq + g (+ C dq)."""
    tf = arm.fk(q)
    jac = arm.jacobian(q)[rows]
    djdq = arm.dJdq(q, dq)[rows]
    mass, grav = arm.mass_matrix(q), arm.gravity(q)
    err = target[:3] - tf[:3, 3]
    if len(rows) == 6:
        err = np.concatenate((err, _rotvec(_matrix(target[3:]) @ tf[:3, :3].T)))
    kv = 2.0 * math.sqrt(kp)
    v = kp / kv * err
    for part, limit in ((slice(0, 3), vmax[0]), (slice(3, None), vmax[1])):
        speed = np.linalg.norm(v[part])
        if speed > limit:
            v[part] *= limit / speed
    a = kv * (v - jac @ dq + vel[rows]) + acc[rows] - djdq
    minv = inv(mass)
    mx = inv(jac @ minv @ jac.T)
    jbar = minv @ jac.T @ mx
    eye = np.eye(arm.dof)
    qdd = sum(task(q, dq) for task in null) if null else np.zeros(arm.dof)
    proj = eye - jac.T @ inv(jac @ jac.T) @ jac if metric == "joint" else eye - jbar @ jac
    u = jac.T @ mx @ a + mass @ proj @ qdd - kvn * (eye - jac.T @ jbar.T) @ mass @ dq + grav
    if use_c:
        u += arm.nonlinear_effects(q, dq) - grav
    return np.clip(u, -limits, limits)


CASES = [
    # (arm, rows, null tasks, metric, vmax, use_C)
    ("kuka_iiwa", [0, 1, 2], "posture+limits", "joint", (1.0, np.inf), False),
    ("kuka_iiwa", [0, 1, 2], "limits", "joint", (0.05, np.inf), False),
    ("kuka_iiwa", [0, 1, 2, 3, 4, 5], "posture+limits", "joint", (1.0, 3.0), False),
    ("kuka_iiwa", [0, 1, 2, 3, 4, 5], "posture", "inertia", (0.05, 0.1), True),
    ("kuka_iiwa", [0, 1, 2], "none", "joint", (np.inf, np.inf), True),
    ("franka_panda", [0, 1, 2], "posture+limits", "joint", (1.0, np.inf), True),
    ("franka_panda", [0, 1, 2, 3, 4, 5], "posture+limits", "joint", (0.05, 0.1), False),
    ("franka_panda", [0, 1, 2], "posture", "inertia", (1.0, np.inf), False),
]


@pytest.mark.parametrize(("name", "rows", "tasks", "metric", "vmax", "use_c"), CASES)
@pytest.mark.parametrize("limited", [False, True])
def test_osc_step_matches_the_textbook_law(arms, rng, name, rows, tasks, metric, vmax, use_c,
                                           limited):  # fmt: skip
    arm = arms(name)
    n = arm.dof
    lim = arm.joint_limits
    q_rest = arm.home + 0.3
    null_objs, null_fns = [], []
    if "posture" in tasks:
        null_objs.append(RestingPosture(q_rest, kp=10.0))
        null_fns.append(lambda q, dq: _posture(q, dq, q_rest, 10.0))
    if "limits" in tasks:
        null_objs.append(JointLimitAvoidance(lim))
        null_fns.append(lambda q, dq: _joint_limits(q, lim))
    mask = [i in rows for i in range(6)]
    torque_limits = np.full(n, 20.0 if limited else 1e9)
    ctrl = OSC(arm, kp=300.0, ctrlr_dof=mask, null_controllers=null_objs, null_metric=metric,
               vmax=(vmax[0], vmax[1]) if math.isfinite(vmax[0]) else None, use_C=use_c,
               null_damping=5.0, torque_limits=torque_limits)  # fmt: skip
    home = arm.fk(arm.home)
    clamped = 0
    for trial in range(6):
        q = arm.home + rng.normal(size=n) * 0.3
        if trial % 2:
            q[1] = lim[1, 1] - 0.05  # inside joint 2's margin: the limit task pushes
        dq = rng.normal(size=n) * 0.5
        pos = home[:3, 3] + rng.normal(size=3) * 0.1
        quat = quat_from_matrix(home[:3, :3]) + rng.normal(size=4) * 0.1
        target = np.concatenate((pos, quat / np.linalg.norm(quat)))
        vel, acc = rng.normal(size=6) * 0.1, rng.normal(size=6)
        ref = textbook(arm, q, dq, target, kp=300.0, rows=rows, vmax=vmax, null=null_fns,
                       kvn=5.0, metric=metric, use_c=use_c, vel=vel, acc=acc,
                       limits=torque_limits)  # fmt: skip
        ctrl.reset()
        u = ctrl.generate(q, dq, target, vel, acc)
        clamped += int((np.abs(ref) >= torque_limits).any())
        scale = np.abs(ref).max()
        assert np.abs(u - ref).max() <= 1e-12 * scale, (trial, u, ref)
    # The unlimited case compares the law itself; the limited one its clamp too.
    assert clamped > 0 if limited else clamped == 0


@pytest.mark.parametrize("metric", ["joint", "inertia"])
@pytest.mark.parametrize("rows", [[0, 1, 2], [0, 1, 2, 3, 4, 5]])
def test_hybrid_force_enters_as_jacobian_transpose_torque(arms, rng, metric, rows):
    """With null-space tasks on: u(F) - u(0) = (1 + kp_force) F Jv^T n (no integral, no filter)."""
    from armjac.control import HybridForceOSC

    arm = arms("kuka_iiwa")
    tasks = [RestingPosture(arm.home + 0.3, kp=10.0), JointLimitAvoidance(arm.joint_limits)]
    direction = np.array([0.2, -0.3, 1.0]) / np.linalg.norm([0.2, -0.3, 1.0])
    ctrl = HybridForceOSC(arm, force_direction=direction, kp_force=0.5, ki_force=0.0,
                          force_filter=0.0, ctrlr_dof=[i in rows for i in range(6)],
                          null_controllers=tasks, null_metric=metric,
                          torque_limits=np.full(arm.dof, 1e9))  # fmt: skip
    for _ in range(4):
        q = arm.home + rng.normal(size=arm.dof) * 0.3
        q[1] = arm.joint_limits[1, 1] - 0.05  # the limit task pushes too
        dq = rng.normal(size=arm.dof) * 0.5
        target = np.concatenate((arm.fk(q)[:3, 3] + 0.02, quat_from_matrix(arm.fk(q)[:3, :3])))
        force = 7.0
        ctrl.reset()
        u0 = ctrl.generate(q, dq, target, force_target=0.0)
        ctrl.reset()
        u1 = ctrl.generate(q, dq, target, force_target=force)
        expected = 1.5 * force * arm.jacobian(q)[:3].T @ direction
        np.testing.assert_allclose(u1 - u0, expected, rtol=1e-10, atol=1e-10 * np.abs(u0).max())


def test_pose_step_follows_a_changing_unnormalised_target(arms, rng):
    """Held, changed and returning targets (quaternions not of unit norm) each give the law."""
    arm = arms("franka_panda")
    n = arm.dof
    q_rest = arm.home + 0.3
    tasks = [RestingPosture(q_rest, kp=10.0), JointLimitAvoidance(arm.joint_limits)]
    fns = [lambda q, dq: _posture(q, dq, q_rest, 10.0),
           lambda q, dq: _joint_limits(q, arm.joint_limits)]  # fmt: skip
    limits = np.full(n, 1e9)
    ctrl = OSC(arm, kp=300.0, ctrlr_dof=[True] * 6, null_controllers=tasks, vmax=(1.0, 3.0),
               null_damping=5.0, torque_limits=limits, task_velocity="jacobian")  # fmt: skip
    home = arm.fk(arm.home)
    quats = [quat_from_matrix(home[:3, :3]) * 3.0, rng.normal(size=4) * 0.2]
    zero = np.zeros(6)
    for k in (0, 0, 1, 1, 0, 1):
        q = arm.home + rng.normal(size=n) * 0.3
        dq = rng.normal(size=n) * 0.5
        target = np.concatenate((home[:3, 3] + rng.normal(size=3) * 0.1, quats[k]))
        ref = textbook(arm, q, dq, target, kp=300.0, rows=list(range(6)), vmax=(1.0, 3.0),
                       null=fns, kvn=5.0, metric="joint", use_c=False, vel=zero, acc=zero,
                       limits=limits)  # fmt: skip
        u = ctrl.generate(q, dq, target)
        assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max(), (k, u, ref)
