"""On-disk cache of compiled kernels.

An entry is a folder named by a hash of everything that determines the code
(robot fingerprint, kernel list, backend, armjac version, and the bytes of
the code that generates kernels). It holds the generated source, the
built library and a sealed ``manifest.json``: the manifest records the SHA-256
of every other file, and its ``seal`` field the SHA-256 of the rest of the
manifest (whose bytes must be exactly as written), so every byte of every file
in the entry is checked before anything is loaded. An
entry that does not check out is reported, removed and rebuilt, never loaded.

Entries are built in a private ``.build-<pid>-*`` folder and renamed into
place, so a reader never sees half an entry; build folders left behind by a
killed process are removed. A cache folder that cannot be written (read-only,
a file in its place, ``/dev/null``) is found before any derivation runs, and a
private temporary cache is used instead, with a warning.
"""

from __future__ import annotations

import hashlib
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
from armjac.codegen.kernel import KernelSpec, lower
from armjac.errors import CacheError, ConfigError
from armjac.fingerprint import source_digest
from armjac.outputs import atomic_folder

BACKENDS = ("auto", "c", "numpy")
_DISPATCHER: dict = {}  # the dispatcher's Kernel type per folder, imported once per process
# Modules whose source decides the generated code; their bytes are part of the key,
# so an entry made by other derivation or codegen code is never reused.
CODE_PARTS = (
    "armjac/symbolic",
    "armjac/codegen/kernel.py",
    "armjac/codegen/specs.py",
    "armjac/codegen/c_backend.py",
    "armjac/codegen/simd.py",
    "armjac/codegen/numpy_backend.py",
)
STALE_BUILD_SECONDS = 24 * 3600.0


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


# -- sealed JSON: the "seal" field is the SHA-256 of the rest, and the bytes must be
# exactly what write_sealed writes, so no byte of the file goes unchecked.
def _dump(obj: dict) -> str:
    return json.dumps(obj, indent=1, sort_keys=True) + "\n"


def write_sealed(path: Path, obj: dict) -> None:
    """Write ``obj`` as JSON with a ``seal`` field over all of it."""
    path.write_text(_dump({**obj, "seal": hashlib.sha256(_dump(obj).encode()).hexdigest()}))


def read_sealed(path: Path) -> dict:
    """The object in a sealed JSON file; raises CacheError if any byte is off."""
    try:
        data = path.read_bytes()
        obj = json.loads(data)
    except (OSError, ValueError) as exc:
        raise CacheError(f"unreadable {path.name} ({exc})") from None
    seal = obj.pop("seal", None) if isinstance(obj, dict) else None
    if (
        not isinstance(seal, str)
        or hashlib.sha256(_dump(obj).encode()).hexdigest() != seal
        or _dump({**obj, "seal": seal}).encode() != data
    ):
        raise CacheError(f"{path.name} does not match its seal (corrupt)")
    return obj


def _manifest(path: Path, key: str) -> dict:
    """The entry's manifest, sealed, keyed and well-formed, with every file checked."""
    manifest = read_sealed(path / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("key") != key:
        raise CacheError("manifest does not match this model and version")
    files = manifest.get("files")
    if not isinstance(files, dict) or manifest.get("library") not in files:
        raise CacheError("manifest lists no library")
    for name, digest in files.items():
        try:
            ok = _sha256(path / name) == digest
        except OSError:
            ok = False
        if not ok:
            raise CacheError(f"{name} does not match its recorded hash (corrupt)")
    return manifest


def _fill_dispatcher(folder: Path) -> None:
    c_backend.build_dispatcher(folder)
    lib = folder / c_backend.dispatcher_name()
    write_sealed(folder / "manifest.json", {"files": {lib.name: _sha256(lib)}})


def _dispatcher_intact(folder: Path) -> bool:
    try:
        files = read_sealed(folder / "manifest.json")["files"]
        return all(_sha256(folder / n) == d for n, d in files.items())
    except (CacheError, OSError, ValueError, KeyError, TypeError):
        return False


def _remove(path: Path) -> None:
    """Delete a folder or a file (or symlink) at ``path``, whichever it is."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _usable_root(root: Path) -> Path | None:
    """``root`` if a build folder can be made in it, else None."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-", dir=root))
        probe.rmdir()
        return root
    except OSError:
        return None


def _fallback_root(bad: Path, why: str) -> Path:
    user = os.getuid() if hasattr(os, "getuid") else 0
    alt = Path(tempfile.gettempdir()) / f"armjac-cache-{user}"
    if _usable_root(alt) is None:
        raise CacheError(f"kernel cache {bad} is unusable ({why}), and so is {alt}")
    warnings.warn(
        f"armjac: kernel cache {bad} is unusable ({why}); using {alt} instead "
        "(set ARMJAC_CACHE_DIR to a writable folder)",
        stacklevel=4,
    )
    return alt


def clean_stale_builds(root: Path) -> None:
    """Remove build folders whose process is gone, or older than a day."""
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(".build-")]
    except OSError:
        return
    for p in candidates:
        pid = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
        try:
            old = time.time() - p.stat().st_mtime > STALE_BUILD_SECONDS
        except OSError:
            continue
        if old or not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _build_into(final: Path, fill: Callable[[Path], None]) -> None:
    """Run ``fill`` on a private ``.build-<pid>-*`` folder beside ``final``, then
    rename it to ``final``; a concurrent builder that finished first wins."""
    with atomic_folder(final, prefix=f".build-{os.getpid()}-", keep_existing=True) as tmp:
        fill(tmp)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


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
            code=source_digest(*CODE_PARTS),
        )
        if backend == "c":  # built for this CPU (c_backend.native_flags)
            full["host"] = c_backend.host_tag()
        return hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()

    def _entry_by_key(self, key: str) -> Path | None:
        """An entry of ``key`` filed under any label, or None."""
        suffix = f"-{key[:20]}"
        try:
            with os.scandir(self.root) as entries:
                for e in entries:
                    if e.name.endswith(suffix) and not e.name.startswith(".build-"):
                        return Path(e.path)
        except OSError:
            return None
        return None

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
        owner: str = "",
        extra=None,
    ) -> dict:
        """Kernels for ``fields``, from the cache if valid, else freshly built.

        ``specs`` is only called on a miss, so the symbolic derivation is skipped
        entirely when the cache is warm. ``owner`` names the arm in input errors;
        ``extra`` are the numbers an adjusted arm's kernels read after the point.
        """
        backend = resolve_backend(backend)
        key = self.key(fields, backend)
        path = self.entry_dir(label, key)
        if not os.path.lexists(path):
            path = self._entry_by_key(key) or path  # the same kernels under another arm's name
        if os.path.lexists(path):
            try:
                return self._load(path, key, dof, owner, extra)
            except CacheError as exc:
                warnings.warn(
                    f"armjac: discarding cache entry {path}: {exc}; regenerating", stacklevel=3
                )
                _remove(path)
        if _usable_root(self.root) is None or os.path.lexists(path):
            why = "not a writable folder" if not os.path.lexists(path) else f"{path} is in the way"
            self.root = _fallback_root(self.root, why)
            self._dispatch = None
            path = self.entry_dir(label, key)
            if path.is_dir():
                try:
                    return self._load(path, key, dof, owner, extra)
                except CacheError:
                    _remove(path)
        clean_stale_builds(self.root)
        t0 = time.perf_counter()
        self._build(path, key, fields, specs(), dof, backend)
        self.last_build_seconds = time.perf_counter() - t0
        return self._load(path, key, dof, owner, extra)

    def dispatcher(self):
        """The compiled dispatcher's Kernel type, or None (then kernels are called
        via ctypes). ``ARMJAC_DISPATCHER=off`` forces the ctypes path."""
        if os.environ.get("ARMJAC_DISPATCHER", "").lower() in ("0", "off", "no", "false"):
            return None
        if self._dispatch is False:
            return None
        if self._dispatch is None:
            self._dispatch = self._find_dispatcher()
        return self._dispatch or None

    def _find_dispatcher(self):
        import numpy as np

        try:  # a missing dispatch.c (a broken install) also falls back to ctypes
            src = (Path(c_backend.__file__).with_name("dispatch.c")).read_bytes()
            tag = hashlib.sha256(
                src + sysconfig.get_config_var("EXT_SUFFIX").encode() + np.__version__.encode()
            )
            folder = self.root / f"dispatch-{tag.hexdigest()[:16]}"
            if str(folder) in _DISPATCHER:
                return _DISPATCHER[str(folder)]
            if os.path.lexists(folder) and not _dispatcher_intact(folder):
                warnings.warn(f"armjac: rebuilding corrupt dispatcher {folder}", stacklevel=3)
                _remove(folder)
            if not folder.exists():
                _build_into(folder, _fill_dispatcher)
            kernel_type = c_backend.load_dispatcher(folder)
        except (CacheError, OSError, ImportError) as exc:
            warnings.warn(
                f"armjac: kernel dispatcher unavailable ({exc}); using ctypes", stacklevel=3
            )
            return False
        _DISPATCHER[str(folder)] = kernel_type
        return kernel_type

    # -- internals ---------------------------------------------------------------
    def _load(self, path: Path, key: str, dof: int, owner: str, extra=None) -> dict:
        manifest = _manifest(path, key)
        try:
            kernels = {k: tuple(int(n) for n in v) for k, v in manifest["kernels"].items()}
            needs = {
                k: (bool(manifest["uses_dq"][k]), bool(manifest["uses_u"][k])) for k in kernels
            }
            lib, backend = str(path / manifest["library"]), manifest["backend"]
            n_extra = int(manifest["fields"].get("extra", 0))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise CacheError(f"incomplete entry ({exc!r})") from None
        given = 0 if extra is None else len(extra)
        if n_extra != given:  # the kernels would read past p
            raise CacheError(f"its kernels read {n_extra} extra numbers, not {given}")
        if backend == "c":
            return c_backend.load(lib, kernels, dof, needs, owner, self.dispatcher(), extra)
        return numpy_backend.load(lib, kernels, dof, needs, owner, extra)

    def _build(self, path: Path, key: str, fields: dict, specs, dof: int, backend: str) -> None:
        lowered = [lower(s, "numpy." if backend == "numpy" else "armjac_") for s in specs]

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
                "uses_dq": {s.spec.name: c_backend.uses(s, "dq") for s in lowered},
                "uses_u": {s.spec.name: c_backend.uses(s, "u") for s in lowered},
                "files": files,
            }
            # Written last: an entry without a manifest is never loaded.
            write_sealed(tmp / "manifest.json", manifest)

        _build_into(path, fill)
