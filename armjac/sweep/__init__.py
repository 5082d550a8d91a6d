"""Sweeps: a base config, axes to vary, one independent job per grid point.

``armjac.sweep.run(config)`` (and ``armjac sweep CONFIG``) runs the jobs on a
local process pool, serially, or as Ray tasks, caches each job's result
under its key so a re-run redoes only what is missing or failed, and writes
a summary (tables per axis, box plots across draws). Job kinds live in
:data:`armjac.sweep.jobs.JOBS`.
"""

from armjac.sweep.config import Job, SweepConfig, bundled_sweeps, load_sweep
from armjac.sweep.jobs import JOBS, JobKind, register_job
from armjac.sweep.run import run

__all__ = [
    "JOBS", "Job", "JobKind", "SweepConfig", "bundled_sweeps", "load_sweep", "register_job", "run",
]  # fmt: skip
