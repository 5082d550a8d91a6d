"""Payload: a KUKA iiwa holds its pose when a 2 kg mass is attached to its hand.

Shows a disturbance the controller's model does not know about, and the
integral term that removes it. ``ArmSim.add_payload`` fixes a sphere to the
end effector at t = 1 s; the ``OSC`` (gravity compensation for the bare arm
only) sags, and its integral action (``ki``) brings the hand back. The gains
put a triple closed-loop pole at -15 rad/s: s^3 + kv s^2 + kp s + ki = (s + 15)^3.
With ``--no-integral`` the sag stays: a PD law's steady state, Mx^-1 F / kp for
the payload's wrench F and the task-space inertia Mx (about 1 cm here).

    python sims/payload.py                  # 3 s
    python sims/payload.py --no-integral    # the steady-state error of a PD law
    python sims/payload.py --mass 4 --gui
"""

import argparse
import time

import numpy as np

import armjac
from armjac.control import OSC, RestingPosture
from armjac.scenarios.metrics import time_to_stay_within
from armjac.sim import ArmSim

AT = 1.0  # s, when the payload is attached


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=3.0, help="seconds to simulate")
    p.add_argument("--mass", type=float, default=2.0, help="payload, kg")
    p.add_argument("--no-integral", action="store_true", help="ki = 0 (a PD law)")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    args = p.parse_args()
    if not (0 < args.duration < np.inf and 0 < args.mass < np.inf):
        p.error("--duration and --mass must be positive")

    arm = armjac.load_arm("kuka_iiwa")
    ctrl = OSC(
        arm,
        kp=675,
        kv=45,
        ki=0.0 if args.no_integral else 3375,
        ctrlr_dof=[True] * 6,
        null_damping=2,
        null_controllers=[RestingPosture(arm.home, kp=10)],
    )

    times, errors = [], []
    with ArmSim(arm, gui=args.gui) as sim:
        position, quaternion = sim.ee_pose()  # hold where the hand starts
        target = np.r_[position, quaternion]
        attached = False
        while sim.time < args.duration - 1e-9:
            if not attached and sim.time >= AT - 1e-9:
                sim.add_payload(args.mass, offset=[0, 0, 0.05])  # 5 cm out along the tool axis
                attached = True
            fb = sim.get_feedback()
            sim.send_forces(ctrl.generate(fb["q"], fb["dq"], target))
            times.append(sim.time)
            errors.append(np.linalg.norm(sim.ee_pose()[0] - target[:3]))
            if args.gui:
                time.sleep(sim.dt)

    t, err = np.array(times), np.array(errors)
    after = t >= AT
    print(f"largest sag after attaching {args.mass:g} kg: {err[after].max(initial=0) * 1e3:.2f} mm")
    recovery = time_to_stay_within(t[after], err[after], 0.002, AT)  # NaN: never
    print(f"recovery time (back within 2 mm for good): {recovery:.3f} s")
    print(f"final error: {err[-1] * 1e3:.3f} mm")


if __name__ == "__main__":
    main()
