"""Scenario configuration: YAML files in ``configs/scenarios`` and their validation.

A scenario file::

    scenario: reach            # reach | track | press | payload | push
    arm: kuka_iiwa             # bundled name or path
    jacobian: analytic         # analytic | pybullet | mujoco | path to a learned model
    engine: pybullet           # the simulator: pybullet | mujoco
    duration: 6.0              # s (reach: number of targets x segment_time by default)
    dt: 0.001                  # physics and control period, s
    seed: 0
    controller: {kp: 300, ko: 300, ctrlr_dof: [x, y, z], vmax: [1.0, 3.0], ...}
    task: {...}                # scenario-specific, see armjac.scenarios.types
    evaluate: {settle_tolerance: 0.02, rmse_from: 0.0}
    expect: {final_position_error_m: 0.001, ...}   # pass/fail bounds (maxima)
    expect_engine:             # bounds that differ on one engine (say why in a comment)
      mujoco: {force_rmse_N: 1.5}

Every problem is a :class:`~armjac.errors.ConfigError` naming the file and key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from armjac import configs
from armjac.configs import Reader
from armjac.control.osc import NULL_METRICS, TASK_VELOCITIES
from armjac.errors import ConfigError
from armjac.scenarios.controllers import controller_types, parse_ctrlr_dof
from armjac.scenarios.registry import scenario_type, scenario_types
from armjac.sim.engines import DEFAULT_ENGINE, engine_names

TOP_KEYS = {
    "name", "description", "scenario", "arm", "jacobian", "duration", "dt", "seed",
    "controller", "task", "evaluate", "expect", "start_q", "engine", "expect_engine",
}  # fmt: skip
CONTROLLER_KEYS = {
    "type", "kp", "ko", "kv", "kvo", "ki", "integral_limit", "ctrlr_dof", "vmax", "use_dJ",
    "singular_threshold", "null_space", "force", "fk_source", "task_velocity",
    "stiffness", "damping", "damping_ratio",  # impedance
}  # fmt: skip
NULL_KEYS = {"damping", "posture", "joint_limits", "metric"}
FORCE_GAINS = {"kp", "ki", "kv", "filter", "integral_limit"}
FORCE_KEYS = FORCE_GAINS | {"direction", "frame"}
EVALUATE_KEYS = {"settle_tolerance", "rmse_from", "recover_tolerance"}


@dataclass
class ScenarioConfig:
    """A validated scenario file."""

    name: str
    scenario: str
    arm: str
    source_path: str
    jacobian: str = "analytic"
    engine: str = DEFAULT_ENGINE
    duration: float | None = None
    dt: float = 1e-3
    seed: int = 0
    controller: dict = field(default_factory=dict)
    task: dict = field(default_factory=dict)
    evaluate: dict = field(default_factory=dict)
    expect: dict = field(default_factory=dict)
    expect_engine: dict = field(default_factory=dict)
    start_q: list[float] | None = None
    description: str = ""

    def where(self, key: str) -> str:
        """``"<file>: <key>"``, the prefix of error messages about ``key``."""
        return f"{self.source_path}: {key}"

    def bounds(self, engine: str) -> dict:
        """The ``expect`` bounds on ``engine``: ``expect`` with ``expect_engine[engine]``
        in place of the bounds it restates."""
        return self.expect | self.expect_engine.get(engine, {})


def validate(data, path: str) -> ScenarioConfig:
    """Check a parsed scenario mapping; ``path`` names it in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a scenario must be a mapping; got {type(data).__name__}")
    top = Reader(data, path)
    top.check_keys(TOP_KEYS)
    scenario = top.string("scenario", ..., scenario_types())
    ctrl = top.mapping("controller")
    ctrl.check_keys(CONTROLLER_KEYS)
    kind = ctrl.string("type", "osc", controller_types())
    for key in ("kp", "ko", "ki"):
        ctrl.number(key, minimum=0.0)
    # The task-space controllers need damping (OSC refuses 0); a joint PD may go without.
    ctrl.number("kv", minimum=0.0, positive=kind != "joint_pd")
    ctrl.number("kvo", positive=True)
    ctrl.number("integral_limit", positive=True)
    ctrl.number("singular_threshold", positive=True)
    ctrl.string("fk_source", None, ("trusted", "source"))
    ctrl.string("task_velocity", None, TASK_VELOCITIES)
    ctrl.flag("use_dJ", True)
    parse_ctrlr_dof(ctrl)
    vmax = ctrl.data.get("vmax")
    if vmax is not None and not isinstance(vmax, list):
        ctrl.number("vmax", positive=True)
    elif vmax is not None:
        ctrl.vector("vmax", 2)
    null = ctrl.mapping("null_space")
    null.check_keys(NULL_KEYS)
    null.number("damping", minimum=0.0)
    null.number("posture", minimum=0.0)
    null.flag("joint_limits", False)
    null.string("metric", None, NULL_METRICS)
    force = ctrl.mapping("force")
    force.check_keys(FORCE_KEYS)
    for key in FORCE_GAINS:
        force.number(key, minimum=0.0)
    force.vector("direction", 3)
    force.string("frame", None, ("world", "tool"))
    ev = top.mapping("evaluate")
    ev.check_keys(EVALUATE_KEYS)
    for key in EVALUATE_KEYS:
        ev.number(key, minimum=0.0)
    expect = top.mapping("expect")
    for key in expect.data:
        expect.number(key)
    by_engine = top.mapping("expect_engine")
    by_engine.check_keys(set(engine_names()))
    per_engine = {}
    for name in by_engine.data:
        bounds = by_engine.mapping(name)
        per_engine[name] = {key: float(bounds.number(key, ...)) for key in bounds.data}
    seed = top.seed("seed", 0)
    dt = top.number("dt", 1e-3, minimum=configs.MIN_DT, maximum=configs.MAX_DT)
    duration = top.number("duration", positive=True, maximum=configs.MAX_DURATION)
    if duration is not None and duration / dt > configs.MAX_STEPS:
        raise top.fail("dt", f"{duration} s at dt {dt} s is more than {configs.MAX_STEPS} steps")
    task = top.mapping("task")
    scenario_type(scenario).validate(task)  # the task schema lives with each scenario
    return ScenarioConfig(
        name=top.string("name", Path(path).stem),
        scenario=scenario,
        arm=top.string("arm", ...),
        source_path=path,
        jacobian=top.string("jacobian", "analytic"),
        engine=top.string("engine", DEFAULT_ENGINE, engine_names()),
        duration=duration,
        dt=dt,
        seed=seed,
        controller=dict(ctrl.data),
        task=dict(task.data),
        evaluate=dict(ev.data),
        expect={k: float(v) for k, v in expect.data.items()},
        expect_engine=per_engine,
        start_q=top.vector("start_q"),
        description=top.string("description", ""),
    )


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``configs/scenarios``."""
    return configs.bundled("scenarios")


def resolve_scenario_path(spec: str | os.PathLike) -> Path:
    """A bundled scenario name (``reach``) or a path to a YAML file."""
    return configs.resolve(spec, "scenarios", "scenario")


def scenario_data(spec: str | os.PathLike) -> dict:
    """The mapping in a bundled scenario (``"reach"``) or a YAML file, unvalidated.

    Edit it and pass it to :func:`~armjac.scenarios.run_scenario` to vary an experiment.
    """
    return configs.read_mapping(resolve_scenario_path(spec), "scenario")


def load_scenario(spec: str | os.PathLike | dict | ScenarioConfig) -> ScenarioConfig:
    """Load and validate a scenario from a bundled name, a path, or a mapping."""
    if isinstance(spec, ScenarioConfig):
        return spec
    if isinstance(spec, dict):
        return validate(spec, "<scenario mapping>")
    path = resolve_scenario_path(spec)
    return validate(scenario_data(path), str(path))
