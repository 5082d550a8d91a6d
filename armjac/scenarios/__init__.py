"""Closed-loop scenarios on the simulated arm: reach, track, press, payload, push, wipe,
contact_estimation; and
on a real arm that is not its URDF, with a tracker feeding an adapting model: tool_change,
tracker_dropout (:mod:`armjac.scenarios.adaptive`).

Needs the ``sim`` extra (PyBullet, matplotlib, pillow) or the ``mujoco`` extra (MuJoCo,
matplotlib, pillow); scenario files and ``run_scenario(engine=)`` pick the engine.

>>> from armjac.scenarios import run_scenario
>>> metrics = run_scenario("reach", source="analytic", out_dir="out/reach")  # doctest: +SKIP

A new scenario type subclasses :class:`Scenario` and is registered with
:func:`register_scenario`.
"""

from armjac.extras import require_any

require_any(("sim", "mujoco"), "armjac.scenarios")  # before anything imports an engine

from armjac.mismatch import scenario as _mismatch  # noqa: F401, I001  (calibrated_reach)
from armjac.mismatch import force_scenarios as _force  # noqa: F401, I001  (real_press, ...)
from armjac.adapt import spec as _adapt  # noqa: F401, I001  (the adapt: source kind)
from armjac.scenarios import adaptive as _adaptive  # noqa: F401  (tool_change, tracker_dropout)
from armjac.scenarios import estimation as _estimation  # noqa: F401  (contact_estimation)
from armjac.scenarios import types as _types  # noqa: F401  (registers the bundled types)
from armjac.scenarios import wipe as _wipe  # noqa: F401
from armjac.scenarios.config import (
    ScenarioConfig,
    bundled_scenarios,
    load_scenario,
    scenario_data,
)
from armjac.scenarios.registry import register_scenario, scenario_type, scenario_types
from armjac.scenarios.runner import run_scenario
from armjac.scenarios.types import Scenario

__all__ = [
    "run_scenario",
    "load_scenario",
    "bundled_scenarios",
    "scenario_data",
    "ScenarioConfig",
    "Scenario",
    "register_scenario",
    "scenario_type",
    "scenario_types",
]
