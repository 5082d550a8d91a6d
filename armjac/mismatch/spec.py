"""Mismatch specs: how the real arm differs from its URDF, read from YAML.

A spec (``configs/mismatch/*.yaml``) gives the *distributions* of the errors;
:meth:`MismatchSpec.realize` draws one real arm from them with a seed. Keys and
their units::

    arm: kuka_iiwa                 # the nominal arm (bundled name, URDF or arm YAML)
    geometry:
      joint_origin_mm: 5.0         # std of each movable joint origin's offset, per axis
      joint_zero_deg: 0.5          # std of each joint's zero offset
      link_scale: 0.0              # std of the relative length error of each joint origin
    tool:
      assumed: [0, 0, 0.15]        # tool point the controllers are told (EE link frame), m
      error_mm: 0.0                # std of the real tip's offset from it, per axis
      mass: 0.5                    # kg, a rod from the EE origin to the tip
    payload:
      mass: 0.0                    # kg, a point mass at the real tool tip
    encoders:
      noise_deg: 0.0               # white noise std on every reading
      eccentricity_deg: 0.0        # amplitude scale a of q_m = q + a sin(q + phi)
      stiffness: null              # N m/rad per joint (one number: all); null: rigid
    torque_sensor:
      noise_Nm: 0.0                # white noise std of each joint-torque reading
      bias_Nm: 0.0                 # std of each joint's constant reading offset (drawn)
    tracker:
      rate_hz: 50
      noise_mm: 0.5                # std per axis
      latency_ms: 10
      dropout: 0.0                 # fraction of samples lost at random
      dropout_windows: []          # [[t0, t1], ...] s: no samples in these windows

Each joint's eccentricity amplitude is ``eccentricity_deg`` times a factor
uniform in [0.5, 1], its phase uniform in [0, 2 pi).

Every value has an upper bound (:data:`LIMITS`) far beyond any real arm, so a
slip of units or a stray exponent is refused instead of drawing an arm
metres or kilometres off.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from armjac import configs
from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.validation import excerpt

KIND = "mismatch"
# Upper bounds, far past any real arm, tracker or tool (a slip of units lands beyond them).
LIMITS = {
    "joint_origin_mm": 100.0,  # std of a joint origin's offset: 10 cm
    "joint_zero_deg": 45.0,
    "link_scale": 0.5,  # std of a relative length error: 50 %
    "tool_assumed_m": 2.0,  # each coordinate of the assumed tool point
    "error_mm": 500.0,  # std of the real tip's offset from the assumed one
    "mass": 100.0,  # kg, tool or payload
    "noise_deg": 10.0,
    "eccentricity_deg": 10.0,
    "stiffness": (100.0, 1e9),  # N m/rad; 100: a 1 rad deflection under 100 N m of gravity
    "rate_hz": 10_000.0,
    "noise_mm": 1000.0,
    "latency_ms": 10_000.0,
    "noise_Nm": 100.0,  # joint-torque sensor noise std
    "bias_Nm": 100.0,  # std of a joint-torque sensor's offset
}


@dataclass(frozen=True)
class TrackerSpec:
    """An external tool-tip tracker (motion capture, camera)."""

    rate_hz: float = 50.0
    noise_mm: float = 0.5
    latency_ms: float = 10.0
    dropout: float = 0.0
    dropout_windows: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class MismatchSpec:
    """Distributions of the differences between the URDF and the real arm (see module doc)."""

    arm: str
    name: str = "mismatch"
    description: str = ""
    joint_origin_mm: float = 0.0
    joint_zero_deg: float = 0.0
    link_scale: float = 0.0
    tool_assumed: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tool_error_mm: float = 0.0
    tool_mass: float = 0.0
    payload_mass: float = 0.0
    encoder_noise_deg: float = 0.0
    eccentricity_deg: float = 0.0
    stiffness: tuple[float, ...] | None = None
    tracker: TrackerSpec = field(default_factory=TrackerSpec)
    torque_noise_Nm: float = 0.0
    torque_bias_Nm: float = 0.0
    source: str = "<dict>"

    def realize(self, seed: int = 0, *, nominal=None, out_dir=None):
        """Draw the real arm (see :func:`armjac.mismatch.real_arm.make_real_arm`)."""
        from armjac.mismatch.real_arm import make_real_arm

        return make_real_arm(self, seed, nominal=nominal, out_dir=out_dir)

    def to_dict(self) -> dict:
        """The spec as a plain mapping (the YAML layout), for metadata files."""
        d = asdict(self)
        return {
            "name": self.name,
            "arm": self.arm,
            "description": self.description,
            "geometry": {k: d[k] for k in ("joint_origin_mm", "joint_zero_deg", "link_scale")},
            "tool": {
                "assumed": list(self.tool_assumed),
                "error_mm": self.tool_error_mm,
                "mass": self.tool_mass,
            },
            "payload": {"mass": self.payload_mass},
            "encoders": {
                "noise_deg": self.encoder_noise_deg,
                "eccentricity_deg": self.eccentricity_deg,
                "stiffness": None if self.stiffness is None else list(self.stiffness),
            },
            "tracker": {
                **d["tracker"],
                "dropout_windows": [list(w) for w in self.tracker.dropout_windows],
            },
            "torque_sensor": {"noise_Nm": self.torque_noise_Nm, "bias_Nm": self.torque_bias_Nm},
        }


def _nonneg(r: Reader, key: str, default: float, limit: str | None = None) -> float:
    return r.number(key, default, minimum=0.0, maximum=LIMITS[limit or key])


def parse_spec(data: dict, where: str = "<dict>", name: str = "mismatch") -> MismatchSpec:
    """Validate a spec mapping; every error names ``where`` and the key."""
    top = Reader(data, where)
    top.check_keys(
        {"name", "arm", "description", "geometry", "tool", "payload", "encoders", "tracker",
         "torque_sensor"}
    )  # fmt: skip
    arm = top.string("arm", ...)
    g = top.mapping("geometry")
    g.check_keys({"joint_origin_mm", "joint_zero_deg", "link_scale"})
    t = top.mapping("tool")
    t.check_keys({"assumed", "error_mm", "mass"})
    p = top.mapping("payload")
    p.check_keys({"mass"})
    e = top.mapping("encoders")
    e.check_keys({"noise_deg", "eccentricity_deg", "stiffness"})
    k = top.mapping("tracker")
    k.check_keys({"rate_hz", "noise_mm", "latency_ms", "dropout", "dropout_windows"})
    ts = top.mapping("torque_sensor")
    ts.check_keys({"noise_Nm", "bias_Nm"})
    stiff = e.data.get("stiffness")
    if stiff is not None:
        lo, hi = LIMITS["stiffness"]
        stiff = [stiff] if not isinstance(stiff, list) else stiff
        if not stiff or not all(configs.is_number(v) and lo <= v <= hi for v in stiff):
            raise e.fail(
                "stiffness", f"must be null, a number in [{lo:g}, {hi:g}] N m/rad or a list of "
                f"them; got {excerpt(stiff)}"
            )  # fmt: skip
        stiff = tuple(float(v) for v in stiff)
    windows = k.sequence("dropout_windows", [])
    wins = []
    for i, w in enumerate(windows):
        if not (
            isinstance(w, list)
            and len(w) == 2
            and all(map(configs.is_number, w))
            and 0 <= w[0] <= w[1] <= configs.MAX_DURATION
        ):
            raise k.fail(
                f"dropout_windows[{i}]", f"must be [t0, t1] with 0 <= t0 <= t1 <= "
                f"{configs.MAX_DURATION:g} (s); got {excerpt(w)}"
            )  # fmt: skip
        wins.append((float(w[0]), float(w[1])))
    tracker = TrackerSpec(
        rate_hz=k.number("rate_hz", 50.0, positive=True, maximum=LIMITS["rate_hz"]),
        noise_mm=_nonneg(k, "noise_mm", 0.5),
        latency_ms=_nonneg(k, "latency_ms", 10.0),
        dropout=k.number("dropout", 0.0, minimum=0.0, below=1.0),
        dropout_windows=tuple(wins),
    )
    return MismatchSpec(
        arm=arm,
        name=top.string("name", name),
        description=top.string("description", ""),
        joint_origin_mm=_nonneg(g, "joint_origin_mm", 0.0),
        joint_zero_deg=_nonneg(g, "joint_zero_deg", 0.0),
        link_scale=_nonneg(g, "link_scale", 0.0),
        tool_assumed=_tool_point(t),
        tool_error_mm=_nonneg(t, "error_mm", 0.0),
        tool_mass=_nonneg(t, "mass", 0.0),
        payload_mass=_nonneg(p, "mass", 0.0),
        encoder_noise_deg=_nonneg(e, "noise_deg", 0.0),
        eccentricity_deg=_nonneg(e, "eccentricity_deg", 0.0),
        stiffness=stiff,
        tracker=tracker,
        torque_noise_Nm=_nonneg(ts, "noise_Nm", 0.0),
        torque_bias_Nm=_nonneg(ts, "bias_Nm", 0.0),
        source=where,
    )


def _tool_point(t: Reader) -> tuple[float, float, float]:
    point = t.vector("assumed", 3, [0.0, 0.0, 0.0])
    if max(map(abs, point)) > LIMITS["tool_assumed_m"]:
        raise t.fail("assumed", f"each coordinate must be within +-{LIMITS['tool_assumed_m']:g} m; "
                     f"got {point}")  # fmt: skip
    return tuple(point)


def bundled_specs() -> list[str]:
    """Names of the specs shipped in ``configs/mismatch``."""
    return configs.bundled(KIND)


def load_spec(spec: str | os.PathLike | dict | MismatchSpec) -> MismatchSpec:
    """A bundled spec name, a YAML path, a mapping or a spec (returned as is).

    Raises
    ------
    ConfigError
        Unknown name or file, malformed YAML, unknown keys or bad values.
    """
    if isinstance(spec, MismatchSpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec, "<mismatch spec mapping>")
    if not isinstance(spec, str | os.PathLike):
        raise ConfigError(
            f"a mismatch spec is a name, a YAML path or a mapping; got {excerpt(spec)}"
        )
    path = configs.resolve(spec, KIND, "mismatch spec")
    return parse_spec(configs.read_mapping(path, "mismatch spec"), str(path), Path(path).stem)
