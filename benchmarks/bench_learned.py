"""Benchmarks for armjac.learned.

    python benchmarks/bench_learned.py calls  MODEL_DIR   # per-call Jacobian times, agreement
    python benchmarks/bench_learned.py steps               # NengoDL vs Keras training-step cost
    python benchmarks/bench_learned.py ideas  [--only a,b] # accuracy/time of each idea (long)

Run on an otherwise idle machine; numbers in docs/learned.md came from here.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def _best(fn, n: int = 2000, repeat: int = 5) -> float:
    """Best-of-``repeat`` mean seconds per call."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def calls(model_dir: str) -> None:
    import armjac
    from armjac.learned import load

    model = load(model_dir)
    arm = armjac.load_arm(model.config["arm"])
    rng = np.random.default_rng(0)
    q1 = arm.random_q(None, rng)
    qb = arm.random_q(1000, rng)
    print(repr(model))
    print(f"numpy jacobian, single q: {1e6 * _best(lambda: model.jacobian(q1)):.1f} us/call")
    print(f"numpy fk, single q:       {1e6 * _best(lambda: model.fk(q1)):.1f} us/call")
    t = _best(lambda: model.jacobian(qb), n=5)
    print(f"numpy jacobian, batch 1000: {1e6 * t / 1000:.2f} us/config")
    model.jacobian(q1, backend="tf")  # build + trace
    t = _best(lambda: model.jacobian(q1, backend="tf"), n=50)
    print(f"tf jacobian, single q:    {1e6 * t:.0f} us/call")
    t = _best(lambda: model.jacobian(qb, backend="tf"), n=2, repeat=3)
    print(f"tf jacobian, batch 1000:  {1e6 * t / 1000:.1f} us/config")
    print(f"analytic arm jacobian, single q: {1e6 * _best(lambda: arm.jacobian(q1)):.1f} us/call")
    q = arm.random_q(5000, np.random.default_rng(7))
    jn, jt = model.jacobian(q), model.jacobian(q, backend="tf")
    rel = np.linalg.norm(jn - jt, axis=(1, 2)) / np.linalg.norm(jn, axis=(1, 2))
    print(f"numpy vs tf relative difference over 5000 q: max {rel.max():.2e}, ", end="")
    print(f"median {np.median(rel):.2e}")


def _keras_step(sizes, batch, n_in, xla=False):
    import tensorflow as tf

    layers = []
    for k, (n, _d) in enumerate(sizes):
        d_next = sizes[k + 1][1] if k + 1 < len(sizes) else 3
        layers += [
            tf.keras.layers.Dense(n, activation="tanh"),
            tf.keras.layers.Dense(d_next, use_bias=(k + 1 == len(sizes))),
        ]
    model = tf.keras.Sequential(layers)
    model.build((batch, n_in))
    opt = tf.keras.optimizers.Adam(1e-3)

    @tf.function(jit_compile=xla)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        g = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(g, model.trainable_weights))  # noqa: B905
        return loss

    return step


def _nengo_step(sizes, batch, lo, hi, settings, xla=False):
    import tensorflow as tf

    from armjac.learned import network
    from armjac.learned.tfnet import TFNet

    params = network.init_params(sizes, 3, 1.0, 0)
    net = TFNet(params, "sincos", lo, hi, minibatch_size=batch, dl_settings=settings)
    opt = tf.keras.optimizers.Adam(1e-3)
    w = net.weights

    @tf.function(jit_compile=xla)
    def step(q, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(net.outputs(q) - y))
        g = tape.gradient(loss, w)
        opt.apply_gradients(zip(g, w))  # noqa: B905
        return loss

    return step, net


def steps() -> None:
    import tensorflow as tf

    import armjac

    arm = armjac.load_arm("kuka_iiwa")
    lo, hi = arm.sample_bounds()
    sizes = [(512, 14), (512, 64)]
    rows = []
    for batch in (256, 1024):
        q = tf.constant(arm.random_q(batch, 0).astype(np.float32))
        x = tf.concat([tf.sin(q), tf.cos(q), tf.ones((batch, 1))], axis=1)
        y = tf.zeros((batch, 3))
        for kx in (False, True):
            kstep = _keras_step(sizes, batch, 15, xla=kx)
            kstep(x, y)
            t = _best(lambda f=kstep, a=x, b=y: f(a, b).numpy(), n=30, repeat=3)
            ops = len(kstep.get_concrete_function(x, y).graph.get_operations())
            rows.append(("keras (same layers)" + (" + XLA" if kx else ""), batch, 1e3 * t, ops))
        import nengo_dl.graph_optimizer as go

        merging = {"planner": go.tree_planner, "sorter": go.order_signals}  # NengoDL defaults
        for label, settings, xla in [
            ("nengo_dl, no operator merging (used here)", {}, False),
            ("nengo_dl, no operator merging + XLA", {}, True),
            ("nengo_dl, no merging, default sorter", {"sorter": go.order_signals}, False),
            ("nengo_dl default planner/sorter (merging)", merging, False),
            ("nengo_dl merging + XLA", merging, True),
            ("nengo_dl merging, use_loop=True", {**merging, "use_loop": True}, False),
            (
                "nengo_dl merging, default simplifications",
                {**merging, "simplifications": go.default_simplifications},
                False,
            ),
        ]:
            nstep, net = _nengo_step(sizes, batch, lo, hi, settings, xla)
            nstep(q, y)
            t = _best(lambda f=nstep, a=q, b=y: f(a, b).numpy(), n=30, repeat=3)
            ops = len(nstep.get_concrete_function(q, y).graph.get_operations())
            rows.append((label, batch, 1e3 * t, ops))
            net.close()
    print(f"{'variant':42s} {'batch':>5s} {'ms/step':>8s} {'graph ops':>9s}")
    for r in rows:
        print(f"{r[0]:42s} {r[1]:5d} {r[2]:8.2f} {r[3]:9d}")


IDEAS_BASE = {
    "arm": "kuka_iiwa",
    "seed": 0,
    "data": {"n_train": 50000, "n_val": 1000, "n_test": 5000},
    "encoding": "sincos",
    "network": {"ensembles": [{"n_neurons": 512}, {"n_neurons": 512, "dimensions": 64}]},
    "training": {"epochs": 40, "batch_size": 256, "learning_rate": 3e-3, "progress": False},
}

IDEAS = {
    # equal epochs (20): what each change does per pass over the data
    "scaled_pos": {"encoding": "scaled", "training": {"epochs": 20}},
    "sincos_pos": {"training": {"epochs": 20}},
    "sincos_pos_xla": {"training": {"epochs": 20, "xla": True}},
    "sincos_pos_fit": {"training": {"epochs": 20, "method": "fit"}},
    "sincos_sobolev_full": {"training": {"epochs": 20, "loss": {"jacobian": 1.0}}},
    "sincos_sobolev_proj": {
        "training": {"epochs": 20, "jacobian_mode": "projected", "loss": {"jacobian": 1.0}}
    },
    "sincos_pos_nominal20": {"training": {"epochs": 20}, "nominal": {"link_scale_std": 0.2}},
    "sincos_sobolev_nominal20": {
        "training": {"epochs": 20, "loss": {"jacobian": 1.0}},
        "nominal": {"link_scale_std": 0.2},
    },
    # the bundled planar2 config with and without its Sobolev term
    "planar2_sobolev": ("planar2", {}),
    "planar2_pos": ("planar2", {"training": {"loss": {"jacobian": 0.0}}}),
    "planar2_contractive": ("planar2", {"training": {"loss": {"contractive": 0.01}}}),
    "planar2_pos_2x_epochs": ("planar2", {"training": {"epochs": 120, "loss": {"jacobian": 0.0}}}),
}


def _update(d: dict, u: dict) -> dict:
    d = copy.deepcopy(d)
    for k, v in u.items():
        d[k] = _update(d[k], v) if isinstance(v, dict) and isinstance(d.get(k), dict) else v
    return d


def ideas(only: list[str] | None, out: str | None) -> None:
    from armjac.learned import train

    for name, change in IDEAS.items():
        if only and name not in only:
            continue
        if isinstance(change, tuple):  # (bundled config name, change)
            from armjac.learned import resolve_config

            base = resolve_config(change[0])[0]
            base["training"]["progress"] = False
            cfg = _update(base, change[1])
        else:
            cfg = _update(IDEAS_BASE, change)
        model = train(None, cfg, log=None)
        m = model.metrics
        row = {
            "idea": name,
            **{k: m[k] for k in ("train_seconds", "fk_rmse_mm", "jac_rel_median", "jac_rel_p95")},
        }
        if "nominal_only" in m:
            row["nominal_only"] = m["nominal_only"]
        print(json.dumps(row), flush=True)
        if out:
            with open(out, "a") as f:
                f.write(json.dumps(row) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("what", choices=("calls", "steps", "ideas"))
    p.add_argument("model_dir", nargs="?")
    p.add_argument("--only", help="comma-separated idea names")
    p.add_argument("--out", help="append idea results (JSON lines) to this file")
    a = p.parse_args()
    if a.what == "calls":
        calls(a.model_dir)
    elif a.what == "steps":
        steps()
    else:
        ideas(a.only.split(",") if a.only else None, a.out)


if __name__ == "__main__":
    main()
