"""Analytic core benchmark: armjac against PyBullet (and Pinocchio if installed).

Prints median per-call times for J, FK and M on kuka_iiwa and franka_panda,
their ratios measured side by side in this run, the batched per-configuration
time, and cold/warm generation times. Usage::

    python benchmarks/bench_core.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import pybullet as pb

import armjac
from armjac.sim.pybullet_model import PyBulletModel

ARMS = ("kuka_iiwa", "franka_panda")


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


def pinocchio_fns(arm):
    try:
        import pinocchio as pin
    except ImportError:
        return None
    model = pin.buildModelFromUrdf(arm.urdf_path)
    data = model.createData()
    frame = model.getFrameId(arm.ee_link)
    # Map armjac's q (chain joints) into Pinocchio's configuration vector.
    idx = [model.joints[model.getJointId(n)].idx_q for n in arm.joint_names]
    cols = [model.joints[model.getJointId(n)].idx_v for n in arm.joint_names]
    base = pin.neutral(model)

    def full(q):
        v = base.copy()
        v[idx] = q
        return v

    def jac(q):
        return pin.computeFrameJacobian(model, data, full(q), frame, pin.LOCAL_WORLD_ALIGNED)

    def fk(q):
        pin.framesForwardKinematics(model, data, full(q))
        return data.oMf[frame]

    def mass(q):
        return pin.crba(model, data, full(q))

    return {"jacobian": jac, "fk": fk, "mass_matrix": mass, "_cols": cols}


def bench_arm(name: str, repeat: int, rng) -> list[dict]:
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        armjac.load_arm(name, cache_dir=cache)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        arm = armjac.load_arm(name, cache_dir=cache)
        warm = time.perf_counter() - t0
    arm = armjac.load_arm(name)
    ref = PyBulletModel(arm)
    qs = list(arm.random_q(256, rng))
    pin_fns = pinocchio_fns(arm)
    rows = []
    for what in ("jacobian", "fk", "mass_matrix"):
        ours = median_us(getattr(arm, what), qs, repeat)
        theirs = median_us(getattr(ref, what), qs, repeat)
        row = {
            "arm": name,
            "quantity": what,
            "armjac_us": ours,
            "pybullet_us": theirs,
            "pybullet/armjac": theirs / ours,
        }
        if pin_fns is not None:
            pin_us = median_us(pin_fns[what], qs, repeat)
            row.update({"pinocchio_us": pin_us, "pinocchio/armjac": pin_us / ours})
        rows.append(row)
    batch = arm.random_q(10_000, rng)
    per_cfg = median_us(arm.jacobian, [batch], 15) / len(batch)
    rows.append({"arm": name, "quantity": "jacobian, batch of 10k", "armjac_us": per_cfg})
    rows.append({"arm": name, "quantity": "cold generation (s)", "armjac_us": cold})
    rows.append({"arm": name, "quantity": "warm load (s)", "armjac_us": warm})
    if pin_fns is not None:
        q = qs[0]
        err = np.abs(pin_fns["jacobian"](q)[:, pin_fns["_cols"]] - arm.jacobian(q)).max()
        rows.append({"arm": name, "quantity": "max |J_pin - J_armjac|", "armjac_us": err})
    ref.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    from armjac.cli.common import print_table

    print(
        f"armjac {armjac.__version__}, numpy {np.__version__}, pybullet API {pb.getAPIVersion()},"
        f" Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    rows = []
    for name in ARMS:
        rows += bench_arm(name, args.repeat, rng)
    cols = ["arm", "quantity", "armjac_us", "pybullet_us", "pybullet/armjac"]
    if any("pinocchio_us" in r for r in rows):
        cols += ["pinocchio_us", "pinocchio/armjac"]
    print_table(rows, cols, floatfmt=".3g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
