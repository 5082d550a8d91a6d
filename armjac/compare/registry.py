"""Model makers the mismatch section calls: the one place an adapter is added.

An adapter turns the section's models into more models (e.g. each base adapted
online, :mod:`armjac.compare.adapted`). It registers here, and the section
(:mod:`armjac.compare.mismatch_models`) calls every registered adapter; neither
side imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable

_ADAPTERS: dict[str, Callable] = {}


def register_adapter(name: str, factory: Callable) -> None:
    """Add models to the mismatch section: ``factory(real, sources, q, x, options)``.

    ``sources`` maps the section's model names to the sources already built from the
    same data (e.g. an adapter that refines ``calibrated+residual`` online);
    ``options`` is the entry's ``adapt`` mapping. The factory returns one source
    (a row named ``name``) or a mapping ``{row name: source}``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"an adapter needs a non-empty name; got {name!r}")
    if not callable(factory):
        raise ValueError(f"adapter {name!r}: the factory must be callable; got {factory!r}")
    _ADAPTERS[name] = factory


def adapters() -> dict[str, Callable]:
    """The registered adapters, ``{name: factory}`` (a copy)."""
    return dict(_ADAPTERS)
