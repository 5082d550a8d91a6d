"""Force without a wrist sensor in closed loop: the sensorless press and wipe, the touchdown
against its impact bound on both sensing paths, and the contact-estimation scenario. The
simulator's contact force (never seen by the controller) is the reference."""

from __future__ import annotations

import pytest
import yaml

from armjac import configs
from armjac.errors import ConfigError

pytest.importorskip("pybullet")
from armjac.scenarios import load_scenario, run_scenario  # noqa: E402


def bundled(name: str) -> dict:
    return yaml.safe_load((configs.folder("scenarios") / f"{name}.yaml").read_text())


def test_sensorless_press_holds_ten_newtons(arms):
    m = run_scenario("press_sensorless", plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    assert m["force_rmse_N"] <= 0.5  # measured by the simulator's contact force
    assert m["contact_lost_steps"] == 0
    assert m["slide_estimate_rmse_N"] <= 0.5  # the observer while sliding at ~5 cm/s
    assert m["passed"], m["failures"]


@pytest.mark.parametrize("sensing", ["contact", "observer"])
@pytest.mark.parametrize("name", ["touchdown", "touchdown_slow"])
def test_touchdown_on_a_compliant_pad(arms, name, sensing):
    cfg = bundled(name)
    cfg["task"]["force_from"] = sensing
    m = run_scenario(cfg, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    # the bound is v sqrt(k m) with the stiffness measured in the run (several contact points)
    assert m["contact_stiffness_N_m"] > 1e5
    if name == "touchdown":
        assert m["touchdown_speed_m_s"] == pytest.approx(0.05, rel=0.05)
        assert m["touchdown_peak_ratio"] <= 1.5
    else:
        assert m["touchdown_speed_m_s"] == pytest.approx(0.01, rel=0.05)
        assert m["max_force_N"] < 2 * m["force_target_N"]
    assert m["force_rmse_N"] <= 0.5


def test_sensorless_wipe_traces_its_circle_at_ten_newtons(arms):
    m = run_scenario("wipe_sensorless", plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    assert m["circle_force_rmse_N"] <= 1.0
    assert m["circle_estimate_rmse_N"] <= 0.6
    assert m["touchdown_peak_ratio"] <= 1.5
    assert m["passed"], m["failures"]


def test_contact_estimation_recovers_known_pushes(arms):
    cfg = bundled("contact_estimation")
    cfg["task"]["random"]["count"] = 4
    cfg["seed"] = 11  # directions the config did not choose
    m = run_scenario(cfg, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    assert m["pushes"] == 4
    assert m["settled_error_max_N"] <= 0.1
    assert m["rest_error_N"] <= 0.1


@pytest.mark.parametrize(
    "task, message",
    [
        ({"force_from": "psychic"}, "force_from"),
        ({"observer_gain": -1.0}, "observer_gain"),
        ({"contact_stiffness": 0.0}, "contact_stiffness"),
        ({"contact_damping": -2.0}, "contact_damping"),
    ],
)
def test_bad_sensing_keys_are_refused(task, message):
    cfg = bundled("press")
    cfg["task"].update(task)
    with pytest.raises(ConfigError, match=message):
        load_scenario(cfg)


def test_contact_estimation_refuses_both_pushes_and_random():
    cfg = bundled("contact_estimation")
    cfg["task"]["pushes"] = [[0.0, 0.0, 5.0]]
    with pytest.raises(ConfigError, match="pushes"):
        load_scenario(cfg)
