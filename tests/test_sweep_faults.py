"""Sweeps under faults: jobs that exit, hang or return garbage, interrupted and
concurrent runs, damaged records, bad folders and addresses, hostile sweep files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sweep_kinds

from armjac.errors import ConfigError
from armjac.sweep import load_sweep, run
from armjac.sweep.run import lock_folder

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
CLI = [sys.executable, "-c", "import sys; from armjac.cli import main; sys.exit(main())"]


def _sweep(tmp_path: Path, n: int, **base) -> dict:
    return {
        "name": "faults",
        "job": "sweep_kinds:count",
        "base": {"counter": str(tmp_path / "counter.txt"), "tag": "t", **base},
        "axes": {"value": list(range(n))},
    }


def _quiet(cfg, out, **kw) -> dict:
    return run(cfg, out, progress=False, plots=False, log=None, **kw)


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("executor", ["serial", "local"])
@pytest.mark.parametrize("action", ["exit", "interrupt"])
def test_a_job_that_exits_or_raises_keyboardinterrupt_fails_only_itself(tmp_path, executor,
                                                                        action):
    cfg = _sweep(tmp_path, 3)
    cfg["axes"]["action"] = [None, action]
    out = tmp_path / "out"
    s = _quiet(cfg, out, executor=executor, workers=2)
    assert (s["n_jobs"], s["n_ok"], s["n_failed"]) == (6, 3, 3)
    bad = [j for j in s["jobs"] if j["status"] == "failed"]
    assert {j["point"]["action"] for j in bad} == {action}
    word = "sys.exit" if action == "exit" else "KeyboardInterrupt"
    assert all(word in j["reason"] for j in bad)
    assert _summary(out)["status"] == "complete"
    assert len(list((out / "jobs").glob("*.json"))) == 6


def test_a_real_ctrl_c_stops_a_serial_sweep_and_says_interrupted(tmp_path):
    cfg = _sweep(tmp_path, 4)
    cfg["axes"]["action"] = [None, "sigint"]  # job 1 sends the process a real SIGINT
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        _quiet(cfg, out, executor="serial")
    summary = _summary(out)
    assert summary["status"] == "interrupted" and summary["n_recorded"] == 1
    assert not (out / "summary.md").exists()


def test_an_interrupted_rerun_leaves_no_summary_that_looks_complete(tmp_path):
    """A complete run, then a bigger re-run killed part-way: summary.json says running."""
    out = tmp_path / "out"
    _quiet(_sweep(tmp_path, 3), out, executor="serial")
    assert _summary(out)["status"] == "complete" and (out / "summary.md").exists()
    cfg_path = tmp_path / "more.yaml"
    cfg_path.write_text(json.dumps(_sweep(tmp_path, 12, sleep=0.3)))
    cmd = [*CLI, "sweep", str(cfg_path), "--out", str(out), "--serial", "--no-progress"]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((out / "jobs").glob("*.json"))) < 3 + 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = len(list((out / "jobs").glob("*.json"))) - 3  # the first run's 3 differ (no sleep)
    assert 3 <= kept < 12
    summary = _summary(out)
    assert summary["status"] == "running" and summary["n_jobs"] == 12
    assert not (out / "summary.md").exists()
    s = _quiet(cfg_path, out, executor="serial")  # the records kept are reused
    assert s["n_ok"] == 12 and s["n_reused"] == kept and _summary(out)["status"] == "complete"


def test_a_hanging_job_times_out_serially(tmp_path):
    cfg = _sweep(tmp_path, 2)
    cfg["axes"]["action"] = [None, "hang"]
    t0 = time.monotonic()
    s = _quiet(cfg, tmp_path / "out", executor="serial", timeout=0.5)
    assert time.monotonic() - t0 < 20
    bad = [j for j in s["jobs"] if j["status"] == "failed"]
    assert len(bad) == 2 and all("timed out after 0.5 s" in j["reason"] for j in bad)
    assert s["n_ok"] == 2


def test_a_job_that_ignores_its_timeout_loses_its_worker_not_the_sweep(tmp_path):
    cfg = _sweep(tmp_path, 3)
    cfg["axes"]["action"] = [None, "stubborn"]
    cfg["timeout_s"] = 0.5  # from the sweep file
    t0 = time.monotonic()
    s = _quiet(cfg, tmp_path / "out", executor="local", workers=2)
    assert time.monotonic() - t0 < 90
    by = {(j["point"]["value"], j["point"]["action"]): j for j in s["jobs"]}
    assert all(by[(v, None)]["status"] == "ok" for v in range(3))
    for v in range(3):
        assert "ignored the 0.5 s timeout" in by[(v, "stubborn")]["reason"]


def test_bad_timeouts_are_refused(tmp_path):
    cfg = _sweep(tmp_path, 1)
    for bad in (0, -1, float("nan"), "soon"):
        with pytest.raises(ConfigError, match="timeout"):
            _quiet({**cfg, "timeout_s": bad}, tmp_path / "out", executor="serial")
        with pytest.raises(ConfigError, match="timeout"):
            _quiet(cfg, tmp_path / "out", executor="serial", timeout=bad)
    assert load_sweep({**cfg, "timeout_s": "none"}).timeout_s is None


def test_an_unreachable_ray_address_fails_at_once(tmp_path):
    pytest.importorskip("ray")
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach a Ray cluster at '127.0.0.1:9'"):
        _quiet(_sweep(tmp_path, 1), tmp_path / "out", executor="ray", ray_address="127.0.0.1:9")
    assert time.monotonic() - t0 < 15
    with pytest.raises(ConfigError, match="HOST:PORT"):
        _quiet(_sweep(tmp_path, 1), tmp_path / "out", executor="ray", ray_address="nohost")


@pytest.mark.parametrize("action", ["notdict", "notjson"])
def test_metrics_that_are_not_a_json_mapping_fail_their_job(tmp_path, action):
    cfg = _sweep(tmp_path, 2)
    cfg["axes"]["action"] = [None, action]
    out = tmp_path / "out"
    s = _quiet(cfg, out, executor="serial")
    bad = [j for j in s["jobs"] if j["status"] == "failed"]
    assert len(bad) == 2 and s["n_ok"] == 2
    assert all("not a mapping" in j["reason"] or "not JSON" in j["reason"] for j in bad)
    assert not list((out / "jobs").glob(".*"))  # no temporary files left


def test_a_damaged_record_is_run_again_not_fatal(tmp_path):
    out = tmp_path / "out"
    cfg = _sweep(tmp_path, 3)
    _quiet(cfg, out, executor="serial")
    files = sorted((out / "jobs").glob("*.json"))
    rec = json.loads(files[0].read_text())
    files[0].write_text(json.dumps({**rec, "metrics": [1, 2]}))  # valid JSON, wrong shape
    files[1].write_bytes(b"\xff\xfe garbage")
    messages = []
    s = run(cfg, out, executor="serial", progress=False, plots=False, log=messages.append)
    assert (s["n_ok"], s["ran"], s["n_reused"]) == (3, 2, 1)
    assert any("2 stored record(s) damaged" in m for m in messages)
    assert json.loads(files[0].read_text())["metrics"]["value"] == rec["metrics"]["value"]


def test_an_unusable_out_is_refused_before_any_job_runs(tmp_path):
    cfg = _sweep(tmp_path, 2)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile, afile / "sub"):
        with pytest.raises(ConfigError, match="is a file"):
            _quiet(cfg, out, executor="serial")
    assert sweep_kinds.tag_lines(tmp_path / "counter.txt") == []


def test_a_summary_armjac_did_not_write_is_kept_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.md").write_text("my notes")
    with pytest.raises(ConfigError, match="not written by an armjac run"):
        _quiet(_sweep(tmp_path, 1), out, executor="serial")
    assert (out / "summary.md").read_text() == "my notes"
    _quiet(_sweep(tmp_path, 1), out, executor="serial", force=True)
    assert _summary(out)["status"] == "complete"


def test_a_second_sweep_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    with lock_folder(out):
        with pytest.raises(ConfigError, match=rf"another sweep \(pid {os.getpid()}\)"):
            _quiet(_sweep(tmp_path, 2), out, executor="serial")
    assert sweep_kinds.tag_lines(tmp_path / "counter.txt") == []
    assert _quiet(_sweep(tmp_path, 2), out, executor="serial")["n_ok"] == 2  # released


def test_two_sweeps_at_once_into_one_folder_do_not_both_run(tmp_path):
    cfg_path = tmp_path / "s.yaml"
    cfg_path.write_text(json.dumps(_sweep(tmp_path, 4, sleep=0.5)))
    out = tmp_path / "out"
    cmd = [*CLI, "sweep", str(cfg_path), "--out", str(out), "--serial", "--no-progress"]
    first = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not sweep_kinds.tag_lines(tmp_path / "counter.txt") and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
    assert first.wait(timeout=120) == 0
    assert second.returncode == 2 and "another sweep" in second.stderr
    assert len(sweep_kinds.tag_lines(tmp_path / "counter.txt")) == 4  # each job ran once


def test_pool_workers_die_with_a_killed_driver(tmp_path):
    cfg_path = tmp_path / "s.yaml"
    cfg_path.write_text(json.dumps(_sweep(tmp_path, 2, sleep=60, pids=str(tmp_path / "pids"))))
    cmd = [*CLI, "sweep", str(cfg_path), "--out", str(tmp_path / "out"), "--workers", "2",
           "--no-progress"]  # fmt: skip
    driver = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    pids: list[int] = []
    while len(pids) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = [int(p) for p in sweep_kinds.tag_lines(tmp_path / "pids")]
    assert len(pids) == 2, "both workers should be running a job"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [p for p in pids if _alive(p)]
    for p in alive:  # do not leave them behind even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not alive


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_yaml_alias_bomb_is_refused_briefly(tmp_path):
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    levels += [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in pairs]
    text = "job: sweep_kinds:count\nbase: {value: 1}\nbomb:\n  " + "\n  ".join(levels)
    text += "\naxes:\n  value: [*i]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert time.monotonic() - t0 < 10 and len(str(err.value)) < 1000
    assert "more than" in str(err.value)


@pytest.mark.parametrize(
    "value, words",
    [("2024-01-01", "not a plain value"), (".nan", "not a finite number"), ("{1: 2}", "not text")],
)
def test_sweep_values_json_cannot_hold_are_refused(tmp_path, value, words):
    path = tmp_path / "s.yaml"
    path.write_text(f"job: sweep_kinds:count\nbase: {{value: 1}}\naxes:\n  tag: [{value}]\n")
    with pytest.raises(ConfigError, match=words):
        load_sweep(path)


def test_a_module_kind_is_imported_only_if_it_registers_kinds(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "innocent_mod.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for job, words in [
        ("innocent_mod:x", "does not call register_job; not imported"),
        ("antigravity:x", "standard library"),
        ("this:x", "standard library"),
        ("not a module:x", "not a module name"),
    ]:
        with pytest.raises(ConfigError, match=words):
            load_sweep({"job": job, "base": {"value": 1}})
    assert not marker.exists()


@pytest.mark.parametrize(
    "base, words",
    [
        ({"spec": {"arm": "planar2", "geometry": {"joint_origin_mm": 1e300}}},
         r"^<sweep mapping>: base: spec: geometry.joint_origin_mm: must be <= 100"),
        ({"spec": "planar2_small", "data": {"kind": "static", "n": 10**12}},
         r"job 0 \(base\): data.n: must be an integer >= 1 and <= 2000000"),
        ({"spec": "planar2_small", "draw": -1}, r"job 0 \(base\): draw: must be an integer >= 0"),
    ],
)  # fmt: skip
def test_a_mismatch_job_names_the_sweep_and_bounds_its_sizes(base, words):
    with pytest.raises(ConfigError, match=words):
        load_sweep({"job": "mismatch", "base": base}).jobs()


def test_a_record_changed_after_it_was_written_is_run_again(tmp_path):
    """Valid JSON of the right form but not what the job wrote (a bit flip in a number,
    a hand edit): its seal no longer matches."""
    out = tmp_path / "out"
    cfg = _sweep(tmp_path, 2)
    _quiet(cfg, out, executor="serial")
    path = sorted((out / "jobs").glob("*.json"))[0]
    rec = json.loads(path.read_text())
    true_square = rec["metrics"]["square"]
    path.write_text(json.dumps({**rec, "metrics": {**rec["metrics"], "square": -7}}))
    s = _quiet(cfg, out, executor="serial")
    assert (s["ran"], s["n_reused"]) == (1, 1)
    assert json.loads(path.read_text())["metrics"]["square"] == true_square
