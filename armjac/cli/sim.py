"""``armjac sim CONFIG``: run a closed-loop scenario in a simulator (PyBullet or MuJoCo)
and print its metrics."""

from __future__ import annotations

from armjac.cli.common import print_table, seconds

SUMMARY = [
    "final_position_error_m",
    "position_rmse_m",
    "settling_time_s",
    "recovery_time_s",
    "force_rmse_N",
    "max_torque_Nm",
    "control_step_median_us",
    "realtime_factor",
]


def register(sub) -> None:
    p = sub.add_parser("sim", help="run a scenario (reach, track, press, payload, push)")
    p.add_argument(
        "config", nargs="?", help="bundled scenario name (reach, track, ...) or a scenario YAML"
    )
    p.add_argument("--all", action="store_true", help="run every bundled scenario")
    p.add_argument(
        "--jacobian",
        default=None,
        metavar="SOURCE",
        help="analytic, pybullet, or the path to a learned model (default: the scenario's)",
    )
    p.add_argument(
        "--engine",
        default=None,
        metavar="ENGINE",
        help="the simulator: pybullet or mujoco (default: the scenario's, else pybullet)",
    )
    p.add_argument("--out", default="out/sim", help="output folder (default: out/sim)")
    p.add_argument("--gui", action="store_true", help="show the engine's viewer (real time)")
    p.add_argument("--gif", action="store_true", help="also write an animated GIF")
    p.add_argument("--duration", type=seconds, help="override the scenario duration, s")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite run files in --out that armjac did not write",
    )
    p.set_defaults(func=run)


def _bar(desc: str):
    from armjac.progress import progress_bar

    bar = progress_bar(100, desc=desc, unit="%", leave=False, bar_format="{l_bar}{bar}| {elapsed}")

    def update(done: int, total: int) -> None:
        bar.update(int(100 * done / total) - bar.n)  # tqdm throttles the redraws

    return bar, update


def _row(m: dict) -> dict:
    row = {"scenario": m["scenario"], "arm": m["arm"], "jacobian": m["jacobian"],
           "engine": m["engine"]}  # fmt: skip
    if m["status"] != "ok":
        return row | {"status": "FAILED"}
    row["status"] = "pass" if m.get("passed") else "FAIL"
    row.update({k: m.get(k) for k in SUMMARY})
    return row


def run(args) -> int:
    from armjac.errors import ConfigError
    from armjac.outputs import check_out_dir
    from armjac.scenarios import bundled_scenarios, load_scenario, run_scenario

    if args.all == bool(args.config):
        raise ConfigError("give either a scenario (name or YAML path) or --all")
    if args.engine is not None:
        from armjac.sim.engines import check_engine

        check_engine(args.engine, "--engine")
    names = bundled_scenarios() if args.all else [args.config]
    out_root = check_out_dir(args.out, "--out")  # before any scenario runs
    rows, failed = [], False
    for name in names:
        cfg = load_scenario(name)
        out = out_root / cfg.name if args.all else out_root
        bar, update = _bar(cfg.name)
        try:
            m = run_scenario(
                cfg,
                source=args.jacobian,
                out_dir=out,
                gui=args.gui,
                gif=args.gif,
                duration=args.duration,
                progress=update,
                force=args.force,
                engine=args.engine,
            )
        finally:
            bar.close()
        rows.append(_row(m))
        if m["status"] != "ok":
            failed = True
            print(f"{cfg.name}: run failed: {m['reason']}")
        elif not m["passed"]:
            failed = True
            print(f"{cfg.name}: outside the expected bounds: {'; '.join(m['failures'])}")
        if not args.all:
            if m["status"] == "ok":
                numbers = {k: v for k, v in m.items() if type(v) in (float, int)}
                print_table([{"metric": k, "value": v} for k, v in numbers.items()])
            print(f"results in {out}")
    if args.all:
        columns = sorted({c for r in rows for c in r}, key=lambda c: list(rows[0]).index(c)
                         if c in rows[0] else 99)  # fmt: skip
        print_table(rows, columns)
        print(f"results in {out_root}/<scenario>")
    return 1 if failed else 0
