"""The example programs in sims/ run as a user runs them (briefly) and print their scores."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"([-+]?\d+\.\d+|nan)"
# Programs written on the controllers, trajectories and simulator: a --duration
# that reaches the score they print, that score's line, and its bound, which is
# the one the same task's scenario file states under ``expect``.
EXAMPLES = {
    "reach": (1.5, rf"final error: {NUMBER} mm", 1.0),  # at the first target
    "track": (1.0, rf"position RMSE: {NUMBER} mm", 5.0),
    "press": (2.5, rf"RMSE to 10 N: {NUMBER} N", 1.0),
    "payload": (1.5, rf"recovery time \(back within 2 mm for good\): {NUMBER} s", 1.0),
    "push": (1.5, rf"kp = +600: .* back within 2 mm {NUMBER} s", 1.0),
    "wipe": (2.5, rf"force RMSE to 10 N: {NUMBER} N", 1.0),
    # the press on the observer with the identified tool (press_sensorless.yaml's bound: 0.5)
    "press_sensorless": (2.5, rf"identified load: .* RMSE to 10 N: {NUMBER} N", 0.5),
}
# Programs that run a bundled scenario through run_scenario (they write metrics.json).
SCENARIO_EXAMPLES = ("tool_change", "tracker_dropout")


def run(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    cmd = [sys.executable, str(ROOT / "sims" / f"{name}.py"), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_and_prints_its_score(name, tmp_path):
    duration, score, bound = EXAMPLES[name]
    proc = run(name, "--duration", str(duration), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = re.search(score, proc.stdout)
    assert found, f"no line matching {score!r} in:\n{proc.stdout}"
    value = float(found.group(1))
    assert math.isfinite(value) and value <= bound, found.group(0)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_refuses_a_bad_duration(name, tmp_path):
    proc = run(name, "--duration", "nan", cwd=tmp_path)
    assert proc.returncode == 2 and "--duration" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", SCENARIO_EXAMPLES)
def test_scenario_example_runs(name, tmp_path):
    out = tmp_path / name
    proc = run(name, "--duration", "0.05", "--out", str(out), cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr  # 1: outside the bounds after 0.05 s
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["scenario"] == name
    assert metrics["sim_time_s"] == pytest.approx(0.05)
    assert "plots and metrics.json in" in proc.stdout


def test_every_example_is_run_here():
    found = {p.stem for p in (ROOT / "sims").glob("*.py")}
    assert found == set(EXAMPLES) | set(SCENARIO_EXAMPLES)


def test_sims_is_not_a_package():
    assert not (ROOT / "sims" / "__init__.py").exists()
