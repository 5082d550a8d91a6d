"""Track: a KUKA iiwa traces a horizontal circle, holding its hand's orientation.

Shows pose control: a ``Circle`` trajectory carrying a fixed orientation gives
7-value targets (position + quaternion) with 6-value velocities and
accelerations, and an ``OSC`` controlling all six task axes follows them. The
controller keeps the task error of its last step in ``ctrl.error`` (position,
then orientation as a rotation vector), from which the RMSEs are computed.
At this speed the Coriolis and centrifugal torques matter: ``--use-C`` has the
controller compensate them (``OSC(use_C=True)``).

    python sims/track.py                  # two turns of a 0.1 m circle, 5 s
    python sims/track.py --duration 1     # a short run
    python sims/track.py --use-C          # with Coriolis compensation
    python sims/track.py --radius 0.05 --gui
"""

import argparse
import time

import numpy as np

import armjac
from armjac.control import OSC, RestingPosture
from armjac.sim import ArmSim
from armjac.trajectory import Circle


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=5.0, help="seconds to simulate")
    p.add_argument("--use-C", action="store_true", help="compensate Coriolis torques C(q, dq) dq")
    p.add_argument("--radius", type=float, default=0.1, help="of the circle, m")
    p.add_argument("--gui", action="store_true", help="show the PyBullet GUI")
    args = p.parse_args()
    if not np.isfinite([args.duration, args.radius]).all() or min(args.duration, args.radius) <= 0:
        p.error("--duration and --radius must be positive")

    arm = armjac.load_arm("kuka_iiwa")
    home = arm.fk(arm.home)  # 4x4 pose of the hand at the start posture
    # Two turns through the start point, cruising at 0.5 Hz (0.314 m/s on the default radius)
    # between 0.5 s blends; the orientation is held at the start's.
    circle = Circle(home[:3, 3] - [args.radius, 0, 0], normal=[0, 0, 1], start=home[:3, 3],
                    angle=4 * np.pi, duration=4.5, profile="cruise", ramp=0.5,
                    orientation=home[:3, :3])  # fmt: skip
    ctrl = OSC(
        arm,
        kp=400,
        ko=200,
        ctrlr_dof=[True] * 6,
        use_C=args.use_C,
        null_damping=2,
        null_controllers=[RestingPosture(arm.home, kp=10)],
    )

    errors = []
    with ArmSim(arm, gui=args.gui) as sim:
        for k in range(max(1, round(args.duration / sim.dt))):
            ref = circle.sample(k * sim.dt)  # x (7,), xd (6,), xdd (6,)
            fb = sim.get_feedback()
            u = ctrl.generate(fb["q"], fb["dq"], ref.x, ref.xd, ref.xdd)
            errors.append(ctrl.error.copy())  # [position (3); orientation (3)] at this step
            sim.send_forces(u)
            if args.gui:
                time.sleep(sim.dt)

    errors = np.array(errors)
    position = np.linalg.norm(errors[:, :3], axis=1)
    angle = np.linalg.norm(errors[:, 3:], axis=1)
    print(f"position RMSE: {np.sqrt(np.mean(position**2)) * 1e3:.3f} mm "
          f"(max {position.max() * 1e3:.3f} mm)")  # fmt: skip
    print(f"orientation RMSE: {np.degrees(np.sqrt(np.mean(angle**2))):.4f} deg")


if __name__ == "__main__":
    main()
