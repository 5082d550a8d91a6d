"""Jacobian and FK accuracy of a learned model against the analytic arm.

Everything is computed on one held-out sample of configurations, drawn
uniformly within the joint limits from its own seed (the training splits use
other seeds). A learned model is position-only, so it is compared with the
linear rows ``J_v`` (3, N) of the analytic geometric Jacobian.
"""

from __future__ import annotations

import math

import numpy as np

from armjac.learned.autodiff import relative_error

# A column whose analytic norm is below this fraction of the sample's median
# column norm has no direction to compare (e.g. the last joint of a wrist whose
# axis passes through the end-effector frame origin).
ZERO_COLUMN = 1e-6
# Singular values below this fraction of a Jacobian's largest do not count
# towards the task-space rank used by :func:`manipulability`.
RANK_RTOL = 1e-9


def sample_configurations(arm, n: int, seed: int, margin: float = 0.0) -> np.ndarray:
    """The held-out sample: ``n`` uniform configurations within the joint limits."""
    return arm.random_q(n, np.random.default_rng(seed), margin)


def manipulability(jac: np.ndarray, rtol: float = RANK_RTOL) -> np.ndarray:
    """Yoshikawa's measure over the last two axes, in the task space the arm spans.

    The product of the ``r`` largest singular values, where ``r`` (the
    task-space rank) is the largest number of singular values above ``rtol``
    times the largest one, over all Jacobians given. For a J with full row
    rank this is sqrt(det(J J^T)); a planar arm's J_v (3, N) has an all-zero
    row, so ``r = 2`` and the measure is that of the plane's 2 x N Jacobian,
    which still goes to zero at a singularity.

    Parameters
    ----------
    jac : ndarray (..., M, N)
        Jacobians.
    rtol : float
        Relative tolerance deciding which singular values count.

    Returns
    -------
    ndarray (...)
        The manipulability of each Jacobian.
    """
    s = np.linalg.svd(jac, compute_uv=False)
    if s.size == 0:
        return np.ones(s.shape[:-1])
    above = s > rtol * s[..., :1]
    rank = int(above.sum(axis=-1).max())
    return np.prod(s[..., :rank], axis=-1)


def column_angles(approx: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Angle (rad) between matching columns, (B, N); NaN where the exact column is ~0."""
    na = np.linalg.norm(approx, axis=-2)
    ne = np.linalg.norm(exact, axis=-2)
    cos = np.sum(approx * exact, axis=-2) / np.maximum(na * ne, 1e-300)
    ang = np.arccos(np.clip(cos, -1.0, 1.0))
    scale = np.median(ne)
    ang[(ne <= ZERO_COLUMN * scale) | (na == 0)] = np.nan
    return ang


def _stats(x: np.ndarray) -> dict:
    x = x[np.isfinite(x)]
    if not x.size:
        return {
            "n": 0,
            "median": math.nan,
            "p95": math.nan,
            "p99": math.nan,
            "mean": math.nan,
            "max": math.nan,
        }
    return {
        "n": int(x.size),
        "median": float(np.median(x)),
        "p95": float(np.percentile(x, 95)),
        "p99": float(np.percentile(x, 99)),
        "mean": float(np.mean(x)),
        "max": float(np.max(x)),
    }


def evaluate(arm, model, q: np.ndarray, n_bins: int = 8) -> tuple[dict, dict]:
    """Accuracy of ``model`` against ``arm`` at configurations ``q`` (B, N).

    Returns
    -------
    summary : dict
        JSON-ready numbers: relative Frobenius error stats, FK position error
        (mm), per-joint column errors and angles, error against manipulability
        (median per quantile bin).
    raw : dict
        Per-sample arrays for the plots: ``rel``, ``fk_err`` (m), ``col_err``
        (B, N), ``angles`` (B, N, rad), ``w`` (manipulability), ``pos`` (B, 3).
    """
    j_exact = arm.jacobian(q)[:, :3, :]
    pos = arm.fk(q)[:, :3, 3]
    j_model = np.asarray(model.jacobian(q))[:, :3, :]
    p_model = np.asarray(model.fk(q))
    p_model = p_model[:, :3, 3] if p_model.ndim == 3 else p_model

    rel = relative_error(j_model, j_exact)
    fk_err = np.linalg.norm(p_model - pos, axis=1)
    col_err = np.linalg.norm(j_model - j_exact, axis=1)  # (B, N), m/rad
    col_norm = np.linalg.norm(j_exact, axis=1)
    angles = column_angles(j_model, j_exact)
    w = manipulability(j_exact)

    edges = np.quantile(w, np.linspace(0.0, 1.0, n_bins + 1))
    which = np.clip(np.searchsorted(edges, w, side="right") - 1, 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        sel = which == b
        bins.append(
            {
                "w_low": float(edges[b]),
                "w_high": float(edges[b + 1]),
                "n": int(sel.sum()),
                "rel_median": float(np.median(rel[sel])) if sel.any() else math.nan,
                "rel_p95": float(np.percentile(rel[sel], 95)) if sel.any() else math.nan,
            }
        )
    finite = np.isfinite(rel) & (w > 0)
    corr = (
        float(np.corrcoef(np.log(w[finite]), np.log(np.maximum(rel[finite], 1e-12)))[0, 1])
        if finite.sum() > 2
        else math.nan
    )

    per_joint = []
    scale = np.median(col_norm)
    for j, name in enumerate(arm.joint_names):
        zero = bool(np.median(col_norm[:, j]) <= ZERO_COLUMN * scale)
        per_joint.append(
            {
                "joint": name,
                "abs_error_median": float(np.median(col_err[:, j])),
                "abs_error_p95": float(np.percentile(col_err[:, j], 95)),
                "column_norm_median": float(np.median(col_norm[:, j])),
                "zero_column": zero,
                "angle_deg_median": math.nan
                if zero
                else float(np.degrees(np.nanmedian(angles[:, j]))),
                "angle_deg_p95": math.nan
                if zero
                else float(np.degrees(np.nanpercentile(angles[:, j], 95))),
            }
        )
    summary = {
        "n_samples": int(len(q)),
        "jac_rel": _stats(rel),
        "fk_error_mm": _stats(1e3 * fk_err),
        "fk_rmse_mm": float(1e3 * np.sqrt(np.mean(fk_err**2))),
        "angle_deg": _stats(np.degrees(angles[np.isfinite(angles)])),
        "per_joint": per_joint,
        "vs_manipulability": {"bins": bins, "log_correlation": corr},
    }
    raw = {"rel": rel, "fk_err": fk_err, "col_err": col_err, "angles": angles, "w": w, "pos": pos}
    return summary, raw
