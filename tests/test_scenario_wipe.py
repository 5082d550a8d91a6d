"""The wipe scenario, the guarded press descent, reach along lines, the hybrid force frame."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.control import HybridForceOSC
from armjac.errors import ConfigError, InputError
from armjac.scenarios import load_scenario, run_scenario, scenario_data, scenario_type


@pytest.mark.parametrize("frame", ["tool", "world"])
def test_wipe_holds_force_and_path_with_the_tool_upright(arms, frame):
    cfg = scenario_data("wipe")
    cfg["controller"]["force"]["frame"] = frame
    m = run_scenario(cfg, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    assert m["passed"], m["failures"]
    assert m["circle_force_rmse_N"] <= 1.0
    assert m["circle_tangential_rmse_m"] <= 2e-3
    assert m["circle_max_tilt_deg"] <= 2.0
    assert m["contact_lost_steps"] == 0
    # It touched down during the descent (the circle starts 0.8 s after the latest
    # expected touch), and the wrist sensor felt it within 5 ms of the first contact point.
    assert 0.5 < m["touchdown_time_s"] < 2.0
    assert abs(m["touchdown_time_s"] - m["contact_time_s"]) < 5e-3
    # The wrist sensor (controller's input) agrees with the contact points (the score's).
    assert m["sensor_vs_contact_rmse_N"] < 0.5


def test_wipe_refuses_other_controllers_and_unreachable_tables(arms):
    cfg = scenario_data("wipe")
    cfg["controller"]["type"] = "osc"
    with pytest.raises(ConfigError, match="wipe needs 'hybrid'"):
        run_scenario(cfg, plots=False, arm=arms("kuka_iiwa"))
    far = scenario_data("wipe")
    far["task"]["center"] = [2.0, 0.0]
    with pytest.raises(ConfigError, match="no posture reaches"):
        run_scenario(far, plots=False, arm=arms("kuka_iiwa"))


def test_press_touchdown_peak_is_cut_by_the_guarded_descent(arms):
    m = run_scenario("press", plots=False, arm=arms("kuka_iiwa"))
    assert m["passed"], m["failures"]
    # Force control from 10 cm above the table hit it with about 600 N.
    assert m["max_force_N"] < 200.0


def test_reach_reference_is_a_rest_to_rest_line_per_segment(arms):
    arm = arms("kuka_iiwa")
    cfg = load_scenario("reach")
    scen = scenario_type("reach")(cfg, arm, arm.home, np.random.default_rng(0))
    seg = scen.segment_time
    t = np.arange(0.0, 2 * seg, 1e-3)
    pos, vel, acc = scen.reference(t)
    np.testing.assert_allclose(pos[0], scen.start_pos, atol=1e-12)
    move = 2 * seg / 3
    for i, target in enumerate(scen.points[:2]):
        done = (t >= i * seg + move) & (t < (i + 1) * seg)
        np.testing.assert_allclose(pos[done], np.broadcast_to(target, pos[done].shape),
                                   atol=1e-12)
        assert not vel[done].any() and not acc[done].any()
    # Velocity is the derivative of position, and continuous at segment changes.
    np.testing.assert_allclose(np.gradient(pos, t, axis=0)[1:-1], vel[1:-1, :3], atol=2e-3)
    assert np.abs(np.diff(vel[:, :3], axis=0)).max() < 5e-3
    step = scenario_data("reach")
    step["task"]["profile"] = "step"
    stepped = scenario_type("reach")(load_scenario(step), arm, arm.home, np.random.default_rng(0))
    p, v, _ = stepped.reference(t)
    assert v is None and np.allclose(p[0], scen.points[0])


def test_hybrid_force_axis_turns_with_the_tool(arms):
    arm = arms("kuka_iiwa")
    q = arm.random_q(rng=3, margin=0.2)
    ctrl = HybridForceOSC(arm, force_direction=[0.0, 0.0, 1.0], force_frame="tool",
                          ctrlr_dof=[True] * 6)
    u = ctrl.generate(q, np.zeros(7), np.r_[arm.fk(q)[:3, 3], 0, 0, 0, 1], force_target=5.0)
    assert np.isfinite(u).all()
    np.testing.assert_allclose(ctrl.direction, arm.fk(q)[:3, 2], atol=1e-12)
    with pytest.raises(InputError, match="force_frame"):
        HybridForceOSC(arm, force_frame="base")
