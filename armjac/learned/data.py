"""Datasets: joint configurations and their analytic FK / Jacobian targets.

Each split (train / val / test) draws from its own fixed seed, so a config
always produces the same data, and the test set never overlaps training by
construction of the random streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from armjac.errors import ConfigError


@dataclass
class Split:
    """Configurations of one split and their analytic targets.

    Attributes
    ----------
    q : ndarray (B, N)
        Joint configurations.
    pos : ndarray (B, 3)
        End-effector positions, m.
    jac : ndarray (B, 3, N)
        Linear rows of the geometric Jacobian.
    transform : ndarray (B, 4, 4)
        End-effector poses.
    jac6 : ndarray (B, 6, N)
        Geometric Jacobians, rows [v; w].
    """

    q: np.ndarray  # (B, N)
    pos: np.ndarray  # (B, 3) end-effector position, m
    jac: np.ndarray  # (B, 3, N) linear rows of the geometric Jacobian
    transform: np.ndarray  # (B, 4, 4) end-effector pose
    jac6: np.ndarray  # (B, 6, N) geometric Jacobian [v; w]


def sample_q(arm, data_cfg: dict, n: int, seed: int, sampler: Callable | None = None) -> np.ndarray:
    """Draw ``n`` configurations within the joint limits.

    ``sampler(n, rng) -> (n, N)`` overrides the configured distribution.
    """
    rng = np.random.default_rng(seed)
    lo, hi = arm.sample_bounds(data_cfg.get("margin", 0.0))
    if sampler is not None:
        return _check_sampled(arm, np.asarray(sampler(n, rng), dtype=float), n)
    if data_cfg["distribution"] == "uniform":
        return rng.uniform(lo, hi, size=(n, arm.dof))
    center = arm.home if data_cfg.get("center") is None else np.asarray(data_cfg["center"], float)
    if center.shape != (arm.dof,):
        raise ConfigError(f"data.center must have {arm.dof} values, got {center.shape}")
    return np.clip(center + data_cfg["std"] * rng.standard_normal((n, arm.dof)), lo, hi)


SAMPLER_TOL = 1e-9  # rad (or m) a sampler may step past a joint limit (rounding)


def _check_sampled(arm, q: np.ndarray, n: int) -> np.ndarray:
    """``q`` from a user sampler, refused unless (n, N), finite and within the limits."""
    if q.shape != (n, arm.dof):
        raise ConfigError(f"sampler returned shape {q.shape}; expected ({n}, {arm.dof})")
    if not np.isfinite(q).all():
        raise ConfigError("sampler returned values that are not finite")
    lo, hi = arm.sample_bounds()
    bad = (q < lo - SAMPLER_TOL) | (q > hi + SAMPLER_TOL)
    if bad.any():
        row, j = np.argwhere(bad)[0]
        raise ConfigError(
            f"sampler returned {int(bad.any(axis=1).sum())} of {n} configurations outside the "
            f"joint limits, e.g. joint {j} ({arm.joint_names[j]}) = {q[row, j]:.6g} not in "
            f"[{lo[j]:.6g}, {hi[j]:.6g}]"
        )
    return np.clip(q, lo, hi)  # only rounding-level excursions remain


def targets(arm, q: np.ndarray, point=None) -> Split:
    """Analytic FK and Jacobian of ``arm`` at ``q`` (B, N), as a :class:`Split` (arrays copied).

    ``point`` (EE link frame) moves the modelled position, and the Jacobian, to that point.
    """
    t = arm.fk(q)
    if point is not None:
        t = t.copy()
        t[:, :3, 3] += t[:, :3, :3] @ np.asarray(point, float)
    j = arm.jacobian(q, point=point)
    return Split(q=q, pos=t[:, :3, 3].copy(), jac=j[:, :3, :].copy(), transform=t, jac6=j)


def make_splits(
    arm, data_cfg: dict, sampler: Callable | None = None, point=None
) -> dict[str, Split]:
    """The ``train``, ``val`` and ``test`` splits of ``data_cfg``, each drawn from its own seed.

    ``sampler`` is passed on to :func:`sample_q`, ``point`` to :func:`targets`.
    """
    seeds = data_cfg["seeds"]
    return {
        name: targets(
            arm, sample_q(arm, data_cfg, data_cfg[f"n_{name}"], seeds[name], sampler), point
        )
        for name in ("train", "val", "test")
    }
