"""Run one sweep job in whatever process the executor gives it.

The same function runs in the calling process (serial), in a spawned pool
worker (local) and in a Ray worker. What makes the results identical across
them: the process's global generators are seeded from the job, BLAS and
TensorFlow run on one thread (multi-threaded reductions add in a different
order from run to run), TensorFlow's op determinism is on, and wall-clock
times are kept out of the metrics.
"""

from __future__ import annotations

import copy
import os
import random
import socket
import sys
import time
import traceback

from armjac.jsonutil import to_jsonable
from armjac.sweep.config import Job

# Set before numpy / TensorFlow load in a worker: OpenBLAS and TF read them once.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_DETERMINISTIC_OPS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "MPLBACKEND": "Agg",
}

_tf_ready = False


def _deterministic_tf() -> None:
    """One TF thread per op and deterministic kernels, once per process.

    TF refuses thread settings after its runtime started; a process whose
    runtime already runs (the caller's own, in a serial sweep) keeps its
    settings, and THREAD_ENV covers the workers.
    """
    global _tf_ready
    if _tf_ready:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()
    _tf_ready = True


def _seed_globals(seed: int, uses_tf: bool) -> None:
    """Seed the generators code may draw from without being handed one."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what is seeded)
    if uses_tf:
        import tensorflow as tf

        tf.random.set_seed(seed)


def execute(job: Job) -> dict:
    """Run ``job`` and return its record (never raises for a failing job).

    Returns
    -------
    dict
        ``key``, ``index``, ``kind``, ``point``, ``status`` ("ok" or "failed"),
        ``metrics`` (JSON), ``reason`` and ``traceback`` when failed, and
        ``timing`` (seconds, host, pid, and the kind's wall-clock metrics),
        the only part that differs between executors.
    """
    from armjac.control.blas import single_threaded_blas
    from armjac.sweep.jobs import get_kind

    record = {"key": job.key, "index": job.index, "kind": job.kind, "point": job.point}
    t0 = time.perf_counter()
    timing: dict = {}
    try:
        kind = get_kind(job.kind)
        uses_tf = kind.needs_tf(job.config)
        if uses_tf:
            _deterministic_tf()
        _seed_globals(job.seed, uses_tf)
        with single_threaded_blas():
            metrics = to_jsonable(kind.run(copy.deepcopy(job.config)))
        timing.update(_pop_timing(metrics, kind.timing_keys))
        record.update(status="ok", metrics=metrics)
    except Exception as exc:  # a failed job is recorded and never stops the others
        record.update(
            status="failed",
            metrics={},
            reason=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
    timing.update(seconds=round(time.perf_counter() - t0, 4), host=socket.gethostname(),
                  pid=os.getpid())  # fmt: skip
    record["timing"] = timing
    sys.stdout.flush()
    return record


def _pop_timing(metrics: dict, keys) -> dict:
    """Remove the wall-clock ``keys`` (dotted, ``*`` for any key) from ``metrics``."""
    out = {}

    def pop(node, parts, prefix):
        if not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        for k in list(node) if head == "*" else [head]:
            if k not in node:
                continue
            if rest:
                pop(node[k], rest, f"{prefix}{k}.")
            else:
                out[f"{prefix}{k}"] = node.pop(k)

    for dotted in keys:
        pop(metrics, dotted.split("."), "")
    return out


def failed_record(job: Job, reason: str) -> dict:
    """The record of a job whose worker died or could not be reached."""
    return {
        "key": job.key, "index": job.index, "kind": job.kind, "point": job.point,
        "status": "failed", "metrics": {}, "reason": reason, "timing": {},
    }  # fmt: skip
