"""Inverse kinematics benchmark: armjac.ik against PyBullet's and Pinocchio's IK, side by side.

For kuka_iiwa and franka_panda it draws random reachable poses (forward
kinematics of uniform configurations within the joint limits) and solves them
from the home posture. Success means within 0.1 mm and 0.1 deg, with every
joint within its limits. Printed per solver: success rate, median time per
solve, and for armjac's batched call the wall time divided by the number of
targets. Usage::

    python benchmarks/bench_ik.py [--targets 1000] [--peer-targets 200]

Peers are called the way their own documentation shows: PyBullet's
``calculateInverseKinematics`` with ``maxNumIterations``/``residualThreshold``
from the home state; Pinocchio's closed-loop IK example (damped pseudo-inverse
on ``log6``, step 0.1, at most 1000 iterations). The Robotics Toolbox
(``ik_LM``) is compared when importable.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pybullet as pb

import armjac
from armjac import ik
from armjac.sim.pybullet_model import PyBulletModel

ARMS = ("kuka_iiwa", "franka_panda")
TOL_POS = 1e-4
TOL_ROT = np.deg2rad(0.1)


def errors(arm, q: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position (m) and orientation (rad) errors of the solutions, from armjac's FK."""
    got = arm.fk(q)
    pos = np.linalg.norm(got[:, :3, 3] - targets[:, :3, 3], axis=1)
    rel = np.einsum("bij,bkj->bik", got[:, :3, :3], targets[:, :3, :3])
    ang = np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1))
    return pos, ang


def success(arm, q: np.ndarray, targets: np.ndarray) -> np.ndarray:
    pos, ang = errors(arm, q, targets)
    lo, hi = arm.joint_limits.T
    inside = np.all((q >= lo - 1e-9) & (q <= hi + 1e-9), axis=1)
    return (pos <= TOL_POS) & (ang <= TOL_ROT) & inside


def timed_loop(solve_one, targets) -> tuple[np.ndarray, float]:
    qs, times = [], []
    for t in targets:
        t0 = time.perf_counter()
        qs.append(solve_one(t))
        times.append(time.perf_counter() - t0)
    return np.array(qs), statistics.median(times) * 1e3


def armjac_rows(arm, targets):
    tol = dict(tol_position=TOL_POS, tol_orientation=TOL_ROT)
    rows = []
    ik.solve(arm, targets[:4], **tol)  # warm the kernels
    t0 = time.perf_counter()
    res = ik.solve(arm, targets, rng=0, **tol)
    wall = (time.perf_counter() - t0) * 1e3
    rows.append(("armjac batched", success(arm, res.q, targets).mean(), wall / len(targets),
                 f"wall {wall:.0f} ms / {len(targets)}; {int((res.restarts > 0).sum())} restarted"))
    once = ik.solve(arm, targets, restarts=0, **tol)
    rows.append(("armjac batched, no restarts", success(arm, once.q, targets).mean(), None,
                 f"median {np.median(once.iterations):.0f} iterations"))
    q, med = timed_loop(lambda t: ik.solve(arm, t, rng=0, **tol).q, targets)
    rows.append(("armjac one at a time", success(arm, q, targets).mean(), med, "median per solve"))
    return rows


def pybullet_row(arm, targets):
    model = PyBulletModel(arm)
    try:
        link = model.link_index[arm.ee_link]
        lo, hi = arm.joint_limits.T

        def solve_one(t):
            model.set_state(arm.home)
            orn = _quat_xyzw(t[:3, :3])
            full = pb.calculateInverseKinematics(
                model.body, link, t[:3, 3].tolist(), orn, maxNumIterations=200,
                residualThreshold=1e-7, physicsClientId=model.client)
            return np.asarray(full)[model._cols]

        q, med = timed_loop(solve_one, targets)
    finally:
        model.close()
    return ("pybullet calculateInverseKinematics", success(arm, q, targets).mean(), med,
            "median per solve")


def _quat_xyzw(rot):
    from armjac.rotation import quat_from_matrix

    return quat_from_matrix(rot).tolist()


def pinocchio_row(arm, targets):
    try:
        import pinocchio as pin
    except ImportError:
        return ("pinocchio CLIK example", None, None, "pinocchio not installed")
    model = pin.buildModelFromUrdf(arm.urdf_path)
    data = model.createData()
    frame = model.getFrameId(arm.ee_link)
    idx = [model.joints[model.getJointId(n)].idx_q for n in arm.joint_names]
    base = pin.neutral(model)
    base[idx] = arm.home

    def solve_one(t):
        goal = pin.SE3(t[:3, :3].copy(), t[:3, 3].copy())
        q = base.copy()
        for _ in range(1000):
            pin.framesForwardKinematics(model, data, q)
            err_se3 = data.oMf[frame].actInv(goal)
            err = pin.log(err_se3).vector
            if np.linalg.norm(err) < 1e-6:
                break
            jac = pin.computeFrameJacobian(model, data, q, frame, pin.LOCAL)
            jac = -pin.Jlog6(err_se3.inverse()) @ jac
            v = -jac.T @ np.linalg.solve(jac @ jac.T + 1e-12 * np.eye(6), err)
            q = pin.integrate(model, q, 0.1 * v)
        return q[idx]

    q, med = timed_loop(solve_one, targets)
    return ("pinocchio CLIK example", success(arm, q, targets).mean(), med,
            "median per solve; no joint limits in the loop")


def rtb_row(arm, targets):
    try:
        import roboticstoolbox  # noqa: F401
    except ImportError:
        return ("roboticstoolbox ik_LM", None, None,
                "not installed: every release needs numpy >= 2, which TensorFlow 2.12 forbids")
    return ("roboticstoolbox ik_LM", None, None, "installed but not wired here")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--peer-targets", type=int, default=200,
                    help="targets for the slower one-at-a-time peers")
    args = ap.parse_args()
    print(f"success: within {TOL_POS * 1e3:.1f} mm and {np.rad2deg(TOL_ROT):.1f} deg, "
          "joints within limits; start: home posture")
    for name in ARMS:
        arm = armjac.load_arm(name)
        targets = arm.fk(arm.random_q(args.targets, rng=2026))
        few = targets[: args.peer_targets]
        print(f"\n{name}: {args.targets} random reachable poses "
              f"(peers: first {len(few)})")
        print(f"  {'solver':38s} {'success':>8s} {'ms/solve':>9s}  note")
        for label, rate, ms, note in (*armjac_rows(arm, targets), pybullet_row(arm, few),
                                      pinocchio_row(arm, few), rtb_row(arm, few)):
            rate_s = "-" if rate is None else f"{100 * rate:.1f}%"
            ms_s = "-" if ms is None else f"{ms:.3f}"
            print(f"  {label:38s} {rate_s:>8s} {ms_s:>9s}  {note}")


if __name__ == "__main__":
    main()
