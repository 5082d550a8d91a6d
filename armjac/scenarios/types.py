"""The scenarios: what the arm is asked to do, and when the world changes.

Each scenario turns its ``task:`` section into a reference (target pose,
velocity and acceleration per time step), sets up the world (a table, a
payload, a push), and picks the controller command at each step. The runner
(:mod:`armjac.scenarios.runner`) owns the loop; :mod:`armjac.scenarios.metrics`
scores the result. A new scenario type is a :class:`Scenario` subclass passed to
:func:`armjac.scenarios.registry.register_scenario`.

========  ==============================================================
reach     a sequence of position targets, one per ``segment_time``
track     a circle (``radius``, ``frequency``), orientation held
press     approach a table, push ``force`` N along its normal, slide ``slide``
payload   hold a pose; ``mass`` kg is attached to the end effector at ``at``
push      hold a pose; an external ``force`` pushes the end effector at ``at``
========  ==============================================================
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from armjac.configs import Reader
from armjac.control import JointPD
from armjac.control.orientation import normalize_quat, quat_from_matrix
from armjac.errors import ConfigError
from armjac.scenarios.contact import (
    SENSING_KEYS,
    ForceSensing,
    Touchdown,
    estimate_error,
    validate_sensing,
)
from armjac.scenarios.registry import register_scenario
from armjac.trajectory import Line

if TYPE_CHECKING:
    from armjac.scenarios.config import ScenarioConfig


class Scenario:
    """Base: hold the start pose. Subclasses set the reference and the events."""

    kind = "hold"
    keys: set[str] = {"target", "orientation"}
    force_scenario = False

    def __init__(self, cfg: ScenarioConfig, arm, q0: np.ndarray, rng: np.random.Generator):
        self.cfg = cfg
        self.arm = arm
        self.q0 = q0
        self.rng = rng
        self.task = Reader(cfg.task, cfg.source_path, "task.")
        pose = arm.fk(q0)
        self.start_pos = pose[:3, 3].copy()
        quat = self.task.vector("orientation", 4)
        self.quat = quat_from_matrix(pose[:3, :3]) if quat is None else normalize_quat(quat)
        self.segments: list[tuple[float, float]] = []  # (start, end) of each target's hold
        self.disturbance: tuple[float, float] | None = None  # (start, end), s
        self.axes = np.ones(3)  # position axes scored (press: not the force axis)
        self.events: list[tuple[float, str, object]] = []  # (time, label, fn(sim))
        self.controllers: dict[str, object] = {}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Check the ``task:`` section; ConfigError naming the file and key."""
        task.check_keys(cls.keys)
        task.vector("orientation", 4)
        task.vector("target", 3)

    @property
    def duration(self) -> float:
        """Default run length, s (the config's ``duration`` wins)."""
        return self.cfg.duration or 3.0

    def setup(self, sim) -> None:
        """Add bodies to the world before the run."""

    @property
    def sim_arm(self):
        """The arm the simulation runs (the scenario's arm; a real arm that is not its URDF)."""
        return self.arm

    def ee_pose(self, sim, feedback: dict) -> tuple[np.ndarray, np.ndarray]:
        """The scored position (3,) and orientation quaternion (4,) at this step."""
        return sim.ee_pose()

    def reference(self, t: np.ndarray):
        """Target positions (n, 3), velocities (n, 6) or None, accelerations (n, 6) or None."""
        target = self.task.vector("target", 3) or self.start_pos
        return np.tile(target, (t.size, 1)), None, None

    def build(self, make) -> None:
        """Create the controllers with ``make(kind=None)``."""
        self.controllers["main"] = make()

    def prepare(self, t: np.ndarray) -> None:
        """Tabulate the reference at the step times ``t`` (n,), s."""
        pos, self.vel, self.acc = self.reference(t)
        self.target_pos = pos
        self.targets = np.hstack((pos, np.tile(self.quat, (t.size, 1))))

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """Joint torques for step ``k`` from the state ``q``, ``dq`` (and the world ``sim``)."""
        ctrl = self.controllers["main"]
        if isinstance(ctrl, JointPD):
            return ctrl.generate(q, dq, self.q0)
        vel = None if self.vel is None else self.vel[k]
        acc = None if self.acc is None else self.acc[k]
        return ctrl.generate(q, dq, self.targets[k], vel, acc)

    def extra_metrics(self, log: dict) -> dict:
        """Scores of this scenario's own, from the run's log (none by default)."""
        return {}

    def extra_log(self) -> dict:
        """Series of this scenario's own for the plots, one row per step (none by default)."""
        return {}

    def source(self, src):
        """The Jacobian source the controllers get, from the resolved one (``src`` itself by
        default; a scenario may wrap it, e.g. in an online adaptation)."""
        return src

    def dynamics(self, dyn):
        """The dynamics (mass matrix, gravity) the controllers get, from the resolved ones
        (``dyn`` itself by default; a scenario may give the load the arm carries)."""
        return dyn

    def check_controller(self, kind: str) -> None:
        """Refuse a ``controller.type`` the scenario cannot use (ConfigError)."""
        if kind == "hybrid" and not self.force_scenario:
            raise ConfigError(
                f"{self.cfg.where('controller.type')}: 'hybrid' is for force scenarios (press)"
            )


class Reach(Scenario):
    """Visit ``targets`` (or ``random.count`` points in [low, high]), ``segment_time`` s each.

    ``profile: min_jerk`` (the default) moves to each target along a straight
    minimum-jerk line in ``move_time`` s (default: two thirds of the segment),
    feeding the line's velocity and acceleration forward; ``profile: step``
    jumps the target at the start of each segment.
    """

    kind = "reach"
    keys = {"targets", "random", "segment_time", "orientation", "profile", "move_time"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Requires ``targets`` or ``random`` (count >= 1, low <= high) instead of ``target``."""
        task.check_keys(cls.keys)
        task.number("segment_time", positive=True)
        task.vector("orientation", 4)
        task.string("profile", "min_jerk", ("min_jerk", "step"))
        move = task.number("move_time", positive=True)
        if move is not None and move > task.number("segment_time", 1.5):
            raise task.fail("move_time", "must not exceed segment_time")
        if ("targets" in task.data) == ("random" in task.data):
            raise task.fail("targets", "give either 'targets' (a list of [x, y, z]) or 'random'")
        if "targets" in task.data:
            task.vectors("targets", 3)
        else:
            rnd = task.mapping("random")
            rnd.check_keys({"count", "low", "high"})
            rnd.integer("count", ..., minimum=1)
            low, high = rnd.vector("low", 3, ...), rnd.vector("high", 3, ...)
            if any(lo > hi for lo, hi in zip(low, high, strict=True)):
                raise rnd.fail("low", "must be <= high on every axis")

    def __init__(self, *args):
        super().__init__(*args)
        if "targets" in self.task.data:
            self.points = np.array(self.task.vectors("targets", 3))
        else:
            rnd = self.task.mapping("random")
            low, high = np.array(rnd.vector("low", 3)), np.array(rnd.vector("high", 3))
            self.points = self.rng.uniform(low, high, size=(rnd.data["count"], 3))
        self.segment_time = self.task.number("segment_time", 1.5)
        n = len(self.points)
        self.segments = [(i * self.segment_time, (i + 1) * self.segment_time) for i in range(n)]

    @property
    def duration(self) -> float:
        """One ``segment_time`` per target, unless the config sets ``duration``."""
        return self.cfg.duration or len(self.points) * self.segment_time

    def reference(self, t: np.ndarray):
        """Per step: the line towards the current target (n, 3) with its velocity and
        acceleration (n, 6), or with ``profile: step`` the target itself and no feed-forward."""
        idx = np.minimum((t / self.segment_time + 1e-9).astype(int), len(self.points) - 1)
        if self.task.string("profile", "min_jerk") == "step":
            return self.points[idx], None, None
        move = self.task.number("move_time", 2.0 * self.segment_time / 3.0)
        starts = np.vstack((self.start_pos, self.points[:-1]))
        pos, vel, acc = np.zeros((t.size, 3)), np.zeros((t.size, 6)), np.zeros((t.size, 6))
        for i, (a, b) in enumerate(zip(starts, self.points, strict=True)):
            sel = idx == i
            if np.allclose(a, b):
                pos[sel] = b
                continue
            s = Line(a, b, move).sample(t[sel] - i * self.segment_time)
            pos[sel], vel[sel, :3], acc[sel, :3] = s.x, s.xd, s.xdd
        return pos, vel, acc

    def extra_metrics(self, log: dict) -> dict:
        """How far the hand overshoots each target along its approach direction, m."""
        t, starts = log["t"], np.vstack((self.start_pos, self.points[:-1]))
        over = []
        for (t0, t1), a, b in zip(self.segments, starts, self.points, strict=True):
            sel = (t >= t0) & (t < t1)
            span = np.linalg.norm(b - a)
            if not sel.any() or span < 1e-9:
                continue
            past = (log["ee_pos"][sel] - b) @ ((b - a) / span)
            over.append(max(0.0, float(past.max())))
        return {"max_overshoot_m": max(over)} if over else {}

    def check_controller(self, kind: str) -> None:
        """Also refuses ``joint_pd``, which only holds a posture."""
        super().check_controller(kind)
        if kind == "joint_pd":
            raise ConfigError(
                f"{self.cfg.where('controller.type')}: reach needs a task-space "
                "controller (osc); joint_pd only holds a posture"
            )


class Track(Scenario):
    """Follow a circle of ``radius`` m at ``frequency`` Hz in ``plane`` (default: via the start)."""

    kind = "track"
    keys = {"center", "radius", "frequency", "plane", "orientation"}
    PLANES = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Checks ``center``, ``radius``, ``frequency`` and ``plane`` instead of ``target``."""
        task.check_keys(cls.keys)
        task.vector("center", 3)
        task.vector("orientation", 4)
        task.number("radius", positive=True)
        task.number("frequency", positive=True)
        task.string("plane", "xy", tuple(cls.PLANES))

    def __init__(self, *args):
        super().__init__(*args)
        self.radius = self.task.number("radius", 0.1)
        self.freq = self.task.number("frequency", 0.5)
        self.plane = self.PLANES[self.task.string("plane", "xy")]
        center = self.task.vector("center", 3)
        if center is None:  # the circle passes through the start point
            center = self.start_pos.copy()
            center[self.plane[0]] -= self.radius
        self.center = np.asarray(center)

    @property
    def duration(self) -> float:
        """5 s unless the config sets ``duration``."""
        return self.cfg.duration or 5.0

    def reference(self, t: np.ndarray):
        """Circle positions (n, 3), with velocity and acceleration (n, 6), angular rows 0."""
        w = 2.0 * math.pi * self.freq
        a, b = self.plane
        r = self.radius
        pos = np.tile(self.center, (t.size, 1))
        vel = np.zeros((t.size, 6))
        acc = np.zeros((t.size, 6))
        c, s = np.cos(w * t), np.sin(w * t)
        pos[:, a] += r * c
        pos[:, b] += r * s
        vel[:, a], vel[:, b] = -r * w * s, r * w * c
        acc[:, a], acc[:, b] = -r * w * w * c, -r * w * w * s
        return pos, vel, acc


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend 0 -> 1 over x in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10.0 - 15.0 * x + 6.0 * x * x)


class Press(Scenario):
    """Approach above ``start``, press ``force`` N down on a table, slide by ``slide``, hold.

    With ``approach_speed`` (m/s) the hand first descends at that speed under
    motion control and switches to force control when the measured force
    exceeds ``contact_threshold`` N; without it, force control takes the hand
    down from ``approach_height``. After touchdown the force target rises from
    the measured force to ``force`` over ``force_ramp`` s (minimum jerk; 0: a step).
    The force comes from ``force_from`` (:mod:`armjac.scenarios.contact`); the
    table is rigid unless ``contact_stiffness`` (N/m) is given.
    """

    kind = "press"
    force_scenario = True
    keys = {
        "start", "table_height", "approach_height", "force", "slide", "approach_time",
        "contact_time", "slide_time", "hold_time", "friction", "orientation", "settle_time",
        "approach_speed", "contact_threshold", "force_ramp",
    } | SENSING_KEYS  # fmt: skip

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Checks table, force, timing and friction keys; needs ``start`` and ``table_height``."""
        task.check_keys(cls.keys)
        task.vector("start", 2, ...)
        task.number("table_height", ...)
        task.vector("slide", 3)
        task.vector("orientation", 4)
        task.number("force", positive=True)
        for key in ("approach_height", "approach_time", "contact_time", "slide_time"):
            task.number(key, positive=True)
        for key in ("hold_time", "friction", "settle_time", "force_ramp"):
            task.number(key, minimum=0.0)
        task.number("approach_speed", positive=True)
        task.number("contact_threshold", positive=True)
        validate_sensing(task, "contact")

    def __init__(self, *args):
        super().__init__(*args)
        tk = self.task
        if tk.vector("orientation", 4) is None:
            self.quat = np.array([0.0, 1.0, 0.0, 0.0])  # tool pointing down
        self.table_height = tk.number("table_height")
        self.force = tk.number("force", 10.0)
        self.slide = np.array(tk.vector("slide", 3, [0.1, 0.0, 0.0]))
        x, y = tk.vector("start", 2)
        self.above = np.array([x, y, self.table_height + tk.number("approach_height", 0.1)])
        self.t_contact = tk.number("approach_time", 1.5)
        self.t_slide = self.t_contact + tk.number("contact_time", 1.0)
        self.t_hold = self.t_slide + tk.number("slide_time", 2.0)
        self.t_end = self.t_hold + tk.number("hold_time", 0.5)
        self.settle_time = tk.number("settle_time", 0.5)
        self.axes = np.array([1.0, 1.0, 0.0])
        self.segments = [(self.t_contact, self.t_end)]
        self.table = None
        self.last_force = 0.0
        # With approach_speed, the contact phase starts with a guarded descent under
        # motion control and switches to force control once the table is felt.
        speed = tk.number("approach_speed")
        self.descent = None if speed is None else Line(
            np.r_[self.above, self.quat], np.r_[self.above - [0.0, 0.0, 1.0], self.quat],
            profile="cruise", vmax=speed, amax=0.5)
        self.threshold = tk.number("contact_threshold", 1.0)
        self.force_ramp = tk.number("force_ramp", 0.0)
        self.stiffness = tk.number("contact_stiffness")
        self.sensing = ForceSensing(tk, "contact", self.cfg.dt)
        self.touched_at: float | None = None
        self.touch_force = 0.0
        self.touchdown = Touchdown(self.stiffness, self.cfg.dt, self.settle_time)

    @property
    def duration(self) -> float:
        """Ends after the hold phase, unless the config sets ``duration``."""
        return self.cfg.duration or self.t_end

    def setup(self, sim) -> None:
        """Adds the table: a 0.7 x 0.7 x 0.1 m box under the start, top at ``table_height``."""
        half = 0.05
        center = [*self.above[:2], self.table_height - half]
        self.table = sim.add_box(
            [0.35, 0.35, half], center, friction=self.task.number("friction", 0.3),
            stiffness=self.stiffness, damping=self.task.number("contact_damping"),
        )
        self.sensing.setup(sim)
        self.sensing.attach(self.controllers["contact"], sim)

    def check_controller(self, kind: str) -> None:
        """Accepts only ``hybrid``."""
        if kind != "hybrid":
            raise ConfigError(f"{self.cfg.where('controller.type')}: press needs 'hybrid'")

    def build(self, make) -> None:
        """An ``osc`` controller for the approach and a ``hybrid`` one for contact."""
        self.controllers["approach"] = make("osc")
        self.controllers["contact"] = make("hybrid")

    def reference(self, t: np.ndarray):
        """A minimum-jerk line to the point above the start (in two thirds of
        ``approach_time``, with its velocity and acceleration), then that point
        moved along ``slide`` (minimum jerk, no feed-forward)."""
        blend = _smoothstep((t - self.t_slide) / (self.t_hold - self.t_slide))
        pos = self.above + blend[:, None] * self.slide
        vel, acc = np.zeros((t.size, 6)), np.zeros((t.size, 6))
        early = t < self.t_contact
        if early.any() and not np.allclose(self.start_pos, self.above):
            s = Line(self.start_pos, self.above, 2.0 * self.t_contact / 3.0).sample(t[early])
            pos[early], vel[early, :3], acc[early, :3] = s.x, s.xd, s.xdd
        return pos, vel, acc

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim):
        """OSC to the approach point until contact time, then hybrid control pressing ``force`` N.

        Records the table's normal force from the simulator, N, in ``last_force`` (the
        score); the controller reads ``force_from``.
        """
        contact = sim.contact_force(self.table)
        self.last_force = float(contact[2])  # the table's push back, N
        measured = self.sensing.measure(q, dq, sim, contact)  # what the hand applies
        self.measured_log[k] = -measured[2]
        t = k * self.cfg.dt
        if t >= self.t_hold and self.last_force > 0.5 * self.force:  # held still, pressing
            self.touchdown.sample(sim, self.table, self.last_force)
        if t < self.t_contact:
            return self.controllers["approach"].generate(q, dq, self.targets[k], self.vel[k],
                                                         self.acc[k])
        if self.touched_at is None and -measured[2] > self.threshold:
            self.touched_at, self.touch_force = t, -float(measured[2])
        if self.descent is not None and self.touched_at is None:
            d = self.descent.sample(t - self.t_contact)
            return self.controllers["approach"].generate(q, dq, d.x, d.xd, d.xdd)
        target = self.force
        if self.touched_at is not None and self.force_ramp > 0:
            s = float(_smoothstep(np.array((t - self.touched_at) / self.force_ramp)))
            target = self.touch_force + s * (self.force - self.touch_force)
        return self.controllers["contact"].generate(
            q, dq, self.targets[k], force_target=-target, force_measured=measured
        )

    def prepare(self, t: np.ndarray) -> None:
        """Also makes room for the controller's force reading at each step."""
        super().prepare(t)
        self.measured_log = np.zeros(t.size)

    def extra_log(self) -> dict:
        """The controller's normal-force reading, where it is not the simulator's."""
        if self.sensing.kind == "contact":
            return {}
        return {"force_reading": self.measured_log, "force_from": self.sensing.kind}

    def extra_metrics(self, log: dict) -> dict:
        """The touchdown peak against the impact bound (:mod:`armjac.scenarios.contact`),
        and the error of the controller's force reading against the simulator's."""
        out = self.touchdown.metrics(log, self.sim_arm, self.t_contact)
        if self.sensing.kind == "contact" or self.touched_at is None:
            return out
        t = log["t"]
        settled = t >= self.touched_at + self.settle_time
        slide = settled & (t >= self.t_slide) & (t < self.t_hold)
        return out | estimate_error(self.measured_log, log["force"], {
            "force_estimate_rmse_N": settled, "slide_estimate_rmse_N": slide})  # fmt: skip


class _Disturbance(Scenario):
    """Hold a pose while something happens to the hand at ``at`` s for ``length`` s;
    settling is scored before it, recovery after it."""

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also checks ``at``."""
        super().validate(task)
        task.number("at", minimum=0.0)

    def _schedule(self, length: float, label: str, action) -> None:
        at = self.task.number("at", 1.0)
        self.disturbance = (at, at + length)
        self.segments = [(0.0, at)]
        self.events = [(at, label, action)]


class Payload(_Disturbance):
    """Hold a pose; a ``mass`` kg payload (at ``offset``) is attached to the hand at ``at`` s."""

    kind = "payload"
    keys = {"target", "orientation", "mass", "at", "offset"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also checks ``mass`` and ``offset``."""
        super().validate(task)
        task.number("mass", positive=True)
        task.vector("offset", 3)

    def __init__(self, *args):
        super().__init__(*args)
        mass = self.task.number("mass", 2.0)
        offset = self.task.vector("offset", 3, [0.0, 0.0, 0.0])
        self._schedule(0.0, f"payload {mass:g} kg", lambda sim: sim.add_payload(mass, offset))


class Push(_Disturbance):
    """Hold a pose; an external ``force`` (N) pushes the hand from ``at`` s for ``duration`` s."""

    kind = "push"
    keys = {"target", "orientation", "force", "at", "duration"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Also checks ``force`` and ``duration``."""
        super().validate(task)
        task.vector("force", 3)
        task.number("duration", positive=True)

    def __init__(self, *args):
        super().__init__(*args)
        length = self.task.number("duration", 0.2)
        force = self.task.vector("force", 3, [0.0, 20.0, 0.0])
        self._schedule(length, f"push {force} N", lambda sim: sim.push(force, length))


for _cls in (Reach, Track, Press, Payload, Push):
    register_scenario(_cls)
