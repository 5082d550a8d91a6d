"""Reach: a KUKA iiwa visits targets along minimum-jerk lines, under operational-space control.

Shows the basic armjac loop. Inverse kinematics picks targets the arm can reach
out of random candidates; a minimum-jerk ``Line`` from one target to the next
is the reference; in PyBullet each step reads the joints, asks the ``OSC`` for
torques (with the line's velocity and acceleration fed forward) and sends them.
The controller takes its Jacobian from any source: the analytic arm, PyBullet's
own, or a learned model (``armjac.sources.resolve_source`` turns a name into one).

    python sims/reach.py                  # four targets, 1.5 s each
    python sims/reach.py --duration 2     # a short run
    python sims/reach.py --gui            # watch it (about real time)
    python sims/reach.py --jacobian pybullet
"""

import argparse
import time

import numpy as np

import armjac
from armjac import ik
from armjac.control import OSC, JointLimitAvoidance, RestingPosture
from armjac.sim import ArmSim
from armjac.sources import resolve_source
from armjac.trajectory import Line

SEGMENT = 1.5  # s per target: a 1 s line, then 0.5 s to settle


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=4 * SEGMENT, help="seconds to simulate")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    p.add_argument("--jacobian", default="analytic", help="analytic, pybullet or a model folder")
    args = p.parse_args()
    if not 0 < args.duration < np.inf:
        p.error("--duration must be a positive number of seconds")

    arm = armjac.load_arm("kuka_iiwa")  # analytic kinematics and dynamics, compiled and cached
    # Candidates in a box around the arm; batched IK keeps those it can put the hand on.
    rng = np.random.default_rng(0)
    candidates = rng.uniform([0.25, -0.6, 0.15], [0.8, 0.6, 0.9], size=(12, 3))
    found = ik.solve(arm, candidates, restarts=5, rng=0)
    targets = candidates[found.success][:4]
    print(f"IK: {found.success.sum()} of {len(candidates)} candidates reachable")

    starts = np.vstack((arm.fk(arm.home)[:3, 3], targets[:-1]))
    lines = [Line(a, b, duration=1.0) for a, b in zip(starts, targets, strict=True)]

    # Both release what they hold (a PyBullet server, a loaded model) on leaving the block.
    with resolve_source(args.jacobian, arm) as jac, ArmSim(arm, gui=args.gui) as sim:
        ctrl = OSC(
            jac.source, kp=600, ctrlr_dof=[True, True, True, False, False, False],  # position
            vmax=(2.0, 4.0), dynamics=jac.dynamics,  # M and g from the arm if the source has none
            # The 4 joints the task leaves free keep a posture and stay off their limits.
            null_damping=2, null_controllers=[RestingPosture(arm.home, kp=10),
                                              JointLimitAvoidance(arm.joint_limits)],
        )  # fmt: skip
        for target in targets:
            sim.add_marker(target)
        steps = max(1, round(args.duration / sim.dt))
        for k in range(steps):
            i = min(int(k * sim.dt / SEGMENT), len(lines) - 1)
            line = lines[i]
            ref = line.sample(k * sim.dt - i * SEGMENT)  # x, xd, xdd at this time
            fb = sim.get_feedback()
            sim.send_forces(ctrl.generate(fb["q"], fb["dq"], ref.x, ref.xd, ref.xdd))
            if (k + 1) % round(SEGMENT / sim.dt) == 0 or k + 1 == steps:
                err = np.linalg.norm(line.p1 - sim.ee_pose()[0])
                print(f"t = {sim.time:4.2f} s  to {np.round(line.p1, 3)}: {err * 1e3:.3f} mm")
            if args.gui:
                time.sleep(sim.dt)
    print(f"final error: {err * 1e3:.3f} mm")


if __name__ == "__main__":
    main()
