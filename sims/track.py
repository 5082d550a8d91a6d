"""KUKA iiwa traces a circle with its orientation held.

Runs the bundled ``track`` scenario (configs/scenarios/track.yaml) in PyBullet
and prints its scores.
Copy this file to start an experiment of your own: edit the mapping ``cfg``
(it has the same keys as the YAML file) or pass another Jacobian source.

    python sims/track.py                       # the full scenario
    python sims/track.py --duration 0.5        # a short run
    python sims/track.py --jacobian pybullet   # PyBullet's Jacobian instead of the analytic one
"""

import argparse

from armjac.scenarios import run_scenario, scenario_data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, help="seconds to simulate (default: the scenario's)")
    p.add_argument("--jacobian", default="analytic", help="analytic, pybullet or a model folder")
    p.add_argument("--out", default="out/sims/track", help="where metrics.json and plots go")
    args = p.parse_args()

    cfg = scenario_data("track")  # configs/scenarios/track.yaml as a mapping
    # e.g. a faster, larger circle in the vertical plane:
    #   cfg["task"].update(radius=0.15, frequency=1.0, plane="xz")
    metrics = run_scenario(cfg, source=args.jacobian, out_dir=args.out, duration=args.duration)

    if metrics["status"] != "ok":
        print(f"run failed: {metrics['reason']}")
        return 1
    for key in ["position_rmse_m", "orientation_rmse_rad", "max_torque_Nm"]:
        print(f"{key:>24}: {metrics.get(key)}")
    print("within the scenario's bounds" if metrics["passed"] else "; ".join(metrics["failures"]))
    print(f"plots and metrics.json in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
