"""Short closed-loop scenario runs scored against the spec's numbers, and their failure paths."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import yaml

from armjac import configs
from armjac.errors import ConfigError
from armjac.scenarios import bundled_scenarios, load_scenario, run_scenario


def bundled(name: str) -> dict:
    return yaml.safe_load((configs.folder("scenarios") / f"{name}.yaml").read_text())


def test_bundled_scenarios_are_valid():
    names = bundled_scenarios()
    assert {"reach", "reach_panda", "track", "press", "payload", "push", "wipe"} <= set(names)
    for name in names:
        load_scenario(name)


def test_reach_two_targets(arms, tmp_path):
    cfg = bundled("reach")
    cfg["task"]["targets"] = cfg["task"]["targets"][:2]
    m = run_scenario(cfg, out_dir=tmp_path, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok"
    assert max(m["segment_final_errors_m"]) < 1e-3
    assert max(m["segment_settling_times_s"]) <= 0.5
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["max_segment_final_error_m"] == pytest.approx(m["max_segment_final_error_m"])
    assert {"path.png", "error.png", "torques.png"} <= {p.name for p in tmp_path.iterdir()}


def test_track_circle(arms):
    m = run_scenario("track", duration=2.0, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok"
    assert m["position_rmse_m"] <= 5e-3  # after the first second


def test_press_holds_ten_newtons_while_sliding(arms, tmp_path, engine):
    m = run_scenario("press", out_dir=tmp_path, arm=arms("kuka_iiwa"), engine=engine)
    assert m["status"] == "ok", m.get("reason")
    assert m["engine"] == engine
    assert m["force_target_N"] == 10.0
    assert m["force_rmse_N"] <= 1.0
    assert m["contact_lost_steps"] == 0
    assert (tmp_path / "force.png").is_file()


@pytest.mark.parametrize("name", ["payload", "push"])
def test_disturbance_recovery(arms, name):
    m = run_scenario(name, duration=2.3, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok"
    assert m["max_deviation_m"] > 2e-3  # the disturbance did move the hand
    assert m["recovery_time_s"] <= 1.0
    assert m["final_position_error_m"] <= 2e-3


def test_pybullet_source_runs_a_scenario(arms):
    cfg = bundled("push")
    m = run_scenario(cfg, source="pybullet", duration=0.3, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok" and m["jacobian"] == "pybullet"
    assert m["final_position_error_m"] < 1e-3


class FlippedJacobian:
    """A wrong source: the Jacobian's sign is flipped, so the loop feeds back positively."""

    def __init__(self, arm):
        self.arm, self.dof = arm, arm.dof

    def fk(self, q, link=None):
        return self.arm.fk(q)

    def jacobian(self, q, link=None, point=None):
        return -self.arm.jacobian(q)


def test_diverging_run_is_reported_as_failed(arms, tmp_path):
    arm = arms("kuka_iiwa")
    m = run_scenario("push", source=FlippedJacobian(arm), out_dir=tmp_path, arm=arm)
    assert m["status"] == "failed"
    assert "diverged" in m["reason"]
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "failed"


def test_missing_learned_model_path_is_a_config_error(arms, tmp_path):
    with pytest.raises(ConfigError, match="Jacobian source"):
        run_scenario("push", source=str(tmp_path / "nope.npz"), arm=arms("kuka_iiwa"))


BAD = [
    (lambda c: c.update(scenario="wiggle"), "scenario: must be one of"),
    (lambda c: c.pop("arm"), "arm: is required"),
    (lambda c: c.update(colour="red"), "unknown key.*colour"),
    (lambda c: c["controller"].update(kp="stiff"), "controller.kp: must be a finite number"),
    (lambda c: c["controller"].update(ctrlr_dof=["x", "w"]), "controller.ctrlr_dof: unknown axis"),
    (lambda c: c["task"]["targets"].append([0.1, 0.2]), r"task.targets\[5\]"),
    (lambda c: c["task"].update(segment_time=-1), "task.segment_time: must be positive"),
    (lambda c: c.update(seed=1.5), "seed: must be an integer"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_malformed_scenario_yaml(tmp_path, mutate, message):
    cfg = copy.deepcopy(bundled("reach"))
    mutate(cfg)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=message) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_unparsable_yaml_and_unknown_scenario(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("scenario: [reach\narm: kuka_iiwa\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_scenario(path)
    with pytest.raises(ConfigError, match="unknown scenario 'nope'"):
        load_scenario("nope")


def test_wrong_controller_for_scenario(tmp_path, arms):
    cfg = bundled("press")
    cfg["controller"]["type"] = "osc"
    with pytest.raises(ConfigError, match="press needs 'hybrid'"):
        run_scenario(cfg, plots=False, arm=arms("kuka_iiwa"))


def test_cli_runs_a_scenario_and_reports_errors(tmp_path, capsys):
    from armjac.cli import main

    code = main(["sim", "push", "--duration", "0.2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "final_position_error_m" in out
    assert code in (0, 1)  # 0.2 s is too short for every expected bound
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "ok"
    assert main(["sim", str(tmp_path / "missing.yaml")]) == 2
    assert "unknown scenario" in capsys.readouterr().err
    assert np.isfinite(json.loads((tmp_path / "metrics.json").read_text())["max_torque_Nm"])


def test_learned_model_path_goes_through_armjac_learned_load(arms, tmp_path, monkeypatch):
    import armjac.learned

    arm = arms("kuka_iiwa")

    class PositionOnly:  # what a learned model offers: position fk and a 3xN Jacobian
        dof, arm_name = arm.dof, arm.name

        def fk(self, q, link=None):
            return arm.fk(q)[:3, 3]

        def jacobian(self, q, link=None, point=None):
            return arm.jacobian(q)[:3]

    loaded = []
    monkeypatch.setattr(armjac.learned, "load", lambda p: loaded.append(p) or PositionOnly())
    cfg = bundled("push")
    cfg["controller"]["ctrlr_dof"] = ["x", "y", "z"]
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    m = run_scenario(cfg, source=str(model_dir), duration=0.3, plots=False, arm=arm)
    assert loaded and m["status"] == "ok" and m["jacobian"] == str(model_dir)
    assert m["final_position_error_m"] < 1e-3


def test_position_only_track_keeps_the_wrist_out_of_its_limits(arms):
    # x, y, z only on a 7-joint arm: the null-space posture must hold the light wrist,
    # else it swings into a joint limit once per circle (2-3 cm bursts from t ~ 0.6 s).
    cfg = bundled("track")
    cfg["controller"]["ctrlr_dof"] = ["x", "y", "z"]
    cfg["evaluate"]["rmse_from"] = 0.25
    m = run_scenario(cfg, duration=1.5, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok"
    assert m["position_rmse_m"] <= 5e-3
    assert m["max_position_error_m"] <= 5e-3


def test_reach_with_an_approximate_jacobian_ends_near_the_analytic_error(arms, rng):
    from test_control_osc import PositionOnly

    arm = arms("kuka_iiwa")
    cfg = bundled("reach")
    cfg["task"]["targets"] = cfg["task"]["targets"][:2]
    exact = run_scenario(cfg, plots=False, arm=arm)
    src = PositionOnly(arm, jac_error=rng.normal(size=(7, 7)) * 0.01)  # ~2 % J error
    approx = run_scenario(cfg, source=src, plots=False, arm=arm)
    assert approx["status"] == "ok"
    # Velocity from J dq would leave ~30-60x the analytic error (the damping acts on
    # the velocity (J - J_true) dq the hand does not have); from the sensor it is close.
    assert max(approx["segment_final_errors_m"]) <= 3 * max(exact["segment_final_errors_m"])
    assert max(approx["segment_settling_times_s"]) <= 0.5
