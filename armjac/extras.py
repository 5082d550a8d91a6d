"""Optional parts of armjac and the pip extras that install them.

``pip install armjac`` is the core: numpy, sympy and PyYAML give ``load_arm``,
kinematics, dynamics, the controllers and the ``info``/``jacobian`` commands.
The other parts need an extra; importing one without it raises
:class:`MissingExtraError`, which names the command that installs it.
"""

from __future__ import annotations

import importlib.util
import sys

# extra -> (import name, distribution name) of what it installs
EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "sim": (("pybullet", "pybullet"), ("matplotlib", "matplotlib"), ("PIL", "pillow")),
    "mujoco": (("mujoco", "mujoco"), ("matplotlib", "matplotlib"), ("PIL", "pillow")),
    "learned": (("tensorflow", "tensorflow"), ("nengo", "nengo"), ("nengo_dl", "nengo-dl")),
    "ray": (("ray", "ray"),),
}
# The extras that each bring a simulator (armjac.sim needs one of them), and its name.
ENGINE_EXTRAS = {"sim": "PyBullet", "mujoco": "MuJoCo"}
# The learned stack (TensorFlow 2.12 for nengo-dl 3.6) has wheels for Python 3.11 only.
PYTHONS = {"learned": (3, 11)}


class MissingExtraError(ModuleNotFoundError):
    """A part of armjac was used without the extra that installs its dependencies."""


def missing(extra: str) -> list[str]:
    """Distribution names of ``extra``'s packages that cannot be imported."""
    return [dist for module, dist in EXTRAS[extra] if _absent(module)]


def _absent(module: str) -> bool:
    if sys.modules.get(module, ...) is None:  # blocked, as ``import`` itself treats it
        return True
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def require(extra: str, part: str) -> None:
    """Raise :class:`MissingExtraError` unless every package of ``extra`` imports.

    Parameters
    ----------
    extra : str
        ``"sim"``, ``"mujoco"``, ``"learned"`` or ``"ray"``.
    part : str
        What needs it, for the message (``"armjac.scenarios"``).
    """
    absent = missing(extra)
    if not absent:
        return
    msg = (
        f"{part} needs the '{extra}' extra ({', '.join(absent)} not installed): "
        f"pip install 'armjac[{extra}]'"
    )
    version = PYTHONS.get(extra)
    if version is not None and sys.version_info[:2] != version:
        msg += f" (Python {version[0]}.{version[1]} only; this is {sys.version.split()[0]})"
    raise MissingExtraError(msg, name=absent[0])


def require_any(extras: tuple[str, ...], part: str) -> None:
    """Raise :class:`MissingExtraError` unless at least one of ``extras`` is complete.

    ``armjac.sim`` runs on PyBullet (``sim``) or MuJoCo (``mujoco``): the message
    names every extra that would do.

    Parameters
    ----------
    extras : tuple of str
        Extras any one of which suffices.
    part : str
        What needs it, for the message.
    """
    if any(not missing(extra) for extra in extras):
        return
    absent = list(dict.fromkeys(dist for extra in extras for dist in missing(extra)))
    options = " or ".join(
        f"pip install 'armjac[{e}]'" + (f" ({ENGINE_EXTRAS[e]})" if e in ENGINE_EXTRAS else "")
        for e in extras
    )
    raise MissingExtraError(
        f"{part} needs one of the extras {', '.join(extras)} ({', '.join(absent)} not "
        f"installed): {options}",
        name=absent[0],
    )
