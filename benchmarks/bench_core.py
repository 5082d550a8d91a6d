"""Analytic core benchmark: armjac against Pinocchio and PyBullet, side by side.

For kuka_iiwa and franka_panda it prints median per-call times of J, FK,
gravity, M and the fused control step, each next to Pinocchio called directly
(its configuration vectors are built once, outside the timed calls) and
PyBullet (through :class:`~armjac.sim.pybullet_model.PyBulletModel`), with the
ratios measured in this run. Then the batched Jacobian per configuration, cold
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


def pinocchio_fns(arm, qs, dqs):
    """Pinocchio's own calls on configuration vectors mapped once, up front."""
    try:
        import pinocchio as pin
    except ImportError:
        return None
    model = pin.buildModelFromUrdf(arm.urdf_path)
    data = model.createData()
    frame = model.getFrameId(arm.ee_link)
    idx = [model.joints[model.getJointId(n)].idx_q for n in arm.joint_names]
    cols = [model.joints[model.getJointId(n)].idx_v for n in arm.joint_names]
    world = pin.LOCAL_WORLD_ALIGNED

    def full(values, neutral):
        v = neutral.copy()
        v[idx] = values
        return v

    pairs = [
        (full(q, pin.neutral(model)), full(dq, np.zeros(model.nv)))
        for q, dq in zip(qs, dqs, strict=True)
    ]

    def fk(qv):
        pin.forwardKinematics(model, data, qv[0])
        return pin.updateFramePlacement(model, data, frame)

    def terms(qv):  # everything a control step reads
        pin.computeAllTerms(model, data, qv[0], qv[1])
        pose = pin.updateFramePlacement(model, data, frame)
        jac = pin.getFrameJacobian(model, data, frame, world)
        return pose, jac, data.M, data.nle

    fns = {
        "jacobian": lambda qv: pin.computeFrameJacobian(model, data, qv[0], frame, world),
        "fk": fk,
        "gravity": lambda qv: pin.computeGeneralizedGravity(model, data, qv[0]),
        "mass_matrix": lambda qv: pin.crba(model, data, qv[0]),
        "control_terms": terms,
    }
    check = pin.computeFrameJacobian(model, data, pairs[0][0], frame, world)[:, cols]
    return fns, pairs, np.abs(check - arm.jacobian(qs[0])).max()


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


def _our_calls(arm, qs, dqs) -> dict:
    buf = arm.control_terms_buffer()

    def control_step(qv):
        t = arm.control_terms(qv[0], qv[1], out=buf)
        return t.T, t.J, t.dJdq, t.M, t.h

    return {
        "jacobian": (arm.jacobian, qs),
        "fk": (arm.fk, qs),
        "gravity": (arm.gravity, qs),
        "mass_matrix": (arm.mass_matrix, qs),
        "control_terms": (control_step, list(zip(qs, dqs, strict=True))),
    }


def _timed_rows(name, prefix, ours, ref, pin, qs, repeat) -> list[dict]:
    """One row per call: armjac's median, and PyBullet's and Pinocchio's beside it."""
    rows = []
    for what, (fn, args) in ours.items():
        us = median_us(fn, args, repeat)
        row = {"arm": name, "quantity": prefix + what, "armjac_us": us}
        if ref is not None and hasattr(ref, what):
            theirs = median_us(getattr(ref, what), qs, repeat)
            row.update({"pybullet_us": theirs, "pybullet/armjac": theirs / us})
        if pin is not None:
            pin_us = median_us(pin[0][what], pin[1], repeat)
            row.update({"pinocchio_us": pin_us, "pinocchio/armjac": pin_us / us})
        rows.append(row)
    return rows


def _adjusted_rows(name, arm, qs, dqs, pin, repeat, rng) -> list[dict]:
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
    calls = {k: v for k, v in _our_calls(adj, qs, dqs).items() if k != "fk"}
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
    pin = pinocchio_fns(arm, qs, dqs)
    rows = _timed_rows(name, "", _our_calls(arm, qs, dqs), ref, pin, qs, repeat)
    rows += _adjusted_rows(name, arm, qs, dqs, pin, repeat, rng)
    batch = arm.random_q(10_000, rng)
    out = np.empty((len(batch), 6, arm.dof))
    walls, cpus = [], []
    for _ in range(25):  # a few ms each: CPU time is robust to being descheduled
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        arm.jacobian(batch, out=out)
        cpus.append(time.thread_time_ns() - c0)
        walls.append(time.perf_counter_ns() - t0)
    rows.append(
        {
            "arm": name,
            "quantity": "jacobian, batch of 10k, min wall (per config)",
            "armjac_us": min(walls) / 1e3 / len(batch),
        }
    )
    rows.append(
        {
            "arm": name,
            "quantity": "jacobian, batch of 10k, median CPU (per config)",
            "armjac_us": statistics.median(cpus) / 1e3 / len(batch),
        }
    )
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
