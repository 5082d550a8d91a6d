"""Learning an arm's tool-tip kinematics from measured data.

``train_from_data(q, x, config=None, nominal=None, point=None)`` takes joint
readings ``q`` (B, N) and measured tip positions ``x`` (B, 3) -- no arm as
ground truth -- and returns a :class:`DataModel` (a
:class:`~armjac.learned.model.LearnedModel`): ``fk(q)`` the tip (3,)/(B, 3),
``jacobian(q)`` its (3, N)/(B, 3, N) Jacobian.

* Without ``nominal`` the network learns the whole map (its output bias starts
  at the data's mean).
* With ``nominal`` (an Arm) and the assumed tool ``point`` it learns the
  residual ``x - nominal tip``. The output decoders start at exactly zero, so
  the model starts at exactly the nominal, and training can only move it where
  the data says; its Jacobian is the nominal's plus the network's.
* ``base: calibrated`` first calibrates the nominal on the training split
  (:func:`armjac.calibrate`, by default with its joint-error model of encoder
  eccentricity and gravity deflection, ``joint_errors``) and learns the residual
  on top of the calibrated arm: what the parametric model cannot, by the network.
* ``residual: joint`` learns a joint correction instead, x = base(q + net(q))
  (:mod:`armjac.learned.joint_residual`).

A validation split of the data (``validation``, a fraction) drives early
stopping: the weights with the lowest validation error are kept. Held-out
metrics are for the caller to compute on data the model never saw.

Config (a mapping or YAML path; every key optional)::

    base: calibrated          # calibrated | nominal (only with a nominal arm)
    residual: task            # task: x = base(q) + net(q); joint: x = base(q + net(q))
    joint_errors: true        # also try the eccentricity + deflection joint-error model
                              # (kept when it predicts the validation split better)
    point: null               # tool point on the nominal's EE link (the argument wins)
    seed: 0
    validation: 0.2           # fraction held out for early stopping
    split: random             # or blocks of `block` consecutive samples
    block: 50
    encoding: sincos
    network: {ensembles: [{n_neurons: 256}, {n_neurons: 256, dimensions: 32}], gain: 1.0, seed: 0}
    training: {epochs: 400, batch_size: 64, learning_rate: 0.002,
               final_learning_rate: 1.0e-5, patience: 100, val_every: 5, progress: true}
"""

from __future__ import annotations

import copy
import os
import time

import numpy as np

from armjac import configs
from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.learned.config import check_ensembles
from armjac.learned.model import LearnedModel
from armjac.learned.residual import TipNominal
from armjac.validation import as_measurements

KIND = "armjac.learned.DataModel"
BASES = ("calibrated", "nominal")
RESIDUALS = ("task", "joint")

DEFAULTS: dict = {
    "base": "calibrated",
    # "task": the network adds to the tip; "joint": it corrects the joint readings
    # (armjac.learned.joint_residual)
    "residual": "task",
    # the calibrated base also identifies eccentricity and gravity deflection
    # (armjac.calibration.joint_errors)
    "joint_errors": True,
    "point": None,
    "seed": 0,
    "validation": 0.2,
    # "blocks": hold out whole runs of consecutive samples (data recorded along a path are
    # correlated, so random samples would validate on the path itself); "random": samples
    "split": "random",
    "block": 50,
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
    top.flag("joint_errors", True)
    top.vector("point", 3)
    top.integer("seed", ..., minimum=0)
    top.number("validation", ..., minimum=0.01, below=0.9)
    top.choice("split", ("blocks", "random"), ...)
    top.integer("block", ..., minimum=1)
    top.choice("encoding", ("sincos", "scaled"), ...)
    net = top.mapping("network")
    net.number("gain", ..., positive=True)
    net.integer("seed", ..., minimum=0)
    check_ensembles(net)
    t = top.mapping("training")
    for k in ("epochs", "batch_size", "patience", "val_every"):
        t.integer(k, ..., minimum=1)
    lr = t.number("learning_rate", ..., positive=True)
    if t.number("final_learning_rate", ..., minimum=0.0) > lr:
        raise t.fail("final_learning_rate", f"must be <= training.learning_rate ({lr!r})")
    t.flag("progress", True)
    return cfg


class DataModel(LearnedModel):
    """A model learned from measured data (see the module docstring).

    ``nominal`` is a :class:`~armjac.learned.residual.TipNominal` (or None),
    saved with the model and rebuilt exactly on load; ``calibration`` holds the
    summary of the calibration a ``base: calibrated`` model was built on.
    """

    KIND = KIND

    def nominal_record(self, folder) -> dict | None:
        """Write the nominal's URDF into ``folder``; the JSON record for model.json."""
        if self.nominal is None:
            return None
        self.nominal.write(folder)
        return self.nominal.record()

    def __repr__(self) -> str:
        base = "" if self.nominal is None else f", residual on {self.nominal.arm.name}"
        return f"DataModel(dof={self.dof}, {self.n_neurons} tanh neurons{base})"


def model_config(raw: dict, where: str = "<config>") -> dict:
    """The config a :class:`DataModel` carries: its ``from_data`` config, validated, and
    the keys the model and its files read (encoding, outputs, network, nominal)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("from_data"), dict):
        raise ConfigError(f"{where}: from_data: must be a mapping (a learning-from-data config)")
    cfg = data_config(raw["from_data"], where)
    outputs = "joints" if cfg["residual"] == "joint" else "position"
    return {"encoding": cfg["encoding"], "outputs": outputs, "network": cfg["network"],
            "nominal": None, "from_data": cfg}  # fmt: skip


def train_from_data(q, x, config=None, nominal=None, point=None, *, progress=None, log=print):
    """Learn the tip position (and so its Jacobian) from measured data.

    Parameters
    ----------
    q : (B, N) array
        Joint readings.
    x : (B, 3) array
        Measured tool-tip positions, m.
    config : mapping or YAML path, optional
        See the module docstring; ``None``: the defaults.
    nominal : Arm, optional
        Learn the residual on top of this arm's tool point.
    point : 3 floats, optional
        The assumed tool point on the nominal's EE link (default: the config's
        ``point``, else the EE origin).
    progress : bool, optional
        Progress bar (default: the config's ``training.progress``).
    log : callable or None
        Receives one-line status messages.

    Returns
    -------
    DataModel
        ``metrics`` holds the validation error curve, the best epoch, the
        training time and, for ``base: calibrated``, the calibration summary.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log = log or (lambda *_: None)
    cfg = data_config(config)
    q, x = as_measurements(q, x, None if nominal is None else nominal.dof, minimum=2)
    point = cfg["point"] if point is None else point
    if point is not None and nominal is None:
        raise ConfigError("a tool point needs a nominal arm; pass nominal= or drop point")
    joint = cfg["residual"] == "joint"
    if joint and nominal is None:
        raise ConfigError("residual: joint needs a nominal arm to correct; pass nominal=")
    va, tr = _split(len(q), cfg)
    metrics: dict = {"n_train": int(tr.size), "n_val": int(va.size)}
    base = None
    if nominal is not None:
        base = TipNominal(nominal, point)
        if cfg["base"] == "calibrated":
            from armjac.calibration import calibrate

            cal = calibrate(nominal, q[tr], x[tr], point=base.point)
            if cfg["joint_errors"]:
                # the joint-error model has 4 more parameters per joint: keep it only
                # where it predicts the validation split better (few samples overfit it)
                cal_je = calibrate(nominal, q[tr], x[tr], point=base.point, joint_errors=True)
                errs = [np.sum((c.predict(q[va]) - x[va]) ** 2) for c in (cal, cal_je)]
                metrics["joint_errors_kept"] = bool(errs[1] < errs[0])
                cal = cal_je if errs[1] < errs[0] else cal
            base = TipNominal(cal.arm, cal.point)
            metrics["calibration"] = cal.summary()
    y = x if base is None else x - base.position(q)
    lift = base.jacobian(q)[:, :3, :] if joint else None  # tip change per joint correction
    params, seconds, curve = _fit(q, y, tr, va, cfg, base is None, nominal, progress, lift)
    metrics.update(train_seconds=round(seconds, 2), val_curve_mm=curve)
    metrics["best_val_mm"] = min(c[1] for c in curve)
    lo, hi = (q.min(axis=0), q.max(axis=0)) if nominal is None else nominal.sample_bounds()
    if joint:
        from armjac.learned.joint_residual import JointResidualModel as cls
    else:
        cls = DataModel
    model = cls(
        params,
        config=model_config({"from_data": cfg}),
        arm_name=nominal.name if nominal is not None else "measured",
        joint_names=nominal.joint_names
        if nominal is not None
        else [f"q{i}" for i in range(q.shape[1])],
        home=nominal.home if nominal is not None else q.mean(axis=0),
        bounds=(lo, hi),
        nominal=base,
        metrics=metrics,
        ee_link=nominal.ee_link if nominal is not None else None,
        train_range=(q.min(axis=0), q.max(axis=0)),
    )
    log(
        f"trained from {len(q)} samples in {seconds:.1f} s: best validation RMSE "
        f"{metrics['best_val_mm']:.3f} mm"
    )
    return model


def _split(n: int, cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """Validation and training indices: random blocks of ``block`` consecutive samples
    (``split: blocks``, samples in recording order) or random samples."""
    rng = np.random.default_rng(cfg["seed"])
    size = cfg["block"] if cfg["split"] == "blocks" else 1
    starts = np.arange(0, n, size)
    n_val = max(1, int(round(cfg["validation"] * starts.size)))
    held = np.zeros(n, bool)
    for s in rng.permutation(starts)[:n_val]:
        held[s : s + size] = True
    if held.all():
        held[rng.integers(n)] = False
    return np.flatnonzero(held), np.flatnonzero(~held)


def _fit(q, y, tr, va, cfg, pure: bool, nominal, progress, lift=None):
    """Train the network on ``y`` (B, 3); returns (params, seconds, val curve).

    With ``lift`` (B, 3, N) the network has N outputs ``u`` and fits ``lift @ u`` to
    ``y`` (a joint-space residual, linearised at the readings)."""
    import tensorflow as tf

    from armjac.learned import encoding
    from armjac.learned.network import init_params
    from armjac.learned.tfnet import TFNet
    from armjac.progress import progress_bar

    tcfg, ncfg = cfg["training"], cfg["network"]
    tf.random.set_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"] + 1)
    n_in = encoding.encoded_size(cfg["encoding"], q.shape[1])
    sizes = [
        (e["n_neurons"], n_in if i == 0 else e["dimensions"])
        for i, e in enumerate(ncfg["ensembles"])
    ]
    n_out = 3 if lift is None else q.shape[1]
    params = init_params(sizes, n_out, ncfg["gain"], ncfg["seed"])
    # The network fits unit-scale targets; the scale goes into its output on export.
    mean = y[tr].mean(axis=0) if pure else np.zeros(3)
    scale = float(np.sqrt(np.mean(np.sum((y[tr] - mean) ** 2, axis=1)) / 3)) or 1.0
    y = (y - mean) / scale
    out_scale = scale  # output units per unit network output
    if lift is not None:  # joint outputs in units of scale / lever (rad)
        lever = float(np.sqrt(np.mean(np.sum(lift[tr] ** 2, axis=(1, 2))) / q.shape[1])) or 1.0
        lift = (lift / lever).astype(np.float32)
        out_scale = scale / lever
        mean = np.zeros(n_out)
    if not pure:  # zero output decoders: the model starts at exactly the nominal
        e, b, d = params["layers"][-1]
        params["layers"][-1] = (e, b, np.zeros_like(d))
    lo, hi = (q.min(axis=0), q.max(axis=0)) if nominal is None else nominal.sample_bounds()
    batch = min(tcfg["batch_size"], tr.size)
    net = TFNet(params, cfg["encoding"], lo, hi, minibatch_size=batch, seed=cfg["seed"])
    steps = tr.size // batch
    total = steps * tcfg["epochs"]
    lr = tf.keras.optimizers.schedules.CosineDecay(
        tcfg["learning_rate"], total, alpha=tcfg["final_learning_rate"] / tcfg["learning_rate"]
    )
    opt = tf.keras.optimizers.Adam(lr)
    weights = net.weights

    @tf.function
    def step(qb, yb, ab):
        with tf.GradientTape() as tape:
            out = net.outputs(qb)
            if lift is not None:
                out = tf.einsum("bij,bj->bi", ab, out)
            loss = tf.reduce_mean(tf.square(out - yb))
        opt.apply_gradients(zip(tape.gradient(loss, weights), weights))  # noqa: B905
        return loss

    qf, yf = q.astype(np.float32), y.astype(np.float32)
    af = np.zeros((len(q), 1, 1), np.float32) if lift is None else lift

    def val_rmse() -> float:
        out = net.predict(q[va])
        if lift is not None:
            out = np.einsum("bij,bj->bi", lift[va], out)
        err = scale * (out - y[va])
        return float(1e3 * np.sqrt(np.mean(np.sum(err**2, axis=1))))

    best = (val_rmse(), 0, [w.numpy() for w in weights])
    curve = [[0, best[0]]]
    bar = progress_bar(
        tcfg["epochs"],
        enabled=tcfg["progress"] if progress is None else progress,
        unit="epoch",
        desc="train",
    )
    t0 = time.perf_counter()
    for epoch in range(1, tcfg["epochs"] + 1):
        perm = tr[rng.permutation(tr.size)]
        for s in range(steps):
            idx = perm[s * batch : (s + 1) * batch]
            step(qf[idx], yf[idx], af[idx])
        bar.update(1)
        if epoch % tcfg["val_every"] and epoch != tcfg["epochs"]:
            continue
        v = val_rmse()
        curve.append([epoch, v])
        bar.set_postfix(val_mm=f"{v:.3f}", best=f"{best[0]:.3f}")
        if v < best[0]:
            best = (v, epoch, [w.numpy() for w in weights])
        elif epoch - best[1] >= tcfg["patience"]:
            break
    seconds = time.perf_counter() - t0
    bar.close()
    for w, value in zip(weights, best[2], strict=True):
        w.assign(value)
    out = net.export()
    net.close()
    e, b, d = out["layers"][-1]
    out["layers"][-1] = (e, b, d * np.float32(out_scale))
    out["out_bias"] = (out["out_bias"] * out_scale + mean).astype(np.float32)
    return out, seconds, curve
