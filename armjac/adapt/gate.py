"""Which tracker samples an adapting model learns from: one gate for every rule.

A tracker sometimes delivers a sample that has nothing to do with the tip: a
reflection, a swapped marker, a unit slip (mm read as m). One such sample fed
to a least-squares or secant rule can ruin the model for the rest of the run
(an RLS weight or Broyden's ``J`` of 1e200). The gate compares each sample
with the model's own prediction before the update, the *innovation*
``e = x_measured - fk(q)``, and with the innovations it learned from lately
(the median ``m`` of the last 20): its *limit* is ``max(max_innovation, 10 m)``,
or ``max_jump`` while fewer than 5 samples were learned from.

* ``|e| <= limit``: learned from;
* ``limit < |e| <= max_jump``: held back as a *suspect*; once ``confirm``
  suspects in a row agree with each other (innovations within a fifth of the
  limit of the previous one) the change is taken for real (a new tool, a
  knock): the latest of them is learned from and the history starts again;
* ``|e| > max_jump``: never learned from (no tool change moves a tip that far).

So a model that is right to a millimetre learns from every tool change below
``max_innovation`` at once, and from a larger one after ``confirm`` samples;
a poor model (a network still far off) keeps learning from its large but
steady errors; and a lone sample a kilometre (or 1e200 m) off changes nothing.

Every sample held back is counted (``n_rejected``); the first one also raises
an :class:`AdaptationWarning`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from armjac.errors import InputError
from armjac.validation import as_count, check_gain

AGREE = 0.2  # suspects agree when their innovations differ by less than this x the limit
WINDOW = 20  # innovations learned from that set the limit
RATIO = 10.0  # limit = RATIO x their median (at least max_innovation)
MIN_HISTORY = 5  # below this many, the limit is max_jump


class AdaptationWarning(UserWarning):
    """An adapting model held back a tracker sample (see :mod:`armjac.adapt.gate`)."""


class SampleGate:
    """Innovation gate for tracker samples (see the module docstring).

    Parameters
    ----------
    max_innovation : float
        m; the smallest limit: innovations up to this are always learned from
        (once the model has a history). Above every change the model is meant
        to follow in one step and far above the tracker noise.
    confirm : int
        Suspects in a row, agreeing with each other, that make a change real
        (1: every sample up to ``max_jump`` is learned from).
    max_jump : float
        m; larger innovations are never learned from (>= ``max_innovation``).
    """

    def __init__(self, max_innovation: float = 0.25, confirm: int = 3, max_jump: float = 2.0):
        self.max_innovation = check_gain("max_innovation", max_innovation)
        self.confirm = as_count(confirm, "confirm", minimum=1)
        self.max_jump = check_gain("max_jump", max_jump)
        if self.max_jump < self.max_innovation:
            raise InputError(f"max_jump must be >= max_innovation ({self.max_innovation:g} m); "
                             f"got {max_jump!r}")  # fmt: skip
        self.n_rejected = 0
        self._suspects: list[np.ndarray] = []
        self._history: list[float] = []

    def limit(self) -> float:
        """The largest innovation (m) learned from without confirmation, now."""
        if len(self._history) < MIN_HISTORY:
            return self.max_jump
        return min(self.max_jump, max(self.max_innovation, RATIO * float(np.median(self._history))))

    def admit(self, innovation: np.ndarray) -> bool:
        """Whether to learn from a sample with this ``innovation`` (3,), m."""
        e = np.asarray(innovation, float)
        ex, ey, ez = (float(v) for v in e)
        size = math.sqrt(ex * ex + ey * ey + ez * ez)  # inf or nan for what follows
        if size <= self.max_innovation:  # the usual case: at most the smallest limit
            self._suspects.clear()
            self._remember(size)
            return True
        size = float(np.max(np.abs(e))) if np.all(np.isfinite(e)) else np.inf
        if size > self.max_jump:
            self._suspects.clear()
            self._reject(size)
            return False
        size = float(np.linalg.norm(e))  # safe from overflow now
        limit = self.limit()
        if size <= limit:
            self._suspects.clear()
            self._remember(size)
            return True
        agree = self._suspects and np.linalg.norm(e - self._suspects[-1]) <= AGREE * limit
        self._suspects = [*self._suspects, e] if agree else [e]
        if len(self._suspects) >= self.confirm:  # a real change: a new scale from here
            self._suspects.clear()
            self._history.clear()
            self._remember(size)
            return True
        self._reject(size)
        return False

    def _remember(self, size: float) -> None:
        self._history.append(size)
        if len(self._history) > WINDOW:
            del self._history[0]

    def _reject(self, size: float) -> None:
        self.n_rejected += 1
        if self.n_rejected == 1:
            warnings.warn(
                f"an adapting model held back a tracker sample {size:.3g} m from its prediction "
                f"(its limit is {self.limit():.3g} m, max_jump {self.max_jump:g} m); held-back "
                "samples are counted in n_rejected",
                AdaptationWarning,
                stacklevel=4,
            )

    def __repr__(self) -> str:
        return (f"SampleGate(max_innovation={self.max_innovation:g}, confirm={self.confirm}, "
                f"max_jump={self.max_jump:g})")  # fmt: skip
