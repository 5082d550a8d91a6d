"""The model a controller works from: a Jacobian source plus dynamics and a pose sensor.

A controller needs, at each step, the end-effector pose, the Jacobian, and the
joint-space dynamics ``M(q)``, ``g(q)``. :class:`ControlModel` gathers them
from up to three places:

* ``source`` -- gives ``jacobian`` (and ``dJdq`` if it has it). Any object
  following :mod:`armjac.protocols`: the analytic ``Arm``, ``PyBulletModel``,
  a learned model (position-only, (3, N) Jacobian).
* ``dynamics`` -- gives ``mass_matrix`` and ``gravity``; defaults to
  ``source`` when the source has them.
* ``fk_source`` -- where the end-effector pose is measured. ``"trusted"``
  (default) uses the dynamics model's kinematics when the Jacobian source has
  no dynamics of its own (a learned model: only J comes from it), else the
  source itself; ``"source"`` always uses the source's ``fk``; any object
  with ``fk`` is used as given.

``link`` and ``point`` choose what is controlled: a point fixed in a link's
frame (the tool centre point), by default the end-effector link's origin.
:meth:`ControlModel.terms` returns the per-step model quantities
(:mod:`armjac.control.terms`), from one fused call when a single source
provides everything.
"""

from __future__ import annotations

import numpy as np

from armjac.control.terms import AssembledTerms, FusedTerms, has_bias, has_fused_terms
from armjac.errors import InputError
from armjac.protocols import has_dynamics
from armjac.validation import as_vector, check_point, excerpt


def _limits_of(obj) -> np.ndarray | None:
    for cand in (obj, getattr(obj, "arm", None)):
        lim = getattr(cand, "effort_limits", None)
        if lim is not None:
            return np.asarray(lim, dtype=float)
    return None


class ControlModel:
    """Resolved kinematics, Jacobian and dynamics callables for a controller.

    Parameters
    ----------
    source : object with ``fk`` and ``jacobian``
        The Jacobian source.
    dynamics : object with ``mass_matrix`` and ``gravity``, optional
        Needed when ``source`` has no dynamics.
    fk_source : {"trusted", "source"} or object with ``fk``
        Where the end-effector pose comes from (see the module docstring).
    torque_limits : (N,) array, optional
        Overrides the effort limits found on the sources (``effort_limits``).
    link : str, optional
        The controlled link (default: the sources' end effector).
    point : 3 floats, optional
        The controlled point in ``link``'s frame (default: its origin).

    Attributes
    ----------
    dof : int
    task_rows : int
        6 when the source's Jacobian has angular rows, 3 when position-only.
    has_orientation : bool
        Whether the pose sensor gives an orientation (a 4x4 ``fk``).
    torque_limits : (N,) array or None
    """

    def __init__(
        self, source, dynamics=None, fk_source="trusted", torque_limits=None, link=None, point=None
    ):
        for name in ("fk", "jacobian"):
            if not callable(getattr(source, name, None)):
                raise InputError(
                    f"a Jacobian source needs fk(q) and jacobian(q); {source!r} has no {name}()"
                )
        if dynamics is None:
            if not has_dynamics(source):
                raise InputError(
                    f"{source!r} has no mass_matrix()/gravity(); pass dynamics= "
                    "(e.g. the analytic Arm or a PyBulletModel)"
                )
            dynamics = source
        elif not has_dynamics(dynamics):
            raise InputError(f"dynamics={dynamics!r} needs mass_matrix(q) and gravity(q)")
        self.source = source
        self.dynamics = dynamics
        self.dof = int(getattr(source, "dof", 0) or getattr(dynamics, "dof", 0))
        if self.dof <= 0:
            raise InputError(f"cannot tell the number of joints of {source!r} (no dof)")
        dyn_dof = getattr(dynamics, "dof", None)
        if dyn_dof is not None and dyn_dof != self.dof:
            raise InputError(
                f"the Jacobian source {source!r} has dof={self.dof} but the dynamics "
                f"{dynamics!r} has dof={dyn_dof}: they must model the same arm"
            )

        if isinstance(fk_source, str):
            if fk_source == "source":
                sensor = source
            elif fk_source == "trusted":
                own = has_dynamics(source) or not callable(getattr(dynamics, "fk", None))
                sensor = source if own else dynamics
            else:
                raise InputError(
                    f"fk_source must be 'trusted', 'source' or an object with fk(); "
                    f"got {fk_source!r}"
                )
        else:
            if not callable(getattr(fk_source, "fk", None)):
                raise InputError(f"fk_source={fk_source!r} has no fk(q)")
            sensor = fk_source
        self.fk_source = sensor

        # Bound methods resolved once: the control loop calls them every step.
        self.fk = sensor.fk
        self.jacobian = source.jacobian
        self.mass_matrix = dynamics.mass_matrix
        self.gravity = dynamics.gravity
        djdq = getattr(source, "dJdq", None)
        self.dJdq = djdq if callable(djdq) else None

        if link is not None and not isinstance(link, str):
            raise InputError(f"link must be a link name; got {excerpt(link)}")
        self.link = link
        self.point = None if point is None else check_point(point).copy()
        where = {} if link is None else {"link": link}
        at = dict(where) if self.point is None else {**where, "point": self.point}
        home = getattr(dynamics, "home", None)
        home = getattr(source, "home", None) if home is None else home
        q_probe = np.zeros(self.dof) if home is None else np.asarray(home, dtype=float)
        jac = np.asarray(self.jacobian(q_probe, **at))
        if jac.shape not in ((6, self.dof), (3, self.dof)):
            raise InputError(
                f"{source!r}.jacobian(q) returned shape {jac.shape}; expected (6, {self.dof}) "
                f"or (3, {self.dof})"
            )
        self.task_rows = jac.shape[0]
        pose = np.asarray(self.fk(q_probe, **where))
        if pose.shape not in ((4, 4), (3,)):
            raise InputError(
                f"{sensor!r}.fk(q) returned shape {pose.shape}; expected (4, 4) or (3,)"
            )
        self.has_orientation = pose.shape == (4, 4)
        if self.point is not None and not self.has_orientation:
            raise InputError(
                f"point= needs a pose sensor with orientation (a 4x4 fk); {sensor!r} gives "
                "positions only"
            )

        if torque_limits is None:
            for obj in (source, dynamics):
                torque_limits = _limits_of(obj)
                if torque_limits is not None:
                    break
        if torque_limits is not None:
            torque_limits = as_vector(torque_limits, self.dof, "torque_limits", finite=False)
            # NaN fails the comparison: refused here, never propagated into a torque.
            if not (torque_limits > 0).all():
                raise InputError(
                    f"torque_limits must be {self.dof} numbers > 0 (inf: no limit); "
                    f"got {excerpt(torque_limits)}"
                )
        self.torque_limits = torque_limits

    @property
    def fused(self) -> bool:
        """Whether one source gives everything through a fused ``control_terms`` call."""
        src = self.source
        return src is self.dynamics and src is self.fk_source and has_fused_terms(src)

    def terms(self, use_dJ: bool, use_C: bool):
        """``terms(q, dq) -> ControlTerms`` for this model (see :mod:`armjac.control.terms`).

        Raises
        ------
        InputError
            ``use_C`` with dynamics that cannot give ``C dq + g``.
        """
        if use_C and not (self.fused or has_bias(self.dynamics)):
            raise InputError(
                f"use_C needs dynamics with Coriolis terms (nonlinear_effects(q, dq)); "
                f"{self.dynamics!r} has none"
            )
        if self.fused:
            return FusedTerms(self.source, self.link, self.point, use_C=use_C).terms
        return AssembledTerms(
            self.fk_source,
            self.source,
            self.dynamics,
            self.link,
            self.point,
            use_dJ=use_dJ,
            use_C=use_C,
        ).terms

    def __repr__(self) -> str:
        return (
            f"ControlModel(source={self.source!r}, dynamics={self.dynamics!r}, "
            f"fk={self.fk_source!r})"
        )
