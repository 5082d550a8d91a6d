"""Straight-line programs: named intermediates that later expressions refer to.

Multiplying a chain's transforms out into one expression tree makes it grow
exponentially with general (non right-angle) rotations, and common-subexpression
elimination then has to rediscover the sharing. A :class:`Program` keeps the
sharing instead: every non-trivial value (a rotation entry, an axis, a composite
inertia) is bound once to a fresh variable, and later expressions use the
variable. Derivation cost and code size then grow about linearly with the number
of joints, and each kernel is the subset of steps its outputs depend on.

Expressions are :class:`Poly` objects, sums of products of variables with float
coefficients. They are built with ``+``, ``-`` and ``*`` like sympy expressions
but cost microseconds, not milliseconds; :meth:`Program.to_sympy` turns any of
them into sympy for inspection. Small helpers for 3-vectors (plain lists of
expressions) live here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Number = int | float
FUNCS = ("sin", "cos", "recip", "sqrt")  # the one-argument steps besides polynomials


class Poly:
    """A polynomial in program variables: ``{monomial: coefficient}``, where a
    monomial is a sorted tuple of variable ids (``()`` is the constant term)."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[tuple[int, ...], float]):
        self.terms = terms

    @staticmethod
    def of(x: Poly | Number) -> Poly:
        """``x`` as a Poly (numbers become constants)."""
        if isinstance(x, Poly):
            return x
        return Poly({(): float(x)} if x != 0 else {})

    def __add__(self, other):
        out = dict(self.terms)
        for m, c in Poly.of(other).terms.items():
            _accumulate(out, m, c)
        return Poly(out)

    __radd__ = __add__

    def __neg__(self):
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other):
        return self + (-Poly.of(other))

    def __rsub__(self, other):
        return Poly.of(other) + (-self)

    def __mul__(self, other):
        if not isinstance(other, Poly):
            other = float(other)
            if other == 0.0:
                return Poly({})
            return Poly({m: c * other for m, c in self.terms.items()})
        out: dict[tuple[int, ...], float] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                _accumulate(out, tuple(sorted(m1 + m2)), c1 * c2)
        return Poly(out)

    __rmul__ = __mul__

    def __pow__(self, k: int):
        if k != 2:
            raise ValueError("only squares are supported")
        return self * self

    def key(self) -> tuple:
        """A hashable form (equal polynomials have equal keys)."""
        return tuple(sorted(self.terms.items()))

    def variables(self) -> set[int]:
        """Ids of the variables this expression uses."""
        return {v for m in self.terms for v in m}

    def constant(self) -> float | None:
        """The value if this is a constant, else None."""
        if not self.terms:
            return 0.0
        if len(self.terms) == 1 and () in self.terms:
            return self.terms[()]
        return None


def _accumulate(terms: dict, mono: tuple[int, ...], coeff: float) -> None:
    """``terms[mono] += coeff``, dropping terms that cancel to zero."""
    v = terms.get(mono, 0.0) + coeff
    if v == 0.0:
        terms.pop(mono, None)
    else:
        terms[mono] = v


def _trivial(p: Poly) -> bool:
    """A constant or ``c * variable`` costs nothing to inline."""
    return len(p.terms) <= 1 and all(len(m) <= 1 for m in p.terms)


class Program:
    """Variables (inputs first) and an ordered list of steps that define the rest.

    A step is ``(var, kind, arg)``: ``kind`` is ``"poly"`` (arg a Poly in earlier
    variables) or one of :data:`FUNCS` (``"sin"``, ``"cos"``, ``"recip"`` for 1/x,
    ``"sqrt"``) of one variable.
    """

    def __init__(self):
        self.names: list[str] = []
        self.steps: list[tuple[int, str, object]] = []
        self._defs: dict[int, int] = {}  # variable -> index of its step
        self._memo: dict[tuple, Poly] = {}

    def input(self, name: str) -> Poly:
        """A new input variable called ``name``."""
        self.names.append(name)
        return Poly({(len(self.names) - 1,): 1.0})

    def _new(self, kind: str, arg: object, key: tuple) -> Poly:
        var = len(self.names)
        self.names.append(f"v{len(self.steps)}")
        self._defs[var] = len(self.steps)
        self.steps.append((var, kind, arg))
        out = Poly({(var,): 1.0})
        self._memo[key] = out
        return out

    def let(self, expr: Poly | Number) -> Poly:
        """``expr`` bound to a named intermediate (or returned as is when trivial);
        the same expression is bound only once."""
        expr = Poly.of(expr)
        if _trivial(expr):
            return expr
        key = ("poly", expr.key())
        return self._memo.get(key) or self._new("poly", expr, key)

    def func(self, kind: str, x: Poly) -> Poly:
        """``kind`` (one of :data:`FUNCS`) of ``x``, bound as a step. A non-variable
        ``x`` is bound first; sin and cos take a single variable."""
        if kind not in FUNCS:
            raise ValueError(f"unknown function {kind!r}")
        x = Poly.of(x)
        if (
            len(x.terms) != 1
            or next(iter(x.terms.values())) != 1.0
            or len(next(iter(x.terms))) != 1
        ):
            if kind in ("sin", "cos"):
                raise ValueError("sin/cos take one variable")
            key = ("poly", x.key())
            x = self._memo.get(key) or self._new("poly", x, key)
        ((mono, _),) = x.terms.items()
        key = (kind, mono[0])
        return self._memo.get(key) or self._new(kind, mono[0], key)

    def vec(self, items: Iterable) -> list[Poly]:
        """Each item bound with :meth:`let`."""
        return [self.let(e) for e in items]

    def needed(self, outputs: Iterable[Poly]) -> list[tuple[int, str, object]]:
        """The steps ``outputs`` depend on, in program order."""
        need: set[int] = set()
        for e in outputs:
            need |= Poly.of(e).variables()
        keep = []
        for var, kind, arg in reversed(self.steps):
            if var in need:
                keep.append((var, kind, arg))
                need |= arg.variables() if kind == "poly" else {arg}
        keep.reverse()
        return keep

    def inputs_of(self, outputs: Sequence[Poly]) -> set[str]:
        """Names of the input variables ``outputs`` depend on."""
        used = set()
        for e in outputs:
            used |= Poly.of(e).variables()
        for _, kind, arg in self.needed(outputs):
            used |= arg.variables() if kind == "poly" else {arg}
        return {self.names[v] for v in used if v not in self._defs}

    def to_sympy(self, exprs: Sequence[Poly], expand: bool = True) -> list:
        """sympy expressions of ``exprs``; ``expand`` substitutes every intermediate
        (this can be large on arms with general rotations), else keeps ``v<i>``."""
        import sympy as sp

        values: dict[int, object] = {}

        def conv(p: Poly):
            total = sp.Integer(0)
            for mono, coeff in p.terms.items():
                term = sp.Float(coeff) if coeff not in (1.0, -1.0) else sp.Integer(int(coeff))
                for v in mono:
                    term = term * values.get(v, sp.Symbol(self.names[v], real=True))
                total += term
            return total

        if expand:
            for var, kind, arg in self.needed(exprs):
                if kind == "poly":
                    values[var] = conv(arg)
                else:
                    x = values.get(arg, sp.Symbol(self.names[arg], real=True))
                    values[var] = 1 / x if kind == "recip" else getattr(sp, kind)(x)
        return [conv(Poly.of(e)) for e in exprs]


# -- 3-vector algebra on lists -----------------------------------------------------
Vec = list  # three expressions


def cross(a: Sequence, b: Sequence) -> Vec:
    """a x b."""
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def dot(a: Sequence, b: Sequence):
    """a . b."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def add(*vs: Sequence) -> Vec:
    """Elementwise sum of 3-vectors."""
    return [sum((v[i] for v in vs), Poly({})) for i in range(3)]


def sub(a: Sequence, b: Sequence) -> Vec:
    """a - b."""
    return [a[i] - b[i] for i in range(3)]


def scale(s, v: Sequence) -> Vec:
    """s * v."""
    return [x * s for x in v]


def matvec(m: Sequence[Sequence], v: Sequence) -> Vec:
    """m @ v for a 3x3 nested list ``m``."""
    return [dot(row, v) for row in m]


def matmul(a: Sequence[Sequence], b: Sequence[Sequence]) -> list[Vec]:
    """a @ b for 3x3 nested lists."""
    return [
        [sum((a[i][k] * b[k][j] for k in range(3)), Poly({})) for j in range(3)] for i in range(3)
    ]


def transpose(m: Sequence[Sequence]) -> list[Vec]:
    """m^T for a 3x3 nested list."""
    return [[m[j][i] for j in range(3)] for i in range(3)]


ZERO3: Vec = [Poly({})] * 3
