"""The mismatch section's verdict: plain-language conclusions computed from its numbers."""

from __future__ import annotations

from armjac.compare.adapted import verdict_lines
from armjac.compare.force_report import force_verdict


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
    out += verdict_lines(r)
    return out + (force_verdict(r["force"]) if r.get("force") else [])
