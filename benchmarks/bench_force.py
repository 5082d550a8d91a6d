"""Force without a wrist sensor, on kuka_iiwa: the observer's cost and every accuracy number.

Prints:

1. the momentum observer's step (``update``) and the contact wrench from it, medians in
   microseconds, beside the same observer step on Pinocchio's dynamics (``crba``,
   ``computeCoriolisMatrix``, ``computeGeneralizedGravity``, called as its docs do),
   timed interleaved in one process;
2. known pushes held on the exact model (the ``contact_estimation`` scenario);
3. load identification from 12 designed static poses held in PyBullet, for payloads
   drawn here (0.5-2 kg, centre of mass up to 12 cm off the flange);
4. the contact force at held-out static poses (10 N at the hand, directions drawn here)
   from the joint torques, with the identified load, the nominal arm (no load) and the
   true load;
5. the sensorless press (RMSE by the simulator's contact force) and the touchdown peaks
   on both sensing paths.

Usage::

    python benchmarks/bench_force.py [--repeat 5000] [--payloads 5] [--poses 20] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from bench_control import median_us  # noqa: E402

from armjac import configs, load_arm  # noqa: E402
from armjac.cli.common import print_table  # noqa: E402
from armjac.estimation import MomentumObserver, design_load_poses, identify_load  # noqa: E402
from armjac.estimation.contact import WrenchSolver  # noqa: E402
from armjac.mismatch.sensors import JointTorqueSensor  # noqa: E402
from armjac.mismatch.static_torques import measure_static_torques  # noqa: E402
from armjac.scenarios import run_scenario  # noqa: E402
from armjac.sim import ArmSim  # noqa: E402


def show(rows: list[list], header: list[str]) -> None:
    print_table([dict(zip(header, row, strict=True)) for row in rows], header)


def pinocchio_step(arm):
    """The observer's arithmetic on Pinocchio's dynamics, or None without Pinocchio."""
    try:
        import pinocchio as pin
    except ImportError:
        return None
    model = pin.buildModelFromUrdf(arm.urdf_path)
    data = model.createData()
    state = {"z": None, "r": np.zeros(arm.dof)}
    dt, gain = 1e-3, 50.0

    def step(q, dq, tau):
        mass = pin.crba(model, data, q)
        mass = np.triu(mass) + np.triu(mass, 1).T  # crba fills the upper triangle
        cor = pin.computeCoriolisMatrix(model, data, q, dq)
        grav = pin.computeGeneralizedGravity(model, data, q)
        p = mass.dot(dq)
        if state["z"] is None:
            state["z"] = p.copy()
            return state["r"]
        state["z"] = state["z"] + dt * (tau + dq.dot(cor) - grav + state["r"])
        state["r"] = gain * (p - state["z"])
        return state["r"]

    return step


def timing(arm, repeat: int) -> None:
    rng = np.random.default_rng(0)
    q = arm.random_q(rng=rng, margin=0.1)
    dq = rng.normal(0, 0.5, arm.dof)
    tau = np.asarray(arm.gravity(q)) + rng.normal(0, 1.0, arm.dof)
    obs = MomentumObserver(arm, 1e-3, 50.0)
    obs.update(q, dq, tau)
    peer = pinocchio_step(arm)
    rows = [("observer update (armjac)", lambda: obs.update(q, dq, tau)),
            ("contact wrench from tau_ext", lambda: obs.wrench(q)),
            ("contact force (3 rows)", lambda: obs.force(q))]  # fmt: skip
    if peer is not None:
        peer(q, dq, tau)
        rows.append(("observer update (Pinocchio dynamics)", lambda: peer(q, dq, tau)))
    times = median_us([fn for _, fn in rows], repeat)
    table = [[name, f"{t:.2f}"] for (name, _), t in zip(rows, times, strict=True)]
    if peer is not None:
        table.append(["ratio armjac / Pinocchio (update)", f"{times[0] / times[-1]:.2f}"])
    else:
        table.append(["(Pinocchio not installed: pip install 'armjac[bench]')", ""])
    fused = "fused momentum_terms kernel" if hasattr(arm, "momentum_terms") else "M, C, g calls"
    print(f"\n1. observer step on {arm.name} ({fused}), median us")
    show(table, ["call", "us"])


def pushes() -> None:
    m = run_scenario("contact_estimation", plots=False)
    print("\n2. known 10 N pushes held (contact_estimation, exact model)")
    show([[k, f"{m[k]:.4g}"] for k in ("settled_error_N", "settled_error_max_N",
                                               "estimate_rmse_N", "rest_error_N")],
                ["metric", "N"])  # fmt: skip


def payloads(arm, n: int, sensor, seed: int = 100) -> list:
    rng = np.random.default_rng(seed)
    poses = design_load_poses(arm, 12)
    rows, drawn = [], []
    for i in range(n):
        m = rng.uniform(0.5, 2.0)
        com = np.r_[rng.uniform(-0.05, 0.05, 2), rng.uniform(0.02, 0.12)]
        with ArmSim(arm, q0=poses[0]) as sim:
            sim.add_payload(m, com)
            q, tau = measure_static_torques(sim, poses, arm, sensor=sensor, rng=rng)
        est = identify_load(arm, q, tau, offsets=bool(np.any(sensor.bias)))
        drawn.append((m, com, est))
        com_mm = 1e3 * np.linalg.norm(est.com - com)
        rows.append([i, f"{m:.3f}", f"{est.mass:.3f}", f"{100 * (est.mass - m) / m:+.2f}",
                     f"{com_mm:.2f}", f"{est.condition:.2f}"])  # fmt: skip
    print("\n3. load identification, 12 designed static poses held in PyBullet, joint-torque "
          f"sensor noise {sensor.noise:g} N·m, bias std {np.std(sensor.bias):.2g} N·m "
          "(offsets fitted when biased)")
    show(rows, ["payload", "mass kg", "identified", "mass error %", "com error mm",
                       "condition"])  # fmt: skip
    return drawn


def held_out_forces(arm, drawn, n_poses: int, sensor, seed: int = 200) -> None:
    """10 N at the hand at held-out poses, held in PyBullet with the payload attached, read
    through the sensor (the fitted offsets removed: a calibrated sensor)."""
    rng = np.random.default_rng(seed)
    solver = WrenchSolver(6)
    errors = {"identified load": [], "nominal (no load)": [], "true load": []}
    for m, com, est in drawn[:2]:
        truth = arm.adjusted(load=np.r_[m, m * com, np.zeros(6)] + _point_inertia(m, com))
        poses = arm.random_q(n_poses, rng=rng, margin=0.15)
        poses = poses[np.asarray(arm.fk(poses))[:, 2, 3] > 0.3]
        for q0 in poses:
            d = rng.normal(size=3)
            force = 10.0 * d / np.linalg.norm(d)
            with ArmSim(arm, q0=q0) as sim:
                sim.add_payload(m, com)
                sim.push(force, duration=10.0)
                q, tau = measure_static_torques(sim, q0[None], truth, move_time=0.2,
                                                hold_time=0.8, average_time=0.2,
                                                sensor=sensor, rng=rng)  # fmt: skip
            if est.offsets is not None:
                tau = tau - est.offsets
            jac = np.asarray(arm.jacobian(q[0]))
            for name, model in (("identified load", est.arm), ("nominal (no load)", arm),
                                ("true load", truth)):  # fmt: skip
                # held still: g(q) = tau + J^T F, so tau_ext = g_model(q) - tau
                f = solver(jac, np.asarray(model.gravity(q[0])) - tau[0])[:3]
                errors[name].append(np.linalg.norm(f - force))
    print(f"\n4. a 10 N push at the hand at {len(errors['true load'])} held-out static poses, "
          "estimated from joint torques")
    show([[k, f"{np.median(v):.3f}", f"{np.percentile(v, 95):.3f}"]
                 for k, v in errors.items()], ["gravity model", "median N", "p95 N"])  # fmt: skip


def _point_inertia(m, c):
    about = m * (c @ c * np.eye(3) - np.outer(c, c))
    return np.r_[np.zeros(4), about[0, 0], about[0, 1], about[0, 2], about[1, 1], about[1, 2],
                 about[2, 2]]


def closed_loop() -> None:
    rows = []
    m = run_scenario("press_sensorless", plots=False)
    rows.append(["press_sensorless (rigid table)", "observer", f"{m['force_rmse_N']:.3f}",
                 f"{m['slide_estimate_rmse_N']:.3f}", f"{m['touchdown_peak_N']:.1f}",
                 f"{m['impact_bound_N']:.1f}", f"{m['touchdown_peak_ratio']:.2f}"])  # fmt: skip
    m = run_scenario("press", plots=False)
    rows.append(["press (rigid table)", "contact", f"{m['force_rmse_N']:.3f}", "",
                 f"{m['touchdown_peak_N']:.1f}", f"{m['impact_bound_N']:.1f}",
                 f"{m['touchdown_peak_ratio']:.2f}"])  # fmt: skip
    for name in ("touchdown", "touchdown_slow"):
        base = yaml.safe_load((configs.folder("scenarios") / f"{name}.yaml").read_text())
        for sensing in ("contact", "observer"):
            base["task"]["force_from"] = sensing
            m = run_scenario(base, plots=False)
            label = f"{name} ({m['touchdown_speed_m_s'] * 100:.0f} cm/s, pad)"
            rows.append([label, sensing, f"{m['force_rmse_N']:.3f}", "",
                         f"{m['touchdown_peak_N']:.1f}", f"{m['impact_bound_N']:.1f}",
                         f"{m['touchdown_peak_ratio']:.2f}"])  # fmt: skip
    print("\n5. closed loop (force measured by the simulator's contact force)")
    show(rows, ["scenario", "force from", "RMSE N", "estimate RMSE sliding N",
                       "touchdown peak N", "impact bound N", "ratio"])  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5000)
    p.add_argument("--payloads", type=int, default=5)
    p.add_argument("--poses", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="timings only")
    p.add_argument("--skip-loop", action="store_true", help="no closed-loop runs")
    p.add_argument("--torque-noise", type=float, default=0.1, help="sensor noise std, N·m")
    p.add_argument("--torque-bias", type=float, default=0.3, help="sensor bias std, N·m")
    args = p.parse_args()
    arm = load_arm("kuka_iiwa")
    timing(arm, args.repeat)
    if args.quick:
        return
    pushes()
    bias = np.random.default_rng(7).normal(0.0, args.torque_bias, arm.dof)
    sensor = JointTorqueSensor(bias, args.torque_noise)
    drawn = payloads(arm, args.payloads, sensor)
    held_out_forces(arm, drawn, args.poses, sensor)
    if not args.skip_loop:
        closed_loop()


if __name__ == "__main__":
    main()
