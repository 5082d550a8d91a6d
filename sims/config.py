"""Scenario configuration: YAML files in ``configs/scenarios`` and their validation.

A scenario file::

    scenario: reach            # reach | track | press | payload | push
    arm: kuka_iiwa             # bundled name or path
    jacobian: analytic         # analytic | pybullet | path to a learned model
    duration: 6.0              # s (reach: number of targets x segment_time by default)
    dt: 0.001                  # physics and control period, s
    seed: 0
    controller: {kp: 300, ko: 300, ctrlr_dof: [x, y, z], vmax: [1.0, 3.0], ...}
    task: {...}                # scenario-specific, see sims.scenarios
    evaluate: {settle_tolerance: 0.02, rmse_from: 0.0}
    expect: {final_position_error_m: 0.001, ...}   # pass/fail bounds (maxima)

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

SCENARIO_DIR = configs.folder("scenarios")
SCENARIO_TYPES = ("reach", "track", "press", "payload", "push")
TOP_KEYS = {
    "name", "description", "scenario", "arm", "jacobian", "duration", "dt", "seed",
    "controller", "task", "evaluate", "expect", "start_q",
}  # fmt: skip
CONTROLLER_KEYS = {
    "type", "kp", "ko", "kv", "kvo", "ki", "integral_limit", "ctrlr_dof", "vmax", "use_dJ",
    "singular_threshold", "null_space", "force", "fk_source", "task_velocity",
}  # fmt: skip
NULL_KEYS = {"damping", "posture", "joint_limits", "metric"}
FORCE_KEYS = {"kp", "ki", "kv", "filter", "integral_limit"}
EVALUATE_KEYS = {"settle_tolerance", "rmse_from", "recover_tolerance"}
AXES = {"x": 0, "y": 1, "z": 2, "rx": 3, "ry": 4, "rz": 5}


@dataclass
class ScenarioConfig:
    """A validated scenario file."""

    name: str
    scenario: str
    arm: str
    source_path: str
    jacobian: str = "analytic"
    duration: float | None = None
    dt: float = 1e-3
    seed: int = 0
    controller: dict = field(default_factory=dict)
    task: dict = field(default_factory=dict)
    evaluate: dict = field(default_factory=dict)
    expect: dict = field(default_factory=dict)
    start_q: list[float] | None = None
    description: str = ""

    def where(self, key: str) -> str:
        """``"<file>: <key>"``, the prefix of error messages about ``key``."""
        return f"{self.source_path}: {key}"


def parse_ctrlr_dof(reader: Reader, key: str = "ctrlr_dof") -> list[bool] | None:
    """``[x, y, z, rx, ry, rz]`` names or 6 booleans (or 0/1) into 6 booleans."""
    v = reader.data.get(key)
    if v is None:
        return None
    if isinstance(v, list) and len(v) == 6 and all(isinstance(x, bool | int) for x in v):
        return [bool(x) for x in v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        bad = [x for x in v if x not in AXES]
        if not bad:
            return [name in v for name in AXES]
        raise reader.fail(key, f"unknown axis {bad[0]!r}; use {', '.join(AXES)}")
    raise reader.fail(key, f"must be axis names {list(AXES)} or 6 booleans; got {v!r}")


def validate(data, path: str) -> ScenarioConfig:
    """Check a parsed scenario mapping; ``path`` names it in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a scenario must be a mapping; got {type(data).__name__}")
    top = Reader(data, path)
    top.check_keys(TOP_KEYS)
    scenario = top.string("scenario", ..., SCENARIO_TYPES)
    ctrl = top.mapping("controller")
    ctrl.check_keys(CONTROLLER_KEYS)
    kind = ctrl.string("type", "osc", ("osc", "hybrid", "joint_pd"))
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
    for key in FORCE_KEYS:
        force.number(key, minimum=0.0)
    ev = top.mapping("evaluate")
    ev.check_keys(EVALUATE_KEYS)
    for key in EVALUATE_KEYS:
        ev.number(key, minimum=0.0)
    expect = top.mapping("expect")
    for key in expect.data:
        expect.number(key)
    seed = top.seed("seed", 0)
    dt = top.number("dt", 1e-3, minimum=configs.MIN_DT, maximum=configs.MAX_DT)
    duration = top.number("duration", positive=True, maximum=configs.MAX_DURATION)
    if duration is not None and duration / dt > configs.MAX_STEPS:
        raise top.fail("dt", f"{duration} s at dt {dt} s is more than {configs.MAX_STEPS} steps")
    task = top.mapping("task")
    from sims.scenarios import SCENARIOS  # the task schema lives with each scenario

    SCENARIOS[scenario].validate(task)
    return ScenarioConfig(
        name=top.string("name", Path(path).stem),
        scenario=scenario,
        arm=top.string("arm", ...),
        source_path=path,
        jacobian=top.string("jacobian", "analytic"),
        duration=duration,
        dt=dt,
        seed=seed,
        controller=dict(ctrl.data),
        task=dict(task.data),
        evaluate=dict(ev.data),
        expect={k: float(v) for k, v in expect.data.items()},
        start_q=top.vector("start_q"),
        description=top.string("description", ""),
    )


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``configs/scenarios``."""
    return configs.bundled("scenarios")


def resolve_scenario_path(spec: str | os.PathLike) -> Path:
    """A bundled scenario name (``reach``) or a path to a YAML file."""
    return configs.resolve(spec, "scenarios", "scenario")


def load_scenario(spec: str | os.PathLike | dict | ScenarioConfig) -> ScenarioConfig:
    """Load and validate a scenario from a bundled name, a path, or a mapping."""
    if isinstance(spec, ScenarioConfig):
        return spec
    if isinstance(spec, dict):
        return validate(spec, "<scenario mapping>")
    path = resolve_scenario_path(spec)
    return validate(configs.read_mapping(path, "scenario"), str(path))
