"""Collecting data from the real arm.

:func:`collect` drives the simulated real arm along a safe exploration
trajectory -- random via points within the joint limits (shrunk by a margin),
joined by minimum-jerk segments, tracked by joint PD control on the encoder
readings with the nominal arm's gravity -- and records every encoder reading
and every tracker sample, as on a real robot.

:func:`static_samples` is the fast stand-in for tests and budget studies: FK
of the real arm at random link angles with the sensor models applied (encoder
errors and tracker noise, no dynamics, no latency or dropouts). It is labelled
``kind: static`` in the dataset's metadata.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError
from armjac.mismatch.dataset import Dataset, metadata

DEFAULT_MARGIN = 0.1  # fraction of each joint range kept free at both ends
DEFAULT_SEGMENT = 1.5  # s between via points


def _min_jerk(s: float) -> tuple[float, float]:
    """Position and velocity profile (fractions) of a minimum-jerk move at phase s."""
    return s**3 * (10 - 15 * s + 6 * s * s), 30 * s * s * (1 - s) ** 2


def joint_gains(arm) -> tuple[np.ndarray, np.ndarray]:
    """PD gains scaled to each joint's inertia at home (stiff but stable at 1 kHz)."""
    inertia = np.clip(np.diag(arm.mass_matrix(arm.home)), 1e-3, None)
    kp = 400.0 * inertia / inertia.max() + 100.0 * inertia
    wn = np.sqrt(kp / inertia)
    return kp, 2.0 * wn * inertia


def collect(
    real,
    duration: float = 40.0,
    *,
    seed: int = 0,
    segment: float = DEFAULT_SEGMENT,
    margin: float = DEFAULT_MARGIN,
    dt: float = 1e-3,
    progress: bool = True,
) -> Dataset:
    """Record ``duration`` seconds of exploration of ``real`` (a :class:`RealArm`).

    Parameters
    ----------
    real : RealArm
    duration : float
        Seconds; at 50 Hz, 40 s give 2,000 tracker samples (fewer with dropouts).
    seed : int
        Via points, encoder noise and tracker randomness.
    segment : float
        Seconds per minimum-jerk segment between via points.
    margin : float
        Fraction of each joint range kept free at both ends.
    dt : float
        Simulation and control period, s.

    Returns
    -------
    Dataset
        ``kind: trajectory``.
    """
    from armjac.control import JointPD
    from armjac.progress import progress_bar
    from armjac.sim import ArmSim

    if not duration > 0 or not segment > 0:
        raise InputError(
            f"duration and segment must be positive seconds; got {duration}, {segment}"
        )
    rng = np.random.default_rng(seed)
    nominal = real.nominal
    kp, kv = joint_gains(nominal)
    ctrl = JointPD(nominal, kp=kp, kv=kv)
    tracker = real.tracker(seed + 1)
    steps = int(round(duration / dt))
    n = nominal.dof
    t_log = np.empty(steps)
    q_log = np.empty((steps, n))
    truth_log = np.empty((steps, n))
    start = real.nominal.home.copy()
    via = nominal.random_q(int(np.ceil(duration / segment)) + 1, rng, margin)
    bar = progress_bar(steps, enabled=progress, unit="step", desc="collect")
    with ArmSim(real.arm, dt=dt, q0=start) as sim:
        a, b = start, via[0]
        for k in range(steps):
            fb = sim.get_feedback()
            t, q_link = fb["time"], fb["q"]
            q_m = real.encoders.read(q_link, rng)
            seg, phase = divmod(t / segment, 1.0)
            seg = int(seg)
            a, b = (start if seg == 0 else via[seg - 1]), via[seg]
            s, ds = _min_jerk(phase)
            target = a + (b - a) * s
            u = ctrl.generate(q_m, fb["dq"], target, (b - a) * ds / segment)
            t_log[k], q_log[k], truth_log[k] = t, q_m, q_link
            tracker.observe(t, lambda q=q_link: real.tip(q))
            sim.send_forces(u)
            bar.update(1)
    bar.close()
    log = tracker.log
    return Dataset(
        t=t_log,
        q=q_log,
        tracker_t=np.array([e[0] for e in log]),
        tracker_x=np.array([e[1] for e in log]).reshape(-1, 3),
        tracker_ok=np.array([e[3] for e in log], bool),
        truth_q=truth_log,
        truth_tip=np.array([e[2] for e in log]).reshape(-1, 3),
        meta=metadata(
            real,
            "trajectory",
            duration=duration,
            seed_collect=seed,
            segment=segment,
            margin=margin,
            dt=dt,
        ),
    )


def static_samples(real, n: int, *, seed: int = 0, margin: float = DEFAULT_MARGIN) -> Dataset:
    """``n`` static samples: FK of the real arm at uniform random link angles.

    The encoder model (with noise) and the tracker noise are applied; there are
    no dynamics, latency or dropouts. Much faster than :func:`collect`; labelled
    ``kind: static``.
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"n must be a positive integer; got {n!r}")
    rng = np.random.default_rng(seed)
    q_link = real.arm.random_q(int(n), rng, margin)
    q_m = real.encoders.read(q_link, rng)
    tip = real.tip(q_link)
    x = tip + real.tracker_spec.noise_mm * 1e-3 * rng.standard_normal(tip.shape)
    t = np.arange(n) / real.tracker_spec.rate_hz
    return Dataset(
        t=t,
        q=q_m,
        tracker_t=t,
        tracker_x=x,
        tracker_ok=np.ones(n, bool),
        truth_q=q_link,
        truth_tip=tip,
        meta=metadata(
            real,
            "static",
            note="FK of the real arm at random q with the sensor models applied; no dynamics",
            seed_collect=seed,
            margin=margin,
        ),
    )
