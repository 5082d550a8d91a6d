"""Scores of a run, from its log: tracking error, settling, torques, force, speed."""

from __future__ import annotations

import math

import numpy as np

# Metrics where larger is better: an ``expect`` bound on them is a minimum.
AT_LEAST = {"realtime_factor", "min_slide_force_N"}


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else math.nan


def _max(x: np.ndarray) -> float:
    return float(x.max()) if x.size else math.nan


def time_to_stay_within(t: np.ndarray, err: np.ndarray, tol: float, t0: float) -> float:
    """Time after ``t0`` from which ``err`` stays <= ``tol`` to the end of ``t`` (NaN if never)."""
    if not t.size or err[-1] > tol:
        return math.nan
    outside = np.flatnonzero(err > tol)
    if not outside.size:
        return max(0.0, float(t[0] - t0))
    last = outside[-1] + 1
    return float(t[last] - t0) if last < t.size else math.nan


def position_metrics(log: dict, scenario, evaluate: dict) -> dict:
    """Final, RMS and maximum position error, settling, and recovery from a disturbance."""
    t = log["t"]
    err = np.linalg.norm((log["ee_pos"] - log["target_pos"]) * scenario.axes, axis=1)
    settle_tol = evaluate.get("settle_tolerance", 0.02)
    rmse_from = evaluate.get("rmse_from", 0.0)
    out = {
        "final_position_error_m": float(err[-1]),
        "position_rmse_m": _rms(err[t >= rmse_from]),
        "max_position_error_m": _max(err[t >= rmse_from]),
    }
    segments = scenario.segments or [(0.0, float(t[-1]) + 1e-9)]
    finals, settles = [], []
    for start, end in segments:
        sel = (t >= start) & (t < end)
        if not sel.any():
            continue
        finals.append(float(err[sel][-1]))
        settles.append(time_to_stay_within(t[sel], err[sel], settle_tol, start))
    out["settling_time_s"] = max(settles) if settles else math.nan
    if len(segments) > 1:
        out["segment_final_errors_m"] = finals
        out["segment_settling_times_s"] = settles
        out["max_segment_final_error_m"] = max(finals)
    if scenario.disturbance is not None and t[-1] >= scenario.disturbance[1]:
        start, end = scenario.disturbance
        tol = evaluate.get("recover_tolerance", 0.002)
        sel = t >= end
        out["max_deviation_m"] = float(err[t >= start].max())
        out["recovery_time_s"] = time_to_stay_within(t[sel], err[sel], tol, end)
    return out


def orientation_metrics(log: dict, rmse_from: float) -> dict:
    """Final and RMS orientation error (rad) from ``log["orientation_error"]``."""
    ang = log["orientation_error"]
    sel = log["t"] >= rmse_from
    return {
        "final_orientation_error_rad": float(ang[-1]),
        "orientation_rmse_rad": _rms(ang[sel]),
    }


def force_metrics(log: dict, scenario) -> dict:
    """Contact time and the normal force's error while pressing (press scenario)."""
    t, f, contact = log["t"], log["force"], log["contact"]
    touched = np.flatnonzero(contact & (t >= scenario.t_contact))
    out = {"force_target_N": scenario.force}
    if not touched.size:
        return out | {"force_rmse_N": math.nan, "contact_time_s": math.nan}
    t_touch = float(t[touched[0]])
    settled = t >= t_touch + scenario.settle_time
    slide = (t >= scenario.t_slide) & (t < scenario.t_hold)
    out.update(
        contact_time_s=t_touch,
        force_rmse_N=_rms(f[settled] - scenario.force),
        force_mean_N=float(f[settled].mean()) if settled.any() else math.nan,
        max_force_N=float(f.max()),
        contact_lost_steps=int((~contact[slide]).sum()),
        min_slide_force_N=float(f[slide].min()) if slide.any() else math.nan,
    )
    return out


def check_expectations(metrics: dict, expect: dict) -> list[str]:
    """Bounds from the scenario's ``expect`` that the metrics break (empty: all met)."""
    failures = []
    for key, bound in expect.items():
        value = metrics.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            failures.append(f"{key}: no value (bound {bound:g})")
        elif key in AT_LEAST and value < bound:
            failures.append(f"{key} = {value:.4g} < {bound:g}")
        elif key not in AT_LEAST and value > bound:
            failures.append(f"{key} = {value:.4g} > {bound:g}")
    return failures
