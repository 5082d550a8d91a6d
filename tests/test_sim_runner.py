"""The scenario runner: its log's time convention, arm and gain checks, who closes sources."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import armjac.scenarios.runner
from armjac import configs
from armjac.errors import ConfigError
from armjac.jsonutil import to_jsonable
from armjac.scenarios import load_scenario, run_scenario


def bundled(name: str) -> dict:
    import yaml

    return yaml.safe_load((configs.folder("scenarios") / f"{name}.yaml").read_text())


def test_every_log_row_is_one_instant(arms, tmp_path, monkeypatch):
    arm = arms("kuka_iiwa")
    logs = []
    runner = armjac.scenarios.runner
    monkeypatch.setattr(runner, "save_plots", lambda log, *a: logs.append(log) or [])
    run_scenario("reach", duration=0.2, out_dir=tmp_path, arm=arm)
    (log,) = logs
    dt = 1e-3
    np.testing.assert_allclose(log["t"], np.arange(200) * dt)
    # The pose logged in row k is that of the joints logged in row k.
    np.testing.assert_allclose(log["ee_pos"], arm.fk(log["q"])[:, :3, 3], atol=1e-6)
    np.testing.assert_allclose(log["ee_pos"][0], arm.fk(arm.home)[:3, 3], atol=1e-9)


@pytest.mark.parametrize("key", ["kv", "kvo"])
def test_zero_osc_damping_is_refused_at_load(key):
    cfg = bundled("reach")
    cfg["controller"][key] = 0
    with pytest.raises(ConfigError, match=f"controller.{key}: must be positive"):
        load_scenario(cfg)
    cfg["controller"]["type"] = "joint_pd"  # a joint PD may go undamped
    if key == "kv":
        load_scenario(cfg)


def test_arm_must_be_the_scenarios(arms):
    with pytest.raises(ConfigError, match="for .kuka_iiwa.*given is .planar2"):
        run_scenario("reach", duration=0.01, plots=False, arm=arms("planar2"))


class Closeable:
    """The analytic arm behind a source that records whether it was closed."""

    def __init__(self, arm):
        self.arm, self.dof, self.closed = arm, arm.dof, False

    def fk(self, q, link=None):
        return self.arm.fk(q, link)

    def jacobian(self, q, link=None, point=None):
        return self.arm.jacobian(q, link, point)

    def close(self):
        self.closed = True


def test_a_callers_source_stays_open_and_a_loaded_one_is_closed(arms, tmp_path, monkeypatch):
    import armjac.learned

    arm = arms("kuka_iiwa")
    mine = Closeable(arm)
    run_scenario("push", source=mine, duration=0.02, plots=False, arm=arm)
    assert not mine.closed
    loaded = Closeable(arm)
    monkeypatch.setattr(armjac.learned, "load", lambda path: loaded)
    (tmp_path / "model").mkdir()
    run_scenario("push", source=str(tmp_path / "model"), duration=0.02, plots=False, arm=arm)
    assert loaded.closed


def test_to_jsonable_gives_strict_json():
    data = {
        "a": np.float64("nan"),
        "b": [math.inf, np.float32(1.5), (np.int64(2), -math.inf)],
        "c": np.array([[1.0, np.nan]]),
        "d": Path("x") / "y",
        3: np.bool_(True),
    }
    text = json.dumps(to_jsonable(data), allow_nan=False)
    assert json.loads(text) == {
        "a": None, "b": [None, 1.5, [2, None]], "c": [[1.0, None]], "d": "x/y", "3": True,
    }  # fmt: skip
    assert copy.deepcopy(data)["c"].shape == (1, 2)  # the input is left alone
