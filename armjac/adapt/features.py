"""Local features for an additive correction: Gaussian bumps in joint space.

``psi_i(q) = exp(-|q - c_i|^2 / (2 sigma^2))`` around centres ``c_i`` placed
where the arm has been: a sample farther than ``spacing`` from every centre
adds one at its ``q`` (up to ``max_centres``; then the nearest centre serves).
A correction ``W psi(q)`` built on them is zero far from every visited
configuration, so adapting it cannot change the model there.
"""

from __future__ import annotations

import numpy as np

from armjac.validation import as_count, check_gain


class RBFFeatures:
    """Gaussian radial basis functions in joint space, with centres added online.

    Parameters
    ----------
    width : float
        ``sigma``, rad.
    spacing : float, optional
        Distance (rad) from every centre beyond which a sample adds one
        (default: ``width``).
    max_centres : int
        The most centres kept.
    """

    def __init__(self, width: float = 0.2, spacing: float | None = None, max_centres: int = 200):
        self.width = check_gain("width", width)
        self.spacing = self.width if spacing is None else check_gain("spacing", spacing)
        self.max_centres = as_count(max_centres, "max_centres", minimum=1)
        self.centres = np.zeros((0, 0))

    @property
    def size(self) -> int:
        """Number of features (centres)."""
        return len(self.centres)

    def observe(self, q: np.ndarray) -> int:
        """Add a centre at ``q`` (N,) if it is new ground; returns how many were added (0 or 1)."""
        if not self.size:
            self.centres = q[None].copy()
            return 1
        if self.size >= self.max_centres:
            return 0
        d2 = np.min(np.sum((self.centres - q) ** 2, axis=1))
        if d2 <= self.spacing**2:
            return 0
        self.centres = np.vstack((self.centres, q))
        return 1

    def value(self, q: np.ndarray) -> np.ndarray:
        """``psi(q)``: (K,) for q (N,), (B, K) for (B, N)."""
        diff = q[..., None, :] - self.centres
        return np.exp(np.sum(diff * diff, axis=-1) * (-0.5 / self.width**2))

    def derivative(self, q: np.ndarray) -> np.ndarray:
        """``dpsi/dq``: (K, N) for q (N,), (B, K, N) for (B, N)."""
        diff = q[..., None, :] - self.centres
        psi = np.exp(np.sum(diff * diff, axis=-1) * (-0.5 / self.width**2))
        return diff * (psi[..., None] * (-1.0 / self.width**2))

    def __repr__(self) -> str:
        return f"RBFFeatures(width={self.width:g}, centres={self.size}/{self.max_centres})"
