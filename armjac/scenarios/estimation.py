"""The contact-estimation scenario: known pushes at the hand while it holds a pose.

The arm holds its pose under the configured controller while a sequence of pushes of
known force acts on the hand, one after another (``pushes``: a list of world-frame
forces, or ``random: {count, magnitude}`` drawn with the scenario's seed). A momentum
observer (:class:`~armjac.estimation.MomentumObserver`) on the controller's own model
estimates the force from joint torques at every step; nothing feeds back into control.

Scores, against the force actually applied:

* ``settled_error_N`` -- the median over pushes of the estimate's error once settled
  (the last ``settle`` fraction of each push), and ``settled_error_max_N`` the worst;
* ``estimate_rmse_N`` -- the RMS error over every step, transients included;
* ``rest_error_N`` -- the largest estimate between pushes once settled (the last
  ``settle`` fraction of each gap; it should be zero).
"""

from __future__ import annotations

import numpy as np

from armjac.configs import Reader
from armjac.scenarios.contact import ForceSensing, validate_sensing
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Scenario


class ContactEstimation(Scenario):
    """Hold a pose; push the hand with known forces; score the observer's estimates."""

    kind = "contact_estimation"
    keys = {"target", "orientation", "pushes", "random", "push_time", "gap_time", "start",
            "settle", "observer_gain", "force_from"}  # fmt: skip

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Needs ``pushes`` (a list of [fx, fy, fz], N) or ``random: {count, magnitude}``."""
        task.check_keys(cls.keys)
        task.vector("target", 3)
        task.vector("orientation", 4)
        for key in ("push_time", "gap_time", "start"):
            task.number(key, positive=True)
        settle = task.number("settle", positive=True)
        if settle is not None and settle > 1:
            raise task.fail("settle", "is a fraction of each push, in (0, 1]")
        validate_sensing(task, "observer")
        if task.string("force_from", "observer") != "observer":
            raise task.fail("force_from", "contact_estimation scores the observer: 'observer'")
        if ("pushes" in task.data) == ("random" in task.data):
            raise task.fail("pushes", "give either 'pushes' (a list of [fx, fy, fz]) or 'random'")
        if "pushes" in task.data:
            task.vectors("pushes", 3)
        else:
            rnd = task.mapping("random")
            rnd.check_keys({"count", "magnitude"})
            rnd.integer("count", ..., minimum=1, maximum=1000)
            rnd.number("magnitude", ..., positive=True)

    def __init__(self, *args):
        super().__init__(*args)
        tk = self.task
        if "pushes" in tk.data:
            self.pushes = np.array(tk.vectors("pushes", 3), float)
        else:
            rnd = tk.mapping("random")
            d = self.rng.normal(size=(rnd.data["count"], 3))
            self.pushes = rnd.number("magnitude") * d / np.linalg.norm(d, axis=1)[:, None]
        self.push_time = tk.number("push_time", 1.0)
        self.gap_time = tk.number("gap_time", 0.5)
        self.t0 = tk.number("start", 0.5)
        self.settle = tk.number("settle", 0.3)
        self.sensing = ForceSensing(tk, "observer", self.cfg.dt)
        period = self.push_time + self.gap_time
        self.windows = [(self.t0 + i * period, self.t0 + i * period + self.push_time)
                        for i in range(len(self.pushes))]  # fmt: skip
        self.events = [(a, f"push {f.round(1)} N", self._pusher(f))
                       for (a, _), f in zip(self.windows, self.pushes, strict=True)]  # fmt: skip
        self.segments = [(0.0, self.t0)]

    def _pusher(self, force: np.ndarray):
        return lambda sim: sim.push(force, self.push_time)

    @property
    def duration(self) -> float:
        """Until the last push has ended and a gap has passed."""
        return self.cfg.duration or self.windows[-1][1] + self.gap_time

    def setup(self, sim) -> None:
        """The observer on the controller's model."""
        self.sensing.attach(self.controllers["main"], sim)

    def prepare(self, t: np.ndarray) -> None:
        """Also the applied force and the estimate at each step."""
        super().prepare(t)
        self.applied = np.zeros((t.size, 3))
        for (a, b), f in zip(self.windows, self.pushes, strict=True):
            self.applied[(t >= a - 1e-9) & (t < b - 1e-9)] = f
        self.estimate = np.zeros((t.size, 3))

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """The hold's torques; the observer's estimate of the force on the hand is logged."""
        # the reading is what the hand applies; the push is what the world applies on it
        self.estimate[k] = -self.sensing.measure(q, dq, sim, None)
        return super().command(k, q, dq, sim)

    def extra_metrics(self, log: dict) -> dict:
        """Errors of the estimate against the applied pushes (see the module doc)."""
        t = log["t"]
        # row k's estimate comes from the torque applied over the step before k: the
        # push applied at step k shows from row k + 1
        est, applied = self.estimate[1 : t.size], self.applied[: t.size - 1]
        err = np.linalg.norm(est - applied, axis=1)
        tt = t[: t.size - 1]
        settled, rest = [], np.zeros(tt.size, bool)
        for a, b in self.windows:
            sel = (tt >= b - self.settle * (b - a)) & (tt < b)
            if sel.any():
                settled.append(float(np.median(err[sel])))
            gap_end = b + self.gap_time
            rest |= (tt >= gap_end - self.settle * self.gap_time) & (tt < gap_end)
        return {
            "settled_error_N": float(np.median(settled)) if settled else float("nan"),
            "settled_error_max_N": max(settled) if settled else float("nan"),
            "estimate_rmse_N": float(np.sqrt(np.mean(err**2))),
            "rest_error_N": float(err[rest].max()) if rest.any() else float("nan"),
            "pushes": len(self.pushes),
        }


register_scenario(ContactEstimation)
