"""tool_change and tracker_dropout run briefly on the real kuka arm; recovery curves; the
``adapt:`` source; config errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pybullet")

from armjac.errors import ConfigError  # noqa: E402
from armjac.scenarios import run_scenario, scenario_data  # noqa: E402
from armjac.scenarios.adaptive import recovery_curves  # noqa: E402


def _short(name: str, **task) -> dict:
    cfg = scenario_data(name)
    cfg["task"].update(holdout=40, **task)
    cfg.pop("expect", None)
    return cfg


@pytest.fixture(scope="module")
def tool_runs():
    return {
        rule: run_scenario(_short("tool_change", at=0.6, adapt=rule), duration=2.0)
        for rule in ("none", "tool_rls")
    }


def test_without_adaptation_the_nominal_never_recovers(tool_runs):
    r = tool_runs["none"]
    assert r["status"] == "ok" and r["tracker_samples"] is None
    assert math.isnan(r["recovery_time_s"]) and math.isnan(r["model_recovery_time_s"])
    assert r["final_position_error_m"] > 0.05  # the 8 cm longer tool, uncorrected
    off = r["offpath_fk_median_m"]
    assert off["after_m"] == off["at_change_m"] > off["before_change_m"]


def test_online_tool_offset_recovers_the_model(tool_runs):
    r = tool_runs["tool_rls"]
    assert r["status"] == "ok" and r["tracker_samples"] >= 90
    assert r["final_position_error_m"] < 0.1 * tool_runs["none"]["final_position_error_m"]
    off = r["offpath_fk_median_m"]
    assert off["after_m"] < 0.5 * off["at_change_m"]  # a tool offset holds everywhere
    assert r["update_median_us"] > 0
    t, e = r["curve"]["t"], r["curve"]["tip_error_m"]
    assert t.shape == e.shape and np.isfinite(e).all()


def test_load_data_damps_the_recovery():
    """The cause of the slow recovery: on the bare nominal dynamics the loaded real arm's
    horizontal task inertia is ~6x the model's, the designed triple pole at -15 rad/s
    becomes a 1.6 Hz oscillation (zeta ~0.1) and the tip is not within 2 mm 1.4 s after
    the change; with the tool and payload load data it is in about 0.5 s."""
    runs = {
        load: run_scenario(_short("tool_change", at=0.6, adapt="tool_rls", load_data=load),
                           duration=2.0)
        for load in (True, False)
    }  # fmt: skip
    assert runs[True]["recovery_time_s"] < 0.8
    assert math.isnan(runs[False]["recovery_time_s"])
    with pytest.raises(ConfigError, match="load_data"):
        run_scenario(_short("tool_change", load_data="yes"))


def test_tracker_dropout_runs_and_writes_outputs(tmp_path):
    cfg = _short("tracker_dropout", stop=0.8, adapt="offset")
    r = run_scenario(cfg, out_dir=tmp_path, duration=1.2)
    assert r["status"] == "ok" and r["type"] == "tracker_dropout"
    assert r["held_within_tolerance_s"] >= 0 and np.isfinite(r["rmse_after_stop_m"])
    assert (tmp_path / "metrics.json").is_file() and (tmp_path / "error.png").is_file()
    # the tracker stopped: no sample is exposed after 0.8 s (20 ms period, 10 ms latency)
    assert r["tracker_samples"] <= 0.8 * 50 + 1


def test_recovery_curves_plot(tmp_path):
    cfg = _short("tool_change", at=0.3)
    out = recovery_curves(cfg, {"none": "none", "offset": "offset"}, out_dir=tmp_path,
                          duration=0.6)  # fmt: skip
    assert set(out) == {"none", "offset"}
    assert (tmp_path / "recovery.png").is_file() and (tmp_path / "recovery.json").is_file()


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="task.adapt"):
        run_scenario(_short("tool_change", adapt="magic"))
    with pytest.raises(ConfigError, match="tool_extension"):
        run_scenario(_short("tool_change", tool_extension="long"))
    with pytest.raises(ConfigError, match="rate"):
        run_scenario(_short("tracker_dropout", tracker={"rate": 50}))


def test_adapt_source_kind(arms):
    from armjac.adapt import Broyden, TrackerOffset
    from armjac.sources import make_source

    arm = arms("kuka_iiwa")
    src = make_source("adapt:broyden", arm)
    assert isinstance(src, Broyden) and src.jacobian(arm.home).shape == (3, arm.dof)
    stacked = make_source("adapt:offset:analytic", arm)
    assert isinstance(stacked, TrackerOffset)
    with pytest.raises(ConfigError, match="needs a rule"):
        make_source("adapt", arm)
