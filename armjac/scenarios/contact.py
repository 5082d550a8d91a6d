"""What force scenarios share: where the controller's force comes from, and the touchdown.

**Force sensing** (``task.force_from``):

* ``contact`` -- the simulator's contact force on the hand (a perfect sensor);
* ``ft_sensor`` -- the wrist force/torque sensor, tared for the tool's weight;
* ``observer`` -- no sensor: the momentum observer's estimate from joint torques
  (:class:`~armjac.estimation.MomentumObserver`) on the controller's own dynamics
  model and Jacobian, so model errors become force errors, as on a real
  torque-controlled arm.

Scores always use the simulator's contact force, which the controller never sees.

**Touchdown.** A hand of effective mass ``m`` (along the surface normal, at the contact
point: ``1 / (n^T J M^-1 J^T n)``) meeting a surface of contact stiffness ``k`` at speed
``v`` bounces off a spring: its force peaks near ``v sqrt(k m)`` whatever the
controller does (:func:`impact_bound`). A rigid contact in a time-stepping engine
stops the hand within one step, an impulse of about ``m v / dt``: a property of the
step, not of the contact. Scenarios state a contact stiffness (``contact_stiffness``)
so that the bound means something physical.
"""

from __future__ import annotations

import math

import numpy as np

from armjac.configs import Reader
from armjac.estimation import MomentumObserver

FORCE_SOURCES = ("contact", "ft_sensor", "observer")
SENSING_KEYS = {"force_from", "observer_gain", "contact_stiffness", "contact_damping"}
DEFAULT_OBSERVER_GAIN = 100.0  # 1/s: a 10 ms time constant


def validate_sensing(task: Reader, default: str) -> None:
    """Check the sensing and contact keys of a force scenario's ``task:`` section."""
    task.string("force_from", default, FORCE_SOURCES)
    task.number("observer_gain", positive=True)
    task.number("contact_stiffness", positive=True)
    task.number("contact_damping", minimum=0.0)


class ForceSensing:
    """The force the hand applies to the environment (world frame, N), as the controller
    reads it from the configured source (see the module doc)."""

    def __init__(self, task: Reader, default: str, dt: float):
        self.kind = task.string("force_from", default, FORCE_SOURCES)
        self.gain = task.number("observer_gain", DEFAULT_OBSERVER_GAIN)
        self.dt = dt
        self.sensor = None
        self.observer: MomentumObserver | None = None
        self._u = None

    def setup(self, sim) -> None:
        """Switch on the wrist sensor where it is the source."""
        if self.kind == "ft_sensor":
            self.sensor = sim.ft_sensor()

    def attach(self, controller, sim=None) -> None:
        """Build the observer on ``controller``'s dynamics model, Jacobian and point."""
        if self.kind != "observer":
            return
        model = controller.model
        self.observer = MomentumObserver(
            model.dynamics,
            self.dt,
            self.gain,
            damping=0.0 if sim is None else sim.joint_damping,
            jacobian=model.source,
            link=model.link,
            point=model.point,
        )
        self._wrench = model.dof >= 6 and model.task_rows >= 6

    def applied_torque(self, sim, dq: np.ndarray) -> np.ndarray:
        """The joint torque the observer is fed: the one applied over the last step (a
        subclass may read it through a joint-torque sensor)."""
        return sim.get_feedback()["u"]

    def measure(self, q: np.ndarray, dq: np.ndarray, sim, contact=None) -> np.ndarray:
        """This step's reading: call once per step, with the state the controller sees.
        ``contact`` is the world's force on the hand this step (read once by the scenario
        for its score), which the ``contact`` source passes on."""
        if self.kind == "contact":
            return -contact
        if self.kind == "ft_sensor":
            return self.sensor.wrench()[:3]
        obs = self.observer
        obs.update(q, dq, self.applied_torque(sim, dq))
        # a wrench's force does not depend on where the hand touches (module doc of
        # armjac.estimation.contact); a position-only Jacobian gives the force at the point
        return -(obs.wrench(q)[:3] if self._wrench else obs.force(q))


def effective_mass(arm, q: np.ndarray, normal, point=None) -> float:
    """The hand's effective mass along the unit ``normal`` at ``point`` (EE frame), kg."""
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    jac = np.asarray(arm.jacobian(q, point=point))[:3]
    mass = np.asarray(arm.mass_matrix(q))
    return 1.0 / float(n @ jac @ np.linalg.solve(mass, jac.T) @ n)


def impact_bound(mass: float, speed: float, stiffness: float | None, dt: float) -> float:
    """The touchdown force a passive hand cannot avoid, N: ``v sqrt(k m)`` for a contact
    of stiffness ``k``; ``m v / dt`` for a rigid one (one time step's impulse)."""
    if stiffness is None:
        return mass * speed / dt
    return speed * math.sqrt(stiffness * mass)


class Touchdown:
    """A force scenario's touchdown: the contact's stiffness as simulated, and the peak
    force after the first contact against :func:`impact_bound`.

    Parameters
    ----------
    stiffness : float or None
        The configured contact stiffness (per contact point), None for a rigid contact.
    dt : float
        The time step, s.
    window : float
        How long after the first contact the peak is taken, s.
    """

    def __init__(self, stiffness: float | None, dt: float, window: float):
        self.stiffness, self.dt, self.window = stiffness, dt, window
        self._samples: list[float] = []

    def sample(self, sim, table, force: float) -> None:
        """Record force over penetration while the hand holds still, pressing ``force`` N.
        Several contact points share the load, so the stiffness as simulated is not the
        per-point setting."""
        if self.stiffness is None:
            return
        depth = sim.contact_depth(table)
        if depth > 0:
            self._samples.append(force / depth)

    def metrics(self, log: dict, arm, t_from: float) -> dict:
        """Peak, bound and their ratio, from the first contact at or after ``t_from``."""
        t, f = log["t"], log["force"]
        first = np.flatnonzero((f > 1e-6) & (t >= t_from))
        if not first.size:
            return {}
        k = max(int(first[0]), 2)
        # the hand's speed into the surface over the step before the contact step
        speed = max(float(log["ee_pos"][k - 2, 2] - log["ee_pos"][k - 1, 2]) / self.dt, 0.0)
        mass = effective_mass(arm, log["q"][k], [0.0, 0.0, 1.0])
        stiffness = float(np.median(self._samples)) if self._samples else None
        if self.stiffness is not None and stiffness is None:
            return {"effective_mass_kg": mass, "touchdown_speed_m_s": speed}
        bound = impact_bound(mass, speed, stiffness, self.dt)
        sel = (t >= t[k]) & (t <= t[k] + self.window)
        peak = float(f[sel].max())
        return {
            "touchdown_peak_N": peak,
            "impact_bound_N": bound,
            "touchdown_peak_ratio": peak / bound if bound > 0 else math.nan,
            "effective_mass_kg": mass,
            "touchdown_speed_m_s": speed,
            "contact_stiffness_N_m": math.nan if stiffness is None else stiffness,
        }


def estimate_error(measured: np.ndarray, force: np.ndarray, windows: dict) -> dict:
    """RMS of the controller's normal-force reading against the simulator's, per window
    (``name -> boolean mask``), where the window is not empty."""
    err = measured[: force.size] - force
    return {name: float(np.sqrt(np.mean(err[sel] ** 2))) for name, sel in windows.items()
            if sel.any()}  # fmt: skip
