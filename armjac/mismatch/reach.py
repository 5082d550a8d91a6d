"""Reaching with the sensors a real arm has: encoders only, or an external tracker.

:func:`reach` runs the real arm in ArmSim under operational-space control of
the tool tip. The controller sees the joint readings (the encoder model), a
Jacobian source (the nominal tool point, a calibrated arm, a learned model)
and the nominal arm's dynamics carrying the tool and payload load data; the tip
position it regulates comes either from the source's own FK of the readings
(``feedback="encoders"``) or from the latest tracker sample
(``feedback="tracker"``, with the tracker's rate, noise, latency and dropouts).
The true tip, from the simulation, is used only for the metric.

An integral term removes the steady-state error of the remaining dynamics
errors (the real geometry's gravity), so the final error with encoders only is
the source's FK error at the final posture; with the tracker it is the
tracker's own error.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError

FEEDBACKS = ("encoders", "tracker")


class TrackerFeedback:
    """A pose sensor for the OSC: the latest delivered tracker sample (held).

    Until the first sample arrives it reports the source's FK of the readings.
    """

    def __init__(self, fallback=None):
        self.fallback = fallback
        self.last: np.ndarray | None = None

    def update(self, samples) -> None:
        """Take the newest of the delivered ``(t, x)`` samples."""
        if samples:
            self.last = np.asarray(samples[-1][1], float)

    def fk(self, q) -> np.ndarray:
        """The held tracker sample (3,)."""
        if self.last is None:
            pos = np.asarray(self.fallback.fk(q))
            return pos[:3, 3].copy() if pos.shape == (4, 4) else pos
        return self.last


def reach(
    real,
    source,
    target,
    *,
    feedback: str = "encoders",
    duration: float = 3.0,
    q0=None,
    kp: float = 600.0,
    ki: float = 1000.0,
    seed: int = 0,
    dt: float = 1e-3,
    load_data: bool = True,
) -> dict:
    """Drive the real arm's tool tip to ``target`` (3,) and report the true error.

    Parameters
    ----------
    real : RealArm
    source : Jacobian source (dof, fk, jacobian) of the tool tip
        Position-only sources (3-row Jacobian) and 6-row ones both work; only
        position is controlled.
    target : (3,) array
        World position, m.
    feedback : {"encoders", "tracker"}
    duration : float
        Seconds.
    q0 : (N,) array, optional
        Start posture (default the arm's home).
    kp, ki : float
        Task stiffness (1/s^2) and integral gain (1/s^3).
    seed : int
        Encoder noise and tracker randomness.
    load_data : bool
        The controller's dynamics carry the spec's tool and payload masses at the
        assumed tool point (:attr:`~armjac.mismatch.real_arm.RealArm.load_data_arm`, the
        load data a user enters), as in the adaptive scenarios. Without them the
        real task inertia at kuka's light wrist is several times the model's, and
        the integral loop takes seconds to settle (docs/adaptation.md).

    Returns
    -------
    dict
        ``final_mm`` (true tip error averaged over the last 0.2 s), ``max_mm``,
        ``path`` (T, 3) true tips every 10 ms, ``status``.
    """
    from armjac.control import OSC
    from armjac.control.null_space import JointDamping, RestingPosture
    from armjac.errors import SimulationError
    from armjac.sim import ArmSim

    if feedback not in FEEDBACKS:
        raise InputError(f"feedback must be one of {FEEDBACKS}; got {feedback!r}")
    target = np.asarray(target, float)
    if target.shape != (3,) or not np.isfinite(target).all():
        raise InputError(f"target must be 3 finite numbers (m); got {target}")
    nominal = real.nominal
    dynamics = real.load_data_arm if load_data else nominal
    q0 = nominal.home if q0 is None else np.asarray(q0, float)
    rng = np.random.default_rng(seed)
    tracker = real.tracker(seed + 1)
    sensor = TrackerFeedback(source) if feedback == "tracker" else "source"
    null = [RestingPosture(q0, kp=10.0), JointDamping(2.0)]
    ctrl = OSC(source, kp=kp, ki=ki, vmax=1.0, dynamics=dynamics, fk_source=sensor,
               task_velocity="jacobian", dt=dt, null_controllers=null)  # fmt: skip
    steps = int(round(duration / dt))
    tail = max(1, int(round(0.2 / dt)))
    errs = np.empty(steps)
    path = []
    status = "ok"
    with ArmSim(real.arm, dt=dt, q0=q0) as sim:
        try:
            for k in range(steps):
                fb = sim.get_feedback()
                q_link = fb["q"]
                tip = real.tip(q_link)
                errs[k] = np.linalg.norm(tip - target)
                if k % 10 == 0:
                    path.append(tip)
                delivered = tracker.observe(fb["time"], tip)
                if sensor != "source":
                    sensor.update(delivered)
                q_m = real.encoders.read(q_link, rng)
                sim.send_forces(ctrl.generate(q_m, fb["dq"], target))
        except (SimulationError, InputError) as exc:
            status = f"failed: {exc}"
            errs[k:] = np.nan
    return {
        "status": status,
        "final_mm": float(1e3 * np.mean(errs[-tail:])),
        "max_mm": float(1e3 * np.nanmax(errs)),
        "path": np.array(path),
    }
