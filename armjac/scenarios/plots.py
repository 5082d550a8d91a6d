"""PNG plots of a run (matplotlib, Agg) and an animated GIF of camera frames."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np

DPI = 110


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, dpi: int, path: Path) -> Path:
    """Lay ``fig`` out, write it to ``path`` (PNG) and free it; returns ``path``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def save_plots(
    log: dict, out_dir: Path, title: str, force_target: float | None = None
) -> list[Path]:
    """Write path.png, error.png, torques.png (and force.png) into ``out_dir``."""
    plt = pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    t = log["t"]
    paths = []

    fig = plt.figure(figsize=(6, 5))
    ax = fig.add_subplot(projection="3d")
    targets = log["target_pos"]
    distinct = np.unique(targets.round(9), axis=0)
    if len(distinct) <= 20:  # a few set points (reach, hold): markers, not jumps
        ax.scatter(*distinct.T, color="tab:green", marker="x", s=40, label="targets")
    else:
        ax.plot(*targets.T, "--", color="tab:green", label="target")
    ax.plot(*log["ee_pos"].T, color="tab:blue", label="end effector")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_zlabel("z [m]")
    ax.set_title(f"{title}: path")
    ax.legend()
    paths.append(save_figure(fig, DPI, out_dir / "path.png"))

    fig, ax = plt.subplots(figsize=(7, 3.5))
    err = np.linalg.norm(log["ee_pos"] - log["target_pos"], axis=1)
    ax.semilogy(t, np.maximum(err, 1e-7), label="position error [m]")
    if "orientation_error" in log:
        ax.semilogy(t, np.maximum(log["orientation_error"], 1e-7), label="orientation error [rad]")
    ax.set_xlabel("time [s]")
    ax.set_title(f"{title}: tracking error")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    paths.append(save_figure(fig, DPI, out_dir / "error.png"))

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for j in range(log["u"].shape[1]):
        ax.plot(t, log["u"][:, j], lw=0.8, label=f"joint {j + 1}")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("torque [N·m]")
    ax.set_title(f"{title}: joint torques")
    ax.legend(ncol=4, fontsize=7)
    paths.append(save_figure(fig, DPI, out_dir / "torques.png"))

    if "force" in log:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(t, log["force"], lw=0.8, label="contact (simulator)")
        if "force_reading" in log:  # what the controller read: an estimate or a sensor
            ax.plot(t, log["force_reading"][: t.size], lw=0.8, alpha=0.8,
                    label=f"controller's reading ({log.get('force_from', 'sensor')})")
        if force_target is not None:
            ax.axhline(force_target, color="tab:red", ls="--", label="target")
            ax.set_ylim(-0.5 * force_target, 3.0 * force_target)
        ax.set_xlabel("time [s]")
        ax.set_ylabel("contact force [N]")
        ax.set_title(f"{title}: normal contact force")
        ax.legend()
        paths.append(save_figure(fig, DPI, out_dir / "force.png"))
    return paths


def save_gif(frames: list[np.ndarray], path: Path, fps: float) -> Path:
    """Write RGB frames (H, W, 3) uint8 as an animated GIF."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
