"""Learned against analytic (and PyBullet) Jacobians: accuracy, control, cost, a report.

Public API
----------
run_compare(config, out_dir)   run a comparison, write report.md/.html and metrics.json
load_compare(spec)             load and validate a comparison file (``configs/compare``)
bundled_comparisons()          names of the bundled comparison files

Modules: :mod:`~armjac.compare.config` (the file format), ``accuracy`` (Jacobian
and FK errors on a held-out sample), ``control`` (scenarios with every source),
``timing`` (per-call cost), ``plots``, ``report``, ``cache`` (reuse of trained
models and runs), ``mismatch`` (models of a real arm that is not its URDF, with
its ``force`` part) and ``registry`` (adapters the mismatch section calls). See
docs/compare.md.
"""

from armjac.extras import require

require("sim", "armjac.compare")  # before anything imports pybullet or matplotlib

from armjac.compare.config import CompareConfig, bundled_comparisons, load_compare
from armjac.compare.run import run_compare

__all__ = ["CompareConfig", "bundled_comparisons", "load_compare", "run_compare"]
