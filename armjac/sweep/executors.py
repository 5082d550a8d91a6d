"""Where sweep jobs run: in this process, a local process pool, or Ray tasks.

Every executor calls :func:`armjac.sweep.worker.execute` on each job and
hands each record to ``on_result`` as soon as it arrives, in the calling
process (which alone writes the result files, so Ray workers on other
machines need no shared disk).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from armjac.errors import ConfigError
from armjac.sweep.config import Job
from armjac.sweep.jobs import get_kind
from armjac.sweep.worker import (
    THREAD_ENV,
    execute,
    failed_record,
    init_worker,
    user_interrupts,
)

OnResult = Callable[[dict], None]
RAY_CONNECT_TIMEOUT = 10.0  # s to open a TCP connection to a cluster's address


def run_serial(jobs: Sequence[Job], on_result: OnResult, timeout: float | None = None) -> None:
    """Run the jobs one after another in this process.

    A job past ``timeout`` is stopped by an exception raised in it; one stuck
    in C code cannot be stopped in this process (use a pool).
    """
    with user_interrupts():
        for job in jobs:
            on_result(execute(job, timeout))


@contextlib.contextmanager
def _thread_env() -> Iterator[None]:
    """THREAD_ENV in ``os.environ`` while workers start (they inherit it), then restored."""
    old = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_local(
    jobs: Sequence[Job],
    on_result: OnResult,
    workers: int | None = None,
    timeout: float | None = None,
) -> None:
    """Run the jobs on a pool of ``workers`` spawned processes (default: one per core).

    Spawned, not forked: a fork would copy this process's TensorFlow and
    PyBullet state, and its BLAS threads, into every worker. A worker that
    dies (a crash, out of memory) breaks the whole pool and takes every job
    still in it down; those run again one at a time, so only the job that
    really kills its worker is recorded as failed. A job past ``timeout`` is
    stopped, and its worker killed if it does not stop; workers die with
    this process.
    """
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ConfigError(f"workers must be >= 1; got {workers}")
    if not jobs:
        return
    lost = _run_pool(jobs, on_result, min(workers, len(jobs)), timeout)
    while lost:
        # one worker runs the jobs in order: the first lost one is the one that died
        lost = _run_pool([job for job, _ in lost], on_result, 1, timeout)
        if lost:
            on_result(failed_record(*lost[0]))
            lost = lost[1:]


def _run_pool(
    jobs: Sequence[Job], on_result: OnResult, workers: int, timeout: float | None
) -> list[tuple[Job, str]]:
    """Run ``jobs`` on one pool; the jobs a dying worker took down, in submission order."""
    lost: list[tuple[int, str]] = []
    died = "worker died" + ("" if timeout is None else
                            f" (or its job ignored the {timeout:g} s timeout)")  # fmt: skip
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                               initializer=init_worker, initargs=(os.getpid(),))  # fmt: skip
    with _thread_env(), pool:
        futures = {pool.submit(execute, job, timeout, True): i for i, job in enumerate(jobs)}
        try:
            for fut in as_completed(futures):
                try:
                    record = fut.result()
                except Exception as exc:  # the pool broke: a worker process died
                    lost.append((futures[fut], f"{died}: {type(exc).__name__}: {exc}"))
                    continue
                on_result(record)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [(jobs[i], reason) for i, reason in sorted(lost)]


def _gpus(job: Job, num_gpus, cluster_gpus: float) -> float:
    if num_gpus != "auto":
        return float(num_gpus)
    return 1.0 if cluster_gpus >= 1 and get_kind(job.kind).wants_gpu(job.config) else 0.0


def ray_init_args(address: str) -> dict:
    """``ray.init`` arguments for ``--ray ADDRESS``.

    ``auto``: the running cluster this machine knows of (``ray start``,
    ``RAY_ADDRESS``), else a new local one; ``local``: always a new local one;
    anything else: a cluster's address (``host:port`` or ``ray://host:port``).
    """
    args = {"include_dashboard": False, "log_to_driver": False,
            "runtime_env": {"env_vars": dict(THREAD_ENV)}}  # fmt: skip
    if address == "auto":
        return args  # address=None: connect if a cluster is known, else start one
    return {**args, "address": address}


def check_ray_address(address: str) -> None:
    """Fail at once for an address nobody answers at (``ray.init`` retries for minutes).

    Raises
    ------
    ConfigError
        A malformed address, or no TCP connection to it within
        :data:`RAY_CONNECT_TIMEOUT` seconds.
    """
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS", "") or "auto"
    if address in ("auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"a Ray address is auto, local, HOST:PORT or ray://HOST:PORT; "
                          f"got {address!r}")  # fmt: skip
    try:
        socket.create_connection((host.strip("[]"), int(port)), RAY_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach a Ray cluster at {address!r}: {exc}") from None


def run_ray(
    jobs: Sequence[Job],
    on_result: OnResult,
    address: str = "auto",
    num_cpus: float = 1.0,
    num_gpus: float | str = "auto",
    timeout: float | None = None,
) -> None:
    """Run each job as a Ray task asking for ``num_cpus`` CPUs (and GPUs, see JobKind).

    Connects to (or starts) a cluster as :func:`ray_init_args` says, and
    disconnects at the end (stopping a local cluster it started). A job past
    ``timeout`` is stopped, and its worker killed if it does not stop.
    """
    from armjac.extras import require

    require("ray", "armjac sweep --ray")
    if not jobs:
        return
    import ray

    owned = not ray.is_initialized()
    if owned:
        check_ray_address(address)
        try:
            ray.init(**ray_init_args(address))
        except ConnectionError as exc:
            raise ConfigError(f"cannot reach a Ray cluster at {address!r}: {exc}") from None
    refs: dict = {}
    try:
        cluster_gpus = ray.cluster_resources().get("GPU", 0.0)
        task = ray.remote(execute)
        refs = {
            task.options(num_cpus=num_cpus, num_gpus=_gpus(job, num_gpus, cluster_gpus),
                         max_retries=0).remote(job, timeout, True): job
            for job in jobs
        }  # fmt: skip
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    record = ray.get(ref)
                except Exception as exc:  # the task's worker died or the node was lost
                    reason = f"ray task failed: {type(exc).__name__}: {exc}"
                    record = failed_record(refs[ref], reason)
                on_result(record)
    except BaseException:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    finally:
        if owned:
            ray.shutdown()
