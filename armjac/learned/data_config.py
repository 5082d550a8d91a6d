"""The config of :func:`armjac.learned.train_from_data` and of the models it saves.

Kept apart from the training code so that reading a saved model (``io``) needs only
this module: no learned-model module imports another one back.
"""

from __future__ import annotations

import copy
import os

from armjac import configs
from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.learned.config import check_ensembles

KIND = "armjac.learned.DataModel"
BASES = ("calibrated", "nominal")
RESIDUALS = ("task", "joint")
# the models the selection chooses among (base: calibrated), simplest first: ties go to
# the simpler one
CANDIDATES = ("geometric", "joint_errors", "geometric+residual", "joint",
              "joint_errors+residual")  # fmt: skip

DEFAULTS: dict = {
    "base": "calibrated",
    # base: calibrated: the candidates compared on held-out blocks; the best is returned
    # (one name: no selection). "joint" is the joint-space residual on the better
    # calibration (armjac.learned.joint_residual)
    "select": list(CANDIDATES),
    # base: nominal: "task" adds the network to the tip, "joint" corrects the readings.
    # A saved model records here what it is.
    "residual": "task",
    # false drops the joint-error candidates (eccentricity and gravity deflection,
    # armjac.calibration.joint_errors)
    "joint_errors": True,
    "point": None,
    "seed": 0,
    "validation": 0.2,
    # "blocks": hold out whole runs of consecutive samples (data recorded along a path are
    # correlated: random samples would validate on the training paths themselves)
    "split": "blocks",
    "block": 100,
    "encoding": "sincos",
    "network": {
        "ensembles": [{"n_neurons": 256}, {"n_neurons": 256, "dimensions": 32}],
        "gain": 1.0,
        "seed": 0,
    },
    "training": {
        "epochs": 400,
        "batch_size": 64,
        "learning_rate": 2e-3,
        "final_learning_rate": 1e-5,
        "patience": 100,
        "val_every": 5,
        "progress": True,
    },
}


def data_config(spec=None, where: str = "<config>") -> dict:
    """The validated config: ``None`` (defaults), a mapping or a YAML path."""
    if spec is None:
        data = {}
    elif isinstance(spec, dict):
        data = spec
    else:
        where = os.fspath(spec)
        data = configs.read_mapping(where, "learning-from-data config")
    top = Reader(data, where)
    top.check_keys(set(DEFAULTS))
    cfg = copy.deepcopy(DEFAULTS)
    for key, value in data.items():
        if isinstance(DEFAULTS[key], dict):
            sub = top.mapping(key)
            sub.check_keys(set(DEFAULTS[key]))
            cfg[key].update(copy.deepcopy(sub.data))
        else:
            cfg[key] = copy.deepcopy(value)
    top = Reader(cfg, where)
    top.choice("base", BASES, ...)
    top.choice("residual", RESIDUALS, ...)
    if not top.choices("select", CANDIDATES, ...):
        raise top.fail("select", f"must name at least one of {', '.join(CANDIDATES)}")
    top.flag("joint_errors", True)
    top.vector("point", 3)
    top.integer("seed", ..., minimum=0, maximum=configs.MAX_SEED)
    top.number("validation", ..., minimum=0.01, below=0.9)
    top.choice("split", ("blocks", "random"), ...)
    top.integer("block", ..., minimum=1)
    top.choice("encoding", ("sincos", "scaled"), ...)
    net = top.mapping("network")
    net.number("gain", ..., positive=True)
    net.integer("seed", ..., minimum=0, maximum=configs.MAX_SEED)
    check_ensembles(net)
    t = top.mapping("training")
    for k in ("epochs", "batch_size", "patience", "val_every"):
        t.integer(k, ..., minimum=1)
    lr = t.number("learning_rate", ..., positive=True)
    if t.number("final_learning_rate", ..., minimum=0.0) > lr:
        raise t.fail("final_learning_rate", f"must be <= training.learning_rate ({lr!r})")
    t.flag("progress", True)
    return cfg


def model_config(raw: dict, where: str = "<config>") -> dict:
    """The config a data model carries: its ``from_data`` config, validated, and the keys
    the model and its files read (encoding, outputs, network, nominal)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("from_data"), dict):
        raise ConfigError(f"{where}: from_data: must be a mapping (a learning-from-data config)")
    cfg = data_config(raw["from_data"], where)
    outputs = "joints" if cfg["residual"] == "joint" else "position"
    return {"encoding": cfg["encoding"], "outputs": outputs, "network": cfg["network"],
            "nominal": None, "from_data": cfg}  # fmt: skip
