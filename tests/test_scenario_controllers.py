"""A scenario's controller is the one Python builds from the same stated values,
and the YAML reader adds no value of its own."""

from __future__ import annotations

import numpy as np
import pytest

import armjac.scenarios.controllers as controllers
from armjac.control import OSC, HybridForceOSC, JointPD, RestingPosture
from armjac.scenarios import load_scenario, scenario_data
from armjac.scenarios.controllers import build_controller


def _outputs(ctrl, arm, rng, **kw):
    """Torques from a fresh controller state at a few random states."""
    out = []
    for _ in range(5):
        q, dq = arm.random_q(rng=rng), rng.normal(0.0, 0.3, arm.dof)
        target = np.concatenate([arm.fk(arm.random_q(rng=rng))[:3, 3], [0.0, 1.0, 0.0, 0.0]])
        out.append(ctrl.generate(q, dq, target, **kw))
    return np.array(out)


def test_press_yaml_equals_python(arms):
    arm = arms("kuka_iiwa")
    cfg = load_scenario("press")
    from_yaml = build_controller(cfg, arm, None, arm, "hybrid")
    by_hand = HybridForceOSC(
        arm,
        kp=300,
        ko=200,
        vmax=None,
        ctrlr_dof=[True] * 6,
        null_controllers=[RestingPosture(arm.home, kp=50)],
        null_damping=5,
        kp_force=0.5,
        ki_force=5.0,
        kv_force=200.0,
        force_filter=0.005,
        force_integral_limit=2.0,
        dt=cfg.dt,
    )
    assert from_yaml.force_integral_limit == 2.0
    kw = dict(force_target=-10.0, force_measured=np.array([0.0, 0.0, -3.0]))
    a = _outputs(from_yaml, arm, np.random.default_rng(1), **kw)
    b = _outputs(by_hand, arm, np.random.default_rng(1), **kw)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["reach", "track", "payload", "push"])
def test_osc_scenarios_equal_python(arms, name):
    data = scenario_data(name)
    arm = arms(data["arm"])
    c = data["controller"]
    null = c["null_space"]
    tasks = [RestingPosture(arm.home, kp=null["posture"])]
    if null.get("joint_limits"):
        from armjac.control import JointLimitAvoidance

        tasks.append(JointLimitAvoidance(arm.joint_limits))
    axes = ["x", "y", "z", "rx", "ry", "rz"]
    gains = {k: c[k] for k in ("kp", "ko", "kv", "kvo", "ki", "vmax") if k in c}
    by_hand = OSC(arm, **gains, ctrlr_dof=[a in c["ctrlr_dof"] for a in axes],
                  null_controllers=tasks, null_damping=null["damping"])  # fmt: skip
    from_yaml = build_controller(load_scenario(name), arm, None, arm)
    rng = 2
    a = _outputs(from_yaml, arm, np.random.default_rng(rng))
    b = _outputs(by_hand, arm, np.random.default_rng(rng))
    np.testing.assert_array_equal(a, b)


class _Spy:
    """Records the arguments a controller class is called with."""

    calls: list = []

    def __init__(self, *args, **kwargs):
        _Spy.calls.append((args, kwargs))


def _spy_on(monkeypatch, kind: str) -> None:
    """Register ``_Spy`` in place of controller ``kind`` for this test."""
    entry = controllers.controller_type(kind)
    spy = entry.__class__(_Spy, entry.kwargs, entry.task_space)
    monkeypatch.setitem(controllers._CONTROLLERS, kind, spy)
    _Spy.calls = []


@pytest.mark.parametrize("kind", ["osc", "hybrid", "joint_pd"])
def test_reader_adds_no_defaults(arms, monkeypatch, kind):
    arm = arms("planar2")
    _spy_on(monkeypatch, kind)
    scenario = "press" if kind == "hybrid" else "track"
    cfg = load_scenario({"scenario": scenario, "arm": "planar2", "controller": {"type": kind},
                         "task": {"start": [0.5, 0.0], "table_height": 0.1}
                         if kind == "hybrid" else {}})  # fmt: skip
    build_controller(cfg, arm, None, arm)
    ((args, kwargs),) = _Spy.calls
    assert args == (arm,)
    # Only what is not a controller parameter: the scenario's period and where dynamics come from.
    assert set(kwargs) <= {"dynamics", "dt"}


def test_stated_values_pass_through(arms, monkeypatch):
    arm = arms("planar2")
    _spy_on(monkeypatch, "joint_pd")
    cfg = load_scenario({"scenario": "track", "arm": "planar2",
                         "controller": {"type": "joint_pd", "kp": 7, "kv": 0}})  # fmt: skip
    build_controller(cfg, arm, None, arm)
    assert _Spy.calls == [((arm,), {"kp": 7.0, "kv": 0.0})]
    assert isinstance(build_controller(cfg, arm, None, arm), _Spy)
    monkeypatch.undo()
    assert isinstance(build_controller(cfg, arm, None, arm), JointPD)


def test_a_stated_null_is_passed_not_dropped(arms, monkeypatch):
    """``vmax: null`` states "no speed limit"; it must reach the class as None."""
    arm = arms("planar2")
    _spy_on(monkeypatch, "osc")
    cfg = load_scenario({"scenario": "track", "arm": "planar2",
                         "controller": {"type": "osc", "vmax": None}})  # fmt: skip
    build_controller(cfg, arm, None, arm)
    ((_, kwargs),) = _Spy.calls
    assert "vmax" in kwargs and kwargs["vmax"] is None


@pytest.mark.parametrize("name", ["track", "press", "payload", "push"])
def test_bundled_scenarios_state_their_speed_limit(name):
    assert "vmax" in scenario_data(name)["controller"]
