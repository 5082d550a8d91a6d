"""Joint torques at static poses, measured on a simulated arm: the data of load identification.

The arm moves from pose to pose along minimum-jerk joint paths under computed-torque
control on the controller's model (which does not know the load), holds each pose
until it is still (no joint faster than ``still`` rad/s over the averaging window: a
load hanging on a compliant mount swings for a while), and averages the joint-torque
reading over that window. It needs only the simulator interface (``get_feedback``,
``send_forces``).
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError, SimulationError
from armjac.validation import as_float_array, check_gain

# Joint-space gains of the hold: a 0.1 s settling time, well damped.
_KP, _KV = 400.0, 40.0


def _min_jerk(s: float) -> tuple[float, float, float]:
    s = min(max(s, 0.0), 1.0)
    return (
        s**3 * (10 - 15 * s + 6 * s * s),
        30 * s * s * (1 - s) ** 2,
        60 * s * (1 - s) * (1 - 2 * s),
    )


def measure_static_torques(
    sim,
    poses,
    model,
    *,
    move_time: float = 1.5,
    hold_time: float = 0.6,
    average_time: float = 0.2,
    still: float = 2e-3,
    max_hold: float = 5.0,
    sensor=None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Visit ``poses`` (P, N) in order and return the held joint positions and torques.

    Parameters
    ----------
    sim : ArmSim
        A connected simulation of the arm (carrying whatever load it carries).
    poses : (P, N) array
        Joint positions to hold.
    model : Arm
        The controller's model (its dynamics, without the unknown load).
    move_time, hold_time, average_time : float
        Seconds to move to each pose, to hold it at least, and to average over at the end.
    still : float
        Joint speed (rad/s) below which the arm counts as still.
    max_hold : float
        Longest hold, s; a pose still moving then raises ``SimulationError``.
    sensor : JointTorqueSensor, optional
        Reads the torques (bias, noise); default: the applied torques themselves.
    rng : Generator, optional
        The sensor's noise.

    Returns
    -------
    q : (P, N) array
        The mean joint positions over each averaging window.
    tau : (P, N) array
        The mean joint-torque readings there, N·m.
    """
    targets = as_float_array(poses, "poses")
    if targets.ndim != 2 or targets.shape[1] != model.dof:
        raise InputError(f"poses must have shape (P, {model.dof}); got {targets.shape}")
    for name, value in (("move_time", move_time), ("hold_time", hold_time)):
        check_gain(name, value)
    if not 0 < average_time <= hold_time:
        raise InputError(f"average_time must be in (0, hold_time]; got {average_time!r}")
    dt = sim.dt
    n_move, n_hold = int(round(move_time / dt)), int(round(hold_time / dt))
    n_avg, n_max = max(1, int(round(average_time / dt))), int(round(max_hold / dt))
    q_out, tau_out = np.empty_like(targets), np.empty_like(targets)
    for i, goal in enumerate(targets):
        start = sim.get_feedback()["q"]
        window_q, window_tau, speeds = [], [], []
        for k in range(n_move + n_max):
            fb = sim.get_feedback()
            q, dq = fb["q"], fb["dq"]
            s, ds, dds = _min_jerk(k / n_move) if n_move else (1.0, 0.0, 0.0)
            qd = start + s * (goal - start)
            vd = ds / move_time * (goal - start)
            ad = dds / move_time**2 * (goal - start)
            acc = ad + _KP * (qd - q) + _KV * (vd - dq)
            u = model.mass_matrix(q) @ acc + model.nonlinear_effects(q, dq)
            sim.send_forces(u)
            if k < n_move:
                continue
            after = sim.get_feedback()
            window_q.append(after["q"])
            window_tau.append(u if sensor is None else sensor.read(u, after["dq"], rng))
            speeds.append(float(np.abs(after["dq"]).max()))
            del window_q[:-n_avg], window_tau[:-n_avg], speeds[:-n_avg]
            if k - n_move + 1 >= max(n_hold, n_avg) and max(speeds) < still:
                break
        else:
            raise SimulationError(
                f"pose {i} is still moving after {max_hold:g} s of holding "
                f"(joint speed {max(speeds):.3g} rad/s > {still:g})"
            )
        q_out[i], tau_out[i] = np.mean(window_q, axis=0), np.mean(window_tau, axis=0)
    return q_out, tau_out
