"""``report.md`` (tables and embedded PNGs) and a plain ``report.html`` from metrics.json."""

from __future__ import annotations

from pathlib import Path

from armjac.compare.markdown import fmt as _f
from armjac.compare.markdown import table, to_html

__all__ = ["render", "table", "to_html", "write_report"]


def _img(path: str, alt: str) -> str:
    return f"![{alt}]({path})"


def _accuracy(m: dict) -> list[str]:
    lines = ["## 1. Jacobian accuracy over the workspace", ""]
    s = m["settings"]["accuracy"]
    lines += [
        f"Held-out sample: {s['n_samples']} configurations drawn uniformly within the joint "
        f"limits (margin {s['margin']}) with seed {s['seed']} (training uses other seeds). "
        "A learned model is position-only, so it is compared with the linear rows J_v (3 x N) "
        "of the analytic geometric Jacobian. Relative error = ||J_learned - J_v||_F / ||J_v||_F; "
        "manipulability = sqrt(det(J_v J_v^T)) of the analytic J_v.",
        "",
    ]
    rows = []
    for name, a in m["accuracy"].items():
        if "error" in a:
            rows.append([name, a["error"]] + [""] * 6)
            continue
        j, fk = a["jac_rel"], a["fk_error_mm"]
        rows.append(
            [
                name,
                _f(j["median"], ".2f", 100),
                _f(j["p95"], ".2f", 100),
                _f(j["p99"], ".2f", 100),
                _f(a["fk_rmse_mm"], ".2f"),
                _f(fk["median"], ".2f"),
                _f(fk["p95"], ".2f"),
                _f(a["angle_deg"]["median"], ".2f"),
            ]
        )
    lines += table(
        rows,
        [
            "model",
            "J err median [%]",
            "p95 [%]",
            "p99 [%]",
            "FK RMSE [mm]",
            "FK median [mm]",
            "FK p95 [mm]",
            "column angle median [deg]",
        ],
    )
    for name, a in m["accuracy"].items():
        if "error" in a:
            continue
        figs = m["figures"]["accuracy"].get(name, {})
        lines += [f"### {name}", ""]
        if "histogram" in figs:
            lines += [_img(figs["histogram"], f"{name} error histogram"), ""]
        pj = [
            [
                p["joint"],
                _f(p["abs_error_median"], ".2f", 1e3),
                _f(p["abs_error_p95"], ".2f", 1e3),
                _f(p["column_norm_median"], ".3g", 1e3),
                "column ~ 0" if p["zero_column"] else _f(p["angle_deg_median"], ".2f"),
                "" if p["zero_column"] else _f(p["angle_deg_p95"], ".2f"),
            ]
            for p in a["per_joint"]
        ]
        lines += ["Per joint (Jacobian column):", ""]
        lines += table(
            pj,
            [
                "joint",
                "error median [mm/rad]",
                "error p95 [mm/rad]",
                "J_v column norm median [mm/rad]",
                "angle median [deg]",
                "angle p95 [deg]",
            ],
        )
        if "per_joint" in figs:
            lines += [_img(figs["per_joint"], f"{name} per-joint errors"), ""]
        vm = a["vs_manipulability"]
        bins = [
            [
                f"{_f(b['w_low'])} - {_f(b['w_high'])}",
                b["n"],
                _f(b["rel_median"], ".2f", 100),
                _f(b["rel_p95"], ".2f", 100),
            ]
            for b in vm["bins"]
        ]
        lines += [
            "Error against distance to singularity (quantile bins of the manipulability; "
            "correlation of log error with log manipulability: "
            f"{_f(vm['log_correlation'], '.2f')}):",
            "",
        ]
        lines += table(bins, ["manipulability", "n", "median [%]", "p95 [%]"])
        for key, alt in (
            ("manipulability", "error vs manipulability"),
            ("workspace", "error over the workspace"),
            ("fk", "FK error"),
        ):
            if key in figs:
                lines += [_img(figs[key], f"{name} {alt}"), ""]
    return lines


def _control(m: dict) -> list[str]:
    lines = ["## 2. Control side by side", ""]
    runs = m["control"]["runs"]
    if not runs:
        return lines + ["No scenarios were configured.", ""]
    lines += [
        "Every scenario runs in PyBullet with each Jacobian source; dynamics (M, g) come from "
        "the analytic arm for learned sources. `<model>` uses J from the network and the "
        "end-effector position measured on the simulated arm; `<model> + learned FK` also "
        "measures the position with the network's FK, so its error is bounded below by the "
        "FK error of section 1. Outcome: pass (within the scenario's `expect` bounds), fail "
        "(ran, outside the bounds), diverged (simulation stopped), error (the controller "
        "refused the source).",
        "",
    ]
    if m.get("position_only_control"):
        lines += [
            "Learned models are position-only, so every source (analytic included) "
            "controls the position rows only (`ctrlr_dof` restricted to x, y, z).",
            "",
        ]
    rows = []
    for r in runs:
        mt = r.get("metrics", {})
        rows.append(
            [
                r["scenario"],
                r["seed"],
                r["source"],
                r["outcome"],
                _f(mt.get("final_position_error_m"), ".3g", 1e3),
                _f(mt.get("max_segment_final_error_m"), ".3g", 1e3),
                _f(mt.get("position_rmse_m"), ".3g", 1e3),
                _f(mt.get("settling_time_s"), ".3g"),
                _f(mt.get("force_rmse_N"), ".3g"),
                _f(mt.get("max_torque_Nm"), ".4g"),
                _f(mt.get("control_step_median_us"), ".3g"),
                (r.get("reason") or "")[:160],
            ]
        )
    lines += table(
        rows,
        [
            "scenario",
            "seed",
            "source",
            "outcome",
            "final err [mm]",
            "max segment final err [mm]",
            "RMSE [mm]",
            "settling [s]",
            "force RMSE [N]",
            "max torque [Nm]",
            "control step [us]",
            "reason",
        ],
    )
    ratios = m["control"]["ratios_to_analytic"]
    if ratios:
        lines += ["Ratios to the analytic run (same scenario and seed):", ""]
        lines += table(
            [
                [
                    r["scenario"],
                    r["seed"],
                    r["source"],
                    _f(r["position_rmse_m"], ".2f"),
                    _f(r["final_position_error_m"], ".2f"),
                    _f(r["max_segment_final_error_m"], ".2f"),
                ]
                for r in ratios
            ],
            [
                "scenario",
                "seed",
                "source",
                "RMSE ratio",
                "final error ratio",
                "max segment final error ratio",
            ],
        )
    for c in m["checks"]:
        if "worst_rmse_ratio" in c:
            verdict = "yes" if c["ok"] else "no"
            lines.append(
                f"- **{c['model']}**: position RMSE within {c['limit']:g}x analytic in "
                f"every run, none diverged: **{verdict}** (worst ratio "
                f"{_f(c['worst_rmse_ratio'], '.2f')})."
            )
        else:
            lines.append(f"- **{c['model']}**: no model ({c.get('reason', '')}).")
    lines.append("")
    for key, path in m["figures"]["paths"].items():
        scen, seed = key.split("|")
        lines += [_img(path, f"EE paths, {scen} seed {seed}"), ""]
    return lines


def _cost(m: dict) -> list[str]:
    lines = ["## 3. Cost per Jacobian call", ""]
    lines += [
        "Median over single-configuration calls, each timed on its own, in this run; "
        "batched cost is per configuration (best of a few batches).",
        "",
    ]
    rows = [
        [
            r["source"],
            r["backend"],
            _f(r.get("per_call_us"), ".3g"),
            _f(r.get("batched_per_q_us"), ".3g"),
            r.get("error", ""),
        ]
        for r in m["timing"]
    ]
    lines += table(rows, ["source", "backend", "per call [us]", "batched [us/config]", "note"])
    lines += [_img(m["figures"]["timing"], "per-call cost"), ""]
    return lines


def _settings(m: dict) -> list[str]:
    s = m["settings"]
    lines = ["## 4. Settings, seeds and versions", ""]
    lines += [
        f"- comparison file: `{s['config_file']}`",
        f"- arm: {m['arm']['name']} ({m['arm']['dof']} DOF, end effector `{m['arm']['ee_link']}`)",
        f"- scenario seeds: {s['seeds']}; accuracy sample seed: {s['accuracy']['seed']}",
        f"- references: {', '.join(s['references'])}; learned-FK runs: {s['learned_fk']}",
        f"- cache: `{m['cache_dir']}` (models and runs are reused when their inputs are unchanged)",
        "",
    ]
    rows = []
    for name, info in m["models"].items():
        where = info.get("train_config") or info.get("path", "")
        origin = info.get("origin", "")
        if origin == "trained":
            origin += " (reused)" if info.get("cached") else " (this run)"
        rows.append(
            [
                name,
                info.get("status", ""),
                origin,
                f"`{where}`",
                info.get("key", ""),
                _f(info.get("train_seconds"), ".1f"),
                info.get("description", info.get("reason", "")),
            ]
        )
    lines += table(
        rows, ["model", "status", "origin", "config / folder", "key", "training [s]", "description"]
    )
    lines += table([[k, v] for k, v in m["versions"].items()], ["package", "version"])
    lines += table([[k, _f(v, ".1f")] for k, v in m["phases_s"].items()], ["phase", "seconds"])
    lines += ["Every number above is in `metrics.json`, together with the full settings.", ""]
    return lines


def render(m: dict) -> str:
    """The markdown report for a metrics mapping."""
    lines = [f"# Learned vs analytic Jacobians: {m['name']}", ""]
    if m.get("description"):
        lines += [m["description"], ""]
    lines += [
        f"Arm **{m['arm']['name']}**, {len(m['models'])} learned model(s), created "
        f"{m['created']}, total time {m['phases_s'].get('total_s', 0):.0f} s.",
        "",
    ]
    failed = [n for n, i in m["models"].items() if i.get("status") != "ok"]
    if failed:
        lines += [f"**Models that could not be used:** {', '.join(failed)} (see section 4).", ""]
    lines += _accuracy(m) + _control(m) + _cost(m)
    if m.get("mismatch"):
        from armjac.compare.mismatch_report import section_markdown

        lines += section_markdown(m["mismatch"])
    lines += _settings(m)
    return "\n".join(lines)


def write_report(metrics: dict, out: Path) -> Path:
    """Write ``report.md`` and ``report.html`` into ``out``; returns the markdown path."""
    md = render(metrics)
    path = out / "report.md"
    path.write_text(md + "\n")
    (out / "report.html").write_text(to_html(md, f"armjac compare: {metrics['name']}"))
    return path
