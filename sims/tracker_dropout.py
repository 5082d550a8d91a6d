"""A KUKA iiwa that is not its URDF adapts while a tracker runs, then holds when it stops.

Runs the bundled ``tracker_dropout`` scenario (configs/scenarios/tracker_dropout.yaml)
in PyBullet: the real arm of configs/mismatch/kuka_iiwa_tool010 follows a circle from
its encoder readings and its model's FK; a 50 Hz tracker feeds the model's
adaptation until t = 4 s, then stops for good.
Copy this file to start an experiment of your own: edit the mapping ``cfg`` (it has
the same keys as the YAML file), pick another rule, or pass a learned model.

    python sims/tracker_dropout.py                    # the bundled rule (pes)
    python sims/tracker_dropout.py --adapt broyden    # drifts once the tracker stops
"""

import argparse

from armjac.scenarios import run_scenario, scenario_data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, help="seconds to simulate (default: the scenario's)")
    p.add_argument("--jacobian", default="analytic", help="the base model (a source name)")
    p.add_argument("--adapt", help="adaptation rule: none, pes, rls, local_rls, tool_rls, ...")
    p.add_argument("--out", default="out/sims/tracker_dropout", help="where metrics.json goes")
    args = p.parse_args()

    cfg = scenario_data("tracker_dropout")  # configs/scenarios/tracker_dropout.yaml
    if args.adapt:
        cfg["task"]["adapt"] = args.adapt
    metrics = run_scenario(cfg, source=args.jacobian, out_dir=args.out, duration=args.duration)

    if metrics["status"] != "ok":
        print(f"run failed: {metrics['reason']}")
        return 1
    for key in ["rmse_tracked_m", "rmse_after_stop_m", "max_error_after_stop_m",
                "held_within_tolerance_s"]:  # fmt: skip
        print(f"{key:>24}: {metrics.get(key)}")
    print("within the scenario's bounds" if metrics["passed"] else "; ".join(metrics["failures"]))
    print(f"plots and metrics.json in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
