"""A job kind that does nothing, for measuring what an executor costs per job."""

from __future__ import annotations

from armjac.sweep.jobs import JobKind, register_job

register_job(
    JobKind(
        "noop",
        load_base=lambda spec, base_dir, where: dict(spec),
        validate=lambda cfg, where: None,
        run=lambda cfg: {"i": cfg.get("i", 0)},
        code=("armjac/sweep",),
        description="returns at once",
    )
)
