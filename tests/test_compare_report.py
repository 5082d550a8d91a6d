"""`armjac compare` on a tiny planar2 setup: the report's numbers against direct computations,
a random-weight model reported as failing, reuse of cached models and runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("nengo_dl")

from armjac.compare import load_compare, run_compare  # noqa: E402

TINY_TRAIN = {
    "arm": "planar2",
    "seed": 0,
    "data": {"n_train": 1500, "n_val": 100, "n_test": 300},
    "network": {"ensembles": [{"n_neurons": 64}, {"n_neurons": 64, "dimensions": 8}]},
    "training": {"epochs": 15, "batch_size": 100, "learning_rate": 0.01,
                 "loss": {"position": 1.0, "jacobian": 1.0}, "progress": False},
}  # fmt: skip

REACH = {
    "name": "reach_planar",
    "scenario": "reach",
    "arm": "planar2",
    "controller": {"kp": 200, "ctrlr_dof": ["x", "z"], "null_space": {"damping": 1}},
    "task": {"segment_time": 0.6, "targets": [[0.6, 0.0, 0.3], [0.5, 0.0, -0.1]]},
    "evaluate": {"settle_tolerance": 0.02},
    "expect": {"max_segment_final_error_m": 0.01},
}


def _random_model(folder, arm):
    """A planar2 model with untrained (random) weights, saved to ``folder``."""
    from armjac.learned import LearnedModel
    from armjac.learned.config import validate
    from armjac.learned.network import init_params

    ensembles = [{"n_neurons": 32}, {"n_neurons": 32, "dimensions": 8}]
    cfg = validate({"arm": "planar2", "network": {"ensembles": ensembles}})
    params = init_params([(32, 4), (32, 8)], 3, 1.0, seed=5)
    params["out_bias"] = np.array([0.3, 0.0, 0.2])
    model = LearnedModel(params, config=cfg, arm_name=arm.name, joint_names=arm.joint_names,
                         home=arm.home, bounds=arm.sample_bounds())  # fmt: skip
    model.save(folder)
    return folder


def _config(tmp, arm, extra_models=()):
    return {
        "name": "tiny",
        "arm": "planar2",
        "models": [{"name": "tiny", "train": TINY_TRAIN}, *extra_models],
        "accuracy": {"n_samples": 400, "seed": 7, "bins": 4},
        "control": {"scenarios": [{"config": REACH, "duration": 1.2}]},
        "seeds": [0],
        "timing": {"n_calls": 50, "backends": ["numpy"], "batch": 50},
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory, arms):
    arm = arms("planar2")
    tmp = tmp_path_factory.mktemp("compare")
    bad = _random_model(tmp / "random_model", arm)
    cfg = _config(tmp, arm, [{"name": "random", "path": str(bad)}])
    out = tmp / "report"
    metrics = run_compare(cfg, out, progress=False, log=None)
    return arm, cfg, out, metrics


def test_report_files_exist_and_embed_figures(report):
    _, _, out, metrics = report
    md = (out / "report.md").read_text()
    assert (out / "report.html").is_file()
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["accuracy"]["tiny"]["jac_rel"] == metrics["accuracy"]["tiny"]["jac_rel"]
    for rel in ("figures/tiny_jac_hist.png", "figures/tiny_vs_manipulability.png",
                "figures/tiny_workspace.png", "figures/timing.png",
                "figures/path_reach_planar_seed0.png"):  # fmt: skip
        assert f"]({rel})" in md
        assert (out / rel).stat().st_size > 1000
    for section in ("Jacobian accuracy", "Control side by side", "Cost per Jacobian call",
                    "Settings, seeds and versions"):  # fmt: skip
        assert section in md
    for pkg in ("numpy", "sympy", "tensorflow", "nengo", "nengo-dl", "pybullet", "python"):
        assert metrics["versions"][pkg]


def test_accuracy_numbers_match_a_direct_computation(report):
    from armjac.learned import load, relative_error

    arm, cfg, out, metrics = report
    info = metrics["models"]["tiny"]
    model = load(info["path"])
    q = arm.random_q(400, np.random.default_rng(7))
    j = arm.jacobian(q)[:, :3, :]
    rel = relative_error(model.jacobian(q), j)
    acc = metrics["accuracy"]["tiny"]
    assert acc["jac_rel"]["median"] == pytest.approx(np.median(rel), rel=1e-9)
    assert acc["jac_rel"]["p95"] == pytest.approx(np.percentile(rel, 95), rel=1e-9)
    fk = np.linalg.norm(model.fk(q) - arm.fk(q)[:, :3, 3], axis=1)
    assert acc["fk_rmse_mm"] == pytest.approx(1e3 * np.sqrt(np.mean(fk**2)), rel=1e-9)
    # planar2's J_v is 3x2 with a zero row: manipulability = product of the 2 singular values,
    # which for this arm is L1 L2 |sin q2|
    assert sum(b["n"] for b in acc["vs_manipulability"]["bins"]) == 400
    w = 0.5 * 0.4 * np.abs(np.sin(q[:, 1]))
    assert acc["vs_manipulability"]["bins"][0]["w_low"] == pytest.approx(w.min(), rel=1e-6)
    assert acc["jac_rel"]["median"] < 0.2  # the tiny model did learn something


def test_control_numbers_match_a_direct_run(report):
    from armjac.learned import load
    from armjac.scenarios import run_scenario

    arm, _, _, metrics = report
    runs = {r["source"]: r for r in metrics["control"]["runs"]}
    assert {"analytic", "pybullet", "tiny", "tiny + learned FK", "random"} <= set(runs)
    model = load(metrics["models"]["tiny"]["path"])
    direct = run_scenario(REACH, source=model, arm=arm, duration=1.2, plots=False)
    got = runs["tiny"]["metrics"]
    assert got["final_position_error_m"] == pytest.approx(direct["final_position_error_m"],
                                                          rel=1e-6, abs=1e-9)  # fmt: skip
    assert runs["analytic"]["outcome"] == "pass"
    assert runs["tiny + learned FK"]["fk_source"] == "source"


def test_random_weights_reported_as_failing(report):
    _, _, out, metrics = report
    bad = [r for r in metrics["control"]["runs"] if r["model"] == "random"]
    assert bad and all(r["outcome"] in ("fail", "diverged", "error") for r in bad)
    assert all(r["reason"] for r in bad)
    assert metrics["accuracy"]["random"]["jac_rel"]["median"] > 0.5
    check = {c["model"]: c for c in metrics["checks"]}
    assert check["random"]["ok"] is False
    md = (out / "report.md").read_text()
    assert "| random |" in md and "| random + learned FK |" in md


def test_rerun_reuses_model_and_runs(report, tmp_path):
    arm, cfg, out, first = report
    again = run_compare(cfg, out, progress=False, log=None)
    assert again["models"]["tiny"]["cached"] is True
    assert all(r["cached"] for r in again["control"]["runs"])
    assert again["accuracy"]["tiny"]["jac_rel"] == first["accuracy"]["tiny"]["jac_rel"]
    assert again["phases_s"]["models_s"] < 5


def test_unloadable_model_is_reported_not_fatal(arms, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    cfg = {
        "arm": "planar2",
        "models": [{"name": "broken", "path": str(broken)}],
        "accuracy": {"n_samples": 50},
        "control": {"scenarios": [{"config": REACH, "duration": 0.3}], "references": ["analytic"]},
        "timing": {"n_calls": 10, "backends": ["numpy"]},
    }
    metrics = run_compare(cfg, tmp_path / "out", progress=False, log=None)
    assert metrics["models"]["broken"]["status"] == "failed"
    assert "model.json" in metrics["models"]["broken"]["reason"]
    assert "broken" in (tmp_path / "out" / "report.md").read_text()
    assert load_compare(cfg).models[0].name == "broken"
