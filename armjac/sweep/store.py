"""Job results on disk, one JSON file per job key, so an interrupted sweep resumes.

Files are written to a temporary name and renamed, so a killed sweep leaves
either a whole record or none. Each record carries a ``seal``, the SHA-256 of
the rest of it. Every record read back is checked: one that is unreadable,
malformed or does not match its seal (a bit flip, a hand edit) is counted in
:attr:`ResultStore.damaged` and its job is run again (the new record replaces
it), never used or allowed to stop a sweep. Records written before seals
existed are checked for their form only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

STATUSES = ("ok", "failed")
SEAL = "seal"


def seal(record: dict) -> str:
    """SHA-256 of ``record`` without its seal (sorted-key JSON)."""
    body = {k: v for k, v in record.items() if k != SEAL}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def record_problem(record, key: str | None = None) -> str | None:
    """What is wrong with a job record (None when it is whole).

    A record is a mapping with ``key`` (equal to ``key`` when given),
    ``index`` (an integer), ``kind`` (text), ``point`` and ``metrics``
    (mappings), ``status`` ("ok" or "failed"; a failed one has a text
    ``reason``) and, when present, a mapping ``timing``.
    """
    if not isinstance(record, dict):
        return f"not a mapping but {type(record).__name__}"
    expect = {"key": str, "index": int, "kind": str, "point": dict, "metrics": dict}
    for name, typ in expect.items():
        value = record.get(name)
        if not isinstance(value, typ) or isinstance(value, bool):
            return f"{name} is {type(value).__name__}, not {typ.__name__}"
    if key is not None and record["key"] != key:
        return f"it holds key {record['key'][:80]!r}"
    if record.get("status") not in STATUSES:
        return f"status is {str(record.get('status'))[:40]!r}, not ok or failed"
    if record["status"] == "failed" and not isinstance(record.get("reason"), str):
        return "a failed record without a reason"
    if not isinstance(record.get("timing", {}), dict):
        return "timing is not a mapping"
    if SEAL in record and record[SEAL] != seal(record):
        return "its content does not match its seal (changed after it was written)"
    return None


class ResultStore:
    """``<root>/<key>.json`` for every job that finished (ok or failed).

    Attributes
    ----------
    damaged : dict
        ``{key: problem}`` of the records :meth:`load` found unreadable or damaged.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.damaged: dict[str, str] = {}

    def path(self, key: str) -> Path:
        """File of the record ``key`` (it may not exist)."""
        return self.root / f"{key}.json"

    def load(self, key: str) -> dict | None:
        """The stored record of ``key``, or None when absent, unreadable or damaged."""
        path = self.path(key)
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            self.damaged[key] = f"unreadable ({type(exc).__name__})"
            return None
        problem = record_problem(record, key)
        if problem is not None:
            self.damaged[key] = problem
            return None
        return record

    def done(self, key: str) -> dict | None:
        """The stored record of ``key`` if that job succeeded (a failed one is redone)."""
        record = self.load(key)
        return record if record is not None and record.get("status") == "ok" else None

    def canonical(self) -> dict[str, str]:
        """Every stored record as sorted-key JSON without its ``timing``, by key.

        Two runs of a sweep on different executors give equal mappings (see
        docs/sweep.md); this is what the tests compare.
        """
        out = {}
        for f in sorted(self.root.glob("*.json")):
            record = json.loads(f.read_text())
            record.pop("timing", None)
            record.pop(SEAL, None)
            out[f.stem] = json.dumps(record, sort_keys=True)
        return out

    def save(self, record: dict) -> Path:
        """Write ``record`` under its ``key``; returns the file.

        Raises
        ------
        ValueError
            A damaged record (see :func:`record_problem`) or one that is not
            strict JSON; nothing is written then.
        """
        problem = record_problem(record)
        if problem is not None:
            raise ValueError(f"refusing to store a damaged job record: {problem}")
        json.dumps(record, allow_nan=False)  # strict JSON, or ValueError before any file
        record = {**record, SEAL: seal(record)}
        text = json.dumps(record, indent=1, sort_keys=True) + "\n"
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(record["key"])
        fd, tmp = tempfile.mkstemp(prefix=f".{record['key']}-", suffix=".json", dir=self.root)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return final
