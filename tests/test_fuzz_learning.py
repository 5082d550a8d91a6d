"""Property-based fuzzing of the learning-from-data paths (hypothesis).

* ``calibrate``: any measurements (shapes, NaN, huge, identical, scaled) and any tuning
  argument either give a calibration whose every number is finite, or InputError.
* ``train_from_data``: any config mapping either validates or raises ConfigError; any
  malformed measurements raise InputError before training.
* A saved model whose nominal record is mutated anywhere either loads with the same
  answers (to the seal's 1e-9 m) or raises ModelFileError.

Examples are capped to keep the module within about 30 s and drawn the same way every
run; ``ARMJAC_FUZZ_EXAMPLES=N`` runs a longer, randomised search.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import armjac  # noqa: E402
from armjac.errors import ConfigError, InputError, ModelFileError  # noqa: E402
from armjac.learned.residual import CHECK_TOL  # noqa: E402

_LONG = os.environ.get("ARMJAC_FUZZ_EXAMPLES")


def _settings(n: int):
    return settings(max_examples=int(_LONG or n), deadline=None, derandomize=not _LONG,
                    database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                          HealthCheck.too_slow])  # fmt: skip


FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.floats(-2.0, 2.0), st.sampled_from([0.0, 1e200, -1e308, 1e-300]))  # fmt: skip
ANY = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), FLOATS, st.text(max_size=5),
                st.lists(st.integers(-3, 3), max_size=3))  # fmt: skip


@pytest.fixture(scope="module")
def planar(arms):
    arm = arms("planar2")
    q = arm.random_q(40, 0, 0.05)
    return arm, q, arm.position(q, point=[0.05, 0.0, 0.0])


def _finite(res) -> bool:
    return all(np.isfinite(np.asarray(v, float)).all() for v in
               (res.point, res.base_frame, res.origin_offsets, res.axis_tilts,
                res.zero_offsets, list(res.parameters.values())))  # fmt: skip


@given(data=st.data())
@_settings(40)
def test_calibrate_measurements(planar, data):
    arm, q0, x0 = planar
    kind = data.draw(st.sampled_from(["random", "mutate", "scale", "repeat"]))
    if kind == "random":
        b = data.draw(st.integers(0, 12))
        q = data.draw(hnp.arrays(np.float64, (b, data.draw(st.integers(1, 3))), elements=FLOATS))
        x = data.draw(hnp.arrays(np.float64, (b, data.draw(st.sampled_from([2, 3, 4]))),
                                 elements=FLOATS))  # fmt: skip
    else:
        q, x = q0.copy(), x0.copy()
        if kind == "mutate":
            for _ in range(data.draw(st.integers(1, 4))):
                arr = data.draw(st.sampled_from([q, x]))
                i, j = data.draw(st.integers(0, len(arr) - 1)), data.draw(st.integers(0, 1))
                arr[i, j] = data.draw(FLOATS)
        elif kind == "scale":
            x = x * data.draw(st.sampled_from([1e-3, 1e3, -1.0, 1e6]))
        else:
            q, x = np.repeat(q[:1], 40, 0), np.repeat(x[:1], 40, 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = armjac.calibrate(arm, q, x, point=[0.05, 0.0, 0.0])
    except InputError:
        return
    assert _finite(res)


KWARGS = ("base_frame", "origin_offsets", "axes", "zero_offsets", "joint_errors", "loss", "huber",
          "rotation_scale", "max_iter", "tol", "rank_tol", "regularization")  # fmt: skip


@given(key=st.sampled_from(KWARGS), value=ANY)
@_settings(40)
def test_calibrate_arguments(planar, key, value):
    arm, q, x = planar
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = armjac.calibrate(arm, q, x, point=[0.05, 0.0, 0.0], **{key: value})
    except InputError as exc:
        assert key in str(exc) or "identify" in str(exc) or "arm" in str(exc)
        return
    assert _finite(res)


@given(key=st.sampled_from(["base", "select", "residual", "joint_errors", "point", "seed",
                            "validation", "split", "block", "encoding", "extra"]),
       value=ANY)  # fmt: skip
@_settings(60)
def test_learning_config(key, value):
    from armjac.learned.from_data import data_config

    try:
        cfg = data_config({key: value})
    except ConfigError:
        return
    assert cfg[key] == value or key == "point"


@given(data=st.data())
@_settings(30)
def test_train_from_data_refuses_malformed_measurements(planar, data):
    from armjac.learned import train_from_data

    arm, q0, x0 = planar
    b = data.draw(st.integers(0, 9))  # too few
    bad = {
        "few": (q0[:b], x0[:b]),
        "nan": (np.where(np.arange(40)[:, None] == 3, np.nan, q0), x0),
        "width": (q0, x0[:, :2]),
        "dof": (q0[:, :1], x0),
    }
    q, x = bad[data.draw(st.sampled_from(sorted(bad)))]
    with pytest.raises(InputError):
        train_from_data(q, x, {"training": {"progress": False}}, nominal=arm, log=None)


@pytest.fixture(scope="module")
def saved_calibration(planar, tmp_path_factory):
    from armjac.learned import train_from_data

    arm, q, x = planar
    model = train_from_data(q, x, {"select": ["geometric"]}, nominal=arm,
                            point=[0.05, 0.0, 0.0], log=None)  # no training: fast  # fmt: skip
    folder = tmp_path_factory.mktemp("fuzz") / "m"
    model.save(folder)
    return model, folder, json.loads((folder / "model.json").read_text())


def _paths(node, trail=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*trail, k))
    elif isinstance(node, list) and node and not isinstance(node[0], list | dict):
        for i in range(len(node)):
            yield (*trail, i)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*trail, i))
    yield trail


@given(data=st.data())
@_settings(40)
def test_mutated_nominal_records_load_identically_or_fail_clearly(saved_calibration, tmp_path,
                                                                   data):  # fmt: skip
    from armjac.learned import load

    model, folder, meta = saved_calibration
    paths = sorted(_paths(meta["nominal_record"]), key=str)
    where = data.draw(st.sampled_from(paths))
    mutated = copy.deepcopy(meta)
    node = mutated["nominal_record"]
    for k in where[:-1]:
        node = node[k]
    value = data.draw(ANY)
    if where:
        node[where[-1]] = value
    else:
        mutated["nominal_record"] = value
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / "m"
    shutil.copytree(folder, out)
    (out / "model.json").write_text(json.dumps(mutated))
    try:
        back = load(out)
    except ModelFileError:
        return
    q = model.bounds[0] + 0.4 * (model.bounds[1] - model.bounds[0])
    np.testing.assert_allclose(back.fk(q), model.fk(q), rtol=0, atol=CHECK_TOL)  # the seal's
