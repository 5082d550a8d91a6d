"""Control-step and closed-loop speed, and every bundled scenario's numbers.

Prints, for kuka_iiwa and franka_panda:

1. the OSC step (medians, microseconds) for the analytic and PyBullet sources,
   split into the model terms (one fused ``control_terms`` call for the
   analytic arm; separate fk/J/dJdq/M/g calls otherwise) and the control law;
2. the whole scenario loop of ``reach`` (kuka_iiwa, 1 kHz, DIRECT, the
   scenario's own controller and feed-forward reference): sensors, terms,
   control law, simulator step and logging per step, and the realtime factor
   of ``run_scenario("reach")`` itself;
3. (``--circle``) pose tracking of a fast circle with and without Coriolis
   compensation (``use_C``);
4. (unless ``--skip-scenarios``) every bundled scenario's metrics.

Usage::

    python benchmarks/bench_control.py [--repeat 3000] [--circle] [--skip-scenarios]

Timings are medians of single calls, every row of a table timed in turn in
each round (a busy spell slows them alike); on a busy machine they still move,
so compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# Small solves must not wait on BLAS worker threads (see armjac.control.blas).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from armjac import load_arm  # noqa: E402
from armjac.cli.common import print_table  # noqa: E402
from armjac.control import OSC, JointLimitAvoidance, RestingPosture  # noqa: E402
from armjac.control.orientation import quat_from_matrix  # noqa: E402
from armjac.sim import ArmSim, PyBulletModel  # noqa: E402


def median_us(fns, repeat: int) -> list[float]:
    """Median time of one call of each of ``fns`` (after a warm-up), interleaved.

    Each round times a batch of every function in turn, so a busy spell on a
    shared machine slows every row alike instead of a few. Fast calls are
    timed in batches of 20 (the clock's own cost is then negligible); slow ones
    one by one, so a preemption spoils one sample, not a batch.
    """
    perf = time.perf_counter
    batches = []
    for fn in fns:
        t0 = perf()
        for _ in range(50):
            fn()
        batches.append(20 if (perf() - t0) / 50 < 20e-6 else 1)
    rounds = max(1, repeat // 20)
    times = np.empty((len(fns), rounds))
    for r in range(rounds):
        for i, (fn, batch) in enumerate(zip(fns, batches, strict=True)):
            t0 = perf()
            for _ in range(batch):
                fn()
            times[i, r] = (perf() - t0) / batch
    return [float(t) for t in np.median(times, axis=1) * 1e6]


def _configs(arm) -> list[tuple[str, dict]]:
    nulls = [RestingPosture(arm.home, kp=10.0), JointLimitAvoidance(arm.joint_limits)]
    return [
        ("position (defaults)", {}),
        ("position + null", {"null_controllers": nulls}),
        ("position + null, use_C", {"null_controllers": nulls, "use_C": True}),
        ("pose", {"ctrlr_dof": [True] * 6}),
        ("pose + null + vmax",
         {"ctrlr_dof": [True] * 6, "null_controllers": nulls, "vmax": (1.0, 3.0)}),
    ]  # fmt: skip


def bench_step(arm_name: str, repeat: int) -> list[dict]:
    """OSC step rows for the analytic and the PyBullet source of ``arm_name``."""
    arm = load_arm(arm_name)
    rng = np.random.default_rng(0)
    q = arm.home + rng.normal(size=arm.dof) * 0.05
    dq = rng.normal(size=arm.dof) * 0.2
    pose = arm.fk(arm.home)
    target = np.concatenate((pose[:3, 3] + 0.05, quat_from_matrix(pose[:3, :3])))
    rows = []
    pbm = PyBulletModel(arm)
    try:
        for label, src in (("analytic", arm), ("pybullet", pbm)):
            ctrls = [(what, OSC(src, kp=200.0, **kw)) for what, kw in _configs(arm)
                     if not (kw.get("use_C") and src is pbm)]  # fmt: skip
            fns = []
            for _, ctrl in ctrls:
                # The per-step model call(s) the controller makes, and the whole step.
                fns += [lambda f=ctrl._terms: f(q, dq), lambda c=ctrl: c.generate(q, dq, target)]
            times = median_us(fns, repeat)
            for (what, ctrl), t_terms, t_step in zip(ctrls, times[::2], times[1::2], strict=True):
                rows.append({"arm": arm_name, "source": label, "OSC step": what,
                             "terms_us": t_terms, "law_us": t_step - t_terms,
                             "step_us": t_step, "fused": ctrl.model.fused})  # fmt: skip
    finally:
        pbm.close()
    return rows


def bench_loop(steps: int) -> tuple[list[dict], dict]:
    """The reach scenario's loop, timed piece by piece, and its realtime factor."""
    from armjac.scenarios import load_scenario, run_scenario
    from armjac.scenarios.controllers import build_controller
    from armjac.scenarios.registry import scenario_type

    cfg = load_scenario("reach")
    arm = load_arm(cfg.arm)
    # The scenario's own reference: minimum-jerk lines with velocity and acceleration.
    scenario = scenario_type(cfg.scenario)(cfg, arm, arm.home, np.random.default_rng(cfg.seed))
    scenario.build(lambda kind=None: build_controller(cfg, arm, arm, arm, kind))
    scenario.prepare(np.arange(steps) * cfg.dt)
    buf = arm.control_terms_buffer()
    parts = {k: np.empty(steps) for k in ("sensors", "control", "terms", "simulator", "logging")}
    log_q, log_u, log_x = (
        np.empty((steps, arm.dof)),
        np.empty((steps, arm.dof)),
        np.empty((steps, 3)),
    )
    perf = time.perf_counter
    with ArmSim(arm, dt=cfg.dt) as sim:
        for k in range(steps):
            t0 = perf()
            fb = sim.get_feedback()
            pos, _ = sim.ee_pose()
            t1 = perf()
            u = scenario.command(k, fb["q"], fb["dq"], sim)
            t2 = perf()
            sim.send_forces(u)
            t3 = perf()
            log_q[k], log_u[k], log_x[k] = fb["q"], u, pos
            t4 = perf()
            arm.control_terms(fb["q"], fb["dq"], None, None, buf)  # timed apart from the loop
            t5 = perf()
            parts["sensors"][k], parts["control"][k] = t1 - t0, t2 - t1
            parts["simulator"][k], parts["logging"][k], parts["terms"][k] = (
                t3 - t2,
                t4 - t3,
                t5 - t4,
            )
    med = {k: float(np.median(v) * 1e6) for k, v in parts.items()}
    loop = med["sensors"] + med["control"] + med["simulator"] + med["logging"]
    rows = [
        {"piece": "sensors (get_feedback, ee_pose)", "median_us": med["sensors"]},
        {"piece": "control: model terms (control_terms)", "median_us": med["terms"]},
        {"piece": "control: law", "median_us": med["control"] - med["terms"]},
        {
            "piece": "simulator (send_forces: torques, stepSimulation, state)",
            "median_us": med["simulator"],
        },  # fmt: skip
        {"piece": "logging", "median_us": med["logging"]},
        {"piece": "loop total (sum of medians)", "median_us": loop},
    ]
    runs = [run_scenario("reach", plots=False) for _ in range(5)]
    factors = [m["realtime_factor"] for m in runs]
    best = runs[int(np.argmax(factors))]
    summary = {
        "loop_realtime_factor_from_medians": 1e6 * cfg.dt / loop,
        "run_scenario_realtime_factor (best of 5)": best["realtime_factor"],
        "run_scenario_realtime_factor (median of 5)": float(np.median(factors)),
        "run_scenario control_step_median_us (best run)": best["control_step_median_us"],
        "reach passed": all(m["passed"] for m in runs),
    }
    return rows, summary


def bench_circle(speeds=(0.5, 1.0), radius: float = 0.1, seconds: float = 5.0) -> list[dict]:
    """Pose tracking of a horizontal circle on kuka_iiwa, with and without ``use_C``.

    The gains are the track scenario's (kp 400, ko 200, posture 10, damping 2),
    with the circle's velocity and acceleration fed forward; RMSE from t = 1 s,
    measured at PyBullet's own end-effector frame.
    """
    import math

    arm = load_arm("kuka_iiwa")
    pose = arm.fk(arm.home)
    quat = quat_from_matrix(pose[:3, :3])
    center = pose[:3, 3] - [radius, 0.0, 0.0]
    rows = []
    for speed in speeds:
        w = speed / radius
        for use_c in (False, True):
            posture = [RestingPosture(arm.home, kp=10.0)]
            ctrl = OSC(arm, kp=400.0, ko=200.0, ctrlr_dof=[True] * 6, vmax=None, use_C=use_c,
                       null_controllers=posture, null_damping=2.0)  # fmt: skip
            errors, peak = [], 0.0
            with ArmSim(arm) as sim:
                for k in range(round(seconds / sim.dt)):
                    t = k * sim.dt
                    c, s = math.cos(w * t), math.sin(w * t)
                    pos = center + [radius * c, radius * s, 0.0]
                    vel = np.array([-radius * w * s, radius * w * c, 0, 0, 0, 0])
                    acc = np.array([-radius * w * w * c, -radius * w * w * s, 0, 0, 0, 0])
                    fb = sim.get_feedback()
                    if t >= 1.0:
                        errors.append(np.linalg.norm(sim.ee_pose()[0] - pos))
                    u = ctrl.generate(fb["q"], fb["dq"], np.concatenate((pos, quat)), vel, acc)
                    peak = max(peak, float(np.abs(u).max()))
                    sim.send_forces(u)
            err = np.array(errors) * 1e3
            rows.append({"speed_m_s": speed, "use_C": use_c,
                         "rmse_mm": float(np.sqrt(np.mean(err**2))), "max_mm": float(err.max()),
                         "peak_torque_Nm": peak})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3000)
    parser.add_argument("--loop-steps", type=int, default=4000)
    parser.add_argument("--skip-scenarios", action="store_true")
    parser.add_argument("--circle", action="store_true", help="tracking with/without use_C")
    args = parser.parse_args()

    rows = bench_step("kuka_iiwa", args.repeat) + bench_step("franka_panda", args.repeat)
    print("OSC step (median us over", args.repeat, "calls): model terms + control law")
    print_table(rows, floatfmt=".1f")
    loop_rows, summary = bench_loop(args.loop_steps)
    print("\nreach scenario loop, kuka_iiwa, 1 kHz (median us per step)")
    print_table(loop_rows, floatfmt=".1f")
    for key, value in summary.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    if args.circle:
        print("\ncircle r = 0.1 m, kuka_iiwa pose tracking, feed-forward on (RMSE from t = 1 s)")
        print_table(bench_circle(), floatfmt=".3f")
    if args.skip_scenarios:
        return

    from armjac.scenarios import bundled_scenarios, run_scenario

    table = []
    for name in bundled_scenarios():
        m = run_scenario(name, plots=False)
        row = {"scenario": name, "status": m["status"], "passed": m.get("passed")}
        for key in ("max_segment_final_error_m", "settling_time_s", "position_rmse_m",
                    "recovery_time_s", "final_position_error_m", "force_rmse_N",
                    "contact_lost_steps", "control_step_median_us", "realtime_factor"):  # fmt: skip
            row[key] = m.get(key)
        table.append(row)
    print("\nscenarios (analytic Jacobian, 1 kHz, DIRECT)")
    print_table(table)


if __name__ == "__main__":
    main()
