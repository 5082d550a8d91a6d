"""Closed-loop scenarios on the simulated arm: reach, track, press, payload, push.

>>> from sims import run_scenario
>>> metrics = run_scenario("reach", source="analytic", out_dir="out/reach")  # doctest: +SKIP
"""

from sims.config import ScenarioConfig, bundled_scenarios, load_scenario
from sims.runner import run_scenario

__all__ = ["run_scenario", "load_scenario", "bundled_scenarios", "ScenarioConfig"]
