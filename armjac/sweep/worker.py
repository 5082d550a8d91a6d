"""Run one sweep job in whatever process the executor gives it.

The same function runs in the calling process (serial), in a spawned pool
worker (local) and in a Ray worker. What makes the results identical across
them: the process's global generators are seeded from the job, BLAS and
TensorFlow run on one thread (multi-threaded reductions add in a different
order from run to run), TensorFlow's op determinism is on, and wall-clock
times are kept out of the metrics.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator

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
# Seconds a job may overrun its timeout (ignoring the stop it was sent) before
# its worker process is killed: a tenth of the timeout, at least 2 s.
GRACE_FRACTION, GRACE_MIN = 0.1, 2.0
# Set when this process's SIGINT handler saw a real Ctrl-C (see user_interrupts):
# a KeyboardInterrupt the job raised itself is a failed job, not a stop.
_user_interrupt = False


class JobTimeout(Exception):
    """A job ran longer than its sweep's ``timeout_s``."""


def grace(timeout: float) -> float:
    """How long past ``timeout`` a job's worker waits before killing itself."""
    return max(GRACE_MIN, GRACE_FRACTION * timeout)


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


def execute(job: Job, timeout: float | None = None, hard: bool = False) -> dict:
    """Run ``job`` and return its record (never raises for a failing job).

    Parameters
    ----------
    job : Job
    timeout : float, optional
        Seconds the job may run: then it is stopped (a :class:`JobTimeout`
        raised in it) and recorded as failed.
    hard : bool
        Also kill this process when the job ignores the stop for
        :func:`grace` seconds (a job stuck in C code, or one that catches
        every exception). Only for worker processes: the executor records
        the job as failed when its worker dies.

    Returns
    -------
    dict
        ``key``, ``index``, ``kind``, ``point``, ``status`` ("ok" or "failed"),
        ``metrics`` (JSON), ``reason`` and ``traceback`` when failed, and
        ``timing`` (seconds, host, pid, and the kind's wall-clock metrics),
        the only part that differs between executors.

    Raises
    ------
    KeyboardInterrupt
        Only for a real Ctrl-C seen by :func:`user_interrupts`; a job that
        raises KeyboardInterrupt or SystemExit itself is a failed job.
    """
    record = {"key": job.key, "index": job.index, "kind": job.kind, "point": job.point}
    t0 = time.perf_counter()
    timing: dict = {}
    try:
        with _time_limit(timeout, hard):
            metrics = _run(job, timing)
        record.update(status="ok", metrics=metrics)
    except BaseException as exc:  # a failed job is recorded and never stops the others
        if isinstance(exc, KeyboardInterrupt) and _user_interrupt:
            raise
        record.update(
            status="failed",
            metrics={},
            reason=_reason(exc, timeout),
            traceback=traceback.format_exc(limit=8),
        )
    timing.update(seconds=round(time.perf_counter() - t0, 4), host=socket.gethostname(),
                  pid=os.getpid())  # fmt: skip
    record["timing"] = timing
    sys.stdout.flush()
    return record


def _run(job: Job, timing: dict) -> dict:
    """The job's metrics as checked JSON (its wall-clock entries moved to ``timing``)."""
    from armjac.control.blas import single_threaded_blas
    from armjac.sweep.jobs import get_kind

    kind = get_kind(job.kind)
    uses_tf = kind.needs_tf(job.config)
    if uses_tf:
        _deterministic_tf()
    _seed_globals(job.seed, uses_tf)
    with single_threaded_blas():
        result = kind.run(copy.deepcopy(job.config))
    if not isinstance(result, dict):
        raise TypeError(f"job kind {job.kind!r} returned {type(result).__name__}, not a mapping "
                        "of metrics")  # fmt: skip
    metrics = to_jsonable(result)
    try:  # what the store will write: refused here, as this job's failure
        json.dumps(metrics, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"job kind {job.kind!r} returned metrics that are not JSON: {exc}"
        raise TypeError(msg) from None
    timing.update(_pop_timing(metrics, kind.timing_keys))
    return metrics


def _reason(exc: BaseException, timeout: float | None) -> str:
    """One line saying why a job failed."""
    if isinstance(exc, JobTimeout):
        return f"timed out after {timeout:g} s (the sweep's timeout_s)"
    if isinstance(exc, SystemExit):
        return f"SystemExit: the job called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt: raised by the job"
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 (an exception whose message itself fails)
        text = "<its message could not be shown>"
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {text}"


@contextlib.contextmanager
def _time_limit(timeout: float | None, hard: bool) -> Iterator[None]:
    """Raise JobTimeout in the job after ``timeout`` s; with ``hard``, kill the
    process if the job is still running :func:`grace` seconds later."""
    if timeout is None:
        yield
        return
    soft = threading.current_thread() is threading.main_thread()  # signals need it

    def expire(signum, frame):
        raise JobTimeout(timeout)

    if soft:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    killer = threading.Timer(timeout + grace(timeout), os._exit, (TIMEOUT_EXIT,)) if hard else None
    if killer is not None:
        killer.daemon = True
        killer.start()
    try:
        yield
    finally:
        if killer is not None:
            killer.cancel()
        if soft:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


REASON_CHARS = 2000  # a failed job's reason is cut here (its traceback has the rest)
TIMEOUT_EXIT = 124  # exit status of a worker killed by its job's timeout (as timeout(1))


@contextlib.contextmanager
def user_interrupts() -> Iterator[None]:
    """Mark a Ctrl-C (SIGINT) as the user's while the body runs jobs in this process.

    :func:`execute` then lets that KeyboardInterrupt stop the sweep, while one
    a job raises by itself only fails that job.
    """
    global _user_interrupt
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        global _user_interrupt
        _user_interrupt = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _user_interrupt = False


def init_worker(parent: int) -> None:
    """Start-up of a pool worker: die with the process that started it.

    A driver killed with SIGKILL cannot stop its pool; without this its
    workers would finish (or hang in) their jobs with nobody to read the
    results. Linux kills the worker at once (``PR_SET_PDEATHSIG``); a thread
    checking the parent each second covers other systems.
    """
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="armjac-parent-watch", daemon=True).start()


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
