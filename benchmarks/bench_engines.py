"""Every bundled scenario on PyBullet and on MuJoCo, side by side, with each engine's speed.

For each scenario the two engines run in turn ``--repeat`` times (the order
alternating each round, so a busy spell slows both alike). The metrics come from
the first round (the runs are deterministic: the script checks the rounds agree);
the real-time factor (simulated s per wall s, rendering excluded) and the
median control step are medians over the rounds. Also times the two engines'
reference models (``PyBulletModel``, ``MujocoModel``) against the analytic arm:
median microseconds per J and M call, interleaved.

``--friction`` instead measures what MuJoCo's friction-constraint time constant
(``armjac.sim.mujoco_sim.FRICTION_SOLREF``) does, against PyBullet: a hand held
on a table by a joint-space controller with a small tangential load (does it
stick?), the friction / normal ratio while press slides, and the press and wipe
force scores.

Usage::

    python benchmarks/bench_engines.py [--repeat 3] [--out out/bench/engines.json]
    python benchmarks/bench_engines.py --friction

Prints markdown tables (the ones in docs/simulation.md) and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from armjac import load_arm  # noqa: E402
from armjac.jsonutil import to_jsonable  # noqa: E402
from armjac.scenarios import bundled_scenarios, run_scenario  # noqa: E402
from armjac.sim import ArmSim, MujocoModel, PyBulletModel  # noqa: E402

ENGINES = ("pybullet", "mujoco")
TIMED = ("realtime_factor", "control_step_median_us", "wall_time_s")
SHOWN = (  # the metrics a row shows, when the scenario has them
    "final_position_error_m", "position_rmse_m", "max_segment_final_error_m", "settling_time_s",
    "recovery_time_s", "rmse_after_stop_m", "force_rmse_N", "max_force_N", "contact_lost_steps",
    "circle_force_rmse_N", "circle_tangential_rmse_m", "circle_max_tilt_deg", "max_torque_Nm",
)  # fmt: skip


def run_scenarios(names: list[str], repeat: int) -> dict:
    """``{scenario: {engine: metrics}}``, timing keys as medians over ``repeat`` rounds."""
    out = {}
    for name in names:
        runs: dict[str, list[dict]] = {e: [] for e in ENGINES}
        for r in range(repeat):
            for engine in ENGINES if r % 2 == 0 else ENGINES[::-1]:
                runs[engine].append(run_scenario(name, engine=engine, plots=False))
        out[name] = {}
        for engine, results in runs.items():
            first = dict(results[0])
            for key in ("final_position_error_m", "force_rmse_N"):
                values = {res.get(key) for res in results}
                if len(values) > 1:
                    print(f"note: {name} on {engine}: {key} differs between rounds: {values}")
            for key in TIMED:
                if key in first:
                    first[key] = float(np.median([res[key] for res in results]))
            out[name][engine] = first
        print(f"{name}: " + ", ".join(
            f"{e} {'pass' if m.get('passed') else 'FAIL'} (x{m.get('realtime_factor', 0):.1f})"
            for e, m in out[name].items()))  # fmt: skip
    return out


def time_models(arm_name: str, n: int = 2000) -> dict:
    """Median us per call of J and M from the analytic arm and both engines' models."""
    arm = load_arm(arm_name)
    qs = arm.random_q(64, np.random.default_rng(0))
    sources = {"analytic": arm, "pybullet": PyBulletModel(arm), "mujoco": MujocoModel(arm)}
    times = {(s, f): [] for s in sources for f in ("jacobian", "mass_matrix")}
    perf = time.perf_counter
    for i in range(n):
        q = qs[i % len(qs)]
        for (s, f), bucket in times.items():
            call = getattr(sources[s], f)
            t0 = perf()
            call(q)
            bucket.append(perf() - t0)
    for s in ("pybullet", "mujoco"):
        sources[s].close()
    out = {f"{s} {f}": float(np.median(v) * 1e6) for (s, f), v in times.items()}
    # One physics step (send_forces: checks, torques, step, state read), free space and
    # pressing on a table, the engines stepped in turn.
    for label, table in (("step", False), ("step in contact", True)):
        sims = {e: ArmSim(arm, engine=e) for e in ("pybullet", "mujoco")}
        steps = {e: [] for e in sims}
        for sim in sims.values():
            if table:
                low = sim.ee_pose()[0][2] - 0.046
                sim.add_box([0.2, 0.2, 0.05], [*sim.ee_pose()[0][:2], low - 0.05])
        down = np.array([0.0, 0.0, -10.0])
        for _ in range(n):
            for e, sim in sims.items():
                q = sim.get_feedback()["q"]
                u = arm.gravity(q) + (arm.jacobian(q)[:3].T @ down if table else 0.0)
                t0 = perf()
                sim.send_forces(u)
                steps[e].append(perf() - t0)
        for e, sim in sims.items():
            out[f"{e} {label}"] = float(np.median(steps[e]) * 1e6)
            if table:  # the check that it was pressing: the table's push, N
                out[f"{e} {label}: contact N"] = float(sim.contact_force()[2])
            sim.close()
    return out


def hold_on_table(engine: str) -> tuple[float, float]:
    """Median hand speed (m/s) and friction / normal ratio over the second second of a
    joint-space hold that presses the hand on a table, with a small tangential load."""
    arm = load_arm("kuka_iiwa")
    q0 = np.array([0.0, 0.6, 0.0, -1.2, 0.0, 1.3, 0.0])
    target = q0.copy()
    target[3] -= 0.3  # into the table
    speeds, ratios = [], []
    with ArmSim(arm, q0=q0, engine=engine) as sim:
        tip = arm.fk(q0)[:3, 3]
        table = sim.add_box([0.2, 0.2, 0.05], [tip[0], tip[1], tip[2] - 0.12])
        for k in range(2000):
            fb = sim.get_feedback()
            q, dq = fb["q"], fb["dq"]
            sim.send_forces(arm.gravity(q) + arm.mass_matrix(q) @ (100 * (target - q) - 20 * dq))
            if k >= 1000:
                fb = sim.get_feedback()
                speeds.append(np.linalg.norm(arm.jacobian(fb["q"])[:3] @ fb["dq"]))
                f = sim.contact_force(table)
                ratios.append(np.linalg.norm(f[:2]) / f[2])
    return float(np.median(speeds)), float(np.median(ratios))


def sliding_ratio(engine: str) -> tuple[float, dict]:
    """Median friction / normal force while press slides, and press's metrics."""
    seen = []
    cls = type(ArmSim("planar2", engine=engine, connect=False))
    original = cls.contact_force

    def record(self, other=None):  # every reading the press scenario takes
        f = original(self, other)
        seen.append((self.time, *f))
        return f

    cls.contact_force = record
    try:
        m = run_scenario("press", engine=engine, plots=False)
    finally:
        cls.contact_force = original
    r = np.array(seen)
    sliding = (r[:, 0] > 2.8) & (r[:, 0] < 4.3) & (r[:, 3] > 1.0)
    return float(np.median(np.linalg.norm(r[sliding, 1:3], axis=1) / r[sliding, 3])), m


def friction_study() -> list[dict]:
    """One row per engine setting (PyBullet; MuJoCo at four friction time constants)."""
    import armjac.sim.mujoco_sim as mujoco_sim

    rows = []
    default = mujoco_sim.FRICTION_SOLREF
    for engine, tc in [("pybullet", None), *[("mujoco", t) for t in (0.005, 0.05, 0.2, 1.0)]]:
        if tc is not None:
            mujoco_sim.FRICTION_SOLREF = (tc, 1.0)
        try:
            speed, hold_ratio = hold_on_table(engine)
            slide, press = sliding_ratio(engine)
            wipe = run_scenario("wipe", engine=engine, plots=False)
        finally:
            mujoco_sim.FRICTION_SOLREF = default
        rows.append({
            "engine": engine if tc is None else f"{engine}, {tc:g} s",
            "hold speed mm/s": 1e3 * speed, "hold friction/normal": hold_ratio,
            "sliding friction/normal": slide, "press force RMSE N": press["force_rmse_N"],
            "press steps without contact": press["contact_lost_steps"],
            "wipe circle force RMSE N": wipe["circle_force_rmse_N"],
            "wipe steps without contact": wipe["contact_lost_steps"],
        })  # fmt: skip
        print(" | ".join(_fmt(v) if not isinstance(v, str) else v for v in rows[-1].values()))
    return rows


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    return f"{v:.3g}"


def table(results: dict) -> str:
    """A markdown table: one row per scenario and metric, the engines side by side."""
    lines = ["| scenario | metric | bound | PyBullet | MuJoCo |", "|---|---|---|---|---|"]
    for name, by_engine in results.items():
        pb, mj = by_engine["pybullet"], by_engine["mujoco"]
        verdict = {e: "pass" if m.get("passed") else "FAIL" for e, m in by_engine.items()}
        lines.append(f"| **{name}** | result | | {verdict['pybullet']} | {verdict['mujoco']} |")
        from armjac.scenarios import load_scenario

        cfg = load_scenario(name)
        for key in SHOWN:
            if key in pb or key in mj:
                bound = cfg.bounds("mujoco").get(key)
                bound_pb = cfg.bounds("pybullet").get(key)
                shown = _fmt(bound_pb) if bound == bound_pb else f"{_fmt(bound_pb)} / {_fmt(bound)}"
                lines.append(f"| | {key} | {shown} | {_fmt(pb.get(key))} | {_fmt(mj.get(key))} |")
        lines.append(f"| | real-time factor | | {pb.get('realtime_factor', 0):.1f} | "
                     f"{mj.get('realtime_factor', 0):.1f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="out/bench/engines.json")
    parser.add_argument("--scenarios", nargs="*", default=None)
    parser.add_argument("--friction", action="store_true",
                        help="the friction study instead of the scenario table")  # fmt: skip
    args = parser.parse_args()
    if args.friction:
        rows = friction_study()
        out = Path(args.out).with_name("engines_friction.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(to_jsonable(rows), indent=1))
        print(f"numbers in {out}")
        return
    names = args.scenarios or bundled_scenarios()
    results = run_scenarios(names, args.repeat)
    models = time_models("kuka_iiwa")
    print()
    print(table(results))
    print()
    print("kuka_iiwa, median us per call:",
          ", ".join(f"{k} {v:.1f}" for k, v in models.items()))  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_jsonable({"scenarios": results, "models_us": models}), indent=1))
    print(f"numbers in {out}")


if __name__ == "__main__":
    main()
