"""On-disk cache of compiled kernels.

An entry is a folder named by a hash of everything that determines the code
(robot fingerprint, kernel list, backend, armjac and sympy versions). It holds
the generated source, the built library and a ``manifest.json`` with the
SHA-256 of every file. Entries are built in a private temporary folder and
renamed into place, so a reader never sees half an entry. An entry whose
manifest or hashes do not check out is reported, removed and rebuilt, never
loaded.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from armjac._version import __version__
from armjac.codegen import c_backend, numpy_backend
from armjac.codegen.kernel import KernelSpec, lower  # lower imports sympy lazily
from armjac.errors import CacheError, ConfigError
from armjac.fingerprint import source_fingerprint

BACKENDS = ("auto", "c", "numpy")
_DISPATCHER: list = []  # the dispatcher extension, imported at most once per process
# Modules whose source decides the generated code; their text is part of the key,
# so an entry made by other derivation or codegen code is never reused.
CODE_PARTS = (
    "armjac/symbolic",
    "armjac/codegen/kernel.py",
    "armjac/codegen/specs.py",
    "armjac/codegen/c_backend.py",
    "armjac/codegen/numpy_backend.py",
)


def cache_root(override: str | os.PathLike | None = None) -> Path:
    """Cache folder: ``override``, else ``$ARMJAC_CACHE_DIR``, else the user cache."""
    if override is not None:
        return Path(override)
    env = os.environ.get("ARMJAC_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "armjac"


def resolve_backend(backend: str) -> str:
    """``auto`` -> ``c`` when a compiler exists, else ``numpy``; checks the name."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "c" if c_backend.compiler() else "numpy"
    if backend == "c" and c_backend.compiler() is None:
        raise CacheError("backend='c' needs a C compiler; none was found (set $CC)")
    return backend


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fill_dispatcher(folder: Path) -> None:
    c_backend.build_dispatcher(folder)
    (lib,) = [p for p in folder.iterdir() if p.name.startswith("armjac_dispatch")]
    (folder / "sha256").write_text(f"{lib.name} {_sha256(lib)}")


def _dispatcher_intact(folder: Path) -> bool:
    try:
        name, digest = (folder / "sha256").read_text().split()
        return _sha256(folder / name) == digest
    except (OSError, ValueError):
        return False


class KernelCache:
    """Builds, stores and loads kernel libraries under one cache root."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = cache_root(root)
        self.last_build_seconds: float | None = None
        self._dispatch = None

    @staticmethod
    def key(fields: dict, backend: str) -> str:
        """Hash of ``fields`` plus backend, versions and the code that generates kernels."""
        full = dict(
            fields,
            backend=backend,
            armjac=__version__,
            sympy=importlib.metadata.version("sympy"),
            code=source_fingerprint(*CODE_PARTS),
        )
        return hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()

    def entry_dir(self, label: str, key: str) -> Path:
        """Folder of entry ``key``: ``<root>/<label>-<first 20 hex digits of key>``."""
        return self.root / f"{label}-{key[:20]}"

    def load_or_build(
        self,
        label: str,
        fields: dict,
        specs: Callable[[], Sequence[KernelSpec]],
        dof: int,
        backend: str = "auto",
    ) -> dict:
        """Kernels for ``fields``, from the cache if valid, else freshly built.

        ``specs`` is only called on a miss, so the symbolic derivation is skipped
        entirely when the cache is warm.
        """
        backend = resolve_backend(backend)
        key = self.key(fields, backend)
        path = self.entry_dir(label, key)
        if path.exists():
            try:
                return self._load(path, key)
            except CacheError as exc:
                warnings.warn(
                    f"armjac: discarding cache entry {path}: {exc}; regenerating", stacklevel=3
                )
                shutil.rmtree(path, ignore_errors=True)
        t0 = time.perf_counter()
        self._build(path, key, fields, specs(), dof, backend)
        self.last_build_seconds = time.perf_counter() - t0
        return self._load(path, key)

    def dispatcher(self):
        """The compiled kernel dispatcher, or None (then kernels are called via ctypes)."""
        if self._dispatch is False:
            return None
        if self._dispatch is None and _DISPATCHER:
            self._dispatch = _DISPATCHER[0]
        if self._dispatch is None:
            try:  # a missing dispatch.c (a broken install) also falls back to ctypes
                src = (Path(c_backend.__file__).with_name("dispatch.c")).read_bytes()
                tag = hashlib.sha256(src + sysconfig.get_config_var("EXT_SUFFIX").encode())
                folder = self.root / f"dispatch-{tag.hexdigest()[:16]}"
                if folder.exists() and not _dispatcher_intact(folder):
                    warnings.warn(f"armjac: rebuilding corrupt dispatcher {folder}", stacklevel=2)
                    shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    self._build_folder(folder, _fill_dispatcher)
                self._dispatch = c_backend.load_dispatcher(folder)
                _DISPATCHER.append(self._dispatch)
            except (CacheError, OSError, ImportError) as exc:
                warnings.warn(
                    f"armjac: kernel dispatcher unavailable ({exc}); using ctypes", stacklevel=2
                )
                self._dispatch = False
                return None
        return self._dispatch

    def _build_folder(self, final: Path, fill: Callable[[Path], None]) -> None:
        """Run ``fill`` on a private temp folder, then rename it to ``final``."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.root))
        try:
            fill(tmp)
            try:
                os.rename(tmp, final)
            except OSError:
                if not final.exists():
                    raise
                # Another process finished the same entry first; use theirs.
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # -- internals ---------------------------------------------------------------
    def _load(self, path: Path, key: str) -> dict:
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise CacheError(f"unreadable manifest ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("key") != key:
            raise CacheError("manifest does not match this model and version")
        try:
            files = manifest["files"]
            kernels = {k: tuple(v) for k, v in manifest["kernels"].items()}
            for name, digest in files.items():
                if _sha256(path / name) != digest:
                    raise CacheError(f"{name} does not match its recorded hash (corrupt)")
            lib = manifest["library"]
        except (KeyError, TypeError, AttributeError, OSError) as exc:
            raise CacheError(f"incomplete entry ({exc!r})") from None
        if manifest["backend"] == "c":
            return c_backend.load(str(path / lib), kernels, self.dispatcher())
        return numpy_backend.load(str(path / lib), kernels)

    def _build(self, path: Path, key: str, fields: dict, specs, dof: int, backend: str) -> None:
        lowered = [lower(s) for s in specs]

        def fill(tmp: Path) -> None:
            files = {}
            if backend == "c":
                src = c_backend.source(lowered, dof)
                (tmp / "kernels.c").write_text(src)
                lib = f"kernels-{hashlib.sha256(src.encode()).hexdigest()[:12]}.so"
                c_backend.build(str(tmp / "kernels.c"), str(tmp / lib))
                files["kernels.c"] = _sha256(tmp / "kernels.c")
            else:
                lib = "kernels.py"
                (tmp / lib).write_text(numpy_backend.source(lowered, dof))
            files[lib] = _sha256(tmp / lib)
            manifest = {
                "key": key,
                "fields": fields,
                "backend": backend,
                "library": lib,
                "kernels": {s.spec.name: list(s.spec.shape) for s in lowered},
                "files": files,
            }
            # Written last: an entry without a manifest is never loaded.
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))

        self._build_folder(path, fill)
