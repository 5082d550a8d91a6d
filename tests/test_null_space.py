"""Null-space tasks against their formulas, and their one-pass sum against the tasks one by one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from armjac.control import JointDamping, JointLimitAvoidance, RestingPosture
from armjac.control.null_space import NullSpaceSum
from armjac.errors import InputError

LIMITS = np.array([[-2.0, 2.0], [-1.0, 1.5], [-np.inf, np.inf], [0.0, 0.5]])


class Constant:
    def __init__(self, value):
        self.value = value

    def generate(self, q, dq):
        return self.value

    def __repr__(self) -> str:
        return "Constant()"


def test_resting_posture_takes_the_short_way_round():
    task = RestingPosture([3.0, 0.0, np.nan, 0.2], kp=4.0)
    q = np.array([-3.0, 0.5, 1.0, 0.2])
    dq = np.array([0.1, -0.2, 0.3, 0.0])
    # Joint 0: 3 - (-3) = 6 rad the long way, 6 - 2 pi the short way; joint 2 is free.
    expected = 4.0 * np.array([6.0 - 2 * math.pi, -0.5, 0.0, 0.0]) - 4.0 * dq * [1, 1, 0, 1]
    np.testing.assert_allclose(task.generate(q, dq), expected, atol=1e-14)


def test_joint_limit_push_ramps_to_the_gain_and_is_zero_when_clear():
    task = JointLimitAvoidance(LIMITS, margin=0.2, gain=50.0)
    assert task.push(np.array([0.0, 0.2, 1e6, 0.25])) is None
    np.testing.assert_array_equal(task.generate(np.array([0.0, 0.2, 1e6, 0.25]), None), 0.0)
    q = np.array([1.9, -0.95, 0.0, 0.6])  # 0.1 into the margin, 0.15 in, free, past the limit
    np.testing.assert_allclose(task.push(q), [-25.0, 37.5, 0.0, -50.0], rtol=1e-12)
    # On the edge of a margin: clear; just inside it: pushed.
    assert task.push(np.array([1.8, 0.2, 0.0, 0.25])) is None
    assert task.push(np.array([np.nextafter(1.8, 2.0), 0.2, 0.0, 0.25]))[0] < 0
    # Margins that overlap: always pushed, towards the middle.
    narrow = JointLimitAvoidance(np.array([[0.0, 0.3]]), margin=0.2)
    np.testing.assert_allclose(narrow.push(np.array([0.1])), [25.0], rtol=1e-12)
    np.testing.assert_allclose(narrow.push(np.array([0.2])), [-25.0], rtol=1e-12)


@pytest.mark.parametrize(
    "kinds",
    [
        ("posture", "limits"),
        ("limits", "posture", "damping"),
        ("damping",),
        ("limits",),
        ("posture", "posture", "damping", "damping", "custom", "limits", "limits"),
        ("custom", "damping"),
        (),
    ],
)
def test_the_sum_in_one_pass_is_the_sum_of_the_tasks(kinds, rng):
    n = len(LIMITS)
    make = {
        "posture": lambda: RestingPosture(rng.normal(size=n), kp=rng.uniform(1, 20)),
        "limits": lambda: JointLimitAvoidance(LIMITS, margin=rng.uniform(0.1, 0.3)),
        "damping": lambda: JointDamping(rng.uniform(0.5, 5)),
        "custom": lambda: Constant(rng.normal(size=n)),
    }
    tasks = [make[k]() for k in kinds]
    total = NullSpaceSum(tasks, n)
    kv = 3.5  # a further damping, returned beside the sum
    damped_sum = NullSpaceSum(tasks, n, damping=kv)
    for q in (np.array([0.1, 0.2, 5.0, 0.25]), np.array([1.95, -0.9, -7.0, 0.45])):
        dq = rng.normal(size=n)
        got = total.generate(q, dq)
        pair = damped_sum.generate_damped(q, dq)
        undamped = total.generate_damped(q, dq)[1]  # no further damping: the sum itself
        assert undamped is None if got is None else np.array_equal(undamped, got)
        if not tasks:
            assert got is None and pair[0] is None
            np.testing.assert_allclose(pair[1], -kv * dq, rtol=1e-15)
            continue
        expected = sum(task.generate(q, dq) for task in tasks)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(pair[0], expected, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(pair[1], expected - kv * dq, rtol=1e-13, atol=1e-13)


def test_the_sum_is_none_when_every_joint_is_clear_of_its_limits():
    total = NullSpaceSum([JointLimitAvoidance(LIMITS)], len(LIMITS))
    assert total.generate(np.array([0.0, 0.0, 0.0, 0.25]), np.ones(4)) is None


def test_a_task_of_another_size_is_named():
    for task in (RestingPosture(np.zeros(3)), JointLimitAvoidance(LIMITS[:3])):
        with pytest.raises(InputError, match=r"(RestingPosture|JointLimitAvoidance).* 3 joints"):
            NullSpaceSum([task], 4)
    with pytest.raises(InputError, match="Constant"):
        NullSpaceSum([Constant("fast")], 4).generate(np.zeros(4), np.zeros(4))
