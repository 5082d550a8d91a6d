"""``armjac train`` end to end on a tiny config, through both training routes."""

from __future__ import annotations

import pytest

pytest.importorskip("nengo_dl")


@pytest.mark.parametrize("method", ["loop", "fit"])
def test_train_cli_writes_a_loadable_model(tmp_path, capsys, method):
    from armjac.cli import main
    from armjac.learned import load

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        "arm: planar2\n"
        "data: {n_train: 400, n_val: 50, n_test: 100}\n"
        "network: {ensembles: [{n_neurons: 16}, {n_neurons: 16, dimensions: 4}]}\n"
        f"training: {{method: {method}, epochs: 2, batch_size: 50}}\n"
    )
    out = tmp_path / "model"
    assert main(["train", str(cfg), "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "FK RMSE [mm]" in text and "J err median [%]" in text
    assert (out / "model.json").is_file()
    model = load(out)
    assert model.jacobian(model.home).shape == (3, 2)
