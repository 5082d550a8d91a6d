"""train_from_data's model selection on held-out blocks, and the faults of issue 18 in the
learning-from-data paths (classes 7, 8, 18, 19 and the training-range warning)."""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from armjac.errors import InputError, ModelFileError
from armjac.learned import load, train_from_data
from armjac.mismatch import load_spec

TINY = {
    "network": {"ensembles": [{"n_neurons": 48}]},
    "training": {"epochs": 60, "batch_size": 32, "val_every": 3, "patience": 30,
                 "progress": False},
}  # fmt: skip


def _real(**encoders):
    spec = {"arm": "planar2", "geometry": {"joint_origin_mm": 3.0, "joint_zero_deg": 0.5},
            "tool": {"assumed": [0.05, 0.0, 0.0], "error_mm": 2.0},
            "encoders": {"noise_deg": 0.0, **encoders}, "tracker": {"noise_mm": 0.5}}  # fmt: skip
    return load_spec(spec).realize(3)


def _path(arm, n: int, rng) -> np.ndarray:
    """50 Hz samples along minimum-jerk moves between random via points (1 rad/s)."""
    out, prev = [], arm.home.copy()
    while sum(len(o) for o in out) < n:
        nxt = arm.random_q(None, rng, 0.1)
        s = np.arange(0, max(0.5, 1.875 * np.abs(nxt - prev).max()), 0.02)
        s = s / s[-1] if s[-1] > 0 else s
        out.append(prev + np.outer(s**3 * (10 - 15 * s + 6 * s * s), nxt - prev))
        prev = nxt
    return np.concatenate(out)[:n]


def _measure(real, q_true, rng):
    noise = rng.normal(0, 5e-4, (len(q_true), 3))
    return real.encoders.read(q_true, rng), real.tip(q_true) + noise


@pytest.fixture(scope="module")
def geometric_paths():
    real = _real()
    rng = np.random.default_rng(0)
    return real, *_measure(real, _path(real.nominal, 600, rng), rng)


def test_geometric_errors_on_paths_select_the_geometric_calibration(geometric_paths):
    real, q, x = geometric_paths
    quick = {**TINY, "block": 50, "training": {**TINY["training"], "epochs": 24, "patience": 12}}
    model = train_from_data(q, x, quick, nominal=real.nominal, point=real.assumed_point,
                            log=None)  # fmt: skip
    m = model.metrics
    assert m["model"] == "geometric", m["why"]
    assert set(m["selection"]) == {"geometric", "joint_errors", "geometric+residual", "joint",
                                   "joint_errors+residual"}  # fmt: skip
    assert all("val_rmse_mm" in v for v in m["selection"].values())
    assert m["why"].startswith("geometric:")
    # a calibration comes back as a model whose network adds exactly nothing
    qh = real.nominal.random_q(50, 5, 0.1)
    np.testing.assert_array_equal(model.fk(qh), model.nominal.position(qh))
    err = np.linalg.norm(model.fk(real.encoders.read(qh)) - real.tip(qh), axis=1)
    assert np.median(err) < 0.3e-3  # 600 samples, 0.5 mm noise


def test_an_error_no_calibration_models_selects_a_network():
    """A 2nd-harmonic encoder error of 0.3 deg: neither calibration can model it; a
    residual network can, and the selection takes one (and it is better held out)."""
    real = _real()
    rng = np.random.default_rng(1)
    q_true = real.nominal.random_q(600, rng, 0.1)
    h = np.deg2rad(0.3)
    q_read = q_true - real.truth["joint_zero_offset"] + h * np.sin(2 * q_true + 0.4)
    x = real.tip(q_true) + rng.normal(0, 5e-4, (600, 3))
    cfg = {**TINY, "training": {**TINY["training"], "epochs": 150, "patience": 60}}
    model = train_from_data(q_read, x, cfg, nominal=real.nominal, point=real.assumed_point,
                            log=None)  # fmt: skip
    assert model.metrics["model"] in ("geometric+residual", "joint", "joint_errors+residual")
    qt = real.nominal.random_q(300, np.random.default_rng(7), 0.1)
    qr = qt - real.truth["joint_zero_offset"] + h * np.sin(2 * qt + 0.4)
    geo = train_from_data(q_read, x, {**cfg, "select": ["geometric"]}, nominal=real.nominal,
                          point=real.assumed_point, log=None)  # fmt: skip
    err = {k: np.median(np.linalg.norm(m.fk(qr) - real.tip(qt), axis=1))
           for k, m in (("chosen", model), ("geometric", geo))}  # fmt: skip
    assert err["chosen"] < 0.7 * err["geometric"]


@pytest.fixture(scope="module")
def saved(geometric_paths, tmp_path_factory):
    real, q, x = geometric_paths
    model = train_from_data(q, x, {**TINY, "select": ["geometric+residual"]},
                            nominal=real.nominal, point=real.assumed_point, log=None)  # fmt: skip
    folder = tmp_path_factory.mktemp("m") / "m"
    model.save(folder)
    return model, folder


def _edited(folder: Path, tmp_path: Path, edit) -> Path:
    import shutil

    out = tmp_path / "edited"
    shutil.copytree(folder, out)
    meta = json.loads((out / "model.json").read_text())
    edit(meta, out)
    (out / "model.json").write_text(json.dumps(meta))
    return out


def _set(path, value):
    def edit(meta, _):
        node = meta
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return edit


def _urdf_edit(meta, folder):
    """The last joint's origin moved by 1 cm: a link length edited."""
    text = (folder / "nominal.urdf").read_text()
    at = text.index('xyz="', text.rindex("<joint"))
    end = text.index('"', at + 5)
    first, *rest = text[at + 5 : end].split()
    moved = " ".join([repr(float(first) + 0.01), *rest])
    (folder / "nominal.urdf").write_text(text[: at + 5] + moved + text[end:])


@pytest.mark.parametrize("edit", [
    _set(["nominal_record"], KeyError),
    _set(["nominal_record"], None),
    _set(["nominal_record", "point"], lambda p: [p[0] + 1e-3, *p[1:]]),
    _set(["nominal_record", "calibration", "theta"], lambda t: [t[0] + 1e-4, *t[1:]]),
    _set(["nominal_record", "check"], KeyError),
    _urdf_edit,
], ids=["record deleted", "record null", "tool point", "parameters", "seal deleted", "urdf"])
def test_a_saved_nominal_is_sealed(saved, tmp_path, edit):
    """Issue 18, class 8: every edit of the saved nominal is refused on load."""
    model, folder = saved
    back = load(folder)
    q = model.bounds[0] + 0.3 * (model.bounds[1] - model.bounds[0])
    np.testing.assert_array_equal(back.fk(q), model.fk(q))
    with pytest.raises(ModelFileError):
        load(_edited(folder, tmp_path, edit))


def test_nan_models_are_neither_trained_nor_saved(geometric_paths, saved, tmp_path):
    """Issue 18, class 7."""
    real, q, x = geometric_paths
    flat = q.copy()
    flat[:, 1] = 0.3
    with pytest.raises(InputError, match="joint 1 reads 0.3 in every sample"):
        train_from_data(flat, x, {**TINY, "encoding": "scaled"}, log=None)
    bad = x.copy()
    bad[5] = [1e200, 0, 0]
    with pytest.raises(InputError, match=r"x\[5\] is .* an outlier"):
        train_from_data(q, bad, TINY, log=None)
    model = train_from_data(q, bad, {**TINY, "select": ["geometric+residual"]},
                            nominal=real.nominal, point=real.assumed_point, log=None)  # fmt: skip
    assert 5 in model.metrics["outliers"]
    assert all(np.isfinite(a).all() for lay in model.params["layers"] for a in lay)
    assert np.isfinite(model.fk(q[:10])).all()
    broken = saved[0].copy()
    broken.params["out_bias"][0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        broken.save(tmp_path / "nan")
    assert not (tmp_path / "nan").exists()


def test_bad_calls_say_what_is_wrong(geometric_paths):
    """Issue 18, classes 18 and 19."""
    real, q, x = geometric_paths
    with pytest.raises(InputError, match="at least 10 samples; got 3"):
        train_from_data(q[:3], x[:3], TINY, nominal=real.nominal, log=None)
    with pytest.raises(InputError, match="must be an Arm"):
        train_from_data(q, x, TINY, nominal="planar2", log=None)


def test_the_range_warning_is_against_the_joint_box(saved):
    model, _ = saved
    lo, hi = model.nominal.arm.sample_bounds()
    q = 0.5 * (lo + hi)
    q[0] = hi[0] - 1e-6  # past every training sample's joint 0, inside the box
    model.out_of_range = "warn"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fk(q)
    q[0] = hi[0] + 1e-3
    with pytest.warns(UserWarning, match="outside the training range"):
        model.fk(q)


def test_the_learned_package_has_no_import_circle():
    """Every import between armjac.learned modules, lazy ones included, goes one way."""
    root = Path(__file__).resolve().parents[1] / "armjac" / "learned"
    graph = {}
    for path in root.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("armjac.learned."):
                    deps.add(node.module.split(".")[2])
                elif node.module == "armjac.learned":
                    deps.update(a.name for a in node.names if (root / f"{a.name}.py").exists())
        graph[path.stem] = deps - {path.stem}
    graph.pop("__init__")
    state: dict = {}

    def visit(m, trail):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import circle: {' -> '.join([*trail, m])}"
        state[m] = "open"
        for d in graph.get(m, ()):
            visit(d, [*trail, m])
        state[m] = "done"

    for module in graph:
        visit(module, [])
