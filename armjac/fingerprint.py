"""Hashes of armjac's own source, so caches notice when the code behind a result
changed even though the version number did not."""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the folder holding the armjac package


def _code_only(text: str) -> str:
    """The module's syntax tree without docstrings (comments are never in it), so
    editing documentation does not invalidate cached results."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@functools.cache
def source_fingerprint(*parts: str) -> str:
    """SHA-256 over the code of the given modules or package folders (relative to
    the checkout, e.g. ``"armjac/control"``, ``"armjac/codegen/kernel.py"``)."""
    h = hashlib.sha256()
    for part in parts:
        path = ROOT / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(_code_only(f.read_text()).encode())
    return h.hexdigest()


@functools.cache
def source_digest(*parts: str) -> str:
    """SHA-256 over the raw bytes of the given modules or package folders.

    Cheaper than :func:`source_fingerprint` (no parsing, plain ``os`` calls:
    well under a millisecond instead of ~15 ms), for keys computed at every
    start; any edit, documentation included, changes it.
    """
    h = hashlib.sha256()
    root = str(ROOT)
    for part in parts:
        path = os.path.join(root, part)
        if os.path.isdir(path):
            files = sorted(
                os.path.join(d, f) for d, _, names in os.walk(path) for f in names
                if f.endswith(".py")
            )
        else:
            files = [path]
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            h.update(os.path.relpath(f, root).replace(os.sep, "/").encode() + b"\0")
            h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()
