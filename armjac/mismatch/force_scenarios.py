"""Force from joint torques on a real arm that is not its URDF.

=====================  ==============================================================
``real_press``         the press, its force loop closed on the observer through the
                       model's J and g (below)
``tool_change_force``  ``tool_change`` (:mod:`armjac.scenarios.adaptive`) with the
                       observer watching: the contact-free hand's estimated force
                       (truth: zero) before and after the unknown tool change, per
                       adaptation rule
=====================  ==============================================================

``real_press`` simulates the real arm of ``task.mismatch`` (as ``calibrated_reach``
does) and runs the press (:class:`~armjac.scenarios.types.Press`) on it. The
controller sees the encoder readings (``readings: encoders``; ``true``: the true
angles) and closes its force loop on the momentum observer
(:class:`~armjac.estimation.MomentumObserver`) fed the real arm's joint-torque
sensor (:class:`~armjac.mismatch.sensors.JointTorqueSensor`: bias and noise; the
joints' damping left out of the reading, so the observer needs no damping model).
Observer and controller use the model: its Jacobian is the scenario's source (the
nominal URDF at the assumed tool point by default), its gravity and mass matrix
``task.dynamics``:

* ``nominal``: the URDF, without the tool and payload;
* ``load_data``: the URDF carrying the spec's tool and payload at the assumed tool point;
* ``identified``: the source's arm (the nominal, or a calibrated arm) carrying the load
  identified from ``load_poses`` static poses (:func:`~armjac.mismatch.load.identified_load`);
* ``real``: the real arm itself (with ``readings: true`` and the real arm as the source:
  the exact model).

**What touches.** A real arm's URDF carries its tool and payload as masses, with no
collision shapes, so the simulated arm would pass through the table. The payload
is therefore simulated as a sphere of its mass and radius :data:`TIP_RADIUS` at the
real tool point (the arm drawn without it, same geometry), and the table's force on
that sphere is the score (a spec without a payload gets a 10 g sphere, which no
model knows of). Scores use the simulator's contact force, which nothing in the loop
sees::

    scenario: real_press
    arm: kuka_iiwa
    task:
      mismatch: {spec: kuka_iiwa, seed: 0}
      dynamics: identified
      ...                       # the press's keys; force_from: observer
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.scenarios.adaptive import MODEL_EVERY, ToolChange
from armjac.scenarios.contact import DEFAULT_OBSERVER_GAIN, ForceSensing
from armjac.scenarios.metrics import time_to_stay_within
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Press

MISMATCH_KEYS = {"spec", "seed"}
DYNAMICS = ("nominal", "load_data", "identified", "real")
READINGS = ("encoders", "true")
EXTRA_KEYS = {"mismatch", "dynamics", "readings", "load_poses", "torque_sensor"}
TIP_RADIUS = 0.01  # m, the sphere at the tool point that touches the table
BARE_TIP_MASS = 0.01  # kg, the sphere when the spec has no payload


class _TipContact:
    """The simulator seen from the tool-tip sphere: its contact force and depth are the
    sphere's (the engine's own sums over a body's contact points), the rest is the arm's.
    PyBullet only: it reads the contact points of any body by id."""

    def __init__(self, sim, body: int):
        self._sim, self.body_id, self.contact_links = sim, body, {-1}

    def __getattr__(self, name):
        return getattr(self._sim, name)

    def contact_force(self, other=None) -> np.ndarray:
        """The world's force on the tip sphere, N (see ArmSim.contact_force)."""
        return type(self._sim).contact_force(self, other)

    def contact_depth(self, other=None) -> float:
        """The tip sphere's penetration, m (see ArmSim.contact_depth)."""
        return type(self._sim).contact_depth(self, other)


def _validate_sensor(task: Reader) -> None:
    """``torque_sensor: {noise_Nm, bias_Nm}`` (optional; default the spec's sensor)."""
    from armjac.mismatch.load import SENSOR_KEYS

    if task.data.get("torque_sensor") is not None:
        s = task.mapping("torque_sensor")
        s.check_keys(SENSOR_KEYS)
        for key in SENSOR_KEYS:
            s.number(key, 0.0, minimum=0.0)


class SensedObserver(ForceSensing):
    """The observer fed a joint-torque sensor's reading of the applied torque (bias,
    noise, no damping) instead of the commanded torque itself."""

    def __init__(self, task: Reader, dt: float, sensor, rng: np.random.Generator):
        super().__init__(task, "observer", dt)
        self.torque_sensor, self.rng = sensor, rng

    def attach(self, controller, sim=None) -> None:
        """The observer on ``controller``'s model, with no damping of its own: the
        sensor leaves the joints' damping out of its reading."""
        super().attach(controller, None)
        if sim is not None:
            self.torque_sensor.damping = sim.joint_damping

    def applied_torque(self, sim, dq: np.ndarray) -> np.ndarray:
        """The sensor's reading of the torque applied over the last step."""
        return self.torque_sensor.read(sim.get_feedback()["u"], dq, self.rng)


@register_scenario
class RealPress(Press):
    """The press on the real arm of ``task.mismatch``, force from its joint-torque sensor
    through the model (see the module doc)."""

    kind = "real_press"
    keys = Press.keys | EXTRA_KEYS

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Press's keys plus ``mismatch``, ``dynamics``, ``readings``, ``load_poses`` and
        ``torque_sensor: {noise_Nm, bias_Nm}``."""
        from armjac.mismatch.scenario import mismatch_section

        super().validate(task)
        mismatch_section(task, MISMATCH_KEYS)
        task.string("dynamics", "identified", DYNAMICS)
        task.string("readings", "encoders", READINGS)
        task.integer("load_poses", 12, minimum=3, maximum=1000)
        _validate_sensor(task)

    def __init__(self, *args):
        from armjac.mismatch import load_spec
        from armjac.mismatch.load import torque_sensor

        super().__init__(*args)
        tk = self.task
        m = tk.mapping("mismatch")
        spec, seed = load_spec(m.data["spec"]), m.integer("seed", 0)
        self.real = spec.realize(seed, nominal=self.arm)
        # the same arm without its payload, which the tip sphere then carries
        self.tip_mass = spec.payload_mass or BARE_TIP_MASS
        bare = dataclasses.replace(spec, payload_mass=0.0)
        self.bare = bare.realize(seed, nominal=self.arm) if spec.payload_mass else self.real
        self.tip = None
        self.start_pos = self.real.tip(self.q0)
        self.model_dynamics = tk.string("dynamics", "identified", DYNAMICS)
        self.true_readings = tk.string("readings", "encoders", READINGS) == "true"
        self.enc_rng = np.random.default_rng(self.cfg.seed + 11)
        settings = tk.data.get("torque_sensor")
        self.sensor = torque_sensor(self.real, settings, self.cfg.seed + 13)
        if self.sensing.kind == "observer":
            self.sensing = SensedObserver(tk, self.cfg.dt, self.sensor,
                                          np.random.default_rng(self.cfg.seed + 14))  # fmt: skip
        self.load = None  # the identified load, when dynamics is identified
        self.model_arm = None  # the source's arm, which carries an identified load

    @property
    def sim_arm(self):
        """The real arm without its payload (see :meth:`setup`)."""
        return self.bare.arm

    def setup(self, sim) -> None:
        """The press's table, and the payload as a sphere at the real tool point."""
        from armjac.sim.pybullet_sim import PyBulletSim

        if not isinstance(sim, PyBulletSim):  # _TipContact reads PyBullet's contact points
            raise ConfigError(
                f"{self.cfg.where('engine')}: {self.kind} runs on pybullet only (the real arm's "
                "URDF has no collision shapes; its tool tip is a sphere read by body id)"
            )
        super().setup(sim)
        body = sim.add_payload(self.tip_mass, self.real.tool_point, radius=TIP_RADIUS)
        self.tip = _TipContact(sim, body)

    def source(self, src):
        """The nominal URDF is taken at the assumed tool point; other sources as they are
        (a model of the tool tip). A source's ``arm`` carries an identified load."""
        from armjac.learned.residual import TipNominal

        if src is self.arm:
            src = TipNominal(self.arm, self.real.assumed_point)
        arm = getattr(src, "arm", None)
        self.model_arm = arm if callable(getattr(arm, "gravity", None)) else None
        return src

    def build(self, make) -> None:
        """The press's controllers, measuring the tip with the model's own FK of the readings."""
        self.controllers["approach"] = make("osc", "source")
        self.controllers["contact"] = make("hybrid", "source")

    def ee_pose(self, sim, feedback: dict) -> tuple[np.ndarray, np.ndarray]:
        """The true tool tip (the score), and the EE link's orientation."""
        return self.real.tip(feedback["q"]), sim.ee_pose()[1]

    def dynamics(self, dyn):
        """The model's gravity and mass matrix (``task.dynamics``; module doc)."""
        from armjac.mismatch.load import identified_load

        if self.model_dynamics == "real":
            return self.real.arm
        if self.model_dynamics == "load_data":
            return self.real.load_data_arm
        if self.model_dynamics == "nominal":
            return self.real.nominal
        base = self.model_arm or self.real.nominal  # the source's own chain, if it has one
        poses = self.task.integer("load_poses", 12)
        self.load = identified_load(self.real, self.sensor, poses, self.cfg.seed + 15, base)
        return self.load.arm

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim):
        """The press from the encoder readings (or the true angles)."""
        q_m = q if self.true_readings else self.real.encoders.read(q, self.enc_rng)
        return super().command(k, q_m, dq, self.tip)

    def extra_metrics(self, log: dict) -> dict:
        """Also the identified load's mass and centre of mass."""
        out = super().extra_metrics(log)
        if self.load is not None:
            out |= {"load_mass_kg": self.load.mass, "load_com_m": self.load.com.tolist()}
        return out


@register_scenario
class ToolChangeForce(ToolChange):
    """``tool_change`` with a momentum observer on the controller's model (its dynamics,
    the adapting model's Jacobian), fed the real arm's joint-torque sensor. The hand
    touches nothing, so every newton it estimates is a model error; scored: how long
    after the change until the estimate stays within ``force_tolerance`` N."""

    kind = "tool_change_force"
    keys = ToolChange.keys | {"observer_gain", "torque_sensor", "force_tolerance"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also ``observer_gain`` (1/s), ``force_tolerance`` (N) and ``torque_sensor``."""
        super().validate(task)
        task.number("observer_gain", positive=True)
        task.number("force_tolerance", positive=True)
        _validate_sensor(task)

    def __init__(self, *args):
        from armjac.mismatch.load import torque_sensor

        super().__init__(*args)
        self.sensor = torque_sensor(self.real, self.task.data.get("torque_sensor"),
                                    self.cfg.seed + 13)  # fmt: skip
        self.force_rng = np.random.default_rng(self.cfg.seed + 14)
        self.observer = None
        self.force_err: list[tuple[float, float]] = []  # (t, |estimated force|)

    def build(self, make) -> None:
        """The controller, then the observer on its dynamics and the adapting model's J."""
        from armjac.estimation import MomentumObserver

        super().build(make)
        model = self.controllers["main"].model
        gain = self.task.number("observer_gain", DEFAULT_OBSERVER_GAIN)
        self.observer = MomentumObserver(model.dynamics, self.cfg.dt, gain, jacobian=self.model)
        rows = np.asarray(self.model.jacobian(self.q0)).shape[0]
        self._wrench = rows >= 6 and self.arm.dof >= 6

    def setup(self, sim) -> None:
        """The sensor leaves the simulated joints' damping out of its reading."""
        super().setup(sim)
        self.sensor.damping = sim.joint_damping

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """The tool change's command; the observer reads the sensor and the readings."""
        u = super().command(k, q, dq, sim)
        tau = self.sensor.read(sim.get_feedback()["u"], dq, self.force_rng)
        obs, q_read = self.observer, self.q_read[k]
        obs.update(q_read, dq, tau)
        if k % MODEL_EVERY == 0 and k > 0:
            f = obs.wrench(q_read)[:3] if self._wrench else obs.force(q_read)
            self.force_err.append((k * self.cfg.dt, float(np.linalg.norm(f))))
        return u

    def extra_metrics(self, log: dict) -> dict:
        """Also ``force_recovery_time_s`` (from the change until the estimate stays within
        the tolerance), the median estimate before the change and over the last second,
        and the ``force_curve``."""
        out = super().extra_metrics(log)
        tol = self.task.number("force_tolerance", 1.0)
        ts, f = np.array(self.force_err).reshape(-1, 2).T
        before = (ts >= self.at - 0.5) & (ts < self.at)
        after = ts >= self.at
        return out | {
            "force_tolerance_N": tol,
            "force_recovery_time_s": time_to_stay_within(ts[after], f[after], tol, self.at),
            "force_before_change_N": _median(f[before]),
            "force_end_N": _median(f[ts >= ts[-1] - 1.0]) if ts.size else math.nan,
            "force_curve": {"t": ts, "force_N": f},
        }


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else math.nan
