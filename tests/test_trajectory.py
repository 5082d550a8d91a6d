"""Trajectories against closed forms: boundary conditions, peaks, continuity, SLERP."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import InputError
from armjac.trajectory import (
    Circle,
    CruiseLaw,
    Line,
    joint_quintic,
    min_jerk_duration,
    quintic,
    quintic_coefficients,
    via_points,
)

DENSE = 20001


def _dense(traj):
    t = np.linspace(0.0, traj.duration, DENSE)
    return t, traj.sample(t)


def _speed_peaks(traj, rows=slice(0, 3)):
    _, s = _dense(traj)
    return (np.linalg.norm(s.xd[:, rows], axis=1).max(),
            np.linalg.norm(s.xdd[:, rows], axis=1).max())


def _fd_consistent(traj, h=1e-5, rows=slice(None)):
    """xd and xdd match central differences of x and xd at interior times."""
    t = np.linspace(0.02, 0.98, 97) * traj.duration
    x_p, x_m = traj.sample(t + h), traj.sample(t - h)
    s = traj.sample(t)
    scale = max(1.0, np.abs(s.xdd[:, rows]).max())
    np.testing.assert_allclose((x_p.x[:, rows] - x_m.x[:, rows]) / (2 * h), s.xd[:, rows],
                               atol=1e-6 * scale)
    np.testing.assert_allclose((x_p.xd - x_m.xd) / (2 * h), s.xdd, atol=1e-5 * scale)


def test_quintic_coefficients_meet_both_end_states(rng):
    p0, v0, a0, p1, v1, a1 = rng.normal(size=(6, 4))
    T = 1.7
    c = quintic_coefficients(p0, v0, a0, p1, v1, a1, T)
    for k in range(4):
        poly = np.poly1d(c[k][::-1])  # np.poly1d wants descending powers
        assert poly(0) == pytest.approx(p0[k]) and poly(T) == pytest.approx(p1[k])
        assert poly.deriv()(0) == pytest.approx(v0[k]) and poly.deriv()(T) == pytest.approx(v1[k])
        assert poly.deriv(2)(0) == pytest.approx(a0[k])
        assert poly.deriv(2)(T) == pytest.approx(a1[k])


def test_min_jerk_is_the_closed_form_and_peaks_at_1875_and_57735():
    d, T = np.array([0.3, -0.2, 0.1]), 2.0
    traj = quintic(np.zeros(3), d, T)
    t = np.linspace(0, T, DENSE)
    tau = t / T
    s = traj.sample(t)
    np.testing.assert_allclose(s.x, np.outer(10 * tau**3 - 15 * tau**4 + 6 * tau**5, d),
                               atol=1e-14)
    L = np.linalg.norm(d)
    vpk, apk = _speed_peaks(traj)
    assert vpk == pytest.approx(1.875 * L / T, rel=1e-8)
    assert apk == pytest.approx(5.7735 * L / T**2, rel=1e-4)
    np.testing.assert_allclose(traj.peaks(norm=True), ([1.875 * L / T], [5.7735 * L / T**2]),
                               rtol=1e-4)
    for k in (0, -1):
        np.testing.assert_allclose(s.xd[k], 0, atol=1e-15)
        np.testing.assert_allclose(s.xdd[k], 0, atol=1e-14)


@pytest.mark.parametrize("vmax, amax", [(0.5, 10.0), (2.0, 0.5), (0.4, 1.0)])
def test_duration_from_limits_meets_the_binding_one(vmax, amax):
    traj = quintic([0.0, 0.0, 0.0], [0.3, -0.4, 0.0], vmax=vmax, amax=amax)  # 0.5 m
    vpk, apk = _speed_peaks(traj)
    assert vpk <= vmax * (1 + 1e-9) and apk <= amax * (1 + 1e-9)
    assert max(vpk / vmax, apk / amax) == pytest.approx(1.0, rel=1e-6)
    assert traj.duration == pytest.approx(max(1.875 * 0.5 / vmax, np.sqrt(5.7735 * 0.5 / amax)),
                                          rel=1e-4)


def test_quintic_with_boundary_rates_is_the_shortest_within_limits():
    kw = dict(v0=[0.2, 0.0], v1=[0.0, -0.1], a0=[0.5, 0.0])
    traj = quintic([0.0, 0.0], [0.5, 0.2], vmax=[0.6, 0.3], amax=[2.0, 1.0], **kw)
    t, s = _dense(traj)
    np.testing.assert_allclose(s.xd[0], kw["v0"], atol=1e-12)
    np.testing.assert_allclose(s.xd[-1], kw["v1"], atol=1e-12)
    np.testing.assert_allclose(s.xdd[0], kw["a0"], atol=1e-12)
    peaks = np.abs(s.xd).max(0) / [0.6, 0.3], np.abs(s.xdd).max(0) / [2.0, 1.0]
    assert max(peaks[0].max(), peaks[1].max()) <= 1 + 1e-9
    faster = quintic([0.0, 0.0], [0.5, 0.2], 0.99 * traj.duration, **kw)
    _, f = _dense(faster)
    worst = max((np.abs(f.xd).max(0) / [0.6, 0.3]).max(), (np.abs(f.xdd).max(0) / [2, 1]).max())
    assert worst > 1.0


def test_via_points_pass_through_with_continuous_velocity_and_acceleration():
    pts = np.array([[0.0, 0.0, 0.0], [0.2, 0.1, 0.0], [0.3, 0.3, 0.1], [0.1, 0.4, 0.1]])
    traj = via_points(pts, vmax=0.3, amax=1.5)
    np.testing.assert_allclose(traj.sample(traj.breaks).x, pts, atol=1e-12)
    eps = 1e-9
    left, right = traj.sample(traj.breaks[1:-1] - eps), traj.sample(traj.breaks[1:-1] + eps)
    np.testing.assert_allclose(left.xd, right.xd, atol=1e-7)
    np.testing.assert_allclose(left.xdd, right.xdd, atol=1e-6)
    assert np.abs(traj.sample(traj.breaks[1:-1]).xd).max() > 0.01  # it does not stop at vias
    for k in (0, -1):
        np.testing.assert_allclose(traj.sample(traj.breaks[k]).xd, 0, atol=1e-15)
    vpk, apk = _speed_peaks(traj)
    assert vpk <= 0.3 * (1 + 1e-9) and apk <= 1.5 * (1 + 1e-9)
    assert max(vpk / 0.3, apk / 1.5) == pytest.approx(1.0, rel=1e-6)
    _fd_consistent(traj)


def test_via_points_with_given_times():
    traj = via_points([[0.0], [1.0], [0.5]], times=[0.0, 1.0, 3.0])
    np.testing.assert_allclose(traj.breaks, [0, 1, 3])
    # The two secants differ in sign: the path stops at the via point instead of overshooting.
    assert traj.sample(1.0).xd[0] == 0.0
    assert traj.sample(np.linspace(0, 3, 3001)).x.max() <= 1.0 + 1e-12


def test_sampling_is_vectorised_and_at_rest_outside_the_interval():
    traj = quintic([0.0, 1.0], [1.0, 0.0], 2.0)
    ts = np.array([-1.0, 0.3, 1.1, 5.0])
    batch = traj.sample(ts)
    assert batch.x.shape == (4, 2)
    for k, t in enumerate(ts):
        one = traj(t)
        assert one.x.shape == (2,)
        np.testing.assert_array_equal(one.x, batch.x[k])
    np.testing.assert_array_equal(batch.x[0], [0.0, 1.0])
    np.testing.assert_array_equal(batch.x[3], [1.0, 0.0])
    assert not batch.xd[[0, 3]].any() and not batch.xdd[[0, 3]].any()


def _slerp_closed_form(q0, q1, s):
    """Shoemake's formula, written independently of armjac's exponential-map code."""
    if q0 @ q1 < 0:
        q1 = -q1
    omega = np.arccos(np.clip(q0 @ q1, -1, 1))
    return (np.sin((1 - s) * omega)[:, None] * q0 + np.sin(s * omega)[:, None] * q1) / np.sin(omega)


def _rotvec_of(q):
    q = q if q[3] >= 0 else -q
    angle = 2 * np.arctan2(np.linalg.norm(q[:3]), q[3])
    return angle * q[:3] / np.linalg.norm(q[:3])


def _quat_mul(a, b):
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])


def test_line_slerp_stays_on_the_unit_sphere_and_matches_shoemake(rng):
    q0 = rng.normal(size=4)
    q0 /= np.linalg.norm(q0)
    q1 = rng.normal(size=4)
    q1 /= np.linalg.norm(q1)
    line = Line(np.r_[0.1, 0.2, 0.3, q0], np.r_[0.4, 0.0, 0.3, q1], vmax=0.2, amax=1.0,
                wmax=0.8, alphamax=3.0)
    t, s = _dense(line)
    quat = s.x[:, 3:]
    np.testing.assert_allclose(np.linalg.norm(quat, axis=1), 1.0, atol=1e-12)
    progress = line.law(t)[0]
    ref = _slerp_closed_form(q0, q1, progress)
    sign = np.sign(np.sum(ref * quat, axis=1))[:, None]
    np.testing.assert_allclose(quat * sign, ref, atol=1e-9)
    # Position moves along the segment with the same progress.
    np.testing.assert_allclose(s.x[:, :3], [0.1, 0.2, 0.3] + np.outer(progress, [0.3, -0.2, 0.0]),
                               atol=1e-12)
    # Every limit holds and one binds.
    ratios = [np.linalg.norm(s.xd[:, :3], axis=1).max() / 0.2,
              np.linalg.norm(s.xdd[:, :3], axis=1).max() / 1.0,
              np.linalg.norm(s.xd[:, 3:], axis=1).max() / 0.8,
              np.linalg.norm(s.xdd[:, 3:], axis=1).max() / 3.0]
    assert max(ratios) <= 1 + 1e-6 and max(ratios) == pytest.approx(1.0, rel=1e-4)


def test_line_angular_velocity_matches_finite_differences_of_the_quaternion():
    q0 = np.array([0.0, 0.0, 0.0, 1.0])
    q1 = np.array([np.sin(1.0), 0.0, 0.0, np.cos(1.0)])  # 2 rad about x
    q1 = _quat_mul(np.array([0.0, np.sin(0.3), 0.0, np.cos(0.3)]), q1)
    line = Line(np.r_[0, 0, 0, q0], np.r_[0.2, 0, 0, q1], 3.0)
    h = 1e-5
    for t in np.linspace(0.1, 2.9, 15):
        qp, qm = line(t + h).x[3:], line(t - h).x[3:]
        w_fd = _rotvec_of(_quat_mul(qp, np.r_[-qm[:3], qm[3]])) / (2 * h)
        s = line(t)
        np.testing.assert_allclose(s.xd[3:], w_fd, atol=1e-7)
        alpha_fd = (line(t + h).xd[3:] - line(t - h).xd[3:]) / (2 * h)
        np.testing.assert_allclose(s.xdd[3:], alpha_fd, atol=1e-6)
    end = line(3.0).x[3:]
    assert abs(end @ q1) == pytest.approx(1.0, abs=1e-12)


def test_orientation_given_as_matrix_or_pose():
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 deg about z
    pose = np.eye(4)
    pose[:3, :3] = rot
    pose[:3, 3] = [0.1, 0.0, 0.0]
    line = Line(np.eye(4), pose, wmax=1.0)
    assert line.duration == pytest.approx(1.875 * (np.pi / 2), rel=1e-9)
    np.testing.assert_allclose(line(line.duration).x[3:],
                               [0, 0, np.sin(np.pi / 4), np.cos(np.pi / 4)], atol=1e-12)


def test_cruise_law_blends_are_continuous_and_peak_as_predicted():
    law = CruiseLaw(speed=0.5, ramp=0.4)
    t = np.linspace(0, law.duration, 40001)
    s, sd, sdd = law(t)
    assert s[0] == 0 and s[-1] == pytest.approx(1.0, abs=1e-14)
    assert law.duration == pytest.approx(2.4)
    np.testing.assert_allclose(np.gradient(s, t), sd, atol=1e-6)
    np.testing.assert_allclose(np.gradient(sd, t), sdd, atol=1e-3)
    assert sd.max() == pytest.approx(0.5)
    assert np.abs(sdd).max() == pytest.approx(1.875 * 0.5 / 0.4, rel=1e-6)
    # No jumps in acceleration: no step exceeds the peak jerk V (10/sqrt 3) / ramp^2 times dt.
    assert np.abs(np.diff(sdd)).max() <= 1.001 * 0.5 * 5.7735 / 0.4**2 * (t[1] - t[0])


def test_circle_stays_on_its_circle_with_the_cruise_speed():
    c = Circle([0.5, 0.0, 0.2], [0.0, 0.0, 1.0], [0.55, 0.0, 0.2], angle=4 * np.pi,
               profile="cruise", vmax=0.1, amax=0.5, orientation=[1.0, 0.0, 0.0, 0.0])
    t, s = _dense(c)
    rel = s.x[:, :3] - [0.5, 0.0, 0.2]
    np.testing.assert_allclose(np.linalg.norm(rel, axis=1), 0.05, atol=1e-12)
    np.testing.assert_allclose(rel[:, 2], 0.0, atol=1e-15)
    speed = np.linalg.norm(s.xd[:, :3], axis=1)
    assert speed.max() == pytest.approx(0.1, rel=1e-9)
    cruising = speed > 0.1 - 1e-12
    # At constant speed only the centripetal part remains: v^2 / r towards the centre.
    radial = -np.sum(s.xdd[cruising, :3] * rel[cruising], axis=1) / 0.05
    np.testing.assert_allclose(radial, 0.1**2 / 0.05, rtol=1e-9)
    # Counter-clockwise about +z.
    assert np.cross(rel[1], s.xd[1, :3])[2] > 0
    np.testing.assert_allclose(s.x[:, 3:], [[1.0, 0.0, 0.0, 0.0]] * DENSE)
    _fd_consistent(c, rows=slice(0, 3))


def test_joint_quintic_respects_each_joint_limit(arms):
    arm = arms("kuka_iiwa")
    q0, q1 = arm.home, arm.random_q(rng=3)
    traj = joint_quintic(arm, q0, q1, amax=2.0)
    _, s = _dense(traj)
    vpk, apk = np.abs(s.xd).max(0), np.abs(s.xdd).max(0)
    assert np.all(vpk <= arm.velocity_limits * (1 + 1e-9)) and np.all(apk <= 2.0 * (1 + 1e-9))
    assert traj.duration == pytest.approx(
        min_jerk_duration(q1 - q0, arm.velocity_limits, 2.0), rel=1e-12)
    np.testing.assert_allclose(s.x[-1], q1, atol=1e-12)
    bad = q1.copy()
    bad[1] = 3.0
    with pytest.raises(InputError, match=r"q1\[1\].*limits"):
        joint_quintic(arm, q0, bad)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: quintic([0, 0], [1, 1]), "duration, or vmax"),
        (lambda: quintic([0, 0], [1], 1.0), "end must have shape"),
        (lambda: quintic([0, 0], [1, 1], -1.0), "duration must be finite and > 0"),
        (lambda: quintic([0.0], [1.0], v0=2.0, vmax=1.0), "already exceeds vmax"),
        (lambda: quintic([0.0], [np.nan], 1.0), "end must be finite"),
        (lambda: via_points([[0, 0], [0, 0], [1, 1]], vmax=1), "must differ"),
        (lambda: via_points([[0, 0], [1, 1]], times=[0, 0]), "increasing"),
        (lambda: Line([0, 0, 0], [1, 0, 0], profile="trapezoid", vmax=1), "profile must be"),
        (lambda: Line([0, 0, 0], [1, 0, 0, 0, 0, 0, 1], vmax=1), "both have an orientation"),
        (lambda: Line([0, 0, 0], [0, 0, 0], vmax=1), "same pose"),
        (lambda: Line(np.zeros(3), np.ones(3), profile="min_jerk", v0=0.1, vmax=1), "quintic"),
        (lambda: Circle([0, 0, 0], [0, 0, 1], [0, 0, 0.1], vmax=1), "in the plane"),
        (lambda: Circle([0, 0, 0], [0, 0, 1], [0.1, 0, 0], angle=0, vmax=1), "non-zero"),
        (lambda: quintic([0.0], [1.0], 1.0).sample([[0.1]]), "1-D array"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(make, words):
    with pytest.raises(InputError, match=words):
        make()


def test_line_quintic_leaves_and_arrives_at_the_given_speeds():
    line = Line([0.0, 0.0, 0.0], [0.3, 0.4, 0.0], profile="quintic", v0=0.1, v1=0.05,
                vmax=0.4, amax=2.0)
    unit = np.array([0.6, 0.8, 0.0])
    np.testing.assert_allclose(line(0.0).xd, 0.1 * unit, atol=1e-12)
    np.testing.assert_allclose(line(line.duration).x, [0.3, 0.4, 0.0], atol=1e-12)
    np.testing.assert_allclose(line.sample([line.duration - 1e-12]).xd[0], 0.05 * unit,
                               atol=1e-9)
    vpk, apk = _speed_peaks(line)
    assert vpk <= 0.4 * (1 + 1e-9) and apk <= 2.0 * (1 + 1e-9)
