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
from armjac.model.registry import ArmSpec, resolve
from armjac.model.tree import STANDARD_GRAVITY, RobotModel
from armjac.model.urdf import load_urdf
from armjac.validation import as_batch, check_point

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
    ):
        self.model = model
        self.spec = spec
        self.ee_link = ee_link or _default_ee(model)
        model.link(self.ee_link)  # raises with the list of links
        self.name = name or model.name
        self.gravity_vector = tuple(float(g) for g in gravity)
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
        self._cache = KernelCache(cache_dir)
        self._kernels: dict[tuple[str, str], object] = {}
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
        """The sympy derivation: ``arm.symbolic.jacobian(link)`` etc. give the matrices."""
        from armjac.symbolic.derivation import ChainDerivation

        return ChainDerivation(self.model, self.joint_names, self.gravity_vector)

    # -- kernels ------------------------------------------------------------------------
    def _fields(self, link: str, with_dynamics: bool) -> dict:
        return {
            "model": self.model.fingerprint(),
            "joints": list(self.joint_names),
            "gravity": list(self.gravity_vector),
            "link": link,
            "dynamics": with_dynamics,
        }

    def _load_link_kernels(self, link: str, with_dynamics: bool = False) -> None:
        tag = f"L{self.model.link_names.index(link)}"

        def specs():
            from armjac.codegen.specs import link_kernels

            return link_kernels(self.symbolic, link, tag, with_dynamics)

        label = f"{slug(self.name, 40, 'arm')}-{tag}" + ("-dyn" if with_dynamics else "")
        kernels = self._cache.load_or_build(
            label, self._fields(link, with_dynamics), specs, self.dof, self.backend
        )
        for kname, kern in kernels.items():
            kind = kname.split("_")[0]
            self._kernels[(kind, "" if kind in ("mass", "grav") else link)] = kern

    def _kernel(self, kind: str, link: str | None):
        link = self.ee_link if link is None else link
        try:
            return self._kernels[(kind, link)]
        except KeyError:
            self.model.link(link)  # unknown name: raises with the valid ones
            self._load_link_kernels(link)
            return self._kernels[(kind, link)]

    # -- input handling ------------------------------------------------------------------
    def _batch(self, q, what: str = "q") -> tuple[np.ndarray, bool]:
        return as_batch(q, self.dof, what, f"{self.name} (dof={self.dof})")

    @staticmethod
    def _point(point) -> np.ndarray:
        return check_point(point)

    def _run(self, kind: str, link, q, dq=None, point=None) -> np.ndarray:
        kern = self._kernel(kind, link)
        qb, single = self._batch(q)
        dqb = None
        if dq is not None:
            dqb, dq_single = self._batch(dq, "dq")
            if dqb.shape != qb.shape or dq_single != single:
                raise InputError(
                    f"q and dq must have the same shape; got {np.shape(q)} and {np.shape(dq)}"
                )
        out = np.empty((qb.shape[0], *kern.shape))
        kern(qb, dqb, self._point(point), out)
        return out[0] if single else out

    # -- numeric API ------------------------------------------------------------------
    def fk(self, q: ArrayLike, link: str | None = None) -> np.ndarray:
        """4x4 world transform of the URDF frame of ``link`` (default: end effector)."""
        return self._run("fk", link, q)

    def position(
        self, q: ArrayLike, link: str | None = None, point: ArrayLike | None = None
    ) -> np.ndarray:
        """World position of ``point`` (link frame, default origin) on ``link``."""
        t = self.fk(q, link)
        pos = t[..., :3, 3]
        if point is not None:
            pos = pos + t[..., :3, :3] @ self._point(point)
        return pos

    def jacobian(
        self, q: ArrayLike, link: str | None = None, point: ArrayLike | None = None
    ) -> np.ndarray:
        """6xN geometric Jacobian [v; w] in the world frame at ``point`` on ``link``."""
        return self._run("jac", link, q, point=point)

    def dJdq(
        self,
        q: ArrayLike,
        dq: ArrayLike,
        link: str | None = None,
        point: ArrayLike | None = None,
    ) -> np.ndarray:
        """dJ/dt·dq (6,), the velocity-product term of the task acceleration."""
        if dq is None:
            raise InputError("dJdq needs dq")
        return self._run("djdq", link, q, dq=dq, point=point)

    def mass_matrix(self, q: ArrayLike) -> np.ndarray:
        """NxN joint-space inertia matrix M(q)."""
        return self._run("mass", "", q)

    def gravity(self, q: ArrayLike) -> np.ndarray:
        """Joint torques g(q) holding the arm still against gravity."""
        return self._run("grav", "", q)

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
        if n is not None and (not isinstance(n, int | np.integer) or n < 0):
            raise InputError(f"n must be a non-negative integer or None; got {n!r}")
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
