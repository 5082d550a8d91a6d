"""The Ray executor against a Ray head started here: the same records as the local pool."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from armjac.sweep import run
from armjac.sweep.store import ResultStore

ray = pytest.importorskip("ray", reason="the ray extra is absent (pip install 'armjac[ray]')")

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head(monkeypatch, cache_dir):
    """A one-node Ray cluster (2 CPUs) in its own process group, killed afterwards."""
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a throw-away cluster on this host
    port = _free_port()
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "ARMJAC_CACHE_DIR": cache_dir}
    cmd = [os.path.join(os.path.dirname(sys.executable), "ray"), "start", "--head",
           "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
           "--include-dashboard=false", "--disable-usage-stats", "--block"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:  # wait until the head answers
            try:
                ray.init(address=address, log_to_driver=False)
                ray.shutdown()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass




def test_ray_and_local_pool_give_identical_results(ray_head, tmp_path, arms):
    arms("kuka_iiwa")  # kernels built once; every worker loads them from the cache
    cfg = {
        "job": "scenario",
        "base": "reach",
        "set": {"duration": 0.5, "expect": {}},
        "axes": {"controller.kp": [300, 600], "jacobian": ["analytic", "pybullet"]},
    }
    on_ray = run(cfg, tmp_path / "ray", executor="ray", ray_address=ray_head, progress=False,
                 plots=False, log=None)  # fmt: skip
    local = run(cfg, tmp_path / "local", executor="local", workers=2, progress=False,
                plots=False, log=None)  # fmt: skip
    assert on_ray["n_ok"] == local["n_ok"] == 4
    a = ResultStore(tmp_path / "ray/jobs").canonical()
    b = ResultStore(tmp_path / "local/jobs").canonical()
    assert len(a) == 4 and a == b
    hosts = {json.loads(f.read_text())["timing"]["pid"] for f in (tmp_path / "ray/jobs").iterdir()}
    assert os.getpid() not in hosts
    # the gains matter, so identical records are not identical by accident
    rmse = {(j["point"]["controller.kp"], j["point"]["jacobian"]): j["metrics"]["position_rmse_m"]
            for j in on_ray["jobs"]}  # fmt: skip
    assert rmse[(300, "analytic")] != rmse[(600, "analytic")]


def test_on_ray_exits_and_timeouts_fail_only_their_jobs(ray_head, tmp_path):
    """sys.exit in a task, a task that ignores its timeout (its worker is killed): failed
    records; the other jobs are fine."""
    cfg = {
        "job": "sweep_kinds:count",
        "base": {"tag": "t", "value": 1},
        "axes": {"action": [None, "exit", "stubborn"]},
        "timeout_s": 1.0,
    }
    s = run(cfg, tmp_path / "ray", executor="ray", ray_address=ray_head, progress=False,
            plots=False, log=None)  # fmt: skip
    by = {j["point"]["action"]: j for j in s["jobs"]}
    assert by[None]["status"] == "ok"
    assert "sys.exit" in by["exit"]["reason"]
    assert by["stubborn"]["status"] == "failed" and "ray task failed" in by["stubborn"]["reason"]
    assert s["status"] == "complete"
