"""Kinematic calibration.

References are independent of armjac.calibration: central finite differences, armjac's
compiled kernels of a URDF built here (rotations by scipy), and hand reasoning about
which parameters a chain cannot tell apart. Also the robust loss, the identifiability
report, the refusals of issue 18 (classes 5, 6, 18), the URDF round trip and the pose
designer's conditioning.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import armjac
from armjac.calibration import (
    CalibratedArm,
    IdentifiabilityWarning,
    KinematicModel,
    design_poses,
    identify,
)
from armjac.errors import InputError
from armjac.mismatch import load_spec, static_samples
from armjac.model.tree import RobotModel

NOISE_FREE = {"encoders": {"noise_deg": 0.0}, "tracker": {"noise_mm": 0.0}}
POINT = np.array([0.0, 0.0, 0.15])


def _spec(arm: str, **geometry) -> dict:
    return {"arm": arm, "geometry": geometry, "tool": {"assumed": [0.05, 0.01, 0.1],
            "error_mm": 3.0, "mass": 0.2}, **NOISE_FREE}  # fmt: skip


@pytest.mark.parametrize("name", ["planar2", "kuka_iiwa"])
@pytest.mark.parametrize("orientation", [False, True])
def test_jacobians_match_finite_differences(arms, name, orientation):
    arm = arms(name)
    model = KinematicModel(arm, orientation=orientation)
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.01, model.n_params)
    q = arm.random_q(4, 1)
    t, d_th, d_q = model.evaluate(q, theta)

    def fd(f, k, n):
        e = np.zeros(n)
        e[k] = 1e-6
        tp, tm = f(e), f(-e)
        dpos = (tp[:, :3, 3] - tm[:, :3, 3]) / 2e-6
        rel = np.einsum("bij,bkj->bik", tp[:, :3, :3] - tm[:, :3, :3], t[:, :3, :3]) / 2e-6
        return np.concatenate([dpos, np.stack([rel[:, 2, 1], rel[:, 0, 2], rel[:, 1, 0]], 1)], 1)

    for k in range(model.n_params):
        col = fd(lambda e: model.evaluate(q, theta + e, False)[0], k, model.n_params)
        np.testing.assert_allclose(d_th[:, :, k], col, atol=1e-8)
    for k in range(arm.dof):
        col = fd(lambda e: model.evaluate(q + e, theta, False)[0], k, arm.dof)
        np.testing.assert_allclose(d_q[:, :, k], col, atol=1e-8)
    # all zero, the tool at a point: the chain is the arm's own (compiled kernels)
    th0 = model.initial([0.1, 0.0, 0.05])
    tip = model.evaluate(q, th0, False)[0][:, :3, 3]
    np.testing.assert_allclose(tip, arm.position(q, point=[0.1, 0.0, 0.05]), atol=1e-12)


def test_the_minimal_set_drops_what_a_chain_cannot_tell_apart(arms):
    """iiwa's joint 1 turns about the base's z axis through its origin: its zero offset is
    the base's rotation about z; its origin shift is the base's shift. Every dropped
    candidate adds no rank on generic poses; every kept one does."""
    arm = arms("kuka_iiwa")
    res = armjac.calibrate(arm, *_kuka_geometric(60), point=POINT)
    dropped = res.identifiability["dropped"]
    assert dropped["lbr_iiwa_joint_1.zero"] == ["base.rz"]
    assert dropped["lbr_iiwa_joint_1.dz"] == ["base.z"]
    model = KinematicModel(arm)
    q = arm.random_q(80, 3)
    jac = model.evaluate(q, model.initial(POINT))[1][:, :3].reshape(-1, model.n_params)
    kept = [model.names.index(n) for n in res.parameters]
    rank = np.linalg.matrix_rank(jac[:, kept] / np.linalg.norm(jac[:, kept], axis=0), tol=1e-8)
    assert rank == len(kept) == res.rank
    norm = np.linalg.norm(jac, axis=0)
    live = norm > 1e-12 * norm.max()  # joint 7's zero does not move a tip on its axis
    assert not live[model.names.index("lbr_iiwa_joint_7.zero")]
    assert np.linalg.matrix_rank(jac[:, live] / norm[live], tol=1e-8) == rank
    assert res.identifiability["condition"] < identify.CONDITION_WARNING


def _kuka_geometric(n, noise=0.0, seed=1):
    spec = {"arm": "kuka_iiwa", "geometry": {"joint_origin_mm": 2.0, "joint_zero_deg": 0.2},
            "tool": {"assumed": POINT.tolist(), "error_mm": 2.0},
            "encoders": {"noise_deg": 0.0}, "tracker": {"noise_mm": noise}}  # fmt: skip
    real = load_spec(spec).realize(0)
    return static_samples(real, n, seed=seed).pairs()


@pytest.fixture(scope="module")
def tilted(arms):
    """A kuka whose axes 2-6 are tilted (a URDF built here, rotations by scipy), seen by a
    tracker tilted 0.5 deg and shifted 5 mm, with zero offsets and a tool error."""
    arm = arms("kuka_iiwa")
    tilts = dict(zip(arm.joint_names[1:6], [0.002, -0.0015, 0.001, 0.0025, -0.002], strict=True))
    joints = []
    for j in arm.model.joints:
        if j.name in tilts:  # about v = axis x u, u = axis x e_x: for a z axis, v = -x
            rot = Rotation.from_euler("xyz", j.rpy) * Rotation.from_rotvec([-tilts[j.name], 0, 0])
            j = dataclasses.replace(j, rpy=tuple(rot.as_euler("xyz")))
        joints.append(j)
    true_arm = armjac.arm.Arm(RobotModel("tilted", arm.model.links, tuple(joints),
                                         source="<tilted>"), ee_link=arm.ee_link)  # fmt: skip
    base_rot = Rotation.from_euler("XYZ", [0.004, -0.006, 0.005])  # Rx Ry Rz, ~0.5 deg
    base_t = np.array([0.003, -0.002, 0.0035])
    zero = np.array([0.0, 0.003, -0.002, 0.001, 0.004, -0.003, 0.0])
    tool = POINT + [0.0, 0.0, 0.002]
    rng = np.random.default_rng(4)
    q_true = arm.random_q(300, rng, 0.05)

    def pose(qt):
        t = true_arm.fk(qt)
        t[:, :3, 3] += t[:, :3, :3] @ tool
        t[:, :3, :] = np.einsum("ij,bjk->bik", base_rot.as_matrix(), t[:, :3, :])
        t[:, :3, 3] += base_t
        return t

    truth = {"tilts": tilts, "base": (base_rot.as_matrix(), base_t), "zero": zero,
             "tool": tool}  # fmt: skip
    return arm, q_true - zero, pose(q_true), truth, pose, zero


def test_recovers_a_known_base_frame_and_axis_tilts_exactly(tilted):
    arm, q, poses, truth, pose, zero = tilted
    res = armjac.calibrate(arm, q, poses[:, :3, 3], point=POINT)
    np.testing.assert_allclose(res.base_frame[:3, :3], truth["base"][0], atol=1e-9)
    np.testing.assert_allclose(res.base_frame[:3, 3], truth["base"][1], atol=1e-10)
    for name, b in truth["tilts"].items():
        assert res.parameters[f"{name}.tilt_v"] == pytest.approx(b, abs=1e-9)
    np.testing.assert_allclose(res.zero_offsets[1:6], truth["zero"][1:6], atol=1e-9)
    np.testing.assert_allclose(res.point, truth["tool"], atol=1e-10)
    q_new = arm.random_q(50, 9, 0.05)
    np.testing.assert_allclose(res.predict(q_new - zero), pose(q_new)[:, :3, 3], atol=1e-9)
    # without the base frame and the axes, the same data leave millimetres
    plain = armjac.calibrate(arm, q, poses[:, :3, 3], point=POINT, base_frame=False, axes=False)
    assert plain.residual_mm["median"] > 0.1


def test_full_tool_poses_identify_the_tool_frame_too(tilted):
    arm, q, poses, truth, pose, zero = tilted
    tool_rot = Rotation.from_rotvec([0.01, -0.02, 0.015]).as_matrix()
    measured = poses.copy()
    measured[:, :3, :3] = poses[:, :3, :3] @ tool_rot
    res = armjac.calibrate(arm, q, measured, point=POINT)
    np.testing.assert_allclose(res.tool_rotation, tool_rot, atol=1e-9)
    q_new = arm.random_q(20, 9, 0.05)
    want = pose(q_new)
    want[:, :3, :3] = want[:, :3, :3] @ tool_rot
    np.testing.assert_allclose(res.predict_pose(q_new - zero), want, atol=1e-9)
    # a complete minimal set for full poses of an all-revolute chain: 4 per joint + 6
    # (Everett and Hollerbach's count); joint 7's zero now turns the tool frame, as tool.rz
    assert res.rank == res.n_params == 4 * 7 + 6
    assert res.identifiability["dropped"]["lbr_iiwa_joint_7.zero"] == ["tool.rz"]
    bad = measured.copy()
    bad[0, :3, :3] *= 1.1
    with pytest.raises(InputError, match=r"x\[0\] is not a rigid transform"):
        armjac.calibrate(arm, q, bad, point=POINT)


def test_huber_shrugs_off_outliers_and_reports_them(arms):
    arm = arms("kuka_iiwa")
    q, x = _kuka_geometric(400, noise=0.5)
    clean = armjac.calibrate(arm, q, x, point=POINT)
    x_bad = x.copy()
    x_bad[7] += [10.0, 0.0, 0.0]  # far from everything: excluded up front
    x_bad[20:30] += [0.05, 0.0, 0.0]  # 5 cm, within reach: down-weighted
    qh, xh = _kuka_geometric(300, noise=0.0, seed=8)
    err = {}
    for loss in ("huber", "squared"):
        res = armjac.calibrate(arm, q, x_bad, point=POINT, loss=loss)
        err[loss] = np.median(np.linalg.norm(res.predict(qh) - xh, axis=1))
        assert 7 in res.outliers
    base = np.median(np.linalg.norm(clean.predict(qh) - xh, axis=1))
    assert err["huber"] < 1.2 * base
    assert err["squared"] > 3 * base  # the plain loss is pulled by the 5 cm samples
    res = armjac.calibrate(arm, q, x_bad, point=POINT)
    assert set(range(20, 30)) <= set(res.outliers.tolist()) and res.downweighted >= 11


def test_refuses_what_looks_like_success_but_is_not(arms):
    """Issue 18, class 5."""
    arm = arms("kuka_iiwa")
    q, x = _kuka_geometric(200, noise=0.5)
    with pytest.raises(InputError, match="cannot identify"):
        armjac.calibrate(arm, np.repeat(q[:1], 200, 0), np.repeat(x[:1], 200, 0), point=POINT)
    with pytest.raises(InputError, match="metres"):
        armjac.calibrate(arm, q, 1e3 * x, point=POINT)
    with pytest.raises(InputError, match="base_frame=True"):
        armjac.calibrate(arm, q, x + [2.0, 0, 0], point=POINT, base_frame=False)
    near = arm.home + np.random.default_rng(0).uniform(-0.05, 0.05, (200, 7))
    with pytest.warns(IdentifiabilityWarning, match="condition number"):
        armjac.calibrate(arm, near, arm.position(near, point=POINT), point=POINT)


@pytest.mark.parametrize(("key", "value"), [
    ("regularization", -1.0), ("regularization", float("nan")), ("rank_tol", -1e-6),
    ("rank_tol", float("nan")), ("rank_tol", 2.0), ("max_iter", "30"), ("max_iter", True),
    ("max_iter", 0), ("tol", float("inf")), ("base_frame", "yes"), ("joint_errors", 1),
    ("axes", None), ("loss", "l1"), ("huber", -0.001), ("rotation_scale", 0.0),
])  # fmt: skip
def test_tuning_arguments_are_checked(arms, key, value):
    """Issue 18, class 6."""
    q, x = _kuka_geometric(60)
    with pytest.raises(InputError, match=key):
        armjac.calibrate(arms("kuka_iiwa"), q, x, point=POINT, **{key: value})


def test_bad_inputs_are_refused(arms, tmp_path):
    """Shapes, NaN, an arm name (class 18), write_urdf on a folder or a missing one."""
    arm = arms("planar2")
    with pytest.raises(InputError, match="shape"):
        armjac.calibrate(arm, np.zeros((10, 3)), np.zeros((10, 3)))
    with pytest.raises(InputError, match="finite"):
        armjac.calibrate(arm, np.full((10, 2), np.nan), np.zeros((10, 3)))
    with pytest.raises(InputError, match="Arm"):
        armjac.calibrate("kuka_iiwa", np.zeros((10, 7)), np.zeros((10, 3)))
    real = load_spec(_spec("planar2", joint_origin_mm=4.0, joint_zero_deg=2.0)).realize(1)
    res = armjac.calibrate(real.nominal, *static_samples(real, 80, seed=1).pairs(),
                           point=real.assumed_point)  # fmt: skip
    with pytest.raises(InputError, match="folder"):
        res.write_urdf(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        res.write_urdf(tmp_path / "missing" / "cal.urdf")
    assert not (tmp_path / "missing").exists()


def test_calibrated_urdf_reproduces_the_calibrated_arm(tilted, tmp_path):
    arm, q, poses, truth, pose, zero = tilted
    res = armjac.calibrate(arm, q, poses[:, :3, 3], point=POINT)
    assert isinstance(res.arm, CalibratedArm)
    again = armjac.load_arm(res.write_urdf(tmp_path / "cal.urdf"), ee_link=arm.ee_link)
    qh = arm.random_q(10, 3)
    np.testing.assert_allclose(again.position(qh, point=res.point), res.predict(qh), atol=1e-12)
    np.testing.assert_allclose(again.jacobian(qh, point=res.point),
                               res.arm.jacobian(qh, point=res.point), atol=1e-12)  # fmt: skip
    fast = res.arm.compiled()
    np.testing.assert_allclose(fast.position(qh, point=res.point), res.predict(qh), atol=1e-12)


def test_designed_poses_are_better_conditioned_than_random_ones(arms):
    arm = arms("kuka_iiwa")
    model = KinematicModel(arm)
    th = model.initial(POINT)
    res = armjac.calibrate(arm, *_kuka_geometric(60), point=POINT)
    kept = [model.names.index(n) for n in res.parameters]

    def cond(q):
        jac = model.evaluate(q, th)[1][:, :3, kept].reshape(-1, len(kept))
        return identify.conditioning(jac, kept, 1e-9)["condition"]

    for criterion in ("I", "D"):
        q = design_poses(arm, 60, point=POINT, candidates=1500, criterion=criterion, seed=2)
        lo, hi = arm.sample_bounds(0.1)
        assert q.shape == (60, 7) and (q >= lo).all() and (q <= hi).all()
        randoms = [cond(arm.random_q(60, s, 0.1)) for s in range(5)]
        assert cond(q) < min(randoms)
    with pytest.raises(InputError, match="criterion"):
        design_poses(arm, 10, criterion="A")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a designed set calibrates without a warning
        q = design_poses(arm, 40, point=POINT, candidates=1000)
        armjac.calibrate(arm, q, arm.position(q, point=POINT), point=POINT)


def test_collect_can_follow_the_designed_poses(arms):
    from armjac.mismatch.collect import via_schedule

    arm = arms("kuka_iiwa")
    points, times = via_schedule(arm, arm.home, 20.0, np.random.default_rng(0), 0.1, 0.5, 1.5,
                                 design="calibration")  # fmt: skip
    lo, hi = arm.sample_bounds(0.1)
    assert times[-1] >= 20.0 and len(points) > 3
    assert (points[1:] >= lo).all() and (points[1:] <= hi).all()
    designed = design_poses(arm, 32, margin=0.1, seed=int(np.random.default_rng(0).integers(2**31)))
    np.testing.assert_array_equal(points[1:4], designed[:3])


def test_space_filling_designs_cover_the_box_more_evenly_than_random(arms):
    from scipy.stats import qmc  # the reference discrepancy, independent of the designer

    from armjac.calibration import design

    arm = arms("kuka_iiwa")
    lo, hi = arm.sample_bounds(0.1)

    def disc(q):
        assert (q >= lo).all() and (q <= hi).all()
        return qmc.discrepancy((q - lo) / (hi - lo), method="CD")

    randoms = [disc(arm.random_q(200, s, 0.1)) for s in range(5)]
    q = design_poses(arm, 200, criterion="S", margin=0.1, seed=3)
    assert q.shape == (200, 7) and disc(q) < min(randoms)
    assert not np.array_equal(q, design_poses(arm, 200, criterion="S", margin=0.1, seed=4))
    with pytest.raises(InputError, match="17"):  # the Halton bases run out
        design._halton(10, 17, np.random.default_rng(0))
    old = design_poses(arm, 200, point=POINT, candidates=1000, criterion="I", seed=3)
    assert disc(old) > min(randoms)  # why the new criteria exist: I-optimal clusters
