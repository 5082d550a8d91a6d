"""What an install needs: extras named when missing, configs found at call time,
bundled files present, and the kernel dispatcher's fallback when its source is gone."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import armjac
from armjac import configs, extras
from armjac.extras import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]


def _forget(monkeypatch, prefix: str) -> None:
    """Make the next ``import prefix`` run the package's code again.

    Its submodules are imported first, so that all of them are put back afterwards: a
    module first imported during the test (an engine) would otherwise stay, built on
    the test's copies of its package's classes.
    """
    import pkgutil

    package = importlib.import_module(prefix)
    for info in pkgutil.iter_modules(getattr(package, "__path__", []), prefix + "."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # an engine whose package is not installed
            pass
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        monkeypatch.delitem(sys.modules, name)
    parent, _, child = prefix.rpartition(".")  # a re-import rebinds armjac.<child> too
    monkeypatch.setattr(sys.modules[parent], child, package)


@pytest.mark.parametrize("part", ["armjac.sim", "armjac.scenarios"])
def test_no_simulator_names_both_extras(monkeypatch, part):
    _forget(monkeypatch, "armjac.sim")
    _forget(monkeypatch, part)
    monkeypatch.setitem(sys.modules, "pybullet", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "mujoco", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'armjac\[sim\]'") as info:
        importlib.import_module(part)
    assert isinstance(info.value, ImportError)
    msg = str(info.value)
    assert "pip install 'armjac[mujoco]'" in msg and "pybullet, mujoco" in msg and part in msg


def test_missing_sim_extra_is_named_for_compare(monkeypatch):
    _forget(monkeypatch, "armjac.compare")
    monkeypatch.setitem(sys.modules, "pybullet", None)
    with pytest.raises(MissingExtraError, match=r"pybullet.*pip install 'armjac\[sim\]'"):
        importlib.import_module("armjac.compare")


def test_mujoco_alone_runs_the_simulator(monkeypatch, arms):
    """Without PyBullet, armjac.sim imports and the MuJoCo engine runs; asking for
    PyBullet names its extra."""
    pytest.importorskip("mujoco")
    _forget(monkeypatch, "armjac.sim")
    _forget(monkeypatch, "armjac.scenarios")
    monkeypatch.setitem(sys.modules, "pybullet", None)
    sim_pkg = importlib.import_module("armjac.sim")
    with sim_pkg.ArmSim(arms("planar2"), engine="mujoco") as sim:
        sim.send_forces([0.0, 0.0])
    with pytest.raises(MissingExtraError, match=r"'pybullet' engine.*armjac\[sim\]"):
        sim_pkg.ArmSim(arms("planar2"))
    with pytest.raises(MissingExtraError, match=r"PyBulletModel.*armjac\[sim\]"):
        sim_pkg.PyBulletModel  # noqa: B018
    assert sim_pkg.MujocoModel(arms("planar2")).dof == 2


def test_missing_learned_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "nengo_dl", None)
    with pytest.raises(MissingExtraError, match=r"nengo-dl not installed.*armjac\[learned\]"):
        extras.require("learned", "training")
    monkeypatch.setattr(sys, "version_info", (3, 13, 0))
    with pytest.raises(MissingExtraError, match=r"Python 3.11 only"):
        extras.require("learned", "training")


def test_present_extra_passes():
    pytest.importorskip("pybullet")
    extras.require("sim", "armjac.sim")  # no error when everything is installed


def test_cli_reports_a_missing_extra(monkeypatch, capsys):
    _forget(monkeypatch, "armjac.sim")
    _forget(monkeypatch, "armjac.scenarios")
    monkeypatch.setitem(sys.modules, "pybullet", None)
    from armjac.cli import main

    assert main(["sim", "reach", "--duration", "0.01"]) == 2
    assert "pip install 'armjac[sim]'" in capsys.readouterr().err


def test_config_dir_read_at_call_time(monkeypatch, tmp_path):
    (tmp_path / "arms").mkdir()
    (tmp_path / "arms" / "mine.yaml").write_text("urdf: x.urdf\n")
    from armjac.model.registry import bundled_arms

    assert "kuka_iiwa" in bundled_arms()
    monkeypatch.setenv("ARMJAC_CONFIG_DIR", str(tmp_path))
    assert bundled_arms() == ["mine"]
    assert configs.folder("scenarios") == tmp_path / "scenarios"
    monkeypatch.delenv("ARMJAC_CONFIG_DIR")
    assert configs.root() == ROOT / "configs"


def test_shipped_configs_win_over_the_checkout(monkeypatch, tmp_path):
    shipped = tmp_path / "armjac" / "_configs"
    (shipped / "arms").mkdir(parents=True)
    monkeypatch.setattr(configs.resources, "files", lambda pkg: tmp_path / "armjac")
    assert configs.root() == shipped


def test_bundled_urdfs_equal_pybullet_data():
    pybullet_data = pytest.importorskip("pybullet_data")
    copies = ROOT / "configs" / "arms" / "pybullet_data"
    files = sorted(copies.rglob("*.urdf"))
    assert len(files) == 3
    for f in files:
        theirs = Path(pybullet_data.getDataPath()) / f.relative_to(copies)
        assert f.read_bytes() == theirs.read_bytes(), f


def test_bundled_urdf_used_without_pybullet(monkeypatch):
    from armjac.model import registry

    monkeypatch.setitem(sys.modules, "pybullet_data", None)
    spec = registry.resolve("kuka_iiwa")
    assert spec.urdf == ROOT / "configs" / "arms" / "pybullet_data" / "kuka_iiwa" / "model.urdf"


def test_dispatcher_falls_back_when_its_source_is_missing(monkeypatch, tmp_path):
    from armjac.codegen import c_backend, cache

    monkeypatch.setattr(cache, "_DISPATCHER", [])
    monkeypatch.setattr(c_backend, "__file__", str(tmp_path / "c_backend.py"))  # no dispatch.c
    kc = cache.KernelCache(tmp_path / "cache")
    with pytest.warns(UserWarning, match="dispatcher unavailable"):
        assert kc.dispatcher() is None


def test_wheel_contents(tmp_path):
    """The wheel ships configs and dispatch.c, and no top-level package but armjac."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    import zipfile

    (wheel,) = tmp_path.glob("armjac-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("armjac-")}
    assert tops == {"armjac"}
    for need in ("armjac/codegen/dispatch.c", "armjac/_configs/arms/kuka_iiwa.yaml",
                 "armjac/_configs/scenarios/press.yaml", "armjac/_configs/learn/planar2.yaml",
                 "armjac/_configs/compare/demo.yaml",
                 "armjac/_configs/arms/pybullet_data/kuka_iiwa/model.urdf"):  # fmt: skip
        assert need in names
    assert not (ROOT / "armjac" / "_configs").exists()  # never a second copy in the checkout


def test_version_is_exported():
    assert isinstance(armjac.__version__, str)


def test_training_without_the_learned_extra_names_it(monkeypatch, tmp_path):
    from learned_factory import TINY_TRAIN, untrained_model

    from armjac.learned import load, train

    untrained_model().save(tmp_path / "m")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"armjac.learned.train needs .*tensorflow") as info:
        train("planar2", TINY_TRAIN)
    assert "pip install 'armjac[learned]'" in str(info.value)
    model = load(tmp_path / "m")  # loading and the numpy backend need numpy only
    assert model.jacobian([0.3, -0.2]).shape == (3, 2)
    with pytest.raises(MissingExtraError, match=r"'tf' backend"):
        model.jacobian([0.3, -0.2], backend="tf")


def test_a_missing_engine_is_named_before_a_run_begins(monkeypatch, tmp_path):
    pytest.importorskip("pybullet")
    from armjac.scenarios import run_scenario

    monkeypatch.setitem(sys.modules, "mujoco", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"'mujoco' engine.*armjac\[mujoco\]"):
        run_scenario("reach", engine="mujoco", out_dir=tmp_path / "run")
    assert not (tmp_path / "run" / "metrics.json").exists()  # no run that looks begun
