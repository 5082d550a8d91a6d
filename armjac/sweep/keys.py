"""Keys of sweep jobs: what a cached result is filed under, and the seed of its process."""

from __future__ import annotations

from armjac import __version__
from armjac.compare.cache import digest
from armjac.fingerprint import source_fingerprint


def job_key(kind, config: dict) -> str:
    """Hash of the job kind, its resolved config, the armjac version and the kind's code.

    A change of any of them makes a new key, so a stale result is never reused.
    """
    return digest(
        {
            "kind": kind.name,
            "config": config,
            "armjac": __version__,
            "code": source_fingerprint(*kind.code),
        }
    )


def job_seed(config: dict) -> int:
    """A 32-bit seed from the resolved config alone (the same for every executor and version)."""
    return int(digest(config)[:8], 16)
