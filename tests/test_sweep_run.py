"""Running sweeps: identical results from every executor, failures kept, resumption, summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sweep_kinds

from armjac.sweep import run
from armjac.sweep.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]




def _count_sweep(tmp_path: Path, n: int, sleep: float = 0.0, **base) -> dict:
    return {
        "name": "count",
        "job": "sweep_kinds:count",
        "base": {"counter": str(tmp_path / "counter.txt"), "sleep": sleep, "tag": "t", **base},
        "axes": {"value": list(range(n))},
        "set": {},
    }


def test_serial_and_local_pool_give_identical_records(tmp_path):
    cfg = _count_sweep(tmp_path, 4)
    a = run(cfg, tmp_path / "serial", executor="serial", progress=False, plots=False, log=None)
    b = run(cfg, tmp_path / "local", executor="local", workers=2, progress=False, plots=False,
            log=None)  # fmt: skip
    assert a["n_ok"] == b["n_ok"] == 4
    ra = ResultStore(tmp_path / "serial/jobs").canonical()
    rb = ResultStore(tmp_path / "local/jobs").canonical()
    assert len(ra) == 4 and ra == rb
    # the pool really ran elsewhere, and the global generators were seeded per job
    pids = {json.loads(f.read_text())["timing"]["pid"] for f in (tmp_path / "local/jobs").iterdir()}
    assert os.getpid() not in pids
    draws = [json.loads(v)["metrics"]["global_draw"] for v in ra.values()]
    assert len(set(draws)) == 4
    # the values are the job's own, not something the sweep made up
    for v in ra.values():
        rec = json.loads(v)
        value = rec["point"]["value"]
        assert rec["metrics"]["square"] == value**2
        g = np.random.default_rng(value).standard_normal((200, 200))
        assert rec["metrics"]["blas"] == pytest.approx(float((g @ g.T).sum()), rel=1e-12)


def test_failed_jobs_are_recorded_and_redone(tmp_path):
    cfg = _count_sweep(tmp_path, 3)
    cfg["axes"]["fail"] = [False, True]
    s = run(cfg, tmp_path / "out", executor="local", workers=2, progress=False, plots=False,
            log=None)  # fmt: skip
    assert (s["n_jobs"], s["n_ok"], s["n_failed"]) == (6, 3, 3)
    failed = [j for j in s["jobs"] if j["status"] == "failed"]
    assert all(j["point"]["fail"] for j in failed)
    assert all("RuntimeError: job t was told to fail" in j["reason"] for j in failed)
    md = (tmp_path / "out/summary.md").read_text()
    assert "## Failed jobs" in md and "was told to fail" in md
    # a re-run reuses the three good results and tries the failed ones again
    before = sweep_kinds.tag_lines(tmp_path / "counter.txt")
    again = run(cfg, tmp_path / "out", executor="serial", progress=False, plots=False, log=None)
    assert (again["n_reused"], again["ran"]) == (3, 3)
    assert len(sweep_kinds.tag_lines(tmp_path / "counter.txt")) == len(before) + 3


def test_a_dead_worker_fails_its_job_not_the_sweep(tmp_path):
    cfg = _count_sweep(tmp_path, 4, crash_at=1)
    cfg["job"] = "sweep_kinds:crash"
    for workers in (1, 2):  # the second run reuses the good results and retries the crash
        s = run(cfg, tmp_path / "out", executor="local", workers=workers, progress=False,
                plots=False, log=None)  # fmt: skip
        by_value = {j["point"]["value"]: j for j in s["jobs"]}
        assert by_value[1]["status"] == "failed" and "worker died" in by_value[1]["reason"]
        # the jobs the broken pool took down with it ran again and are not failed
        assert {v for v, j in by_value.items() if j["status"] == "failed"} == {1}
        assert s["ran"] == (4 if workers == 1 else 1)


def test_summary_tables_match_the_records(tmp_path):
    cfg = _count_sweep(tmp_path, 4)
    cfg["axes"]["tag"] = ["a", "b"]
    cfg["summary"] = {"metrics": ["square", "value"], "group_by": "tag"}
    s = run(cfg, tmp_path / "out", executor="serial", progress=False, log=None)
    squares = [v**2 for v in range(4)]
    assert s["overall"]["square"]["median"] == np.median(squares * 2)
    for row in s["tables"]["value"]:
        assert row["n_ok"] == 2
        assert row["metrics"]["square"]["min"] == row["value"] ** 2
    tag_rows = {r["value"]: r for r in s["tables"]["tag"]}
    assert tag_rows["a"]["metrics"]["square"]["mean"] == np.mean(squares)
    on_disk = json.loads((tmp_path / "out/summary.json").read_text())
    assert on_disk["overall"] == s["overall"]
    assert sorted(s["figures"]) == ["box_square.png", "box_value.png"]
    for f in s["figures"]:
        assert (tmp_path / "out" / f).stat().st_size > 1000


def test_killed_sweep_resumes_without_recomputing_finished_jobs(tmp_path):
    n = 8
    cfg_path = tmp_path / "count.yaml"
    data = _count_sweep(tmp_path, n, sleep=0.4)
    cfg_path.write_text(json.dumps(data))  # JSON is YAML
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    cmd = [sys.executable, "-c", "import sys; from armjac.cli import main; sys.exit(main())",
           "sweep", str(cfg_path), "--out", str(out), "--serial", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((out / "jobs").glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {f.name: f.stat().st_mtime_ns for f in (out / "jobs").glob("*.json")}
    assert 2 <= len(done) < n, "the sweep should have been killed part-way"
    ran_before = sweep_kinds.tag_lines(tmp_path / "counter.txt")
    finished_values = {json.loads((out / "jobs" / f).read_text())["point"]["value"] for f in done}

    s = run(cfg_path, out, executor="local", workers=2, progress=False, plots=False, log=None)
    assert s["n_ok"] == n and s["n_reused"] == len(done) and s["ran"] == n - len(done)
    for name, mtime in done.items():  # finished results untouched
        assert (out / "jobs" / name).stat().st_mtime_ns == mtime
    rerun = sweep_kinds.tag_lines(tmp_path / "counter.txt")[len(ran_before):]
    assert len(rerun) == n - len(done)
    assert not any(j["reused"] is False and j["point"]["value"] in finished_values
                   for j in s["jobs"])  # fmt: skip


def test_scenario_sweep_with_a_missing_model(tmp_path, arms):
    arms("kuka_iiwa")  # kernels built once here; the workers load them from the cache
    cfg = {
        "job": "scenario",
        "base": "reach",
        "set": {"duration": 0.3, "expect": {}},
        "axes": {"jacobian": ["analytic", str(tmp_path / "no_model")]},
    }
    s = run(cfg, tmp_path / "out", executor="local", workers=2, progress=False, log=None)
    ok, bad = s["jobs"]
    assert ok["status"] == "ok" and ok["metrics"]["sim_time_s"] == pytest.approx(0.3)
    assert "wall_time_s" not in ok["metrics"]  # timings are kept apart
    assert bad["status"] == "failed" and "no_model" in bad["reason"]


def test_a_train_job_does_not_depend_on_what_its_worker_ran_before(tmp_path):
    """TensorFlow training: seed 1 after seed 0 in one worker, and alone in a fresh one."""
    cfg = {
        "job": "train",
        "base": "planar2",
        "set": {"data.n_train": 200, "data.n_val": 50, "data.n_test": 100,
                "training.epochs": 2, "training.xla": False,
                "training.loss": {"position": 1.0, "jacobian": 0.0}},  # fmt: skip
        "axes": {"network.seed": [0, 1]},
    }
    both = run(cfg, tmp_path / "both", executor="local", workers=1, progress=False,
               plots=False, log=None)  # fmt: skip
    cfg["axes"] = {"network.seed": [1]}
    alone = run(cfg, tmp_path / "alone", executor="local", workers=1, progress=False,
                plots=False, log=None)  # fmt: skip
    assert both["n_ok"] == 2 and alone["n_ok"] == 1
    pids = {j["point"]["network.seed"]: json.loads(
        (tmp_path / "both/jobs" / f"{j['key']}.json").read_text())["timing"]["pid"]
        for j in both["jobs"]}  # fmt: skip
    assert pids[0] == pids[1]  # the same worker ran both
    key = alone["jobs"][0]["key"]
    first, second = (json.loads(ResultStore(tmp_path / d).canonical()[key])
                     for d in ("alone/jobs", "both/jobs"))  # fmt: skip
    assert first.pop("index") == 0 and second.pop("index") == 1  # its place in each grid
    assert first == second  # bit for bit: JSON of the same floats
    fk = [j["metrics"]["fk_rmse_mm"] for j in both["jobs"]]
    assert fk[0] != fk[1] and all(v > 0 for v in fk)  # different nets, real errors
    assert all("train_seconds" not in j["metrics"] for j in both["jobs"])
