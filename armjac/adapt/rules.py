"""Update rules for a model that is linear in its adapted weights: ``y = W phi``.

Every rule here adapts a weight matrix ``W`` (M, p) from one sample at a time:
features ``phi`` (p,) and the prediction error ``e = y_model - y_measured``
(M,). All M outputs share the regressor ``phi``, so the recursive least-squares
rules keep one p x p matrix for all of them.

PES
    Nengo's Prescribed Error Sensitivity rule, ``dW = -kappa dt / n e phi^T``
    (``nengo.builder.learning_rules.SimPES``: the learning rate is divided by
    the number ``n`` of presynaptic neurons and multiplied by the simulator's
    time step). One sample is one Nengo time step.
RLS
    Recursive least squares with prior ``P0 = delta I`` around the offline
    weights ``W0``; ``forgetting`` chooses what happens to old information:

    * ``"none"``: ``lambda = 1``. ``W`` minimises
      ``|W - W0|^2 / delta + sum_k |e_k|^2`` exactly: regularised towards the
      offline weights, but the gain decays as 1/k and the model stops adapting.
    * ``"exponential"``: ``R_k = lambda R_{k-1} + phi phi^T`` (``R = P^-1``).
      Every direction is forgotten, also those the path never excites: their
      information decays to zero, ``P`` grows there ("wind-up") and noise or
      the next change moves the weights freely along them -- the model
      degrades away from the path.
    * ``"directional"``: old information is forgotten only along the
      regressor that brings new information (Kulhavy 1987; Bittanti, Bolzern
      and Campi 1990)::

          r   = phi^T P phi
          eps = lambda - (1 - lambda) / r
          R_k = R_{k-1} + eps phi phi^T

      In directions the path never excites, ``R`` keeps its prior ``I / delta``
      (the regularisation towards ``W0`` stays); along a repeated regressor
      ``r`` converges to ``(1 - lambda) / lambda``, so the gain stays alive
      there (``P`` neither winds up nor collapses).
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError
from armjac.validation import check_gain

FORGETTING = ("none", "exponential", "directional")
_TINY = 1e-12  # phi^T P phi below this: the sample carries no information


def pes_delta(phi: np.ndarray, error: np.ndarray, learning_rate: float, dt: float) -> np.ndarray:
    """Nengo's PES weight change ``-learning_rate * dt / n * outer(error, phi)`` (M, n)."""
    return np.outer((-learning_rate * dt / phi.shape[0]) * error, phi)


class PES:
    """Nengo's PES rule on decoders, in closed form.

    Parameters
    ----------
    learning_rate : float
        Nengo's ``PES(learning_rate=...)``, kappa.
    dt : float
        The Nengo time step one sample stands for (``nengo.Simulator``'s default
        0.001 s).
    """

    name = "pes"

    def __init__(self, learning_rate: float = 1e-3, dt: float = 0.001):
        self.learning_rate = check_gain("learning_rate", learning_rate)
        self.dt = check_gain("dt", dt)

    def start(self, w0: np.ndarray) -> None:
        """Begin from the weights ``w0`` (M, p) (PES keeps no other state)."""

    def step(self, w: np.ndarray, phi: np.ndarray, error: np.ndarray) -> None:
        """Update ``w`` in place from one sample."""
        w += pes_delta(phi, error, self.learning_rate, self.dt)

    def __repr__(self) -> str:
        return f"PES(learning_rate={self.learning_rate:g}, dt={self.dt:g})"


class RLS:
    """Recursive least squares on the adapted weights.

    Parameters
    ----------
    delta : float
        Prior ``P0 = delta I``: the variance of a weight's deviation from the
        offline weights, in units of the measurement noise variance. Small
        values keep the weights close to ``W0``.
    forgetting : {"directional", "exponential", "none"}
        What happens to old information (see the module docstring).
    lam : float
        Forgetting factor in (0, 1] (ignored for ``"none"``).
    reset : float
        Covariance resetting: a prediction error larger than this (m; 0: never)
        is taken for a change of the system, not noise, and ``P`` goes back to
        the prior ``delta I`` before the update, so the gain re-opens at once
        instead of at the pace ``lam`` allows.
    bounded : bool
        With exponential forgetting, rescale ``P`` whenever a weight's variance
        would exceed the prior ``delta``: forgetting then never makes a weight
        less certain than before any data, which bounds the wind-up (and keeps
        ``P`` finite over long runs) at the price of slower forgetting
        elsewhere while it is active.
    """

    name = "rls"

    def __init__(
        self,
        delta: float = 1.0,
        forgetting: str = "directional",
        lam: float = 0.99,
        bounded: bool = False,
        reset: float = 0.0,
    ):
        self.delta = check_gain("delta", delta)
        if forgetting not in FORGETTING:
            raise InputError(f"forgetting must be one of {FORGETTING}; got {forgetting!r}")
        self.forgetting = forgetting
        lam = check_gain("lam", lam)
        if lam > 1.0:
            raise InputError(f"lam must be in (0, 1]; got {lam!r}")
        self.lam = 1.0 if forgetting == "none" else lam
        self.bounded = bool(bounded)
        self.reset = check_gain("reset", reset, zero=True)
        self.n_resets = 0
        self.P: np.ndarray | None = None

    def start(self, w0: np.ndarray) -> None:
        """Begin from the weights ``w0`` (M, p) with the prior ``P = delta I``."""
        self.P = self.delta * np.eye(w0.shape[1])

    def grow(self, n: int) -> None:
        """Append ``n`` new weights (columns of ``W``) with the prior ``delta``."""
        p = self.P.shape[0]
        P = self.delta * np.eye(p + n)
        P[:p, :p] = self.P
        self.P = P

    def gain(self, phi: np.ndarray) -> np.ndarray:
        """Update ``P`` with the regressor ``phi`` and return the weight gain ``P_k phi``."""
        P, lam = self.P, self.lam
        g = P @ phi
        r = float(phi @ g)
        if r < _TINY:
            return np.zeros_like(phi)
        if self.forgetting == "directional":
            eps = lam - (1.0 - lam) / r
            # P_k = P - eps g g^T / (1 + eps r);  1 + eps r = lam (1 + r) > 0
            P -= (eps / (lam * (1.0 + r))) * np.outer(g, g)
            return g / (lam * (1.0 + r))
        # c * outer(g, g) is exactly symmetric; outer(c * g, g) is not, and with
        # lam < 1 the antisymmetric rounding grows as lam^-k until P is indefinite
        P -= (1.0 / (lam + r)) * np.outer(g, g)
        if lam != 1.0:
            P /= lam
            if self.bounded:
                worst = float(P.diagonal().max())
                if worst > self.delta:
                    P *= self.delta / worst
        return g / (lam + r)

    def step(self, w: np.ndarray, phi: np.ndarray, error: np.ndarray) -> None:
        """Update ``w`` in place from one sample."""
        if self.P is None:
            self.start(w)
        if self.reset and float(error @ error) > self.reset**2:
            self.P = self.delta * np.eye(self.P.shape[0])
            self.n_resets += 1
        w -= np.outer(error, self.gain(phi))

    def __repr__(self) -> str:
        extra = ", bounded" if self.bounded else ""
        return f"RLS(delta={self.delta:g}, forgetting={self.forgetting!r}, lam={self.lam:g}{extra})"
