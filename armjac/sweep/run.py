"""Run a sweep: expand the grid, reuse finished jobs, run the rest, summarise.

While a sweep runs, its folder is locked (a second sweep into it is refused)
and its summary.json says ``status: running``; the previous run's summary and
plots are gone, so an interrupted run never leaves a summary that looks
complete. The end writes ``complete`` (every job has a record) or
``interrupted``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from armjac.errors import ConfigError
from armjac.jsonutil import slug
from armjac.outputs import WRITTEN_BY, begin_run, check_out_dir, write_json
from armjac.progress import progress_bar
from armjac.sweep import executors, summary
from armjac.sweep.config import SweepConfig, load_sweep
from armjac.sweep.store import ResultStore

EXECUTORS = ("serial", "local", "ray")
LOCK = ".sweep.lock"


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
    timeout: float | None = ...,
    force: bool = False,
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
    timeout : float or None, optional
        Seconds one job may run before it is stopped and recorded as failed
        (default: the sweep file's ``timeout_s``; None: no limit).
    force : bool
        Overwrite a summary.json / summary.md in ``out_dir`` that armjac did not write.
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
        A malformed sweep, a bad grid point (naming the job), an unknown
        executor, a bad timeout, an output folder that cannot be written, or
        one another sweep is writing into.
    """
    log = log or _quiet
    if executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    cfg = load_sweep(config)
    timeout = cfg.timeout_s if timeout is ... else check_timeout(timeout)
    default = Path("out") / "sweeps" / slug(cfg.name, 80, "sweep")
    out = check_out_dir(Path(out_dir) if out_dir is not None else default, "sweep folder")
    jobs = cfg.jobs()
    with lock_folder(out):
        return _run(cfg, jobs, out, executor, workers, ray_address, timeout, progress, plots,
                    force, log)  # fmt: skip


def check_timeout(timeout) -> float | None:
    """``timeout`` as seconds > 0, or None; ConfigError for anything else."""
    from armjac.configs import is_number

    if timeout is None:
        return None
    if not is_number(timeout) or timeout <= 0:
        raise ConfigError(f"timeout must be a number of seconds > 0 or None; got {timeout!r}")
    return float(timeout)


@contextlib.contextmanager
def lock_folder(out: Path) -> Iterator[None]:
    """Hold ``out/.sweep.lock`` while the body runs; ConfigError if another sweep holds it.

    Two sweeps writing into one folder would run every shared job twice and
    overwrite each other's summary. The lock is the kernel's (``flock``): it
    goes with the process, so a killed sweep leaves no stale lock.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ConfigError(
                f"another sweep (pid {holder}) is writing into {out}; wait for it or choose "
                "another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _begin(cfg: SweepConfig, out: Path, n_jobs: int, force: bool) -> dict:
    """Clear the previous summary and plots and mark the sweep as running; the header."""
    header = {"name": cfg.name, "job": cfg.kind, "n_jobs": n_jobs}
    files = ["summary.json", "summary.md", *(p.name for p in sorted(out.glob("box_*.png")))]
    begin_run(out, files, header, metrics="summary.json", force=force)
    return header


def _run(cfg, jobs, out, executor, workers, ray_address, timeout, progress, plots, force, log):
    header = _begin(cfg, out, len(jobs), force)
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
    if store.damaged:
        log(f"sweep {cfg.name}: {len(store.damaged)} stored record(s) damaged, run again: "
            + "; ".join(f"{k}.json: {v}" for k, v in list(store.damaged.items())[:3]))

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
            executors.run_serial(todo, on_result, timeout)
        elif executor == "local":
            executors.run_local(todo, on_result, workers, timeout)
        else:
            executors.run_ray(todo, on_result, ray_address, cfg.num_cpus, cfg.num_gpus, timeout)
    except BaseException:
        write_json(out / "summary.json", {**header, "status": "interrupted",
                                          "n_recorded": len(records), "written_by": WRITTEN_BY})
        raise
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    missing = [j for j in jobs if j.key not in records]
    if missing:  # an executor returned without a record for every job: a bug, never a summary
        raise RuntimeError(f"sweep {cfg.name}: {len(missing)} jobs ended without a record")
    ordered = [{**records[j.key], "index": j.index, "point": j.point} for j in jobs]
    result = summary.summarize(cfg, ordered, reused)
    result.update(status="complete", written_by=WRITTEN_BY)
    md = summary.write(result, out, plots=plots)
    log(f"sweep {cfg.name}: {result['n_ok']} ok, {result['n_failed']} failed; {md}")
    return {**result, "out_dir": str(out), "summary_md": str(md), "executor": executor,
            "ran": len(todo), "wall_s": wall}  # fmt: skip
