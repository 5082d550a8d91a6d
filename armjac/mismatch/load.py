"""The real arm's tool and payload as a controller can know them: identified from its
joint-torque sensor at static poses.

:func:`identified_load` has the real arm hold poses designed on the nominal arm
(:func:`~armjac.estimation.load.design_load_poses`), reads them through the
encoders and the joint-torque sensor, and fits the load with
:func:`~armjac.estimation.load.identify_load` on a model arm: the nominal, or a
calibrated one (a :class:`~armjac.calibration.CalibratedArm` carries it in its dynamics).
"""

from __future__ import annotations

import numpy as np

SENSOR_KEYS = {"noise_Nm", "bias_Nm"}


def loadable(arm):
    """``arm`` if it can carry a load (``adjusted``, as an Arm or a
    :class:`~armjac.calibration.CalibratedArm` has), else None."""
    if arm is None or not callable(getattr(arm, "gravity", None)):
        return None
    return arm if callable(getattr(arm, "adjusted", None)) else None


def torque_sensor(real, settings: dict | None = None, seed: int = 0):
    """The real arm's joint-torque sensor, or one with ``settings`` ``{noise_Nm, bias_Nm}``
    (a bias drawn per joint from N(0, bias_Nm) with ``seed``), e.g. to compare sensors on
    one arm. A fresh object: its ``damping`` may be set without touching the real arm's."""
    from armjac.mismatch.sensors import JointTorqueSensor

    if not settings:
        s = real.torque_sensor
        return JointTorqueSensor(s.bias.copy(), s.noise, s.damping)
    bias = np.random.default_rng(seed).normal(0.0, float(settings["bias_Nm"]), real.arm.dof)
    return JointTorqueSensor(bias, float(settings["noise_Nm"]))


def true_load(real) -> dict:
    """The tool and payload the real arm carries: ``mass`` (kg) and ``com`` (EE frame, m)."""
    spec = real.spec
    mass = spec.tool_mass + spec.payload_mass
    tip = np.asarray(real.tool_point, float)
    com = (0.5 * spec.tool_mass + spec.payload_mass) * tip / mass if mass > 0 else np.zeros(3)
    return {"mass": float(mass), "com": com}


def identified_load(real, sensor, n_poses: int = 12, seed: int = 0, arm=None):
    """The real arm's load identified on ``arm`` (default the nominal) from ``n_poses``
    static poses.

    Parameters
    ----------
    real : RealArm
    sensor : JointTorqueSensor
        What reads the torques holding each pose (:func:`torque_sensor`).
    n_poses : int
        Poses designed on the nominal arm; the real arm holds them (as true angles),
        the encoders read them with their errors, the sensor reads the real gravity
        torques with its bias and noise.
    seed : int
        The pose design and the noise.
    arm : Arm or calibrated arm, optional
        The model the load is identified on (see :func:`loadable`).

    Returns
    -------
    LoadEstimate
        Its ``arm`` is ``arm`` carrying the load.
    """
    from armjac.errors import InputError
    from armjac.estimation.load import design_load_poses, identify_load

    model = real.nominal if arm is None else loadable(arm)
    if model is None:
        raise InputError(f"{arm!r} has no gravity torques to carry an identified load")
    rng = np.random.default_rng(seed)
    q_true = design_load_poses(real.nominal, n_poses, rng=seed)
    q_read = real.encoders.read(q_true, rng)
    tau = sensor.read(np.asarray(real.arm.gravity(q_true)), np.zeros_like(q_true), rng)
    return identify_load(model, q_read, tau)
