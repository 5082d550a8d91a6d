"""Cartesian impedance: the hand is the spring it is told to be, in PyBullet."""

from __future__ import annotations

import numpy as np
import pytest

from armjac import load_arm
from armjac.control import CartesianImpedance
from armjac.control.orientation import pose_quat_tuple
from armjac.errors import InputError

pytest.importorskip("pybullet")
from armjac.sim import ArmSim  # noqa: E402


@pytest.fixture(scope="module")
def kuka():
    return load_arm("kuka_iiwa")


def _settle_under_push(arm, ctrl, force, change=None, steps=2500):
    with ArmSim(arm) as sim:
        fb = sim.get_feedback()
        tf = arm.fk(fb["q"])
        target = np.r_[tf[:3, 3], pose_quat_tuple(tf)]
        for k in range(steps):
            fb = sim.get_feedback()
            if k == 500:
                sim.push(force, duration=100.0)
            if change is not None and k == change[0]:
                ctrl.set_impedance(stiffness=change[1])
            sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
        return arm.fk(sim.get_feedback()["q"])[:3, 3] - target[:3]


def test_static_deflection_is_force_over_stiffness(kuka):
    rng = np.random.default_rng(8)
    k = rng.uniform(300, 1500, 3)
    force = rng.uniform(-10, 10, 3)
    ctrl = CartesianImpedance(kuka, stiffness=[*k, 60, 60, 60])
    disp = _settle_under_push(kuka, ctrl, force)
    np.testing.assert_allclose(disp * k, force, rtol=0.02, atol=0.05)


def test_stiffness_changed_at_run_time(kuka):
    force = np.array([0.0, 0.0, -8.0])
    ctrl = CartesianImpedance(kuka, stiffness=[400, 400, 400, 50, 50, 50])
    disp = _settle_under_push(kuka, ctrl, force, change=(1500, [1600, 1600, 1600, 50, 50, 50]))
    assert disp[2] * 1600 == pytest.approx(-8.0, rel=0.02)


def test_bad_parameters_and_inputs(kuka):
    with pytest.raises(InputError, match="stiffness"):
        CartesianImpedance(kuka, stiffness=[1, 2])
    with pytest.raises(InputError, match="stiffness"):
        CartesianImpedance(kuka, stiffness=-5.0)
    with pytest.raises(InputError, match="damping_ratio"):
        CartesianImpedance(kuka, damping_ratio=float("nan"))
    ctrl = CartesianImpedance(kuka)
    with pytest.raises(InputError, match="target"):
        ctrl.generate(kuka.home, np.zeros(7), [0.5, 0.0, 0.5])
    with pytest.raises(InputError, match="dq"):
        ctrl.generate(kuka.home, [np.nan] * 7, [0.5, 0, 0.5, 0, 0, 0, 1])
    u = ctrl.generate(kuka.home, np.zeros(7), [0.5, 0, 0.5, 0, 0, 0, 1])
    assert u.shape == (7,) and np.isfinite(u).all()


def test_impedance_from_a_scenario_file_holds_as_a_spring(arms):
    """``controller: {type: impedance}`` in a scenario: the push scenario's 20 N along y
    held for 1 s deflects the hand by F / K."""
    import yaml

    from armjac import configs
    from armjac.scenarios import run_scenario

    cfg = yaml.safe_load((configs.folder("scenarios") / "push.yaml").read_text())
    cfg["controller"] = {"type": "impedance", "stiffness": [800, 500, 800, 60, 60, 60],
                         "null_space": {"damping": 2.0}}
    cfg["task"]["duration"] = 1.0
    cfg["expect"] = {}
    m = run_scenario(cfg, duration=2.3, plots=False, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok", m.get("reason")
    assert m["max_deviation_m"] == pytest.approx(20.0 / 500.0, rel=0.05)
