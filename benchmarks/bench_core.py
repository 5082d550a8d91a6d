"""Analytic core benchmark: armjac against Pinocchio and PyBullet, side by side.

For kuka_iiwa and franka_panda it prints median per-call times of J (world and
local frame), FK, gravity, M, C dq + g, inverse and forward dynamics, dJ/dt, the
momentum observer's terms and the fused control step, each next to Pinocchio
called directly (its model reduced to armjac's chain, the Panda's fingers
locked; its configuration vectors built once, outside the timed calls; blocks of
calls of the two interleaved) and PyBullet (through
:class:`~armjac.sim.pybullet_model.PyBulletModel`, where it has the quantity),
with the ratios measured in this run. Then the batched Jacobian per configuration, cold
generation (wall time and CPU time including the compiler) and warm load in
fresh processes; an adjusted arm (``Arm.adjusted``: origin offsets and a load),
its calls beside Pinocchio's and the cost of its kernel family and of each
further adjusted arm; and the cold generation of a random 10-joint chain with
general rpy at every joint and noisy axes. Usage::

    python benchmarks/bench_core.py [--repeat 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pybullet as pb

import armjac
from armjac.sim.pybullet_model import PyBulletModel

ARMS = ("kuka_iiwa", "franka_panda")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def median_us(fn, args_list, repeat: int) -> float:
    """Median over ``repeat`` timed calls, each on the next argument (cycled)."""
    times = []
    n = len(args_list)
    for i in range(repeat):
        a = args_list[i % n]
        t0 = time.perf_counter_ns()
        fn(a)
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1e3


def race_us(sides, repeat: int, block: int = 50) -> list[float]:
    """Median per-call microseconds of each ``(fn, args_list)`` in ``sides``, their
    blocks of ``block`` calls interleaved, so a busy machine slows all alike."""
    times: list[list[int]] = [[] for _ in sides]
    for start in range(0, repeat, block):
        for (fn, args), out in zip(sides, times, strict=True):
            n = len(args)
            for i in range(start, start + block):
                a = args[i % n]
                t0 = time.perf_counter_ns()
                fn(a)
                out.append(time.perf_counter_ns() - t0)
    return [statistics.median(t) / 1e3 for t in times]


def pinocchio_fns(arm, qs, dqs, us):
    """Pinocchio's own calls on configuration vectors mapped once, up front, on its model
    reduced to the arm's chain (joints off the chain locked at zero, as armjac holds them)."""
    try:
        import pinocchio as pin
    except ImportError:
        return None
    full_model = pin.buildModelFromUrdf(arm.urdf_path)
    lock = [j for j in range(1, full_model.njoints) if full_model.names[j] not in arm.joint_names]
    model = pin.buildReducedModel(full_model, lock, pin.neutral(full_model))
    data = model.createData()
    frame = model.getFrameId(arm.ee_link)
    idx = [model.joints[model.getJointId(n)].idx_q for n in arm.joint_names]
    cols = [model.joints[model.getJointId(n)].idx_v for n in arm.joint_names]
    world = pin.LOCAL_WORLD_ALIGNED

    def full(values, neutral):
        v = neutral.copy()
        v[idx] = values
        return v

    zero = np.zeros(model.nv)
    args = [
        (full(q, pin.neutral(model)), full(dq, zero), full(u, zero))
        for q, dq, u in zip(qs, dqs, us, strict=True)
    ]

    def fk(qv):
        pin.forwardKinematics(model, data, qv[0])
        return pin.updateFramePlacement(model, data, frame)

    def terms(qv):  # everything a control step reads
        pin.computeAllTerms(model, data, qv[0], qv[1])
        pose = pin.updateFramePlacement(model, data, frame)
        jac = pin.getFrameJacobian(model, data, frame, world)
        return pose, jac, data.M, data.nle

    def jdot(qv):
        pin.computeJointJacobiansTimeVariation(model, data, qv[0], qv[1])
        pin.updateFramePlacements(model, data)
        return pin.getFrameJacobianTimeVariation(model, data, frame, world)

    def momentum(qv):  # p = M dq, n = C^T dq - g from Pinocchio's M, C and g
        m = pin.crba(model, data, qv[0])
        m = np.triu(m) + np.triu(m, 1).T
        c = pin.computeCoriolisMatrix(model, data, qv[0], qv[1])
        return m @ qv[1], c.T @ qv[1] - pin.computeGeneralizedGravity(model, data, qv[0])

    fns = {
        "jacobian": lambda qv: pin.computeFrameJacobian(model, data, qv[0], frame, world),
        "jacobian local": lambda qv: pin.computeFrameJacobian(model, data, qv[0], frame, pin.LOCAL),
        "fk": fk,
        "gravity": lambda qv: pin.computeGeneralizedGravity(model, data, qv[0]),
        "mass_matrix": lambda qv: pin.crba(model, data, qv[0]),
        "nonlinear_effects": lambda qv: pin.nonLinearEffects(model, data, qv[0], qv[1]),
        "inverse_dynamics": lambda qv: pin.rnea(model, data, qv[0], qv[1], qv[2]),
        "forward_dynamics": lambda qv: pin.aba(model, data, qv[0], qv[1], qv[2]),
        "jacobian_dot": jdot,
        "momentum_terms": momentum,
        "control_terms": terms,
    }
    check = pin.computeFrameJacobian(model, data, args[0][0], frame, world)[:, cols]
    return fns, args, np.abs(check - arm.jacobian(qs[0])).max()


def cold_generation(urdf_or_name, cache: str) -> tuple[float, float]:
    """Wall and CPU seconds (this process and the compiler) of one cold load."""
    c0, t0 = os.times(), time.perf_counter()
    armjac.load_arm(urdf_or_name, cache_dir=cache)
    wall, c1 = time.perf_counter() - t0, os.times()
    cpu = sum(
        getattr(c1, f) - getattr(c0, f)
        for f in ("user", "system", "children_user", "children_system")
    )
    return wall, cpu


def warm_load_fresh(name: str, cache: str, runs: int = 7) -> tuple[float, float]:
    """Median wall and CPU milliseconds of load_arm in fresh processes (after import)."""
    code = (
        "import time, armjac\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        f"armjac.load_arm({name!r}, cache_dir={cache!r})\n"
        "print((time.perf_counter() - t) * 1e3, (time.process_time() - c) * 1e3)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    walls, cpus = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        ).stdout.split()
        walls.append(float(out[0]))
        cpus.append(float(out[1]))
    return statistics.median(walls), statistics.median(cpus)


def _our_calls(arm, qs, dqs, us) -> dict:
    buf = arm.control_terms_buffer()

    def control_step(qv):
        t = arm.control_terms(qv[0], qv[1], out=buf)
        return t.T, t.J, t.dJdq, t.M, t.h

    qv = list(zip(qs, dqs, us, strict=True))
    return {
        "jacobian": (arm.jacobian, qs),
        "jacobian local": (lambda q: arm.jacobian(q, frame="local"), qs),
        "fk": (arm.fk, qs),
        "gravity": (arm.gravity, qs),
        "mass_matrix": (arm.mass_matrix, qs),
        "nonlinear_effects": (lambda a: arm.nonlinear_effects(a[0], a[1]), qv),
        "inverse_dynamics": (lambda a: arm.inverse_dynamics(a[0], a[1], a[2]), qv),
        "forward_dynamics": (lambda a: arm.forward_dynamics(a[0], a[1], a[2]), qv),
        "jacobian_dot": (lambda a: arm.jacobian_dot(a[0], a[1]), qv),
        "momentum_terms": (lambda a: arm.momentum_terms(a[0], a[1]), qv),
        "manipulability_gradient": (arm.manipulability_gradient, qs),
        "control_terms": (control_step, qv),
    }


def _timed_rows(name, prefix, ours, ref, pin, qs, repeat) -> list[dict]:
    """One row per call: armjac's median, with Pinocchio's (interleaved) and
    PyBullet's beside it."""
    rows = []
    for what, (fn, args) in ours.items():
        sides = [(fn, args)]
        if pin is not None and what in pin[0]:
            sides.append((pin[0][what], pin[1]))
        times = race_us(sides, repeat)
        row = {"arm": name, "quantity": prefix + what, "armjac_us": times[0]}
        if ref is not None and hasattr(ref, what) and what != "jacobian local":
            theirs = median_us(getattr(ref, what), qs, repeat)
            row.update({"pybullet_us": theirs, "pybullet/armjac": theirs / times[0]})
        if len(times) > 1:
            row.update({"pinocchio_us": times[1], "pinocchio/armjac": times[1] / times[0]})
        rows.append(row)
    return rows


def _adjusted_rows(name, arm, qs, dqs, us, pin, repeat, rng) -> list[dict]:
    """An adjusted arm (origin offsets and a 1 kg load): building its kernel family once,
    making further adjusted arms, and its calls beside Pinocchio's (whose model
    parameters are run-time values anyway)."""
    load = [1.0, 0.0, 0.0, 0.1, 0.011, 0.0, 0.0, 0.011, 0.0, 0.001]
    t0 = time.perf_counter()
    adj = arm.adjusted(rng.normal(0.0, 0.005, (arm.dof, 3)), load)
    family = time.perf_counter() - t0
    makes = []
    for _ in range(7):
        t0 = time.perf_counter()
        arm.adjusted(rng.normal(0.0, 0.005, (arm.dof, 3)), load)
        makes.append(time.perf_counter() - t0)
    keep = ("jacobian", "gravity", "mass_matrix", "inverse_dynamics", "control_terms")
    calls = {k: v for k, v in _our_calls(adj, qs, dqs, us).items() if k in keep}
    rows = _timed_rows(name, "adjusted ", calls, None, pin, qs, repeat)
    rows.append({"arm": name, "quantity": "adjusted: kernel family, cold (s)",
                 "armjac_us": family})  # fmt: skip
    rows.append({"arm": name, "quantity": "adjusted: another arm, warm (ms)",
                 "armjac_us": statistics.median(makes) * 1e3})  # fmt: skip
    return rows


def bench_arm(name: str, repeat: int, rng, cache: str) -> list[dict]:
    armjac.load_arm("planar2", cache_dir=cache)  # the dispatcher is built once per machine
    wall, cpu = cold_generation(name, cache)
    warm_wall, warm_cpu = warm_load_fresh(name, cache)
    arm = armjac.load_arm(name, cache_dir=cache)
    ref = PyBulletModel(arm)
    qs = list(arm.random_q(256, rng))
    dqs = list(rng.normal(size=(256, arm.dof)))
    us = list(rng.normal(size=(256, arm.dof)) * 5)
    pin = pinocchio_fns(arm, qs, dqs, us)
    rows = _timed_rows(name, "", _our_calls(arm, qs, dqs, us), ref, pin, qs, repeat)
    single = rows[0]["armjac_us"]
    rows += _adjusted_rows(name, arm, qs, dqs, us, pin, repeat, rng)
    batch = arm.random_q(10_000, rng)
    out = np.empty((len(batch), 6, arm.dof))
    walls, cpus = [], []
    for _ in range(25):  # a few ms each: CPU time is robust to being descheduled
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        arm.jacobian(batch, out=out)
        cpus.append(time.thread_time_ns() - c0)
        walls.append(time.perf_counter_ns() - t0)
    per_wall = min(walls) / 1e3 / len(batch)
    per_cpu = statistics.median(cpus) / 1e3 / len(batch)  # robust to being descheduled
    rows.append(
        {"arm": name, "quantity": "jacobian, batch of 10k, min wall (per config)",
         "armjac_us": per_wall}
    )  # fmt: skip
    rows.append(
        {"arm": name, "quantity": "jacobian, batch of 10k, median CPU (per config)",
         "armjac_us": per_cpu}
    )  # fmt: skip
    rows.append(
        {"arm": name, "quantity": "jacobian, batch CPU per config / single call (ratio)",
         "armjac_us": per_cpu / single}
    )  # fmt: skip
    rows.append({"arm": name, "quantity": "cold generation, wall (s)", "armjac_us": wall})
    rows.append({"arm": name, "quantity": "cold generation, CPU incl. cc (s)", "armjac_us": cpu})
    rows.append(
        {"arm": name, "quantity": "warm load, fresh process, wall (ms)", "armjac_us": warm_wall}
    )
    rows.append(
        {"arm": name, "quantity": "warm load, fresh process, CPU (ms)", "armjac_us": warm_cpu}
    )
    if pin is not None:
        rows.append({"arm": name, "quantity": "max |J_pin - J_armjac|", "armjac_us": pin[2]})
    ref.close()
    return rows


def bench_general_chain(cache: str) -> list[dict]:
    from chain_factory import general_chain_urdf

    path = Path(cache) / "general10.urdf"
    path.write_text(general_chain_urdf(3))
    wall, cpu = cold_generation(path, cache)
    label = "general 10-joint chain"
    return [
        {"arm": label, "quantity": "cold generation, wall (s)", "armjac_us": wall},
        {"arm": label, "quantity": "cold generation, CPU incl. cc (s)", "armjac_us": cpu},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    from armjac.cli.common import print_table

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"armjac {armjac.__version__}, numpy {np.__version__}, pybullet API {pb.getAPIVersion()},"
        f" Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for name in ARMS:
            rows += bench_arm(name, args.repeat, rng, cache)
        rows += bench_general_chain(cache)
    cols = ["arm", "quantity", "armjac_us", "pybullet_us", "pybullet/armjac"]
    if any("pinocchio_us" in r for r in rows):
        cols += ["pinocchio_us", "pinocchio/armjac"]
    else:
        print("(Pinocchio not installed: pip install 'pin==2.6.20' for numpy 1, 'pin' for numpy 2)")
    print_table(rows, cols, floatfmt=".3g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
