"""The mismatch sweep job on the small planar spec: the numbers are the testbed's own."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import ConfigError
from armjac.sweep import load_sweep, run


def _cfg(**base):
    return {
        "job": "mismatch",
        "base": {"spec": "planar2_small", "data": {"n": 300, "seed": 1},
                 "evaluate": {"n": 400, "seed": 2}, **base},  # fmt: skip
        "axes": {"draw": {"seeds": 2}},
    }


def test_mismatch_jobs_score_each_draw_against_its_true_tip(tmp_path):
    from armjac.mismatch import load_spec, static_samples

    cfg = _cfg()
    # geometric errors only (rigid joints, ideal encoders): what calibration models exactly
    cfg["set"] = {"spec.encoders.eccentricity_deg": 0.0, "spec.encoders.stiffness": None}
    s = run(cfg, tmp_path / "out", executor="serial", progress=False, log=None)
    assert s["n_ok"] == 2
    spec = load_spec(load_sweep(cfg).jobs()[0].config["spec"])
    assert spec.stiffness is None and spec.eccentricity_deg == 0.0
    for job in s["jobs"]:
        # recomputed here from the testbed directly: the held-out poses of the same draw
        real = spec.realize(seed=job["point"]["draw"], out_dir=tmp_path / f"r{job['index']}")
        test = static_samples(real, 400, seed=2)
        err = np.linalg.norm(real.nominal.position(test.q, point=real.assumed_point)
                             - test.truth_tip, axis=1) * 1e3  # fmt: skip
        m = job["metrics"]
        assert m["fk_median_mm.nominal"] == pytest.approx(np.median(err), rel=1e-12)
        assert m["fk_max_mm.nominal"] == pytest.approx(err.max(), rel=1e-12)
        # the spec's tracker noise is 0.2 mm: calibration on 300 samples gets near it
        assert m["fk_median_mm.calibrated"] < 1.0 < m["fk_median_mm.nominal"]
    for stat in ("median", "p95", "max"):  # one box per source, across the draws
        assert f"box_fk_{stat}_mm.png" in s["figures"]
    # the draws differ, so the box plots are over real spread
    a, b = (j["metrics"]["fk_median_mm.nominal"] for j in s["jobs"])
    assert a != b


def test_the_spec_content_is_part_of_the_key():
    a = load_sweep(_cfg()).jobs()[0]
    cfg = _cfg()
    cfg["set"] = {"spec.geometry.joint_origin_mm": 4.0}
    b = load_sweep(cfg).jobs()[0]
    assert a.config["spec"]["geometry"]["joint_origin_mm"] == 3.0
    assert a.key != b.key


@pytest.mark.parametrize(
    ("base", "match"),
    [
        ({"sources": ["oracle"]}, r"sources: must be a list from"),
        ({"sources": []}, r"sources: must name at least one"),
        ({"reach": {"n_targets": -1}}, r"reach.n_targets: must be an integer >= 0"),
        ({"data": {"kind": "trajectory"}}, r"data.duration: is required"),
        ({"draw": -1}, r"draw: must be an integer >= 0"),
        ({"spec": "no_such_spec"}, r"unknown mismatch spec 'no_such_spec'"),
        ({"extra": 1}, r"unknown key\(s\) extra"),
    ],
)
def test_bad_mismatch_studies_are_refused(base, match):
    cfg = _cfg(**base)
    cfg["axes"] = {}
    with pytest.raises(ConfigError, match=match):
        load_sweep(cfg).jobs()


def test_learned_residual_source_trains_from_the_draws_data(tmp_path):
    cfg = _cfg(sources=["nominal", "calibrated+residual"], learned={"training": {"epochs": 5}})
    cfg["axes"] = {"draw": [0]}
    s = run(cfg, tmp_path / "out", executor="local", workers=1, progress=False, plots=False,
            log=None)  # fmt: skip
    (job,) = s["jobs"]
    assert job["status"] == "ok", job.get("reason")
    m = job["metrics"]
    # it starts from the calibrated nominal, so it beats the URDF
    assert m["fk_median_mm.calibrated+residual"] < m["fk_median_mm.nominal"]
    assert m["models.calibrated+residual.best_val_mm"] > 0
    assert not any(k.endswith("seconds") for k in m)  # wall-clock times are kept apart


def test_reaches_show_what_the_tracker_buys(tmp_path):
    cfg = _cfg(sources=["nominal"], reach={"n_targets": 2, "duration": 2.0, "seed": 3})
    cfg["axes"] = {"draw": [0]}
    s = run(cfg, tmp_path / "out", executor="serial", progress=False, plots=False, log=None)
    (job,) = s["jobs"]
    m = job["metrics"]
    assert m["reach_encoders_failed.nominal"] == m["reach_tracker_failed.nominal"] == 0
    # with encoders only the nominal FK error stays in the final error; the tracker removes it
    assert m["reach_tracker_mm.nominal"] < 0.2 * m["reach_encoders_mm.nominal"]
    assert m["reach_encoders_mm.nominal"] > 0.3 * m["fk_median_mm.nominal"]


def test_draws_after_the_first_compile_nothing(tmp_path, monkeypatch):
    """Drawn and calibrated arms are adjustments of the nominal arm: once the first
    draw has built the adjustable family, further draws add no cache entry."""
    monkeypatch.setenv("ARMJAC_CACHE_DIR", str(tmp_path / "cache"))
    cfg = _cfg()
    cfg["axes"] = {"draw": [0]}
    run(cfg, tmp_path / "first", executor="serial", progress=False, log=None)
    entries = sorted(p.name for p in (tmp_path / "cache").iterdir())
    cfg["axes"] = {"draw": [1, 2, 3]}
    s = run(cfg, tmp_path / "more", executor="serial", progress=False, log=None)
    assert s["n_ok"] == 3
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == entries
