"""The wheel with the ``mujoco`` extra, without PyBullet: the simulator on MuJoCo.

Run by .ci/wheel_smoke.sh in a fresh venv outside the checkout, after
``pip install 'armjac[mujoco]'``. Checks that PyBullet is absent, that asking for
it names its extra, and that ``armjac sim reach --engine mujoco`` passes its bounds.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    assert importlib.util.find_spec("pybullet") is None, "PyBullet must not be installed here"
    from armjac.extras import MissingExtraError
    from armjac.sim import ArmSim

    try:
        ArmSim("planar2")  # the default engine is PyBullet
    except MissingExtraError as exc:
        assert "armjac[sim]" in str(exc), exc
    else:
        raise AssertionError("ArmSim on PyBullet ran without PyBullet")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reach"
        cmd = [sys.executable, "-m", "armjac.cli", "sim", "reach", "--engine", "mujoco",
               "--out", str(out)]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True)
        print(run.stdout[-1500:], run.stderr[-1500:])
        assert run.returncode == 0, f"armjac sim reach --engine mujoco exited {run.returncode}"
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["status"] == "ok" and metrics["passed"] and metrics["engine"] == "mujoco"
        print(f"mujoco smoke test passed: reach on MuJoCo, realtime factor "
              f"{metrics['realtime_factor']:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
