"""Press without a force sensor: the force comes from joint torques, the tool's weight from
a load identification.

A KUKA iiwa carries a tool the model does not know (a mass off its flange). Steps:

1. ``identify_load``: hold 12 designed static poses, read the joint torques, fit the
   tool's mass and centre of mass; the result carries an adjusted arm with the load.
2. Press 10 N on a table and slide 0.1 m, with ``HybridForceOSC`` reading its force from a
   ``MomentumObserver`` on that arm (no wrist sensor anywhere): the only change from the
   sensor version (sims/press.py) is where ``force_measured`` comes from.
3. The same press with the observer on the nominal arm, which takes the tool's weight
   for a push.

The table's own contact force, measured by the simulator, scores both.

    python sims/press_sensorless.py                 # identification, then two presses
    python sims/press_sensorless.py --tool-mass 2 --duration 4
"""

import argparse

import numpy as np

import armjac
from armjac.control import OSC, HybridForceOSC, RestingPosture
from armjac.estimation import MomentumObserver, design_load_poses, identify_load
from armjac.mismatch.static_torques import measure_static_torques
from armjac.sim import ArmSim
from armjac.trajectory import Line

TABLE_TOP = 0.25  # m
DOWN = [0.0, 1.0, 0.0, 0.0]  # tool z axis pointing down (x, y, z, w)
TOOL_OFFSET = [0.03, 0.0, -0.04]  # the unknown tool's centre of mass, flange frame, m


def identify(arm, mass: float):
    """The tool's load from torques at designed static poses, in a world of its own."""
    poses = design_load_poses(arm, 12)
    with ArmSim(arm, q0=poses[0]) as sim:
        sim.add_payload(mass, TOOL_OFFSET, radius=0.02)
        q, tau = measure_static_torques(sim, poses, arm, move_time=1.0, hold_time=0.4)
    return identify_load(arm, q, tau)


def press(arm, model, mass: float, force: float, duration: float) -> np.ndarray:
    """Press with the observer on ``model``; the table's push back after touchdown, N."""
    above = np.r_[0.55, 0.0, TABLE_TOP + 0.06, DOWN]
    approach = Line(arm.fk(arm.home), above, duration=1.0)
    descent = Line(above, above - [0, 0, 0.2, 0, 0, 0, 0], profile="cruise", vmax=0.05, amax=0.5)
    gains = dict(kp=300, ko=200, ctrlr_dof=[True] * 6, dynamics=model,
                 null_damping=5, null_controllers=[RestingPosture(arm.home, kp=50)])  # fmt: skip
    move = OSC(arm, **gains)
    hybrid = HybridForceOSC(arm, force_direction=[0, 0, 1], **gains)
    touched, slide, table_force = None, None, []
    with ArmSim(arm) as sim:
        sim.add_payload(mass, TOOL_OFFSET, radius=0.02)
        observer = MomentumObserver(model, sim.dt, gain=100.0, jacobian=arm)
        table = sim.add_box([0.35, 0.35, 0.05], [0.55, 0.0, TABLE_TOP - 0.05], friction=0.3)
        for k in range(max(1, round(duration / sim.dt))):
            t = k * sim.dt
            fb = sim.get_feedback()
            observer.update(fb["q"], fb["dq"], fb["u"])  # u: the torque of the last step
            applied = -observer.wrench(fb["q"])[:3]  # what the hand applies to the world
            if touched is None and t > 1.5 and -applied[2] > 1.0:
                touched = t
                here = sim.ee_pose()[0]
                slide = Line(here, here + [0.1, 0, 0], duration=2.0)
            if touched is None:
                ref = approach.sample(t) if t < 1.5 else descent.sample(t - 1.5)
                u = move.generate(fb["q"], fb["dq"], ref.x, ref.xd, ref.xdd)
            else:
                ref = slide.sample(t - touched - 1.0)
                u = hybrid.generate(
                    fb["q"], fb["dq"], np.r_[ref.x, DOWN], force_target=[0, 0, -force],
                    force_measured=applied, target_velocity=ref.xd, target_acceleration=ref.xdd,
                )
                if t > touched + 0.5:
                    table_force.append(sim.contact_force(table)[2])
            sim.send_forces(u)
    return np.array(table_force)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=5.0, help="seconds of each press")
    p.add_argument("--force", type=float, default=10.0, help="push on the table, N")
    p.add_argument("--tool-mass", type=float, default=1.2, help="the unknown tool's mass, kg")
    args = p.parse_args()
    if not all(0 < v < np.inf for v in (args.duration, args.force, args.tool_mass)):
        p.error("--duration, --force and --tool-mass must be positive")

    arm = armjac.load_arm("kuka_iiwa")
    est = identify(arm, args.tool_mass)
    err_mm = np.linalg.norm(est.com - TOOL_OFFSET) * 1e3
    print(f"identified tool: {est.mass:.3f} kg (true {args.tool_mass:g}), centre of mass "
          f"{np.round(est.com * 1e3, 1)} mm ({err_mm:.1f} mm off) from {est.n_poses} poses")
    for label, model in (("identified load", est.arm), ("nominal arm", arm)):
        f = press(arm, model, args.tool_mass, args.force, args.duration)
        if not f.size:
            print(f"{label}: not pressing yet: run for 2.5 s or more")
            continue
        rmse = np.sqrt(np.mean((f - args.force) ** 2))
        print(f"{label}: force mean {f.mean():.2f} N, RMSE to {args.force:g} N: {rmse:.3f} N")


if __name__ == "__main__":
    main()
