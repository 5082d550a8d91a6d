"""Everything one control step needs from the models, however the sources provide it.

The analytic ``Arm`` answers a whole step in one fused call,
:meth:`~armjac.arm.Arm.control_terms` (:class:`~armjac.terms.ControlTerms`:
``T``, ``x``, ``J``, ``dJdq``, ``M``, ``h = C dq + g``). For any other source
(PyBullet's model, a learned model, a Jacobian source with separate dynamics)
:class:`AssembledTerms` builds an object with the same attributes from the
individual calls, so the controller never cares where its Jacobian came from.
"""

from __future__ import annotations

import inspect

import numpy as np


class TermsView:
    """The attributes of :class:`~armjac.terms.ControlTerms`, filled from separate calls.

    Attributes
    ----------
    T : (4, 4) or (3,) array
        World transform of the controlled link (a position for a
        position-only pose sensor).
    x : (3,) array
        World position of the controlled point.
    J : (6, N) or (3, N) array
        World-frame Jacobian at the point.
    dJdq : (6,) or (3,) array or None
        ``dJ/dt dq`` at the point (None: the source has none).
    M : (N, N) array
        Joint-space inertia.
    h : (N,) array
        The torques the controller compensates: ``C dq + g``, or ``g`` alone
        when Coriolis compensation is off.
    """

    __slots__ = ("T", "x", "J", "dJdq", "M", "h")


class AssembledTerms:
    """Per-step terms from separate ``fk``, ``jacobian``, ``dJdq``, ``M`` and ``h`` calls.

    Parameters
    ----------
    sensor : object with ``fk``
        Where the pose is measured.
    source : object with ``jacobian`` (and optionally ``dJdq``)
        The Jacobian source.
    dynamics : object with ``mass_matrix`` and ``gravity``
        And ``nonlinear_effects(q, dq)`` (``C dq + g``) when ``use_C``.
    link, point : optional
        Passed on only when given, so sources that know one link (a learned
        model) keep working with the defaults.
    use_dJ, use_C : bool
        Whether to ask for ``dJdq``, and for ``C dq + g`` instead of ``g``.

    Attributes
    ----------
    terms : callable
        ``terms(q, dq) -> TermsView`` (one view, refilled at every call).
    """

    def __init__(self, sensor, source, dynamics, link=None, point=None, *, use_dJ, use_C):
        where = {} if link is None else {"link": link}
        at = dict(where) if point is None else {**where, "point": point}
        fk, jac, mass, grav = sensor.fk, source.jacobian, dynamics.mass_matrix, dynamics.gravity
        djdq = getattr(source, "dJdq", None) if use_dJ else None
        with_djdq = callable(djdq)
        bias = dynamics.nonlinear_effects if use_C else None
        out = TermsView()

        def terms(q: np.ndarray, dq: np.ndarray) -> TermsView:
            out.T = tf = fk(q, **where)
            out.x = tf if tf.ndim == 1 else (
                tf[:3, 3] if point is None else tf[:3, 3] + tf[:3, :3].dot(point)
            )  # fmt: skip
            out.J = jac(q, **at)
            out.M = mass(q)
            out.h = grav(q) if bias is None else bias(q, dq)
            out.dJdq = djdq(q, dq, **at) if with_djdq else None
            return out

        self.terms = terms  # a closure: no attribute lookups on the per-step path


class FusedTerms:
    """Per-step terms from one ``control_terms`` call on the source, into a reused buffer.

    ``h`` from the fused call is ``C dq + g``; without Coriolis compensation
    ``g`` from ``gravity(q)`` is written over it.

    Attributes
    ----------
    terms : callable
        ``terms(q, dq)`` -> the filled :class:`~armjac.terms.ControlTerms`.
    """

    def __init__(self, source, link=None, point=None, *, use_C):
        call = source.control_terms
        buffer = getattr(source, "control_terms_buffer", None)
        out = buffer() if callable(buffer) else None
        if use_C:

            def terms(q: np.ndarray, dq: np.ndarray):
                return call(q, dq, link, point, out)

        else:
            grav = source.gravity
            into = out is not None and _takes_out(grav)  # g straight into the buffer

            def terms(q: np.ndarray, dq: np.ndarray):
                t = call(q, dq, link, point, out)
                if into:
                    grav(q, out=t.h)  # the compensated torques are g alone
                else:
                    t.h[:] = grav(q)
                return t

        self.terms = terms


def _takes_out(fn) -> bool:
    """Whether ``fn`` has an ``out`` parameter (writes into a given array)."""
    try:
        return "out" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def has_fused_terms(obj) -> bool:
    """Whether ``obj`` answers a control step in one ``control_terms`` call."""
    return callable(getattr(obj, "control_terms", None))


def has_bias(obj) -> bool:
    """Whether ``obj`` gives ``C dq + g`` from ``nonlinear_effects(q, dq)``."""
    return callable(getattr(obj, "nonlinear_effects", None))
