"""Bad input gives armjac errors that say what is wrong."""

from __future__ import annotations

import json

import numpy as np
import pytest
from learned_factory import untrained_model

from armjac.errors import ArmjacError, ConfigError, InputError, UnknownLinkError
from armjac.learned import ModelFileError, load, resolve_config


@pytest.fixture
def tiny(tmp_path):
    model = untrained_model()
    model.save(tmp_path / "m")
    return model, tmp_path / "m"


def test_missing_folder(tmp_path):
    with pytest.raises(ModelFileError, match="no model folder"):
        load(tmp_path / "nope")


def test_folder_without_model_json(tmp_path):
    with pytest.raises(ConfigError, match="model.json is missing"):
        load(tmp_path)


def test_corrupt_model_json(tiny):
    _, path = tiny
    (path / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="corrupt JSON"):
        load(path)


def test_newer_format_version(tiny):
    _, path = tiny
    meta = json.loads((path / "model.json").read_text())
    meta["format_version"] = 999
    (path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="newer than this armjac"):
        load(path)


def test_corrupt_params(tiny):
    _, path = tiny
    (path / "params.npz").write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="cannot read parameters"):
        load(path)


def test_wrong_q_length(tiny):
    model, path = tiny
    with pytest.raises(InputError, match=r"shape \(2,\)"):
        model.jacobian(np.zeros(3))
    with pytest.raises(InputError):
        model.fk(np.zeros((4, 5)))
    with pytest.raises(InputError, match="finite"):
        model.fk([np.nan, 0.0])
    with pytest.raises(UnknownLinkError, match="'ee'"):
        model.jacobian(np.zeros(2), link="base")
    # Its own end effector is accepted by name, as the arm's is, and survives a reload.
    np.testing.assert_array_equal(
        model.jacobian(np.zeros(2), link=model.ee_link), model.jacobian(np.zeros(2))
    )
    assert load(path).ee_link == model.ee_link == "ee"
    with pytest.raises(InputError, match="backend"):
        model.jacobian(np.zeros(2), backend="torch")


def test_config_unknown_arm(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("arm: no_such_arm\n")
    with pytest.raises(ConfigError) as info:
        resolve_config(path)
    assert str(path) in str(info.value) and "arm" in str(info.value)
    assert "no_such_arm" in str(info.value)


@pytest.mark.parametrize(
    "text, key",
    [
        ("arm: planar2\ntraining: {epochs: -1}\n", "training.epochs"),
        ("arm: planar2\ndata: {n_tain: 10}\n", "data.n_tain"),
        ("arm: planar2\nencoding: fourier\n", "encoding"),
        ("arm: planar2\nnetwork: {ensembles: []}\n", "network.ensembles"),
        ("seed: 1\n", "arm"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, key):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        resolve_config(path)
    assert str(path) in str(info.value) and key in str(info.value)


def test_unknown_config_name():
    with pytest.raises(ConfigError, match="unknown learning config 'definitely_not_a_config'"):
        resolve_config("definitely_not_a_config")


def test_cli_reports_errors(tmp_path, capsys):
    from armjac.cli import main

    (tmp_path / "model.json").write_text("[]")
    assert main(["jacobian", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err
    assert issubclass(ModelFileError, ArmjacError)


def test_import_armjac_does_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, armjac, armjac.learned; "
        "assert 'tensorflow' not in sys.modules and 'nengo_dl' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
