"""``armjac demo [--out DIR]``: the main job end to end, in a few minutes.

1. The bundled KUKA reach scenario with the analytic Jacobian (via :mod:`armjac.scenarios`).
2. Force without a wrist sensor: the ``press_sensorless`` scenario, 10 N on a table from
   joint torques alone, scored by the simulator's contact force.
3. The bundled ``demo`` comparison: a small learned model trained on the fly,
   its Jacobian accuracy, reach and track with every source, per-call costs.

Prints summary tables and where the plots and the report went. A second run
reuses the trained model and the scenario results.
"""

from __future__ import annotations

import time
from pathlib import Path

from armjac.cli.common import print_table

REACH_SUMMARY = (
    "final_position_error_m",
    "max_segment_final_error_m",
    "position_rmse_m",
    "settling_time_s",
    "max_torque_Nm",
    "control_step_median_us",
    "realtime_factor",
)
PRESS_SUMMARY = (
    "force_rmse_N",
    "slide_estimate_rmse_N",
    "touchdown_peak_N",
    "impact_bound_N",
    "contact_lost_steps",
    "control_step_median_us",
)


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the bundled reach scenario and a small comparison")
    p.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", message="No GPU support detected")  # expected on CPU
    from armjac.extras import require

    require("learned", "armjac demo")  # TensorFlow and NengoDL train the models
    from armjac.cli.compare import summarize
    from armjac.cli.sim import _bar
    from armjac.compare import run_compare
    from armjac.scenarios import run_scenario

    out = Path(args.out)
    t0 = time.perf_counter()
    steps = (
        ("reach", "reach scenario (kuka_iiwa, analytic Jacobian, OSC)", REACH_SUMMARY,
         "path.png, error.png, torques.png"),
        ("press_sensorless", "force without a wrist sensor (kuka_iiwa presses 10 N, force "
         "from joint torques through a momentum observer)", PRESS_SUMMARY,
         "force.png, path.png, torques.png"),
    )  # fmt: skip
    for i, (name, title, summary, plots) in enumerate(steps, 1):
        print(f"[{i}/3] {title}")
        bar, update = _bar(name)
        try:
            m = run_scenario(name, source="analytic", out_dir=out / name,
                             progress=None if args.no_progress else update)  # fmt: skip
        finally:
            bar.close()
        if m["status"] != "ok":
            print(f"{name}: run failed: {m['reason']}")
        else:
            print_table([{"metric": k, "value": m.get(k)} for k in summary])
            verdict = "within" if m["passed"] else "OUTSIDE"
            print(f"{verdict} the scenario's expected bounds {'; '.join(m['failures'])}")
        print(f"plots: {out / name} ({plots})\n")

    print("[3/3] comparison 'demo': learned vs analytic vs PyBullet Jacobians")
    metrics = run_compare("demo", out / "compare", progress=not args.no_progress)
    summarize(metrics)
    print(f"\nreport: {metrics['report']} (also report.html and metrics.json)")
    print(f"figures: {out / 'compare' / 'figures'}")
    print(f"demo finished in {time.perf_counter() - t0:.0f} s")
    return 0
