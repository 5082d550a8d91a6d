"""Learning from measured data on the mismatch testbed: one idea at a time.

    python benchmarks/bench_mismatch.py [--spec kuka_iiwa] [--data static|trajectory]
                                         [--design random|halton] [--n 2000] [--only a,b]

Each variant trains ``armjac.learned.train_from_data`` on the same ``n`` tracker
samples of the real arm (static: iid random q with the sensor models; trajectory:
the first ``n`` samples of an exploration run, its via points random or a
space-filling design) and reports the median FK error
on 2000 held-out static configurations against the real arm, the Jacobian error
on 300 of them, and the training time. The numbers in docs/mismatch.md came
from here (the machine was shared with other jobs; times are wall clock).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

VARIANTS = {
    "calibration only": None,
    "calibration + joint errors": "joint_errors",
    "defaults (selection)": {},
    "joint-error cal. + residual": {"select": ["joint_errors+residual"]},
    "joint residual": {"select": ["joint"]},
    "geometric cal. + residual": {"select": ["geometric+residual"]},
    "  lr 5e-4": {"select": ["geometric+residual"], "training": {"learning_rate": 5e-4}},
    "  128 + 128 neurons (d=16)": {
        "select": ["geometric+residual"],
        "network": {"ensembles": [{"n_neurons": 128}, {"n_neurons": 128, "dimensions": 16}]},
    },
    "  one ensemble of 64": {"select": ["geometric+residual"],
                             "network": {"ensembles": [{"n_neurons": 64}]}},
    "  scaled encoding": {"select": ["geometric+residual"], "encoding": "scaled"},
    "  random validation split": {"select": ["geometric+residual"], "split": "random"},
    "residual on the URDF (base: nominal)": {"base": "nominal"},
    "pure network (no arm)": {"pure": True},
}


def main() -> None:
    from armjac.calibration import calibrate
    from armjac.learned import train_from_data
    from armjac.mismatch import collect, load_spec, static_samples

    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default="kuka_iiwa")
    ap.add_argument("--data", default="static", choices=("static", "trajectory"))
    ap.add_argument("--design", default="random", choices=("random", "halton"))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--only", help="comma-separated substrings of variant names")
    args = ap.parse_args()
    real = load_spec(args.spec).realize(0)
    if args.data == "static":
        data = static_samples(real, args.n, seed=1)
    else:
        rate = real.tracker_spec.rate_hz
        data = collect(
            real,
            args.n / rate / (1 - real.tracker_spec.dropout) * 1.02 + 1,
            design=args.design,
            progress=False,
        )
    q, x = data.pairs(args.n)
    test = static_samples(real, 2000, seed=99)
    qt, _ = test.pairs()
    jt = np.array([real.measured_jacobian(ql) for ql in test.truth_q[:300]])
    what = f"{args.data} ({args.design} via points)" if args.data == "trajectory" else args.data
    print(f"{args.spec}, {args.n} {what} samples; held-out: 2000 static configurations")
    print(f"{'variant':40s} {'FK median':>10s} {'FK p95':>8s} {'J err':>7s} {'train s':>8s}")
    for name, cfg in VARIANTS.items():
        if args.only and not any(s in name for s in args.only.split(",")):
            continue
        t0 = time.perf_counter()
        if cfg is None or isinstance(cfg, str):
            cal = calibrate(real.nominal, q, x, point=real.assumed_point,
                            joint_errors=cfg is not None)  # fmt: skip
            fk, jac = cal.predict, lambda qq, c=cal: c.arm.jacobian(qq, point=c.point)[:, :3]
        else:
            cfg = {**cfg, "training": {**cfg.get("training", {}), "progress": False}}
            if cfg.pop("pure", False):
                model = train_from_data(q, x, cfg, log=None)
            else:
                model = train_from_data(
                    q, x, cfg, nominal=real.nominal, point=real.assumed_point, log=None
                )
            model.out_of_range = "ignore"
            fk, jac = model.fk, model.jacobian
        seconds = time.perf_counter() - t0
        e = 1e3 * np.linalg.norm(fk(qt) - test.truth_tip, axis=1)
        j = np.asarray(jac(test.q[:300]))
        rel = np.linalg.norm(j - jt, axis=(1, 2)) / np.linalg.norm(jt, axis=(1, 2))
        print(
            f"{name:40s} {np.median(e):10.3f} {np.percentile(e, 95):8.3f} "
            f"{100 * np.median(rel):6.2f}% {seconds:8.1f}"
        )


if __name__ == "__main__":
    main()
