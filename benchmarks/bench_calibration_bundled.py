"""The bundled kuka_iiwa mismatch spec after the calibration rework: calibrations and
``train_from_data`` defaults from 2,000 iid samples and from 40 s of exploration.

    python benchmarks/bench_calibration_bundled.py

Held out: 2,000 static configurations (seed 99), truth from the real arm; median tip
error, mm (docs/mismatch.md section 6).
"""

from __future__ import annotations

import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def main() -> None:
    import armjac
    from armjac.learned import train_from_data
    from armjac.mismatch import collect, load_spec, static_samples

    real = load_spec("kuka_iiwa").realize(0)
    held = static_samples(real, 2000, seed=99)
    qh, _ = held.pairs()

    def err(predict):
        return float(1e3 * np.median(np.linalg.norm(predict(qh) - held.truth_tip, axis=1)))

    for kind in ("exploration", "iid"):
        data = collect(real, 41.0, progress=False) if kind == "exploration" else static_samples(
            real, 2000, seed=1)  # fmt: skip
        q, x = data.pairs(2000)
        row = {}
        for je in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cal = armjac.calibrate(real.nominal, q, x, point=real.assumed_point,
                                       joint_errors=je)  # fmt: skip
            row["joint errors" if je else "geometric"] = err(cal.predict)
        t0 = time.perf_counter()
        model = train_from_data(q, x, nominal=real.nominal, point=real.assumed_point, log=None,
                                progress=False)  # fmt: skip
        model.out_of_range = "ignore"
        row["defaults"] = err(model.fk)
        print(kind, {k: round(v, 3) for k, v in row.items()}, model.metrics["model"],
              f"{time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
