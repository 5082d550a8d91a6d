"""Controller parameters, declared once: name, default, rule and meaning.

Each controller lists its tunable parameters in a :class:`ParamTable`. The
constructor's keyword defaults are read from that table, its arguments are
checked by the table's rules, and a scenario file reads the same table
(``OSC.parameters()``), so a Python user and a YAML file get the same defaults
and the same checks.

Only scalar settings live here (gains, limits, switches, choices). Arguments
that are objects or per-joint arrays (the source, the null-space tasks, torque
limits) are checked by the controller itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from armjac.errors import InputError
from armjac.validation import check_gain, excerpt


@dataclass(frozen=True)
class Param:
    """One controller parameter.

    Attributes
    ----------
    name : str
        Keyword argument (and scenario ``controller:`` key).
    default : object
        The default value; ``None`` where the doc says what it falls back to.
    rule : str
        The rule a value must meet, in words (for docs and error messages).
    doc : str
        Meaning and unit.
    check : callable
        ``check(name, value) -> value``: the checked value, or :class:`InputError`.
    """

    name: str
    default: object
    rule: str
    doc: str
    check: Callable[[str, object], object]

    def validate(self, value: object) -> object:
        """``value`` checked by the rule; ``None`` stays ``None`` when the default is ``None``."""
        if value is None and self.default is None:
            return None
        return self.check(self.name, value)


def positive(name: str, value: object) -> float:
    """A finite number > 0."""
    return check_gain(name, value)


def non_negative(name: str, value: object) -> float:
    """A finite number >= 0."""
    return check_gain(name, value, zero=True)


def flag(name: str, value: object) -> bool:
    """``True`` or ``False`` (numbers and strings are refused: ``"no"`` is truthy)."""
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False; got {excerpt(value)}")
    return value


def one_of(*choices: str) -> Callable[[str, object], str]:
    """A rule accepting only the strings ``choices``."""

    def check(name: str, value: object) -> str:
        if not (isinstance(value, str) and value in choices):
            raise InputError(f"{name} must be one of {choices}; got {excerpt(value)}")
        return value

    check.__doc__ = f"one of {', '.join(map(repr, choices))}"
    return check


class ParamTable(Mapping):
    """An ordered, read-only mapping name -> :class:`Param`.

    Parameters
    ----------
    *params : Param
        The parameters, in the order docs list them.
    """

    def __init__(self, *params: Param):
        self._params = {p.name: p for p in params}

    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __or__(self, other: ParamTable) -> ParamTable:
        return ParamTable(*self.values(), *other.values())

    def default(self, name: str) -> object:
        """The declared default of ``name`` (used as the constructors' keyword defaults)."""
        return self._params[name].default

    def defaults(self) -> dict[str, object]:
        """Every parameter's default."""
        return {name: p.default for name, p in self._params.items()}

    def validate(self, values: Mapping[str, object]) -> dict[str, object]:
        """The entries of ``values`` that are parameters here, each checked by its rule."""
        return {k: self._params[k].validate(v) for k, v in values.items() if k in self._params}

    def describe(self) -> list[dict[str, object]]:
        """One row per parameter (name, default, rule, doc), e.g. for a docs table."""
        return [
            {"name": p.name, "default": p.default, "rule": p.rule, "doc": p.doc}
            for p in self._params.values()
        ]
