"""The wipe scenario: press on a table while tracing a circle on it, tool kept perpendicular.

Phases:

1. The arm starts above the circle's first point with the tool pointing down
   (the posture comes from inverse kinematics) and descends at
   ``approach_speed`` under motion control.
2. When the wrist force/torque sensor reads more than ``contact_threshold``
   N along the table normal, control switches to the hybrid controller:
   force along the normal (ramped to ``force`` over ``force_ramp`` s), motion
   in the table's plane and in orientation.
3. From ``t_circle`` the tool traces a circle of ``radius`` m at ``speed``
   m/s for ``circle_time`` s (constant speed between short minimum-jerk
   blends), with the trajectory's velocity and acceleration as feed-forward.

The controller measures force with the simulated wrist sensor (tool weight
tared), or with ``force_from: observer`` estimates it from joint torques
(:mod:`armjac.scenarios.contact`); the scores use the table's contact force from the simulator's
contact points, an independent measurement. Scored over the circle: force
RMSE, the in-plane (tangential) error to the moving reference, the radial
deviation from the circle, and the tilt of the tool's z axis from the table
normal.
"""

from __future__ import annotations

import math

import numpy as np

from armjac import ik
from armjac.configs import Reader
from armjac.control.orientation import normalize_quat
from armjac.errors import ConfigError
from armjac.rotation import matrix_from_quat
from armjac.scenarios.contact import (
    SENSING_KEYS,
    ForceSensing,
    Touchdown,
    estimate_error,
    validate_sensing,
)
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Scenario
from armjac.trajectory import Circle, Line

DOWN = np.array([0.0, 1.0, 0.0, 0.0])  # tool z axis pointing down (x, y, z, w)


class Wipe(Scenario):
    """Hold ``force`` N on a table while tracing a circle on it, tool perpendicular."""

    kind = "wipe"
    force_scenario = True
    keys = {
        "center", "table_height", "radius", "speed", "circle_time", "force", "approach_height",
        "approach_speed", "contact_threshold", "force_ramp", "settle_time", "blend", "friction",
        "orientation", "tool_length",
    } | SENSING_KEYS  # fmt: skip

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Needs ``center`` (x, y on the table) and ``table_height``; the rest is optional."""
        task.check_keys(cls.keys)
        task.vector("center", 2, ...)
        task.number("table_height", ...)
        task.vector("orientation", 4)
        for key in ("radius", "speed", "circle_time", "force", "approach_height",
                    "approach_speed", "contact_threshold", "tool_length"):
            task.number(key, positive=True)
        for key in ("force_ramp", "settle_time", "blend", "friction"):
            task.number(key, minimum=0.0)
        validate_sensing(task, "ft_sensor")

    def __init__(self, cfg, arm, q0, rng):
        super().__init__(cfg, arm, q0, rng)
        tk = self.task
        self.quat = normalize_quat(tk.vector("orientation", 4, DOWN.tolist()))
        self.table_height = tk.number("table_height")
        self.radius = tk.number("radius", 0.025)
        self.speed = tk.number("speed", 0.1)
        self.force = tk.number("force", 10.0)
        self.threshold = tk.number("contact_threshold", 1.0)
        self.force_ramp = tk.number("force_ramp", 0.3)
        self.settle_time = tk.number("settle_time", 0.5)
        cx, cy = tk.vector("center", 2)
        self.center = np.array([cx, cy, 0.0])
        height = tk.number("approach_height", 0.015)
        # The end-effector frame sits tool_length above the surface when the tool touches it.
        self.surface_z = self.table_height + tk.number("tool_length", 0.0)
        self.above = np.array([cx + self.radius, cy, self.surface_z + height])
        self.q0 = self._start_posture()
        self.start_pos = self.above.copy()
        # Descend at approach_speed to well below the surface: contact comes first.
        bottom = self.above - [0.0, 0.0, height + 0.05]
        self.descent = Line(self.above, bottom, profile="cruise",
                            vmax=tk.number("approach_speed", 0.01), amax=0.5)
        # When the tool touches at the latest (5 mm of slack for tool_length).
        self.t_touch_latest = ((height + 0.005) / self.descent.law.speed / np.linalg.norm(
            self.descent.delta)) + self.descent.law.ramp
        self.t_circle = self.t_touch_latest + self.force_ramp + self.settle_time
        circle_time = tk.number("circle_time", 5.0)
        blend = tk.number("blend", 0.25)
        if 2 * blend > circle_time:
            raise ConfigError(f"{cfg.where('task.blend')}: two blends must fit in circle_time")
        angle = self.speed * (circle_time - blend) / self.radius
        self.circle_time = circle_time
        self.t_end = self.t_circle + circle_time
        self.blend = blend
        self.angle = angle
        self.axes = np.array([1.0, 1.0, 0.0])  # position is scored in the table's plane
        # force_metrics: contact scored from the start, the "slide" is the circle.
        self.t_contact, self.t_slide, self.t_hold = 0.0, self.t_circle, self.t_end
        self.segments = [(self.t_circle, self.t_end)]
        self.table = None
        self.sensing = ForceSensing(tk, "ft_sensor", cfg.dt)
        self.touchdown = Touchdown(tk.number("contact_stiffness"), cfg.dt, self.force_ramp
                                   + self.settle_time)
        self.touched_at: float | None = None
        self.last_force = 0.0

    def _start_posture(self) -> np.ndarray:
        """The joint posture putting the tool above the circle's start, pointing down."""
        pose = np.eye(4)
        pose[:3, :3] = matrix_from_quat(self.quat)
        pose[:3, 3] = self.above
        res = ik.solve(self.arm, pose, self.arm.home, posture=self.arm.home, rng=self.cfg.seed)
        if not res.success:
            raise ConfigError(
                f"{self.cfg.where('task.center')}: no posture reaches {self.above.round(3)} "
                f"with the tool down (IK error {res.position_error:.2g} m)"
            )
        return res.q

    @property
    def duration(self) -> float:
        """Ends with the circle, unless the config sets ``duration``."""
        return self.cfg.duration or self.t_end

    def setup(self, sim) -> None:
        """Adds the table (0.5 x 0.5 x 0.1 m, top at ``table_height``) and the force sensing."""
        half = 0.05
        center = [self.center[0], self.center[1], self.table_height - half]
        self.table = sim.add_box([0.25, 0.25, half], center,
                                 friction=self.task.number("friction", 0.3),
                                 stiffness=self.task.number("contact_stiffness"),
                                 damping=self.task.number("contact_damping"))
        self.sensing.setup(sim)
        self.sensing.attach(self.controllers["contact"], sim)

    def check_controller(self, kind: str) -> None:
        """Accepts only ``hybrid``."""
        if kind != "hybrid":
            raise ConfigError(f"{self.cfg.where('controller.type')}: wipe needs 'hybrid'")

    def build(self, make) -> None:
        """An ``osc`` controller for the descent and a ``hybrid`` one in contact."""
        self.controllers["approach"] = make("osc")
        self.controllers["contact"] = make("hybrid")

    def reference(self, t: np.ndarray):
        """Descent, circle start, circle: positions (n, 3), velocities and accelerations (n, 6)."""
        n = t.size
        pos, vel, acc = np.zeros((n, 3)), np.zeros((n, 6)), np.zeros((n, 6))
        start = np.array([self.above[0], self.above[1], self.surface_z])
        circle = Circle(start - [self.radius, 0.0, 0.0], [0.0, 0.0, 1.0], start, self.angle,
                        self.circle_time, profile="cruise", ramp=self.blend)
        down = t < self.t_circle
        d = self.descent.sample(t[down])
        pos[down], vel[down, :3], acc[down, :3] = d.x, d.xd, d.xdd
        c = circle.sample(t[~down] - self.t_circle)
        pos[~down], vel[~down, :3], acc[~down, :3] = c.x, c.xd, c.xdd
        self.ft_log = np.zeros((n, 3))
        return pos, vel, acc

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """Motion control until the sensing feels the table, then hybrid force/motion control."""
        t = k * self.cfg.dt
        contact = sim.contact_force(self.table)
        self.last_force = float(contact[2])  # the table's push back, N
        measured = self.sensing.measure(q, dq, sim, contact)  # what the tool applies
        self.ft_log[k] = measured
        pressing = -measured[2]  # the tool pushes down on the table
        if self.touched_at is not None and t >= self.t_circle - self.settle_time:
            self.touchdown.sample(sim, self.table, self.last_force)  # still, before the circle
        if self.touched_at is None:
            if k == 0 or pressing < self.threshold:  # no reading before the first step
                return self.controllers["approach"].generate(
                    q, dq, self.targets[k], self.vel[k], self.acc[k])
            self.touched_at = t
        ramp = 1.0 if self.force_ramp == 0 else min(1.0, (t - self.touched_at) / self.force_ramp)
        blend = ramp**3 * (10 - 15 * ramp + 6 * ramp**2)
        f_target = np.array([0.0, 0.0, -self.force * blend])  # world frame, what the tool applies
        vel, acc = self.vel[k], self.acc[k]
        if t < self.t_circle:  # in the plane the descent holds still: no feed-forward
            vel = acc = None
        return self.controllers["contact"].generate(
            q, dq, self.targets[k], force_target=f_target, force_measured=measured,
            target_velocity=vel, target_acceleration=acc)

    def extra_log(self) -> dict:
        """The controller's normal-force reading (wrist sensor or observer)."""
        return {"force_reading": -self.ft_log[:, 2], "force_from": self.sensing.kind}

    def extra_metrics(self, log: dict) -> dict:
        """Tangential error and tilt during the circle; the sensor against the contact force."""
        t = log["t"]
        on = (t >= self.t_circle) & (t < self.t_end)
        if not on.any():
            return {}
        err = (log["ee_pos"][on] - log["target_pos"][on])[:, :2]
        rel = log["ee_pos"][on, :2] - (self.center[:2])
        radial = np.linalg.norm(rel, axis=1) - self.radius
        z = matrix_from_quat(log["ee_quat"][on])[:, :, 2]
        tilt = np.degrees(np.arccos(np.clip(-z[:, 2], -1.0, 1.0)))
        touched = log["contact"]
        scores = self.touchdown.metrics(log, self.sim_arm, 0.0) | estimate_error(
            -self.ft_log[:, 2], log["force"], {"sensor_vs_contact_rmse_N": touched,
                                               "circle_estimate_rmse_N": on})
        return scores | {
            "touchdown_time_s": math.nan if self.touched_at is None else self.touched_at,
            "circle_tangential_rmse_m": float(np.sqrt(np.mean(np.sum(err**2, axis=1)))),
            "circle_radial_rmse_m": float(np.sqrt(np.mean(radial**2))),
            "circle_force_rmse_N": float(np.sqrt(np.mean((log["force"][on] - self.force) ** 2))),
            "circle_max_tilt_deg": float(tilt.max()),
            "circle_tilt_rmse_deg": float(np.sqrt(np.mean(tilt**2))),
        }


register_scenario(Wipe)
