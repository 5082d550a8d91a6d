"""Learned models for tests: untrained ones built in microseconds, and a tiny training config."""

from __future__ import annotations

import numpy as np

from armjac.learned import resolve_config
from armjac.learned.model import LearnedModel
from armjac.learned.network import init_params

# a planar2 training run of about a second
TINY_TRAIN = {
    "arm": "planar2",
    "data": {"n_train": 200, "n_val": 20, "n_test": 20},
    "network": {"ensembles": [{"n_neurons": 16}, {"n_neurons": 16, "dimensions": 4}]},
    "training": {"epochs": 1, "batch_size": 50, "progress": False},
}


def untrained_model(
    ensembles=({"n_neurons": 8},), arm: str = "planar2", dof: int = 2, seed: int = 0
) -> LearnedModel:
    """A model with random weights whose config matches them (so it saves and loads)."""
    ensembles = [dict(e) for e in ensembles]
    cfg, _ = resolve_config({"arm": arm, "network": {"ensembles": ensembles}})
    n_in = 2 * dof  # the default sincos encoding
    sizes = [(e["n_neurons"], n_in if i == 0 else e["dimensions"]) for i, e in
             enumerate(cfg["network"]["ensembles"])]  # fmt: skip
    return LearnedModel(
        init_params(sizes, 3, 1.0, seed),
        config=cfg,
        arm_name=arm,
        joint_names=[f"j{i + 1}" for i in range(dof)],
        home=np.linspace(0.1, 0.2, dof),
        bounds=(np.full(dof, -3.0), np.full(dof, 3.0)),
        ee_link="ee",
    )
