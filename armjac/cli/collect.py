"""``armjac collect SPEC --out FILE``: record an exploration run of a real arm.

SPEC is a bundled mismatch spec (``configs/mismatch/NAME.yaml``) or a YAML path.
The real arm is drawn with ``--seed``, driven along random via points under
joint PD control for ``--duration`` seconds, and every encoder reading and
tracker sample is written to FILE.npz with FILE.json metadata. ``--static N``
writes N static samples instead (FK at random q with the sensor models; fast,
no dynamics).
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("collect", help="record encoder and tracker data from a simulated real arm")
    p.add_argument("spec", help="bundled mismatch spec name or YAML path")
    p.add_argument("--out", help="dataset file (default: data/<spec>-<seed>.npz)")
    p.add_argument("--seed", type=int, default=0, help="draws the real arm (default 0)")
    p.add_argument("--duration", type=float, default=40.0, help="seconds of exploration (40)")
    p.add_argument("--static", type=int, metavar="N", help="N static samples instead of a run")
    p.add_argument(
        "--design",
        choices=("random", "halton", "calibration"),
        default="random",
        help="via points: iid uniform (default), a space-filling Halton design, or poses "
        "chosen for calibration (armjac.calibration.design_poses)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np

    from armjac.configs import MAX_SAMPLES
    from armjac.errors import ConfigError, InputError
    from armjac.mismatch import collect, load_spec, static_samples
    from armjac.mismatch.collect import check_run, check_seed
    from armjac.mismatch.dataset import dataset_path

    try:  # every argument checked before the arm is drawn or anything allocated
        check_seed(args.seed)
        if args.static is not None and not 1 <= args.static <= MAX_SAMPLES:
            raise InputError(f"--static must be in [1, {MAX_SAMPLES}]; got {args.static}")
        if args.static is None:
            check_run(args.duration, 1e-3, args.seed)
    except InputError as exc:
        raise ConfigError(f"armjac collect: {str(exc).replace('duration', '--duration')}") from None
    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("data") / f"{spec.name}-{args.seed}.npz"
    out = dataset_path(out)  # a folder or an unwritable place fails now, not after the run
    real = spec.realize(args.seed)
    if args.static is not None:
        data = static_samples(real, args.static, seed=args.seed)
    else:
        data = collect(
            real, args.duration, seed=args.seed, design=args.design, progress=not args.no_progress
        )
    path = data.save(out)
    q, x = data.pairs()
    qt, xt = data.pairs(truth=True)
    nominal = real.nominal.position(q, point=real.assumed_point)
    err = 1e3 * np.linalg.norm(nominal - xt, axis=1)
    print(f"{data.meta['kind']} dataset of {spec.name} (seed {args.seed}): {len(data)} tracker "
          f"samples, {len(data.t)} encoder readings -> {path}")  # fmt: skip
    print(f"nominal FK error at the samples: median {np.median(err):.2f} mm, "
          f"max {err.max():.2f} mm")  # fmt: skip
    return 0
