"""Everything one control step needs from the models, in one object.

A source with a fused ``control_terms(q, dq, link=, point=, out=)`` call (the
analytic ``Arm``) answers all of it at once. For any other source (PyBullet's
model, a learned model, a Jacobian source with separate dynamics),
:class:`AssembledTerms` builds the same object from the individual calls, so
the controller never cares where its Jacobian came from.
"""

from __future__ import annotations

import numpy as np


class ControlTerms:
    """The model quantities at one ``(q, dq)``.

    Attributes
    ----------
    T : (4, 4) or (3,) array
        World transform of the controlled link (a position for a
        position-only pose sensor).
    J : (6, N) or (3, N) array
        World-frame Jacobian at the controlled point.
    dJdq : (6,) or (3,) array or None
        ``dJ/dt dq`` at the point (None: the source has none).
    M : (N, N) array
        Joint-space inertia.
    h : (N,) array
        The joint torques the controller compensates: ``C dq + g``, or ``g``
        alone when Coriolis compensation is off.
    """

    __slots__ = ("T", "J", "dJdq", "M", "h")

    def __init__(self, T=None, J=None, dJdq=None, M=None, h=None):
        self.T, self.J, self.dJdq, self.M, self.h = T, J, dJdq, M, h


class AssembledTerms:
    """:class:`ControlTerms` from separate ``fk``, ``jacobian``, ``dJdq``, ``M`` and ``h`` calls.

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
        Whether to ask for ``dJdq`` and for ``C dq + g`` instead of ``g``.
    """

    def __init__(self, sensor, source, dynamics, link=None, point=None, *, use_dJ, use_C):
        where = {} if link is None else {"link": link}
        at = dict(where) if point is None else {**where, "point": point}
        fk, jac, mass = sensor.fk, source.jacobian, dynamics.mass_matrix
        djdq = getattr(source, "dJdq", None) if use_dJ else None
        bias = dynamics.nonlinear_effects if use_C else None
        grav = dynamics.gravity
        out = ControlTerms()
        with_djdq = callable(djdq)

        def terms(q: np.ndarray, dq: np.ndarray) -> ControlTerms:
            out.T = fk(q, **where)
            out.J = jac(q, **at)
            out.M = mass(q)
            out.h = grav(q) if bias is None else bias(q, dq)
            out.dJdq = djdq(q, dq, **at) if with_djdq else None
            return out

        self.terms = terms  # a closure: no attribute lookups on the per-step path


class FusedTerms:
    """:class:`ControlTerms` from one ``control_terms`` call on the source.

    ``h`` from the fused call is ``C dq + g``; without Coriolis compensation
    ``g`` is taken from ``gravity(q)`` instead.
    """

    def __init__(self, source, link=None, point=None, *, use_C):
        call = source.control_terms
        buffer = getattr(source, "control_terms_buffer", None)
        out = buffer() if callable(buffer) else None
        grav = source.gravity
        if use_C:

            def terms(q: np.ndarray, dq: np.ndarray):
                return call(q, dq, link=link, point=point, out=out)

        else:
            view = ControlTerms()

            def terms(q: np.ndarray, dq: np.ndarray):
                t = call(q, dq, link=link, point=point, out=out)
                view.T, view.J, view.dJdq, view.M = t.T, t.J, t.dJdq, t.M
                view.h = grav(q)
                return view

        self.terms = terms


def has_fused_terms(obj) -> bool:
    """Whether ``obj`` answers a control step in one ``control_terms`` call."""
    return callable(getattr(obj, "control_terms", None))


def has_bias(obj) -> bool:
    """Whether ``obj`` gives ``C dq + g`` from ``nonlinear_effects(q, dq)``."""
    return callable(getattr(obj, "nonlinear_effects", None))
