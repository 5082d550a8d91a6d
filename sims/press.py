"""KUKA iiwa presses 10 N on a table with the hybrid force/position controller, then slides.

Runs the bundled ``press`` scenario (configs/scenarios/press.yaml) in PyBullet
and prints its scores.
Copy this file to start an experiment of your own: edit the mapping ``cfg``
(it has the same keys as the YAML file) or pass another Jacobian source.

    python sims/press.py                       # the full scenario
    python sims/press.py --duration 0.5        # a short run
    python sims/press.py --jacobian pybullet   # PyBullet's Jacobian instead of the analytic one
"""

import argparse

from armjac.scenarios import run_scenario, scenario_data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, help="seconds to simulate (default: the scenario's)")
    p.add_argument("--jacobian", default="analytic", help="analytic, pybullet or a model folder")
    p.add_argument("--out", default="out/sims/press", help="where metrics.json and plots go")
    args = p.parse_args()

    cfg = scenario_data("press")  # configs/scenarios/press.yaml as a mapping
    # e.g. a harder press on a slipperier table:
    #   cfg["task"].update(force=20.0, friction=0.1)
    metrics = run_scenario(cfg, source=args.jacobian, out_dir=args.out, duration=args.duration)

    if metrics["status"] != "ok":
        print(f"run failed: {metrics['reason']}")
        return 1
    for key in ["contact_time_s", "force_rmse_N", "contact_lost_steps"]:
        print(f"{key:>24}: {metrics.get(key)}")
    print("within the scenario's bounds" if metrics["passed"] else "; ".join(metrics["failures"]))
    print(f"plots and metrics.json in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
