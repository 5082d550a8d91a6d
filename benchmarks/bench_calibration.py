"""Calibration and learning from data on real arms with errors outside both models.

    python benchmarks/bench_calibration.py [--cases a,b] [--n 2000] [--learn ""] [--seed 0]
        [--noise-seed 1] [--criterion I|D|S]

Each case draws a kuka_iiwa "real arm" here, independently of armjac.mismatch and of
armjac.calibration's parametrisation (its own numpy chain below), with the errors every
case shares -- joint origins N(0, 1 mm) per axis, zero offsets N(0, 0.1 deg), the tool
tip N(0, 2 mm) per axis off the assumed [0, 0, 0.15] m, encoder noise 0.001 deg, tracker
noise 0.5 mm per axis -- plus the case's own:

* ``tracker``: the tracker frame tilted 0.5 deg about a random axis and shifted 5 mm;
* ``axes``: every joint axis misaligned by N(0, 0.1 deg) about both perpendiculars;
* ``harmonics``: encoder errors of the 2nd and 3rd harmonic of each joint's angle
  (0.02 and 0.01 deg, random phases) and coupled wrist readings (joint 6 reads
  -0.3 % of joint 5's angle, joint 7 -0.3 % of joint 6's);
* ``all``: ``harmonics`` + ``tracker`` + ``axes`` + links bending under gravity (each
  link turns by 0.01 deg times the sine of its angle to the vertical, in the vertical
  plane through it) + 1st-harmonic eccentricity 0.02 deg + gravity deflection of the
  nominal's torques at 15, 15, 8, 8, 4, 4, 2 kN m/rad.

Data (same budget, ``--n`` tracker samples): ``iid`` -- configurations uniform within
the joint limits (10 % margin); ``paths`` -- 50 Hz samples along minimum-jerk moves
between random via points (1.5 rad/s cap, no dynamics); ``designed`` --
``armjac.calibration.design_poses``; ``designed paths`` -- the moves through designed
via points. Held out: 2,000 configurations uniform within the same box, truth from the
real arm. Reported: median tip error, mm, of the best of the two calibrations
(geometric, with joint errors; chosen by the truth: an oracle) and of
``train_from_data`` with its defaults (with the model it chose).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

POINT = np.array([0.0, 0.0, 0.15])
DEG = np.pi / 180
CASES = ("tracker", "axes", "harmonics", "all")


def _rot(rotvec: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(rotvec)
    if angle < 1e-15:
        return np.eye(3)
    k = rotvec / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


def _rpy(r) -> np.ndarray:
    cr, sr, cp, sp, cy, sy = np.cos(r[0]), np.sin(r[0]), np.cos(r[1]), np.sin(r[1]), np.cos(
        r[2]), np.sin(r[2])  # fmt: skip
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


class RealArm:
    """A drawn kuka_iiwa: its own chain, encoders and tracker (see the module doc)."""

    def __init__(self, nominal, case: str, seed: int):
        rng = np.random.default_rng(seed)
        self.nominal, self.case = nominal, case
        joints = [j for j in nominal.model.path_to(nominal.ee_link) if j.name in
                  nominal.joint_names]  # fmt: skip
        assert len(joints) == nominal.dof and all(j.type == "revolute" for j in joints)
        n = nominal.dof
        has = {"tracker": case in ("tracker", "all"), "axes": case in ("axes", "all"),
               "harmonics": case in ("harmonics", "all"), "all": case == "all"}  # fmt: skip
        self.origins = []
        for j in joints:
            t = np.eye(4)
            t[:3, :3] = _rpy(j.rpy)
            t[:3, 3] = np.asarray(j.xyz) + rng.normal(0, 1e-3, 3)
            if has["axes"]:
                axis = np.asarray(j.axis, float)
                tilt = rng.normal(0, 0.1 * DEG, 3)
                t[:3, :3] = t[:3, :3] @ _rot(tilt - axis * (tilt @ axis))
            self.origins.append(t)
        self.axes = [np.asarray(j.axis, float) for j in joints]
        self.zero = rng.normal(0, 0.1 * DEG, n)
        self.tool = POINT + rng.normal(0, 2e-3, 3)
        self.base = np.eye(4)
        if has["tracker"]:
            axis = rng.normal(size=3)
            self.base[:3, :3] = _rot(0.5 * DEG * axis / np.linalg.norm(axis))
            shift = rng.normal(size=3)
            self.base[:3, 3] = 5e-3 * shift / np.linalg.norm(shift)
        self.h2 = (0.02 * DEG, rng.uniform(0, 2 * np.pi, n)) if has["harmonics"] else None
        self.h3 = (0.01 * DEG, rng.uniform(0, 2 * np.pi, n)) if has["harmonics"] else None
        self.couple = -0.003 if has["harmonics"] else 0.0
        self.bend = 0.01 * DEG if has["all"] else 0.0
        self.ecc = (0.02 * DEG, rng.uniform(0, 2 * np.pi, n)) if has["all"] else None
        self.k = np.array([15, 15, 8, 8, 4, 4, 2]) * 1e3 if has["all"] else None
        # the next joint's origin in each link's frame: the link's direction, for bending
        self.link_dir = [o[:3, 3] / max(np.linalg.norm(o[:3, 3]), 1e-12)
                         for o in self.origins[1:]] + [np.array([0, 0, 1.0])]  # fmt: skip

    def readings(self, q: np.ndarray, rng) -> np.ndarray:
        """Encoder readings at the true link angles ``q`` (B, N)."""
        r = q - self.zero
        for h, k in ((self.h2, 2), (self.h3, 3), (self.ecc, 1)):
            if h is not None:
                r = r + h[0] * np.sin(k * q + h[1])
        if self.k is not None:
            r = r - np.array([self.nominal.gravity(qq) for qq in q]) / self.k
        r[:, 5] += self.couple * q[:, 4]
        r[:, 6] += self.couple * q[:, 5]
        return r + rng.normal(0, 0.001 * DEG, q.shape)

    def tip(self, q: np.ndarray) -> np.ndarray:
        """True tool tips (B, 3) in the tracker frame."""
        b = q.shape[0]
        t = np.broadcast_to(self.base, (b, 4, 4)).copy()
        g = np.array([0, 0, -1.0])
        for i, (o, a) in enumerate(zip(self.origins, self.axes, strict=True)):
            t = t @ o
            m = np.zeros((b, 4, 4))
            m[:, 3, 3] = 1
            k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
            s, c = np.sin(q[:, i])[:, None, None], np.cos(q[:, i])[:, None, None]
            m[:, :3, :3] = np.eye(3) + s * k + (1 - c) * k @ k
            t = t @ m
            if self.bend:  # the link sags towards gravity: about link_dir x g (link frame)
                g_local = np.einsum("bji,j->bi", t[:, :3, :3], g)
                rv = self.bend * np.cross(self.link_dir[i], g_local)
                bent = np.zeros((b, 4, 4))
                bent[:, 3, 3] = 1
                bent[:, :3, :3] = np.array([_rot(v) for v in rv])
                t = t @ bent
        return t[:, :3, 3] + np.einsum("bij,j->bi", t[:, :3, :3], self.tool)

    def measure(self, q_true: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        return self.readings(q_true, rng), self.tip(q_true) + rng.normal(0, 5e-4, (len(q_true), 3))


def _path(nominal, vias: np.ndarray, n: int, rng) -> np.ndarray:
    """``n`` 50 Hz samples of min-jerk moves through ``vias`` (1.5 rad/s cap), repeating
    the via points when they run out."""
    out, t_rate, prev = [], 1 / 50, nominal.home.copy()
    k = 0
    while sum(len(o) for o in out) < n:
        nxt = vias[k % len(vias)]
        k += 1
        dur = max(0.5, 1.875 * np.max(np.abs(nxt - prev)) / 1.5)
        s = np.arange(0, dur, t_rate) / dur
        out.append(prev + np.outer(s**3 * (10 - 15 * s + 6 * s * s), nxt - prev))
        prev = nxt
    return np.concatenate(out)[:n]


def _data(real, kind: str, n: int, seed: int, criterion: str = "I"):
    from armjac.calibration import design_poses

    nominal = real.nominal
    rng = np.random.default_rng(seed)
    if kind == "iid":
        q = nominal.random_q(n, rng, 0.1)
    elif kind == "designed":
        q = design_poses(nominal, n, point=POINT, candidates=4 * n, seed=seed,
                         criterion=criterion)  # fmt: skip
    elif kind == "paths":
        q = _path(nominal, nominal.random_q(200, rng, 0.1), n, rng)
    else:  # designed via points: as many as random exploration reaches in the budget
        vias = design_poses(nominal, 20, point=POINT, seed=seed, criterion=criterion)
        q = _path(nominal, vias, n, rng)
    return real.measure(q, rng)


def main() -> None:
    import armjac
    from armjac.learned import train_from_data

    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--data", default="iid,paths,designed,designed paths")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise-seed", type=int, default=None, help="data draws (default seed+1)")
    ap.add_argument("--criterion", default="I", help="design_poses criterion for 'designed'")
    ap.add_argument("--learn", default="iid,paths", help="data kinds to run train_from_data on")
    args = ap.parse_args()
    nominal = armjac.load_arm("kuka_iiwa")
    zero = RealArm(nominal, "none", 0)
    zero.origins = [np.eye(4) for _ in zero.origins]  # check the chain against the Arm
    for i, j in enumerate(j for j in nominal.model.path_to(nominal.ee_link)
                          if j.name in nominal.joint_names):  # fmt: skip
        zero.origins[i][:3, :3], zero.origins[i][:3, 3] = _rpy(j.rpy), j.xyz
    zero.tool = POINT
    qc = nominal.random_q(5, 1)
    assert np.abs(zero.tip(qc) - nominal.position(qc, point=POINT)).max() < 1e-9
    print(f"{'case':10s} {'data':15s} {'nominal':>8s} {'geometric':>9s} {'+joint err':>10s} "
          f"{'defaults':>9s}  chosen")  # fmt: skip
    ds = args.seed + 1 if args.noise_seed is None else args.noise_seed
    for case in args.cases.split(","):
        real = RealArm(nominal, case, args.seed)
        qt = nominal.random_q(2000, np.random.default_rng(99), 0.1)
        truth = real.tip(qt)
        q_read = real.readings(qt, np.random.default_rng(98))

        def err(predict, q_read=q_read, truth=truth):
            return float(1e3 * np.median(np.linalg.norm(predict(q_read) - truth, axis=1)))

        for kind in args.data.split(","):
            q, x = _data(real, kind, args.n, ds, args.criterion)
            row = [err(lambda qq: nominal.position(qq, point=POINT))]
            for je in (False, True):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    try:
                        cal = armjac.calibrate(nominal, q, x, point=POINT, joint_errors=je)
                        row.append(err(cal.predict))
                    except armjac.errors.InputError as exc:
                        print("  calibration refused:", exc)
                        row.append(float("nan"))
            chosen, secs = "", 0.0
            if kind in args.learn.split(","):
                t0 = time.perf_counter()
                model = train_from_data(q, x, nominal=nominal, point=POINT, log=None,
                                        progress=False)  # fmt: skip
                model.out_of_range = "ignore"
                secs = time.perf_counter() - t0
                row.append(err(model.fk))
                chosen = model.metrics["model"]
            else:
                row.append(float("nan"))
            print(f"{case:10s} {kind:15s} " + " ".join(f"{v:9.3f}" for v in row)
                  + f"  {chosen} ({secs:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
