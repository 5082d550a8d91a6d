"""Damaged or hand-edited model folders fail on load with ModelFileError, never later."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from learned_factory import untrained_model

from armjac.cli import main
from armjac.errors import InputError, ModelFileError
from armjac.learned import load
from armjac.learned.network import init_params

ENSEMBLES = [{"n_neurons": 8}, {"n_neurons": 6, "dimensions": 5}]


@pytest.fixture
def folder(tmp_path):
    model = untrained_model(ENSEMBLES)
    model.save(tmp_path / "m")
    return tmp_path / "m"


def _edit_meta(folder, **changes):
    meta = json.loads((folder / "model.json").read_text())
    meta.update(changes)
    (folder / "model.json").write_text(json.dumps(meta))
    return meta


def _edit_arrays(folder, **changes):
    with np.load(folder / "params.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    np.savez(folder / "params.npz", **arrays)
    return arrays


def test_intact_folder_loads(folder):
    model = load(folder)
    assert model.jacobian([0.3, 0.4]).shape == (3, 2)


# -- non-finite parameters and bounds --------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value"),
    [("layer0_encoders", np.nan), ("layer1_bias", np.inf), ("out_bias", -np.inf)],
)
def test_non_finite_weights_refused(folder, key, value):
    with np.load(folder / "params.npz") as npz:
        arr = npz[key].copy()
    arr.flat[0] = value
    _edit_arrays(folder, **{key: arr})
    with pytest.raises(ModelFileError, match=rf"{key} holds 1 NaN or infinite"):
        load(folder)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("bounds", [[float("nan"), -3], [3, 3]], "bounds must be finite"),
        ("bounds", [[-3, -3], [3, float("inf")]], "bounds must be finite"),
        ("bounds", [[3, -3], [-3, 3]], "not below upper"),
        ("train_range", [[float("nan"), -3], [3, 3]], "train_range must be free of NaN"),
        ("home", [0.0, float("nan")], "home must be finite"),
        ("home", [0.0], "home is not 2 numbers"),
    ],
)
def test_bad_bounds_refused(folder, key, value, match):
    _edit_meta(folder, **{key: value})
    with pytest.raises(ModelFileError, match=match):
        load(folder)


# -- damaged params.npz ------------------------------------------------------------------
def test_truncated_params(folder, capsys):
    data = (folder / "params.npz").read_bytes()
    (folder / "params.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="cannot read parameters"):
        load(folder)
    assert main(["jacobian", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "cannot read parameters" in err and "Traceback" not in err


def test_plain_npy_instead_of_npz(folder):
    np.save(folder / "x.npy", np.zeros(3))
    (folder / "x.npy").replace(folder / "params.npz")
    with pytest.raises(ModelFileError, match="not an .npz archive"):
        load(folder)


def test_corrupted_member_crc(folder):
    path = folder / "params.npz"
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
        offset = info.header_offset + 30 + len(info.filename) + 200
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="cannot read parameters"):
        load(folder)


def test_pickled_array_never_unpickled(folder):
    _edit_arrays(folder, out_bias=np.array([object(), 1, 2], dtype=object))
    with pytest.raises(ModelFileError, match="cannot read parameters"):
        load(folder)


def test_string_dtype_array(folder):
    _edit_arrays(folder, out_bias=np.array(["0.1", "0.2", "0.3"]))
    with pytest.raises(ModelFileError, match="out_bias must hold floats"):
        load(folder)


def test_missing_and_extra_arrays(folder):
    with np.load(folder / "params.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if k != "layer1_bias"}
    np.savez(folder / "params.npz", **arrays)
    with pytest.raises(ModelFileError, match="missing layer1_bias"):
        load(folder)
    _edit_arrays(folder, layer1_bias=np.zeros(6, np.float32), spare=np.zeros(2))
    with pytest.raises(ModelFileError, match="unexpected arrays spare"):
        load(folder)


def test_consistent_but_wrong_shapes(folder):
    """Every array and ``shapes`` agree with each other, but not with the config."""
    params = init_params([(8, 4), (7, 5)], 3, 1.0, 0)  # 7 neurons where the config says 6
    arrays = _edit_arrays(
        folder,
        layer0_decoders=params["layers"][0][2],
        layer1_encoders=params["layers"][1][0],
        layer1_bias=params["layers"][1][1],
        layer1_decoders=params["layers"][1][2],
    )
    _edit_meta(folder, shapes={k: list(v.shape) for k, v in arrays.items()})
    with pytest.raises(ModelFileError, match=r"layer1_encoders has shape \(7, 5\).*\(6, 5\)"):
        load(folder)


def test_recorded_shape_disagrees(folder):
    meta = json.loads((folder / "model.json").read_text())
    meta["shapes"]["out_bias"] = [4]
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=r"shapes.out_bias is \[4\]"):
        load(folder)


# -- damaged model.json ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n_layers": "abc"}, "n_layers must be a positive integer; got 'abc'"),
        ({"n_layers": None}, "n_layers must be a positive integer; got None"),
        ({"n_layers": True}, "n_layers must be a positive integer; got True"),
        ({"n_layers": 1}, "n_layers is 1, but the config has 2 ensembles"),
        ({"shapes": [[8, 4]]}, "shapes must be a mapping"),
        ({"joint_names": "j1"}, "joint_names must be a list of distinct names"),
        ({"joint_names": ["j1", "j1"]}, "joint_names must be a list of distinct names"),
        ({"arm": 7}, "arm must be a non-empty string"),
        ({"metrics": [1]}, "metrics must be a mapping"),
        ({"config": "planar2"}, "config must be a mapping"),
        ({"config": {"arm": "planar2", "seed": "x"}}, "seed"),
        ({"config": {"arm": "no_such_arm"}}, "no_such_arm"),
    ],
)
def test_bad_fields(folder, changes, match):
    _edit_meta(folder, **changes)
    with pytest.raises(ModelFileError, match=match):
        load(folder)


def test_missing_field(folder):
    meta = json.loads((folder / "model.json").read_text())
    del meta["joint_names"]
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="missing 'joint_names'"):
        load(folder)


@pytest.mark.parametrize("version", ["1", True, -5, 0, 1.0, None])
def test_format_version_must_be_a_positive_integer(folder, version):
    _edit_meta(folder, format_version=version)
    with pytest.raises(ModelFileError, match="format_version must be a positive integer"):
        load(folder)


def test_newer_format_version_names_both(folder):
    _edit_meta(folder, format_version=7)
    with pytest.raises(ModelFileError, match=r"format version 7 is newer .*\(1\)"):
        load(folder)


def test_binary_model_json(folder):
    (folder / "model.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError, match="corrupt JSON"):
        load(folder)


def test_allow_pickle_is_passed_explicitly(folder, monkeypatch):
    seen = {}
    real = np.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    load(folder)
    assert seen.get("allow_pickle") is False


def test_save_refuses_params_that_do_not_match_the_config(tmp_path):
    model = untrained_model(ENSEMBLES)
    model.params["layers"] = model.params["layers"][:1]  # one ensemble where the config has two
    with pytest.raises(Exception, match="do not match its config"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def _written_by_json_module(model, folder) -> str:
    """model.json as ``json.dumps`` writes the model's fields with numpy turned into lists
    and Python numbers (non-finite floats as ``Infinity``/``NaN``), the format's first form."""
    folder_meta = json.loads((folder / "model.json").read_text())
    meta = {**folder_meta, "home": model.home, "bounds": [*model.bounds],
            "train_range": [*model.train_range], "config": model.config,
            "metrics": model.metrics}  # fmt: skip

    def plain(obj):
        return obj.tolist() if isinstance(obj, np.ndarray) else obj.item()

    return json.dumps(meta, indent=2, default=plain)


def test_saved_files_are_byte_compatible_and_keep_infinite_ranges(tmp_path):
    model = untrained_model(ENSEMBLES)
    model.train_range = (np.array([-np.inf, -2.0]), np.array([np.inf, 2.5]))
    model.metrics = {"rmse": np.float32(0.25), "steps": np.int64(3), "curve": np.arange(2.0)}
    model.save(tmp_path / "m")
    text = (tmp_path / "m" / "model.json").read_text()
    assert text == _written_by_json_module(model, tmp_path / "m")
    assert '"train_range": [\n    [\n      -Infinity,' in text
    loaded = load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.train_range[0], [-np.inf, -2.0])
    np.testing.assert_array_equal(loaded.train_range[1], [np.inf, 2.5])
    assert loaded.metrics == {"rmse": 0.25, "steps": 3, "curve": [0.0, 1.0]}
    loaded.out_of_range = "raise"
    loaded.fk([10.0, 0.0])  # joint 1 is unbounded: no error
    with pytest.raises(InputError):
        loaded.fk([0.0, 2.6])
