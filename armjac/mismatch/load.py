"""The real arm's tool and payload as a controller can know them: identified from its
joint-torque sensor at static poses.

:func:`identified_load` has the real arm hold poses designed on the nominal arm
(:func:`~armjac.estimation.load.design_load_poses`), reads them through the
encoders and the joint-torque sensor, and fits the load with
:func:`~armjac.estimation.load.identify_load` on a model arm: the nominal, or a
calibrated one (:func:`loadable` lets a calibrated arm carry the load).
"""

from __future__ import annotations

import copy

import numpy as np

SENSOR_KEYS = {"noise_Nm", "bias_Nm"}


class _Loadable:
    """A calibrated arm (:class:`~armjac.calibration.OffsetArm` or ``JointErrorArm``: a chain
    ``base`` read through a map of the joint readings) with ``adjusted(load=...)``, which
    :func:`~armjac.estimation.load.identify_load` needs: the load goes onto the chain, the
    reading map stays."""

    def __init__(self, arm):
        self._arm = arm

    def __getattr__(self, name):
        return getattr(self._arm, name)

    def __repr__(self) -> str:
        return repr(self._arm)

    def adjusted(self, origin_offsets=None, load=None, *, name=None, source=None):
        """The calibrated arm whose chain carries ``load`` (see :meth:`armjac.arm.Arm.adjusted`)."""
        out = copy.copy(self._arm)
        out.base = self._arm.base.adjusted(origin_offsets, load, name=name, source=source)
        return out


def loadable(arm):
    """``arm`` if it can carry a load (``adjusted``); a calibrated arm (with a ``base``
    chain) wrapped so that it can; None for anything without gravity torques."""
    if arm is None or not callable(getattr(arm, "gravity", None)):
        return None
    if callable(getattr(arm, "adjusted", None)):
        return arm
    return _Loadable(arm) if hasattr(arm, "base") else None


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
