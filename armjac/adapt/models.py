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
:class:`ToolOffset`          the nominal arm with its tool point identified online (RLS)
=====================  ===========================================================
"""

from __future__ import annotations

import numpy as np

from armjac.adapt.gate import SampleGate
from armjac.errors import InputError, UnknownLinkError
from armjac.protocols import position_of
from armjac.validation import as_batch, as_vector, check_gain, excerpt


class PositionView:
    """A source whose ``fk`` gives a 4x4 transform, seen as a position-only source.

    ``fk(q)`` is the transform's translation (3,) / (B, 3) and ``jacobian(q)``
    the linear rows (3, N) / (B, 3, N). ``arm`` and ``point`` are passed on
    when the source has them (a :class:`~armjac.learned.residual.TipNominal`).
    """

    def __init__(self, source):
        self.source = source
        self.dof = int(source.dof)
        self.home = getattr(source, "home", getattr(getattr(source, "arm", None), "home", None))
        self.arm = getattr(source, "arm", source)
        self.point = getattr(source, "point", None)

    def fk(self, q) -> np.ndarray:
        """Position (3,) / (B, 3), m."""
        return position_of(self.source.fk(q))

    def jacobian(self, q) -> np.ndarray:
        """Linear rows (3, N) / (B, 3, N)."""
        return np.asarray(self.source.jacobian(q))[..., :3, :]

    def __repr__(self) -> str:
        return f"PositionView({self.source!r})"


def _no_link(link, point=None) -> None:
    if link is not None:
        raise UnknownLinkError(f"an adapting model knows only its tool tip; got link={link!r}")
    if point is not None:
        raise InputError("an adapting model gives the Jacobian at its tool tip only; point=None")


def as_position_source(base):
    """``base`` if its ``fk`` gives a position, else a :class:`PositionView` of it."""
    home = getattr(base, "home", None)
    if home is None:
        home = getattr(getattr(base, "arm", None), "home", np.zeros(base.dof))
    probe = np.asarray(base.fk(np.asarray(home, float)))
    return PositionView(base) if probe.shape == (4, 4) else base


class AdaptingModel:
    """Base: a position-only source with ``update(q, x_measured, t)``.

    Every sample passes the model's :attr:`gate` first (one absurd sample must
    not ruin the model; :mod:`armjac.adapt.gate`).

    Attributes
    ----------
    n_updates : int
        Samples learned from so far.
    last_update : float or None
        The time stamp of the last sample learned from, s.
    gate : SampleGate
        Decides which samples are learned from; ``gate.n_rejected`` counts the others.
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
        self.gate = SampleGate()
        self._last_t: float | None = None

    @property
    def n_rejected(self) -> int:
        """Samples the gate held back."""
        return self.gate.n_rejected

    def _check_sample(self, q, x_measured) -> tuple[np.ndarray, np.ndarray]:
        return as_vector(q, self.dof, "q"), as_vector(x_measured, 3, "x_measured")

    def _check_time(self, t) -> float | None:
        """``t`` as a float that does not go back in time (None: no time stamp)."""
        if t is None:
            return None
        if isinstance(t, bool) or not isinstance(t, int | float | np.integer | np.floating):
            raise InputError(f"t must be a time stamp in seconds or None; got {excerpt(t)}")
        t = float(t)
        if not np.isfinite(t):
            raise InputError(f"t must be a finite time stamp; got {t!r}")
        if self._last_t is not None and t < self._last_t:
            raise InputError(f"t must not decrease: got {t!r} after {self._last_t!r}")
        self._last_t = t
        return t

    def update(self, q, x_measured, t: float | None = None) -> bool:
        """Learn from one tracker sample: the tip ``x_measured`` (3,), m, at joints ``q`` (N,).

        A base that adapts too learns from the sample first; this model then
        corrects what the updated base still gets wrong.

        Returns
        -------
        bool
            Whether the sample was learned from (False: the gate held it back).

        Raises
        ------
        InputError
            A malformed or non-finite ``q`` or ``x_measured``, or a time stamp
            that is not a finite number or goes back in time.
        """
        q, x = self._check_sample(q, x_measured)
        t = self._check_time(t)
        if not self.gate.admit(x - self._fk(q)):
            return False
        self._learn(q, x, t)
        return True

    def _learn(self, q: np.ndarray, x: np.ndarray, t: float | None) -> None:
        """Learn from a sample the gate admitted (an adapting base learns first, ungated)."""
        if isinstance(self.base, AdaptingModel):
            self.base._check_time(t)
            self.base._learn(q, x, t)
        else:
            inner = getattr(self.base, "update", None)
            if callable(inner):
                inner(q, x, t)
        self._update(q, x)
        self.n_updates += 1
        self.last_update = t

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        raise NotImplementedError

    def position(self, q, link: str | None = None) -> np.ndarray:
        """Tip position (3,) / (B, 3), m (same as :meth:`fk`)."""
        return self.fk(q, link)

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """Tip position (3,) / (B, 3), m."""
        _no_link(link)
        return self._fk(self._q(q))

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray:
        """Jacobian of :meth:`fk` (3, N) / (B, 3, N)."""
        _no_link(link, point)
        return self._jacobian(self._q(q))

    def _q(self, q) -> np.ndarray:
        """``q`` as a float (N,) or (B, N) array; InputError for anything else."""
        arr, single = as_batch(q, self.dof, "q", type(self).__name__)
        return arr[0] if single else arr

    def _fk(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
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
        if (
            getattr(model, "pose", False)
            or not callable(getattr(model, "output_weights", None))
            or model.output_weights()[0].shape[0] != 3  # e.g. a joint-space residual
        ):
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

    def _fk(self, q: np.ndarray) -> np.ndarray:
        return self.model.fk(q)

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
        return self.model.jacobian(q)


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

    def _fk(self, q: np.ndarray) -> np.ndarray:
        base = self.base.fk(q)
        return base + self.features.value(q) @ self.w.T if self.w.shape[1] else base

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
        jac = self.base.jacobian(q)
        return jac + self.w @ self.features.derivative(q) if self.w.shape[1] else jac


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
            self.J = np.array(self.base.jacobian(q), float)
        else:
            dq = q - self.q_a
            n2 = float(dq @ dq)
            if n2 > self.min_step**2:
                self.J += np.outer(self.alpha * (x - self.x_a - self.J @ dq), dq / n2)
        self.q_a, self.x_a = q, x

    def _fk(self, q: np.ndarray) -> np.ndarray:
        if self.J is None:
            return self.base.fk(q)
        return self.x_a + (q - self.q_a) @ self.J.T

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
        """The estimate ``J``, the same for every q (before any sample: the base's)."""
        if self.J is None:
            return self.base.jacobian(q)
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
        self.offset = x - self.base.fk(q)

    def _fk(self, q: np.ndarray) -> np.ndarray:
        return self.base.fk(q) + self.offset

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
        return self.base.jacobian(q)


class ToolOffset(AdaptingModel):
    """A base model plus a tool offset identified online: ``fk(q) = base(q) + R(q) dp``.

    A tool change moves the tip by a fixed vector ``dp`` in the EE link frame,
    whose world image ``R(q) dp`` is linear in ``dp`` with a full-rank regressor,
    the EE rotation ``R(q)``. RLS on the three numbers ``dp`` (prior variance
    ``delta`` over the measurement noise variance, exponential forgetting
    ``lam``, covariance reset on an error above ``reset`` m; ``R`` excites
    every direction, so nothing winds up) finds it from the first samples, and
    the correction is right wherever the arm goes -- if the change *is* a rigid
    tool offset. Other errors seen along the path are folded into ``dp``. This
    is parametric tool calibration run online. ``R`` comes from the base's arm:
    a nominal arm at a tool point (``TipNominal``), or the nominal of a
    residual model (``model.nominal.arm``).
    """

    name = "tool"

    def __init__(self, base, delta: float = 1e4, lam: float = 0.98, reset: float = 0.0):
        super().__init__(base)
        arm = getattr(self.base, "arm", None)
        if arm is None:  # a residual model: its nominal is an Arm or a TipNominal on one
            nominal = getattr(self.base, "nominal", None)
            arm = getattr(nominal, "arm", nominal)
        if arm is None or not callable(getattr(arm, "fk", None)):
            raise InputError(
                "tool-offset adaptation needs the arm's EE rotation: a nominal arm at a tool "
                f"point (TipNominal) or a residual model on one; got {base!r}"
            )
        self.arm = arm
        self.dp = np.zeros(3)
        self.delta = check_gain("delta", delta)
        self.P = self.delta * np.eye(3)
        self.lam = check_gain("lam", lam)
        if self.lam > 1.0:
            raise InputError(f"lam must be in (0, 1]; got {lam!r}")
        self.reset = check_gain("reset", reset, zero=True)

    def _update(self, q: np.ndarray, x: np.ndarray) -> None:
        rot = np.asarray(self.arm.fk(q))[:3, :3]
        err = self._fk(q) - x
        if self.reset and float(err @ err) > self.reset**2:  # a change, not noise
            self.P = self.delta * np.eye(3)
        ph = self.P @ rot.T
        gain = ph @ np.linalg.inv(self.lam * np.eye(3) + rot @ ph)
        self.dp -= gain @ err
        P = (self.P - gain @ rot @ self.P) / self.lam
        self.P = 0.5 * (P + P.T)

    def _fk(self, q: np.ndarray) -> np.ndarray:
        rot = np.asarray(self.arm.fk(q))[..., :3, :3]
        return self.base.fk(q) + rot @ self.dp

    def _jacobian(self, q: np.ndarray) -> np.ndarray:
        # d(R(q) dp)/dq: the velocity of the point dp on the EE link minus its origin's
        jac = self.arm.jacobian(q, point=self.dp)[..., :3, :] - self.arm.jacobian(q)[..., :3, :]
        return self.base.jacobian(q) + jac
