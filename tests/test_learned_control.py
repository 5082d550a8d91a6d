"""A learned model drops into the operational-space controller as its Jacobian source."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.learned.config import resolve_config
from armjac.learned.model import LearnedModel
from armjac.learned.network import init_params


def test_osc_accepts_a_learned_model(arms):
    osc_mod = pytest.importorskip("armjac.control.osc")
    arm = arms("planar2")
    cfg, _ = resolve_config({"arm": "planar2"})
    model = LearnedModel(
        init_params([(16, 4), (16, 4)], 3, 1.0, 0),
        config=cfg,
        arm_name=arm.name,
        joint_names=arm.joint_names,
        home=arm.home,
        bounds=arm.sample_bounds(),
    )
    ctrl = osc_mod.OSC(model, dynamics=arm)
    target = arm.fk(arm.home)[:3, 3] + np.array([0.05, 0.0, 0.02])
    tau = ctrl.generate(arm.home, np.zeros(arm.dof), target)
    assert tau.shape == (arm.dof,) and np.isfinite(tau).all()
