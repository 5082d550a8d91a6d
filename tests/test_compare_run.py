"""run_compare releases every model it loaded, also when a phase fails."""

from __future__ import annotations

import pytest

import armjac.compare.run as run


class FakeModel:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


def test_models_are_closed_when_a_phase_raises(tmp_path, monkeypatch):
    models = {"a": FakeModel(), "b": FakeModel()}
    monkeypatch.setattr(
        run,
        "get_models",
        lambda *a, **k: (
            {n: {"model": m, "info": {"name": n}} for n, m in models.items()}
            | {"broken": {"model": None, "info": {"name": "broken", "status": "failed"}}}
        ),
    )

    def boom(*args, **kwargs):
        raise RuntimeError("accuracy phase failed")

    monkeypatch.setattr(run.accuracy, "sample_configurations", boom)
    with pytest.raises(RuntimeError, match="accuracy phase failed"):
        run.run_compare("demo", tmp_path / "out", progress=False, log=None)
    assert [m.closed for m in models.values()] == [1, 1]
