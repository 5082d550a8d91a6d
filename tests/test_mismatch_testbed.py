"""The mismatch testbed: URDF writer, real arm, sensor models, datasets, collection.

References: a hand-written planar chain (numpy rotations, not armjac's kernels),
PyBullet's inverse dynamics for the gravity deflection, closed-form sensor
statistics.
"""

from __future__ import annotations

import numpy as np
import pybullet as pb
import pytest

from armjac.errors import ConfigError, InputError
from armjac.mismatch import collect, load_dataset, load_spec, static_samples
from armjac.model.urdf import load_urdf, parse_urdf
from armjac.model.urdf_write import urdf_text

SMALL = "planar2_small"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return load_spec(SMALL).realize(3, out_dir=tmp_path_factory.mktemp("real"))


@pytest.mark.parametrize("name", ["planar2", "planar3", "kuka_iiwa", "franka_panda", "xarm6"])
def test_urdf_writer_round_trips(arms, name):
    """Every bundled arm, franka_panda's fixed-joint axes and mimic fingers included."""
    model = arms(name).model
    again = parse_urdf(urdf_text(model))
    assert again == model
    assert again.fingerprint() == model.fingerprint()


def _ry_minus(q):
    """Rotation about -y by q (planar2's joint axis)."""
    c, s = np.cos(q), np.sin(q)
    return np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])


def test_real_tip_matches_a_hand_written_chain(real):
    off = real.truth["joint_origin_offset"]
    p = real.tool_point
    for q in np.random.default_rng(0).uniform(-2, 2, (5, 2)):
        r1 = _ry_minus(q[0])
        r2 = r1 @ _ry_minus(q[1])
        tip = off[0] + r1 @ (np.array([0.5, 0, 0]) + off[1]) + r2 @ (np.array([0.4, 0, 0]) + p)
        np.testing.assert_allclose(real.tip(q), tip, atol=1e-12)


def test_real_arm_urdf_loads_and_keeps_the_drawn_errors(real):
    assert load_urdf(real.urdf_path) == real.arm.model
    nominal = real.nominal
    q = nominal.random_q(20, 1)
    # zero offsets live in the encoders: the chain differs only by the origin offsets
    assert not np.allclose(real.arm.position(q), nominal.position(q))
    again = load_spec(SMALL).realize(3)
    np.testing.assert_array_equal(again.tip(q), real.tip(q))
    other = load_spec(SMALL).realize(4)
    assert not np.allclose(other.tip(q), real.tip(q))


def test_encoder_model_closed_form_and_deflection_against_pybullet(real):
    enc = real.encoders
    q = np.array([0.7, -1.1])
    cid = pb.connect(pb.DIRECT)
    try:
        pb.setGravity(0, 0, -9.81, physicsClientId=cid)
        body = pb.loadURDF(str(real.urdf_path), useFixedBase=True,
                           flags=pb.URDF_USE_INERTIA_FROM_FILE, physicsClientId=cid)  # fmt: skip
        g = np.array(pb.calculateInverseDynamics(body, q.tolist(), [0.0, 0.0], [0.0, 0.0],
                                                 physicsClientId=cid))  # fmt: skip
    finally:
        pb.disconnect(cid)
    expected = (
        q
        - real.truth["joint_zero_offset"]
        + real.truth["eccentricity_amplitude"] * np.sin(q + real.truth["eccentricity_phase"])
        + g / real.truth["stiffness"]
    )
    np.testing.assert_allclose(enc.read(q), expected, atol=1e-9)
    assert np.abs(g).max() > 1.0  # the deflection term is really exercised


def test_tracker_rate_latency_noise_and_dropouts():
    spec = load_spec(
        {"arm": "planar2", "tracker": {"rate_hz": 100, "noise_mm": 1.0, "latency_ms": 20,
                                       "dropout": 0.1, "dropout_windows": [[1.0, 1.5]]}}
    )  # fmt: skip
    real = spec.realize(0)
    tr = real.tracker(seed=5)
    tip = np.array([0.3, 0.0, 0.2])
    got = []
    for k in range(3000):
        t = k * 1e-3
        for te, x in tr.observe(t, tip):
            got.append((t, te, x))
    log = tr.log
    assert len(log) == 300  # 100 Hz over 3 s
    lat = np.array([t - te for t, te, _ in got])
    np.testing.assert_allclose(lat, 0.02, atol=1.5e-3)
    lost = np.array([not ok for *_, ok in log])
    in_window = np.array([1.0 <= te <= 1.5 for te, *_ in log])
    assert lost[in_window].all()
    frac = lost[~in_window].mean()
    assert 0.04 < frac < 0.17  # ~10 % lost at random (binomial, n = 250)
    err = np.array([x for *_, x in got]) - tip
    assert 0.8e-3 < err.std() < 1.2e-3


def test_static_samples_apply_the_sensor_models(real, tmp_path):
    d = static_samples(real, 500, seed=2)
    assert d.meta["kind"] == "static"
    q, x = d.pairs()
    qt, xt = d.pairs(truth=True)
    np.testing.assert_allclose(q, real.encoders.read(qt), atol=1e-12)  # noise-free encoders
    np.testing.assert_allclose(xt, real.tip(qt), atol=1e-12)
    noise = real.tracker_spec.noise_mm * 1e-3
    assert abs((x - xt).std() / noise - 1) < 0.1
    path = d.save(tmp_path / "d-0.5")
    assert path.name == "d-0.5.npz" and path.with_suffix(".json").is_file()
    back = load_dataset(path)
    for k in ("q", "tracker_x", "truth_tip"):
        np.testing.assert_array_equal(getattr(back, k), getattr(d, k))
    assert back.meta["spec"]["name"] == SMALL
    with pytest.raises(ConfigError, match="500 tracker samples"):
        d.pairs(501)


def test_collect_records_a_consistent_run(real):
    d = collect(real, 1.0, seed=1, progress=False)
    assert d.meta["kind"] == "trajectory"
    assert d.q.shape == (1000, 2) and len(d.tracker_t) == 100  # 100 Hz
    q_ex = d.readings_at(d.tracker_t, truth=True)
    np.testing.assert_allclose(d.truth_tip, real.tip(q_ex), atol=1e-9)
    lo, hi = real.nominal.sample_bounds()
    assert (d.truth_q > lo - 0.05).all() and (d.truth_q < hi + 0.05).all()
    assert np.ptp(d.truth_q, axis=0).min() > 0.05  # it explores
    assert np.abs(np.diff(d.truth_q, axis=0)).max() / 1e-3 < 2 * 1.5  # near the speed cap


@pytest.mark.parametrize("design", ["random", "halton"])
def test_via_schedule_respects_the_speed_cap(arms, design):
    from armjac.mismatch.collect import PEAK, via_schedule

    arm = arms("kuka_iiwa")
    rng = np.random.default_rng(0)
    via, times = via_schedule(arm, arm.home, 30.0, rng, 0.1, 0.5, 1.2, design)
    assert times[-1] >= 30.0 and np.all(np.diff(times) >= 0.5)
    speeds = PEAK * np.abs(np.diff(via, axis=0)) / np.diff(times)[:, None]
    assert speeds.max() <= 1.2 + 1e-12
    lo, hi = arm.sample_bounds(0.1)
    assert (via[1:] >= lo).all() and (via[1:] <= hi).all()


def test_halton_design_is_space_filling():
    from armjac.mismatch.collect import halton, via_schedule

    h = halton(256, 7, np.random.default_rng(3))
    assert h.shape == (256, 7) and (h >= 0).all() and (h < 1).all()
    # every joint's range stratified: 8 bins of 32 expected, iid uniform gives about +-5.7
    counts = np.array([np.histogram(h[:, j], bins=8, range=(0, 1))[0] for j in range(7)])
    assert counts.min() >= 27 and counts.max() <= 37
    # the shift is the seed: same seed, same design; another seed, another design
    np.testing.assert_array_equal(h, halton(256, 7, np.random.default_rng(3)))
    assert not np.allclose(h, halton(256, 7, np.random.default_rng(4)))
    with pytest.raises(InputError, match="design"):
        via_schedule(None, np.zeros(2), 1.0, None, 0.1, 0.5, 1.0, "sobol")


def test_spec_errors_name_the_key():
    with pytest.raises(ConfigError, match="geometry.joint_origin"):
        load_spec({"arm": "planar2", "geometry": {"joint_origin": 1}})
    with pytest.raises(ConfigError, match="encoders.stiffness"):
        load_spec({"arm": "planar2", "encoders": {"stiffness": [1, -2]}})
    with pytest.raises(ConfigError, match="unknown mismatch spec"):
        load_spec("no_such_spec")


def test_collect_cli(tmp_path, capsys):
    from armjac.cli import main

    out = tmp_path / "run"
    assert main(["collect", SMALL, "--duration", "0.5", "--out", str(out), "--no-progress"]) == 0
    assert "50 tracker samples" in capsys.readouterr().out
    assert len(load_dataset(out)) == 50


def test_calibrated_reach_scenario_simulates_the_real_arm():
    from armjac.scenarios import run_scenario

    cfg = {
        "name": "calibrated_reach_small", "scenario": "calibrated_reach", "arm": "planar2",
        "jacobian": "tool:planar2_small", "dt": 0.001,
        "controller": {"type": "osc", "kp": 400, "ki": 400, "ctrlr_dof": ["x", "z"],
                       "task_velocity": "jacobian"},
        "task": {"mismatch": {"spec": "planar2_small", "feedback": "tracker"},
                 "targets": [[0.55, 0.0, 0.3]], "segment_time": 1.5},
    }  # fmt: skip
    m = run_scenario(cfg)
    assert m["status"] == "ok", m.get("reason")
    assert m["final_position_error_m"] < 0.01
    cfg["task"]["mismatch"]["spec"] = "nope"
    with pytest.raises(ConfigError, match="task.mismatch.spec"):
        run_scenario(cfg)


def test_nominal_with_load_adds_the_payload_at_the_assumed_point(arms):
    """A point payload m at the assumed tool point p: M gains m Jp^T Jp (plus the tool
    link's 1e-6 kg m^2 sphere) and the holding torques gain -m Jp^T g_vec (closed forms
    on the nominal's point Jacobian); without a load it is the nominal itself."""
    import dataclasses

    from armjac.mismatch.real_arm import nominal_with_load

    nominal = arms("planar2")
    spec = dataclasses.replace(load_spec(SMALL), tool_mass=0.0, payload_mass=0.3)
    loaded = nominal_with_load(spec, nominal=nominal)
    point = np.asarray(spec.tool_assumed)
    for q in np.random.default_rng(1).uniform(-2.0, 2.0, (4, nominal.dof)):
        jac = nominal.jacobian(q, point=point)
        jv, jw = jac[:3], jac[3:]
        m_ref = nominal.mass_matrix(q) + 0.3 * jv.T @ jv + 1e-6 * jw.T @ jw
        g_ref = nominal.gravity(q) - 0.3 * jv.T @ np.asarray(nominal.gravity_vector)
        np.testing.assert_allclose(loaded.mass_matrix(q), m_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(loaded.gravity(q), g_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loaded.position(q, point=point), nominal.position(q, point=point))
    bare = dataclasses.replace(spec, payload_mass=0.0)
    assert nominal_with_load(bare, nominal=nominal) is nominal
