"""The mismatch section of the comparison report (markdown)."""

from __future__ import annotations

from armjac.compare.adapted import recovery_markdown
from armjac.compare.force_report import force_markdown
from armjac.compare.markdown import table
from armjac.compare.mismatch_options import BUDGET_MODELS
from armjac.compare.mismatch_scores import HOPELESS_MM

ORDER = ("nominal", "calibrated", "calibrated+joint", "learned", "residual", "calibrated+residual")


def section_markdown(results: list[dict]) -> list[str]:
    """The report's mismatch section."""
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
            lines += recovery_markdown(r["recovery"])
        if r.get("force"):
            lines += force_markdown(r["force"])
        lines += ["**Verdict.**", ""] + [f"- {v}" for v in r["verdict"]] + [""]
    return lines


def _mm(v) -> str:
    return "failed" if v is None else f"{v:.3f}"
