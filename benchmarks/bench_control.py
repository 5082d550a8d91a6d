"""Control-step and closed-loop speed, and every bundled scenario's numbers.

Prints medians (microseconds) of each piece of a control step for the
analytic and PyBullet sources, then runs every bundled scenario and prints its
metrics, realtime factor included. Usage::

    python benchmarks/bench_control.py [--repeat 3000] [--skip-scenarios]
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


def median_us(fn, repeat: int) -> float:
    fn()
    times = np.empty(repeat)
    perf = time.perf_counter
    for i in range(repeat):
        t0 = perf()
        fn()
        times[i] = perf() - t0
    return float(np.median(times) * 1e6)


def bench_step(arm_name: str, repeat: int) -> list[dict]:
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
            rows.append({"arm": arm_name, "source": label, "part": "jacobian",
                         "median_us": median_us(lambda s=src: s.jacobian(q), repeat)})  # fmt: skip
            rows.append({"arm": arm_name, "source": label, "part": "mass_matrix + gravity",
                         "median_us": median_us(lambda s=src: (s.mass_matrix(q), s.gravity(q)),
                                                repeat)})  # fmt: skip
            nulls = [RestingPosture(arm.home, kp=10.0), JointLimitAvoidance(arm.joint_limits)]
            for what, kw in (
                ("OSC step, position", {}),
                ("OSC step, position + null", {"null_controllers": nulls}),
                ("OSC step, pose", {"ctrlr_dof": [True] * 6}),
                ("OSC step, pose + null + vmax",
                 {"ctrlr_dof": [True] * 6, "null_controllers": nulls, "vmax": (1.0, 3.0)}),
            ):  # fmt: skip
                ctrl = OSC(src, kp=200.0, **kw)
                us = median_us(lambda c=ctrl: c.generate(q, dq, target), repeat)
                rows.append({"arm": arm_name, "source": label, "part": what, "median_us": us})
    finally:
        pbm.close()
    with ArmSim(arm) as sim:
        u = arm.gravity(arm.home)
        rows.append({"arm": arm_name, "source": "-", "part": "ArmSim.send_forces (1 step)",
                     "median_us": median_us(lambda: sim.send_forces(u), repeat)})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3000)
    parser.add_argument("--skip-scenarios", action="store_true")
    args = parser.parse_args()

    rows = bench_step("kuka_iiwa", args.repeat) + bench_step("franka_panda", args.repeat)
    print("control step pieces (median over", args.repeat, "calls)")
    print_table(rows, floatfmt=".1f")
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
