"""``armjac sweep CONFIG``: run every job of a sweep and summarise it.

CONFIG is a bundled sweep (``configs/sweeps/NAME.yaml``) or a YAML path.
Jobs run on a local process pool by default, serially with ``--serial``, or
as Ray tasks with ``--ray auto|local|ADDRESS``. Finished jobs are kept in
``OUT/jobs``; running the same sweep into the same folder redoes only the
missing and failed ones.
"""

from __future__ import annotations

import argparse

from armjac.cli.common import print_table


def seconds_or_none(text: str) -> float | None:
    """``--timeout``: a positive number of seconds, or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be seconds > 0 or 'none'; got {text!r}")
    return value


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of scenario / training / comparison jobs")
    p.add_argument("config", nargs="?", help="bundled sweep name or YAML path")
    p.add_argument("--out", help="output folder (default: out/sweeps/<name>)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--workers", type=int, help="processes of the local pool (default: cores)")
    how.add_argument("--serial", action="store_true", help="run the jobs in this process")
    how.add_argument("--ray", metavar="ADDRESS",
                     help="run on Ray: auto (a running cluster, else a local one), local, "
                          "or a cluster address")  # fmt: skip
    p.add_argument("--timeout", type=seconds_or_none, default=...,
                   help="seconds one job may run, or 'none' (default: the sweep's timeout_s, "
                        "else 7200)")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help="overwrite a summary in --out that armjac did not write")
    p.add_argument("--no-plots", action="store_true", help="no box plots")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list", action="store_true", help="list bundled sweeps and job kinds")
    p.set_defaults(func=run)


def run(args) -> int:
    from armjac.sweep import JOBS, bundled_sweeps
    from armjac.sweep import run as run_sweep

    if args.list or args.config is None:
        print("bundled sweeps: " + (", ".join(bundled_sweeps()) or "none"))
        print_table([{"job kind": k.name, "what": k.description} for k in JOBS.values()])
        return 0 if args.list else 2
    executor = "ray" if args.ray else "serial" if args.serial else "local"
    s = run_sweep(
        args.config,
        args.out,
        executor=executor,
        workers=args.workers,
        ray_address=args.ray or "auto",
        progress=not args.no_progress,
        plots=not args.no_plots,
        timeout=args.timeout,
        force=args.force,
    )
    rows = [
        {"metric": name, "n": st["n"], "median": st["median"], "min": st["min"], "max": st["max"]}
        for name, st in s["overall"].items()
    ]
    print()
    print_table(rows)
    print(f"\n{s['n_ok']}/{s['n_jobs']} jobs ok ({s['n_reused']} reused, {s['ran']} run in "
          f"{s['wall_s']:.1f} s); summary: {s['summary_md']}")  # fmt: skip
    return 0 if s["n_failed"] == 0 else 1
