"""Job results on disk, one JSON file per job key, so an interrupted sweep resumes.

Files are written to a temporary name and renamed, so a killed sweep leaves
either a whole record or none.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


class ResultStore:
    """``<root>/<key>.json`` for every job that finished (ok or failed)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """File of the record ``key`` (it may not exist)."""
        return self.root / f"{key}.json"

    def load(self, key: str) -> dict | None:
        """The stored record of ``key``, or None when absent or unreadable."""
        try:
            record = json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and record.get("key") == key else None

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
            out[f.stem] = json.dumps(record, sort_keys=True)
        return out

    def save(self, record: dict) -> Path:
        """Write ``record`` under its ``key``; returns the file."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(record["key"])
        fd, tmp = tempfile.mkstemp(prefix=f".{record['key']}-", suffix=".json", dir=self.root)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True, allow_nan=False)
            f.write("\n")
        os.replace(tmp, final)
        return final
