"""Run a sweep: expand the grid, reuse finished jobs, run the rest, summarise."""

from __future__ import annotations

import os
import time
from pathlib import Path

from armjac.errors import ConfigError
from armjac.jsonutil import slug
from armjac.progress import progress_bar
from armjac.sweep import executors, summary
from armjac.sweep.config import SweepConfig, load_sweep
from armjac.sweep.store import ResultStore

EXECUTORS = ("serial", "local", "ray")


def _quiet(*_args) -> None:
    return None


def run(
    config: str | os.PathLike | dict | SweepConfig,
    out_dir: str | os.PathLike | None = None,
    *,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str = "auto",
    progress: bool = True,
    plots: bool = True,
    log=print,
) -> dict:
    """Run every job of a sweep that has no stored result yet, then write its summary.

    Parameters
    ----------
    config : name, path, mapping or SweepConfig
        A bundled sweep (``configs/sweeps/NAME.yaml``), a YAML path, or a mapping.
    out_dir : path, optional
        Output folder (default ``out/sweeps/<name>``): ``jobs/<key>.json`` per
        job, ``summary.md``, ``summary.json`` and the box plots. Running again
        into the same folder redoes only the jobs without a successful result.
    executor : {"local", "serial", "ray"}
        ``local``: a pool of spawned processes (``workers``, default one per
        core); ``serial``: one job after another in this process; ``ray``: one
        Ray task per job on the cluster at ``ray_address``.
    workers : int, optional
        Processes of the local pool.
    ray_address : str
        ``auto`` (a running cluster, else a new local one), ``local`` or an address.
    progress : bool
        A progress bar over the jobs.
    plots : bool
        Write the box plots.
    log : callable
        Receives one-line status messages (``None`` silences them).

    Returns
    -------
    dict
        The summary (what ``summary.json`` holds), plus ``out_dir``,
        ``summary_md``, ``executor``, ``ran`` (jobs run now) and ``wall_s``.

    Raises
    ------
    ConfigError
        A malformed sweep, a bad grid point (naming the job), an unknown executor.
    """
    log = log or _quiet
    if executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    cfg = load_sweep(config)
    default = Path("out") / "sweeps" / slug(cfg.name, 80, "sweep")
    out = Path(out_dir) if out_dir is not None else default
    jobs = cfg.jobs()
    store = ResultStore(out / "jobs")
    records: dict[str, dict] = {}
    reused: set[str] = set()
    todo, queued = [], set()
    for job in jobs:
        if job.key in records or job.key in queued:
            continue  # two grid points with the same resolved config run once
        record = store.done(job.key)
        if record is not None:
            records[job.key] = record
            reused.add(job.key)
        else:
            todo.append(job)
            queued.add(job.key)
    log(f"sweep {cfg.name}: {len(jobs)} jobs, {len(reused)} already done, {len(todo)} to run "
        f"({executor}) -> {out}")  # fmt: skip

    t0 = time.perf_counter()
    bar = progress_bar(len(todo), enabled=progress, desc=f"sweep {cfg.name}", unit="job")
    failed = 0

    def on_result(record: dict) -> None:
        nonlocal failed
        store.save(record)
        records[record["key"]] = record
        failed += record["status"] != "ok"
        bar.set_postfix(failed=failed, refresh=False)
        bar.update()

    try:
        if executor == "serial":
            executors.run_serial(todo, on_result)
        elif executor == "local":
            executors.run_local(todo, on_result, workers)
        else:
            executors.run_ray(todo, on_result, ray_address, cfg.num_cpus, cfg.num_gpus)
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    ordered = [{**records[j.key], "index": j.index, "point": j.point} for j in jobs]
    result = summary.summarize(cfg, ordered, reused)
    md = summary.write(result, out, plots=plots)
    log(f"sweep {cfg.name}: {result['n_ok']} ok, {result['n_failed']} failed; {md}")
    return {**result, "out_dir": str(out), "summary_md": str(md), "executor": executor,
            "ran": len(todo), "wall_s": wall}  # fmt: skip
