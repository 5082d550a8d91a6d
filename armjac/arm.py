"""The analytic arm: a robot model plus compiled kinematics and dynamics.

:class:`Arm` is the static model (Pinocchio's ``Model``); its compiled kernels
are stateless, so one ``Arm`` can be shared across threads and controllers.
Every numeric method takes ``q`` of shape (N,) or (B, N) and returns the
single-configuration shape, or the same with a leading batch axis.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from armjac.codegen.cache import KernelCache
from armjac.errors import InputError
from armjac.jsonutil import slug
from armjac.model.adjustment import Adjustment, adjusted_model
from armjac.model.registry import ArmSpec, resolve
from armjac.model.tree import STANDARD_GRAVITY, Inertial, RobotModel
from armjac.model.urdf import load_urdf
from armjac.terms import ControlTerms
from armjac.validation import (
    as_batch,
    as_count,
    as_vector,
    check_finite,
    check_out,
    check_point,
    excerpt,
)

if TYPE_CHECKING:  # sympy is imported only when kernels must be generated
    from armjac.symbolic.derivation import ChainDerivation


class Arm:
    """Analytic kinematics and dynamics of the chain from the root to ``ee_link``.

    Parameters
    ----------
    model : RobotModel
        The parsed URDF tree.
    ee_link : str, optional
        End-effector link. Defaults to the deepest leaf reached through the most
        movable joints.
    name : str, optional
        Display name (defaults to the URDF's robot name).
    gravity : 3 floats
        Gravity in the world frame, m/s^2.
    home : sequence of float, optional
        A resting posture, used by simulations and controllers as a default.
    backend : {"auto", "c", "numpy"}
        Code generation backend. ``auto`` uses C when a compiler is found.
    cache_dir : path, optional
        Kernel cache folder; defaults to ``$ARMJAC_CACHE_DIR`` or the user cache.
    spec : ArmSpec, optional
        Where the arm came from (set by :func:`load_arm`).
    adjustment : Adjustment, optional
        Joint-origin offsets and an end-effector load applied to ``model``
        without compiling it anew (see :meth:`adjusted`); ``self.model`` is then
        the adjusted tree and ``self.base_model`` the one the kernels were derived from.
    """

    def __init__(
        self,
        model: RobotModel,
        ee_link: str | None = None,
        *,
        name: str | None = None,
        gravity: Sequence[float] = STANDARD_GRAVITY,
        home: Sequence[float] | None = None,
        backend: str = "auto",
        cache_dir: str | os.PathLike | None = None,
        spec: ArmSpec | None = None,
        adjustment: Adjustment | None = None,
    ):
        self.model = self.base_model = model
        self.spec = spec
        self.ee_link = ee_link or _default_ee(model)
        model.link(self.ee_link)  # raises with the list of links
        self.name = name or model.name
        self.gravity_vector = tuple(float(g) for g in as_vector(gravity, 3, "gravity (m/s^2)"))
        chain = [j for j in model.path_to(self.ee_link) if j.movable]
        if not chain:
            raise InputError(f"no movable joint between {model.root!r} and {self.ee_link!r}")
        model.warn_mimic(j.name for j in chain)
        self.joints = tuple(chain)
        self.joint_names = tuple(j.name for j in chain)
        self.dof = len(chain)
        self.joint_limits = np.array(
            [[j.lower, j.upper] if j.type != "continuous" else [-math.inf, math.inf] for j in chain]
        )
        self.effort_limits = np.array([j.effort for j in chain])
        self.velocity_limits = np.array([j.velocity for j in chain])
        self.joint_damping = np.array([j.damping for j in chain])
        if home is not None and len(home) != self.dof:
            raise InputError(f"home posture has {len(home)} values; {self.name} has dof={self.dof}")
        self.home = np.zeros(self.dof) if home is None else np.asarray(home, dtype=float)
        self.backend = backend
        self.adjustment, self._extra = adjustment, None
        if adjustment is not None:
            self._extra = adjustment.vector(self.dof)
            self.model = adjusted_model(
                model, self.joint_names, self.ee_link, self._extra, adjustment.source
            )
            self.joints = tuple(j for j in self.model.path_to(self.ee_link) if j.movable)
        self._cache = KernelCache(cache_dir)
        self._kernels: dict[tuple[str, str], object] = {}
        self._ee: dict[str, object] = {}
        self._load_link_kernels(self.ee_link, with_dynamics=True)

    # -- description ----------------------------------------------------------------
    @property
    def link_names(self) -> tuple[str, ...]:
        """Every link of the URDF tree, in file order."""
        return self.model.link_names

    @property
    def urdf_path(self) -> str:
        """The URDF file the arm was loaded from."""
        return self.model.source

    def __repr__(self) -> str:
        return f"Arm({self.name!r}, dof={self.dof}, ee_link={self.ee_link!r})"

    @cached_property
    def symbolic(self) -> ChainDerivation:
        """The symbolic derivation behind the kernels. Its results are rows of
        expressions in named intermediates; ``d.sympy(d.jacobian(link))`` writes one
        out as a sympy Matrix in ``q``, ``dq`` and the point ``p``."""
        from armjac.symbolic.derivation import ChainDerivation

        at = None if self.adjustment is None else self.ee_link
        return ChainDerivation(self.base_model, self.joint_names, self.gravity_vector, at)

    def adjusted(
        self,
        origin_offsets: ArrayLike | None = None,
        load: Inertial | ArrayLike | None = None,
        *,
        name: str | None = None,
        source: str | None = None,
    ) -> Arm:
        """This arm with its chain joints' origins moved and a load on its end effector,
        with no new compilation: every adjusted arm of one URDF shares one family of
        kernels that take the adjustment as input (:mod:`armjac.model.adjustment`).

        Parameters
        ----------
        origin_offsets : (N, 3) array, optional
            Added to each chain joint's origin ``xyz`` (parent frame), m.
        load : Inertial or (10,) array, optional
            Mass properties fixed to the end-effector link (its frame), added to
            any load this arm already carries.
        name : str, optional
            Display name (default ``<name>-adjusted``).
        source : str, optional
            The URDF file of the adjusted tree, where one is written.

        Returns
        -------
        Arm
            Its ``model`` is the adjusted tree, ``base_model`` this arm's URDF.
        """
        extra = Adjustment(origin_offsets, load).vector(self.dof)
        if self._extra is not None:
            extra = extra + self._extra
        total = Adjustment.of_vector(extra, self.dof, source)
        return Arm(
            self.base_model,
            self.ee_link,
            name=name or f"{self.name}-adjusted",
            gravity=self.gravity_vector,
            home=self.home,
            backend=self.backend,
            cache_dir=self._cache.root,
            adjustment=total,
        )

    # -- kernels ------------------------------------------------------------------------
    def _fields(self, link: str, with_dynamics: bool) -> dict:
        fields = {
            "model": self.base_model.fingerprint(),
            "joints": list(self.joint_names),
            "gravity": list(self.gravity_vector),
            "link": link,
            "dynamics": with_dynamics,
        }
        if self._extra is not None:  # the adjustable family of base_model
            fields.update(adjustable_at=self.ee_link, extra=len(self._extra))
        return fields

    def _load_link_kernels(self, link: str, with_dynamics: bool = False) -> None:
        tag = f"L{self.base_model.link_names.index(link)}"

        def specs():
            from armjac.codegen.specs import link_kernels

            return link_kernels(self.symbolic, link, tag, with_dynamics)

        if self._extra is None:
            label = slug(self.name, 40, "arm")
        else:  # one family for every adjusted arm of this URDF
            label = f"{slug(self.base_model.name, 36, 'arm')}-adj"
        label += f"-{tag}" + ("-dyn" if with_dynamics else "")
        kernels = self._cache.load_or_build(
            label,
            self._fields(link, with_dynamics),
            specs,
            self.dof,
            self.backend,
            owner=f"{self.name} (dof={self.dof})",
            extra=self._extra,
        )
        for kname, kern in kernels.items():
            kind = kname.split("_")[0]
            if kind in _ARM_KINDS or link == self.ee_link:
                self._ee[kind] = kern  # the default link's kernels: one dict lookup per call
            if kind not in _ARM_KINDS:
                self._kernels[(kind, link)] = kern

    def _kernel(self, kind: str, link: str):
        """The kernel ``kind`` of ``link``, loading it on first use."""
        try:
            return self._kernels[(kind, link)]
        except (KeyError, TypeError):
            if not isinstance(link, str):
                raise InputError(f"link must be a link name or None; got {excerpt(link)}") from None
            self.model.link(link)  # unknown name: raises with the valid ones
            if link not in self.base_model.link_names:  # an adjustment's load link:
                return self._kernel(kind, self.ee_link)  # fixed at the EE's frame
            self._load_link_kernels(link)
            return self._kernels[(kind, link)]

    # -- numeric API ------------------------------------------------------------------
    # Every method takes q of shape (N,) or (B, N) (dq, qdd, tau alike) in any real
    # dtype and layout, and checks it in the compiled dispatcher; ``out=`` takes an
    # array of the result shape to fill instead of allocating one.
    def fk(
        self, q: ArrayLike, link: str | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """4x4 world transform of the URDF frame of ``link`` (default: end effector)."""
        k = self._ee["fk"] if link is None else self._kernel("fk", link)
        return k(q, None, None, out)

    def position(
        self, q: ArrayLike, link: str | None = None, point: ArrayLike | None = None
    ) -> np.ndarray:
        """World position of ``point`` (link frame, default origin) on ``link``."""
        t = self.fk(q, link)
        pos = t[..., :3, 3]
        if point is not None:
            pos = pos + t[..., :3, :3] @ check_point(point)
        return pos

    def jacobian(
        self,
        q: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        frame: str = "world",
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """6xN geometric Jacobian [v; w] of ``point`` (link frame) on ``link``.

        ``frame="world"``: v is the velocity of the point and w the angular
        velocity of the link, both in world axes (Pinocchio's
        LOCAL_WORLD_ALIGNED). ``frame="local"``: the same two vectors in the
        link's own axes (the body Jacobian of a frame at the point with the
        link's orientation; Pinocchio's LOCAL), as a wrist force/torque sensor
        measures.
        """
        kind = _JACOBIANS.get(frame) if isinstance(frame, str) else None
        if kind is None:
            raise InputError(f"frame must be 'world' or 'local'; got {excerpt(frame)}")
        k = self._ee[kind] if link is None else self._kernel(kind, link)
        return k(q, None, point, out)

    def dJdq(
        self,
        q: ArrayLike,
        dq: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """dJ/dt·dq (6,) of the world-frame Jacobian, the velocity-product term of
        the task acceleration (``jacobian_dot(q, dq) @ dq``)."""
        k = self._ee["djdq"] if link is None else self._kernel("djdq", link)
        return k(q, _need(dq, "dJdq"), point, out)

    def jacobian_dot(
        self,
        q: ArrayLike,
        dq: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        frame: str = "world",
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """6xN time derivative of :meth:`jacobian` (same ``frame``) along ``dq``.

        From the Jacobian's own columns (world frame, chain order): with w_k the
        angular and v_k the linear column of joint k,
        ``dJ_i/dt = [W_i x v_i + w_i x sum_{k>i} dq_k v_k; W_i x w_i]`` where
        ``W_i = sum_{k<=i} dq_k w_k`` (one compiled kernel). In the local frame
        ``d(R^T J)/dt = R^T (dJ/dt - w_L x J)`` per 3-row block.
        """
        k = self._ee["jdot"] if link is None else self._kernel("jdot", link)
        if frame == "world":
            return k(q, _need(dq, "jacobian_dot"), point, out)
        if frame != "local":
            raise InputError(f"frame must be 'world' or 'local'; got {excerpt(frame)}")
        jdot = k(q, _need(dq, "jacobian_dot"), point, None)
        jac = self.jacobian(q, link, point)
        rot = np.swapaxes(self.fk(q, link)[..., :3, :3], -1, -2)
        dqb = self._like(dq, jac, "dq")
        w_link = np.sum(jac[..., 3:, :] * dqb[..., None, :], axis=-1)[..., None]
        spin = np.concatenate(
            [
                np.cross(w_link, jac[..., :3, :], axis=-2),
                np.cross(w_link, jac[..., 3:, :], axis=-2),
            ],
            axis=-2,
        )
        return _rotate_rows(rot, jdot - spin, out)

    def _like(self, value, jac: np.ndarray, name: str) -> np.ndarray:
        """``value`` checked as a q-shaped array matching ``jac``'s batch shape."""
        arr, single = as_batch(value, self.dof, name, f"{self.name} (dof={self.dof})")
        check_finite(arr, name)
        if (jac.ndim == 2) != single or (not single and arr.shape[0] != jac.shape[0]):
            raise InputError(f"q and {name} must have the same shape; got {np.shape(value)}")
        return arr[0] if single else arr

    def mass_matrix(self, q: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
        """NxN joint-space inertia matrix M(q)."""
        return self._ee["mass"](q, None, None, out)

    def gravity(self, q: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
        """Joint torques g(q) holding the arm still against gravity."""
        return self._ee["grav"](q, None, None, out)

    def coriolis(self, q: ArrayLike, dq: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
        """NxN Coriolis matrix C(q, dq), Christoffel form: ``C_ij = sum_k Gamma_ijk dq_k``
        with ``Gamma_ijk = (dM_ij/dq_k + dM_ik/dq_j - dM_jk/dq_i) / 2``, so
        ``dM/dt - 2 C`` is skew-symmetric."""
        return self._ee["cor"](q, _need(dq, "coriolis"), None, out)

    def nonlinear_effects(
        self, q: ArrayLike, dq: ArrayLike, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``C(q, dq) dq + g(q)`` (N,), by the recursive Newton-Euler algorithm
        (Pinocchio's ``nonLinearEffects``)."""
        return self._ee["nle"](q, _need(dq, "nonlinear_effects"), None, out)

    def inverse_dynamics(
        self, q: ArrayLike, dq: ArrayLike, qdd: ArrayLike, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Joint torques ``tau = M(q) qdd + C(q, dq) dq + g(q)`` for accelerations ``qdd``
        (recursive Newton-Euler, one kernel; Pinocchio's ``rnea``)."""
        what = "inverse_dynamics"
        return self._ee["rnea"](
            q, _need(dq, what), None, out, _need(qdd, what, "qdd (joint accelerations)")
        )

    def forward_dynamics(
        self, q: ArrayLike, dq: ArrayLike, tau: ArrayLike, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Joint accelerations ``qdd = M(q)^-1 (tau - C(q, dq) dq - g(q))`` (one kernel:
        an LDL^T solve on M written out as straight-line code; Pinocchio's ``aba``)."""
        what = "forward_dynamics"
        return self._ee["fd"](q, _need(dq, what), None, out, _need(tau, what, "tau (torques)"))

    def momentum_terms(
        self, q: ArrayLike, dq: ArrayLike, out: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The generalized-momentum observer's terms ``(p, n)`` from one kernel call:
        ``p = M(q) dq`` and ``n = C(q, dq)^T dq - g(q)`` (C the Christoffel matrix, so
        ``dM/dt = C + C^T`` and ``dp/dt = tau + n``).

        Parameters
        ----------
        q, dq : (N,) or (B, N) arrays
        out : (2, N) or (B, 2, N) array, optional
            Filled in place (row 0 is p, row 1 is n) instead of allocating.

        Returns
        -------
        (p, n)
            For one configuration the (2, N) array itself (``p, n = ...`` unpacks its rows,
            with no views made: the observer's 1 kHz step calls this); for a batch, two
            (B, N) views of the (B, 2, N) array.
        """
        res = self._ee["mom"](q, _need(dq, "momentum_terms"), None, out)
        return res if res.ndim == 2 else (res[..., 0, :], res[..., 1, :])

    def manipulability(
        self,
        q: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        translational: bool = False,
    ) -> np.ndarray | float:
        """Yoshikawa's manipulability ``sqrt(det(J J^T))`` of the world Jacobian at
        ``point`` on ``link`` (``translational``: its three linear rows only)."""
        jac = self._manip_rows(self.jacobian(q, link, point), translational)
        det = np.linalg.det(jac @ np.swapaxes(jac, -1, -2))
        w = np.sqrt(np.maximum(det, 0.0))
        return float(w) if w.ndim == 0 else w

    def manipulability_gradient(
        self,
        q: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        translational: bool = False,
    ) -> np.ndarray:
        """d(manipulability)/dq (N,): ``w * <dJ/dq_k, (J J^T)^-1 J>`` per joint k, from
        one kernel (the derivation is in ``ChainDerivation.manipulability_gradient``).

        Raises
        ------
        SingularityError
            Where J J^T is singular: ``det(J J^T) <= 1e-14 prod(diag(J J^T))`` (the
            gradient of the square root is undefined there).
        """
        kind = "mgrad3" if _flag(translational, "translational") else "mgrad6"
        k = self._ee[kind] if link is None else self._kernel(kind, link)
        return k(q, None, point, None)

    @staticmethod
    def _manip_rows(jac: np.ndarray, translational: bool) -> np.ndarray:
        return jac[..., :3, :] if _flag(translational, "translational") else jac

    def control_terms(
        self,
        q: ArrayLike,
        dq: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
        out: ControlTerms | None = None,
    ) -> ControlTerms:
        """Everything an operational-space control step needs, from one kernel call.

        Returns a :class:`~armjac.terms.ControlTerms` with ``T`` (4x4 world
        transform of ``link``'s frame), ``x`` (world position of ``point``),
        ``J`` (6xN world Jacobian at the point), ``dJdq`` (6,), ``M`` (NxN) and
        ``h = C dq + g`` (N,). Pass a buffer from :meth:`control_terms_buffer` as
        ``out`` to fill it in place with no allocation.
        """
        k = self._ee["ctrl"] if link is None else self._kernel("ctrl", link)
        if out is None:
            return ControlTerms(k(q, _need(dq, "control_terms"), point, None), self._layout)
        if out.__class__ is not ControlTerms:
            raise InputError(f"out must come from control_terms_buffer(); got {excerpt(out)}")
        k(q, _need(dq, "control_terms"), point, out.data)
        return out

    def control_terms_buffer(self, batch: int | None = None) -> ControlTerms:
        """An empty :class:`~armjac.terms.ControlTerms` to pass as ``out=``
        (``batch``: number of configurations, None for a single one)."""
        size = sum(int(np.prod(s)) for s in self._layout.values())
        shape = (size,) if batch is None else (as_count(batch, "batch"), size)
        return ControlTerms(np.zeros(shape), self._layout)

    @cached_property
    def _layout(self) -> dict[str, tuple[int, ...]]:
        from armjac.codegen.specs import control_layout

        return control_layout(self.dof)

    # -- helpers ----------------------------------------------------------------------
    def random_q(
        self,
        n: int | None = None,
        rng: int | np.random.Generator | None = None,
        margin: float = 0.0,
    ) -> np.ndarray:
        """Uniform configurations within the joint limits (continuous joints: [-pi, pi]).

        ``margin`` shrinks each range by that fraction of its width on both sides.
        """
        if n is not None:
            n = as_count(n, "n (number of configurations)")
        rng = np.random.default_rng(rng)
        lo, hi = self.sample_bounds(margin)
        shape = (self.dof,) if n is None else (n, self.dof)
        return rng.uniform(lo, hi, size=shape)

    def sample_bounds(self, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper joint bounds for sampling (continuous joints: [-pi, pi]),
        each range shrunk by ``margin`` (a fraction in [0, 0.5)) of its width per side."""
        if not 0.0 <= margin < 0.5:
            raise InputError(f"margin must be in [0, 0.5); got {margin!r}")
        lo = np.where(np.isfinite(self.joint_limits[:, 0]), self.joint_limits[:, 0], -np.pi)
        hi = np.where(np.isfinite(self.joint_limits[:, 1]), self.joint_limits[:, 1], np.pi)
        width = hi - lo
        return lo + margin * width, hi - margin * width


_ARM_KINDS = ("mass", "grav", "nle", "cor", "rnea", "fd", "mom")
_JACOBIANS = {"world": "jac", "local": "jacl"}  # frame -> kernel kind


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False; got {excerpt(value)}")
    return bool(value)


def _need(value, what: str, name: str = "dq (joint velocities)"):
    if value is None:
        raise InputError(f"{what} needs {name}")
    return value


def _rotate_rows(rot: np.ndarray, jac: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``[R v; R w]`` for the 3-row halves of a 6xN (batched) matrix."""
    res = np.concatenate([rot @ jac[..., :3, :], rot @ jac[..., 3:, :]], axis=-2)
    if out is None:
        return res
    check_out(out, res.shape)
    out[...] = res
    return out


def _default_ee(model: RobotModel) -> str:
    def movable_depth(link: str) -> tuple[int, int]:
        path = model.path_to(link)
        return sum(j.movable for j in path), len(path)

    return max(model.leaves(), key=movable_depth)


def load_arm(spec: str | os.PathLike | Arm | ArmSpec, **kwargs) -> Arm:
    """Load an arm from a bundled name, a URDF path or a YAML arm config.

    Bundled: ``kuka_iiwa``, ``franka_panda``, ``xarm6``, ``planar2``, ``planar3``.
    Keyword arguments (``ee_link``, ``backend``, ``cache_dir`` ...) go to
    :class:`Arm` and override the config.

    Examples
    --------
    >>> arm = load_arm("kuka_iiwa")
    >>> arm.jacobian(arm.home).shape
    (6, 7)
    """
    if isinstance(spec, Arm):
        if kwargs:
            raise InputError(
                f"load_arm got an Arm and options {sorted(kwargs)}; options apply only when "
                "loading from a name or file"
            )
        return spec
    if not isinstance(spec, ArmSpec):
        spec = resolve(spec)
    model = load_urdf(spec.urdf)
    opts = {"ee_link": spec.ee_link, "name": spec.name, "gravity": spec.gravity, "home": spec.home}
    opts.update(kwargs)
    return Arm(model, spec=spec, **opts)
