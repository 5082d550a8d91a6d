"""Scores of the mismatch section's models against the real arm: static FK and
Jacobian errors on held-out configurations, and closed-loop reaches."""

from __future__ import annotations

import numpy as np

from armjac.protocols import position_of

N_JACOBIAN = 300  # held-out configurations for the Jacobian errors
HOPELESS_MM = 50.0  # models with a larger median FK error are not run in closed loop


def static_errors(src, test, q_link_j, jac_true) -> dict:
    """FK (mm) and Jacobian (relative) errors of ``src`` on a held-out static set."""
    q, _ = test.pairs()
    e = 1e3 * np.linalg.norm(position_of(src.fk(q)) - test.truth_tip, axis=1)
    jac = np.asarray(src.jacobian(test.q[: len(q_link_j)]))[:, :3, :]
    rel = np.linalg.norm(jac - jac_true, axis=(1, 2)) / np.linalg.norm(jac_true, axis=(1, 2))
    return {
        "fk_median_mm": float(np.median(e)),
        "fk_p95_mm": float(np.percentile(e, 95)),
        "fk_max_mm": float(e.max()),
        "jac_rel_median": float(np.median(rel)),
        "jac_rel_p95": float(np.percentile(rel, 95)),
    }


def reach_targets(real, n: int, seed: int) -> np.ndarray:
    """Tool-tip targets of postures near home (within 0.3 m of the home tip)."""
    rng = np.random.default_rng(seed)
    home = real.nominal.home
    lo, hi = real.nominal.sample_bounds(0.1)
    out = []
    while len(out) < n:
        q = np.clip(home + rng.normal(0.0, 0.35, home.shape), lo, hi)
        tip = real.tip(q)
        if 0.05 < np.linalg.norm(tip - real.tip(home)) < 0.3:
            out.append(tip)
    return np.array(out)


def control_errors(real, sources: dict, targets, duration: float, seed: int) -> dict:
    """Median final true-tip error (mm) of each source, encoders only and with the tracker."""
    from armjac.mismatch.reach import reach

    out = {}
    for name, src in sources.items():
        row = {}
        for fb in ("encoders", "tracker"):
            runs = [
                reach(real, src, t, feedback=fb, duration=duration, seed=seed + i)
                for i, t in enumerate(targets)
            ]
            finals = [r["final_mm"] for r in runs if r["status"] == "ok"]
            row[fb] = {
                "median_mm": float(np.median(finals)) if finals else None,
                "max_mm": float(np.max(finals)) if finals else None,
                "failed": sum(r["status"] != "ok" for r in runs),
            }
        out[name] = row
    return out
