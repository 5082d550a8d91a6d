"""Learning an arm's tool-tip kinematics from measured data.

``train_from_data(q, x, config=None, nominal=None, point=None)`` takes joint readings
``q`` (B, N) and measured tip positions ``x`` (B, 3) -- no arm as ground truth -- and
returns a :class:`~armjac.learned.data_model.DataModel` (a
:class:`~armjac.learned.model.LearnedModel`): ``fk(q)`` the tip (3,)/(B, 3),
``jacobian(q)`` its (3, N)/(B, 3, N) Jacobian.

* Without ``nominal`` the network learns the whole map (its output bias starts at the
  data's mean).
* With ``nominal`` (an Arm) and the assumed tool ``point``, ``base: calibrated`` (the
  default) **selects** among models of the arm by their error on held-out data
  (``select``, simplest first):

  - ``geometric``: :func:`armjac.calibrate` (base frame, joint origins, axes, zeros, tool);
  - ``joint_errors``: the same with the joint-error model (eccentricity, deflection);
  - ``geometric+residual``, ``joint_errors+residual``: a network learning the tip
    residual of that calibration;
  - ``joint``: a network correcting the joint readings, x = base(q + net(q)), on the
    better of the two calibrations (:mod:`armjac.learned.joint_residual`).

  Held out are whole blocks of ``block`` consecutive samples (``split: blocks``): data
  recorded along paths are correlated, and samples held out from the training paths
  would reward a model that fits the paths and fails between them. Each candidate is
  fitted on the other blocks (a network's early stopping on blocks of its own), and
  scored by its mean squared error on the held-out blocks. The best is kept -- or the
  simplest whose excess over the best is within one standard error (of the block means
  of the paired differences): a difference the held-out data cannot resolve is not
  worth a more complex model. The chosen model's calibration is then refitted on all the
  data (a network keeps what it learned on top of it).
  ``model.metrics["model"]`` names the choice, ``["why"]`` says why, ``["selection"]``
  has every candidate's score. A returned calibration is a model whose network outputs
  exactly zero (so the API, saving and online adaptation are those of any model).
* ``base: nominal`` learns the residual on the URDF itself (``residual: task | joint``).

Config (a mapping or YAML path; every key optional)::

    base: calibrated          # calibrated | nominal (only with a nominal arm)
    select: [geometric, joint_errors, geometric+residual, joint, joint_errors+residual]
    residual: task            # base: nominal: task (x = base + net) or joint
    joint_errors: true        # false: drop the joint-error candidates
    point: null               # tool point on the nominal's EE link (the argument wins)
    seed: 0
    validation: 0.2           # fraction held out
    split: blocks             # or random samples
    block: 100
    encoding: sincos
    network: {ensembles: [{n_neurons: 256}, {n_neurons: 256, dimensions: 32}], gain: 1.0, seed: 0}
    training: {epochs: 400, batch_size: 64, learning_rate: 0.002,
               final_learning_rate: 1.0e-5, patience: 100, val_every: 5, progress: true}
"""

from __future__ import annotations

import copy
import os
import time
import warnings

import numpy as np

from armjac import configs
from armjac.errors import ConfigError, InputError
from armjac.learned.data_config import CANDIDATES, DEFAULTS, KIND, data_config, model_config
from armjac.learned.data_model import DataModel
from armjac.learned.joint_residual import JointResidualModel
from armjac.learned.residual import TipNominal
from armjac.validation import as_measurements, excerpt

__all__ = ["CANDIDATES", "DEFAULTS", "KIND", "DataModel", "data_config", "model_config",
           "train_from_data"]  # fmt: skip

MIN_SAMPLES = 10


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
        The nominal arm: select among calibrations and residuals on it.
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
        ``metrics`` holds the chosen model and why, every candidate's held-out score,
        the validation error curve of the network, the training time and the
        calibration summary.

    Raises
    ------
    InputError
        Too few samples, a nominal that is not an Arm, constant readings or absurd
        samples for a pure network, or training that diverged.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log = log or (lambda *_: None)
    cfg = data_config(config)
    raw = config if isinstance(config, dict) else {} if config is None else configs.read_mapping(
        os.fspath(config), "learning-from-data config")  # fmt: skip
    if cfg["base"] == "calibrated" and raw.get("residual") == "joint":  # else silently unused
        raise ConfigError(
            "residual: applies to base: nominal; with base: calibrated name the models to "
            "compare in select: (joint: the joint-space residual; geometric+residual, "
            "joint_errors+residual: task-space ones)"
        )
    if nominal is not None and not all(hasattr(nominal, a) for a in ("dof", "joint_names",
                                                                       "position", "model")):
        raise InputError(
            f"nominal must be an Arm (armjac.load_arm(name)); got {excerpt(nominal)}"
        )  # fmt: skip
    q, x = as_measurements(q, x, None if nominal is None else nominal.dof, minimum=MIN_SAMPLES)
    point = cfg["point"] if point is None else point
    if point is not None and nominal is None:
        raise ConfigError("a tool point needs a nominal arm; pass nominal= or drop point")
    if cfg["residual"] == "joint" and nominal is None:
        raise ConfigError("residual: joint needs a nominal arm to correct; pass nominal=")
    if nominal is None:
        model = _pure(q, x, cfg, progress)
    elif cfg["base"] == "nominal":
        model = _on_nominal(q, x, cfg, nominal, point, progress)
    else:
        model = _select(q, x, cfg, nominal, point, progress, log)
    log(f"trained from {len(q)} samples: {model.metrics.get('why', '')}".rstrip(": "))
    return model


def _build(params, cfg, nominal, base, metrics, residual="task", q=None):
    """The model object around trained ``params``."""
    cfg = copy.deepcopy(cfg)
    cfg["residual"] = residual
    if nominal is None:
        lo, hi = q.min(axis=0), q.max(axis=0)
        names, home = [f"q{i}" for i in range(q.shape[1])], q.mean(axis=0)
        name, ee = "measured", None
    else:  # the configured joint box: the model is meant for all of it
        lo, hi = nominal.sample_bounds()
        names, home, name, ee = nominal.joint_names, nominal.home, nominal.name, nominal.ee_link
    cls = JointResidualModel if residual == "joint" else DataModel
    return cls(params, config=model_config({"from_data": cfg}), arm_name=name, joint_names=names,
               home=home, bounds=(lo, hi), nominal=base, metrics=metrics, ee_link=ee,
               train_range=(lo, hi))  # fmt: skip


def _pure(q, x, cfg, progress) -> DataModel:
    """A network learning the whole map from the samples alone."""
    flat = np.flatnonzero(np.ptp(q, axis=0) == 0)
    if flat.size:
        raise InputError(
            f"joint {int(flat[0])} reads {q[0, flat[0]]!r} in every sample: a network without a "
            "nominal arm cannot learn over a joint that never moved"
        )
    d = np.linalg.norm(x - np.median(x, axis=0), axis=1)
    spread = max(float(np.median(d)), 1e-9)
    if (d > 100 * spread).any():
        k = int(np.argmax(d))
        raise InputError(
            f"x[{k}] is {d[k]:.3g} m from the samples' median position (their median "
            f"distance is {spread:.3g} m): an outlier; remove it, or pass the nominal arm"
        )
    va, tr = _split(len(q), cfg, cfg["seed"])
    params, seconds, curve = _fit(q, x, tr, va, cfg, True, None, progress)
    metrics = {"n_train": int(tr.size), "n_val": int(va.size), "model": "network",
               **_curve_metrics(curve, seconds)}  # fmt: skip
    return _build(params, cfg, None, None, metrics, q=q)


def _on_nominal(q, x, cfg, nominal, point, progress) -> DataModel:
    """A residual on the nominal arm itself; samples absurdly far from it are left out."""
    base = TipNominal(nominal, point)
    y = x - base.position(q)
    e = np.linalg.norm(y, axis=1)
    far = e > max(20 * float(np.median(e)), 1e-3)
    va, tr = (np.setdiff1d(i, np.flatnonzero(far)) for i in _split(len(q), cfg, cfg["seed"]))
    joint = cfg["residual"] == "joint"
    lift = base.jacobian(q)[:, :3, :] if joint else None
    params, seconds, curve = _fit(q, y, tr, va, cfg, False, nominal, progress, lift)
    metrics = {"n_train": int(tr.size), "n_val": int(va.size),
               "model": f"nominal+{cfg['residual']}", "outliers": np.flatnonzero(far).tolist(),
               **_curve_metrics(curve, seconds)}  # fmt: skip
    return _build(params, cfg, nominal, base, metrics, cfg["residual"])


def _curve_metrics(curve, seconds) -> dict:
    return {"train_seconds": round(seconds, 2), "val_curve_mm": curve,
            "best_val_mm": min(c[1] for c in curve)}  # fmt: skip


def _select(q, x, cfg, nominal, point, progress, log) -> DataModel:
    """Fit every candidate on the training blocks and keep the one the held-out blocks
    prefer (the module docstring has the rule)."""
    va, tr = _split(len(q), cfg, cfg["seed"])
    wanted = [c for c in CANDIDATES if c in cfg["select"]
              and (cfg["joint_errors"] or not c.startswith("joint_errors"))]  # fmt: skip
    if not wanted:
        raise ConfigError("select: every candidate named needs joint_errors: true")
    kinds = {_base_kind(c) for c in wanted} - {None}
    if "joint" in wanted:
        kinds |= {"geometric", "joint_errors"} if cfg["joint_errors"] else {"geometric"}
    cals, failed, notes = _calibrations(nominal, q, x, tr, point, kinds)
    bad = _left_out(cals, q, x, tr, va)
    keep_va, tr_fit = np.setdiff1d(va, bad), np.setdiff1d(tr, bad)

    def sq_err(pred):
        return np.sum((pred - x[keep_va]) ** 2, axis=1)

    cal_sq = {k: sq_err(c.predict(q[keep_va])) for k, c in cals.items()}
    sq, built, results = {}, {}, {}
    for cand in wanted:
        kind = _base_kind(cand) or min(cal_sq, key=lambda k: cal_sq[k].mean())
        if kind not in cals:
            results[cand] = {"failed": failed[kind]}
            continue
        results[cand] = {"base": kind}
        if cand in ("geometric", "joint_errors"):
            sq[cand] = cal_sq[kind]
            continue
        log(f"train_from_data: training {cand}")
        built[cand] = _network(cand, cals[kind], q, x, bad, tr_fit, cfg, nominal, progress)
        sq[cand] = sq_err(built[cand].position(q[keep_va]))
        results[cand]["train_seconds"] = built[cand].metrics["train_seconds"]
    chosen, why = _choose(sq, keep_va, cfg, results)
    spent = round(sum(m.metrics["train_seconds"] for m in built.values()), 2)
    metrics = {"model": chosen, "why": why, "selection": results, "n_train": int(tr.size),
               "n_val": int(keep_va.size), "outliers": bad.tolist(), "notes": notes}  # fmt: skip
    kind = results[chosen]["base"]
    keep = np.setdiff1d(np.arange(len(q)), bad)
    cal, _, caught = _calibrate(nominal, q[keep], x[keep], point, kind)  # on all the samples
    metrics["notes"] += caught
    cal = cal or cals[kind]
    if chosen in built:  # the network keeps what it learned; its base gains the held-out data
        model = built[chosen]
        model.nominal = TipNominal(cal.arm, cal.point)
        model.metrics.update(metrics, train_seconds=spent)
        model.out_of_range = "warn"
    else:
        rmse = float(1e3 * np.sqrt(sq[chosen].mean()))
        metrics.update(train_seconds=spent, val_curve_mm=[[0, rmse]], best_val_mm=rmse)
        model = _build(_zero_params(cfg, nominal.dof), cfg, nominal,
                       TipNominal(cal.arm, cal.point), metrics)  # fmt: skip
    model.metrics["calibration"] = cal.summary()
    model.metrics["joint_errors_kept"] = kind == "joint_errors"
    return model


def _calibrations(nominal, q, x, tr, point, kinds):
    """The calibrations of ``kinds`` on the training samples ``tr``: (by kind, why each
    failed, the warnings they gave)."""
    cals, failed, notes = {}, {}, []
    for kind in sorted(kinds):
        cal, why, caught = _calibrate(nominal, q[tr], x[tr], point, kind)
        notes += caught
        if cal is None:
            failed[kind] = why
        else:
            cals[kind] = cal
    if not cals:
        raise InputError(
            f"train_from_data: no calibration could be fitted on {tr.size} training samples "
            f"(of {len(q)}): " + "; ".join(f"{k}: {v}" for k, v in failed.items())
        )
    return cals, failed, notes


def _left_out(cals, q, x, tr, va) -> np.ndarray:
    """Samples no model is judged or trained on: the calibrations' outliers, and held-out
    samples as far from the (geometric) calibration as those."""
    ref = cals.get("geometric") or next(iter(cals.values()))
    bad = tr[np.concatenate([c.outliers for c in cals.values()])]
    diff = np.clip(ref.predict(q[va]) - x[va], -1e6, 1e6)  # no overflow for absurd samples
    far = np.linalg.norm(diff, axis=1) > 3e-3 * ref.huber_mm
    return np.union1d(bad, va[far]).astype(int)


def _network(cand, cal, q, x, bad, tr_fit, cfg, nominal, progress) -> DataModel:
    """A network candidate on the calibration ``cal``, trained on ``tr_fit`` (early
    stopping on blocks of its own)."""
    base = TipNominal(cal.arm, cal.point)
    residual = "joint" if cand == "joint" else "task"
    lift = base.jacobian(q)[:, :3, :] if residual == "joint" else None
    es_va, es_tr = (tr_fit[i] for i in _split(tr_fit.size, cfg, cfg["seed"] + 1))
    y = x - base.position(q)
    y[bad] = 0.0  # left out of training and validation; kept finite
    params, seconds, curve = _fit(q, y, es_tr, es_va, cfg, False, nominal, progress, lift)
    model = _build(params, cfg, nominal, base, _curve_metrics(curve, seconds), residual)
    model.out_of_range = "ignore"
    return model


def _base_kind(cand: str) -> str | None:
    """The calibration a candidate stands on (None: the joint residual picks the better)."""
    if cand == "joint":
        return None
    return "joint_errors" if cand.startswith("joint_errors") else "geometric"


def _calibrate(nominal, q, x, point, kind):
    """(calibration or None, why it failed, warnings it gave)."""
    from armjac.calibration import calibrate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cal = calibrate(nominal, q, x, point=point, joint_errors=kind == "joint_errors")
        except InputError as exc:
            return None, str(exc), [f"{kind}: {w.message}" for w in caught]
    return cal, "", [f"{kind}: {w.message}" for w in caught]


def _choose(sq: dict, idx: np.ndarray, cfg: dict, results: dict) -> tuple[str, str]:
    """The simplest candidate whose held-out excess over the best is within one standard
    error (of the held-out blocks' mean paired differences); and why."""
    size = _block_size(len(idx), cfg) if cfg["split"] == "blocks" else 1
    blocks = np.unique(idx // size, return_inverse=True)[1]
    best = min(sq, key=lambda c: sq[c].mean())
    chosen = None
    for cand in sq:  # in CANDIDATES order: simplest first
        d = sq[cand] - sq[best]
        means = np.bincount(blocks, d) / np.bincount(blocks)
        se = float(np.std(means, ddof=1) / np.sqrt(means.size)) if means.size > 1 else 0.0
        results[cand].update(val_rmse_mm=round(1e3 * float(np.sqrt(sq[cand].mean())), 4),
                             val_median_mm=round(1e3 * float(np.sqrt(np.median(sq[cand]))), 4),
                             excess_mm2=round(1e6 * float(d.mean()), 5),
                             se_mm2=round(1e6 * se, 5))  # fmt: skip
        if chosen is None and (cand == best or d.mean() <= se + 1e-12):  # 1e-12 m^2: ties
            chosen = cand
    r = results
    why = (f"{chosen}: held-out RMSE {r[chosen]['val_rmse_mm']:.3f} mm on {np.unique(blocks).size} "
           f"blocks ({len(idx)} samples)")  # fmt: skip
    if chosen == best:
        return chosen, why + "; the lowest of " + ", ".join(sq)
    return chosen, why + (f"; {best} scored {r[best]['val_rmse_mm']:.3f} mm, better by less "
                          "than one standard error, so the simpler model")  # fmt: skip


def _zero_params(cfg: dict, dof: int, n_out: int = 3) -> dict:
    """Network parameters whose output is exactly zero (a model that is its base)."""
    from armjac.learned import encoding
    from armjac.learned.network import init_params

    ncfg = cfg["network"]
    sizes = [(e["n_neurons"], encoding.encoded_size(cfg["encoding"], dof) if i == 0
              else e["dimensions"]) for i, e in enumerate(ncfg["ensembles"])]  # fmt: skip
    params = init_params(sizes, n_out, ncfg["gain"], ncfg["seed"])
    e, b, d = params["layers"][-1]
    params["layers"][-1] = (e, b, np.zeros_like(d))
    params["out_bias"] = np.zeros(n_out, np.float32)
    return params


def _block_size(n: int, cfg: dict) -> int:
    """Blocks of ``block`` samples, smaller for small data (at least 5 blocks)."""
    return max(1, min(cfg["block"], n // 5))


def _split(n: int, cfg: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out and training indices: random blocks of consecutive samples (``split:
    blocks``, samples in recording order) or random samples."""
    rng = np.random.default_rng(seed)
    size = _block_size(n, cfg) if cfg["split"] == "blocks" else 1
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
    if not all(np.isfinite(a).all() for lay in out["layers"] for a in lay):
        raise InputError(
            "training diverged (non-finite weights): check the samples for outliers, or "
            "lower training.learning_rate"
        )
    e, b, d = out["layers"][-1]
    out["layers"][-1] = (e, b, d * np.float32(out_scale))
    out["out_bias"] = (out["out_bias"] * out_scale + mean).astype(np.float32)
    return out, seconds, curve
