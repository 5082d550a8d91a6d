"""Control of any point on any link, orientation targets in three forms, and Coriolis
compensation, checked against PyBullet and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pytest

from armjac.control import OSC, HybridForceOSC, as_quaternion, pose_target
from armjac.control.orientation import matrix_from_quat, quat_from_matrix
from armjac.errors import InputError
from armjac.sim import ArmSim, PyBulletModel
from armjac.sim.pybullet_model import link_pose

TOOL = np.array([0.02, -0.03, 0.12])  # a tool centre point in the flange frame, m


def _rodrigues(rotvec: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(rotvec)
    k = rotvec / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx


def test_tool_point_torques_match_pybullet_source(arms, rng):
    arm = arms("kuka_iiwa")
    pbm = PyBulletModel(arm)
    try:
        kw = dict(kp=150.0, ctrlr_dof=[True] * 6, use_dJ=False, torque_limits=np.full(7, 1e6),
                  point=TOOL, vmax=None)  # fmt: skip
        for link in (None, "lbr_iiwa_link_5"):
            a, b = OSC(arm, link=link, **kw), OSC(pbm, link=link, **kw)
            for _ in range(3):
                q, dq = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7) * 0.3
                target = pose_target(rng.normal(size=3) * 0.2 + [0.4, 0, 0.5], rng.normal(size=3))
                np.testing.assert_allclose(a.generate(q, dq, target), b.generate(q, dq, target),
                                           atol=1e-3, rtol=1e-6)  # fmt: skip
    finally:
        pbm.close()


def test_tool_point_reaches_its_target_in_pybullet(arms):
    arm = arms("kuka_iiwa")
    q0 = arm.home.copy()
    target_pos = arm.position(q0, point=TOOL) + [0.05, -0.04, 0.03]
    target_rot = arm.fk(q0)[:3, :3]
    ctrl = OSC(arm, point=TOOL, ctrlr_dof=[True] * 6, kp=200.0)
    with ArmSim(arm, q0=q0) as sim:
        target = pose_target(target_pos, target_rot)
        for _ in range(1500):
            fb = sim.get_feedback()
            sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
        pos, orn = sim.ee_pose()  # PyBullet's own flange frame
    rot = np.array(pb.getMatrixFromQuaternion(orn.tolist())).reshape(3, 3)
    tool = pos + rot @ TOOL
    assert np.linalg.norm(tool - target_pos) < 1e-3
    # The flange origin itself is elsewhere: the tool point, not the flange, was controlled.
    assert np.linalg.norm(pos - target_pos) > 0.05
    np.testing.assert_allclose(rot, target_rot, atol=2e-3)


def test_an_intermediate_link_is_controlled(arms):
    arm = arms("kuka_iiwa")
    link = "lbr_iiwa_link_4"
    q0 = arm.home.copy()
    # Link 4's origin lies on joint 3's axis, so it can only move on a sphere about the
    # shoulder: a reachable target is the FK of a nearby posture.
    target = arm.fk(q0 + [0.1, -0.1, 0.0, 0.2, 0, 0, 0], link)[:3, 3]
    assert np.linalg.norm(target - arm.fk(q0, link)[:3, 3]) > 0.03
    ctrl = OSC(arm, link=link, kp=200.0)
    with ArmSim(arm, q0=q0) as sim:
        for _ in range(1500):
            fb = sim.get_feedback()
            sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
        pos, _ = link_pose(sim.client_id, sim.body_id, sim.link_index[link])
    assert np.linalg.norm(np.array(pos) - target) < 1e-3


def test_orientation_targets_in_every_form_give_the_same_torques(arms, rng):
    arm = arms("kuka_iiwa")
    osc = OSC(arm, ctrlr_dof=[True] * 6)
    q, dq = arm.home + rng.normal(size=7) * 0.1, rng.normal(size=7) * 0.1
    pos = arm.fk(q)[:3, 3] + [0.02, 0.0, -0.01]
    rotvec = rng.normal(size=3) * 0.5
    rot = _rodrigues(rotvec)  # independent of armjac's conversions
    quat = quat_from_matrix(rot)
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = rot, pos
    forms = [np.concatenate((pos, quat)), np.concatenate((pos, -quat * 3.0)),
             np.concatenate((pos, rotvec)), pose, pose_target(pos, rot),
             pose_target(pos, rotvec), pose_target(pos, list(quat))]  # fmt: skip
    torques = []
    for target in forms:
        osc.reset()
        torques.append(osc.generate(q, dq, target))
    for u in torques[1:]:
        np.testing.assert_allclose(u, torques[0], atol=1e-9)
    np.testing.assert_allclose(matrix_from_quat(as_quaternion(rotvec)), rot, atol=1e-12)


@pytest.mark.parametrize(
    ("orientation", "words"),
    [
        (np.eye(3) * 2.0, "not a rotation"),
        (np.diag([1.0, 1.0, -1.0]), "not a rotation"),
        (np.zeros(4), "non-zero"),
        (np.zeros(5), "quaternion"),
        ([np.nan, 0, 0], "finite"),
    ],
)
def test_bad_orientations_are_refused(orientation, words):
    with pytest.raises(InputError, match=words):
        pose_target([0.1, 0.2, 0.3], orientation)


def test_point_is_checked(arms):
    arm = arms("kuka_iiwa")
    for point in ([0.1, 0.2], [np.nan, 0, 0], "tip"):
        with pytest.raises(InputError, match="point"):
            OSC(arm, point=point)
    with pytest.raises(InputError, match="link"):
        OSC(arm, link=3)


def test_use_c_adds_exactly_the_coriolis_torques_pybullet_computes(arms, rng):
    arm = arms("kuka_iiwa")
    pbm = PyBulletModel(arm)
    try:
        kw = dict(ctrlr_dof=[True] * 6, torque_limits=np.full(7, 1e9), vmax=None)
        for cls in (OSC, HybridForceOSC):
            plain, with_c = cls(arm, use_C=False, **kw), cls(arm, use_C=True, **kw)
            for _ in range(3):
                q, dq = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7)
                target = np.concatenate(
                    (arm.fk(q)[:3, 3] + 0.02, quat_from_matrix(arm.fk(q)[:3, :3]))
                )
                g = pbm.gravity(q)  # also sets PyBullet's gravity for the call below
                full = pbm._full(q)
                h = np.asarray(pb.calculateInverseDynamics(
                    pbm.body, full, pbm._full(dq), [0.0] * len(full), physicsClientId=pbm.client
                ))[pbm._cols]  # fmt: skip
                extra = with_c.generate(q, dq, target) - plain.generate(q, dq, target)
                np.testing.assert_allclose(extra, h - g, atol=1e-8)
                assert np.linalg.norm(h - g) > 0.1  # the check is not vacuous
    finally:
        pbm.close()


def test_use_c_needs_dynamics_with_coriolis_terms(arms):
    arm = arms("kuka_iiwa")
    pbm = PyBulletModel(arm)
    try:
        with pytest.raises(InputError, match="use_C"):
            OSC(pbm, use_C=True)
        assert OSC(pbm, dynamics=arm, use_C=True).use_C
    finally:
        pbm.close()
