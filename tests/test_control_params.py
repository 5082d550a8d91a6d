"""Controller parameters are declared once: the constructors' defaults and checks come from
the tables, and a scenario file that states nothing builds the Python default controller."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from armjac.control import OSC, HybridForceOSC, JointPD
from armjac.errors import InputError


@pytest.mark.parametrize("cls", [OSC, HybridForceOSC, JointPD])
def test_signature_defaults_are_the_declared_ones(cls):
    table = cls.parameters()
    params = {}
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            params |= {k: v for k, v in inspect.signature(klass.__init__).parameters.items()
                       if v.default is not inspect.Parameter.empty}  # fmt: skip
    for name, param in table.items():
        assert name in params, f"{name} is declared but not a constructor argument"
        assert params[name].default == param.default or (
            np.shape(param.default) and np.array_equal(params[name].default, param.default)
        ), name
        assert param.rule and param.doc


def test_the_values_the_old_code_disagreed_on():
    # One value each: 200/s^2 (Python said 100, YAML 200) and 2 N·s (Python 20, YAML 2).
    assert OSC.parameters().default("kp") == 200.0
    assert HybridForceOSC.parameters().default("force_integral_limit") == 2.0
    assert set(OSC.parameters()) < set(HybridForceOSC.parameters())


@pytest.mark.parametrize("cls", [OSC, HybridForceOSC])
def test_every_declared_rule_refuses_a_bad_value(arms, cls):
    arm = arms("kuka_iiwa")
    for name, param in cls.parameters().items():
        for bad in ("stiff", np.nan, -1.0, [1.0, 2.0, 3.0]):
            try:
                param.validate(bad)
            except InputError as exc:
                assert name in str(exc)
                with pytest.raises(InputError, match=name):
                    cls(arm, **{name: bad})
                break
        else:
            pytest.fail(f"{name} accepted every bad value")


def test_describe_lists_every_parameter():
    rows = OSC.parameters().describe()
    assert [r["name"] for r in rows] == list(OSC.parameters())
    assert {"name", "default", "rule", "doc"} <= set(rows[0])


def test_a_scenario_that_states_nothing_is_the_python_default(arms, rng):
    from armjac.scenarios import load_scenario
    from armjac.scenarios.controllers import build_controller

    arm = arms("kuka_iiwa")
    cfg = load_scenario({"scenario": "track", "arm": "kuka_iiwa", "controller": {"type": "osc"}})
    from_yaml = build_controller(cfg, arm, None, arm)
    by_hand = OSC(arm, dt=cfg.dt)
    for _ in range(3):
        q, dq = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7) * 0.3
        target = arm.fk(arm.random_q(rng=rng))[:3, 3]
        np.testing.assert_array_equal(
            from_yaml.generate(q, dq, target), by_hand.generate(q, dq, target)
        )
