"""Keep OpenBLAS single-threaded around a control loop.

numpy's OpenBLAS may hand even a 7x7 solve to worker threads. On a busy
machine a worker that is not scheduled stalls the call for milliseconds,
which wrecks a 1 kHz loop (measured: 1 in 400 ``solve`` calls took 3-6 ms
with two other processes busy; none with one thread). Setting
``OPENBLAS_NUM_THREADS=1`` before numpy loads does the same for a whole process.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

_SUFFIXES = ("64_", "")


def _openblas_handles() -> list[tuple[object, object]]:
    """(set_num_threads, get_num_threads) of each OpenBLAS loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:  # not Linux: nothing to do
        return []
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in _SUFFIXES:
            setter = getattr(lib, f"openblas_set_num_threads{suffix}", None)
            getter = getattr(lib, f"openblas_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                found.append((setter, getter))
                break
    return found


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the body with OpenBLAS limited to one thread, then restore the old count."""
    handles = _openblas_handles()
    before = [getter() for _, getter in handles]
    for setter, _ in handles:
        setter(1)
    try:
        yield
    finally:
        for (setter, _), n in zip(handles, before, strict=True):
            setter(int(n))
