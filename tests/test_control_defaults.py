"""A default-constructed OSC holds on redundant arms: random starts, unseen targets, 1 mm in 3 s."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.control import OSC, JointLimitAvoidance
from armjac.sim import ArmSim


def _trials(arm, n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random starts within the limits, and targets at the FK of a random nearby posture."""
    rng = np.random.default_rng(seed)
    lo, hi = arm.sample_bounds(0.1)
    out = []
    for _ in range(n):
        q0 = arm.random_q(rng=rng, margin=0.1)
        q_target = np.clip(q0 + rng.uniform(-0.5, 0.5, arm.dof), lo, hi)
        out.append((q0, arm.fk(q_target)[:3, 3]))
    return out


def _final_error(sim, arm, ctrl, q0, target, seconds: float = 3.0) -> float:
    sim.reset(q0)
    ctrl.reset()
    for _ in range(round(seconds / sim.dt)):
        fb = sim.get_feedback()
        sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
    return float(np.linalg.norm(arm.fk(sim.get_feedback()["q"])[:3, 3] - target))


@pytest.mark.parametrize(("name", "seed"), [("kuka_iiwa", 11), ("franka_panda", 5)])
def test_default_osc_reaches_random_targets_within_1mm_in_3s(arms, name, seed):
    arm = arms(name)
    ctrl = OSC(arm)  # defaults only
    assert ctrl.null_damping > 0
    assert [type(t) for t in ctrl.null_controllers] == [JointLimitAvoidance]
    with ArmSim(arm) as sim:
        errors = [_final_error(sim, arm, ctrl, q0, tgt) for q0, tgt in _trials(arm, 4, seed)]
    assert max(errors) < 1e-3, errors


def test_null_damping_switches_off_and_kills_self_motion(arms, rng):
    """With the task held, the self-motion decays under the default damping, not without it."""
    arm = arms("kuka_iiwa")
    q0 = arm.home + rng.normal(size=7) * 0.1
    target = arm.fk(q0)[:3, 3]
    # A self-motion: a joint velocity that leaves the hand still (null space of J_v).
    jv = arm.jacobian(q0)[:3]
    dq0 = np.linalg.svd(jv)[2][-1] * 1.0
    speeds = {}
    with ArmSim(arm) as sim:
        for damping in (0.0, OSC.parameters().default("null_damping")):
            ctrl = OSC(arm, null_damping=damping, null_controllers=(), use_dJ=True)
            sim.reset(q0, dq0)
            for _ in range(500):
                fb = sim.get_feedback()
                sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
            speeds[damping] = float(np.linalg.norm(sim.get_feedback()["dq"]))
    undamped, damped = speeds.values()
    assert undamped > 0.3  # nothing stops a self-motion without damping
    assert damped < 0.05 * undamped
