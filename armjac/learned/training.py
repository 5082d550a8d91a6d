"""Training with NengoDL: ``sim.fit`` or a custom ``GradientTape`` loop.

Losses (weights in ``training.loss``) are the terms registered in
:mod:`armjac.learned.losses`: ``position``, ``jacobian`` (Sobolev, with the
network's Jacobian d pos / d q taken by autodiff through ``sim.tensor_graph``)
and ``contractive``.

The custom loop follows the usual pattern: gradients of the loss with respect
to ``sim.tensor_graph.trainable_weights`` applied with
``optimizer.apply_gradients``. The Jacobian terms nest a second tape.
"""

from __future__ import annotations

import os
import time

import numpy as np

from armjac.errors import ConfigError
from armjac.learned import losses, stack
from armjac.learned.config import resolve_config
from armjac.learned.data import make_splits
from armjac.learned.network import init_params


def _sizes(cfg: dict, n_in: int) -> list[tuple[int, int]]:
    ens = cfg["network"]["ensembles"]
    return [(e["n_neurons"], n_in if i == 0 else e["dimensions"]) for i, e in enumerate(ens)]


def _train_range(arm, cfg: dict, sampler) -> tuple[np.ndarray, np.ndarray]:
    """Joint range covered by the training data.

    The sampling bounds after ``data.margin`` (a ``normal`` distribution is
    clipped to them too; a user ``sampler`` to the full limits). A continuous
    joint whose ``sincos`` encoding saw a whole turn is unbounded (``±inf``).
    """
    lo, hi = arm.sample_bounds(cfg["data"]["margin"] if sampler is None else 0.0)
    if cfg["encoding"] == "sincos":
        limits = arm.joint_limits
        whole = ~np.isfinite(limits[:, 0]) & ~np.isfinite(limits[:, 1])
        whole &= hi - lo >= 2 * np.pi - 1e-12
        lo, hi = np.where(whole, -np.inf, lo), np.where(whole, np.inf, hi)
    return lo, hi


def train(arm, config, *, sampler=None, progress: bool | None = None, log=print):
    """Train a learned FK model with NengoDL.

    Parameters
    ----------
    arm : Arm, str or None
        The analytic arm giving the targets; ``None``: the config's ``arm``.
    config : str, path or dict
        A bundled config name (``configs/learn/NAME.yaml``), a YAML path or a dict.
    sampler : callable, optional
        ``sampler(n, rng) -> (n, N)`` configurations, replacing the configured
        distribution for all splits.
    progress : bool, optional
        Show tqdm progress bars (default: the config's ``training.progress``).
    log : callable
        Receives one-line status messages (``None`` silences them).

    Returns
    -------
    LearnedModel
        With ``metrics`` holding held-out test errors and the training time.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = stack.tf("armjac.learned.train")

    from armjac.arm import load_arm
    from armjac.learned import encoding
    from armjac.learned.model import LearnedModel
    from armjac.learned.tfnet import TFNet

    log = log or (lambda *_: None)
    cfg, where = resolve_config(config)
    arm = load_arm(cfg["arm"] if arm is None else arm)
    if arm.spec is not None and arm.name != _arm_name(cfg["arm"]):
        # an arm given explicitly wins; record where it came from, so loading a
        # model can rebuild it (needed for a nominal model)
        cfg["arm"] = arm.spec.source or str(arm.spec.urdf)
    center = cfg["data"]["center"]
    if center is not None and len(center) != arm.dof:
        raise ConfigError(
            f"{where}: data.center: must have {arm.dof} values, one per joint of "
            f"{arm.name} ({', '.join(arm.joint_names)}); got {len(center)}"
        )
    tcfg = cfg["training"]
    progress = tcfg["progress"] if progress is None else progress
    tf.random.set_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])

    t0 = time.perf_counter()
    splits = make_splits(arm, cfg["data"], sampler, cfg["point"])
    nominal = None
    if cfg["nominal"]:
        from armjac.learned.nominal import perturbed_arm

        nominal = perturbed_arm(arm, cfg["nominal"]["link_scale_std"], cfg["nominal"]["seed"])
        if cfg["point"] is not None:
            from armjac.learned.residual import TipNominal

            nominal = TipNominal(nominal, cfg["point"])
    tr = splits["train"]
    pos_t, jac_t = _network_targets(cfg, tr, nominal)
    t_data = time.perf_counter() - t0

    lo, hi = arm.sample_bounds()
    n_in = encoding.encoded_size(cfg["encoding"], arm.dof)
    n_out = pos_t.shape[1]
    params = init_params(_sizes(cfg, n_in), n_out, cfg["network"]["gain"], cfg["network"]["seed"])
    params["out_bias"] = pos_t.mean(axis=0)  # start at the data's mean output
    batch = tcfg["batch_size"]
    if batch > len(tr.q):
        batch = len(tr.q)
    net = TFNet(params, cfg["encoding"], lo, hi, minibatch_size=batch, seed=cfg["seed"])
    steps_per_epoch = len(tr.q) // batch
    total = steps_per_epoch * tcfg["epochs"]
    lr = tf.keras.optimizers.schedules.CosineDecay(
        tcfg["learning_rate"], total, alpha=tcfg["final_learning_rate"] / tcfg["learning_rate"]
    )
    opt = tf.keras.optimizers.Adam(lr)
    log(
        f"training {arm.name}: {len(tr.q)} samples, {tcfg['epochs']} epochs x "
        f"{steps_per_epoch} steps, batch {batch}, method {tcfg['method']}"
    )
    t1 = time.perf_counter()
    val_curve: list = []
    if tcfg["method"] == "fit":
        history = _fit(net, opt, tr.q, pos_t, tcfg, cfg["encoding"], lo, hi, progress)
    else:
        va = splits["val"]
        val_pos = _network_targets(cfg, va, nominal)[0][:, :3]
        history, val_curve = _loop(
            net, opt, tr.q, pos_t, jac_t, tcfg, steps_per_epoch, rng, progress, (va.q, val_pos)
        )
    t_train = time.perf_counter() - t1
    trained = net.export()
    net.close()
    model = LearnedModel(
        trained,
        config=cfg,
        arm_name=arm.name,
        joint_names=arm.joint_names,
        home=arm.home,
        bounds=(lo, hi),
        nominal=nominal,
        ee_link=arm.ee_link,
        train_range=_train_range(arm, cfg, sampler),
    )
    te = splits["test"]
    model.metrics = {
        "train_seconds": round(t_train, 2),
        "data_seconds": round(t_data, 2),
        "final_loss": history[-1] if history else None,
        "val_fk_rmse_mm": val_curve,  # [(epoch, mm)] during training
        "config_source": where,
        **model.evaluate(te.q, te.pos, te.jac, te.transform, te.jac6),
    }
    if nominal is not None:
        model.metrics["nominal_only"] = _nominal_metrics(nominal, te)
    log(f"done in {t_train:.1f} s: {model.metrics_line()}")
    return model


def _arm_name(ref: str) -> str:
    from armjac.model.registry import resolve

    return resolve(ref).name


def _network_targets(cfg: dict, split, nominal) -> tuple[np.ndarray, np.ndarray]:
    """What the network itself must output (B, M) and its Jacobian (B, M, N)."""
    from armjac.learned import pose

    def outputs(t, j):
        return pose.targets(t, j) if cfg["outputs"] == "pose" else (t[:, :3, 3], j[:, :3, :])

    y, jy = outputs(split.transform, split.jac6)
    if nominal is not None:
        yn, jn = outputs(nominal.fk(split.q), nominal.jacobian(split.q))
        y, jy = y - yn, jy - jn
    return y, jy


def _nominal_metrics(nominal, te) -> dict:
    from armjac.learned.autodiff import error_stats

    return error_stats(nominal.fk(te.q)[:, :3, 3], te.pos, nominal.jacobian(te.q)[:, :3, :], te.jac)


def _loop(net, opt, q, pos, jac, tcfg, steps_per_epoch, rng, progress, val) -> tuple:
    """Custom training loop; returns per-epoch mean losses and the validation curve."""
    tf = stack.tf()

    from armjac.progress import progress_bar

    weights = {name: float(w) for name, w in tcfg["loss"].items()}
    need_jac = losses.needs_jacobian(weights)
    batch = net.batch
    trainable = net.weights
    qf = q.astype(np.float32)
    pf = pos.astype(np.float32)
    jf = jac.astype(np.float32)

    projected = tcfg["jacobian_mode"] == "projected"

    # XLA compiles the step into fewer kernels; it pays off when per-op overhead
    # dominates (small networks such as planar2's; see docs/learned.md).
    @tf.function(jit_compile=bool(tcfg["xla"]))
    @tf.autograph.experimental.do_not_convert  # all branching below is on Python values
    def step(qb, pb, jb):
        with tf.GradientTape() as tape:
            if need_jac and projected:
                # One reverse pass for u^T J with random u ~ N(0, I) per sample:
                # E[|u^T dJ|^2] = |dJ|_F^2, an unbiased estimate at a third of the cost.
                u = tf.random.normal(tf.shape(pb))
                with tf.GradientTape() as inner:
                    inner.watch(qb)
                    y = net.outputs(qb)
                    s = tf.reduce_sum(y * u)
                jn = inner.gradient(s, qb)[:, None, :]  # (B, 1, N)
                jb = tf.einsum("bm,bmn->bn", u, jb)[:, None, :]
                terms = losses.Batch(y, pb, jn, jb, 1.0 / pb.shape[1])  # scale: mean over M rows
            elif need_jac:
                y, jn = net.outputs_and_jacobian_rows(qb)
                terms = losses.Batch(y, pb, jn, jb)
            else:
                terms = losses.Batch(net.outputs(qb), pb)
            loss = losses.total(weights, terms)
        grads = tape.gradient(loss, trainable)
        opt.apply_gradients(zip(grads, trainable))  # noqa: B905 (autograph zip has no strict)
        return loss

    history: list[float] = []
    val_curve: list[list] = []  # [epoch, mm] pairs (JSON-friendly)
    val_every = max(1, tcfg["epochs"] // 10)  # ~10 validation passes per run
    bar = progress_bar(steps_per_epoch * tcfg["epochs"], enabled=progress, unit="step")
    for epoch in range(tcfg["epochs"]):
        order = rng.permutation(len(q))
        step_losses = []
        for s in range(steps_per_epoch):
            idx = order[s * batch : (s + 1) * batch]
            step_losses.append(step(qf[idx], pf[idx], jf[idx]))
            bar.update(1)
        history.append(float(np.mean([float(v) for v in step_losses])))
        if (epoch + 1) % val_every == 0 or epoch + 1 == tcfg["epochs"]:
            err = net.predict(val[0])[:, :3] - val[1]
            val_curve.append([epoch + 1, float(1e3 * np.sqrt(np.mean(np.sum(err**2, axis=1))))])
        bar.set_postfix(
            epoch=epoch + 1,
            loss=f"{history[-1]:.3g}",
            val_mm=f"{val_curve[-1][1]:.2f}" if val_curve else "-",
        )
    bar.close()
    return history, val_curve


def _fit(net, opt, q, pos, tcfg, kind, lo, hi, progress) -> list[float]:
    tf = stack.tf()

    from armjac.learned import encoding
    from armjac.progress import progress_bar

    x = np.concatenate([encoding.encode(kind, q, lo, hi), np.ones((len(q), 1))], axis=1)
    n = (len(q) // net.batch) * net.batch  # NengoDL needs whole minibatches
    x = x[:n, None, :].astype(np.float32)
    y = pos[:n, None, :].astype(np.float32)
    bar = progress_bar(tcfg["epochs"], enabled=progress, unit="epoch")

    class _Bar(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            bar.update(1)
            bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.3g}")

    net.sim.compile(optimizer=opt, loss={net.h.probe: tf.losses.mse})
    hist = net.sim.fit(
        {net.h.inp: x}, {net.h.probe: y}, epochs=tcfg["epochs"], verbose=0, callbacks=[_Bar()]
    )
    bar.close()
    return [float(v) for v in hist.history.get("loss", [])]
