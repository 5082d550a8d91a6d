"""Adapting models: Jacobian sources that learn from tracker samples while they run.

Each follows the position-only numeric API of :mod:`armjac.protocols`
(``dof``, ``fk(q) -> (3,)`` / (B, 3), ``jacobian(q) -> (3, N)`` / (B, 3, N))
and adds ``update(q, x_measured, t)``: one tracker sample, the tip position
``x_measured`` (3,) measured when the joints read ``q``. Controllers and
scenarios take them like any other source.

=====================  ===========================================================
:class:`DecoderAdaptation`   a learned network whose output decoders (and bias) adapt
                             (PES or RLS, :mod:`armjac.adapt.rules`)
:class:`LocalCorrection`     any base source plus ``W psi(q)`` with local features
                             (:class:`~armjac.adapt.features.RBFFeatures`)
:class:`Broyden`             a Jacobian estimate updated by Broyden's rank-1 secant
                             rule; the position is the last sample extrapolated by it
:class:`TrackerOffset`       the base model shifted to pass through the last sample
=====================  ===========================================================
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError, UnknownLinkError
from armjac.protocols import position_of
from armjac.validation import as_vector, check_point


class TipSource:
    """An arm's tool tip as a position-only source: ``point`` (ee-link frame) on its ee link.

    Parameters
    ----------
    arm : Arm
        The (nominal) arm.
    point : (3,) array, optional
        The tool point in the end-effector link frame, m (default: the origin).
    """

    def __init__(self, arm, point=None):
        self.arm = arm
        self.point = check_point(point)
        self.dof = arm.dof
        self.home = arm.home
        self.joint_names = arm.joint_names

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """Tip position (3,) / (B, 3), m."""
        _no_link(link)
        return self.arm.position(q, point=self.point)

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """Linear Jacobian of the tip (3, N) / (B, 3, N)."""
        _no_link(link, point)
        return self.arm.jacobian(q, point=self.point)[..., :3, :]

    def __repr__(self) -> str:
        return f"TipSource({self.arm.name!r}, point={self.point.tolist()})"


def _no_link(link, point=None) -> None:
    if link is not None:
        raise UnknownLinkError(f"an adapting model knows only its tool tip; got link={link!r}")
    if point is not None:
        raise InputError("an adapting model gives the Jacobian at its tool tip only; point=None")


def as_position_source(base):
    """``base`` if its ``fk`` gives a position; an Arm (4x4 ``fk``) becomes its ee-link origin."""
    probe = np.asarray(base.fk(np.asarray(getattr(base, "home", np.zeros(base.dof)), float)))
    return TipSource(base) if probe.shape == (4, 4) else base


class AdaptingModel:
    """Base: a position-only source with ``update(q, x_measured, t)``.

    Attributes
    ----------
    n_updates : int
        Samples used so far.
    last_update : float or None
        The time stamp of the last sample, s.
    """

    name = "adapting"

    def __init__(self, base):
        self.base = as_position_source(base)
        self.dof = int(self.base.dof)
        self.home = getattr(self.base, "home", None)
        self.joint_names = getattr(self.base, "joint_names", None)
        self.arm_name = getattr(self.base, "arm_name", None)
        self.n_updates = 0
        self.last_update: float | None = None

    def _check_sample(self, q, x_measured) -> tuple[np.ndarray, np.ndarray]:
        return as_vector(q, self.dof, "q"), as_vector(x_measured, 3, "x_measured")

    def update(self, q, x_measured, t: float | None = None) -> None:
        """Learn from one tracker sample: tip ``x_measured`` (3,) m, joints ``q`` (N,), time ``t`` s."""
        q, x = self._check_sample(q, x_measured)
        self._update(q, x)
        self.n_updates += 1
        self.last_update = t

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        raise NotImplementedError

    def position(self, q, link: str | None = None) -> np.ndarray:
        """Tip position (3,) / (B, 3), m (same as :meth:`fk`)."""
        return self.fk(q, link)

    def fk(self, q, link: str | None = None) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base!r}, updates={self.n_updates})"


class DecoderAdaptation(AdaptingModel):
    """A learned network whose output decoders adapt online (a copy; the original is untouched).

    Parameters
    ----------
    model : LearnedModel
        Position-only; a residual model on a nominal arm works the same way
        (only the network's weights change).
    rule : PES or RLS
        The update rule (:mod:`armjac.adapt.rules`).
    bias : bool
        Also adapt the output bias (a constant regressor 1). Not with PES,
        which Nengo applies to the decoders from neurons only.
    """

    name = "decoders"

    def __init__(self, model, rule, bias: bool = False):
        if getattr(model, "pose", False) or not callable(getattr(model, "output_weights", None)):
            raise InputError(
                f"decoder adaptation needs a position-only LearnedModel; got {model!r}"
            )
        if bias and getattr(rule, "name", "") == "pes":
            raise InputError("PES adapts decoders from neurons; use bias=False with PES")
        super().__init__(model)
        self.model = model.copy()
        self.base = self.model
        self.rule = rule
        self.bias = bias
        d, c = self.model.output_weights()
        self.n_neurons = d.shape[1]
        self.w0 = np.hstack((d, c[:, None])) if bias else d
        self.w = self.w0.copy()
        self._c = c
        rule.start(self.w)

    def features(self, q) -> np.ndarray:
        """The regressor: last-ensemble activities (and a trailing 1 with ``bias``)."""
        a = self.model.output_activities(q)
        return np.append(a, 1.0) if self.bias else a

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        err = self.model.fk(q) - x
        self.rule.step(self.w, self.features(q), err)
        n = self.n_neurons
        self.model.set_output_weights(self.w[:, :n], self.w[:, n] if self.bias else self._c)

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """Tip position (3,) / (B, 3) with the current weights, m."""
        return self.model.fk(q, link)

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """Jacobian (3, N) / (B, 3, N) of :meth:`fk`."""
        return self.model.jacobian(q, link, point)


class LocalCorrection(AdaptingModel):
    """A base source plus an adapted correction ``W psi(q)`` with its own local features.

    The correction starts at zero and, with features that vanish away from
    the samples (:class:`~armjac.adapt.features.RBFFeatures`), stays zero
    there: the base model is untouched off the path.

    Parameters
    ----------
    base : source
        Any position-only source (a 4x4 ``fk`` source is taken at its ee-link origin).
    features : RBFFeatures
        ``psi(q)``, its derivative, and how it grows as new regions are visited.
    rule : PES or RLS
    """

    name = "local"

    def __init__(self, base, features, rule):
        super().__init__(base)
        self.features = features
        self.rule = rule
        self.w = np.zeros((3, features.size))
        rule.start(self.w)

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        added = self.features.observe(q)
        if added:
            self.w = np.hstack((self.w, np.zeros((3, added))))
            grow = getattr(self.rule, "grow", None)
            if grow is not None:
                grow(added)
        err = self.fk(q) - x
        self.rule.step(self.w, self.features.value(q), err)

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """Base position plus the correction (3,) / (B, 3), m."""
        base = position_of(self.base.fk(q, link))
        if not self.w.shape[1]:
            return base
        return base + self.features.value(np.asarray(q, float)) @ self.w.T

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """Base Jacobian plus ``W dpsi/dq`` (3, N) / (B, 3, N)."""
        jac = np.asarray(self.base.jacobian(q, link, point))[..., :3, :]
        if not self.w.shape[1]:
            return jac
        return jac + self.w @ self.features.derivative(np.asarray(q, float))


class Broyden(AdaptingModel):
    """The classical uncalibrated-servoing estimate: ``J`` from Broyden's rank-1 update.

    Between two tracker samples ``(q_a, x_a)`` and ``(q, x)`` with
    ``dq = q - q_a``, ``dx = x - x_a``::

        J <- J + alpha (dx - J dq) dq^T / (dq^T dq)

    (with ``alpha = 1``, ``J dq = dx`` afterwards: the secant condition).
    Steps shorter than ``min_step`` rad are skipped (noise over a tiny step
    would dominate the secant); the sample still becomes the anchor.

    A Jacobian alone gives no position, so the model anchors to the last
    tracker sample and extrapolates with ``J``: ``fk(q) = x_a + J (q - q_a)``,
    whose derivative is exactly ``J``. Before the first sample it is the base
    model; the first sample sets ``J`` to the base Jacobian there.

    Parameters
    ----------
    base : source
        The model used before any sample and for the initial ``J``.
    alpha : float
        Step size in (0, 1].
    min_step : float
        Smallest ``|dq|`` (rad) that updates ``J``.
    """

    name = "broyden"

    def __init__(self, base, alpha: float = 1.0, min_step: float = 1e-3):
        super().__init__(base)
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 1:
            raise InputError(f"alpha must be in (0, 1]; got {alpha!r}")
        if isinstance(min_step, bool) or not isinstance(min_step, int | float) or min_step < 0:
            raise InputError(f"min_step must be a number >= 0; got {min_step!r}")
        self.alpha = float(alpha)
        self.min_step = float(min_step)
        self.J: np.ndarray | None = None
        self.q_a: np.ndarray | None = None
        self.x_a: np.ndarray | None = None

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        if self.J is None:
            self.J = np.array(self.base.jacobian(q), float)[:3]
        else:
            dq = q - self.q_a
            n2 = float(dq @ dq)
            if n2 > self.min_step**2:
                self.J += np.outer(self.alpha * (x - self.x_a - self.J @ dq), dq / n2)
        self.q_a, self.x_a = q, x

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """The last sample extrapolated with ``J`` (3,) / (B, 3), m."""
        if self.J is None:
            return position_of(self.base.fk(q, link))
        _no_link(link)
        return self.x_a + (np.asarray(q, float) - self.q_a) @ self.J.T

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """The current estimate ``J`` (3, N) (the same for every q; (B, 3, N) for a batch)."""
        if self.J is None:
            return np.asarray(self.base.jacobian(q, link, point))[..., :3, :]
        _no_link(link, point)
        q = np.asarray(q, float)
        return self.J.copy() if q.ndim == 1 else np.broadcast_to(self.J, (len(q), 3, self.dof))


class TrackerOffset(AdaptingModel):
    """The base model shifted to pass through the last tracker sample.

    ``fk(q) = base(q) + x_a - base(q_a)``; the Jacobian is the base's. This is
    the tracker used as position feedback, with the base model bridging the
    time between samples (and, after the tracker stops, carrying on from the
    last one): the reference an adaptation rule has to beat.
    """

    name = "offset"

    def __init__(self, base):
        super().__init__(base)
        self.offset = np.zeros(3)

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        self.offset = x - position_of(self.base.fk(q))

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """Base position plus the last offset (3,) / (B, 3), m."""
        return position_of(self.base.fk(q, link)) + self.offset

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """The base Jacobian (3, N) / (B, 3, N)."""
        return np.asarray(self.base.jacobian(q, link, point))[..., :3, :]
