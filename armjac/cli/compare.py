"""``armjac compare CONFIG [--out DIR]``: learned against analytic and PyBullet Jacobians.

CONFIG is a bundled comparison (``configs/compare/NAME.yaml``) or a YAML path.
Writes ``report.md``, ``report.html`` and ``metrics.json`` (plus figures) into
the output folder and prints a summary.
"""

from __future__ import annotations

from pathlib import Path

from armjac.cli.common import print_table


def register(sub) -> None:
    p = sub.add_parser("compare", help="compare learned, analytic and PyBullet Jacobians")
    p.add_argument("config", help="bundled comparison name (e.g. kuka_iiwa) or a YAML path")
    p.add_argument("--out", help="report folder (default: out/compare/<name>)")
    p.add_argument("--cache", help="model/run cache folder (default: <out>/cache)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--engine",
        default=None,
        metavar="ENGINE",
        help="run the control scenarios on this simulator: pybullet or mujoco "
        "(default: each scenario's own, else pybullet)",
    )
    p.set_defaults(func=run)


def summarize(metrics: dict) -> None:
    """Print the headline numbers of a comparison."""
    rows = []
    for name, a in metrics["accuracy"].items():
        if "jac_rel" in a:
            rows.append(
                {
                    "model": name,
                    "J err median [%]": 100 * a["jac_rel"]["median"],
                    "J err p95 [%]": 100 * a["jac_rel"]["p95"],
                    "J err p99 [%]": 100 * a["jac_rel"]["p99"],
                    "FK RMSE [mm]": a["fk_rmse_mm"],
                }
            )
    for name, info in metrics["models"].items():
        if info.get("status") != "ok":
            rows.append({"model": f"{name}: FAILED ({info.get('reason', '')[:60]})"})
    if rows:
        print("\nJacobian accuracy (held-out configurations):")
        print_table(rows, list(rows[0]))
    runs = metrics["control"]["runs"]
    if runs:
        print("\nControl:")
        print_table(
            [{
                "scenario": r["scenario"],
                "seed": r["seed"],
                "source": r["source"],
                "outcome": r["outcome"],
                "final err [mm]": _mm(r["metrics"].get("final_position_error_m")),
                "RMSE [mm]": _mm(r["metrics"].get("position_rmse_m")),
                "force RMSE [N]": r["metrics"].get("force_rmse_N"),
                "max torque [Nm]": r["metrics"].get("max_torque_Nm"),
            } for r in runs]
        )  # fmt: skip
    print("\nJacobian cost (median per call):")
    print_table([
        {"source": t["source"], "backend": t["backend"], "per call [us]": t.get("per_call_us")}
        for t in metrics["timing"]
    ])  # fmt: skip
    for c in metrics["checks"]:
        if "worst_rmse_ratio" in c:
            verdict = "yes" if c["ok"] else "NO"
            print(f"{c['model']}: position RMSE within {c['limit']:g}x analytic: {verdict} "
                  f"(worst ratio {c['worst_rmse_ratio']:.2f})")  # fmt: skip


def _mm(v):
    return None if v is None else 1e3 * v


def run(args) -> int:
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", message="No GPU support detected")  # expected on CPU
    from armjac.extras import require

    require("learned", "armjac compare")  # TensorFlow and NengoDL train the models
    from armjac.compare import load_compare, run_compare

    cfg = load_compare(args.config)  # config errors before anything slow
    if args.engine is not None:
        from armjac.sim.engines import check_engine

        engine = check_engine(args.engine, "--engine")
        for scenario in cfg.scenarios:  # part of each run's cache key, like the rest of it
            scenario.data["engine"] = engine
    out = Path(args.out) if args.out else Path("out/compare") / cfg.name
    metrics = run_compare(cfg, out, cache_dir=args.cache, progress=not args.no_progress)
    summarize(metrics)
    print(f"\nreport: {metrics['report']} (also report.html and metrics.json)")
    print(f"figures: {out / 'figures'}")
    print(f"total time {metrics['phases_s']['total_s']:.0f} s")
    return 0
