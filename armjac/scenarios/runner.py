"""Run one scenario: build the world and controller, step, log, score, plot.

:func:`run_scenario` is the programmatic entry point. A diverging simulation
(:class:`~armjac.errors.SimulationError`) does not raise: it comes back as
``{"status": "failed", "reason": ...}`` so a sweep over sources can carry on.

The run's log (plots, metrics) has one row per control step ``k``, and every
field of row ``k`` is sampled at the same instant ``t[k] = k dt``, when the
controller is called: the joint state ``q``, the end-effector pose
``ee_pos``/``ee_quat``, the measured contact ``force``, the reference
``target_pos``, and the torque ``u`` computed from them (applied over the next
``dt``). Row 0 is the start posture.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from armjac import configs
from armjac.arm import load_arm
from armjac.control.blas import single_threaded_blas
from armjac.control.orientation import orientation_error
from armjac.errors import ConfigError, InputError, SimulationError
from armjac.model.registry import resolve
from armjac.outputs import WRITTEN_BY, begin_run, check_out_dir, write_json
from armjac.protocols import has_dynamics
from armjac.scenarios.config import ScenarioConfig, load_scenario
from armjac.scenarios.controllers import build_controller
from armjac.scenarios.metrics import (
    check_expectations,
    force_metrics,
    orientation_metrics,
    position_metrics,
)
from armjac.scenarios.plots import save_gif, save_plots
from armjac.scenarios.registry import scenario_type
from armjac.sim.arm_sim import ArmSim
from armjac.sim.engines import check_engine, engine_class
from armjac.sources import resolve_source

GIF_FPS = 20.0
RUN_FILES = ("metrics.json", "path.png", "error.png", "torques.png", "force.png", "run.gif")


def check_duration(duration: float | None, what: str = "duration") -> float | None:
    """``duration`` as a float if it is a finite positive number of seconds (or None)."""
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, numbers.Real):
        raise InputError(f"{what} must be a number of seconds; got {duration!r}")
    value = float(duration)
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{what} must be a finite positive number of seconds; got {duration!r}")
    return value


def step_count(total: float, dt: float, where: str) -> int:
    """Control steps in ``total`` s at ``dt``, refusing more than ``configs.MAX_STEPS``
    (the log holds ~200 bytes per step). Covers durations a scenario computes
    (reach: targets x segment_time) and ``duration=`` overrides."""
    n = max(1, int(round(total / dt)))
    limit = configs.MAX_STEPS
    if n > limit:
        raise ConfigError(
            f"{where}: {total:g} s at dt = {dt:g} s is {n:,} steps; the limit is {limit:,} "
            f"({limit * dt:g} s at this dt)"
        )
    return n


def run_scenario(
    config: str | os.PathLike | dict | ScenarioConfig,
    source=None,
    out_dir: str | os.PathLike | None = None,
    *,
    arm=None,
    duration: float | None = None,
    gui: bool = False,
    plots: bool = True,
    gif: bool = False,
    fk_source: str | object | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    engine: str | None = None,
) -> dict:
    """Run a scenario and return its metrics.

    Parameters
    ----------
    config : name, path, mapping or ScenarioConfig
        A bundled scenario (``"reach"``), a YAML path, or an already parsed mapping.
    source : {"analytic", "pybullet", "mujoco"}, path or object, optional
        The Jacobian source; default the scenario's ``jacobian``. A path loads a
        learned model (``armjac.learned.load``); an object following
        :mod:`armjac.protocols` is used as is (dynamics from the analytic arm
        when it has none).
    out_dir : path, optional
        Where ``metrics.json``, the PNG plots (and ``run.gif``) go.
    arm : Arm, optional
        An already loaded arm to use; it must be the scenario's arm (same name
        or same URDF file).
    duration : float, optional
        Override the scenario's duration, s (short runs in tests).
    gui : bool
        Show the engine's viewer and run in real time.
    plots, gif : bool
        Write the PNG plots / an animated GIF from the simulated camera.
    fk_source : {"trusted", "source"} or object, optional
        Where the controller measures the end-effector pose (see
        :class:`~armjac.control.model.ControlModel`).
    progress : callable(done_steps, total_steps), optional
        Called about a hundred times during the run.
    force : bool
        Overwrite run files in ``out_dir`` that armjac did not write.
    engine : {"pybullet", "mujoco"}, optional
        The simulator; default the scenario's ``engine`` (PyBullet unless it says).
        The pass/fail bounds are the scenario's for that engine (``expect_engine``).

    Returns
    -------
    dict
        ``status`` ("ok" or "failed"), ``reason`` when failed, ``passed`` and
        ``failures`` against the scenario's ``expect`` bounds, and the metrics.

    Raises
    ------
    ConfigError
        A malformed scenario, an unknown arm or source, an ``arm`` that is not
        the scenario's, a run longer than ``configs.MAX_STEPS`` steps, or an
        ``out_dir`` that cannot be written (checked before the run) or holds
        files armjac did not write.
    InputError
        A ``duration`` that is not a finite positive number.

    Notes
    -----
    ``metrics.json`` is written first with ``status: running`` (the previous
    run's files removed), and replaced by the result at the end; a run
    stopped early leaves ``running``, ``interrupted`` or ``error`` there.
    """
    cfg = load_scenario(config)
    engine = cfg.engine if engine is None else check_engine(engine, "run_scenario(engine=)")
    engine_class(engine)  # a missing extra is named before the run begins
    duration = check_duration(duration)
    out = None if out_dir is None else check_out_dir(out_dir)
    if arm is None:
        arm = load_arm(cfg.arm)
    else:
        _check_arm(cfg, arm)
    resolved = resolve_source(cfg.jacobian if source is None else source, arm)
    result = {"scenario": cfg.name, "type": cfg.scenario, "arm": arm.name}
    result["jacobian"] = resolved.label
    result["engine"] = engine
    with resolved:
        if out is not None:
            begin_run(out, RUN_FILES, result, force=force)
        try:
            result.update(_run(cfg, arm, resolved.source, resolved.dynamics, duration, gui, gif,
                               fk_source, progress, out, plots, engine))  # fmt: skip
            result["status"] = "ok"
        except SimulationError as exc:
            result.update(status="failed", reason=str(exc), passed=False)
        except BaseException as exc:
            if out is not None:  # say why there is no result, rather than "running"
                status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
                reason = f"{type(exc).__name__}: {exc}"
                write_json(out / "metrics.json", result | {"status": status, "reason": reason,
                                                           "written_by": WRITTEN_BY})  # fmt: skip
            raise
    if out is not None:
        write_json(out / "metrics.json", result | {"written_by": WRITTEN_BY})
    return result


def _check_arm(cfg: ScenarioConfig, arm) -> None:
    """Refuse an ``arm`` that is not the one the scenario names."""
    spec = resolve(cfg.arm)
    if arm.name == spec.name:
        return
    try:
        if Path(arm.urdf_path).samefile(spec.urdf):
            return
    except OSError:
        pass
    raise ConfigError(
        f"{cfg.where('arm')}: the scenario is for {cfg.arm!r} ({spec.urdf}); the arm given is "
        f"{arm.name!r} ({arm.urdf_path})"
    )


def _run(cfg, arm, src, dynamics, duration, gui, gif, fk_source, progress, out_dir, plots,
         engine):  # fmt: skip
    q0 = arm.home if cfg.start_q is None else np.asarray(cfg.start_q)
    if q0.shape != (arm.dof,):
        raise InputError(f"{cfg.where('start_q')}: needs {arm.dof} values; got {q0.shape}")
    scenario = scenario_type(cfg.scenario)(cfg, arm, q0, np.random.default_rng(cfg.seed))
    scenario.check_controller(cfg.controller.get("type", "osc"))
    src = scenario.source(src)  # e.g. wrapped by an online adaptation
    if dynamics is None and not has_dynamics(src):
        dynamics = arm
    dynamics = scenario.dynamics(dynamics)  # e.g. the arm carrying its tool
    scenario.build(
        lambda kind=None, fk=fk_source: build_controller(cfg, src, dynamics, arm, kind, fk)
    )
    dt = cfg.dt
    total = duration if duration is not None else scenario.duration
    n = step_count(total, dt, "duration" if duration is not None else cfg.where("duration"))
    t = np.arange(n) * dt
    scenario.prepare(t)
    orient = any(getattr(c, "mask", np.zeros(6, bool))[3:].any()
                 for c in scenario.controllers.values())  # fmt: skip

    log = {
        "t": t,  # row k: everything as the controller saw it at t[k] (module docstring)
        "ee_pos": np.empty((n, 3)),
        "ee_quat": np.empty((n, 4)),
        "u": np.empty((n, arm.dof)),
        "q": np.empty((n, arm.dof)),
        "target_pos": scenario.target_pos,
    }
    if scenario.force_scenario:
        log["force"] = np.zeros(n)
    frames: list[np.ndarray] = []
    step_times = np.empty(n)

    # a scenario may place its own start, and simulate another arm (a real arm)
    sim = ArmSim(scenario.sim_arm, dt=dt, gui=gui, q0=scenario.q0, engine=engine)
    with single_threaded_blas():
        wall = _loop(sim, scenario, log, n, dt, gif, gui, progress, frames, step_times)

    if scenario.force_scenario:
        log["contact"] = log["force"] > 1e-6
    metrics = position_metrics(log, scenario, cfg.evaluate)
    if orient:
        log["orientation_error"] = np.array([
            np.linalg.norm(orientation_error(scenario.quat, qe)) for qe in log["ee_quat"]
        ])  # fmt: skip
        metrics.update(orientation_metrics(log, cfg.evaluate.get("rmse_from", 0.0)))
    if scenario.force_scenario:
        metrics.update(force_metrics(log, scenario))
    metrics.update(scenario.extra_metrics(log))
    metrics.update(
        max_torque_Nm=float(np.abs(log["u"]).max()),
        sim_time_s=n * dt,
        wall_time_s=wall,
        realtime_factor=n * dt / wall if wall > 0 else math.inf,
        control_step_median_us=float(np.median(step_times) * 1e6),
    )
    failures = check_expectations(metrics, cfg.bounds(engine))
    metrics.update(passed=not failures, failures=failures)
    if out_dir is not None:
        out = Path(out_dir)
        if plots:
            force = scenario.force if scenario.force_scenario else None
            save_plots(log | scenario.extra_log(), out, f"{cfg.name} ({arm.name})", force)
        if gif and frames:
            save_gif(frames, out / "run.gif", GIF_FPS)
    return metrics


def _loop(sim, scenario, log, n, dt, gif, gui, progress, frames, step_times) -> float:
    """Step the scenario ``n`` times; returns the wall time spent outside rendering."""
    events = sorted(scenario.events, key=lambda e: e[0])
    ev = 0
    every = max(1, n // 100)
    frame_every = max(1, int(round(1.0 / (GIF_FPS * dt))))
    render_time = 0.0
    try:
        scenario.setup(sim)
        # Bound once: the loop below runs at every control step.
        get_feedback, send_forces = sim.get_feedback, sim.send_forces
        ee_pose, command = scenario.ee_pose, scenario.command
        log_pos, log_quat, log_u, log_q = log["ee_pos"], log["ee_quat"], log["u"], log["q"]
        log_force = log["force"] if scenario.force_scenario else None
        perf = time.perf_counter
        wall0 = perf()
        for k in range(n):
            while ev < len(events) and events[ev][0] <= k * dt + 1e-12:
                events[ev][2](sim)
                ev += 1
            fb = get_feedback()
            q = fb["q"]
            log_pos[k], log_quat[k] = ee_pose(sim, fb)
            t0 = perf()
            u = command(k, q, fb["dq"], sim)
            step_times[k] = perf() - t0
            try:
                send_forces(u)
            except InputError as exc:
                raise SimulationError(f"controller failed at t={k * dt:.3f} s: {exc}") from None
            log_u[k] = u
            log_q[k] = q
            if log_force is not None:
                log_force[k] = scenario.last_force
            if gif and k % frame_every == 0:
                r0 = perf()
                frames.append(sim.camera_image())
                render_time += perf() - r0
            if progress is not None and (k % every == 0 or k == n - 1):
                progress(k + 1, n)
            if gui:
                lag = (k + 1) * dt - (perf() - wall0)
                if lag > 0:
                    time.sleep(lag)
        wall = perf() - wall0 - render_time
    finally:
        sim.disconnect()
    return wall
