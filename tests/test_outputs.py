"""Run outputs: never an old or partial result mistaken for a new one, no foreign
files overwritten, bad --duration and --out refused before any work."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import armjac.scenarios.runner as runner
from armjac import outputs
from armjac.cli import main
from armjac.errors import ConfigError, InputError, SimulationError
from armjac.scenarios import run_scenario


def _metrics(out):
    return json.loads((out / "metrics.json").read_text())


def _no_loop(*args, **kwargs):
    raise AssertionError("the simulation ran")


@pytest.fixture
def finished(tmp_path, arms):
    """A folder holding a finished short reach run (status ok, plots)."""
    out = tmp_path / "run"
    m = run_scenario("reach", out_dir=out, duration=0.02, arm=arms("kuka_iiwa"))
    assert m["status"] == "ok" and (out / "path.png").is_file()
    assert _metrics(out)["status"] == "ok"
    return out


# -- issue: stale or overwritten outputs ------------------------------------------------
def test_a_run_in_progress_is_marked_running_and_old_plots_are_gone(finished, arms, monkeypatch):
    seen = {}

    def loop(*args, **kwargs):  # what a reader finds while the run (or after a kill -9)
        seen["metrics"] = _metrics(finished)
        seen["plots"] = sorted(p.name for p in finished.glob("*.png"))
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_loop", loop)
    with pytest.raises(KeyboardInterrupt):
        run_scenario("reach", out_dir=finished, duration=0.02, arm=arms("kuka_iiwa"))
    assert seen["metrics"]["status"] == "running" and seen["plots"] == []
    assert _metrics(finished)["status"] == "interrupted"  # Ctrl-C says so afterwards


def test_a_diverged_run_leaves_no_earlier_plots(finished, arms, monkeypatch):
    def loop(*args, **kwargs):
        raise SimulationError("diverged at t=0.001 s")

    monkeypatch.setattr(runner, "_loop", loop)
    m = run_scenario("reach", out_dir=finished, duration=0.02, arm=arms("kuka_iiwa"))
    assert m["status"] == "failed"
    assert _metrics(finished)["status"] == "failed"
    assert not list(finished.glob("*.png"))


def test_foreign_run_files_are_not_overwritten(tmp_path, arms, monkeypatch):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "metrics.json").write_text('{"my": "data"}')
    monkeypatch.setattr(runner, "_loop", _no_loop)
    with pytest.raises(ConfigError, match="not written by an armjac run"):
        run_scenario("reach", out_dir=out, duration=0.02, arm=arms("kuka_iiwa"))
    assert (out / "metrics.json").read_text() == '{"my": "data"}'
    monkeypatch.undo()
    m = run_scenario("reach", out_dir=out, duration=0.02, arm=arms("kuka_iiwa"), force=True)
    assert m["status"] == "ok" and _metrics(out)["written_by"] == "armjac"


def test_train_refuses_a_folder_it_did_not_write(tmp_path, monkeypatch, capsys):
    pytest.importorskip("nengo_dl")
    import armjac.learned

    out = tmp_path / "models"
    out.mkdir()
    (out / "model.json").write_text('{"unrelated": true}')
    monkeypatch.setattr(armjac.learned, "train", _no_loop)
    assert main(["train", "planar2", "--out", str(out), "--no-progress"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "model.json").read_text() == '{"unrelated": true}'


def test_atomic_folder_keeps_the_old_folder_on_failure(tmp_path):
    final = tmp_path / "f"
    with outputs.atomic_folder(final) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), outputs.atomic_folder(final) as tmp:
        (tmp / "a").write_text("2")
        raise RuntimeError
    assert (final / "a").read_text() == "1"
    with outputs.atomic_folder(final) as tmp:
        (tmp / "b").write_text("3")
    assert sorted(p.name for p in final.iterdir()) == ["b"]
    assert [p.name for p in tmp_path.iterdir()] == ["f"]  # no temporary folders left


def test_atomic_folder_can_keep_a_folder_another_writer_finished_first(tmp_path):
    final = tmp_path / "entry"
    with outputs.atomic_folder(final, prefix=".build-1-", keep_existing=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".build-1-")
        (tmp / "ours").write_text("1")
        final.mkdir()  # a concurrent builder renames its copy into place first
        (final / "theirs").write_text("2")
    assert [p.name for p in final.iterdir()] == ["theirs"]
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]  # ours is gone
    with outputs.atomic_folder(tmp_path / "new", keep_existing=True) as tmp:
        (tmp / "a").write_text("3")
    assert (tmp_path / "new" / "a").read_text() == "3"


def test_to_jsonable_keeps_infinities_when_asked():
    from armjac.jsonutil import to_jsonable

    data = {"lo": np.array([-np.inf, 0.5]), "x": np.float32(np.nan)}
    assert to_jsonable(data) == {"lo": [None, 0.5], "x": None}
    kept = to_jsonable(data, nonfinite="keep")
    assert kept["lo"] == [-math.inf, 0.5] and math.isnan(kept["x"])
    assert json.loads(json.dumps(kept))["lo"] == [-math.inf, 0.5]
    with pytest.raises(ValueError, match="'drop'"):
        to_jsonable(data, nonfinite="drop")


# -- issue: --duration ------------------------------------------------------------------
@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf", "abc"])
def test_cli_refuses_bad_durations(value, capsys, monkeypatch):
    monkeypatch.setattr(runner, "_loop", _no_loop)
    with pytest.raises(SystemExit) as exc:
        main(["sim", "reach", "--duration", value])
    assert exc.value.code == 2
    assert f"got {value!r}" in capsys.readouterr().err


def test_huge_duration_refused_before_allocating(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "_loop", _no_loop)
    assert main(["sim", "reach", "--duration", "1e9", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "1e+09 s" in err and "limit is 1,000,000" in err


@pytest.mark.parametrize("value", [-5, 0, math.nan, math.inf, "3", True])
def test_run_scenario_refuses_bad_durations(value, arms, monkeypatch):
    monkeypatch.setattr(runner, "_loop", _no_loop)
    with pytest.raises(InputError, match="duration"):
        run_scenario("reach", duration=value, arm=arms("kuka_iiwa"))


def test_steps_the_scenario_computes_are_bounded(arms, monkeypatch):
    from armjac.scenarios import scenario_data

    data = scenario_data("reach") | {"dt": 1e-5}  # 5 targets x 10 s: 5e6 steps
    data["task"]["segment_time"] = 10.0
    monkeypatch.setattr(runner, "_loop", _no_loop)
    with pytest.raises(ConfigError, match="steps; the limit"):
        run_scenario(data, arm=arms("kuka_iiwa"))


# -- issue: --out checked before the work ------------------------------------------------
def test_out_that_is_a_file_fails_first(tmp_path, capsys, monkeypatch):
    path = tmp_path / "file.txt"
    path.write_text("x")
    monkeypatch.setattr(runner, "_loop", _no_loop)
    assert main(["sim", "reach", "--out", str(path)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["sim", "reach", "--out", str(path / "sub")]) == 2
    assert path.read_text() == "x"


def test_out_in_a_read_only_folder_fails_first(tmp_path, capsys, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    real = outputs.tempfile.TemporaryFile

    def probe(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own keyword
        if os.fspath(dir) == os.fspath(ro):  # as a read-only mount answers, even to root
            raise PermissionError(13, "Permission denied", os.fspath(ro))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "TemporaryFile", probe)
    monkeypatch.setattr(runner, "_loop", _no_loop)
    assert main(["sim", "reach", "--out", str(ro / "run")]) == 2
    assert "cannot write in" in capsys.readouterr().err


def test_train_out_that_is_a_file_fails_before_training(tmp_path, capsys, monkeypatch):
    pytest.importorskip("nengo_dl")
    import armjac.learned

    path = tmp_path / "file"
    path.write_text("x")
    monkeypatch.setattr(armjac.learned, "train", _no_loop)
    assert main(["train", "planar2", "--out", str(path), "--no-progress"]) == 2
    assert "is a file" in capsys.readouterr().err
