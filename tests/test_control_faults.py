"""Faults and bad input at the controllers: a clear error naming the cause, never a NaN torque."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest

from armjac.control import OSC, HybridForceOSC, JointLimitAvoidance, JointPD, RestingPosture
from armjac.errors import InputError


def _finite_within_limits_or_error(ctrl, words: str, *args, **kwargs) -> None:
    """``ctrl.generate``: finite torques within its limits, or an InputError naming ``words``."""
    try:
        u = ctrl.generate(*args, **kwargs)
    except InputError as exc:
        assert words in str(exc), str(exc)
        return
    assert np.isfinite(u).all()
    assert (np.abs(u) <= ctrl.torque_limits).all()


class ConstantTask:
    """A null-space task returning a fixed value (a broken one, in these tests)."""

    def __init__(self, value):
        self.value = value

    def generate(self, q, dq):
        return self.value

    def __repr__(self) -> str:
        return "ConstantTask()"


def test_a_target_1e306_away_is_a_clear_error_not_nan(arms):
    arm = arms("kuka_iiwa")
    for kw in ({"vmax": None}, {}, {"ctrlr_dof": [True] * 6, "vmax": None}):
        osc = OSC(arm, **kw)
        target = np.array([1e306, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
        limited = "vmax" not in kw
        expect = nullcontext() if limited else pytest.raises(InputError, match="overflows")
        with expect:
            u = osc.generate(arm.home, np.zeros(7), target)
            # With a speed limit the far target is a finite, bounded pull.
            assert np.isfinite(u).all() and (np.abs(u) <= arm.effort_limits).all()
            v = arm.jacobian(arm.home)[:3] @ np.linalg.solve(arm.mass_matrix(arm.home), u)
            assert v[0] > 0  # towards the target, not stopped by an overflowed norm


@pytest.mark.parametrize("speed", [1e200, 1e160, 1e300])
def test_an_absurd_dq_gives_a_clear_error_naming_dq(arms, speed):
    arm = arms("kuka_iiwa")
    osc = OSC(arm)
    dq = np.full(7, speed)
    target = arm.fk(arm.home)[:3, 3]
    _finite_within_limits_or_error(osc, "dq", arm.home, dq, target)


def test_nan_torque_limits_are_refused_at_construction(arms):
    arm = arms("kuka_iiwa")
    for lim in ([np.nan] * 7, [1.0] * 6 + [np.nan], [-1.0] * 7, [0.0] * 7, ["10"] * 7, [1.0] * 6):
        with pytest.raises(InputError, match="torque_limits"):
            OSC(arm, torque_limits=lim)
        with pytest.raises(InputError, match="torque_limits"):
            JointPD(arm, torque_limits=lim)
    # inf means no clamp, and is allowed.
    assert np.isfinite(OSC(arm, torque_limits=[np.inf] * 7).generate(
        arm.home, np.zeros(7), arm.fk(arm.home)[:3, 3] + 0.01)).all()  # fmt: skip


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.full(7, np.nan), "null-space task ConstantTask() returned a non-finite"),
        (np.array([np.inf] + [0.0] * 6), "null-space task ConstantTask() returned a non-finite"),
        (np.zeros(6), "null-space task ConstantTask()"),
        (np.zeros((7, 1)), "null-space task ConstantTask()"),
        ("fast", "null-space task ConstantTask()"),
        (None, "null-space task ConstantTask()"),
    ],
)
@pytest.mark.parametrize("metric", ["joint", "inertia"])
def test_a_broken_null_space_task_is_named(arms, value, words, metric):
    arm = arms("kuka_iiwa")
    osc = OSC(arm, null_controllers=[ConstantTask(value)], null_metric=metric)
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        osc.generate(arm.home, np.zeros(7), arm.fk(arm.home)[:3, 3])


def test_a_null_space_task_without_generate_is_refused(arms):
    with pytest.raises(InputError, match="generate"):
        OSC(arms("kuka_iiwa"), null_controllers=[object()])


def test_a_source_returning_nan_is_named(arms):
    arm = arms("kuka_iiwa")

    class BrokenJacobian:
        dof = 7

        def fk(self, q, link=None):
            return arm.fk(q)

        def jacobian(self, q, link=None, point=None):
            j = arm.jacobian(q)
            return j * np.nan if q[0] > 0.5 else j

    osc = OSC(BrokenJacobian(), dynamics=arm, torque_limits=arm.effort_limits)
    q = arm.home.copy()
    q[0] = 1.0
    with pytest.raises(InputError, match="Jacobian"):
        osc.generate(q, np.zeros(7), arm.fk(q)[:3, 3])


def test_extreme_finite_inputs_never_give_nan(arms, rng):
    """Any finite q, dq, target: finite torques within the limits, or an InputError."""
    arm = arms("kuka_iiwa")
    tasks = [RestingPosture(arm.home), JointLimitAvoidance(arm.joint_limits)]
    ctrls = [OSC(arm), OSC(arm, ctrlr_dof=[True] * 6, vmax=(1.0, 2.0), ki=10.0),
             HybridForceOSC(arm), OSC(arm, null_controllers=tasks)]  # fmt: skip
    for _ in range(40):
        scale = 10.0 ** rng.uniform(-3, 300, size=3)
        q = rng.normal(size=7) * min(scale[0], 1e6)
        dq = rng.normal(size=7) * scale[1]
        target = np.concatenate((rng.normal(size=3) * scale[2], rng.normal(size=4)))
        for ctrl in ctrls:
            try:
                u = ctrl.generate(q, dq, target)
            except InputError:
                continue
            assert np.isfinite(u).all() and (np.abs(u) <= arm.effort_limits).all()


# -- JointPD (wrong-length, string, NaN/inf gains and targets) ------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"kp": [1.0, 2.0]}, "kp"),
        ({"kp": "stiff"}, "kp"),
        ({"kp": ["1"] * 7}, "kp"),
        ({"kp": np.nan}, "kp"),
        ({"kp": np.inf}, "kp"),
        ({"kp": [1.0] * 6 + [np.inf]}, "kp"),
        ({"kp": -1.0}, "kp"),
        ({"kv": [1.0] * 8}, "kv"),
        ({"kv": np.nan}, "kv"),
        ({"kp": np.ones((7, 1))}, "kp"),
    ],
)
def test_joint_pd_refuses_bad_gains(arms, kwargs, name):
    with pytest.raises(InputError, match=rf"\b{name}\b"):
        JointPD(arms("kuka_iiwa"), **kwargs)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ({"target": "home"}, "target"),
        ({"target": ["0"] * 7}, "target"),
        ({"target": np.zeros(6)}, "target"),
        ({"target": np.full(7, np.nan)}, "target"),
        ({"target_velocity": np.zeros(3)}, "target_velocity"),
        ({"target_velocity": "slow"}, "target_velocity"),
        ({"q": np.zeros(8)}, "q"),
        ({"dq": [np.inf] * 7}, "dq"),
    ],
)
def test_joint_pd_refuses_bad_inputs(arms, args, name):
    arm = arms("kuka_iiwa")
    pd = JointPD(arm)
    call = {"q": arm.home, "dq": np.zeros(7), "target": arm.home} | args
    with pytest.raises(InputError, match=rf"\b{name}\b"):
        pd.generate(**call)
    assert np.isfinite(pd.generate(arm.home, np.zeros(7), arm.home)).all()


def test_joint_pd_overflow_is_a_clear_error(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="overflow"):
        JointPD(arm, kp=1e300).generate(arm.home, np.zeros(7), arm.home + 1e10)


# -- hybrid force inputs, controlled axes ---------------------------------------------------
@pytest.mark.parametrize("force", ["10", b"10", ["10", "0", "0"], True])
def test_hybrid_refuses_string_forces(arms, force):
    arm = arms("kuka_iiwa")
    ctrl = HybridForceOSC(arm)
    with pytest.raises(InputError, match="force_target"):
        ctrl.generate(arm.home, np.zeros(7), arm.fk(arm.home)[:3, 3], force_target=force)


@pytest.mark.parametrize(
    "dof", [[1, 1, 1, 0, 0, 2], [True] * 5, [0] * 6, "xyz", [1.0, 1, 1, 0, 0, 0.5]]
)
def test_ctrlr_dof_must_be_six_booleans(arms, dof):
    with pytest.raises(InputError, match="ctrlr_dof"):
        OSC(arms("kuka_iiwa"), ctrlr_dof=dof)


def test_null_space_tasks_check_their_parameters():
    with pytest.raises(InputError, match="kp"):
        RestingPosture(np.zeros(7), kp=np.nan)
    with pytest.raises(InputError, match="q_rest"):
        RestingPosture([0.0, np.inf])
    with pytest.raises(InputError, match="q_rest"):
        RestingPosture("home")
    with pytest.raises(InputError, match="margin"):
        JointLimitAvoidance(np.array([[-1.0, 1.0]]), margin=-0.1)
    with pytest.raises(InputError, match="limits"):
        JointLimitAvoidance(np.array([[1.0, -1.0]]))
    with pytest.raises(InputError, match="limits"):
        JointLimitAvoidance(np.array([[np.nan, 1.0]]))
