"""A small trained planar2 model: accuracy, backends, finite differences, save/load, CLI."""

from __future__ import annotations

import copy

import numpy as np
import pytest

pytest.importorskip("nengo_dl")

from armjac.learned import LearnedModel, load, relative_error, train  # noqa: E402
from armjac.learned.closed_form import ClosedFormNet  # noqa: E402


@pytest.fixture(scope="module")
def planar(arms):
    arm = arms("planar2")
    model = train(arm, "planar2", progress=False, log=None)
    yield arm, model
    model.close()


def test_small_planar2_model_learns_jacobian(planar):
    arm, model = planar
    q = arm.random_q(2000, np.random.default_rng(99))  # fresh held-out draws
    rel = relative_error(model.jacobian(q), arm.jacobian(q)[:, :3, :])
    assert np.median(rel) <= 0.01
    err = np.linalg.norm(model.fk(q) - arm.fk(q)[:, :3, 3], axis=1)
    assert np.sqrt(np.mean(err**2)) < 0.005  # m


def test_shapes_and_protocol(planar):
    from armjac.protocols import KinematicSource, position_of

    arm, model = planar
    assert isinstance(model, KinematicSource)
    assert model.fk(arm.home).shape == (3,)
    assert model.fk(np.stack([arm.home] * 4)).shape == (4, 3)
    assert model.jacobian(arm.home).shape == (3, 2)
    assert model.jacobian(np.stack([arm.home] * 4)).shape == (4, 3, 2)
    assert position_of(model.fk(arm.home)).shape == (3,)
    assert model.dof == arm.dof and model.joint_names == arm.joint_names
    np.testing.assert_array_equal(model.home, arm.home)
    assert "planar2" in repr(model)


def test_backends_agree(planar, rng):
    arm, model = planar
    q = arm.random_q(70, rng)
    j_np = model.jacobian(q, backend="numpy")
    j_tf = model.jacobian(q, backend="tf")
    rel = np.linalg.norm(j_np - j_tf, axis=(1, 2)) / np.linalg.norm(j_np, axis=(1, 2))
    assert rel.max() <= 1e-5
    # single-q fast path (float32) equals the batched path (float64)
    for qi, ji in zip(q[:5], j_np[:5], strict=True):
        assert np.linalg.norm(model.jacobian(qi) - ji) <= 1e-5 * np.linalg.norm(ji)


def test_jacobian_matches_finite_differences_of_fk(planar, rng):
    arm, model = planar
    q = arm.random_q(None, rng)
    h = 1e-6
    fd = np.stack(
        [(model.fk(q + h * e) - model.fk(q - h * e)) / (2 * h) for e in np.eye(arm.dof)], axis=1
    )
    np.testing.assert_allclose(model.jacobian(q[None])[0], fd, atol=1e-7)  # float64 path
    np.testing.assert_allclose(model.jacobian(q), fd, atol=1e-5 * np.abs(fd).max())


def test_weight_jacobian_matches_finite_differences(planar, rng):
    arm, model = planar
    q = arm.random_q(None, rng)
    wj = model.weight_jacobian(q)
    assert {"ensemble0.scaled_encoders", "ensemble1.bias", "ensemble1->output.decoders"} <= set(wj)
    layers = model.params["layers"]
    where = {  # label -> (layer index, position in (E, b, D))
        "ensemble0.scaled_encoders": (0, 0),
        "ensemble0.bias": (0, 1),
        "ensemble0->ensemble1.decoders": (0, 2),
        "ensemble1.scaled_encoders": (1, 0),
        "ensemble1->output.decoders": (1, 2),
    }
    h = 1e-5
    for label, (k, slot) in where.items():
        base = layers[k][slot].astype(np.float64)
        assert wj[label].shape == (3, *base.shape)
        for _ in range(3):
            idx = tuple(rng.integers(0, s) for s in base.shape)
            outs = []
            for sign in (1, -1):
                lay = [list(map(np.float64, lyr)) for lyr in copy.deepcopy(layers)]
                pert = base.copy()
                pert[idx] += sign * h
                lay[k][slot] = pert
                cf = ClosedFormNet(lay, model.params["out_bias"], "sincos", *model.bounds)
                outs.append(cf.forward1(q))
            fd = (outs[0] - outs[1]) / (2 * h)
            got = wj[label][(slice(None), *idx)]
            np.testing.assert_allclose(got, fd, atol=2e-5 + 1e-4 * np.abs(fd).max())


def test_save_load_round_trip(planar, tmp_path, rng):
    arm, model = planar
    model.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert isinstance(back, LearnedModel)
    for a, b in zip(model.params["layers"], back.params["layers"], strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    q = arm.random_q(20, rng)
    np.testing.assert_array_equal(model.fk(q), back.fk(q))
    np.testing.assert_array_equal(model.jacobian(q), back.jacobian(q))
    assert back.config == model.config and back.metrics == model.metrics
    assert repr(back) == repr(model)


def test_cli_jacobian_on_model_folder(planar, tmp_path, capsys):
    from armjac.cli import main

    arm, model = planar
    model.save(tmp_path / "m")
    assert main(["jacobian", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "LearnedModel" in out and "J (3x2)" in out


def test_spiking_variant_runs(planar):
    arm, model = planar
    out = model.run_spiking(arm.home, duration=0.2)
    assert out.shape[1] == 3 and np.isfinite(out).all()
    # the filtered spiking output approaches the rate network's output
    rate = model.fk(arm.home)
    assert np.linalg.norm(out[-50:].mean(axis=0) - rate) < 0.25 * np.linalg.norm(rate) + 0.05
