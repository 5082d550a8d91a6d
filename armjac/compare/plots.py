"""Figures of the comparison report (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from armjac.scenarios.plots import pyplot, save_figure

COLORS = {"analytic": "tab:blue", "pybullet": "tab:green"}
DPI = 100  # report figures: smaller files than the scenario plots
_CYCLE = ["tab:orange", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive"]


def accuracy_figures(raw: dict, summary: dict, joint_names, out: Path, tag: str) -> dict[str, Path]:
    """Histogram, per-joint, vs manipulability, workspace map, FK error, column angles."""
    plt = pyplot()
    out.mkdir(parents=True, exist_ok=True)
    rel = 100 * raw["rel"]
    figs = {}
    st = summary["jac_rel"]

    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.hist(rel, bins=60, color="tab:orange", alpha=0.8)
    for key, ls in (("median", "-"), ("p95", "--"), ("p99", ":")):
        ax.axvline(100 * st[key], color="k", ls=ls, label=f"{key} {100 * st[key]:.2f}%")
    ax.set_xlabel("relative Frobenius error of J_v [%]")
    ax.set_ylabel("configurations")
    ax.set_title(f"{tag}: Jacobian error over {len(rel)} held-out configurations")
    ax.legend()
    figs["histogram"] = save_figure(fig, DPI, out / f"{tag}_jac_hist.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    labels = [f"{i + 1}" for i in range(len(joint_names))]
    axes[0].boxplot(1e3 * raw["col_err"], labels=labels, showfliers=False)
    axes[0].set_xlabel("joint (column)")
    axes[0].set_ylabel("|J_learned[:, j] - J[:, j]| [mm/rad]")
    axes[0].set_title("per-column error")
    ang = np.degrees(raw["angles"])
    data = [a[np.isfinite(a)] if np.isfinite(a).any() else np.array([np.nan]) for a in ang.T]
    axes[1].boxplot(data, labels=labels, showfliers=False)
    axes[1].set_xlabel("joint (column)")
    axes[1].set_ylabel("angle [deg]")
    axes[1].set_title("angle between learned and analytic columns")
    figs["per_joint"] = save_figure(fig, DPI, out / f"{tag}_per_joint.png")

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.scatter(raw["w"], rel, s=3, alpha=0.3, color="tab:orange")
    bins = summary["vs_manipulability"]["bins"]
    mid = [np.sqrt(max(b["w_low"], 1e-12) * b["w_high"]) for b in bins]
    ax.plot(mid, [100 * b["rel_median"] for b in bins], "k-o", ms=4, label="median per bin")
    ax.plot(mid, [100 * b["rel_p95"] for b in bins], "k--", lw=1, label="p95 per bin")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("manipulability sqrt(det(J_v J_v^T)) of the analytic J")
    ax.set_ylabel("relative error [%]")
    ax.set_title(f"{tag}: error against distance to singularity")
    ax.legend()
    figs["manipulability"] = save_figure(fig, DPI, out / f"{tag}_vs_manipulability.png")

    pos = raw["pos"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    vmax = np.percentile(rel, 99)
    for ax, (a, b, na, nb) in zip(axes, ((0, 1, "x", "y"), (0, 2, "x", "z")), strict=True):
        sc = ax.scatter(pos[:, a], pos[:, b], c=rel, s=4, cmap="viridis", vmin=0, vmax=vmax)
        ax.set_xlabel(f"{na} [m]")
        ax.set_ylabel(f"{nb} [m]")
        ax.set_aspect("equal", adjustable="datalim")
    fig.colorbar(sc, ax=axes, label="relative J error [%]")
    fig.suptitle(f"{tag}: error over the workspace (EE positions)")
    fig.savefig(out / f"{tag}_workspace.png", dpi=100)
    plt.close(fig)
    figs["workspace"] = out / f"{tag}_workspace.png"

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    fk = 1e3 * raw["fk_err"]
    ax.hist(fk, bins=60, color="tab:purple", alpha=0.8)
    ax.axvline(np.median(fk), color="k", label=f"median {np.median(fk):.2f} mm")
    ax.axvline(
        np.percentile(fk, 95), color="k", ls="--", label=f"p95 {np.percentile(fk, 95):.2f} mm"
    )
    ax.set_xlabel("FK position error [mm]")
    ax.set_title(f"{tag}: learned FK error")
    ax.legend()
    figs["fk"] = save_figure(fig, DPI, out / f"{tag}_fk_hist.png")
    return figs


def source_color(label: str, learned: list[str]) -> str:
    """Matplotlib colour of a source.

    ``analytic`` and ``pybullet`` have fixed colours; other labels cycle through a
    palette by their index in ``learned`` (labels not in it share the next slot).
    """
    if label in COLORS:
        return COLORS[label]
    i = learned.index(label) if label in learned else len(learned)
    return _CYCLE[i % len(_CYCLE)]


def path_figure(logs: dict[str, dict], title: str, path: Path, learned: list[str]) -> Path:
    """End-effector paths of every source on one figure: 3-D view and error over time."""
    plt = pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(11, 4.5))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax2 = fig.add_subplot(1, 2, 2)
    target_drawn = False
    for label, log in logs.items():
        ee, tgt, t = log["ee_pos"], log["target_pos"], log["t"]
        if not len(ee):
            continue
        ls = ":" if label.endswith("learned FK") else "-"
        color = source_color(label, learned)
        if not target_drawn:
            distinct = np.unique(tgt.round(9), axis=0)
            if len(distinct) <= 20:
                ax.scatter(*distinct.T, color="k", marker="x", s=40, label="targets")
            else:
                ax.plot(*tgt.T, "--", color="k", lw=1, label="target")
            target_drawn = True
        ax.plot(*ee.T, ls, color=color, lw=1, label=label)
        err = np.linalg.norm(ee - tgt, axis=1)
        ax2.semilogy(t, np.maximum(err, 1e-7), ls, color=color, lw=1, label=label)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_zlabel("z [m]")
    ax.set_title(f"{title}: end-effector path")
    ax.legend(fontsize=7)
    ax2.set_xlabel("time [s]")
    ax2.set_ylabel("position error [m]")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.set_title("position error")
    ax2.legend(fontsize=7)
    return save_figure(fig, DPI, path)


def timing_figure(rows: list[dict], path: Path) -> Path:
    """Bar chart of the median per-call Jacobian time per source/backend (log scale)."""
    plt = pyplot()
    ok = [r for r in rows if r.get("per_call_us")]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(ok))))
    names = [f"{r['source']} ({r['backend']})" for r in ok]
    vals = [r["per_call_us"] for r in ok]
    ax.barh(names, vals, color="tab:gray")
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v:.1f} us", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("median time per jacobian(q) call [us]")
    ax.invert_yaxis()
    return save_figure(fig, DPI, path)


def budget_figure(rows: list[dict], nominal_mm: float, path: Path, title: str) -> Path:
    """Median held-out FK error against the number of tracker samples (log-log)."""
    fig, ax = pyplot().subplots(figsize=(5.5, 3.8))
    n = [r["n"] for r in rows]
    for key in [k for k in rows[0] if k != "n"]:
        ax.plot(n, [r[key] for r in rows], "o-", label=key)
    ax.axhline(nominal_mm, color="0.5", ls="--", label="nominal")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tracker samples")
    ax.set_ylabel("median FK error [mm]")
    ax.set_title(f"error against data budget: {title}")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, 110, path)


def force_curves_figure(curves: dict, at: float, path: Path, title: str, tol: float = 1.0) -> Path:
    """Estimated force magnitude (N) against time, one line per adaptation rule, with the
    tool change and the tolerance marked."""
    fig, ax = pyplot().subplots(figsize=(8, 3.8))
    for label, c in curves.items():
        ax.plot(np.asarray(c["t"]), np.asarray(c["force_N"]), lw=1, label=label)
    ax.axvline(at, color="0.4", ls="--", lw=1, label="tool change")
    ax.axhline(tol, color="k", ls=":", lw=1, label=f"{tol:g} N")
    ax.set_xlabel("t [s]")
    ax.set_ylabel("|estimated force| [N] (truth: 0)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, 110, path)
