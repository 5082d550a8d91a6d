"""The comparison's mismatch section on a tiny planar spec (seconds)."""

from __future__ import annotations

import json

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
    assert set(r["static"]) == {"nominal", "calibrated", "learned", "residual",
                                "calibrated+residual"}  # fmt: skip
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
    assert "beats calibration alone" in text and "from 1000 samples on" in text
    r["static"]["calibrated+residual"] = row(1.6)
    r["models"]["calibrated"]["residual_mm"]["rms"] = 2.0
    text = " ".join(mismatch.verdict(r))
    assert "**calibrated**" in text and "loses to calibration" in text
    assert "cannot express" in text


def test_bad_mismatch_entries_name_the_key():
    with pytest.raises(ConfigError, match=r"mismatch\[0\].spec"):
        load_compare(_cfg(spec="no_such_spec"))
    with pytest.raises(ConfigError, match=r"mismatch\[0\].budgets"):
        load_compare(_cfg(budgets=[10.5]))
    with pytest.raises(ConfigError, match="unknown key"):
        load_compare(_cfg(colour="red"))
