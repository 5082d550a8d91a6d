"""Writing results so that nobody mistakes an old or partial result for a new one.

* :func:`check_out_dir` fails *before* the work starts when a folder cannot be
  written (a file in the way, a read-only place).
* :func:`atomic_folder` builds a folder under a temporary name and renames it
  into place, so a reader sees the old folder or the new one, never a mix.
* :func:`write_json` replaces a JSON file in one rename.
* :func:`begin_run` marks a run folder as ``running`` before the run, after
  clearing the previous run's files, and refuses files armjac did not write.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from armjac.errors import ConfigError
from armjac.jsonutil import to_jsonable

WRITTEN_BY = "armjac"  # the ``written_by`` field of the metrics files armjac writes


def check_out_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``path`` as a Path, if a folder can be created or written there.

    Raises
    ------
    ConfigError
        ``path`` (or a parent) is a file, or the nearest existing folder is not
        writable; the message names the path.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{what} {os.fspath(path)!r} is a file, not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what} {os.fspath(path)!r}: {existing} is a file, not a folder")
    try:  # os.access says yes to root on a read-only mount; a real write tells
        with tempfile.TemporaryFile(dir=existing, prefix=".armjac-probe-"):
            pass
    except OSError as exc:
        msg = f"{what} {os.fspath(path)!r}: cannot write in {existing} ({exc})"
        raise ConfigError(msg) from None
    return out


@contextmanager
def atomic_folder(
    final: str | os.PathLike, *, prefix: str | None = None, keep_existing: bool = False
) -> Iterator[Path]:
    """Yield a private temporary sibling of ``final`` to fill; on success it becomes ``final``.

    On an exception the temporary folder is removed and ``final`` is left as it was.

    Parameters
    ----------
    final : path
        The folder to write.
    prefix : str, optional
        Name prefix of the temporary folder (default ``.<name>-``); a cache that
        cleans up after killed builders names its builds so it can find them.
    keep_existing : bool
        If ``final`` exists when the new folder is done (a concurrent builder of
        the same content finished first), keep it and discard the new one,
        instead of replacing it.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix or f".{final.name}-", dir=final.parent))
    try:
        yield tmp
        if keep_existing:
            _rename_unless_present(tmp, final)
        else:
            _replace_folder(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already unless it failed or lost


def _rename_unless_present(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; if another writer made ``final`` first, keep theirs."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not final.is_dir():
            raise


def _replace_folder(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, replacing the folder there."""
    if not final.exists():
        os.replace(tmp, final)
        return
    # Move the old folder aside first: os.replace cannot replace a non-empty folder.
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}-old-", dir=final.parent))
    os.replace(final, old / final.name)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: str | os.PathLike, obj, **dumps) -> Path:
    """Write ``obj`` (through :func:`~armjac.jsonutil.to_jsonable`) to ``path`` in one rename."""
    path = Path(path)
    text = json.dumps(to_jsonable(obj), **({"indent": 2, "allow_nan": False} | dumps))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _ours(metrics: Path) -> bool:
    """Whether ``metrics`` is a metrics file armjac wrote."""
    try:
        data = json.loads(metrics.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("written_by") == WRITTEN_BY


def begin_run(
    out: Path, files: Iterable[str], header: dict, *, metrics: str = "metrics.json", force=False
) -> None:
    """Prepare ``out`` for a new run that writes ``files`` (``metrics`` among them).

    Refuses (ConfigError) when ``out`` holds any of ``files`` that armjac did not
    write, unless ``force``. Then removes the previous run's ``files`` and writes
    ``metrics`` as ``header`` with ``status: running``: a run stopped by Ctrl-C
    or a kill leaves that, not the old result, and a diverged run leaves no old
    plots beside its failure.
    """
    out.mkdir(parents=True, exist_ok=True)
    present = [name for name in files if (out / name).exists()]
    if present and not force and not _ours(out / metrics):
        raise ConfigError(
            f"{out} holds {', '.join(present)}, not written by an armjac run; choose another "
            "folder or pass force=True (--force) to overwrite"
        )
    for name in present:
        (out / name).unlink()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_json(out / metrics, {**header, "status": "running", "started": started,
                               "written_by": WRITTEN_BY})  # fmt: skip
