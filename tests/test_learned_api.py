"""The learned model's input conversion, lifecycle and module layout."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from learned_factory import untrained_model

import armjac.learned as learned_pkg
from armjac import load_arm
from armjac.errors import InputError
from armjac.learned.model import LearnedModel


@pytest.fixture(scope="module")
def model():
    return untrained_model()


BAD_Q = {
    "complex": np.array([0.1 + 1j, 0.2]),
    "bool": np.array([True, False]),
    "numeric strings": ["0.1", "0.2"],
    "objects": [0.1, None],
    "nan": [0.1, float("nan")],
    "inf": [[0.1, 0.2], [float("inf"), 0.0]],
    "wrong length": [0.1, 0.2, 0.3],
    "3-D": np.zeros((2, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(BAD_Q))
def test_learned_model_and_arm_refuse_the_same_q(model, name):
    q = BAD_Q[name]
    arm = load_arm("planar2")
    for obj in (model, arm):
        with pytest.raises(InputError, match="q"):
            obj.jacobian(q)
        with pytest.raises(InputError, match="q"):
            obj.fk(q)


def test_any_layout_and_dtype_gives_the_float64_answer(model):
    q = np.random.default_rng(0).uniform(-2, 2, (6, 2))
    ref = model.jacobian(q)
    big = np.zeros((6, 4))
    big[:, ::2] = q
    for variant in (q.tolist(), np.asfortranarray(q), big[:, ::2]):
        np.testing.assert_allclose(model.jacobian(variant), ref, rtol=0, atol=0)
    strided = np.zeros(4)
    strided[::2] = q[0]
    np.testing.assert_array_equal(model.jacobian(strided[::2]), model.jacobian(q[0]))
    np.testing.assert_array_equal(model.fk([1, 0]), model.fk(np.array([1.0, 0.0])))


def test_context_manager_closes(model, monkeypatch):
    closed = []
    monkeypatch.setattr(LearnedModel, "close", lambda self: closed.append(self))
    with model as m:
        assert m is model
        m.jacobian([0.1, 0.2])
    assert closed == [model]


def test_close_is_idempotent_and_model_stays_usable(model):
    model.close()
    model.close()
    assert model.jacobian([0.1, 0.2]).shape == (3, 2)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_io_does_not_import_the_model():
    """The file layout (io) is below the model: no import cycle, not even a lazy one."""
    folder = Path(learned_pkg.__file__).parent
    assert not {m for m in _imports(folder / "io.py") if m.startswith("armjac.learned.model")}
    assert "armjac.learned.io" in _imports(folder / "model.py")
