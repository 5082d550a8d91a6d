"""Wipe: a KUKA iiwa holds 10 N on a table while its tool traces a circle on it, upright.

Shows force control in the tool's frame, at the tool's tip: IK and both
controllers work on ``point=TIP`` (the tip, in the last link's frame) rather
than on the link frame. Inverse kinematics finds a start posture with the tool
pointing down just above the table (``ArmSim(q0=...)``).
The tool descends at 1 cm/s under an ``OSC`` until the wrist force/torque
sensor feels the table; then a ``HybridForceOSC`` with its force axis fixed in
the tool (``force_frame="tool"``) ramps the push up to 10 N and follows a
``Circle`` (5 cm across, 0.1 m/s) in the table's plane, keeping the tool
perpendicular to it. Scored on the circle: the table's contact force, the
distance from the circle and the tilt of the tool.

    python sims/wipe.py                   # 6 s
    python sims/wipe.py --duration 2.5    # a short run
    python sims/wipe.py --speed 0.05 --gui
"""

import argparse
import time

import numpy as np

import armjac
from armjac import ik
from armjac.control import OSC, HybridForceOSC, RestingPosture
from armjac.sim import ArmSim
from armjac.trajectory import Circle, Line

TIP = [0.0, 0.0, 0.046]  # the bottom of link 7's mesh, in its frame, m
CENTER, RADIUS, FORCE = np.array([0.55, 0.0, 0.25]), 0.025, 10.0  # on the table top; m, m, N
DOWN = [0.0, 1.0, 0.0, 0.0]  # tool z axis pointing down (x, y, z, w)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=6.0, help="seconds to simulate")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    p.add_argument("--speed", type=float, default=0.1, help="along the circle, m/s")
    args = p.parse_args()
    if not all(0 < v < np.inf for v in (args.duration, args.speed)):
        p.error("--duration and --speed must be positive")

    arm = armjac.load_arm("kuka_iiwa")
    start = CENTER + [RADIUS, 0, 0]
    above = np.r_[start + [0, 0, 0.015], DOWN]
    posture = ik.solve(arm, above, point=TIP, posture=arm.home, rng=0)  # near home, tool down
    descent = Line(above, above - [0, 0, 0.05, 0, 0, 0, 0], profile="cruise", vmax=0.01, amax=0.5)
    turn = args.speed * (4.0 - 0.25) / RADIUS  # rad in 4 s, at the speed between 0.25 s blends
    circle = Circle(CENTER, normal=[0, 0, 1], start=start, angle=turn, duration=4.0,
                    profile="cruise", ramp=0.25, orientation=DOWN)  # fmt: skip
    gains = dict(kp=600, ko=300, ctrlr_dof=[True] * 6, point=TIP,
                 null_damping=5, null_controllers=[RestingPosture(arm.home, kp=20)])  # fmt: skip
    approach = OSC(arm, **gains)
    wipe = HybridForceOSC(arm, force_direction=[0, 0, 1], force_frame="tool",
                          force_integral_limit=2.0, **gains)  # fmt: skip

    touched, forces, qs = None, [], []  # table force and posture per step on the circle
    with ArmSim(arm, gui=args.gui, q0=posture.q) as sim:
        table = sim.add_box([0.25, 0.25, 0.05], [0.55, 0.0, 0.2], friction=0.3)
        sensor = sim.ft_sensor()
        for k in range(max(1, round(args.duration / sim.dt))):
            t, fb = k * sim.dt, sim.get_feedback()
            f_tool = sensor.wrench()[:3]  # what the tool applies to the table, world frame
            if touched is None and k > 0 and -f_tool[2] > 1.0:
                touched = t
            if touched is None:
                ref = descent.sample(t)
                u = approach.generate(fb["q"], fb["dq"], ref.x, ref.xd, ref.xdd)
            else:
                goal = [0, 0, -FORCE * min(1.0, (t - touched) / 0.3)]  # ramped up over 0.3 s
                ref = circle.sample(t - touched - 0.8)  # holds its start for 0.8 s in contact
                u = wipe.generate(fb["q"], fb["dq"], ref.x, force_target=goal,
                                  force_measured=f_tool, target_velocity=ref.xd,
                                  target_acceleration=ref.xdd)  # fmt: skip
            sim.send_forces(u)
            if touched is not None and t >= touched + 0.8:
                forces.append(sim.contact_force(table)[2])
                qs.append(sim.get_feedback()["q"])
            if args.gui:
                time.sleep(sim.dt)

    if not forces:
        print("not on the circle yet: run for 2.5 s or more")
        return
    poses = arm.fk(np.array(qs))  # (n, 4, 4): one vectorised call
    tips = poses[:, :3, 3] + poses[:, :3, :3] @ TIP
    radial = np.linalg.norm(tips[:, :2] - CENTER[:2], axis=1) - RADIUS
    tilt = np.degrees(np.arccos(np.clip(-poses[:, 2, 2], -1.0, 1.0)))  # tool z from straight down
    rmse = np.sqrt(np.mean((np.array(forces) - FORCE) ** 2))
    print(f"on the circle for {len(forces) * sim.dt:.2f} s after touchdown at {touched:.3f} s")
    print(f"force RMSE to {FORCE:g} N: {rmse:.3f} N")
    print(f"radial RMSE: {np.sqrt(np.mean(radial**2)) * 1e3:.3f} mm, max tilt {tilt.max():.3f} deg")


if __name__ == "__main__":
    main()
