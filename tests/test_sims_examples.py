"""The example programs in sims/ run as a user runs them (briefly) and print their scores."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"([-+]?\d+\.\d+|nan)"
# Programs written on the controllers, trajectories and simulator: the shortest
# --duration that reaches the score they print, and that score's line.
EXAMPLES = {
    "reach": (0.2, rf"final error: {NUMBER} mm"),
    "track": (0.2, rf"position RMSE: {NUMBER} mm"),
    "press": (2.5, rf"RMSE to 10 N: {NUMBER} N"),
    "payload": (1.5, rf"recovery time \(back within 2 mm for good\): {NUMBER} s"),
    "push": (1.5, rf"kp = +600: largest deviation +{NUMBER} mm"),
    "wipe": (2.5, rf"force RMSE to 10 N: {NUMBER} N"),
}


def run(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    cmd = [sys.executable, str(ROOT / "sims" / f"{name}.py"), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_and_prints_its_score(name, tmp_path):
    duration, score = EXAMPLES[name]
    proc = run(name, "--duration", str(duration), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = re.search(score, proc.stdout)
    assert found, f"no line matching {score!r} in:\n{proc.stdout}"
    assert math.isfinite(float(found.group(1))), found.group(0)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_refuses_a_bad_duration(name, tmp_path):
    proc = run(name, "--duration", "nan", cwd=tmp_path)
    assert proc.returncode == 2 and "--duration" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_example_is_run_here():
    assert {p.stem for p in (ROOT / "sims").glob("*.py")} == set(EXAMPLES)


def test_sims_is_not_a_package():
    assert not (ROOT / "sims" / "__init__.py").exists()
