"""``armjac train CONFIG [--out DIR]``: train a learned FK model with NengoDL.

CONFIG is a bundled name (``configs/learn/NAME.yaml``) or a YAML path. Prints
progress and ends with the held-out FK and Jacobian errors.
"""

from __future__ import annotations

from pathlib import Path

from armjac.cli.common import print_table


def register(sub) -> None:
    p = sub.add_parser("train", help="train a learned (Nengo/NengoDL) FK + Jacobian model")
    p.add_argument("config", help="bundled learning config name or YAML path")
    p.add_argument("--out", help="model folder to write (default: models/<config name>)")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from armjac.learned import train
    from armjac.learned.config import resolve_config

    cfg, where = resolve_config(args.config)
    if args.epochs is not None:
        cfg["training"]["epochs"] = args.epochs
        cfg, _ = resolve_config(cfg)
    print(f"config: {where}")
    model = train(None, cfg, progress=not args.no_progress)
    out = Path(args.out) if args.out else Path("models") / Path(str(args.config)).stem
    model.save(out)
    m = model.metrics
    rows = [_row("learned network" + (" + nominal" if model.nominal else ""), m)]
    if "nominal_only" in m:
        rows.append(_row("nominal model only", m["nominal_only"]))
    columns = list(dict.fromkeys(k for r in rows for k in r))
    print(f"\nheld-out test set: {m['n_test']} configurations")
    print_table(rows, columns)
    print(f"training time {m['train_seconds']:.1f} s; model saved to {out}")
    return 0


def _row(name: str, m: dict) -> dict:
    row = {
        "model": name,
        "FK RMSE [mm]": m["fk_rmse_mm"],
        "FK max [mm]": m.get("fk_max_mm"),
        "J err median [%]": 100 * m["jac_rel_median"],
        "J err p95 [%]": 100 * m["jac_rel_p95"] if "jac_rel_p95" in m else None,
    }
    if "rot_rmse_deg" in m:  # pose models
        row["rot RMSE [deg]"] = m["rot_rmse_deg"]
        row["6xN J err median [%]"] = 100 * m["jac6_rel_median"]
    return row
