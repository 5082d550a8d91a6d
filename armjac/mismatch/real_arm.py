"""The "real" arm: a nominal arm with drawn geometric, tool and payload errors.

What changes in the URDF (the physical chain ArmSim simulates): every movable
joint origin on the chain moves by the drawn offset (and its length scales by
``1 + link_scale``), and a load link carries the tool and payload masses. Both
are an :class:`~armjac.model.adjustment.Adjustment` of the nominal arm, so
every drawn arm runs on the nominal URDF's one adjustable family of kernels,
with no compilation per draw. The
joint zero offsets are not written into the URDF: a zero offset *is* an
encoder offset (the reading is zero where the kinematic angle is not), so it
lives in the encoder model, together with eccentricity and deflection
(:class:`~armjac.mismatch.sensors.Encoders`).

Ground truth (``truth``) is for metrics only: controllers see the nominal arm,
the assumed tool point and the sensors.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from armjac.mismatch.sensors import Encoders, JointTorqueSensor, Tracker
from armjac.model.adjustment import Adjustment, load_parameters
from armjac.model.tree import Inertial, RobotModel
from armjac.model.urdf import load_urdf
from armjac.model.urdf_write import write_urdf


@dataclasses.dataclass
class RealArm:
    """One drawn real arm, its sensors and the ground truth behind them.

    Attributes
    ----------
    arm : Arm
        The real chain (ArmSim simulates it: ``ArmSim(real.arm)``); its ``ee_link``
        is the nominal's.
    nominal : Arm
        The URDF as the controllers believe it.
    assumed_point : (3,) array
        The tool point the controllers are told (nominal EE link frame).
    tool_point : (3,) array
        The real tool tip in the real EE link frame (truth).
    encoders : Encoders
        The joint encoder model (``encoders.read(q_link, rng)``).
    tracker_spec : TrackerSpec
    torque_sensor : JointTorqueSensor
        The joint-torque sensor model (``torque_sensor.read(tau_motor, dq, rng)``); set
        its ``damping`` to the simulator's joint damping.
    truth : dict
        Every drawn parameter, for metrics and tests.
    spec, seed
        What it was drawn from.
    """

    arm: object
    nominal: object
    assumed_point: np.ndarray
    tool_point: np.ndarray
    encoders: Encoders
    tracker_spec: object
    torque_sensor: JointTorqueSensor
    truth: dict
    spec: object
    seed: int
    urdf_path: Path

    def tip(self, q_link) -> np.ndarray:
        """True tool-tip position (3,)/(B, 3) at the true link angles ``q_link``."""
        return self.arm.position(q_link, point=self.tool_point)

    @functools.cached_property
    def load_data_arm(self):
        """The nominal arm carrying the spec's tool and payload masses as load data
        (:func:`nominal_with_load`), built once per real arm."""
        return nominal_with_load(self.spec, nominal=self.nominal)

    def tip_jacobian(self, q_link) -> np.ndarray:
        """True tool-tip Jacobian (3, N)/(B, 3, N) with respect to the link angles."""
        return self.arm.jacobian(q_link, point=self.tool_point)[..., :3, :]

    def measured_jacobian(self, q_link, eps: float = 1e-6) -> np.ndarray:
        """True d tip / d q_measured (3, N) at one configuration: what a model of the
        measured readings should have as its Jacobian (central differences through
        the noise-free encoder map, which is invertible for small errors)."""
        q_link = np.asarray(q_link, float)
        dqm_dql = np.empty((self.arm.dof, self.arm.dof))
        for j in range(self.arm.dof):
            d = np.zeros(self.arm.dof)
            d[j] = eps
            dqm_dql[:, j] = (self.encoders.read(q_link + d) - self.encoders.read(q_link - d)) / (
                2 * eps
            )
        return self.tip_jacobian(q_link) @ np.linalg.inv(dqm_dql)

    def tracker(self, seed: int | None = None) -> Tracker:
        """A fresh tracker with this spec's rate, noise, latency and dropouts."""
        return Tracker(self.tracker_spec, seed=self.seed + 7919 if seed is None else seed)


def _tool_load(point: np.ndarray, tool_mass: float, payload_mass: float) -> np.ndarray:
    """A rod of ``tool_mass`` from the origin to ``point``, plus a point payload there,
    as linear load parameters (:mod:`armjac.model.adjustment`), which simply add."""
    length = float(np.linalg.norm(point))
    u = point / max(length, 1e-12)
    # thin rod about its centre, plus a small sphere's worth so no principal moment is 0
    rod = tool_mass * length**2 / 12.0 * (np.eye(3) - np.outer(u, u)) + 1e-6 * np.eye(3)
    sym = tuple(float(rod[i, j]) for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)))
    parts = (
        Inertial(mass=float(tool_mass), xyz=tuple(map(float, 0.5 * point)), inertia=sym),
        Inertial(mass=float(payload_mass), xyz=tuple(map(float, point))),
    )
    return sum(load_parameters(part) for part in parts)


def make_real_arm(spec, seed: int = 0, *, nominal=None, out_dir=None) -> RealArm:
    """Draw the real arm of ``spec`` with ``seed`` and write its URDF.

    Parameters
    ----------
    spec : MismatchSpec
    seed : int
        The same seed gives the same arm.
    nominal : Arm, optional
        The nominal arm (default: ``load_arm(spec.arm)``).
    out_dir : path, optional
        Where ``real.urdf`` goes (default: a folder under the system's temporary
        folder named by a hash of the nominal chain and the drawn numbers, so the
        same arm is written once).
    """
    from armjac.arm import load_arm

    nominal = load_arm(spec.arm) if nominal is None else nominal
    rng = np.random.default_rng(seed)
    n = nominal.dof
    origin = rng.normal(0.0, spec.joint_origin_mm * 1e-3, (n, 3))
    scale = rng.normal(0.0, spec.link_scale, n)
    zero = np.radians(rng.normal(0.0, spec.joint_zero_deg, n))
    tool_point = np.asarray(spec.tool_assumed, float) + rng.normal(
        0.0, spec.tool_error_mm * 1e-3, 3
    )
    ecc_amp = np.radians(spec.eccentricity_deg) * rng.uniform(0.5, 1.0, n)
    ecc_phase = rng.uniform(0.0, 2 * np.pi, n)
    # drawn after every earlier number, so the same seed keeps giving the same arm
    torque_bias = rng.normal(0.0, spec.torque_bias_Nm, n)

    xyz = np.array([j.xyz for j in nominal.joints])
    offsets = xyz * scale[:, None] + origin  # xyz (1 + scale) + origin
    load = None
    if spec.tool_mass + spec.payload_mass > 0:
        load = _tool_load(tool_point, spec.tool_mass, spec.payload_mass)
    if out_dir is None:  # named by what the real chain is made of: written once
        numbers = Adjustment(offsets, load).vector(n).tobytes()
        tag = hashlib.sha256(nominal.model.fingerprint().encode() + numbers).hexdigest()
        out_dir = Path(tempfile.gettempdir()) / "armjac-real" / tag[:16]
    urdf = Path(out_dir) / "real.urdf"
    arm = nominal.adjusted(offsets, load, name=f"{nominal.name}-real-{seed}", source=str(urdf))
    if not urdf.is_file() or load_urdf(urdf) != arm.model:
        _write_atomically(arm.model, urdf)
    stiffness = None
    if spec.stiffness is not None:
        stiffness = (
            np.broadcast_to(np.asarray(spec.stiffness, float), (n,)).copy()
            if len(spec.stiffness) in (1, n)
            else _bad_stiffness(spec, n)
        )
    encoders = Encoders(
        gravity=arm.gravity,
        zero_offset=zero,
        ecc_amplitude=ecc_amp,
        ecc_phase=ecc_phase,
        stiffness=stiffness,
        noise=np.radians(spec.encoder_noise_deg),
    )
    truth = {
        "joint_origin_offset": origin,
        "link_scale": scale,
        "joint_zero_offset": zero,
        "tool_point": tool_point,
        "eccentricity_amplitude": ecc_amp,
        "eccentricity_phase": ecc_phase,
        "stiffness": stiffness,
        "torque_bias": torque_bias,
    }
    return RealArm(
        arm,
        nominal,
        np.asarray(spec.tool_assumed, float),
        tool_point,
        encoders,
        spec.tracker,
        JointTorqueSensor(torque_bias, spec.torque_noise_Nm),
        truth,
        spec,
        int(seed),
        urdf,
    )


def nominal_with_load(spec, *, nominal=None):
    """The nominal arm carrying the spec's tool and payload at the *assumed* tool point.

    The load data a controller is configured with (tool and payload masses, as on a
    datasheet): no geometric errors and no tool-tip error, so it is the nominal
    chain plus the same load as the real arm's (:func:`make_real_arm`) at the point
    the controllers are told. Without a tool or payload mass it is the nominal arm
    itself. It is a model for controllers, so no URDF of it is written.

    Parameters
    ----------
    spec : MismatchSpec
    nominal : Arm, optional
        The nominal arm (default: ``load_arm(spec.arm)``).
    """
    from armjac.arm import load_arm

    nominal = load_arm(spec.arm) if nominal is None else nominal
    if spec.tool_mass + spec.payload_mass <= 0:
        return nominal
    point = np.asarray(spec.tool_assumed, float)
    load = _tool_load(point, spec.tool_mass, spec.payload_mass)
    return nominal.adjusted(None, load, name=f"{nominal.name}+load")


def _write_atomically(model: RobotModel, urdf: Path) -> None:
    """Write the URDF beside its place and rename it in (parallel runs may share it)."""
    urdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = urdf.with_name(f".{urdf.name}.{os.getpid()}.tmp")
    write_urdf(model, tmp)
    os.replace(tmp, urdf)


def _bad_stiffness(spec, n: int):
    from armjac.errors import ConfigError

    raise ConfigError(
        f"{spec.source}: encoders.stiffness: has {len(spec.stiffness)} values; "
        f"{spec.arm} has {n} joints (give one number or {n})"
    )
