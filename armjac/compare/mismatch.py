"""The comparison's mismatch section: nominal, calibrated, learned and adapted models
of a real arm that is not its URDF, judged against the real arm.

For each mismatch spec (``mismatch:`` in a comparison file)::

    mismatch:
      - spec: kuka_iiwa            # configs/mismatch name or path
        seed: 0                    # draws the real arm
        budget: 2000               # tracker samples for the headline models
        budgets: [250, 500, 1000, 2000, 8000]   # error against data budget ([]: skip)
        n_test: 2000               # held-out static configurations for FK / J errors
        control: true              # encoder-only and tracker reaches
        n_targets: 3
        reach_duration: 3.0        # s per reach
        learn: null                # train_from_data config (null: its defaults)
        data: trajectory           # or static: iid random q (the fast static sampler)
        adapt: {bases: [nominal, calibrated+residual], rules: [tool_rls, pes, rls]}
        recovery: {base: calibrated+residual, rules: [none, offset, pes, rls, tool_rls],
                   dropout: true, duration: null}   # [] or false: skip

the real arm is drawn, an exploration run long enough for the largest budget
is recorded (:func:`armjac.mismatch.collect`), and from its first ``budget``
tracker samples these models are built:

* ``nominal``: the URDF with the assumed tool point;
* ``calibrated``: :func:`armjac.calibrate` on the samples;
* ``learned``: a network trained on the samples alone (no arm);
* ``residual``: a network on top of the nominal (``base: nominal``);
* ``calibrated+residual``: a network on top of the calibrated arm (the
  :func:`~armjac.learned.train_from_data` default);
* any registered adapter (:func:`register_adapter`): ``adapted``
  (:mod:`armjac.compare.adapted`) adds ``RULE on BASE`` rows, each base model
  adapted online along a path with the tracker, then judged like the others;
* recovery curves: the ``tool_change`` and ``tracker_dropout`` scenarios on the
  same real arm, once per adaptation rule (spatial arms only).

Static errors use held-out configurations drawn uniformly within the explored
range (:func:`~armjac.mismatch.static_samples`, truth from the real arm): the
tip error of each model's FK of the readings, and the relative error of its
Jacobian against the real d tip / d readings. The verdict is written from
these numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from armjac.configs import Reader

ENTRY_KEYS = {
    "spec",
    "seed",
    "budget",
    "budgets",
    "n_test",
    "control",
    "n_targets",
    "reach_duration",
    "learn",
    "data",
    "adapt",
    "recovery",
}
ADAPT_KEYS = {"bases", "rules"}
RECOVERY_KEYS = {"base", "rules", "dropout", "duration"}
DEFAULT_BUDGETS = [250, 500, 1000, 2000, 8000]
N_JACOBIAN = 300  # held-out configurations for the Jacobian errors
BUDGET_MODELS = ("calibrated", "residual", "calibrated+residual")
HOPELESS_MM = 50.0  # models with a larger median FK error are not run in closed loop
_ADAPTERS: dict[str, Callable] = {}


def register_adapter(name: str, factory: Callable) -> None:
    """Add models to the section: ``factory(real, sources, q, x, options)``.

    ``sources`` maps the names above to the sources already built from the same
    data (e.g. an adapter that refines ``calibrated+residual`` online);
    ``options`` is the entry's ``adapt`` mapping. The factory returns one source
    (a row named ``name``) or a mapping ``{row name: source}``.
    """
    _ADAPTERS[name] = factory


def parse_section(top: Reader) -> list[dict]:
    """The validated ``mismatch`` entries of a comparison (``[]`` when absent)."""
    from armjac.mismatch import load_spec

    items = top.sequence("mismatch", [])
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"spec": item}
        if not isinstance(item, dict):
            raise top.fail(f"mismatch[{i}]", f"must be a spec name or a mapping; got {item!r}")
        r = top.child(item, f"mismatch[{i}]")
        r.check_keys(ENTRY_KEYS)
        spec = r.data.get("spec")
        try:
            load_spec(spec)
        except Exception as exc:  # noqa: BLE001 - reported against the key
            raise r.fail("spec", str(exc)) from None
        budgets = r.sequence("budgets", DEFAULT_BUDGETS)
        if any(isinstance(b, bool) or not isinstance(b, int) or b < 20 for b in budgets):
            raise r.fail("budgets", f"must be a list of integers >= 20; got {budgets!r}")
        learn = r.data.get("learn")
        if learn is not None:
            from armjac.learned.from_data import data_config

            data_config(learn)
        out.append(
            {
                "spec": spec,
                "seed": r.integer("seed", 0, minimum=0),
                "budget": r.integer("budget", 2000, minimum=20),
                "budgets": sorted(budgets),
                "n_test": r.integer("n_test", 2000, minimum=10),
                "control": r.flag("control", True),
                "n_targets": r.integer("n_targets", 3, minimum=1),
                "reach_duration": r.number("reach_duration", 3.0, positive=True),
                "learn": learn,
                "data": r.choice("data", ("trajectory", "static"), "trajectory"),
                "adapt": _adapt_options(r),
                "recovery": _recovery_options(r, spec),
            }
        )
    return out


def _rules(r: Reader, key: str, default: list) -> list:
    from armjac.adapt.spec import parse_spec
    from armjac.errors import ConfigError

    rules = r.sequence(key, default)
    for i, rule in enumerate(rules):
        try:
            parse_spec(rule)
        except ConfigError as exc:
            raise r.fail(f"{key}[{i}]", str(exc)) from None
    return list(rules)


def _adapt_options(r: Reader) -> dict | None:
    """The ``adapt`` mapping with defaults (None: no adapted rows)."""
    from armjac.compare.adapted import DEFAULT_ADAPT

    if r.data.get("adapt", True) in (False, None, [], {}):
        return None
    a = r.child(r.data.get("adapt") if isinstance(r.data.get("adapt"), dict) else {}, "adapt")
    a.check_keys(ADAPT_KEYS)
    return {
        "bases": list(a.sequence("bases", DEFAULT_ADAPT["bases"])),
        "rules": _rules(a, "rules", DEFAULT_ADAPT["rules"]),
    }


def _recovery_options(r: Reader, spec) -> dict | None:
    """The ``recovery`` mapping with defaults (None: no recovery runs). The scenarios
    follow a circle in space, so the default is to run them only on a spatial arm."""
    from armjac.compare.adapted import DEFAULT_RECOVERY
    from armjac.mismatch import load_spec

    raw = r.data.get("recovery", None)
    if raw in (False, [], {}):
        return None
    from armjac.scenarios.config import load_scenario

    arm, scen_arm = load_spec(spec).arm, load_scenario("tool_change").arm
    if arm != scen_arm and raw is None:
        return None
    a = r.child(raw if isinstance(raw, dict) else {}, "recovery")
    a.check_keys(RECOVERY_KEYS)
    if arm != scen_arm:
        raise r.fail("recovery", f"the tool_change scenario is for {scen_arm}; the spec's arm is "
                                 f"{arm!r} (set recovery: false)")  # fmt: skip
    duration = a.data.get("duration")
    return {
        "base": a.choice(
            "base",
            ("nominal", "calibrated", "residual", "calibrated+residual"),
            DEFAULT_RECOVERY["base"],
        ),  # fmt: skip
        "rules": _rules(a, "rules", DEFAULT_RECOVERY["rules"]),
        "dropout": a.flag("dropout", True),
        "duration": None if duration is None else a.number("duration", positive=True),
    }


# -- models -----------------------------------------------------------------------
def _position(src, q) -> np.ndarray:
    out = np.asarray(src.fk(q))
    return out[..., :3, 3] if out.shape[-2:] == (4, 4) else out


def _learn_cfg(base_cfg, base: str, progress: bool) -> dict:
    from armjac.learned.from_data import data_config

    cfg = data_config(base_cfg)
    cfg["base"] = base
    cfg["training"]["progress"] = progress
    return cfg


def build_models(
    real, q, x, learn=None, *, which=None, adapt=None, progress=False
) -> tuple[dict, dict]:
    """Sources built from measured ``(q, x)``: name -> source, and name -> info
    (``adapt``: the options passed to every registered adapter)."""
    import armjac.compare.adapted  # noqa: F401  registers the adapted models
    from armjac.calibration import calibrate
    from armjac.learned import train_from_data
    from armjac.learned.residual import TipNominal

    which = set(
        which
        or (
            "nominal", "calibrated", "calibrated+joint", "learned", "residual",
            "calibrated+residual", *_ADAPTERS,
        )
    )  # fmt: skip
    sources, info = {}, {}
    nominal, point = real.nominal, real.assumed_point
    if "nominal" in which:
        sources["nominal"] = TipNominal(nominal, point)
    t0 = time.perf_counter()
    if "calibrated" in which:
        cal = calibrate(nominal, q, x, point=point)
        sources["calibrated"] = TipNominal(cal.arm, cal.point)
        info["calibrated"] = {**cal.summary(), "seconds": round(time.perf_counter() - t0, 2)}
    if "calibrated+joint" in which:  # the parametric answer to eccentricity and deflection
        t0 = time.perf_counter()
        cal = calibrate(nominal, q, x, point=point, joint_errors=True)
        sources["calibrated+joint"] = TipNominal(cal.arm, cal.point)
        info["calibrated+joint"] = {**cal.summary(), "seconds": round(time.perf_counter() - t0, 2)}
    for name, base in (
        ("learned", None),
        ("residual", "nominal"),
        ("calibrated+residual", "calibrated"),
    ):
        if name not in which:
            continue
        t0 = time.perf_counter()
        if base is None:
            cfg = _learn_cfg(learn, "nominal", progress)
            model = train_from_data(q, x, cfg, log=None, progress=progress)
        else:
            cfg = _learn_cfg(learn, base, progress)
            model = train_from_data(
                q, x, cfg, nominal=nominal, point=point, log=None, progress=progress
            )
        model.out_of_range = "ignore"
        sources[name] = model
        info[name] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "train_seconds": model.metrics["train_seconds"],
            "best_val_mm": model.metrics["best_val_mm"],
            "best_epoch": min(model.metrics["val_curve_mm"], key=lambda c: c[1])[0],
            "joint_errors_base": bool(model.metrics.get("joint_errors_kept", False)),
        }
    for name, factory in _ADAPTERS.items():
        if name in which and adapt is not None:
            t0 = time.perf_counter()
            made = factory(real, dict(sources), q, x, adapt)
            made = made if isinstance(made, dict) else {name: made}
            seconds = round((time.perf_counter() - t0) / max(len(made), 1), 2)
            for row, src in made.items():
                sources[row] = src
                info[row] = {"adapter": name, "seconds": seconds}
    return sources, info


def static_errors(src, test, q_link_j, jac_true) -> dict:
    """FK (mm) and Jacobian (relative) errors of ``src`` on a held-out static set."""
    q, _ = test.pairs()
    e = 1e3 * np.linalg.norm(_position(src, q) - test.truth_tip, axis=1)
    jac = np.asarray(src.jacobian(test.q[: len(q_link_j)]))[:, :3, :]
    rel = np.linalg.norm(jac - jac_true, axis=(1, 2)) / np.linalg.norm(jac_true, axis=(1, 2))
    return {
        "fk_median_mm": float(np.median(e)),
        "fk_p95_mm": float(np.percentile(e, 95)),
        "fk_max_mm": float(e.max()),
        "jac_rel_median": float(np.median(rel)),
        "jac_rel_p95": float(np.percentile(rel, 95)),
    }


def reach_targets(real, n: int, seed: int) -> np.ndarray:
    """Tool-tip targets of postures near home (within 0.3 m of the home tip)."""
    rng = np.random.default_rng(seed)
    home = real.nominal.home
    lo, hi = real.nominal.sample_bounds(0.1)
    out = []
    while len(out) < n:
        q = np.clip(home + rng.normal(0.0, 0.35, home.shape), lo, hi)
        tip = real.tip(q)
        if 0.05 < np.linalg.norm(tip - real.tip(home)) < 0.3:
            out.append(tip)
    return np.array(out)


def control_errors(real, sources: dict, targets, duration: float, seed: int) -> dict:
    """Median final true-tip error (mm) of each source, encoders only and with the tracker."""
    from armjac.mismatch.reach import reach

    out = {}
    for name, src in sources.items():
        row = {}
        for fb in ("encoders", "tracker"):
            runs = [
                reach(real, src, t, feedback=fb, duration=duration, seed=seed + i)
                for i, t in enumerate(targets)
            ]
            finals = [r["final_mm"] for r in runs if r["status"] == "ok"]
            row[fb] = {
                "median_mm": float(np.median(finals)) if finals else None,
                "max_mm": float(np.max(finals)) if finals else None,
                "failed": sum(r["status"] != "ok" for r in runs),
            }
        out[name] = row
    return out


# -- one spec ------------------------------------------------------------------------
def run_spec(entry: dict, figdir: Path, *, progress: bool = False, log=None) -> dict:
    """Everything the section reports for one spec (see the module docstring)."""
    from armjac.mismatch import collect, load_spec, static_samples

    log = log or (lambda *_: None)
    t_start = time.perf_counter()
    spec = load_spec(entry["spec"])
    seed = entry["seed"]
    real = spec.realize(seed)
    budgets = entry["budgets"]
    n_max = max([entry["budget"], *budgets])
    trk = spec.tracker
    duration = n_max / trk.rate_hz / (1.0 - trk.dropout) * 1.02 + trk.latency_ms * 1e-3 + 1.0
    phases = {}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if entry["data"] == "static":
        data = static_samples(real, n_max, seed=seed + 3000)
    else:
        data = collect(real, duration, seed=seed, progress=progress)
    phases["collect_s"] = time.perf_counter() - t0
    log(f"mismatch {spec.name}: {len(data)} tracker samples ({entry['data']})")
    test = static_samples(real, entry["n_test"], seed=seed + 1000)
    n_j = min(N_JACOBIAN, entry["n_test"])
    jac_true = np.array([real.measured_jacobian(ql) for ql in test.truth_q[:n_j]])

    t0 = time.perf_counter()
    q, x = data.pairs(entry["budget"])
    sources, info = build_models(real, q, x, entry["learn"], adapt=entry.get("adapt"),
                                 progress=progress)  # fmt: skip
    phases["models_s"] = time.perf_counter() - t0
    static = {n: static_errors(s, test, test.truth_q[:n_j], jac_true) for n, s in sources.items()}

    control = None
    if entry["control"]:
        t0 = time.perf_counter()
        targets = reach_targets(real, entry["n_targets"], seed + 2000)
        usable = {n: src for n, src in sources.items()  # adapted rows: see recovery
                  if static[n]["fk_median_mm"] < HOPELESS_MM
                  and "adapter" not in info.get(n, {})}  # fmt: skip
        control = control_errors(real, usable, targets, entry["reach_duration"], seed)
        phases["control_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    budget_rows = []
    for n in budgets:
        qn, xn = data.pairs(n)
        srcs, _ = build_models(real, qn, xn, entry["learn"], which=BUDGET_MODELS)
        budget_rows.append(
            {
                "n": n,
                **{
                    k: static_errors(s, test, test.truth_q[:n_j], jac_true)["fk_median_mm"]
                    for k, s in srcs.items()
                },
            }
        )
    phases["budgets_s"] = time.perf_counter() - t0
    recovery = None
    if entry.get("recovery"):
        from armjac.compare.adapted import run_recovery

        t0 = time.perf_counter()
        recovery = run_recovery(entry, sources, figdir, f"{spec.name}_{entry['data']}_seed{seed}")
        phases["recovery_s"] = time.perf_counter() - t0
    fig = None
    if budget_rows:
        from armjac.compare.plots import budget_figure

        fig = budget_figure(
            budget_rows,
            static["nominal"]["fk_median_mm"],
            figdir / f"budget_{spec.name}_{entry['data']}_seed{seed}.png",
            spec.name,
        )
    noise = trk.noise_mm
    result = {
        "spec": spec.to_dict(),
        "seed": seed,
        "budget": entry["budget"],
        "n_samples_collected": len(data),
        "data": entry["data"],
        "exploration_s": round(duration, 1) if entry["data"] == "trajectory" else None,
        "noise_floor_rms_mm": float(np.sqrt(3) * noise),
        "truth": {
            k: (None if v is None else np.asarray(v).tolist()) for k, v in real.truth.items()
        },
        "models": info,
        "static": static,
        "control": control,
        "budgets": budget_rows,
        "budget_figure": None if fig is None else str(fig),
        "recovery": recovery,
    }
    phases["total_s"] = time.perf_counter() - t_start
    phases["cpu_s"] = time.process_time() - cpu0
    result["phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    result["verdict"] = verdict(result)
    return result


def run_section(entries: list[dict], out: Path, *, progress=False, log=None) -> list[dict]:
    """Run every entry; figures go to ``out/figures`` (paths relative to ``out``)."""
    figdir = Path(out) / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    results = []
    for entry in entries:
        res = run_spec(entry, figdir, progress=progress, log=log)
        if res["budget_figure"]:
            res["budget_figure"] = str(Path(res["budget_figure"]).relative_to(out))
        for key, val in (res.get("recovery") or {}).items():
            if key.endswith("_figure"):
                res["recovery"][key] = str(Path(val).relative_to(out))
        results.append(res)
    return results


# -- the verdict ---------------------------------------------------------------------
def _best(d: dict, key) -> tuple[str, float]:
    vals = {k: key(v) for k, v in d.items() if key(v) is not None}
    name = min(vals, key=vals.get)
    return name, vals[name]


def _word(ratio: float) -> str:
    return "beats" if ratio > 1.05 else ("ties with" if ratio > 0.95 else "loses to")


def verdict(r: dict) -> list[str]:
    """Plain-language conclusions computed from a spec's numbers."""
    s = r["static"]
    fk = {k: v["fk_median_mm"] for k, v in s.items()}
    out = []
    best, val = _best(s, lambda v: v["fk_median_mm"])
    out.append(
        f"From {r['budget']} tracker samples the most accurate model of the tip is **{best}** "
        f"(median FK error {val:.2f} mm on held-out configurations); the URDF with the assumed "
        f"tool point is off by {fk['nominal']:.1f} mm."
    )
    if "calibrated" in fk:
        cal_rms = r["models"]["calibrated"]["residual_mm"]["rms"]
        floor = r["noise_floor_rms_mm"]
        near = cal_rms < 1.15 * floor
        out.append(
            f"Calibration fits the samples to {cal_rms:.2f} mm RMS against a tracker noise floor "
            f"of {floor:.2f} mm RMS: "
            + (
                "at the noise floor, so the geometric model explains the data"
                if near
                else f"{cal_rms / floor:.1f}x the floor, so the arm has errors "
                "the geometric model cannot express"
            )
            + f"; held-out median {fk['calibrated']:.2f} mm."
        )
    for name in ("calibrated+residual", "residual"):
        if name in fk and "calibrated" in fk:
            ratio = fk["calibrated"] / fk[name]
            base = r["models"].get(name, {}).get("joint_errors_base")
            on = " (its base calibrated with the joint-error model)" if base else ""
            out.append(
                f"The {name} network{on} {_word(ratio)} geometric calibration alone "
                f"({fk[name]:.2f} vs {fk['calibrated']:.2f} mm, {ratio:.2f}x)."
            )
    if "calibrated+joint" in fk and "calibrated+residual" in fk:
        j, n = fk["calibrated+joint"], fk["calibrated+residual"]
        ratio = j / n
        out.append(
            f"Calibration with the joint-error model (encoder eccentricity and joint compliance "
            f"as parameters) reaches {j:.2f} mm; the calibrated+residual network "
            f"{_word(ratio)} it ({n:.2f} mm, {ratio:.2f}x)"
            + (
                ": the gain over geometric calibration comes from the parametric model, not "
                "from the network."
                if ratio < 1.05
                else "."
            )
        )
    if "learned" in fk:
        out.append(
            f"A network learned from the samples alone, without the URDF, reaches "
            f"{fk['learned']:.1f} mm: {r['budget']} samples are far too few for the whole map."
            if fk["learned"] > 3 * min(fk.values())
            else f"A network learned from the samples alone reaches {fk['learned']:.2f} mm."
        )
    rows = r["budgets"]
    if rows and "calibrated+residual" in rows[0]:
        wins = [row["n"] for row in rows if row["calibrated+residual"] < 0.95 * row["calibrated"]]
        out.append(
            "Against the data budget, the residual on the calibrated arm beats calibration from "
            f"{wins[0]} samples on."
            if wins
            else "Against the data budget, the residual on the calibrated arm never beats "
            "calibration by more than 5 %."
        )
    c = r["control"]
    if c:
        enc = {k: v["encoders"]["median_mm"] for k, v in c.items() if v["encoders"]["median_mm"]}
        trk = {k: v["tracker"]["median_mm"] for k, v in c.items() if v["tracker"]["median_mm"]}
        if enc:
            b = min(enc, key=enc.get)
            out.append(
                f"Reaching with encoders only, the final error follows the FK error: best "
                f"{b} ({enc[b]:.2f} mm), nominal {enc.get('nominal', float('nan')):.1f} mm."
            )
        good = {k: v for k, v in trk.items() if s[k]["jac_rel_median"] < 0.1}
        if good:
            bad = sorted(set(trk) - set(good))
            out.append(
                f"With the tracker closing the loop, every model whose Jacobian is within 10 % "
                f"ends within {min(good.values()):.2f}-{max(good.values()):.2f} mm of the target: "
                "with position feedback the FK error hardly matters."
                + (
                    f" {', '.join(bad)} (Jacobian error above 10 %) does not get there "
                    f"({', '.join(f'{trk[b]:.0f} mm' for b in bad)})."
                    if bad
                    else ""
                )
            )
    from armjac.compare.adapted import verdict_lines

    return out + verdict_lines(r)


# -- the report ------------------------------------------------------------------------
ORDER = ("nominal", "calibrated", "calibrated+joint", "learned", "residual", "calibrated+residual")


def section_markdown(results: list[dict]) -> list[str]:
    """The report's mismatch section."""
    from armjac.compare.report import table

    lines = ["## Mismatch: when the arm is not its URDF", ""]
    for r in results:
        spec = r["spec"]
        lines += [f"### {spec['name']} (seed {r['seed']})", ""]
        if spec.get("description"):
            lines += [spec["description"], ""]
        source = (f"{r['exploration_s']} s of exploration" if r["data"] == "trajectory" else
                  "the static sampler (FK of the real arm at iid random q with the sensor "
                  "models; no dynamics)")  # fmt: skip
        lines += [
            f"{r['n_samples_collected']} tracker samples from {source}; models from the first "
            f"{r['budget']}; static errors on held-out "
            f"configurations against the real arm. Time: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in r["phases_s"].items())
            + ".",
            "",
        ]
        names = [n for n in ORDER if n in r["static"]] + [n for n in r["static"] if n not in ORDER]
        rows = []
        for n in names:
            s = r["static"][n]
            row = [
                n,
                f"{s['fk_median_mm']:.3f}",
                f"{s['fk_p95_mm']:.3f}",
                f"{100 * s['jac_rel_median']:.2f}",
            ]
            if r["control"]:
                c = r["control"].get(n)
                row += (
                    ["not run", "not run"]
                    if c is None
                    else [_mm(c["encoders"]["median_mm"]), _mm(c["tracker"]["median_mm"])]
                )
            rows.append(row)
        header = ["model", "FK median [mm]", "FK p95 [mm]", "J err median [%]"]
        if r["control"]:
            header += ["reach, encoders [mm]", "reach, tracker [mm]"]
        lines += table(rows, header)
        if r["control"] and len(r["control"]) < len(names):
            lines += [f"Models with a median FK error above {HOPELESS_MM:.0f} mm are not run in "
                      "closed loop (*not run*); the adapted models (*RULE on BASE*, adapted "
                      "along a path, then frozen) are judged in closed loop by the recovery "
                      "runs below.", ""]  # fmt: skip
        if r["budgets"]:
            keys = [k for k in BUDGET_MODELS if k in r["budgets"][0]]
            lines += ["Median held-out FK error [mm] against the number of tracker samples:", ""]
            lines += table(
                [[str(b["n"]), *(f"{b[k]:.3f}" for k in keys)] for b in r["budgets"]],
                ["samples", *keys],
            )
            if r["budget_figure"]:
                lines += [f"![error against data budget]({r['budget_figure']})", ""]
        if r.get("recovery"):
            from armjac.compare.adapted import recovery_markdown

            lines += recovery_markdown(r["recovery"])
        lines += ["**Verdict.**", ""] + [f"- {v}" for v in r["verdict"]] + [""]
    return lines


def _mm(v) -> str:
    return "failed" if v is None else f"{v:.3f}"
