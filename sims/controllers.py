"""Build a controller from a scenario's ``controller:`` section."""

from __future__ import annotations

from armjac.control import (
    OSC,
    HybridForceOSC,
    JointLimitAvoidance,
    JointPD,
    RestingPosture,
)
from sims.config import Reader, ScenarioConfig, parse_ctrlr_dof


def null_tasks(section: dict, arm, path: str) -> list:
    """Null-space tasks from ``null_space: {posture, joint_limits}``.

    The section's ``metric`` (``joint`` or ``inertia``) is the OSC's
    ``null_metric``, and its ``damping`` the OSC's ``null_damping``.
    """
    r = Reader(section or {}, path, "controller.null_space.")
    tasks: list = []
    if r.number("posture"):
        tasks.append(RestingPosture(arm.home, kp=r.number("posture")))
    if r.flag("joint_limits", False):
        tasks.append(JointLimitAvoidance(arm.joint_limits))
    return tasks


def build_controller(
    cfg: ScenarioConfig, source, dynamics, arm, kind: str | None = None, fk_source=None
):
    """The scenario's controller over ``source`` (Jacobian) and ``dynamics``.

    ``kind`` overrides ``controller.type`` (a press scenario builds an ``osc``
    for the approach and a ``hybrid`` for the contact phase from one section).
    """
    c = cfg.controller
    r = Reader(c, cfg.source_path, "controller.")
    kind = kind or c.get("type", "osc")
    if kind == "joint_pd":
        return JointPD(arm, kp=r.number("kp", 100.0), kv=r.number("kv"))
    kwargs = dict(
        kp=r.number("kp", 200.0),
        ko=r.number("ko"),
        kv=r.number("kv"),
        kvo=r.number("kvo"),
        ki=r.number("ki", 0.0),
        ctrlr_dof=parse_ctrlr_dof(r),
        null_controllers=null_tasks(c.get("null_space"), arm, cfg.source_path),
        null_metric=(c.get("null_space") or {}).get("metric", "joint"),
        vmax=c.get("vmax"),
        use_dJ=r.flag("use_dJ", True),
        dynamics=dynamics,
        fk_source=fk_source or c.get("fk_source", "trusted"),
        task_velocity=c.get("task_velocity", "auto"),
        singular_threshold=r.number("singular_threshold", 1e-3),
        integral_limit=r.number("integral_limit", 0.05),
        dt=cfg.dt,
    )
    damping = Reader(c.get("null_space") or {}, cfg.source_path).number("damping")
    if damping is not None:
        kwargs["null_damping"] = damping
    if kind == "osc":
        return OSC(source, **kwargs)
    f = Reader(c.get("force") or {}, cfg.source_path, "controller.force.")
    return HybridForceOSC(
        source,
        kp_force=f.number("kp", 0.5),
        ki_force=f.number("ki", 5.0),
        kv_force=f.number("kv", 30.0),
        force_filter=f.number("filter", 0.005),
        force_integral_limit=f.number("integral_limit", 2.0),
        **kwargs,
    )
