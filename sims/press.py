"""Press: a KUKA iiwa comes down onto a table, pushes 10 N on it and slides along it.

Shows hybrid force/position control with a wrist force/torque sensor. An
``OSC`` brings the tool above the table (a pose ``Line``: the orientation turns
by SLERP to tool-down) and lowers it at 5 cm/s; when the sensor
(``ArmSim.ft_sensor``) feels the table, a ``HybridForceOSC`` takes over: force
along the world z axis from the sensor's reading, position in x and y, where
the tool then slides 0.1 m. The table's own contact force, measured by the
simulator, scores the result.

    python sims/press.py                  # 5 s
    python sims/press.py --duration 3     # a short run
    python sims/press.py --force 20 --gui
"""

import argparse
import time

import numpy as np

import armjac
from armjac.control import OSC, HybridForceOSC, RestingPosture
from armjac.sim import ArmSim
from armjac.trajectory import Line

TABLE_TOP = 0.25  # m
DOWN = [0.0, 1.0, 0.0, 0.0]  # tool z axis pointing down (x, y, z, w)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=5.0, help="seconds to simulate")
    p.add_argument("--force", type=float, default=10.0, help="push on the table, N")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    args = p.parse_args()
    if not all(0 < v < np.inf for v in (args.duration, args.force)):
        p.error("--duration and --force must be positive")

    arm = armjac.load_arm("kuka_iiwa")
    above = np.r_[0.55, 0.0, TABLE_TOP + 0.06, DOWN]  # position + quaternion
    approach = Line(arm.fk(arm.home), above, duration=1.0)
    descent = Line(above, above - [0, 0, 0.2, 0, 0, 0, 0], profile="cruise", vmax=0.05, amax=0.5)
    gains = dict(kp=300, ko=200, ctrlr_dof=[True] * 6,
                 null_damping=5, null_controllers=[RestingPosture(arm.home, kp=50)])  # fmt: skip
    move = OSC(arm, **gains)
    press = HybridForceOSC(arm, force_direction=[0, 0, 1], kp_force=0.5, ki_force=5.0,
                           force_integral_limit=2.0, **gains)  # fmt: skip

    touched, slide, table_force = None, None, []
    with ArmSim(arm, gui=args.gui) as sim:
        table = sim.add_box([0.35, 0.35, 0.05], [0.55, 0.0, TABLE_TOP - 0.05], friction=0.3)
        sensor = sim.ft_sensor()  # on the flange; reads what the tool applies to the world
        for k in range(max(1, round(args.duration / sim.dt))):
            t = k * sim.dt
            fb = sim.get_feedback()
            wrench = sensor.wrench()  # [force (3); torque (3)], world frame, tool weight removed
            if touched is None and t > 1.5 and -wrench[2] > 1.0:
                touched = t
                here = sim.ee_pose()[0]
                slide = Line(here, here + [0.1, 0, 0], duration=2.0)  # along the table
            if touched is None:  # approach, then a slow descent under motion control
                ref = approach.sample(t) if t < 1.5 else descent.sample(t - 1.5)
                u = move.generate(fb["q"], fb["dq"], ref.x, ref.xd, ref.xdd)
            else:  # hold, then slide after 1 s in contact; z is under force control
                ref = slide.sample(t - touched - 1.0)
                u = press.generate(fb["q"], fb["dq"], np.r_[ref.x, DOWN],
                                   force_target=[0, 0, -args.force], force_measured=wrench[:3],
                                   target_velocity=ref.xd, target_acceleration=ref.xdd)  # fmt: skip
                if t > touched + 0.5:  # the touchdown transient is over
                    table_force.append(sim.contact_force(table)[2])
            sim.send_forces(u)
            if args.gui:
                time.sleep(sim.dt)

    if not table_force:
        print("not pressing yet: run for 2.5 s or more")
        return
    f = np.array(table_force)
    print(f"touchdown at t = {touched:.3f} s; from 0.5 s later on, the table's push back:")
    rmse = np.sqrt(np.mean((f - args.force) ** 2))
    print(f"force mean {f.mean():.2f} N, RMSE to {args.force:g} N: {rmse:.3f} N, "
          f"steps without contact: {int((f <= 0).sum())}")  # fmt: skip


if __name__ == "__main__":
    main()
