"""Symbolic kinematics and dynamics of a serial chain inside a URDF tree.

Everything is built as one :class:`~armjac.symbolic.program.Program`: each
link's frame (rotation and origin), each joint's axis, each body's spatial
inertia and the recursive velocity, acceleration and force terms are named
intermediates that later expressions refer to. The results are nested lists
(rows) of :class:`~armjac.symbolic.program.Poly` expressions in those
intermediates and the inputs ``q``, ``dq`` and the point offset ``p`` (a point
fixed in a link frame); :meth:`ChainDerivation.sympy` turns one into a sympy
Matrix. Nothing is ever multiplied out or simplified, so
derivation time grows about linearly with the number of joints, whatever the
URDF's angles and axes.

The dynamics are the textbook recursive algorithms in world coordinates
(:mod:`armjac.symbolic.spatial`): the composite-rigid-body algorithm for M, the
recursive Newton-Euler algorithm for ``C dq + g``, and its symmetric bilinear
form for the Coriolis matrix C, which makes C the Christoffel one (so
``dM/dt - 2 C`` is skew-symmetric).

Bodies that hang rigidly from a chain link (fixed joints, or movable joints off
the chain, which are held at zero) are folded into that link's composite
inertial. Links before the first chain joint never move and carry no dynamics.
Links without an ``<inertial>`` are massless, as the URDF spec says (PyBullet
gives them 1 kg and unit inertia instead: write explicit inertials where the
two must agree). A zero mass with a non-zero inertia tensor still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from armjac.model.tree import STANDARD_GRAVITY, Joint, RobotModel
from armjac.symbolic import spatial as sv
from armjac.symbolic.program import (
    ZERO3,
    Poly,
    Program,
    Vec,
    add,
    cross,
    dot,
    matmul,
    matvec,
    scale,
    sub,
    transpose,
)
from armjac.symbolic.solve import factored_solve, ldl, ldl_solve
from armjac.symbolic.transforms import axis_rotation, constant, origin_matrix, rpy_matrix_numeric

Frame = tuple[list[Vec], Vec]  # (rotation as nested lists, origin)
_SYM = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))  # a symmetric tensor's 6 entries
SINGULAR_RATIO = 1e-14  # det(J J^T) / prod(diag(J J^T)) at or below this is singular


def _zeros(rows: int, cols: int) -> list[list[Poly]]:
    return [[Poly({}) for _ in range(cols)] for _ in range(rows)]


class CompositeBody:
    """Mass properties of everything rigidly attached to one chain link.

    ``com`` is in the link frame; ``inertia`` is the 3x3 tensor about the
    composite COM, in link-frame axes.
    """

    __slots__ = ("link", "mass", "com", "inertia")

    def __init__(self, link: str, mass: float, com: np.ndarray, inertia: np.ndarray):
        self.link, self.mass, self.com, self.inertia = link, mass, com, inertia


class ChainDerivation:
    """Symbolic FK, Jacobians, dJ/dt·dq, M, g, C and ``C dq + g`` for one chain.

    Parameters
    ----------
    model : RobotModel
        The parsed robot tree.
    joint_names : sequence of str
        The controlled joints, in order from the root along one path; each must
        be movable. Other movable joints are held at zero.
    gravity : 3 floats
        Gravity acceleration in the world (root link) frame.
    adjustable_at : str, optional
        When given, the results also depend on the inputs of an
        :class:`~armjac.model.adjustment.Adjustment`: an offset of each chain
        joint's origin and a load fixed to this link (``pk0`` .. ``pk{3N+9}``,
        read after the point offset).
    """

    def __init__(
        self,
        model: RobotModel,
        joint_names: Sequence[str],
        gravity: Sequence[float] = STANDARD_GRAVITY,
        adjustable_at: str | None = None,
    ):
        self.model = model
        self.joint_names = tuple(joint_names)
        self.index = {name: i for i, name in enumerate(self.joint_names)}
        self.joints = tuple(model.parent_joint(self._child(n)) for n in self.joint_names)
        if self.joints and [j.name for j in self.chain_joints_above(self.joints[-1].child)] != list(
            self.joint_names
        ):
            raise ValueError(f"joints {self.joint_names} are not one path from the root")
        n = len(self.joint_names)
        self.prog = Program()
        self.q = [self.prog.input(f"q{i}") for i in range(n)]
        self.dq = [self.prog.input(f"dq{i}") for i in range(n)]
        self.p = [self.prog.input(f"p{c}") for c in "xyz"]
        # a third joint-space input: qdd for inverse dynamics, tau for forward dynamics
        self.u = [self.prog.input(f"u{i}") for i in range(n)]
        self.adjustable_at = adjustable_at
        if adjustable_at is not None:
            model.link(adjustable_at)
            k = [self.prog.input(f"pk{i}") for i in range(3 * n + 10)]
            self.origin_offsets = [k[3 * i : 3 * i + 3] for i in range(n)]
            self.load = k[3 * n :]
        self.gravity_vector = tuple(float(g) for g in gravity)
        eye = [[Poly.of(int(i == j)) for j in range(3)] for i in range(3)]
        self._frames: dict[str, Frame] = {model.root: (eye, list(ZERO3))}
        self._joint_frames: dict[str, Frame] = {}

    def _child(self, joint_name: str) -> str:
        for j in self.model.joints:
            if j.name == joint_name:
                return j.child
        raise ValueError(f"no joint named {joint_name!r}")

    def sympy(self, matrix: Sequence[Sequence[Poly]], expand: bool = True):
        """A result of this class as a sympy Matrix, written out in ``q``, ``dq``
        and ``p`` alone (``expand=False`` keeps the intermediates ``v<i>``; the
        expanded form can be large on arms with general rotations)."""
        import sympy as sp

        rows = [list(r) for r in matrix]
        flat = self.prog.to_sympy([e for r in rows for e in r], expand)
        width = len(rows[0])
        return sp.Matrix(len(rows), width, flat)

    # -- frames -------------------------------------------------------------------
    def _anchor(self, link: str) -> tuple[Frame, np.ndarray]:
        """The nearest symbolic frame at or above ``link`` and the constant 4x4
        transform from it to ``link`` (fixed and held joints fold into it)."""
        const = np.eye(4)
        while link not in self._frames:
            joint = self.model.parent_joint(link)
            if joint.name in self.index:
                self._frames[link] = self._moved(joint)
                break
            const = origin_matrix(joint.xyz, joint.rpy) @ const
            link = joint.parent
        return self._frames[link], const

    def _placed(self, frame: Frame, const: np.ndarray) -> Frame:
        rot, pos = frame
        c_rot = [[constant(const[i, j]) for j in range(3)] for i in range(3)]
        c_pos = [constant(const[i, 3]) for i in range(3)]
        new_rot = [self.prog.vec(row) for row in matmul(rot, c_rot)]
        return new_rot, self.prog.vec(add(pos, matvec(rot, c_pos)))

    def frame(self, link: str) -> Frame:
        """World rotation (3x3 nested list) and origin of ``link``'s URDF frame."""
        anchor, const = self._anchor(link)
        return anchor if np.array_equal(const, np.eye(4)) else self._placed(anchor, const)

    def joint_frame(self, joint: Joint) -> Frame:
        """World frame in which ``joint.axis`` is expressed (before its motion)."""
        if joint.name not in self._joint_frames:
            anchor, const = self._anchor(joint.parent)
            rot, pos = self._placed(anchor, const @ origin_matrix(joint.xyz, joint.rpy))
            if self.adjustable_at is not None and joint.name in self.index:
                # Trans(xyz + d) Rot(rpy): d moves the origin in the parent's axes
                c_rot = [[constant(const[i, j]) for j in range(3)] for i in range(3)]
                d = matvec(anchor[0], matvec(c_rot, self.origin_offsets[self.index[joint.name]]))
                pos = self.prog.vec(add(pos, d))
            self._joint_frames[joint.name] = rot, pos
        return self._joint_frames[joint.name]

    def _moved(self, joint: Joint) -> Frame:
        rot, pos = self.joint_frame(joint)
        i = self.index[joint.name]
        if joint.type == "prismatic":
            return rot, self.prog.vec(add(pos, scale(self.q[i], self.axis(joint))))
        c, s = self.prog.func("cos", self.q[i]), self.prog.func("sin", self.q[i])
        return [self.prog.vec(row) for row in matmul(rot, axis_rotation(joint.axis, c, s))], pos

    def axis(self, joint: Joint) -> Vec:
        """World direction of a chain joint's axis."""
        rot, _ = self.joint_frame(joint)
        return self.prog.vec(matvec(rot, [constant(a) for a in joint.axis]))

    def fk(self, link: str) -> list[list[Poly]]:
        """4x4 world transform of ``link``'s URDF frame."""
        rot, pos = self.frame(link)
        last = [Poly.of(v) for v in (0, 0, 0, 1)]
        return [[*rot[0], pos[0]], [*rot[1], pos[1]], [*rot[2], pos[2]], last]

    def point(self, link: str) -> Vec:
        """World position of the point ``p`` (link-frame offset) on ``link``."""
        rot, pos = self.frame(link)
        return self.prog.vec(add(pos, matvec(rot, self.p)))

    # -- Jacobians ----------------------------------------------------------------
    def chain_joints_above(self, link: str) -> tuple[Joint, ...]:
        """Joints of this chain (``joint_names``) from the root down to ``link``, in order."""
        return tuple(j for j in self.model.path_to(link) if j.name in self.index)

    def motion_axis(self, joint: Joint) -> sv.Motion:
        """The joint's spatial axis S in world coordinates."""
        z = self.axis(joint)
        if joint.type == "prismatic":
            return list(ZERO3), z
        _, o = self.joint_frame(joint)
        return z, self.prog.vec(cross(o, z))

    def jacobian(self, link: str) -> list[list[Poly]]:
        """6xN geometric Jacobian [v; w] at point ``p`` on ``link``, world axes."""
        target = self.point(link)
        jac = _zeros(6, len(self.joint_names))
        for joint in self.chain_joints_above(link):
            z, col = self.axis(joint), self.index[joint.name]
            if joint.type == "prismatic":
                column = [*z, *ZERO3]
            else:
                _, o = self.joint_frame(joint)
                lever = self.prog.vec(sub(target, o))  # bound first: 6 products, not 12
                column = [*self.prog.vec(cross(z, lever)), *z]
            for r in range(6):
                jac[r][col] = column[r]
        return jac

    @cached_property
    def velocities(self) -> tuple[sv.Motion, ...]:
        """Spatial velocity of each chain body, ``V_k = V_{k-1} + S_k dq_k``."""
        out, v = [], sv.ZERO6
        for joint in self.joints:
            v = sv.bind(
                self.prog,
                sv.madd(v, sv.mscale(self.dq[self.index[joint.name]], self.motion_axis(joint))),
            )
            out.append(v)
        return tuple(out)

    def axis_rate(self, k: int) -> sv.Motion:
        """d/dt of joint k's spatial axis: ``V_{k-1} x S_k``."""
        if k == 0:
            return sv.ZERO6
        return sv.bind(
            self.prog, sv.mcross(self.velocities[k - 1], self.motion_axis(self.joints[k]))
        )

    def djdq(self, link: str) -> list[list[Poly]]:
        """The 6-vector dJ/dt·dq at point ``p`` on ``link``.

        With S_i = (w_i, v_i) the spatial axes, V_L = (w_L, v_L) the link's
        spatial velocity, a = sum_i dq_i dS_i/dt and P the point,
        ``dJ/dt dq = [a_v + a_w x P + w_L x dP/dt; a_w]``, ``dP/dt = v_L + w_L x P``.
        """
        above = self.chain_joints_above(link)
        if not above:
            return _zeros(6, 1)
        target = self.point(link)
        ks = [self.index[j.name] for j in above]
        rate = sv.madd(*(sv.mscale(self.dq[k], self.axis_rate(k)) for k in ks))
        w, v = self.velocities[ks[-1]]
        p_dot = add(v, cross(w, target))
        lin = add(rate[1], cross(rate[0], target), cross(w, p_dot))
        return [[e] for e in self.prog.vec(lin) + self.prog.vec(rate[0])]

    def jacobian_dot(self, link: str) -> list[list[Poly]]:
        """6xN dJ/dt along ``dq`` of :meth:`jacobian`, from its own columns: with
        w_k, v_k the angular and linear columns and W_i the angular velocity of
        body i, ``dJ_i/dt = [W_i x v_i + w_i x sum_{k>i} dq_k v_k; W_i x w_i]``."""
        jac = self.jacobian(link)
        out = _zeros(6, len(self.joint_names))
        cols = [self.index[j.name] for j in self.chain_joints_above(link)]
        lin = {i: [jac[r][i] for r in range(3)] for i in cols}
        tail, tails = list(ZERO3), {}
        for i in reversed(cols):
            tails[i] = tail
            tail = self.prog.vec(add(tail, scale(self.dq[i], lin[i])))
        for i in cols:
            ang, spin = [jac[r][i] for r in range(3, 6)], self.velocities[i][0]
            column = add(cross(spin, lin[i]), cross(ang, tails[i])) + cross(spin, ang)
            for r in range(6):
                out[r][i] = column[r]
        return out

    def local_jacobian(self, link: str) -> list[list[Poly]]:
        """6xN Jacobian of point ``p`` on ``link`` in the link's own axes: ``[R^T v; R^T w]``."""
        rot_t = transpose(self.frame(link)[0])
        jac = self.jacobian(link)
        out = _zeros(6, len(self.joint_names))
        for i in (self.index[j.name] for j in self.chain_joints_above(link)):
            for half in (0, 3):
                turned = matvec(rot_t, [jac[half + r][i] for r in range(3)])
                for r in range(3):
                    out[half + r][i] = turned[r]
        return out

    def manipulability_gradient(self, link: str, rows: int) -> list[list[Poly]]:
        """N rows: the gradient of ``w = sqrt(det(J J^T))``, J the first ``rows`` rows
        of :meth:`jacobian`; NaN where ``J J^T`` is (nearly) singular.

        ``dw/dq_k = w <dJ/dq_k, A>`` with ``A = (J J^T)^-1 J`` (an LDL^T solve). With
        dJ_i/dq_k = [w_k x v_i; w_k x w_i] for k <= i and [w_i x v_k; 0] for k > i
        (w, v the angular and linear columns), the sum over columns collapses to
        ``w_k . sum_{i>=k} (v_i x a_i + w_i x b_i) + v_k . sum_{i<k} (a_i x w_i)``
        (a_i, b_i the linear and angular rows of A's column i; no b with 3 rows).
        Singular means ``det <= SINGULAR_RATIO * prod(diag(J J^T))`` (Hadamard's
        bound: the ratio is 1 for orthogonal rows, 0 for dependent ones); the result
        is then multiplied by ``s * (1 / s)`` with ``s = sqrt(ratio - SINGULAR_RATIO)``:
        NaN there (the kernel reports it, without a branch), within an ulp of 1 elsewhere.
        """
        prog, n = self.prog, len(self.joint_names)
        jac = self.jacobian(link)
        part = jac[:rows]
        gram = [[prog.let(dot_rows(part[r], part[s])) for s in range(rows)] for r in range(rows)]
        low, piv, inv = ldl(prog, gram)
        cols = [factored_solve(prog, low, inv, [part[r][c] for r in range(rows)]) for c in range(n)]
        det, hadamard = piv[0], gram[0][0]
        for r in range(1, rows):
            det, hadamard = prog.let(det * piv[r]), prog.let(hadamard * gram[r][r])
        ratio = prog.let(det * prog.func("recip", hadamard))
        gate = prog.func("sqrt", ratio - SINGULAR_RATIO)
        w = prog.let(prog.func("sqrt", det) * gate * prog.func("recip", gate))
        lin = [[jac[r][c] for r in range(3)] for c in range(n)]
        ang = [[jac[r][c] for r in range(3, 6)] for c in range(n)]
        terms = []
        for c in range(n):
            t = cross(lin[c], cols[c][:3])
            terms.append(prog.vec(add(t, cross(ang[c], cols[c][3:])) if rows == 6 else t))
        suffix, after = [None] * n, list(ZERO3)
        for c in range(n - 1, -1, -1):
            after = suffix[c] = prog.vec(add(after, terms[c]))
        before, grad = list(ZERO3), []
        for k in range(n):
            grad.append([w * (dot(ang[k], suffix[k]) + dot(lin[k], before))])
            before = prog.vec(add(before, cross(cols[k][:3], ang[k])))
        return grad

    # -- dynamics -------------------------------------------------------------------
    @cached_property
    def bodies(self) -> tuple[CompositeBody, ...]:
        """One composite body per chain joint (the joint's child link and all it carries)."""
        return tuple(self._composite(joint.child) for joint in self.joints)

    def _composite(self, base: str) -> CompositeBody:
        masses, coms, tensors = [], [], []
        stack = [(base, np.eye(4))]
        while stack:
            link, t_rel = stack.pop()
            inert = self.model.link(link).inertial
            if inert is not None:
                # A zero mass with a non-zero tensor still adds rotational inertia
                # (the Panda's link8 and grasp target), as PyBullet counts it.
                rot = t_rel[:3, :3] @ rpy_matrix_numeric(inert.rpy)
                ixx, ixy, ixz, iyy, iyz, izz = inert.inertia
                tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
                masses.append(inert.mass)
                coms.append(t_rel[:3, :3] @ np.array(inert.xyz) + t_rel[:3, 3])
                tensors.append(rot @ tensor @ rot.T)
            for child in self.model.children(link):
                if child.name in self.index:
                    continue  # the next chain body starts here
                stack.append((child.child, t_rel @ origin_matrix(child.xyz, child.rpy)))
        mass = float(sum(masses))
        com = sum(m * c for m, c in zip(masses, coms, strict=True)) / mass if mass else np.zeros(3)
        inertia = np.zeros((3, 3))
        for m, c, tensor in zip(masses, coms, tensors, strict=True):
            d = c - com
            inertia += tensor + m * (d @ d * np.eye(3) - np.outer(d, d))
        return CompositeBody(base, mass, com, inertia)

    @cached_property
    def inertias(self) -> tuple[sv.Inertia, ...]:
        """Each chain body's spatial inertia about the world origin."""
        out = []
        for body in self.bodies:
            rot, pos = self.frame(body.link)
            m = constant(body.mass)
            c = self.prog.vec(add(pos, matvec(rot, [constant(x) for x in body.com])))
            turned = self._rotated_inertia(rot, body.inertia)
            h = scale(m, c)
            cc = [[c[i] * c[j] for j in range(3)] for i in range(3)]
            shift = [
                [
                    m * ((c[0] ** 2 + c[1] ** 2 + c[2] ** 2) * int(i == j) - cc[i][j])
                    for j in range(3)
                ]
                for i in range(3)
            ]
            total = [[turned[i][j] + shift[i][j] for j in range(3)] for i in range(3)]
            out.append(sv.Inertia(m, h, total).bound(self.prog))
        if self.adjustable_at is not None:
            above = self.chain_joints_above(self.adjustable_at)
            if above:  # a load before the first chain joint never moves
                k = self.joints.index(above[-1])
                out[k] = (out[k] + self._load_inertia()).bound(self.prog)
        return tuple(out)

    def _load_inertia(self) -> sv.Inertia:
        """The adjustable load about the world origin, from its linear parameters in
        the load link's frame: mass m, first moment h and inertia I_o about the link
        origin o, so ``I = R I_o R^T + m (|o|^2 1 - o o^T) + 2 (o . h_w) 1 - o h_w^T - h_w o^T``
        with ``h_w = R h``."""
        rot, o = self.frame(self.adjustable_at)
        m, h, i_o = self.load[0], self.load[1:4], self.load[4:]
        tensor = [[i_o[_SYM.index((min(a, b), max(a, b)))] for b in range(3)] for a in range(3)]
        h_w = self.prog.vec(matvec(rot, h))
        turned = matmul([self.prog.vec(r) for r in matmul(rot, tensor)], transpose(rot))
        oh, oo = dot(o, h_w), dot(o, o)
        total = [
            [
                turned[a][b]
                + (m * oo + 2 * oh if a == b else 0)
                - m * o[a] * o[b]
                - o[a] * h_w[b]
                - h_w[a] * o[b]
                for b in range(3)
            ]
            for a in range(3)
        ]
        return sv.Inertia(m, add(scale(m, o), h_w), total)

    def _rotated_inertia(self, rot: list[Vec], inertia: np.ndarray) -> list[list[Poly]]:
        """``R I R^T``. A physical tensor is ``sum_a w_a w_a^T`` over its principal
        axes scaled by the square roots of the moments, which takes 27 products
        instead of 45; others are rotated as they are."""
        moments, axes = np.linalg.eigh(inertia)
        if moments.min() < 0.0:
            local = [[constant(inertia[i, j]) for j in range(3)] for i in range(3)]
            return matmul([self.prog.vec(r) for r in matmul(rot, local)], transpose(rot))
        cols = [
            self.prog.vec(matvec(rot, [constant(x) for x in np.sqrt(lam) * axes[:, a]]))
            for a, lam in enumerate(moments)
            if lam > 0.0
        ]
        return [[sum((w[i] * w[j] for w in cols), Poly({})) for j in range(3)] for i in range(3)]

    @cached_property
    def composites(self) -> tuple[sv.Inertia, ...]:
        """Spatial inertia of each body together with everything after it."""
        out: list[sv.Inertia] = []
        for inertia in reversed(self.inertias):
            out.append(inertia if not out else (inertia + out[-1]).bound(self.prog))
        return tuple(reversed(out))

    def _base_acceleration(self) -> sv.Motion:
        return list(ZERO3), [constant(-g) for g in self.gravity_vector]

    def mass_matrix(self) -> list[list[Poly]]:
        """NxN joint-space inertia matrix (composite-rigid-body algorithm)."""
        n = len(self.joint_names)
        m_sym = _zeros(n, n)
        axes = [self.motion_axis(j) for j in self.joints]
        for j in range(n):
            f = sv.bind(self.prog, self.composites[j].apply(axes[j]))
            for i in range(j + 1):
                m_sym[i][j] = m_sym[j][i] = self.prog.let(sv.power(axes[i], f))
        return m_sym

    def gravity(self) -> list[list[Poly]]:
        """N-vector (as N rows) of joint torques that hold the chain still, g(q)."""
        a0 = self._base_acceleration()
        return [
            [self.prog.let(sv.power(self.motion_axis(j), self.composites[k].apply(a0)))]
            for k, j in enumerate(self.joints)
        ]

    @cached_property
    def momenta(self) -> tuple[sv.Force, ...]:
        """Each body's spatial momentum ``I_k V_k``."""
        return tuple(
            sv.bind(self.prog, inertia.apply(v))
            for inertia, v in zip(self.inertias, self.velocities, strict=True)
        )

    def nonlinear_effects(self) -> list[list[Poly]]:
        """N-vector (as N rows) ``C(q, dq) dq + g(q)`` (recursive Newton-Euler with zero qdd)."""
        acc, forces = self._base_acceleration(), []
        for k in range(len(self.joints)):
            acc = sv.bind(self.prog, sv.madd(acc, sv.mscale(self.dq[k], self.axis_rate(k))))
            f = sv.madd(self.inertias[k].apply(acc), sv.fcross(self.velocities[k], self.momenta[k]))
            forces.append(sv.bind(self.prog, f))
        return self._project(forces)

    def inverse_dynamics(self) -> list[list[Poly]]:
        """N-vector (as N rows) ``tau = M(q) u + C(q, dq) dq + g(q)`` with ``u`` the joint
        accelerations (recursive Newton-Euler)."""
        acc, forces = self._base_acceleration(), []
        for k, joint in enumerate(self.joints):
            step = sv.madd(
                acc,
                sv.mscale(self.dq[k], self.axis_rate(k)),
                sv.mscale(self.u[k], self.motion_axis(joint)),
            )
            acc = sv.bind(self.prog, step)
            f = sv.madd(self.inertias[k].apply(acc), sv.fcross(self.velocities[k], self.momenta[k]))
            forces.append(sv.bind(self.prog, f))
        return self._project(forces)

    def forward_dynamics(self) -> list[list[Poly]]:
        """N-vector (as N rows) ``qdd = M(q)^-1 (u - C(q, dq) dq - g(q))`` with ``u`` the
        joint torques: an LDL^T solve on the composite-rigid-body M, written out."""
        h = self.nonlinear_effects()
        rhs = [self.u[i] - h[i][0] for i in range(len(self.joints))]
        return [[x] for x in ldl_solve(self.prog, self.mass_matrix(), rhs)]

    @cached_property
    def composite_momenta(self) -> tuple[sv.Force, ...]:
        """``P^c_k``: the spatial momentum of body k and everything after it."""
        out: list[sv.Force] = []
        for m in reversed(self.momenta):
            out.append(m if not out else sv.bind(self.prog, sv.madd(m, out[-1])))
        return tuple(reversed(out))

    def momentum_terms(self) -> list[list[Poly]]:
        """2N rows: the generalized momentum ``p = M dq`` and ``n = C^T dq - g``.

        ``p_i = S_i . P^c_i``. For the Christoffel C, ``(C^T dq)_i`` is
        ``dT/dq_i = dq^T (dM/dq_i) dq / 2`` (the kinetic energy's gradient), and turning
        joint i moves every body after it about S_i, which gives
        ``(C^T dq)_i = (dS_i/dt) . P^c_i`` with ``dS_i/dt = V_{i-1} x S_i``.
        """
        pc, g = self.composite_momenta, self.gravity()
        mom = [
            self.prog.let(sv.power(self.motion_axis(j), pc[k])) for k, j in enumerate(self.joints)
        ]
        rest = [
            sv.power(self.axis_rate(k), pc[k]) - g[k][0] if k else -g[k][0]
            for k in range(len(self.joints))
        ]
        return [[e] for e in mom + rest]

    def _project(self, forces: Sequence[sv.Force], start: int = 0) -> list[list[Poly]]:
        """Joint torques ``S_i . sum_{k >= max(i, start)} F_k`` for forces F_start.. ."""
        n = len(self.joints)
        tau = [Poly({})] * n
        total = None
        for k in range(n - 1, start - 1, -1):
            f = forces[k - start]
            total = f if total is None else sv.bind(self.prog, sv.madd(total, f))
            tau[k] = self.prog.let(sv.power(self.motion_axis(self.joints[k]), total))
        for i in range(start):
            tau[i] = self.prog.let(sv.power(self.motion_axis(self.joints[i]), total))
        return [[t] for t in tau]

    def coriolis(self) -> list[list[Poly]]:
        """NxN Coriolis matrix C(q, dq) in Christoffel form.

        Column j is the symmetric bilinear Newton-Euler term B(e_j, dq), whose
        quadratic form B(dq, dq) is ``C dq``; a symmetric bilinear form is fixed
        by its quadratic form, so this is sum_k Gamma_ijk dq_k. Body k >= j
        carries the acceleration ``A_kj = (S_j x V_k) / 2 + dS_j/dt`` and the
        force ``F_kj = I_k A_kj + (S_j x* P_k + V_k x* I_k S_j) / 2`` (P_k = I_k V_k),
        so ``C_ij = S_i . sum_{k >= max(i, j)} F_kj``. The sums collapse onto
        composites: with the symmetric ``D_k = ([V_k x*] I_k - I_k [V_k x]) / 2``,
        ``E_i = (sum_{k>=i} D_k) S_i``, composite momenta ``P^c`` and inertias ``I^c``:

            i <= j: C_ij = S_i . (I^c_j dS_j/dt + S_j x* P^c_j / 2 + E_j)
            i >  j: C_ij = (I^c_i S_i) . dS_j/dt - (S_i x* P^c_i) . S_j / 2 + E_i . S_j

        For V = (w, u) and inertia (m, h, I), D = [[D11, X], [-X, 0]] with
        ``X v = c x v / 2``, ``c = w x h + m u`` and
        ``D11 = (B + B^T) / 2 + (u . h) 1``, ``B = [w x] I - u h^T``.
        """
        n = len(self.joints)
        prog = self.prog
        bind = lambda v: sv.bind(prog, v)  # noqa: E731
        axes = [self.motion_axis(j) for j in self.joints]
        rates = [self.axis_rate(k) for k in range(n)]
        psum, dsum, csum = [None] * n, [None] * n, [None] * n
        for k in range(n - 1, -1, -1):
            (w, u), inertia = self.velocities[k], self.inertias[k]
            b = [
                [dot_row - u[r] * inertia.h[c] for c, dot_row in enumerate(row)]
                for r, row in enumerate(matmul(_skew(w), inertia.rot))
            ]
            uh = dot(u, inertia.h)
            d11 = [
                [(b[r][c] + b[c][r]) * 0.5 + (uh if r == c else 0) for c in range(3)]
                for r in range(3)
            ]
            cvec = add(cross(w, inertia.h), scale(inertia.m, u))
            if k < n - 1:
                d11 = [[d11[r][c] + dsum[k + 1][r][c] for c in range(3)] for r in range(3)]
                cvec = add(cvec, csum[k + 1])
            dsum[k] = sv.Inertia(0, ZERO3, d11).bound(prog).rot
            csum[k] = prog.vec(cvec)
            psum[k] = self.composite_momenta[k]
        e = []
        for i in range(n):
            w, v = axes[i]
            half_c = scale(0.5, csum[i])
            e.append(bind((add(matvec(dsum[i], w), cross(half_c, v)), scale(-1, cross(half_c, w)))))
        c_sym = _zeros(n, n)
        for j in range(n):
            spin = sv.mscale(0.5, bind(sv.fcross(axes[j], psum[j])))
            g = bind(sv.madd(bind(self.composites[j].apply(rates[j])), spin, e[j]))
            for i in range(j + 1):
                c_sym[i][j] = prog.let(sv.power(axes[i], g))
        for i in range(n):
            f_i = bind(self.composites[i].apply(axes[i]))
            q_i = sv.mscale(-0.5, bind(sv.fcross(axes[i], psum[i])))
            for j in range(i):
                c_sym[i][j] = prog.let(
                    sv.power(rates[j], f_i) + sv.power(axes[j], sv.madd(q_i, e[i]))
                )
        return c_sym


def dot_rows(a: Sequence[Poly], b: Sequence[Poly]) -> Poly:
    """The dot product of two rows of any length."""
    return sum((x * y for x, y in zip(a, b, strict=True)), Poly({}))


def _skew(a: Vec) -> list[Vec]:
    """The matrix of ``a x``."""
    return [[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]]
