"""Jacobian frames, the full dJ/dt and manipulability against finite differences,
Pinocchio's LOCAL frame Jacobian where installed, and singular-value forms."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import InputError, SingularityError

H = 1e-6
POINT = np.array([0.02, -0.03, 0.08])


def _vee(m):
    return np.array([m[2, 1], m[0, 2], m[1, 0]])


def _fd_local_jacobian(arm, q, link, point):
    """Body twist per joint from FK alone: R^T dP/dq and vee(R^T dR/dq)."""
    rot = arm.fk(q, link)[:3, :3]
    cols = []
    for e in np.eye(arm.dof):
        dp = (arm.position(q + H * e, link, point) - arm.position(q - H * e, link, point)) / (2 * H)
        drot = (arm.fk(q + H * e, link)[:3, :3] - arm.fk(q - H * e, link)[:3, :3]) / (2 * H)
        cols.append(np.concatenate([rot.T @ dp, _vee(rot.T @ drot)]))
    return np.array(cols).T


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "xarm6"])
def test_local_jacobian_is_the_body_twist(arms, rng, name):
    arm = arms(name)
    for _ in range(3):
        q = arm.random_q(rng=rng)
        for point in (None, POINT):
            np.testing.assert_allclose(
                arm.jacobian(q, point=point, frame="local"),
                _fd_local_jacobian(arm, q, None, point),
                atol=1e-7,
            )
    batch = arm.random_q(4, rng)
    np.testing.assert_allclose(
        arm.jacobian(batch, frame="local")[2], arm.jacobian(batch[2], frame="local"), atol=1e-15
    )
    with pytest.raises(InputError, match="frame must be"):
        arm.jacobian(q, frame="body")


def test_local_jacobian_matches_pinocchio(arms, rng):
    pin = pytest.importorskip("pinocchio")
    arm = arms("kuka_iiwa")
    model = pin.buildModelFromUrdf(arm.urdf_path)
    data = model.createData()
    frame = model.getFrameId(arm.ee_link)
    cols = [model.joints[model.getJointId(n)].idx_v for n in arm.joint_names]
    for _ in range(5):
        q = arm.random_q(rng=rng)
        full = pin.neutral(model)
        full[cols] = q
        for ours, ref in (("local", pin.LOCAL), ("world", pin.LOCAL_WORLD_ALIGNED)):
            expected = pin.computeFrameJacobian(model, data, full, frame, ref)[:, cols]
            # 1e-11: right angles written as 1.5707963 are snapped to pi/2 (transforms.py)
            np.testing.assert_allclose(arm.jacobian(q, frame=ours), expected, atol=1e-10)


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda", "planar3"])
@pytest.mark.parametrize("frame", ["world", "local"])
def test_jacobian_dot_is_the_derivative_along_dq(arms, rng, name, frame):
    arm = arms(name)
    for _ in range(3):
        q, dq = arm.random_q(rng=rng, margin=0.05), rng.normal(size=arm.dof)
        fd = (
            arm.jacobian(q + H * dq, point=POINT, frame=frame)
            - arm.jacobian(q - H * dq, point=POINT, frame=frame)
        ) / (2 * H)
        jdot = arm.jacobian_dot(q, dq, point=POINT, frame=frame)
        np.testing.assert_allclose(jdot, fd, atol=1e-7)
        if frame == "world":
            np.testing.assert_allclose(jdot @ dq, arm.dJdq(q, dq, point=POINT), atol=1e-12)


def test_jacobian_dot_on_the_prismatic_random_chain(tmp_path, rng):
    from chain_factory import general_chain_urdf

    import armjac

    path = tmp_path / "g.urdf"
    path.write_text(general_chain_urdf(5, n_movable=6, prismatic_at=2))
    arm = armjac.load_arm(path, cache_dir=tmp_path / "cache")
    q, dq = arm.random_q(rng=rng), rng.normal(size=arm.dof)
    fd = (arm.jacobian(q + H * dq) - arm.jacobian(q - H * dq)) / (2 * H)
    np.testing.assert_allclose(arm.jacobian_dot(q, dq), fd, atol=1e-7)
    grad = arm.manipulability_gradient(q, translational=True)
    fd_grad = [
        (
            arm.manipulability(q + H * e, translational=True)
            - arm.manipulability(q - H * e, translational=True)
        )
        / (2 * H)
        for e in np.eye(arm.dof)
    ]
    np.testing.assert_allclose(grad, fd_grad, atol=1e-7)


@pytest.mark.parametrize("translational", [False, True])
def test_manipulability_and_its_gradient(arms, rng, translational):
    arm = arms("kuka_iiwa")
    for _ in range(4):
        q = arm.random_q(rng=rng, margin=0.05)
        jac = arm.jacobian(q)[:3] if translational else arm.jacobian(q)
        w = arm.manipulability(q, translational=translational)
        assert w == pytest.approx(np.prod(np.linalg.svd(jac, compute_uv=False)), rel=1e-10)
        fd = [
            (
                arm.manipulability(q + H * e, translational=translational)
                - arm.manipulability(q - H * e, translational=translational)
            )
            / (2 * H)
            for e in np.eye(arm.dof)
        ]
        np.testing.assert_allclose(
            arm.manipulability_gradient(q, translational=translational), fd, atol=1e-8
        )
    batch = arm.random_q(3, rng)
    np.testing.assert_allclose(
        arm.manipulability_gradient(batch)[1], arm.manipulability_gradient(batch[1]), atol=1e-14
    )


def test_manipulability_of_a_short_arm(arms):
    """planar2 has 2 joints: 6 rows are always singular; its x-z rows give the
    closed form l1 l2 |sin q2| (the y row is zero, so use a point's own plane)."""
    arm = arms("planar2")
    q = np.array([0.3, 0.7])
    assert arm.manipulability(q) == 0.0
    with pytest.raises(SingularityError, match="singular"):
        arm.manipulability_gradient(q)
    jac = arm.jacobian(q)[[0, 2]]
    assert np.sqrt(np.linalg.det(jac @ jac.T)) == pytest.approx(0.5 * 0.4 * abs(np.sin(0.7)))
    with pytest.raises(InputError, match="translational"):
        arm.manipulability(q, translational="yes")
