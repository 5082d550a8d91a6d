"""KUKA iiwa wipes a table: 10 N along the normal while its tool traces a circle on it.

Runs the bundled ``wipe`` scenario (configs/scenarios/wipe.yaml) in PyBullet
and prints its scores. The force comes from a simulated wrist force/torque
sensor; the scores use the table's contact force.
Copy this file to start an experiment of your own: edit the mapping ``cfg``
(it has the same keys as the YAML file) or pass another Jacobian source.

    python sims/wipe.py                        # the full scenario
    python sims/wipe.py --duration 0.5         # a short run
    python sims/wipe.py --frame world          # force axis fixed to the table normal
"""

import argparse

from armjac.scenarios import run_scenario, scenario_data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, help="seconds to simulate (default: the scenario's)")
    p.add_argument("--jacobian", default="analytic", help="analytic, pybullet or a model folder")
    p.add_argument("--frame", choices=("tool", "world"), help="frame of the force axis")
    p.add_argument("--out", default="out/sims/wipe", help="where metrics.json and plots go")
    args = p.parse_args()

    cfg = scenario_data("wipe")  # configs/scenarios/wipe.yaml as a mapping
    # e.g. a wider circle, pressed harder:
    #   cfg["task"].update(radius=0.05, force=15.0)
    if args.frame:
        cfg["controller"]["force"]["frame"] = args.frame
    metrics = run_scenario(cfg, source=args.jacobian, out_dir=args.out, duration=args.duration)

    if metrics["status"] != "ok":
        print(f"run failed: {metrics['reason']}")
        return 1
    for key in ["touchdown_time_s", "max_force_N", "circle_force_rmse_N",
                "circle_tangential_rmse_m", "circle_max_tilt_deg", "sensor_vs_contact_rmse_N"]:
        print(f"{key:>26}: {metrics.get(key)}")
    print("within the scenario's bounds" if metrics["passed"] else "; ".join(metrics["failures"]))
    print(f"plots and metrics.json in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
