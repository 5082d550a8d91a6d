"""The mismatch section's force part: what J and g errors cost in newtons.

A torque-controlled arm without a wrist sensor estimates the contact force from its
joint torques, ``F = J^{+T} (g(q) - tau)`` at rest (:mod:`armjac.estimation.contact`):
every error in the model's Jacobian ``J`` (a wrong tool point changes the lever arm)
and in its gravity torques ``g`` (an unknown tool or payload) goes straight into
newtons. This module measures it on the section's real arm and models:

* **static**: at held-out poses of the real arm, a known force (``newtons``, along
  +-x, +-y, +-z) acts on the real tool point; the joint-torque sensor
  (:class:`~armjac.mismatch.sensors.JointTorqueSensor`) reads what the joints hold,
  ``tau = g_real(q) - J_real(q, tool)^T F`` plus its bias and noise, and each model
  estimates ``F`` from the encoder readings: ``J`` from the model at its tool
  point, ``g`` from one of four sources, so the table separates what ``J`` buys
  from what ``g`` buys:

  - ``nominal``: the URDF, without the tool and payload;
  - ``load data``: the URDF carrying the spec's tool and payload at the assumed
    tool point (:attr:`~armjac.mismatch.real_arm.RealArm.load_data_arm`);
  - ``identified``: the URDF carrying the load that
    :func:`~armjac.estimation.load.identify_load` finds from the sensor's readings at
    static poses of the real arm (:func:`~armjac.estimation.load.design_load_poses`);
  - ``identified on calibrated`` (and ``calibrated+joint``): the calibrated chain
    (corrected joint origins and zero offsets; with the joint-error model also
    eccentricity and deflection) carrying a load identified on it the same way;
  - ``exact``: the real arm's gravity torques at the true joint angles.

  ``exact`` is also a ``J`` row: the real arm's Jacobian at the true angles and
  tool point, so ``exact`` x ``exact`` is the sensor's own floor (zero without noise).

The press and tool-change parts run closed loop (:mod:`armjac.compare.force_runs`);
:func:`changed_tool` gives the static errors after the tool change, where the old
load data no longer holds and a re-identified load does.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from armjac.configs import Reader
from armjac.mismatch.load import (
    SENSOR_KEYS,
    identified_load,
    torque_sensor,
    true_load,
)

FORCE_KEYS = {"n_poses", "newtons", "load_poses", "torque_sensor", "press", "tool_change"}
G_SOURCES = ("nominal", "load data", "identified", "exact")
CALIBRATED_G = ("calibrated", "calibrated+joint")  # models whose chain also gives g
DIRECTIONS = np.vstack((np.eye(3), -np.eye(3)))  # +x +y +z -x -y -z
POSE_MARGIN = 0.1  # fraction of each joint range kept clear of its limits
DEFAULT_FORCE = {"n_poses": 200, "newtons": 10.0, "load_poses": 12, "torque_sensor": None}


def force_options(r: Reader, spec_arm: str | None = None) -> dict | None:
    """The entry's ``force`` mapping with defaults (None: no force part).

    ``force: true`` (or a mapping) asks for it; ``torque_sensor: {noise_Nm, bias_Nm}``
    replaces the spec's joint-torque sensor (None: the spec's).
    """
    from armjac.compare.force_runs import press_options, tool_change_options

    raw = r.data.get("force", False)
    if raw in (False, None, [], {}):
        return None
    if not isinstance(raw, dict | bool):
        raise r.fail("force", f"must be true, false or a mapping; got {raw!r}")
    f = r.child(raw if isinstance(raw, dict) else {}, "force")
    f.check_keys(FORCE_KEYS)
    sensor = None
    if f.data.get("torque_sensor") is not None:
        s = f.mapping("torque_sensor")
        s.check_keys(SENSOR_KEYS)
        sensor = {k: s.number(k, 0.0, minimum=0.0) for k in sorted(SENSOR_KEYS)}
    return {
        "n_poses": f.integer("n_poses", DEFAULT_FORCE["n_poses"], minimum=10, maximum=100_000),
        "newtons": f.number("newtons", DEFAULT_FORCE["newtons"], positive=True),
        "load_poses": f.integer("load_poses", DEFAULT_FORCE["load_poses"], minimum=3,
                                maximum=1000),  # fmt: skip
        "torque_sensor": sensor,
        "press": press_options(f, spec_arm),
        "tool_change": tool_change_options(f, spec_arm),
    }


def _load_summary(est, truth: dict) -> dict:
    return {
        "mass_kg": est.mass,
        "true_mass_kg": truth["mass"],
        "mass_error_pct": 100.0 * (est.mass - truth["mass"]) / truth["mass"]
        if truth["mass"] > 0
        else None,
        "com_mm": (1e3 * est.com).tolist(),
        "true_com_mm": (1e3 * truth["com"]).tolist(),
        "com_error_mm": float(1e3 * np.linalg.norm(est.com - truth["com"])),
        "n_poses": est.n_poses,
        "condition": est.condition,
        "residual_rms_Nm": est.residual_rms,
    }


def held_out_poses(real, n: int, seed: int) -> np.ndarray:
    """True joint angles (n, N) of the held-out static poses."""
    return np.asarray(real.nominal.random_q(n, np.random.default_rng(seed), margin=POSE_MARGIN))


def force_operator(jac: np.ndarray) -> np.ndarray:
    """``P`` (B, 3, N) with ``F = P tau_ext`` at each pose: the contact solve
    (:class:`~armjac.estimation.contact.WrenchSolver`, linear rows) applied to the unit
    torques, which is exact because the solve is linear in ``tau_ext``."""
    from armjac.estimation.contact import WrenchSolver

    solve = WrenchSolver(3)
    jac = np.asarray(jac, float)[:, :3, :]
    eye = np.eye(jac.shape[-1])
    return np.stack([np.stack([solve(j, e) for e in eye], axis=1) for j in jac])


def estimation_errors(op: np.ndarray, g_model: np.ndarray, tau: np.ndarray, forces) -> np.ndarray:
    """``|F_est - F|`` (B, D), N: ``F_est = P (g_model - tau)`` for the readings ``tau``
    (B, D, N) of the forces ``forces`` (D, 3) acting on the arm."""
    est = np.einsum("bkn,bdn->bdk", op, g_model[:, None, :] - tau)
    return np.linalg.norm(est - np.asarray(forces)[None], axis=-1)


def static_force(real, sources: dict, options: dict, seed: int, truth: dict | None = None) -> dict:
    """The static estimation errors of every model ``J`` crossed with every ``g`` source.

    Parameters
    ----------
    real : RealArm
    sources : dict
        The section's models by name (Jacobian sources at their tool point).
    options : dict
        :func:`force_options`.
    seed : int
        Draws the poses, the encoder and sensor noise.
    truth : dict, optional
        The load the real arm carries (default :func:`~armjac.mismatch.load.true_load`).

    Returns
    -------
    dict
        ``errors[J model][g source] = {"median_N", "p95_N"}``, the identified ``loads``
        (per g source) against the true one, and the settings.
    """
    from armjac.errors import InputError

    if np.linalg.matrix_rank(np.asarray(real.nominal.jacobian(real.nominal.home))[:3]) < 3:
        raise InputError(f"{real.nominal.name}: a hand that cannot move in every direction "
                         "cannot feel a force in every direction (the force part needs a "
                         "spatial arm)")  # fmt: skip
    truth = true_load(real) if truth is None else truth
    sensor = torque_sensor(real, options["torque_sensor"], seed + 5000)
    rng = np.random.default_rng(seed + 5001)
    q_true = held_out_poses(real, options["n_poses"], seed + 5002)
    q_read = real.encoders.read(q_true, rng)
    forces = options["newtons"] * DIRECTIONS
    jac_real = np.asarray(real.arm.jacobian(q_true, point=real.tool_point))[:, :3, :]
    # at rest the joints hold gravity less what the contact takes: tau = g - J^T F
    tau_motor = np.asarray(real.arm.gravity(q_true))[:, None, :] - np.einsum(
        "bkn,dk->bdn", jac_real, forces
    )
    tau = sensor.read(tau_motor, np.zeros_like(tau_motor), rng)
    load = identified_load(real, sensor, options["load_poses"], seed + 5003)
    gravity = {
        "nominal": np.asarray(real.nominal.gravity(q_read)),
        "load data": np.asarray(real.load_data_arm.gravity(q_read)),
        "identified": np.asarray(load.arm.gravity(q_read)),
    }
    loads = {"identified": _load_summary(load, truth)}
    for name in CALIBRATED_G:
        arm = getattr(sources.get(name), "arm", None)
        if arm is not None:  # the same poses and readings, identified on the calibrated chain
            est = identified_load(real, sensor, options["load_poses"], seed + 5003, arm)
            gravity[f"identified on {name}"] = np.asarray(est.arm.gravity(q_read))
            loads[f"identified on {name}"] = _load_summary(est, truth)
    gravity["exact"] = np.asarray(real.arm.gravity(q_true))
    jacobians = {name: np.asarray(src.jacobian(q_read)) for name, src in sources.items()}
    jacobians["exact"] = jac_real
    errors = {}
    for name, jac in jacobians.items():
        op = force_operator(jac)
        errors[name] = {}
        for g_name, g in gravity.items():
            e = estimation_errors(op, g, tau, forces)
            errors[name][g_name] = {"median_N": float(np.median(e)),
                                    "p95_N": float(np.percentile(e, 95))}  # fmt: skip
    return {
        "n_poses": int(options["n_poses"]),
        "newtons": float(options["newtons"]),
        "directions": len(DIRECTIONS),
        "torque_sensor": {"noise_Nm": sensor.noise,
                          "bias_Nm_rms": float(np.sqrt(np.mean(sensor.bias**2)))},  # fmt: skip
        "loads": loads,
        "errors": errors,
    }


def changed_tool(real, extension: float, mass: float):
    """The real arm after an unknown tool change (as in ``tool_change``): the tool grows by
    ``extension`` m along its axis and ``mass`` kg is added halfway along the added length.
    Returns the changed real arm and its true load (:func:`~armjac.mismatch.load.true_load`'s
    form)."""
    from armjac.model.adjustment import load_parameters
    from armjac.model.tree import Inertial

    axis = real.assumed_point / np.linalg.norm(real.assumed_point)
    old, new = real.tool_point, real.tool_point + extension * axis
    mid = 0.5 * (old + new)
    arm = real.arm.adjusted(None, load_parameters(Inertial(mass=float(mass),
                                                           xyz=tuple(map(float, mid)))),
                            name=f"{real.arm.name}+new-tool")  # fmt: skip
    truth = true_load(real)
    total = truth["mass"] + mass
    com = (truth["mass"] * truth["com"] + mass * mid) / total
    return dataclasses.replace(real, arm=arm, tool_point=new), {"mass": total, "com": com}


def run_force(real, sources: dict, entry: dict, figdir, tag: str, log=None) -> dict:
    """The force part for one spec (module doc): static errors, after the tool change,
    the press and the tool-change runs, as configured in ``entry["force"]``."""
    import time

    from armjac.compare.force_runs import TOOL_SCENARIO, run_press, run_tool_change

    log = log or (lambda *_: None)
    opts, seed = entry["force"], entry["seed"]
    phases = {}
    t0 = time.perf_counter()
    out: dict = {"static": static_force(real, sources, opts, seed)}
    if opts["tool_change"]:
        from armjac.scenarios.config import load_scenario

        task = load_scenario(TOOL_SCENARIO).task
        ext, mass = float(task.get("tool_extension", 0.08)), float(task.get("tool_mass", 0.3))
        changed, truth = changed_tool(real, ext, mass)
        kept = {k: v for k, v in sources.items() if k in ("nominal", *CALIBRATED_G)}
        after = static_force(changed, kept, opts, seed, truth)
        out["after_tool_change"] = after | {"tool_extension_m": ext, "tool_mass_kg": mass}
    phases["static_s"] = time.perf_counter() - t0
    log(f"force: static errors in {phases['static_s']:.1f} s")
    if opts["press"]:
        t0 = time.perf_counter()
        out["press"] = run_press(real, sources, entry, opts)
        phases["press_s"] = time.perf_counter() - t0
    if opts["tool_change"]:
        t0 = time.perf_counter()
        out["tool_change"] = run_tool_change(sources, entry, opts, figdir, tag)
        phases["tool_change_s"] = time.perf_counter() - t0
    out["phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    return out
