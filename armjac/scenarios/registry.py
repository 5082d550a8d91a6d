"""Scenario types by name: the one place a new kind of scenario is added.

>>> from armjac.scenarios.registry import register_scenario
>>> @register_scenario          # doctest: +SKIP
... class Wipe(Scenario):
...     kind = "wipe"
"""

from __future__ import annotations

from armjac.errors import ConfigError

_TYPES: dict[str, type] = {}


def register_scenario(cls: type, name: str | None = None) -> type:
    """Make ``cls`` (a :class:`~armjac.scenarios.types.Scenario` subclass) available
    as ``scenario: NAME`` in scenario files; ``name`` defaults to ``cls.kind``.

    Returns ``cls``, so it also works as a class decorator.
    """
    key = name or cls.kind
    if not isinstance(key, str) or not key:
        raise ValueError(f"a scenario type needs a non-empty name; got {key!r}")
    _TYPES[key] = cls
    return cls


def scenario_types() -> tuple[str, ...]:
    """Names of the registered scenario types, in registration order."""
    return tuple(_TYPES)


def scenario_type(name: str) -> type:
    """The class registered as ``name``; ConfigError listing the known ones otherwise."""
    try:
        return _TYPES[name]
    except KeyError:
        raise ConfigError(
            f"unknown scenario type {name!r}; known: {', '.join(_TYPES) or 'none'}"
        ) from None
