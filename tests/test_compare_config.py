"""Comparison configs: the bundled ones load; bad input gives errors naming file and key."""

from __future__ import annotations

import pytest
import yaml

from armjac.compare import bundled_comparisons, load_compare
from armjac.errors import ConfigError

BASE = {
    "arm": "planar2",
    "models": [{"name": "m", "train": "planar2"}],
    "control": {"scenarios": []},
}


def _write(tmp_path, data, name="cmp.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("name", ["kuka_iiwa", "demo"])
def test_bundled_comparisons_load(name):
    assert name in bundled_comparisons()
    cfg = load_compare(name)
    assert cfg.arm == "kuka_iiwa" and cfg.models and cfg.scenarios
    assert {s.label for s in cfg.scenarios} >= {"reach", "track"}
    assert cfg.models[0].train["arm"] == "kuka_iiwa"


def test_scenario_overrides_and_duration(tmp_path):
    data = dict(BASE, control={"scenarios": [
        "reach", {"config": "track", "duration": 2.0, "label": "t2",
                  "overrides": {"controller": {"kp": 123}}}]})  # fmt: skip
    cfg = load_compare(_write(tmp_path, data))
    track = cfg.scenarios[1]
    assert track.label == "t2" and track.duration == 2.0
    assert track.data["controller"]["kp"] == 123
    assert track.data["controller"]["ko"] == 200  # the rest of the file is kept


def test_model_path_relative_to_the_config_file(tmp_path):
    (tmp_path / "models" / "a").mkdir(parents=True)
    data = dict(BASE, models=[{"name": "a", "path": "models/a"}])
    cfg = load_compare(_write(tmp_path, data))
    assert cfg.models[0].path.resolve() == (tmp_path / "models" / "a").resolve()


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"colour": "red"}, "colour", "unknown key"),
        ({"arm": None}, "arm", "is required"),
        ({"arm": "nope_arm"}, "arm", "nope_arm"),
        ({"models": []}, "models", "non-empty"),
        ({"models": [{"name": "m"}]}, "models[0]", "either 'train'"),
        ({"models": [{"name": "m", "path": "/no/such/dir"}]}, "models[0].path", "no model"),
        ({"models": [{"name": "analytic", "train": "planar2"}]}, "models[0].name", "other than"),
        ({"models": [{"name": "m", "train": {"arm": "planar2", "data": {"n_train": -1}}}]},
         "models[0].train", "n_train"),
        ({"models": [{"name": "m", "train": {"arm": "kuka_iiwa"}}]}, "models[0].train",
         "trains arm"),
        ({"models": [{"name": "m", "train": "planar2"}, {"name": "m", "train": "planar2"}]},
         "models", "unique"),
        ({"control": {"scenarios": ["no_such_scenario"]}}, "control.scenarios[0].config",
         "unknown scenario"),
        ({"control": {"scenarios": [{"config": "reach", "duration": -1}]}},
         "control.scenarios[0].duration", "positive"),
        ({"control": {"references": ["analytic", "mujoco"]}}, "control.references", "list from"),
        ({"control": {"position_only": "maybe"}}, "control.position_only", "auto, true or false"),
        ({"seeds": [0, "one"]}, "seeds", "integers"),
        ({"accuracy": {"n_samples": 3}}, "accuracy.n_samples", ">= 10"),
        ({"accuracy": {"margin": 0.7}}, "accuracy.margin", "[0, 0.5)"),
        ({"timing": {"backends": ["torch"]}}, "timing.backends", "list from"),
    ],
)  # fmt: skip
def test_bad_config_names_file_and_key(tmp_path, change, key, words):
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(ConfigError) as err:
        load_compare(path)
    msg = str(err.value)
    assert str(path) in msg and key in msg and words in msg


def test_bad_scenario_override_names_the_scenario_file(tmp_path):
    bad = {"config": "reach", "overrides": {"controller": {"kp": -5}}}
    data = dict(BASE, control={"scenarios": [bad]})
    with pytest.raises(ConfigError, match=r"reach\.yaml: controller\.kp"):
        load_compare(_write(tmp_path, data))


def test_malformed_yaml_and_unknown_name(tmp_path):
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_compare(_write(tmp_path, "arm: [planar2\n"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_compare(_write(tmp_path, "- just\n- a list\n"))
    with pytest.raises(ConfigError, match="unknown comparison 'nope'.*kuka_iiwa"):
        load_compare("nope")


def test_cli_reports_config_errors(tmp_path, capsys):
    from armjac.cli import main

    path = _write(tmp_path, {**BASE, "seeds": "zero"})
    assert main(["compare", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "armjac compare: error:" in err and "seeds" in err
    assert not (tmp_path / "o").exists()  # nothing started
