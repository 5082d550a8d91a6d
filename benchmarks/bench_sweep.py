"""Sweep executors side by side: a mismatch sweep serial, on the local pool and on Ray,
and the cost per job of each executor.

Each executor starts from a copy of one kernel cache, warmed by one draw
outside the sweep in a worker process (the nominal arm's kernels and its
adjustable family, which every drawn and calibrated arm shares), so the serial
run pays its first imports as each pool worker does. The records of the three runs are
compared bit for bit. Usage::

    python benchmarks/bench_sweep.py [--sweep mismatch_reach] [--jobs 20] [--workers 2]
                                     [--skip-ray] [--noop 40]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # sweep_noop for the local pool (spawned workers inherit sys.path)

from armjac.sweep import load_sweep, run  # noqa: E402
from armjac.sweep.store import ResultStore  # noqa: E402


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _timed(label, cfg, out, cache, rows, **kw) -> float:
    os.environ["ARMJAC_CACHE_DIR"] = str(cache)
    load = _load()
    t0 = time.perf_counter()
    s = run(cfg, out, progress=False, plots=False, log=None, **kw)
    wall = time.perf_counter() - t0
    busy = sum(json.loads(f.read_text())["timing"]["seconds"] for f in (out / "jobs").iterdir())
    rows.append({"executor": label, "jobs": s["n_jobs"], "ok": s["n_ok"],
                 "wall_s": round(wall, 1), "sum_job_s": round(busy, 1),
                 "load_before": load, "load_after": _load()})  # fmt: skip
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", default="mismatch_reach")
    ap.add_argument("--jobs", type=int, default=20, help="draws of the mismatch sweep")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--noop", type=int, default=40, help="empty jobs for the per-job overhead")
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()

    sweep = load_sweep(args.sweep)
    base = {"job": sweep.kind, "base": sweep.base, "axes": {"draw": {"seeds": args.jobs}},
            "name": sweep.name}  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="armjac-bench-sweep-"))
    warm = tmp / "cache-warm"
    os.environ["ARMJAC_CACHE_DIR"] = str(warm)
    # Nominal-arm kernels and the adjustable family built once, from a draw outside the
    # sweep, in a worker process: every executor then starts with this process as cold
    # as a pool worker (imports, per-process caches), with only the disk cache warm.
    run({**base, "axes": {"draw": [10_000]}}, tmp / "warm", executor="local", workers=1,
        progress=False, plots=False, log=None)  # fmt: skip
    rows: list[dict] = []
    outs = {}
    pool = {"executor": "local", "workers": args.workers}
    plans = [("serial", {"executor": "serial"}), (f"local x{args.workers}", pool)]
    ray_up = None
    if not args.skip_ray:
        import ray

        path = [str(HERE), os.environ.get("PYTHONPATH", "")]
        os.environ["PYTHONPATH"] = os.pathsep.join(path)  # sweep_noop for the Ray workers
        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=args.workers, include_dashboard=False,
                 log_to_driver=False)  # fmt: skip
        ray_up = time.perf_counter() - t0
        plans.append((f"ray x{args.workers}", {"executor": "ray"}))
    walls = {}
    for label, kw in plans:
        cache = tmp / f"cache-{label.split()[0]}"
        shutil.copytree(warm, cache)
        outs[label] = tmp / label.split()[0]
        walls[label] = _timed(label, base, outs[label], cache, rows, **kw)
    from armjac.cli.common import print_table

    print(f"\n{args.jobs}-job {sweep.name} sweep ({os.cpu_count()} cores):")
    print_table(rows)
    serial = walls["serial"]
    for label, wall in walls.items():
        print(f"  speed-up {label}: {serial / wall:.2f}x")
    first = ResultStore(outs["serial"] / "jobs").canonical()
    for label, out in outs.items():
        same = ResultStore(out / "jobs").canonical() == first
        print(f"  records identical to serial ({label}): {same}")

    # two sizes of empty sweep: the difference is the cost per job, the rest start-up
    small, large = args.noop, 50 * args.noop
    print(f"\nexecutor cost, empty jobs ({small} and {large} per sweep):")
    over = []
    for label, kw in plans[1:]:
        walls_noop = []
        for n in (small, large):
            noop = {"name": "noop", "job": "sweep_noop:noop", "base": {},
                    "axes": {"i": {"seeds": n}}}  # fmt: skip
            t0 = time.perf_counter()
            run(noop, tmp / f"noop-{label.split()[0]}-{n}", progress=False, plots=False,
                log=None, **kw)  # fmt: skip
            walls_noop.append(time.perf_counter() - t0)
        per_job = (walls_noop[1] - walls_noop[0]) / (large - small)
        over.append({"executor": label, f"wall_{small}_s": round(walls_noop[0], 2),
                     f"wall_{large}_s": round(walls_noop[1], 2),
                     "per_job_ms": round(1e3 * per_job, 2),
                     "start_up_s": round(walls_noop[0] - small * per_job, 2)})  # fmt: skip
    print_table(over)
    if ray_up is not None:
        print(f"  ray.init of a local cluster: {ray_up:.1f} s (not in the times above)")
        import ray

        ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
