"""Controllers by name, built from a scenario's ``controller:`` section.

The section holds only what the file states: a parameter it leaves out takes
the controller class's own Python default, so ``OSC(arm, kp=400)`` and a
scenario with ``controller: {type: osc, kp: 400}`` build the same controller.
Nothing here holds a default value of its own.

A new controller type is one call::

    register_controller("my_osc", MyOSC, osc_kwargs)

========================  =========================================================
``controller.`` key       constructor argument (``osc`` and ``hybrid``)
========================  =========================================================
kp, ko, kv, kvo, ki       the same names
integral_limit            ``integral_limit``
singular_threshold        ``singular_threshold``
ctrlr_dof                 ``ctrlr_dof`` (axis names or 6 booleans)
vmax                      ``vmax``; ``vmax: null`` states "no limit"
use_dJ                    the same name
fk_source, task_velocity  the same names
null_space                ``damping`` -> ``null_damping``;
                          ``null_controllers``:
                          ``posture`` -> RestingPosture(arm.home, kp),
                          ``joint_limits: true`` -> JointLimitAvoidance;
                          ``metric`` -> ``null_metric``. A stated ``null_space``
                          replaces the class's default null-space tasks.
force (hybrid)            kp, ki, kv, filter, integral_limit, direction, frame ->
                          ``kp_force``, ``ki_force``, ``kv_force``,
                          ``force_filter``, ``force_integral_limit``,
                          ``force_direction``, ``force_frame``
========================  =========================================================

``impedance`` takes ``stiffness`` and ``damping`` (a number or 6, x y z rx ry rz),
``damping_ratio`` and ``null_space: {damping}``. ``joint_pd`` takes ``kp`` and ``kv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from armjac.configs import Reader
from armjac.control import (
    OSC,
    CartesianImpedance,
    HybridForceOSC,
    JointLimitAvoidance,
    JointPD,
    RestingPosture,
)
from armjac.errors import ConfigError

AXES = {"x": 0, "y": 1, "z": 2, "rx": 3, "ry": 4, "rz": 5}


@dataclass(frozen=True)
class ControllerType:
    """A registered controller: its class, how its arguments are read, and its input."""

    cls: type
    kwargs: Callable[[Reader, object], dict]  # (controller section, arm) -> stated arguments
    task_space: bool  # built over the Jacobian source (else over the arm's dynamics)
    timed: bool = True  # takes the control period dt


_CONTROLLERS: dict[str, ControllerType] = {}


def register_controller(
    name: str,
    cls: type,
    kwargs: Callable[[Reader, object], dict],
    *,
    task_space: bool = True,
    timed: bool = True,
) -> None:
    """Make ``controller: {type: NAME}`` build ``cls``.

    Parameters
    ----------
    name : str
        The ``type`` written in scenario files.
    cls : type
        Called as ``cls(source, **kwargs(section, arm), dynamics=..., dt=...)`` for a
        task-space controller, or ``cls(arm, **kwargs(section, arm))`` otherwise.
    kwargs : callable(Reader, arm) -> dict
        The constructor arguments the section states, and only those.
    task_space : bool
        Whether the controller takes the Jacobian source (OSC-like) or the arm (joint space).
    timed : bool
        Whether a task-space controller takes ``dt`` (a law with no memory does not).
    """
    _CONTROLLERS[name] = ControllerType(cls, kwargs, task_space, timed)


def controller_types() -> tuple[str, ...]:
    """Names of the registered controller types."""
    return tuple(_CONTROLLERS)


def controller_type(name: str) -> ControllerType:
    """The registered controller ``name``; ConfigError listing the known ones otherwise."""
    try:
        return _CONTROLLERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown controller type {name!r}; known: {', '.join(_CONTROLLERS)}"
        ) from None


def stated(**values) -> dict:
    """The arguments whose value is not None (a key the file left out)."""
    return {k: v for k, v in values.items() if v is not None}


def parse_ctrlr_dof(reader: Reader, key: str = "ctrlr_dof") -> list[bool] | None:
    """``[x, y, z, rx, ry, rz]`` names or 6 booleans (or 0/1) into 6 booleans."""
    v = reader.data.get(key)
    if v is None:
        return None
    if isinstance(v, list) and len(v) == 6 and all(x in (0, 1) for x in v):
        return [bool(x) for x in v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        bad = [x for x in v if x not in AXES]
        if not bad:
            return [name in v for name in AXES]
        raise reader.fail(key, f"unknown axis {bad[0]!r}; use {', '.join(AXES)}")
    raise reader.fail(key, f"must be axis names {list(AXES)} or 6 booleans; got {v!r}")


def null_tasks(null: Reader, arm) -> list:
    """Null-space tasks from ``null_space: {posture, joint_limits}``."""
    tasks: list = []
    if null.number("posture"):
        tasks.append(RestingPosture(arm.home, kp=null.number("posture")))
    if null.flag("joint_limits", False):
        tasks.append(JointLimitAvoidance(arm.joint_limits))
    return tasks


def osc_kwargs(c: Reader, arm) -> dict:
    """OSC arguments stated in a ``controller:`` section."""
    null = c.mapping("null_space")
    out = stated(
        kp=c.number("kp"),
        ko=c.number("ko"),
        kv=c.number("kv"),
        kvo=c.number("kvo"),
        ki=c.number("ki"),
        integral_limit=c.number("integral_limit"),
        singular_threshold=c.number("singular_threshold"),
        ctrlr_dof=parse_ctrlr_dof(c),
        use_dJ=c.data.get("use_dJ"),
        fk_source=c.string("fk_source"),
        task_velocity=c.string("task_velocity"),
        null_metric=null.string("metric"),
        null_damping=null.number("damping"),
    )
    if "vmax" in c.data:  # stated, even as null (no speed limit)
        out["vmax"] = c.data["vmax"]
    if c.data.get("null_space") is not None:
        out["null_controllers"] = null_tasks(null, arm)
    return out


def hybrid_kwargs(c: Reader, arm) -> dict:
    """HybridForceOSC arguments: the OSC ones and the stated ``force:`` gains."""
    f = c.mapping("force")
    return osc_kwargs(c, arm) | stated(
        kp_force=f.number("kp"),
        ki_force=f.number("ki"),
        kv_force=f.number("kv"),
        force_filter=f.number("filter"),
        force_integral_limit=f.number("integral_limit"),
        force_direction=f.vector("direction", 3),
        force_frame=f.string("frame", None, ("world", "tool")),
    )


def impedance_kwargs(c: Reader, arm) -> dict:
    """CartesianImpedance arguments: ``stiffness``, ``damping`` (a number or 6),
    ``damping_ratio`` and ``null_space: {damping}``."""
    out = stated(damping_ratio=c.number("damping_ratio"),
                 null_damping=c.mapping("null_space").number("damping"))  # fmt: skip
    for key in ("stiffness", "damping"):
        value = c.data.get(key)
        if value is not None:
            out[key] = c.vector(key, 6) if isinstance(value, list) else c.number(key, minimum=0.0)
    return out


def joint_pd_kwargs(c: Reader, arm) -> dict:
    """JointPD arguments stated in a ``controller:`` section."""
    return stated(kp=c.number("kp"), kv=c.number("kv"))


register_controller("osc", OSC, osc_kwargs)
register_controller("hybrid", HybridForceOSC, hybrid_kwargs)
register_controller("impedance", CartesianImpedance, impedance_kwargs, timed=False)
register_controller("joint_pd", JointPD, joint_pd_kwargs, task_space=False)


class ControllerSettings(Protocol):
    """What :func:`build_controller` reads from a scenario (a
    :class:`~armjac.scenarios.config.ScenarioConfig`, which imports this module)."""

    controller: dict  # the ``controller:`` section
    source_path: str  # names the file in error messages
    dt: float  # control period, s


def build_controller(
    cfg: ControllerSettings, source, dynamics, arm, kind: str | None = None, fk_source=None
):
    """The scenario's controller over ``source`` (Jacobian) and ``dynamics``.

    ``kind`` overrides ``controller.type`` (a press scenario builds an ``osc``
    for the approach and a ``hybrid`` for the contact phase from one section);
    ``fk_source`` overrides ``controller.fk_source``.
    """
    section = Reader(cfg.controller, cfg.source_path, "controller.")
    entry = controller_type(kind or cfg.controller.get("type", "osc"))
    kwargs = entry.kwargs(section, arm)
    if not entry.task_space:
        return entry.cls(arm, **kwargs)
    if fk_source is not None:
        kwargs["fk_source"] = fk_source
    if entry.timed:
        kwargs["dt"] = cfg.dt
    return entry.cls(source, **kwargs, dynamics=dynamics)
