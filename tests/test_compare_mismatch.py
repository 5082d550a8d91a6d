"""The comparison's mismatch section on a tiny planar spec (seconds), and its online
adaptation (adapted rows, recovery runs) on a small kuka_iiwa entry."""

from __future__ import annotations

import copy
import json
import math

import pytest

from armjac.compare import mismatch
from armjac.compare.config import load_compare
from armjac.errors import ConfigError

TINY_LEARN = {"network": {"ensembles": [{"n_neurons": 16}]},
              "training": {"epochs": 4, "batch_size": 32, "progress": False}}  # fmt: skip


def _cfg(**entry):
    return {
        "name": "tiny-mismatch",
        "arm": "planar2",
        "control": {"references": ["analytic"], "scenarios": []},
        "timing": {"n_calls": 5, "backends": ["numpy"], "batch": 4},
        "mismatch": [{"spec": "planar2_small", "budget": 120, "budgets": [60],
                      "n_test": 60, "n_targets": 1, "reach_duration": 0.3,
                      "learn": TINY_LEARN, **entry}],
    }  # fmt: skip


def test_mismatch_section_runs_and_reports(tmp_path):
    from armjac.compare.run import run_compare

    m = run_compare(_cfg(), tmp_path / "out", progress=False, log=None)
    (r,) = m["mismatch"]
    adapted = {f"{rule} on {base}" for rule in ("tool_rls", "pes", "rls")
               for base in ("nominal", "calibrated+residual")}  # fmt: skip
    assert set(r["static"]) == {"nominal", "calibrated", "calibrated+joint", "learned", "residual",
                                "calibrated+residual"} | adapted  # fmt: skip
    assert r["recovery"] is None  # a planar arm cannot follow the scenarios' circle
    for s in r["static"].values():
        assert s["fk_median_mm"] > 0 and 0 <= s["jac_rel_median"]
    assert [b["n"] for b in r["budgets"]] == [60]
    assert set(r["control"]["calibrated"]) == {"encoders", "tracker"}
    assert r["verdict"] and all(isinstance(v, str) for v in r["verdict"])
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Mismatch: when the arm is not its URDF" in report
    assert (tmp_path / "out" / r["budget_figure"]).is_file()
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert saved["mismatch"][0]["static"]["nominal"]["fk_median_mm"] == pytest.approx(
        r["static"]["nominal"]["fk_median_mm"]
    )


def test_verdict_follows_the_numbers():
    def row(fk, jac=0.01):
        return {"fk_median_mm": fk, "jac_rel_median": jac}

    r = {
        "budget": 2000,
        "noise_floor_rms_mm": 0.87,
        "models": {"calibrated": {"residual_mm": {"rms": 0.9}}},
        "static": {"nominal": row(20.0), "calibrated": row(1.4), "calibrated+residual": row(0.8)},
        "budgets": [{"n": 250, "calibrated": 2.0, "calibrated+residual": 2.5},
                    {"n": 1000, "calibrated": 1.5, "calibrated+residual": 1.0}],
        "control": None,
    }  # fmt: skip
    text = " ".join(mismatch.verdict(r))
    assert "**calibrated+residual**" in text and "at the noise floor" in text
    assert "beats geometric calibration alone" in text and "from 1000 samples on" in text
    assert "joint-error model" not in text
    r["static"]["calibrated+residual"] = row(1.6)
    r["models"]["calibrated"]["residual_mm"]["rms"] = 2.0
    text = " ".join(mismatch.verdict(r))
    assert "**calibrated**" in text and "loses to geometric calibration" in text
    assert "cannot express" in text
    # a network on a joint-error calibration is credited to the parametric model when
    # that calibration alone does as well
    r["static"]["calibrated+residual"] = row(0.2)
    r["static"]["calibrated+joint"] = row(0.19)
    r["models"]["calibrated+residual"] = {"joint_errors_base": True}
    text = " ".join(mismatch.verdict(r))
    assert "(its base calibrated with the joint-error model) beats geometric" in text
    assert "comes from the parametric model, not from the network" in text
    r["static"]["calibrated+joint"] = row(0.5)
    assert "not from the network" not in " ".join(mismatch.verdict(r))


def test_bad_mismatch_entries_name_the_key():
    with pytest.raises(ConfigError, match=r"mismatch\[0\].spec"):
        load_compare(_cfg(spec="no_such_spec"))
    with pytest.raises(ConfigError, match=r"mismatch\[0\].budgets"):
        load_compare(_cfg(budgets=[10.5]))
    with pytest.raises(ConfigError, match="unknown key"):
        load_compare(_cfg(colour="red"))


def test_adapted_rows_and_recovery_tables(tmp_path):
    from armjac.compare.run import run_compare

    cfg = _cfg()
    cfg["arm"] = "kuka_iiwa"
    cfg["mismatch"] = [{"spec": "kuka_iiwa", "data": "static", "budget": 150, "budgets": [],
                        "n_test": 40, "control": False, "learn": TINY_LEARN,
                        "adapt": {"bases": ["nominal", "residual"], "rules": ["tool_rls", "pes"]},
                        "recovery": {"base": "nominal", "rules": ["none", "tool_rls"],
                                     "duration": 4.5}}]  # fmt: skip
    m = run_compare(cfg, tmp_path / "out", progress=False, log=None)
    (r,) = m["mismatch"]
    rows = ["tool_rls on nominal", "pes on nominal", "tool_rls on residual", "pes on residual"]
    for row in rows:
        s = r["static"][row]
        assert math.isfinite(s["fk_median_mm"]) and math.isfinite(s["jac_rel_median"])
        assert r["models"][row]["adapter"] == "adapted"
    # adapting moved the models: none of them is still exactly its base
    assert r["static"]["tool_rls on nominal"] != r["static"]["nominal"]
    rec = r["recovery"]
    assert set(rec["tool_change"]) == set(rec["tracker_dropout"]) == {"none", "tool_rls"}
    for v in rec["tool_change"].values():
        assert v["status"] == "ok"
        assert all(math.isfinite(x) for x in v["offpath_fk_median_m"].values())
    for v in rec["tracker_dropout"].values():
        assert math.isfinite(v["rmse_tracked_m"]) and math.isfinite(v["rmse_after_stop_m"])
    # the unadapted nominal never gets back within 2 mm of the longer tool
    assert rec["tool_change"]["none"]["recovery_time_s"] is None
    out = tmp_path / "out"
    assert (out / rec["tool_change_figure"]).is_file()
    assert (out / rec["tracker_dropout_figure"]).is_file()
    report = (out / "report.md").read_text()
    assert "| tool_rls on residual |" in report and "tip stays within 2 mm" in report
    assert "RMS after the stop [mm]" in report and "Tracker dropout" in report
    assert "damages its base most" in " ".join(r["verdict"])
    assert "pes on nominal" in (out / "report.html").read_text()
    saved = json.loads((out / "metrics.json").read_text())["mismatch"][0]
    assert saved["recovery"]["tool_change"]["tool_rls"]["offpath_fk_median_m"]["after_m"] > 0


def _adapt_result(after_tool: float, after_pes: float, stay_tool, stay_pes) -> dict:
    def row(fk):
        return {"fk_median_mm": fk, "jac_rel_median": 0.01}

    def tc(stay, after_m):
        return {"status": "ok", "recovery_time_s": stay, "model_recovery_time_s": stay,
                "offpath_fk_median_m": {"at_change_m": 0.08, "after_m": after_m,
                                        "base_before_m": 0.02}}  # fmt: skip

    return {
        "budget": 2000,
        "noise_floor_rms_mm": 0.87,
        "models": {"calibrated": {"residual_mm": {"rms": 0.9}},
                   "tool_rls on nominal": {"adapter": "adapted"},
                   "pes on nominal": {"adapter": "adapted"}},
        "static": {"nominal": row(20.0), "calibrated": row(1.4),
                   "tool_rls on nominal": row(after_tool), "pes on nominal": row(after_pes)},
        "budgets": [],
        "control": None,
        "recovery": {
            "base": "nominal",
            "tool_change": {"none": tc(None, 0.08), "tool_rls": tc(stay_tool, 0.03),
                            "pes": tc(stay_pes, 0.09)},
            "tracker_dropout": {"none": {"status": "ok", "rmse_after_stop_m": 0.020},
                                "pes": {"status": "ok", "rmse_after_stop_m": 0.0025}},
        },
    }  # fmt: skip


def test_adaptation_verdict_follows_the_numbers():
    text = " ".join(mismatch.verdict(_adapt_result(30.0, 19.0, 0.8, 2.5)))
    assert "most accurate adapted model off the path is **pes on nominal**" in text
    assert "**tool_rls on nominal** damages its base most" in text
    assert "stays within 2 mm soonest with **tool_rls** (0.80 s)" in text
    assert "within 1 s: tool_rls" in text and "without adaptation the tip never recovers" in text
    assert "**tool_rls** leaves the model best for the new tool (0.38x" in text
    assert "30.00 mm against the unadapted model's 20.00 mm on the old tool, 1.50x (more" in text
    assert "**pes** holds the tip best (2.50 mm" in text and "20.00 mm without" in text
    # other numbers, other winners
    r = _adapt_result(19.5, 45.0, 3.0, 1.5)
    text = " ".join(mismatch.verdict(r))
    assert "most accurate adapted model off the path is **tool_rls on nominal**" in text
    assert "**pes on nominal** damages its base most" in text
    assert "soonest with **pes** (1.50 s)" in text and "no rule meets 1 s" in text
    r2 = copy.deepcopy(r)
    r2["recovery"]["tracker_dropout"]["none"]["rmse_after_stop_m"] = 0.001
    r2["recovery"]["tool_change"]["none"]["recovery_time_s"] = 2.0
    text = " ".join(mismatch.verdict(r2))
    assert "no rule holds the tip more than 5 % better than no adaptation" in text
    assert "without adaptation it takes 2.00 s" in text


def test_bad_adaptation_entries_name_the_key():
    with pytest.raises(ConfigError, match=r"mismatch\[0\].adapt.rules\[0\]"):
        load_compare(_cfg(adapt={"rules": ["no_such_rule"]}))
    with pytest.raises(ConfigError, match=r"mismatch\[0\].recovery.*kuka_iiwa"):
        load_compare(_cfg(recovery={"rules": ["pes"]}))
    with pytest.raises(ConfigError, match="unknown key"):
        load_compare(_cfg(adapt={"colour": "red"}))
