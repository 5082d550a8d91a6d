"""Scenarios on a real arm that is not its URDF, with a tool-tip tracker feeding an adapting model.

=================  ================================================================
``tool_change``    follow a circle; at ``at`` s the tool grows by ``tool_extension`` m
                   along its axis (the model is not told);
                   scored: the time until the tip error stays within
                   ``evaluate.recover_tolerance`` (2 mm)
``tracker_dropout``  follow a circle while the tracker runs; at ``stop`` s it stops
                   for good; scored: how well the tip accuracy holds afterwards
=================  ================================================================

The runner (:func:`~armjac.scenarios.run_scenario`) simulates the *real* arm
drawn from ``task.mismatch`` (:mod:`armjac.mismatch`); the controller sees only
its joint encoders (``q_measured``) and the model: the scenario's ``jacobian``
(``tool:SPEC`` is the nominal URDF at the assumed tool point; ``analytic`` is
taken the same way, at the spec's assumed tool point), wrapped by the
adaptation ``task.adapt`` (:func:`armjac.adapt.make_adapting`). Its dynamics
are the nominal arm's carrying the spec's tool and payload masses at the assumed
tool point (``task.load_data``, default true: the load data a user enters; false:
the bare nominal, whose wrist is 4-6x lighter than the loaded real one, see
docs/adaptation.md). Its position feedback is the model's own FK of the encoder
readings (``fk_source: source``). The tracker samples the true tip at its rate,
with noise, latency and dropouts; each delivered sample goes to
``model.update(q_measured at the exposure time, x, t)``. Scores use the true
tip, which nothing in the loop sees.

Off-path accuracy: at the end (and just before the tool change) the model's
FK is compared with the real tip over held-out configurations drawn
uniformly within the joint limits (``task.holdout`` of them), read through
the noise-free encoders.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from pathlib import Path

import numpy as np

from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.protocols import position_of
from armjac.scenarios.metrics import time_to_stay_within
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Track

MODEL_EVERY = 10  # steps between checks of the model's FK error on the path
_MISMATCH_KEYS = {"mismatch", "real_seed", "adapt", "holdout", "tracker", "load_data"}
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
        task.flag("load_data", True)
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

    def __init__(self, cfg, arm, q0, rng):
        super().__init__(cfg, arm, q0, rng)
        spec, self._tracker_over = _mismatch(self.task)
        if arm.name != spec.arm and getattr(arm.spec, "name", None) != spec.arm:
            raise ConfigError(
                f"{cfg.where('arm')}: {arm.name!r}, but the mismatch spec is for {spec.arm!r}"
            )
        self.real = spec.realize(self.task.integer("real_seed", 0), nominal=arm)
        self.tool = self.real.tool_point.copy()  # the true tool point; it may change
        self.start_pos = self.real.tip(q0)
        if self.task.vector("center", 3) is None:
            self.center = self.start_pos.copy()
            self.center[self.plane[0]] -= self.radius
        self.holdout = _holdout(self.real, self.task.integer("holdout", 500))
        self.load_data = self.task.flag("load_data", True)
        self.model = self.base = self.tracker = None
        self.offpath: dict = {}
        self.model_err: list[tuple[float, float]] = []  # (t, |model FK of the readings - tip|)
        self.update_cost: list[float] = []

    @property
    def sim_arm(self):
        """The real arm."""
        return self.real.arm

    def ee_pose(self, sim, feedback: dict) -> tuple[np.ndarray, np.ndarray]:
        """The true tool tip (the score), and the EE link's orientation."""
        return self.real.arm.position(feedback["q"], point=self.tool), sim.ee_pose()[1]

    def source(self, src):
        """The adapting model over ``src`` (the nominal arm is taken at the assumed tool point);
        a source with ``update`` of its own is used as it is."""
        from armjac.adapt import make_adapting
        from armjac.learned.residual import TipNominal

        self.base = TipNominal(src, self.real.assumed_point) if src is self.arm else src
        if callable(getattr(self.base, "update", None)):
            self.model = self.base
        else:
            self.model = make_adapting(self.base, self.task.data.get("adapt", "none"))
        self.offpath["base_before_m"] = _offpath(self.base, self.real, self.holdout, self.tool)
        return self.model

    def dynamics(self, dyn):
        """With ``load_data`` (the default) the nominal arm carrying the spec's tool and
        payload masses at the assumed tool point, the load data a user configures
        (:func:`~armjac.mismatch.real_arm.nominal_with_load`); else ``dyn`` (the bare
        nominal). A load attached during the run (``tool_mass``) stays unknown."""
        return self.real.load_data_arm if self.load_data else dyn

    def build(self, make) -> None:
        """One OSC whose position feedback is the model's FK of the readings."""
        self.controllers["main"] = make("osc", "source")

    def prepare(self, t: np.ndarray) -> None:
        """Also the tracker (its dropout windows) and the buffer of encoder readings."""
        from armjac.mismatch import Tracker

        super().prepare(t)
        tspec = dataclasses.replace(
            self.real.tracker_spec, **self._tracker_over, dropout_windows=self.tracker_windows()
        )
        self.tracker = Tracker(tspec, seed=self.cfg.seed + 1)
        self.q_read = np.empty((t.size, self.arm.dof))

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """Read the encoders, feed the tracker's samples to the model, control from the readings."""
        dt = self.cfg.dt
        tk = k * dt
        self.q_read[k] = self.real.encoders.read(q, self.rng)
        tip = self.real.arm.position(q, point=self.tool)
        if k % MODEL_EVERY == 0:  # the model's FK error on the path (truth: metrics only)
            fk = position_of(self.model.fk(self.q_read[k]))
            self.model_err.append((tk, float(np.linalg.norm(fk - tip))))
        update = getattr(self.model, "update", None)
        for te, x in self.tracker.observe(tk, tip):
            if update is not None:
                c0 = time.perf_counter()
                update(self.q_read[int(round(te / dt))], x, te)
                self.update_cost.append(time.perf_counter() - c0)
        return super().command(k, self.q_read[k], dq, sim)

    def extra_metrics(self, log: dict) -> dict:
        """Scores of the true tip error, the model's own recovery, the held-out FK errors, the
        tracker samples used and the update cost, and the tip-error ``curve``."""
        t = log["t"]
        err = np.linalg.norm(log["ee_pos"] - log["target_pos"], axis=1)
        tol = self.cfg.evaluate.get("recover_tolerance", 0.002)
        self.offpath["after_m"] = _offpath(self.model, self.real, self.holdout, self.tool)
        adaptive = callable(getattr(self.model, "update", None))
        return {
            "adaptation": _label(self.task.data.get("adapt", "none"), self.model),
            "real_arm": self.real.arm.name,
            **self.score(t, err, tol),
            **self.score_model(np.array(self.model_err).reshape(-1, 2), tol),
            "offpath_fk_median_m": dict(self.offpath),
            "tracker_samples": len(self.update_cost) if adaptive else None,
            "update_median_us": float(np.median(self.update_cost) * 1e6)
            if self.update_cost
            else 0.0,
            "curve": {"t": t[::10], "tip_error_m": err[::10]},
        }

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
        self.events = [(self.at, f"tool +{self.extension:g} m", self._change_tool)]

    def _change_tool(self, sim) -> None:
        """The tool grows along its axis (and its extra mass is attached)."""
        self.offpath["before_change_m"] = _offpath(self.model, self.real, self.holdout, self.tool)
        old = self.tool.copy()
        self.tool = self.tool + self.extension * _tool_axis(self.real.assumed_point)
        self.offpath["at_change_m"] = _offpath(self.model, self.real, self.holdout, self.tool)
        if self.tool_mass > 0:
            sim.add_payload(self.tool_mass, 0.5 * (old + self.tool))

    @property
    def duration(self) -> float:
        """``at`` + 4 s unless the config sets ``duration``."""
        return self.cfg.duration or self.at + 4.0

    def score(self, t: np.ndarray, err: np.ndarray, tol: float) -> dict:
        """``first_within_s``: the first time back within ``tol`` after the change (the
        runner's ``recovery_time_s`` is from when it stays within), and the error just
        before the change."""
        after = t >= self.at
        before = (t >= self.at - 0.5) & (t < self.at)
        back = np.flatnonzero(err[after] <= tol)
        return {
            "first_within_s": float(t[after][back[0]] - self.at) if back.size else math.nan,
            "error_before_change_m": float(np.sqrt(np.mean(err[before] ** 2)))
            if before.any()
            else math.nan,
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


def _label(spec, model) -> str:
    """The adaptation's name in results: the rule, or the class of a model given ready-made."""
    from armjac.adapt.spec import parse_spec

    rule = parse_spec(spec)[0]
    if rule == "none" and callable(getattr(model, "update", None)):
        return type(model).__name__
    return rule


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
    # unbounded, as measured in docs/adaptation.md (the spec's default is bounded)
    "RLS, exponential forgetting": {"rule": "rls", "forgetting": "exponential", "bounded": False},
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
    from armjac.scenarios.config import load_scenario
    from armjac.scenarios.runner import run_scenario

    cfg = load_scenario(config)
    rules = DEFAULT_RULES if rules is None else rules
    out = {}
    for label, spec in rules.items():
        one = dataclasses.replace(cfg, task={**cfg.task, "adapt": spec})
        out[label] = run_scenario(one, source, duration=duration, plots=False)
    if out_dir is not None:
        from armjac.outputs import check_out_dir, write_json

        path = check_out_dir(out_dir, "recovery-curve folder")
        path.mkdir(parents=True, exist_ok=True)
        curves = {k: v["curve"] for k, v in out.items() if "curve" in v}
        plot_curves(curves, path / "recovery.png", "tip error against time")
        scores = {k: {m: v for m, v in r.items() if m != "curve"} for k, r in out.items()}
        write_json(path / "recovery.json", scores)
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
