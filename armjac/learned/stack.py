"""The TensorFlow / Nengo / NengoDL stack of the ``learned`` extra, imported on first use.

Loading a saved model and evaluating it with the numpy backend needs none of it;
training, the ``tf`` backend, spiking runs and the Nengo network do. Without
the extra these raise :class:`~armjac.extras.MissingExtraError`, which names
``pip install 'armjac[learned]'``, instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from armjac.extras import require

PART = "armjac.learned (training, the tf backend, spiking runs)"


def _module(name: str, part: str) -> ModuleType:
    # An imported module straight from sys.modules: also keeps TensorFlow's AutoGraph,
    # which traces this from inside tf.functions, away from importlib's internals.
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        return importlib.import_module(name)
    except ImportError:
        require("learned", part)  # names the extra when a package of it is missing
        raise  # installed but broken: the original error says why


def tf(part: str = PART) -> ModuleType:
    """The ``tensorflow`` module; ``part`` names what needs it in the error."""
    return _module("tensorflow", part)


def nengo(part: str = PART) -> ModuleType:
    """The ``nengo`` module; ``part`` names what needs it in the error."""
    return _module("nengo", part)


def nengo_dl(part: str = PART) -> ModuleType:
    """The ``nengo_dl`` module; ``part`` names what needs it in the error."""
    return _module("nengo_dl", part)
