"""The force part of the mismatch section in the report: tables, a figure and the verdict
in newtons (numbers from :func:`armjac.compare.force.run_force`)."""

from __future__ import annotations

import math

from armjac.compare.markdown import fmt, table

PRESS_TARGET_N = 1.0  # issue target: calibrated J and identified load
PRESS_EXACT_TARGET_N = 0.5  # issue target: the exact model


def _cell(v: dict) -> str:
    return f"{v['median_N']:.3f} ({v['p95_N']:.2f})"


def _static_table(s: dict) -> list[str]:
    gs = list(next(iter(s["errors"].values())))
    rows = [[j, *(_cell(row[g]) for g in gs)] for j, row in s["errors"].items()]
    return table(rows, ["J from \\ g from", *gs])


def _load_table(s: dict) -> list[str]:
    rows = [
        [name, f"{v['mass_kg']:.3f} ({v['true_mass_kg']:.3f})", fmt(v["mass_error_pct"], ".2f"),
         f"{v['com_error_mm']:.1f}", f"{v['condition']:.2f}", f"{v['residual_rms_Nm']:.3f}"]
        for name, v in s["loads"].items()
    ]  # fmt: skip
    return table(rows, ["g", "mass [kg] (true)", "mass error [%]", "CoM error [mm]",
                        "condition", "fit residual RMS [N·m]"])  # fmt: skip


def force_markdown(f: dict) -> list[str]:
    """The tables (and figure) of one spec's force part."""
    s = f["static"]
    sensor = s["torque_sensor"]
    lines = ["#### Force from joint torques", ""]
    lines += [
        f"Static: {s['newtons']:g} N at the real tool point along +-x, +-y, +-z at {s['n_poses']} "
        "held-out poses; the joint-torque sensor (noise "
        f"{sensor['noise_Nm']:g} N·m, bias RMS {sensor['bias_Nm_rms']:.3g} N·m) reads "
        "`g_real - J_real^T F`, and each model estimates `F` from the encoder readings with "
        "its J at its tool point and the g of each column. ‖F_est - F‖ [N], median (p95):",
        "",
    ]
    lines += _static_table(s)
    lines += ["Loads identified from the sensor at static poses designed on the nominal "
              "arm (`identify_load`):", ""]  # fmt: skip
    lines += _load_table(s)
    after = f.get("after_tool_change")
    if after:
        lines += [f"After the unknown tool change (+{after['tool_extension_m']:g} m, "
                  f"+{after['tool_mass_kg']:g} kg), same poses: J still at the old tool point "
                  "(exact: the new one); `load data` is the old datasheet, `identified` the "
                  "load identified again:", ""]  # fmt: skip
        lines += _static_table(after)
    if f.get("press"):
        lines += ["Sensorless press on the real arm (the press_sensorless task; force loop on "
                  "the observer through the row's J and g, `identified` on the J model's own "
                  "chain; `exact`: the real arm read without encoder errors; scored by the "
                  "simulator's contact force):", ""]  # fmt: skip
        rows = [
            [p["j"], p["g"], p["status"], fmt(p.get("force_rmse_N"), ".3f"),
             fmt(p.get("force_mean_N"), ".2f"), fmt(p.get("touchdown_peak_N"), ".0f"),
             fmt(p.get("impact_bound_N"), ".0f"), fmt(p.get("contact_lost_steps"), ".0f"),
             fmt(p.get("load_mass_kg"), ".3f")]
            for p in f["press"]
        ]  # fmt: skip
        lines += table(rows, ["J", "g", "status", "force RMSE [N]", "mean force [N]",
                              "touchdown peak [N]", "impact bound [N]", "contact lost [steps]",
                              "identified mass [kg]"])  # fmt: skip
    tc = f.get("tool_change")
    if tc and tc.get("runs"):
        su = tc["setup"]
        lines += [f"Tool change (+{su['tool_extension']} m, +{su['tool_mass']} kg at "
                  f"{su['at']} s), base **{tc['base']}**: the observer on the controller's "
                  "model (the load data's g, the adapting model's J) watching the "
                  "contact-free hand, whose true external force is zero:", ""]  # fmt: skip
        rows = [
            [k, v["status"], fmt(v.get("force_before_change_N"), ".2f"),
             fmt(v.get("force_end_N"), ".2f"), _seconds(v.get("force_recovery_time_s")),
             _seconds(v.get("recovery_time_s"))]
            for k, v in tc["runs"].items()
        ]  # fmt: skip
        lines += table(rows, ["rule", "status", "‖F_est‖ before the change [N]",
                              "‖F_est‖, last second [N]", "‖F_est‖ stays within 1 N after",
                              "tip stays within 2 mm after"])  # fmt: skip
        if tc.get("figure"):
            lines += [f"![estimated force after the tool change]({tc['figure']})", ""]
    return lines


def _seconds(v) -> str:
    return "never" if v is None else f"{v:.2f} s"


def _err(s: dict, j: str, g: str) -> float:
    return s["errors"].get(j, {}).get(g, {}).get("median_N", math.nan)


def force_verdict(f: dict) -> list[str]:
    """What each model buys over the nominal URDF, in newtons."""
    s = f["static"]
    out = []
    urdf = _err(s, "nominal", "nominal")
    gs = [g for g in next(iter(s["errors"].values())) if g != "exact"]
    load = s["loads"]["identified"]
    g_text = ", ".join(f"{g} {_err(s, 'nominal', g):.2f} N" for g in gs if g != "nominal")
    out.append(
        f"Holding {s['newtons']:g} N at the tool, the URDF (its J, no tool in g) misestimates "
        f"the force by {urdf:.2f} N (median over poses and directions). With the URDF's J and "
        f"a better g: {g_text}; the exact g leaves {_err(s, 'nominal', 'exact'):.2f} N, what the "
        f"URDF's J costs. The load identified from {load['n_poses']} static poses weighs "
        f"{load['mass_kg']:.3f} kg (true {load['true_mass_kg']:.3f})."
    )
    buys = []
    for j in s["errors"]:
        if j == "exact":
            continue
        best = min(gs, key=lambda g: _err(s, j, g))
        gain = urdf - _err(s, j, best)
        buys.append(f"**{j}** {_err(s, j, best):.3f} N with g {best} "
                    f"({abs(gain):.2f} N {'better' if gain >= 0 else 'worse'})")  # fmt: skip
    out.append(f"Best estimate per model's J without the real arm's g, against the URDF's "
               f"{urdf:.2f} N: " + "; ".join(buys) + ".")  # fmt: skip
    jbuy = {j: _err(s, "nominal", "exact") - _err(s, j, "exact") for j in s["errors"]
            if j not in ("nominal", "exact")}  # fmt: skip
    if jbuy:
        b = max(jbuy, key=jbuy.get)
        out.append(f"With the exact g, J alone is worth {jbuy[b]:.3f} N at most (**{b}**: "
                   f"{_err(s, b, 'exact'):.3f} N against the URDF's J "
                   f"{_err(s, 'nominal', 'exact'):.3f} N): in newtons, g is what matters "
                   "most.")  # fmt: skip
    out += _press_verdict(f.get("press") or [])
    out += _tool_verdict(f)
    return out


def _press_verdict(press: list[dict]) -> list[str]:
    ok = {(p["j"], p["g"]): p["force_rmse_N"] for p in press
          if p["status"] == "ok" and p.get("force_rmse_N") is not None}  # fmt: skip
    if not ok:
        return []
    parts = [f"J {j} + g {g}: {v:.2f} N" for (j, g), v in ok.items()]
    text = "Sensorless press, force RMSE on the real arm: " + ", ".join(parts)
    cal = [v for (j, g), v in ok.items() if j != "nominal" and j != "exact" and g == "identified"]
    if cal:
        met = "meets" if min(cal) <= PRESS_TARGET_N else "misses"
        text += f"; a calibrated J with the identified load {met} the {PRESS_TARGET_N:g} N target"
    exact = ok.get(("exact", "real"))
    if exact is not None:
        met = "meets" if exact <= PRESS_EXACT_TARGET_N else "misses"
        text += f"; the exact model {met} {PRESS_EXACT_TARGET_N:g} N"
    return [text + "."]


def _tool_verdict(f: dict) -> list[str]:
    out = []
    tc = (f.get("tool_change") or {}).get("runs") or {}
    ok = {k: v for k, v in tc.items() if v["status"] == "ok"}
    if ok:
        back = sorted(k for k, v in ok.items() if v.get("force_recovery_time_s") is not None)
        ends = ", ".join(f"{k} {fmt(v.get('force_end_N'), '.2f')} N" for k, v in ok.items())
        pre = [v.get("force_before_change_N") for v in ok.values()]
        pre = [v for v in pre if v is not None]
        text = ("After the unknown tool change the contact-free hand's estimated force "
                f"(truth 0) ends at {ends}; ")  # fmt: skip
        text += (f"back within 1 N: {', '.join(back)}" if back else
                 "no adaptation rule brings it back within 1 N: the rules adapt the kinematics "
                 "(J, FK), not the weight the new tool adds to g")  # fmt: skip
        if pre and min(pre) > 1.0:
            text += (f" (and it was {min(pre):.2f}-{max(pre):.2f} N even before the change: "
                     "the model's dynamics errors while the arm moves)")  # fmt: skip
        out.append(text + ".")
    after = f.get("after_tool_change")
    if after:
        old = _err(after, "nominal", "load data")
        new = _err(after, "nominal", "identified")
        best_g = min(after["errors"]["exact"], key=lambda g: _err(after, "exact", g)
                     if g != "exact" else math.inf)  # fmt: skip
        out.append(f"Re-identifying the load fixes the weight: after the change, with the URDF's "
                   f"J at the old tool point, the old load data gives {old:.2f} N median, a "
                   f"re-identified load {new:.2f} N; with J at the new tool point and g "
                   f"{best_g}, {_err(after, 'exact', best_g):.2f} N: the tool's new length "
                   "must reach J too (a tool-point adaptation does that).")  # fmt: skip
    return out
