"""The mismatch section's force part: static contact-force estimation against the applied
force and a hand-computed payload weight, load identification against known payloads, the
sensorless press against PyBullet's contact force, the options' errors, and the compare
package's import graph (no circle)."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from armjac.compare import force as force_part
from armjac.compare.force_report import force_markdown, force_verdict
from armjac.compare.mismatch_options import parse_section
from armjac.configs import Reader
from armjac.errors import ConfigError, InputError
from armjac.learned.residual import TipNominal
from armjac.mismatch import load_spec
from armjac.mismatch.load import identified_load, loadable, torque_sensor, true_load

STATIC = {"n_poses": 20, "newtons": 10.0, "load_poses": 12, "torque_sensor": None,
          "press": None, "tool_change": None}  # fmt: skip
COMPARE = Path(__file__).resolve().parents[1] / "armjac" / "compare"


def _payload_spec(mass: float, tool, zero_deg: float = 0.0) -> dict:
    """kuka_iiwa with no error but a payload of ``mass`` at the (exactly known) tool point."""
    return {
        "name": "payload_only", "arm": "kuka_iiwa",
        "geometry": {"joint_origin_mm": 0.0, "joint_zero_deg": zero_deg},
        "tool": {"assumed": list(tool), "error_mm": 0.0, "mass": 0.0},
        "payload": {"mass": mass},
    }  # fmt: skip


@pytest.fixture(scope="module")
def kuka_real():
    return load_spec("kuka_iiwa").realize(0)


def test_exact_model_recovers_the_applied_force(kuka_real):
    """Noise-free sensor, the real arm's own J and g: the estimate is the applied force."""
    res = force_part.static_force(kuka_real, {}, STATIC, seed=3)
    exact = res["errors"]["exact"]["exact"]
    assert exact["p95_N"] < 1e-9
    # and the URDF's g, which knows nothing of the 1.5 kg tool and payload, is far off
    assert res["errors"]["exact"]["nominal"]["median_N"] > 10.0


def test_unknown_payload_costs_its_weight(rng):
    """A payload at the tool point that the model does not know: with the exact J the force
    error is the payload's weight, m |g|, at every pose and in every direction."""
    mass = float(rng.uniform(0.5, 2.0))
    tool = [0.0, 0.0, float(rng.uniform(0.05, 0.2))]
    real = load_spec(_payload_spec(mass, tool)).realize(0)
    src = {"nominal": TipNominal(real.nominal, real.assumed_point)}
    res = force_part.static_force(real, src, STATIC, seed=1)
    weight = mass * np.linalg.norm(real.nominal.gravity_vector)
    for j in ("nominal", "exact"):  # with no geometric error the URDF's J is exact here
        assert res["errors"][j]["nominal"]["median_N"] == pytest.approx(weight, rel=1e-9)
        assert res["errors"][j]["nominal"]["p95_N"] == pytest.approx(weight, rel=1e-9)
        # the datasheet and the identified load are that payload: nothing is left
        assert res["errors"][j]["load data"]["p95_N"] < 1e-6
        assert res["errors"][j]["identified"]["p95_N"] < 1e-6
    load = res["loads"]["identified"]
    assert load["mass_kg"] == pytest.approx(mass, rel=1e-9)
    assert load["com_error_mm"] < 1e-6
    assert np.allclose(load["true_com_mm"], 1e3 * np.asarray(tool))


def test_identified_on_a_calibrated_arm(rng):
    """A real arm whose only error is joint zero offsets: the arm calibrated on noise-free
    tips (zero offsets only) identifies the payload exactly; the nominal, read through the
    same offsets, does not."""
    from armjac.calibration import calibrate

    mass = float(rng.uniform(0.5, 2.0))
    real = load_spec(_payload_spec(mass, [0.0, 0.0, 0.12], zero_deg=1.0)).realize(2)
    q_true = real.nominal.random_q(300, rng=np.random.default_rng(1), margin=0.05)
    cal = calibrate(real.nominal, real.encoders.read(q_true), real.tip(q_true),
                    point=real.tool_point, base_frame=False, origin_offsets=False,
                    axes=False).arm
    # joint 7 turns the tool about its own axis: unseen by the tips, and by the load's weight
    np.testing.assert_allclose(cal.offsets[:6], real.truth["joint_zero_offset"][:6], atol=1e-9)
    sensor = torque_sensor(real)
    est = identified_load(real, sensor, 12, seed=4, arm=cal)
    assert est.mass == pytest.approx(mass, rel=1e-8)
    assert np.allclose(est.com, true_load(real)["com"], atol=1e-8)
    q = real.nominal.random_q(5, np.random.default_rng(0))
    assert np.allclose(est.arm.gravity(real.encoders.read(q)), real.arm.gravity(q), atol=1e-8)
    off = identified_load(real, sensor, 12, seed=4)  # on the nominal: the offsets leak in
    assert abs(off.mass - mass) > 1e-4
    assert loadable(object()) is None


def test_changed_tool_keeps_the_exact_model_exact(kuka_real):
    changed, truth = force_part.changed_tool(kuka_real, 0.08, 0.3)
    assert truth["mass"] == pytest.approx(1.8)
    axis = kuka_real.assumed_point / np.linalg.norm(kuka_real.assumed_point)
    assert np.allclose(changed.tool_point - kuka_real.tool_point, 0.08 * axis)
    res = force_part.static_force(changed, {}, STATIC, seed=3, truth=truth)
    assert res["errors"]["exact"]["exact"]["p95_N"] < 1e-9
    # the old datasheet misses the new tool's 0.3 kg; a load identified again does not
    assert res["errors"]["exact"]["load data"]["median_N"] > 1.0
    assert res["loads"]["identified"]["mass_kg"] == pytest.approx(1.8, rel=0.05)


def test_sensor_noise_and_bias_reach_the_estimate(kuka_real):
    opts = STATIC | {"torque_sensor": {"noise_Nm": 0.05, "bias_Nm": 0.02}}
    res = force_part.static_force(kuka_real, {}, opts, seed=3)
    assert 0.01 < res["errors"]["exact"]["exact"]["median_N"] < 2.0
    assert res["torque_sensor"]["noise_Nm"] == 0.05


def test_section_output_report_and_verdict(kuka_real):
    src = {"nominal": TipNominal(kuka_real.nominal, kuka_real.assumed_point)}
    entry = {"seed": 0, "spec": "kuka_iiwa", "force": STATIC}
    out = force_part.run_force(kuka_real, src, entry, None, "t")
    s = out["static"]
    assert set(s["errors"]) == {"nominal", "exact"}
    assert set(s["errors"]["nominal"]) == set(force_part.G_SOURCES)
    for row in s["errors"].values():
        for v in row.values():
            assert math.isfinite(v["median_N"]) and math.isfinite(v["p95_N"])
            assert 0 <= v["median_N"] <= v["p95_N"]
    text = "\n".join(force_markdown(out))
    assert "#### Force from joint torques" in text and "| nominal |" in text
    verdict = " ".join(force_verdict(out))
    assert f"{s['errors']['nominal']['nominal']['median_N']:.2f} N" in verdict


def test_a_planar_arm_is_refused():
    real = load_spec("planar2_small").realize(0)
    with pytest.raises(InputError, match="every direction"):
        force_part.static_force(real, {}, STATIC, seed=0)


def _top(**force):
    return Reader({"mismatch": [{"spec": "kuka_iiwa", "force": force or True}]}, "<test>")


def test_force_options():
    (entry,) = parse_section(_top())
    f = entry["force"]
    assert f["n_poses"] == force_part.DEFAULT_FORCE["n_poses"] and f["torque_sensor"] is None
    assert [r["g"] for r in f["press"]["rows"]][-1] == "real"
    assert f["tool_change"]["rules"]
    (entry,) = parse_section(Reader({"mismatch": [{"spec": "kuka_iiwa"}]}, "<t>"))
    assert entry["force"] is None  # off unless asked
    (entry,) = parse_section(_top(press=False, tool_change=False,
                                  torque_sensor={"noise_Nm": 0.1}))  # fmt: skip
    assert entry["force"]["press"] is None and entry["force"]["tool_change"] is None
    assert entry["force"]["torque_sensor"] == {"bias_Nm": 0.0, "noise_Nm": 0.1}


@pytest.mark.parametrize(
    ("force", "match"),
    [
        ({"n_pose": 3}, "n_pose"),
        ({"n_poses": 2}, "n_poses"),
        ({"newtons": -1.0}, "newtons"),
        ({"torque_sensor": {"noise": 1}}, "noise"),
        ({"torque_sensor": {"noise_Nm": float("nan")}}, "noise_Nm"),
        ({"press": {"rows": [{"j": "nominal", "g": "magic"}]}}, "g"),
        ({"press": {"rows": ["nominal"]}}, "rows"),
        ({"tool_change": {"rules": ["no_such_rule"]}}, "rules"),
    ],
)
def test_bad_force_options_name_the_key(force, match):
    with pytest.raises(ConfigError, match=match):
        parse_section(_top(**force))


def test_force_runs_refused_on_a_planar_spec():
    top = Reader({"mismatch": [{"spec": "planar2_small", "force": {"press": True}}]}, "<t>")
    with pytest.raises(ConfigError, match="press"):
        parse_section(top)
    top = Reader({"mismatch": [{"spec": "planar2_small", "force": True}]}, "<t>")
    (entry,) = parse_section(top)  # by default the closed-loop runs are left out
    assert entry["force"]["press"] is None and entry["force"]["tool_change"] is None


def test_sensorless_press_on_the_exact_model(kuka_real):
    """The press on the real arm, its force loop on the observer through the real arm's own
    J and g: the simulator's contact force holds the 10 N target (issue: <= 0.5 N RMSE)."""
    from armjac.compare.force_runs import run_press

    entry = {"spec": "kuka_iiwa", "seed": 0}
    press = {"scenario": "press_sensorless", "duration": None,
             "rows": [{"j": "exact", "g": "real"}, {"j": "no such model", "g": "nominal"}]}
    (row,) = run_press(kuka_real, {}, entry, STATIC | {"press": press})  # fmt: skip
    assert row["status"] == "ok"
    assert row["force_rmse_N"] <= 0.5
    assert row["force_mean_N"] == pytest.approx(10.0, abs=0.5)


# -- the import graph -----------------------------------------------------------------------
def _imports(path: Path) -> set[str]:
    """armjac.compare modules ``path`` imports, at the top or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("armjac.compare."):
                out.add(node.module.split(".")[2])
            elif node.module == "armjac.compare":
                out |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[2] for a in node.names
                    if a.name.startswith("armjac.compare.")}  # fmt: skip
    return out


def test_compare_has_no_import_circle():
    modules = {p.stem for p in COMPARE.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(COMPARE / f"{m}.py") & modules for m in modules}

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += graph[m]
        return seen

    circles = sorted(m for m in modules if m in reach(m))
    assert not circles, f"modules on an import circle: {circles}"


def test_each_compare_module_imports_alone():
    """Each module imported first, with no other armjac.compare module loaded (one
    interpreter; the package is dropped from sys.modules between imports)."""
    modules = sorted(p.stem for p in COMPARE.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    for k in [k for k in sys.modules if k.startswith('armjac.compare')]:\n"
        "        del sys.modules[k]\n"
        "    importlib.import_module('armjac.compare.' + m)\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=COMPARE.parents[1], timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith("ok")


@pytest.mark.parametrize(
    ("kind", "task", "match"),
    [
        ("real_press", {"dynamics": "magic"}, "dynamics"),
        ("real_press", {"readings": "psychic"}, "readings"),
        ("real_press", {"mismatch": {"spec": "no_such_spec"}}, "spec"),
        ("real_press", {"torque_sensor": {"noise_Nm": -1}}, "noise_Nm"),
        ("tool_change_force", {"force_tolerance": 0}, "force_tolerance"),
        ("tool_change_force", {"torque_sensor": {"gain": 1}}, "gain"),
    ],
)
def test_force_scenarios_refuse_bad_keys(kind, task, match):
    from armjac.scenarios import load_scenario, scenario_data

    base = "press_sensorless" if kind == "real_press" else "tool_change"
    data = scenario_data(base)
    data["scenario"] = kind
    if kind == "real_press":
        data["task"]["mismatch"] = {"spec": "kuka_iiwa"}
    data["task"].update(task)
    with pytest.raises(ConfigError, match=match):
        load_scenario(data)
