"""Controller inputs: refused with InputError naming the argument, and the hybrid speed limit."""

from __future__ import annotations

import numpy as np
import pytest
from test_control_osc import IdentitySource, PositionOnly

from armjac.control import OSC, ControlModel, HybridForceOSC
from armjac.errors import InputError


def test_hybrid_speed_limit_ignores_the_error_along_the_force_axis(rng):
    src = IdentitySource(rng, rows=3)
    kw = dict(kp=100.0, kv=20.0, kp_force=0.5, ki_force=0.0, kv_force=20.0, force_filter=0.0)
    ctrl = HybridForceOSC(src, vmax=0.1, ki=1.0, **kw)
    free = HybridForceOSC(src, ki=1.0, **kw)  # no limit: the free axes need 0.05 m/s only
    q, dq = np.zeros(3), rng.normal(size=3) * 0.01
    target = np.array([0.01, -0.005, 1.0])  # a metre "below" the table along z
    forces = dict(force_target=[0, 0, -10.0], force_measured=[0, 0, -8.0])
    for _ in range(3):  # the integral term sees the same error
        np.testing.assert_allclose(ctrl.generate(q, dq, target, **forces),
                                   free.generate(q, dq, target, **forces), rtol=1e-12)  # fmt: skip


def _arm_osc(arms, **kw):
    arm = arms("kuka_iiwa")
    return arm, OSC(arm, ctrlr_dof=[True] * 6, **kw)


def _pose(arm):
    return np.concatenate((arm.fk(arm.home)[:3, 3], [0, 0, 0, 1]))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"target": "here"}, "target"),
        ({"target": [0.1, np.nan, 0.5, 0, 0, 0, 1]}, "target must be finite"),
        ({"target": [0.1, 0.2, 0.5, 0, 0, np.inf, 1]}, "target must be finite"),
        ({"target": None}, "target"),
        ({"target_velocity": [np.nan, 0, 0]}, "target_velocity must be finite"),
        ({"target_velocity": [0.0, 0.0]}, "target_velocity must have 3"),
        ({"target_velocity": "fast"}, "target_velocity"),
        ({"target_acceleration": [0, 0, 0, 0, np.inf, 0]}, "target_acceleration must be finite"),
        ({"target_acceleration": np.zeros((2, 3))}, "target_acceleration must have 3"),
    ],
)
def test_bad_targets_are_input_errors_naming_the_argument(arms, kwargs, words):
    arm, osc = _arm_osc(arms)
    args = {"target": _pose(arm)} | kwargs
    with pytest.raises(InputError, match=words):
        osc.generate(arm.home, np.zeros(7), **args)
    assert np.isfinite(osc.generate(arm.home, np.zeros(7), _pose(arm))).all()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"force_target": [0, np.nan, -5.0]}, "force_target must be finite"),
        ({"force_target": np.inf}, "force_target must be finite"),
        ({"force_target": [0.0, -5.0]}, "force_target must be"),
        ({"force_target": "hard"}, "force_target"),
        ({"force_measured": [0.0, -5.0]}, "force_measured must be"),
        ({"force_measured": None}, "force_measured"),
    ],
)
def test_bad_forces_are_input_errors_naming_the_argument(arms, kwargs, words):
    arm = arms("kuka_iiwa")
    ctrl = HybridForceOSC(arm)
    target = arm.fk(arm.home)[:3, 3]
    with pytest.raises(InputError, match=words):
        ctrl.generate(arm.home, np.zeros(7), target, **kwargs)
    u = ctrl.generate(arm.home, np.zeros(7), target, force_target=-5.0, force_measured=[0, 0, 1])
    assert np.isfinite(u).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"kp": np.nan}, "kp"),
        ({"kp": -1.0}, "kp"),
        ({"ko": np.inf}, "ko"),
        ({"kv": 0.0}, "kv"),
        ({"kvo": -2.0}, "kvo"),
        ({"ki": -1.0}, "ki"),
        ({"ki": np.nan}, "ki"),
        ({"dt": 0.0}, "dt"),
        ({"dt": -1e-3}, "dt"),
        ({"dt": np.nan}, "dt"),
        ({"singular_threshold": 0.0}, "singular_threshold"),
        ({"singular_threshold": -1e-3}, "singular_threshold"),
        ({"integral_limit": -0.1}, "integral_limit"),
        ({"integral_limit": np.nan}, "integral_limit"),
        ({"vmax": np.nan}, "vmax"),
        ({"kp": "stiff"}, "kp"),
    ],
)
def test_bad_osc_parameters_are_refused(arms, kwargs, name):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match=rf"\b{name}\b"):
        OSC(arm, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"kp_force": np.nan}, "kp_force"),
        ({"ki_force": -1.0}, "ki_force"),
        ({"kv_force": np.inf}, "kv_force"),
        ({"force_filter": -0.01}, "force_filter"),
        ({"force_integral_limit": -1.0}, "force_integral_limit"),
    ],
)
def test_bad_hybrid_parameters_are_refused(arms, kwargs, name):
    with pytest.raises(InputError, match=rf"\b{name}\b"):
        HybridForceOSC(arms("kuka_iiwa"), **kwargs)


def test_source_and_dynamics_must_have_the_same_number_of_joints(arms):
    kuka, xarm = arms("kuka_iiwa"), arms("xarm6")
    with pytest.raises(InputError, match="has dof=7 but the dynamics"):
        ControlModel(PositionOnly(kuka), dynamics=xarm, fk_source="source")
    with pytest.raises(InputError, match="has dof=7 but the dynamics"):
        OSC(kuka, dynamics=xarm)
