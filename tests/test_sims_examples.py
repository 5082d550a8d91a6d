"""The example programs in sims/ run as a user runs them (briefly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("reach", "track", "press", "payload", "push", "wipe", "tool_change", "tracker_dropout")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name, tmp_path):
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    out = tmp_path / name
    proc = subprocess.run(
        [sys.executable, str(ROOT / "sims" / f"{name}.py"), "--duration", "0.05", "--out", out],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr  # 1: outside the bounds after 0.05 s
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["scenario"] == name
    assert metrics["sim_time_s"] == pytest.approx(0.05)
    assert "plots and metrics.json in" in proc.stdout


def test_sims_is_not_a_package():
    assert not (ROOT / "sims" / "__init__.py").exists()
