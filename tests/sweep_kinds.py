"""Small job kinds for the sweep tests, registered from outside armjac (``sweep_kinds:NAME``).

``count`` appends its job's tag to a counter file (so a test sees which jobs
ran), sleeps, and returns numbers drawn from the global generators the
worker seeds, plus a BLAS reduction, so executors can be compared bit for bit.
``crash`` kills its own process, as a segfault would. ``action`` makes a
``count`` job misbehave: ``exit`` (sys.exit), ``interrupt`` (raises
KeyboardInterrupt), ``sigint`` (sends this process a real SIGINT), ``hang``
(sleeps for ever), ``stubborn`` (sleeps for ever, swallowing every exception),
``notdict`` / ``notjson`` (bad metrics). ``pids`` names a file each job
appends its process id to.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np

from armjac.sweep.jobs import JobKind, register_job


def _load(spec, base_dir, where):
    return dict(spec)


def _validate(cfg, where):
    if cfg.get("value", 0) < 0:
        from armjac.errors import ConfigError

        raise ConfigError(f"{where}: value: must be >= 0; got {cfg['value']}")


def _misbehave(action: str):
    if action == "exit":
        sys.exit(0)
    if action == "interrupt":
        raise KeyboardInterrupt
    if action == "sigint":
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    while action in ("hang", "stubborn"):
        try:
            time.sleep(3600)
        except Exception:  # noqa: BLE001, S110 (a careless job that swallows the stop)
            if action == "hang":
                raise
    if action == "notdict":
        return [1, 2, 3]
    if action == "notjson":
        return {"value": object()}
    return None


def _count(cfg: dict) -> dict:
    if cfg.get("counter"):
        with open(cfg["counter"], "a") as f:
            f.write(f"{cfg['tag']}\n")
    if cfg.get("pids"):
        with open(cfg["pids"], "a") as f:
            f.write(f"{os.getpid()}\n")
    time.sleep(cfg.get("sleep", 0.0))
    if cfg.get("fail"):
        raise RuntimeError(f"job {cfg['tag']} was told to fail")
    if cfg.get("action"):
        bad = _misbehave(cfg["action"])
        if bad is not None:
            return bad
    rng = np.random.default_rng(cfg["value"])
    a = rng.standard_normal((200, 200))
    return {
        "value": cfg["value"],
        "square": cfg["value"] ** 2,
        "global_draw": float(np.random.random()) + random.random(),  # noqa: NPY002
        "blas": float((a @ a.T).sum()),
        "elapsed_s": cfg.get("sleep", 0.0),
        "pid": os.getpid(),
    }


def _crash(cfg: dict) -> dict:
    if cfg.get("value") == cfg.get("crash_at"):
        os._exit(3)
    return _count(cfg)


register_job(JobKind("count", _load, _validate, _count, code=("armjac/sweep",),
                     timing_keys=("elapsed_s", "pid"), description="test: count and sleep"))
register_job(JobKind("crash", _load, _validate, _crash, code=("armjac/sweep",),
                     timing_keys=("elapsed_s", "pid"), description="test: kill the worker"))


def tag_lines(path: str | os.PathLike) -> list[str]:
    """The tags written to a counter file, in order (none when it does not exist)."""
    p = Path(path)
    return p.read_text().split() if p.exists() else []
