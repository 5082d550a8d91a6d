"""Trajectories sampled to (x, xd, xdd) at any time, vectorised over time.

- :func:`quintic`: point to point in R^n (task or joint space), minimum jerk
  at rest ends, any boundary velocities and accelerations otherwise;
- :func:`joint_quintic`: the same in joint space within an arm's limits;
- :func:`via_points`: through via points with continuous velocity and acceleration;
- :class:`Line`: task-space line with SLERP orientation on the same time law;
- :class:`Circle`: arcs and circles.

Durations come from velocity/acceleration limits when not given.
"""

from armjac.trajectory.base import Sample, Trajectory
from armjac.trajectory.joint import joint_quintic
from armjac.trajectory.paths import Circle, CruiseLaw, Line, QuinticLaw, TimeLaw, time_law
from armjac.trajectory.poly import (
    MIN_JERK_PEAK_ACCELERATION,
    MIN_JERK_PEAK_VELOCITY,
    PolyPath,
    min_jerk_duration,
    quintic,
    quintic_coefficients,
    via_points,
)

__all__ = [
    "MIN_JERK_PEAK_ACCELERATION",
    "MIN_JERK_PEAK_VELOCITY",
    "Circle",
    "CruiseLaw",
    "Line",
    "PolyPath",
    "QuinticLaw",
    "Sample",
    "TimeLaw",
    "Trajectory",
    "joint_quintic",
    "min_jerk_duration",
    "quintic",
    "quintic_coefficients",
    "time_law",
    "via_points",
]
