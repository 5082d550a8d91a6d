"""Shared fixtures. The kernel cache lives in a per-session temp folder, so tests
never read a developer's cache and each arm is generated once per session."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")  # read when mujoco is imported: headless rendering
_CACHE = tempfile.mkdtemp(prefix="armjac-test-cache-")
os.environ["ARMJAC_CACHE_DIR"] = _CACHE


@pytest.fixture(scope="session")
def cache_dir() -> str:
    return _CACHE


@pytest.fixture(scope="session")
def arms():
    """Lazily loaded bundled arms, shared by the whole session."""
    from armjac import load_arm

    loaded: dict = {}

    def get(name: str):
        if name not in loaded:
            loaded[name] = load_arm(name)
        return loaded[name]

    return get


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


ENGINE_MODULES = {"pybullet": "pybullet", "mujoco": "mujoco"}


@pytest.fixture(params=list(ENGINE_MODULES))
def engine(request) -> str:
    """Each simulator engine in turn (skipped when its package is not installed)."""
    pytest.importorskip(ENGINE_MODULES[request.param])
    return request.param
