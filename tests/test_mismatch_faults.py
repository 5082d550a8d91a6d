"""Recorded datasets, `armjac collect` and mismatch specs under bad input: every damaged
file or absurd value is refused with what is wrong, before any work."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from armjac.cli import main
from armjac.errors import ConfigError, InputError
from armjac.mismatch import load_dataset, load_spec, static_samples
from armjac.mismatch.dataset import Dataset

SMALL = "planar2_small"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return load_spec(SMALL).realize(3, out_dir=tmp_path_factory.mktemp("real"))


@pytest.fixture
def saved(real, tmp_path):
    d = static_samples(real, 40, seed=1)
    return d, d.save(tmp_path / "d")


def _rewrite(path, **changes) -> None:
    """Replace arrays of the saved dataset at ``path`` and re-seal its metadata (a
    consistent file pair whose content is wrong, as a careless script would write)."""
    d = load_dataset(path)
    arrays = {k: getattr(d, k) for k in ("t", "q", "tracker_t", "tracker_x", "tracker_ok",
                                          "truth_q", "truth_tip")}  # fmt: skip
    arrays.update(changes)
    np.savez(path, **arrays)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta.pop("npz_sha256")
    path.with_suffix(".json").write_text(json.dumps(meta))


def test_a_dataset_round_trips_and_its_pairs_match_the_truth(saved, real):
    d, path = saved
    back = load_dataset(path)
    q, x = back.pairs()
    np.testing.assert_array_equal(q, d.q)  # static: encoder times are the tracker times
    qt, xt = back.pairs(truth=True)
    np.testing.assert_allclose(xt, real.tip(qt), atol=1e-12)
    assert back.meta["dof"] == 2 and "npz_sha256" not in back.meta


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: {"t": np.r_[d.t[:20], d.t[:20]], "q": d.q, "truth_q": d.truth_q},
         "encoder time must run forward"),
        (lambda d: {"q": d.q[:, :1], "truth_q": d.truth_q[:, :1]}, "q has 1 joints; .* has 2"),
        (lambda d: {"q": d.q[:, [0, 1, 1]]}, "truth_q must have q's shape"),
        (lambda d: {"tracker_x": d.tracker_x[:30]}, r"tracker_x must be \(40, 3\)"),
        (lambda d: {"tracker_t": d.tracker_t[:30]}, r"tracker_x must be \(30, 3\)"),
        (lambda d: {"tracker_x": d.tracker_x[:, :2]}, r"tracker_x must be \(40, 3\)"),
        (lambda d: {"tracker_ok": d.tracker_ok.astype(float)}, "tracker_ok must be booleans"),
        (lambda d: {"q": np.where(np.arange(40)[:, None] == 3, np.nan, d.q)}, "must be finite"),
        (lambda d: {"tracker_t": d.tracker_t + 100.0}, "outside the encoder times"),
        (lambda d: {"q": d.q.astype(str)}, "q must be real numbers"),
    ],
)  # fmt: skip
def test_inconsistent_arrays_are_refused_on_load(saved, change, words):
    d, path = saved
    _rewrite(path, **change(d))
    with pytest.raises(ConfigError, match=words):
        load_dataset(path)


def test_damaged_files_are_refused(saved, tmp_path):
    d, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(ConfigError, match="not the file its metadata"):
        load_dataset(path)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta.pop("npz_sha256")
    path.with_suffix(".json").write_text(json.dumps(meta))  # an older dataset: no hash
    with pytest.raises(ConfigError, match="cannot read the dataset"):
        load_dataset(path)
    path.with_suffix(".json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_dataset(path)


def test_pairs_refuses_bad_counts(saved):
    d, _ = saved
    for bad in (-1, 0, 2.5, True):
        with pytest.raises(InputError, match="n must be"):
            d.pairs(bad)
    with pytest.raises(ConfigError, match="40 tracker samples"):
        d.pairs(41)
    assert len(d.pairs(5)[0]) == 5


def test_a_dataset_built_in_code_is_checked_too(saved):
    d, _ = saved
    with pytest.raises(InputError, match="encoder time must run forward"):
        Dataset(d.t[::-1], d.q, d.tracker_t, d.tracker_x, d.tracker_ok, d.truth_q, d.truth_tip)


def test_save_refuses_a_folder_and_leaves_no_partial_files(saved, tmp_path):
    d, _ = saved
    folder = tmp_path / "existing"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        d.save(folder)
    assert not (tmp_path / "existing.npz").exists() and list(folder.iterdir()) == []
    d.meta["bad"] = object()  # metadata that is not JSON: nothing written
    with pytest.raises(TypeError):
        d.save(tmp_path / "new")
    assert not list(tmp_path.glob("new*")) and not list(tmp_path.glob(".new*"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--duration", "1e9"], "--duration must be <= 3600"),
        (["--duration", "nan"], "--duration must be a finite number"),
        (["--static", "1000000000"], r"--static must be in \[1, 2000000\]"),
        (["--static", "0"], r"--static must be in \[1, 2000000\]"),
        (["--seed", "-1"], "seed must be >= 0"),
        (["--seed", str(2**40)], "seed must be >= 0 and <= 4294967295"),
    ],
)
def test_collect_cli_refuses_absurd_arguments_at_once(tmp_path, capsys, args, words):
    t0 = time.monotonic()
    assert main(["collect", SMALL, "--out", str(tmp_path / "d"), "--no-progress", *args]) == 2
    assert time.monotonic() - t0 < 10
    import re

    assert re.search(words, capsys.readouterr().err)
    assert not list(tmp_path.iterdir())


def test_collect_cli_refuses_a_folder_or_unwritable_out_before_the_run(tmp_path, capsys):
    folder = tmp_path / "existing"
    folder.mkdir()
    assert main(["collect", SMALL, "--static", "5", "--out", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["collect", SMALL, "--static", "5", "--out", str(blocker / "d")]) == 2
    assert "is a file" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["collect", SMALL, "--static", "5", "--out", str(locked / "d")]) == 2
        assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize(
    "section, key, value, words",
    [
        ("geometry", "joint_origin_mm", 1e300, "joint_origin_mm: must be <= 100"),
        ("geometry", "joint_zero_deg", 90.0, "joint_zero_deg: must be <= 45"),
        ("geometry", "link_scale", 3.0, "link_scale: must be <= 0.5"),
        ("tool", "assumed", [0, 0, 150], r"assumed: each coordinate must be within \+-2 m"),
        ("tool", "error_mm", 1e4, "error_mm: must be <= 500"),
        ("payload", "mass", 1e30, "payload.mass: must be <= 100"),
        ("encoders", "stiffness", 1e-9, r"stiffness: must be null, a number in \[100, 1e\+09\]"),
        ("tracker", "rate_hz", 1e9, "rate_hz: must be <= 10000"),
        ("tracker", "dropout_windows", [[0, 1e9]], r"dropout_windows\[0\]: .* <= 3600"),
        ("geometry", "joint_origin_mm", "1e300", "with an exponent but no dot as text"),
    ],
)
def test_spec_values_have_upper_bounds(section, key, value, words):
    with pytest.raises(ConfigError, match=words):
        load_spec({"arm": "planar2", section: {key: value}})


def test_an_unquoted_exponent_in_a_yaml_spec_gets_the_hint(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("arm: planar2\ngeometry:\n  joint_origin_mm: 1e300\n")
    with pytest.raises(ConfigError, match=r"got '1e300' \(text: YAML reads"):
        load_spec(path)
