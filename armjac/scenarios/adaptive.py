"""Scenarios on a real arm that is not its URDF, with a tool-tip tracker feeding an adapting model.

=================  ================================================================
``tool_change``    follow a circle; at ``at`` s the tool grows by ``tool_extension`` m
                   along its axis (the model is not told);
                   scored: the time until the tip error stays within
                   ``evaluate.recover_tolerance`` (2 mm)
``tracker_dropout``  follow a circle while the tracker runs; at ``stop`` s it stops
                   for good; scored: how well the tip accuracy holds afterwards
=================  ================================================================

The run (:func:`run_adaptive`) differs from the nominal-arm runner in what the
controller sees and what is scored. The simulator runs the *real* arm drawn
from ``task.mismatch`` (:mod:`armjac.mismatch`); the controller sees only its
joint encoders (``q_measured``) and the model: by default the nominal URDF at
the assumed tool point, wrapped by the adaptation ``task.adapt``
(:func:`armjac.adapt.make_adapting`), with the nominal arm's dynamics. Its
position feedback is the model's own FK of the encoder readings
(``fk_source: source``). The tracker samples the true tip at its rate, with
noise, latency and dropouts; each delivered sample goes to
``model.update(q_measured at the exposure time, x, t)``. Scores use the true
tip, which nothing in the loop sees.

Off-path accuracy: at the end (and just before the tool change) the model's
FK is compared with the real tip over held-out configurations drawn
uniformly within the joint limits (``task.holdout`` of them), read through
the noise-free encoders.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np

from armjac.configs import Reader
from armjac.errors import ConfigError, InputError, SimulationError
from armjac.jsonutil import to_jsonable
from armjac.protocols import position_of
from armjac.scenarios.metrics import time_to_stay_within
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Track

MODEL_EVERY = 10  # steps between checks of the model's FK error on the path
_MISMATCH_KEYS = {"mismatch", "real_seed", "adapt", "holdout", "tracker"}
_TRACKER_KEYS = {"rate_hz", "noise_mm", "latency_ms", "dropout"}


class _Adaptive(Track):
    """Base: a circle through the start tip on a real arm, with a tracker and an adapting model."""

    keys = Track.keys | _MISMATCH_KEYS
    run_mode = "adaptive"

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Checks the circle, ``mismatch``, ``adapt``, ``holdout`` and ``tracker`` keys."""
        super().validate(task)
        task.string("mismatch", ...)
        task.integer("real_seed", 0)
        task.integer("holdout", 500)
        tr = task.mapping("tracker")
        tr.check_keys(_TRACKER_KEYS)
        for key in _TRACKER_KEYS:
            tr.number(key, minimum=0.0)
        adapt = task.data.get("adapt", "none")
        if not isinstance(adapt, str | dict):
            raise task.fail("adapt", f"must be a rule name or a mapping; got {adapt!r}")
        from armjac.adapt.spec import parse_spec

        try:
            parse_spec(adapt)
        except ConfigError as exc:
            raise task.fail("adapt", str(exc)) from None

    def __init__(self, cfg, arm, q0, rng, tip0: np.ndarray):
        super().__init__(cfg, arm, q0, rng)
        self.start_pos = np.asarray(tip0, float).copy()
        if self.task.vector("center", 3) is None:
            self.center = self.start_pos.copy()
            self.center[self.plane[0]] -= self.radius

    tool_mass = 0.0

    def tracker_windows(self) -> tuple[tuple[float, float], ...]:
        """Times (start, end) when the tracker delivers nothing."""
        return ()

    def score(self, t: np.ndarray, err: np.ndarray, tol: float) -> dict:
        """Scenario-specific metrics from the true tip error ``err`` (n,) at times ``t``."""
        return {}

    def score_model(self, model_err: np.ndarray, tol: float) -> dict:
        """Metrics of the model's FK error on the path: (K, 2) rows of (t, |fk(q_read) - tip|)."""
        return {}


@register_scenario
class ToolChange(_Adaptive):
    """Follow a circle; at ``at`` s the tool grows by ``tool_extension`` m along its axis
    (the mismatch spec's tool: ``kuka_iiwa_tool010`` has 0.10 m, so 0.08 makes 0.18 m)."""

    kind = "tool_change"
    keys = _Adaptive.keys | {"at", "tool_extension", "tool_mass"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also checks ``at``, ``tool_extension`` (m, may be negative) and ``tool_mass``."""
        super().validate(task)
        task.number("at", minimum=0.0)
        task.number("tool_extension")
        task.number("tool_mass", minimum=0.0)

    def __init__(self, *args):
        super().__init__(*args)
        self.at = self.task.number("at", 2.0)
        self.extension = self.task.number("tool_extension", 0.08)
        self.tool_mass = self.task.number("tool_mass", 0.3)
        self.disturbance = (self.at, self.at)

    @property
    def duration(self) -> float:
        """``at`` + 4 s unless the config sets ``duration``."""
        return self.cfg.duration or self.at + 4.0

    def score(self, t: np.ndarray, err: np.ndarray, tol: float) -> dict:
        """Recovery time after the change (``recovery_time_s``: from when the error stays
        within ``tol``; ``first_within_s``: its first time back within), the error just
        before the change and the largest after it."""
        after = t >= self.at
        before = (t >= self.at - 0.5) & (t < self.at)
        back = np.flatnonzero(err[after] <= tol)
        return {
            "recovery_time_s": time_to_stay_within(t[after], err[after], tol, self.at),
            "first_within_s": float(t[after][back[0]] - self.at) if back.size else math.nan,
            "error_before_change_m": float(np.sqrt(np.mean(err[before] ** 2)))
            if before.any()
            else math.nan,
            "max_deviation_m": float(err[after].max()) if after.any() else math.nan,
        }

    def score_model(self, model_err: np.ndarray, tol: float) -> dict:
        """``model_recovery_time_s``: from the change until the model's FK of the readings stays
        within ``tol`` of the true tip (the adaptation's part of the recovery; the rest is
        the controller moving the arm)."""
        ts, e = model_err[:, 0], model_err[:, 1]
        after = ts >= self.at
        return {"model_recovery_time_s": time_to_stay_within(ts[after], e[after], tol, self.at)}


@register_scenario
class TrackerDropout(_Adaptive):
    """Follow a circle while the tracker runs; at ``stop`` s it stops for good."""

    kind = "tracker_dropout"
    keys = _Adaptive.keys | {"stop"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also checks ``stop``."""
        super().validate(task)
        task.number("stop", positive=True)

    def __init__(self, *args):
        super().__init__(*args)
        self.stop = self.task.number("stop", 4.0)

    @property
    def duration(self) -> float:
        """``stop`` + 4 s unless the config sets ``duration``."""
        return self.cfg.duration or self.stop + 4.0

    def tracker_windows(self) -> tuple[tuple[float, float], ...]:
        """From ``stop`` to the end."""
        return ((self.stop, math.inf),)

    def score(self, t: np.ndarray, err: np.ndarray, tol: float) -> dict:
        """Tip error while tracked (the last second) and after the stop; how long it holds."""
        tracked = (t >= self.stop - 1.0) & (t < self.stop)
        after = t >= self.stop
        out = {
            "rmse_tracked_m": _rms(err[tracked]),
            "rmse_after_stop_m": _rms(err[after]),
            "max_error_after_stop_m": float(err[after].max()) if after.any() else math.nan,
        }
        over = np.flatnonzero(err[after] > tol)
        left = float(t[-1] - self.stop) if after.any() else 0.0
        out["held_within_tolerance_s"] = float(t[after][over[0]] - self.stop) if over.size else left
        return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) if x.size else math.nan


# -- the run -----------------------------------------------------------------------------
def _mismatch(task: Reader):
    """The mismatch spec of ``task.mismatch`` and the tracker settings the task overrides."""
    from armjac.mismatch import load_spec

    spec = load_spec(task.string("mismatch"))
    return spec, {k: float(v) for k, v in task.mapping("tracker").data.items()}


def _base_model(spec, real):
    """The model the controller starts from: the nominal URDF at the assumed tool point,
    or any source name (``learned:PATH``, a folder, ...) resolved on the nominal arm."""
    if spec is None or spec == "analytic":
        from armjac.learned.residual import TipNominal

        return TipNominal(real.nominal, real.assumed_point)
    if isinstance(spec, str):
        from armjac.sources import make_source

        return make_source(spec, real.nominal)
    return spec


def run_adaptive(
    config,
    source=None,
    out_dir=None,
    *,
    duration: float | None = None,
    plots: bool = True,
    progress=None,
    adapt=None,
    **_ignored,
) -> dict:
    """Run a ``tool_change`` or ``tracker_dropout`` scenario (see the module docstring).

    Parameters
    ----------
    config : name, path, mapping or ScenarioConfig
    source : str or object, optional
        The base model (default the scenario's ``jacobian``; ``"analytic"`` is
        the nominal arm at the assumed tool point). An object with ``update``
        is used as the adapting model itself.
    out_dir : path, optional
        Where ``metrics.json`` and ``tip_error.png`` go.
    duration : float, optional
        Override the run length, s.
    plots : bool
        Write the tip-error plot.
    progress : callable(done, total), optional
    adapt : str or mapping, optional
        Override ``task.adapt``.

    Returns
    -------
    dict
        ``status``, the scores, and ``curve`` (``t``, ``tip_error_m``) for plots.
    """
    from armjac.scenarios.config import load_scenario

    cfg = load_scenario(config)
    kind = type_of(cfg)
    task = Reader(cfg.task, cfg.source_path, "task.")
    result = {"scenario": cfg.name, "type": cfg.scenario, "arm": cfg.arm}
    try:
        result.update(_run(cfg, kind, task, source, duration, progress, adapt))
        result["status"] = "ok"
    except SimulationError as exc:
        result.update(status="failed", reason=str(exc), passed=False)
    if out_dir is not None:
        from armjac.scenarios.runner import write_metrics

        write_metrics(out_dir, {k: v for k, v in result.items() if k != "curve"})
        if plots and "curve" in result:
            curves = {result.get("adaptation", "model"): result["curve"]}
            plot_curves(curves, Path(out_dir) / "tip_error.png", cfg.name)
    return result


def type_of(cfg) -> type:
    """The scenario class of ``cfg``."""
    from armjac.scenarios.registry import scenario_type

    return scenario_type(cfg.scenario)


def _run(cfg, kind, task, source, duration, progress, adapt) -> dict:
    from armjac.adapt import make_adapting
    from armjac.adapt.spec import parse_spec
    from armjac.control.blas import single_threaded_blas
    from armjac.mismatch import Tracker
    from armjac.scenarios.controllers import build_controller
    from armjac.sim.arm_sim import ArmSim

    spec, tracker_over = _mismatch(task)
    real = spec.realize(task.integer("real_seed", 0))
    nominal = real.nominal
    if cfg.arm not in (nominal.name, spec.arm):
        raise ConfigError(
            f"{cfg.where('arm')}: {cfg.arm!r}, but the mismatch spec is for {spec.arm!r}"
        )
    q0 = nominal.home if cfg.start_q is None else np.asarray(cfg.start_q, float)
    if q0.shape != (nominal.dof,):
        raise InputError(f"{cfg.where('start_q')}: needs {nominal.dof} values; got {q0.shape}")
    tool = real.tool_point.copy()
    rng = np.random.default_rng(cfg.seed)
    scenario = kind(cfg, nominal, q0, rng, real.tip(q0))
    rule_spec = task.data.get("adapt", "none") if adapt is None else adapt
    rule, _ = parse_spec(rule_spec)
    base = _base_model(cfg.jacobian if source is None else source, real)
    model = base if callable(getattr(base, "update", None)) else make_adapting(base, rule_spec)
    ctrl = build_controller(cfg, model, nominal, nominal, "osc", "source")

    tspec = dataclasses.replace(
        real.tracker_spec, **tracker_over, dropout_windows=scenario.tracker_windows()
    )
    tracker = Tracker(tspec, seed=cfg.seed + 1)
    holdout = _holdout(real, task.integer("holdout", 500))

    dt = cfg.dt
    total = duration if duration is not None else scenario.duration
    n = max(1, int(round(total / dt)))
    t = np.arange(n) * dt
    scenario.prepare(t)
    q_read = np.empty((n, nominal.dof))
    err = np.empty(n)
    change = scenario.at if kind is ToolChange else math.inf
    changed = False
    offpath: dict = {"base_before_m": _offpath(base, real, holdout, tool)}
    updates = getattr(model, "update", None)
    model_err: list[tuple[float, float]] = []  # (t, |model FK of the readings - true tip|)
    update_cost = []
    every = max(1, n // 100)
    sim = ArmSim(real.arm, dt=dt, q0=q0)
    perf = time.perf_counter
    wall0 = perf()
    try:
        with single_threaded_blas():
            for k in range(n):
                tk = k * dt
                if not changed and tk + 1e-12 >= change:
                    changed = True
                    offpath["before_change_m"] = _offpath(model, real, holdout, tool)
                    tool = tool + scenario.extension * _tool_axis(real.assumed_point)
                    offpath["at_change_m"] = _offpath(model, real, holdout, tool)
                    if scenario.tool_mass > 0:
                        sim.add_payload(scenario.tool_mass, 0.5 * (tool + real.tool_point))
                fb = sim.get_feedback()
                q_true, dq = fb["q"], fb["dq"]
                q_read[k] = real.encoders.read(q_true, rng)
                tip = real.arm.position(q_true, point=tool)
                err[k] = float(np.linalg.norm(tip - scenario.target_pos[k]))
                if k % MODEL_EVERY == 0:  # the model's FK error on the path (truth: metrics only)
                    model_err.append(
                        (tk, float(np.linalg.norm(position_of(model.fk(q_read[k])) - tip)))
                    )
                for te, x in tracker.observe(tk, tip):
                    q_s = q_read[int(round(te / dt))]
                    if updates is not None:
                        c0 = perf()
                        updates(q_s, x, te)
                        update_cost.append(perf() - c0)
                u = ctrl.generate(
                    q_read[k], dq, scenario.targets[k], scenario.vel[k], scenario.acc[k]
                )
                try:
                    sim.send_forces(u)
                except InputError as exc:
                    raise SimulationError(f"controller failed at t={tk:.3f} s: {exc}") from None
                if progress is not None and (k % every == 0 or k == n - 1):
                    progress(k + 1, n)
    finally:
        sim.disconnect()
    wall = perf() - wall0
    offpath["after_m"] = _offpath(model, real, holdout, tool)
    tol = cfg.evaluate.get("recover_tolerance", 0.002)
    metrics = {
        "adaptation": rule if rule != "none" or updates is None else type(model).__name__,
        "real_arm": real.arm.name,
        "final_tip_error_m": float(err[-1]),
        "tip_rmse_m": _rms(err[t >= cfg.evaluate.get("rmse_from", 0.0)]),
        **scenario.score(t, err, tol),
        **scenario.score_model(np.array(model_err).reshape(-1, 2), tol),
        "offpath_fk_median_m": offpath,
        "tracker_samples": len(update_cost) if updates is not None else None,
        "update_median_us": float(np.median(update_cost) * 1e6) if update_cost else 0.0,
        "sim_time_s": n * dt,
        "wall_time_s": wall,
    }
    from armjac.scenarios.metrics import check_expectations

    failures = check_expectations(metrics, cfg.expect)
    metrics.update(
        passed=not failures, failures=failures, curve={"t": t[::10], "tip_error_m": err[::10]}
    )
    return metrics


def _tool_axis(point: np.ndarray) -> np.ndarray:
    """Unit vector along the assumed tool (the EE z axis when there is no tool)."""
    norm = float(np.linalg.norm(point))
    return point / norm if norm > 1e-9 else np.array([0.0, 0.0, 1.0])


def _holdout(real, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out true configurations (uniform in the limits) and their noise-free readings."""
    q = real.nominal.random_q(n, np.random.default_rng(2024))
    return q, real.encoders.read(q)


def _offpath(model, real, holdout, tool) -> float:
    """Median |model FK of the readings - true tip| over the held-out set, m."""
    if not len(holdout[0]):
        return math.nan
    q_true, q_read = holdout
    with warnings.catch_warnings():  # off the path is outside a learned model's data, on purpose
        warnings.simplefilter("ignore", UserWarning)
        pred = position_of(np.asarray(model.fk(q_read)))
    return float(np.median(np.linalg.norm(pred - real.arm.position(q_true, point=tool), axis=1)))


# -- recovery curves ---------------------------------------------------------------------
DEFAULT_RULES = {
    "no adaptation": "none",
    "tracker offset": "offset",
    "Broyden": "broyden",
    "PES (decoders)": "pes",
    "RLS, exponential forgetting": {"rule": "rls", "forgetting": "exponential"},
    "RLS, no forgetting": {"rule": "rls", "forgetting": "none"},
    "RLS, directional forgetting": {"rule": "rls", "forgetting": "directional"},
    "local RBF correction (RLS)": "local_rls",
    "tool offset (RLS)": "tool_rls",
    "tool offset + tracker offset": {"rule": "offset", "on": "tool_rls"},
}


def recovery_curves(
    config="tool_change",
    rules: dict | None = None,
    *,
    source=None,
    out_dir=None,
    duration: float | None = None,
) -> dict:
    """Run ``config`` once per adaptation rule; tip error against time for each.

    Parameters
    ----------
    config : scenario (default the bundled ``tool_change``)
    rules : {label: rule spec}, optional
        Default :data:`DEFAULT_RULES`: no adaptation, tracker offset, Broyden,
        PES and the RLS variants on the decoders (of ``source`` if it is a
        learned network, else of a fresh zero-output ensemble on the nominal),
        the local RBF correction and the online tool offset.
    source : str or object, optional
        The base model for every rule.
    out_dir : path, optional
        Writes ``recovery.png`` and ``recovery.json`` (the scores per rule).
    duration : float, optional

    Returns
    -------
    dict
        ``{label: result}`` with each run's scores and ``curve``.
    """
    rules = DEFAULT_RULES if rules is None else rules
    out = {}
    for label, spec in rules.items():
        out[label] = run_adaptive(config, source, None, duration=duration, adapt=spec)
    if out_dir is not None:
        path = Path(out_dir)
        path.mkdir(parents=True, exist_ok=True)
        curves = {k: v["curve"] for k, v in out.items() if "curve" in v}
        plot_curves(curves, path / "recovery.png", "tip error against time")
        scores = {k: {m: v for m, v in r.items() if m != "curve"} for k, r in out.items()}
        (path / "recovery.json").write_text(
            json.dumps(to_jsonable(scores), indent=2, allow_nan=False) + "\n"
        )
    return out


def plot_curves(curves: dict, path: Path, title: str, tol: float = 0.002) -> Path:
    """Tip error (mm, log scale) against time, one line per approach."""
    from armjac.scenarios.plots import DPI, pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for label, c in curves.items():
        ax.semilogy(c["t"], np.maximum(1e3 * np.asarray(c["tip_error_m"]), 1e-3), label=label)
    ax.axhline(1e3 * tol, color="k", ls=":", lw=1, label=f"{1e3 * tol:g} mm")
    ax.set_xlabel("t [s]")
    ax.set_ylabel("true tip error [mm]")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, DPI, Path(path))


_Adaptive.runner = staticmethod(run_adaptive)  # the scenario runner hands these runs over
