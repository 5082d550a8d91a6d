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

import math

import numpy as np

from armjac import configs
from armjac.errors import InputError
from armjac.mismatch.dataset import Dataset, metadata
from armjac.validation import as_count, check_gain

DEFAULT_MARGIN = 0.1  # fraction of each joint range kept free at both ends
DEFAULT_SEGMENT = 0.5  # s, the shortest move between via points
DEFAULT_MAX_SPEED = 1.5  # rad/s (m/s), peak planned joint speed: a real iiwa's axes do 1.5-2.3
PEAK = 1.875  # peak speed of a minimum-jerk move, in units of its mean speed


def _min_jerk(s: float) -> tuple[float, float]:
    """Position and velocity profile (fractions) of a minimum-jerk move at phase s."""
    return s**3 * (10 - 15 * s + 6 * s * s), 30 * s * s * (1 - s) ** 2


DESIGNS = ("random", "halton", "calibration")
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53)


def halton(n: int, dim: int, rng) -> np.ndarray:
    """``n`` points of the Halton sequence in [0, 1)^dim, skipping its first 20 and
    randomly shifted modulo 1 (a Cranley-Patterson rotation: the seed picks the design)."""
    if dim > len(_PRIMES):
        raise InputError(f"a Halton design covers up to {len(_PRIMES)} joints; got {dim}")
    idx = np.arange(20, 20 + n)
    out = np.zeros((n, dim))
    for j, base in enumerate(_PRIMES[:dim]):
        k, f = idx.copy(), 1.0 / base
        while k.any():
            out[:, j] += f * (k % base)
            k //= base
            f /= base
    return (out + rng.random(dim)) % 1.0


def _via_points(arm, rng, margin: float, design: str):
    """An endless supply of via points within the limits (shrunk by ``margin``)."""
    if design == "random":
        while True:
            yield arm.random_q(None, rng, margin)
    if design == "calibration":  # armjac.calibration.design_poses, 32 at a time
        from armjac.calibration import design_poses

        while True:
            yield from design_poses(arm, 32, margin=margin, seed=int(rng.integers(2**31)))
    lo, hi = arm.sample_bounds(margin)
    while True:  # space-filling: every joint swept across its range in turn
        yield from lo + (hi - lo) * halton(256, arm.dof, rng)


def via_schedule(arm, start, duration, rng, margin, segment, max_speed, design="random"):
    """Via points (random or a space-filling design) and their arrival times: each move
    lasts long enough that no joint's planned speed exceeds ``max_speed`` (or its URDF
    velocity limit)."""
    if design not in DESIGNS:
        raise InputError(f"design must be one of {DESIGNS}; got {design!r}")
    vmax = np.minimum(max_speed, np.where(np.isfinite(arm.velocity_limits),
                                          arm.velocity_limits, max_speed))  # fmt: skip
    points, times = [np.asarray(start, float)], [0.0]
    supply = _via_points(arm, rng, margin, design)
    while times[-1] < duration:
        nxt = next(supply)
        move = max(segment, PEAK * float(np.max(np.abs(nxt - points[-1]) / vmax)))
        points.append(nxt)
        times.append(times[-1] + move)
    return np.array(points), np.array(times)


def joint_gains(arm) -> tuple[np.ndarray, np.ndarray]:
    """PD gains scaled to each joint's inertia at home (stiff but stable at 1 kHz)."""
    inertia = np.clip(np.diag(arm.mass_matrix(arm.home)), 1e-3, None)
    kp = 400.0 * inertia / inertia.max() + 100.0 * inertia
    wn = np.sqrt(kp / inertia)
    return kp, 2.0 * wn * inertia


def check_seed(seed) -> int:
    """A seed numpy takes: an integer in [0, MAX_SEED] (InputError otherwise)."""
    return as_count(seed, "seed", minimum=0, maximum=configs.MAX_SEED)


def check_margin(margin) -> float:
    """A margin in [0, 0.5): the fraction of each joint range kept free at both ends."""
    m = check_gain("margin", margin, zero=True)
    if m >= 0.5:
        raise InputError(f"margin must be in [0, 0.5) (a fraction kept free at both ends); "
                         f"got {margin!r}")  # fmt: skip
    return m


def check_run(duration, dt, seed) -> int:
    """The steps of a :func:`collect` run, or InputError before any work or allocation."""
    check_seed(seed)
    duration, dt = check_gain("duration", duration), check_gain("dt", dt)
    if duration > configs.MAX_DURATION:
        raise InputError(f"duration must be <= {configs.MAX_DURATION:g} s; got {duration!r}")
    if not configs.MIN_DT <= dt <= configs.MAX_DT:
        raise InputError(f"dt must be in [{configs.MIN_DT:g}, {configs.MAX_DT:g}] s; got {dt!r}")
    steps = math.ceil(duration / dt - 1e-9)
    if steps > configs.MAX_STEPS:
        raise InputError(f"duration / dt makes {steps} steps, more than {configs.MAX_STEPS}")
    return steps


def collect(
    real,
    duration: float = 40.0,
    *,
    seed: int = 0,
    segment: float = DEFAULT_SEGMENT,
    margin: float = DEFAULT_MARGIN,
    max_speed: float = DEFAULT_MAX_SPEED,
    dt: float = 1e-3,
    design: str = "random",
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
        Shortest minimum-jerk move between via points, s.
    margin : float
        Fraction of each joint range kept free at both ends.
    max_speed : float
        Peak planned joint speed, rad/s (moves are timed so none is faster).
    dt : float
        Simulation and control period, s.
    design : {"random", "halton", "calibration"}
        Via points: iid uniform, or a randomly shifted Halton sequence over the
        joint box (space-filling: fewer near-repeats, every joint's range covered),
        or poses chosen for calibration (:func:`armjac.calibration.design_poses`).

    Returns
    -------
    Dataset
        ``kind: trajectory``.
    """
    from armjac.control import JointPD
    from armjac.progress import progress_bar
    from armjac.sim import ArmSim

    check_run(duration, dt, seed)
    segment, max_speed = check_gain("segment", segment), check_gain("max_speed", max_speed)
    margin = check_margin(margin)
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
    via, arrive = via_schedule(
        nominal, nominal.home, duration, rng, margin, segment, max_speed, design
    )
    bar = progress_bar(steps, enabled=progress, unit="step", desc="collect")
    with ArmSim(real.arm, dt=dt, q0=via[0]) as sim:
        for k in range(steps):
            fb = sim.get_feedback()
            t, q_link = fb["time"], fb["q"]
            q_m = real.encoders.read(q_link, rng)
            seg = int(np.searchsorted(arrive, t, side="right"))  # moving from via[seg - 1]
            a, b, length = via[seg - 1], via[seg], arrive[seg] - arrive[seg - 1]
            s, ds = _min_jerk((t - arrive[seg - 1]) / length)
            u = ctrl.generate(q_m, fb["dq"], a + (b - a) * s, (b - a) * ds / length)
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
            max_speed=max_speed,
            margin=margin,
            dt=dt,
            design=design,
        ),
    )


def static_samples(real, n: int, *, seed: int = 0, margin: float = DEFAULT_MARGIN) -> Dataset:
    """``n`` static samples: FK of the real arm at uniform random link angles.

    The encoder model (with noise) and the tracker noise are applied; there are
    no dynamics, latency or dropouts. Much faster than :func:`collect`; labelled
    ``kind: static``.
    """
    n = as_count(n, "n", minimum=1, maximum=configs.MAX_SAMPLES)
    check_seed(seed)
    margin = check_margin(margin)
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
