"""Push: a 20 N shove on a KUKA iiwa's hand, held off by a soft and by a stiff controller.

Shows an external force (``ArmSim.push``: a world-frame force on the end
effector for a stretch of time) and what the stiffness of an ``OSC`` does
about it. One simulation serves both runs: ``sim.reset()`` puts the arm back
at its start posture between them. Each run prints the largest deviation
and the time to come back within 2 mm after the push ends.

    python sims/push.py                        # 3 s per stiffness
    python sims/push.py --force 0 40 0 --gui
"""

import argparse
import time

import numpy as np

import armjac
from armjac.control import OSC, RestingPosture
from armjac.scenarios.metrics import time_to_stay_within
from armjac.sim import ArmSim

AT, LENGTH = 1.0, 0.2  # s: the push starts at AT and lasts LENGTH


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=3.0, help="seconds to simulate, per run")
    p.add_argument("--force", type=float, nargs=3, default=[0.0, 20.0, 0.0], help="N, world")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    args = p.parse_args()
    if not (0 < args.duration < np.inf and np.isfinite(args.force).all()):
        p.error("--duration must be positive and --force finite")

    arm = armjac.load_arm("kuka_iiwa")
    hold = arm.fk(arm.home)[:3, 3]  # hold the start position; orientation left to the null space
    with ArmSim(arm, gui=args.gui) as sim:
        for kp in (100.0, 600.0):
            sim.reset()  # back to q0 at rest
            ctrl = OSC(
                arm, kp=kp, null_damping=2, null_controllers=[RestingPosture(arm.home, kp=10)]
            )  # critically damped
            n = max(1, round(args.duration / sim.dt))
            t, dev = np.arange(1, n + 1) * sim.dt, np.zeros(n)
            for k in range(n):
                if k == round(AT / sim.dt):
                    sim.push(args.force, duration=LENGTH)
                fb = sim.get_feedback()
                sim.send_forces(ctrl.generate(fb["q"], fb["dq"], hold))
                dev[k] = np.linalg.norm(sim.ee_pose()[0] - hold)
                if args.gui:
                    time.sleep(sim.dt)
            back = time_to_stay_within(t[t >= AT + LENGTH], dev[t >= AT + LENGTH], 0.002,
                                       AT + LENGTH)  # fmt: skip
            print(
                f"kp = {kp:5.0f}: largest deviation {dev.max() * 1e3:6.2f} mm, "
                f"back within 2 mm {back:.3f} s after the push"
            )


if __name__ == "__main__":
    main()
