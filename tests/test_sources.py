"""armjac.sources: one resolver for every kind of Jacobian source."""

from __future__ import annotations

import numpy as np
import pytest

from armjac import sources
from armjac.errors import ConfigError, InputError


class _Scaled:
    """A stand-in 'calibrated arm': the analytic arm with J scaled, closable."""

    def __init__(self, arm, factor):
        self.arm, self.factor, self.dof, self.closed = arm, float(factor), arm.dof, False

    def fk(self, q, link=None):
        return self.arm.fk(q, link)

    def jacobian(self, q, link=None, point=None):
        return self.factor * self.arm.jacobian(q, link, point)

    def close(self):
        self.closed = True


def test_a_new_kind_is_one_register_call(arms, monkeypatch):
    arm = arms("planar2")
    monkeypatch.setattr(sources, "_FACTORIES", dict(sources._FACTORIES))
    sources.register_source("scaled", lambda arm, arg: _Scaled(arm, arg or 2))
    assert "scaled" in sources.source_kinds()
    with sources.resolve_source("scaled:3", arm) as r:
        np.testing.assert_allclose(r.source.jacobian(arm.home), 3 * arm.jacobian(arm.home))
        assert r.dynamics is arm  # no dynamics of its own
        assert r.label == "scaled:3"
    assert r.source.closed  # created by the resolver, so closed by it


def test_analytic_is_the_arm_and_is_not_closed(arms):
    arm = arms("planar2")
    r = sources.resolve_source(None, arm)
    assert r.source is arm and r.dynamics is None and not r.owned


def test_an_object_stays_the_callers(arms):
    arm = arms("planar2")
    obj = _Scaled(arm, 1)
    with sources.resolve_source(obj, arm) as r:
        assert r.source is obj and r.label == "_Scaled"
    assert not obj.closed


def test_pybullet_source_is_closed(arms):
    pytest.importorskip("pybullet")
    arm = arms("planar2")
    with sources.resolve_source("pybullet", arm) as r:
        np.testing.assert_allclose(r.source.jacobian(arm.home), arm.jacobian(arm.home), atol=1e-9)
    with pytest.raises(Exception, match="closed"):
        r.source.jacobian(arm.home)


def test_unknown_and_mismatched_sources(arms, tmp_path):
    arm = arms("planar2")
    with pytest.raises(ConfigError, match=r"unknown Jacobian source 'nope'.*'analytic'"):
        sources.resolve_source("nope", arm)
    with pytest.raises(ConfigError, match="unknown Jacobian source"):
        sources.resolve_source(tmp_path / "missing", arm)
    wrong = _Scaled(arms("planar3"), 1)
    with pytest.raises(InputError, match="dof=3"):
        sources.resolve_source(wrong, arm)


def test_register_refuses_bad_names():
    with pytest.raises(ValueError):
        sources.register_source("a:b", lambda arm, arg: arm)
    with pytest.raises(TypeError):
        sources.register_source("x", 3)
