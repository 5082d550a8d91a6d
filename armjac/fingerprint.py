"""Hashes of armjac's own source, so caches notice when the code behind a result
changed even though the version number did not."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the folder holding armjac/ and sims/


@functools.cache
def source_fingerprint(*parts: str) -> str:
    """SHA-256 over the text of the given modules or package folders (relative to
    the checkout, e.g. ``"armjac/control"``, ``"armjac/codegen/kernel.py"``)."""
    h = hashlib.sha256()
    for part in parts:
        path = ROOT / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()
