"""``armjac train CONFIG [--out DIR]``: train a learned FK model with NengoDL.

CONFIG is a bundled name (``configs/learn/NAME.yaml``) or a YAML path. Prints
progress and ends with the held-out FK and Jacobian errors.
"""

from __future__ import annotations

from pathlib import Path

from armjac.cli.common import print_table
from armjac.outputs import atomic_folder


def register(sub) -> None:
    p = sub.add_parser("train", help="train a learned (Nengo/NengoDL) FK + Jacobian model")
    p.add_argument("config", help="bundled learning config name or YAML path")
    p.add_argument("--out", help="model folder to write (default: models/<config name>)")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--force", action="store_true", help="write into --out even if it holds other files"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from armjac.extras import require

    require("learned", "armjac train")  # TensorFlow and NengoDL train the models
    from armjac.learned import train
    from armjac.learned.config import resolve_config

    cfg, where = resolve_config(args.config)
    if args.epochs is not None:
        cfg["training"]["epochs"] = args.epochs
        cfg, _ = resolve_config(cfg)
    out = Path(args.out) if args.out else Path("models") / Path(str(args.config)).stem
    replace = check_model_out(out, args.force)  # before the training, not after
    print(f"config: {where}")
    model = train(None, cfg, progress=not args.no_progress)
    if replace:
        with atomic_folder(out) as tmp:  # the old model stays whole until the new one is
            model.save(tmp)
    else:
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


def check_model_out(out: Path, force: bool) -> bool:
    """Check ``--out`` before training; True if the whole folder may be replaced.

    An absent or empty folder, or one holding only a model armjac saved, is
    replaced atomically. A folder with other files is refused unless ``force``,
    which writes the model files into it and leaves the rest alone.
    """
    from armjac.errors import ConfigError
    from armjac.learned.io import MODEL_FILE, PARAMS_FILE
    from armjac.outputs import check_out_dir

    check_out_dir(out, "--out")
    if not out.is_dir():
        return True
    present = {p.name for p in out.iterdir()}
    if not present or (present <= {MODEL_FILE, PARAMS_FILE} and _saved_model(out / MODEL_FILE)):
        return True
    if force:
        return False
    raise ConfigError(
        f"--out {out} already holds files armjac did not write ({', '.join(sorted(present)[:5])}); "
        "choose an empty folder or pass --force to write the model into it"
    )


def _saved_model(path: Path) -> bool:
    """Whether ``path`` is a ``model.json`` that armjac's model saving wrote."""
    import json

    try:
        return json.loads(path.read_text()).get("kind") == "armjac.learned.LearnedModel"
    except (OSError, ValueError, AttributeError):
        return False


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
