"""Per-call Jacobian cost of every source, measured in the same process and run.

Each call is timed on its own (``perf_counter`` around one ``jacobian(q)``)
at varying configurations, and the median is reported: robust to the other
work sharing the machine. Batched calls are reported per configuration.
"""

from __future__ import annotations

import time

import numpy as np


def _median_call(fn, qs: np.ndarray, warmup: int = 20) -> float:
    for q in qs[:warmup]:
        fn(q)
    perf = time.perf_counter
    times = np.empty(len(qs))
    for i, q in enumerate(qs):
        t0 = perf()
        fn(q)
        times[i] = perf() - t0
    return float(np.median(times))


def _batched(fn, qb: np.ndarray, repeat: int = 5) -> float:
    fn(qb)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(qb)
        best = min(best, time.perf_counter() - t0)
    return best / len(qb)


def measure(
    arm,
    models: dict,
    backends: list[str],
    n_calls: int,
    batch: int,
    seed: int,
    pybullet: bool = True,
) -> list[dict]:
    """Median per-call Jacobian time (us) of each source and backend.

    Parameters
    ----------
    arm : Arm
        The analytic arm (its compiled kernel).
    models : dict
        ``{name: LearnedModel}``.
    backends : list of {"numpy", "tf"}
        Learned backends to time.
    n_calls : int
        Single-q calls per source (the TF backend uses a tenth, at least 20:
        each call costs about a millisecond).
    batch : int
        Batch size for the per-configuration cost of batched calls.
    seed : int
        Seed of the configurations.
    pybullet : bool
        Also time PyBullet's ``calculateJacobian``.
    """
    rng = np.random.default_rng(seed)
    qs = arm.random_q(n_calls, rng)
    qb = arm.random_q(batch, rng)
    rows = [
        {
            "source": "analytic",
            "backend": "C kernel" if arm.backend != "numpy" else "numpy",
            "per_call_us": 1e6 * _median_call(arm.jacobian, qs),
            "batched_per_q_us": 1e6 * _batched(arm.jacobian, qb),
        }
    ]
    if pybullet:
        from armjac.sim.pybullet_model import PyBulletModel

        pbm = PyBulletModel(arm)
        try:
            rows.append(
                {
                    "source": "pybullet",
                    "backend": "calculateJacobian",
                    "per_call_us": 1e6 * _median_call(pbm.jacobian, qs),
                    "batched_per_q_us": None,
                }
            )
        finally:
            pbm.close()
    for name, model in models.items():
        for backend in backends:

            def fn(q, m=model, b=backend):
                return m.jacobian(q, backend=b)

            n = len(qs) if backend == "numpy" else max(20, len(qs) // 10)
            try:
                rows.append(
                    {
                        "source": name,
                        "backend": f"learned {backend}",
                        "per_call_us": 1e6 * _median_call(fn, qs[:n], warmup=min(20, n)),
                        "batched_per_q_us": 1e6
                        * _batched(fn, qb, repeat=5 if backend == "numpy" else 2),
                    }
                )
            except Exception as exc:  # e.g. TensorFlow missing: report, do not stop
                rows.append(
                    {
                        "source": name,
                        "backend": f"learned {backend}",
                        "per_call_us": None,
                        "batched_per_q_us": None,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )
    return rows
