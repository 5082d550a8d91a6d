"""Training losses: each is registered here once, and training and config validation read it.

A config weighs the registered terms by name (``training.loss: {position: 1.0,
jacobian: 0.5}``); a weight of 0 switches a term off. A term is a function of
one :class:`Batch` returning a scalar TensorFlow tensor. Adding a loss is one
:func:`register` call::

    @register("smooth_jacobian", needs_jacobian=True)
    def _smooth(b):
        import tensorflow as tf

        return tf.reduce_mean(tf.abs(b.jac - b.target_jac))

after which the config accepts ``training.loss.smooth_jacobian`` (default 0),
and the training loop computes the network's Jacobian when it is switched on.

Built in:

* ``position``: mean squared error of the network outputs, m^2 (weight 1 by default).
* ``jacobian`` (Sobolev): mean squared error between the network's Jacobian
  d outputs / d q and the reference one.
* ``contractive``: mean squared Frobenius norm of the network's Jacobian,
  sum_ij J_ij^2, which penalises sensitivity to the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from armjac.learned import stack


@dataclass(frozen=True)
class Batch:
    """What a loss term sees for one training minibatch (TensorFlow tensors).

    Attributes
    ----------
    y, target : (B, M)
        The network's outputs and their targets.
    jac, target_jac : (B, R, N) or None
        The network's Jacobian rows and the reference rows (None unless a
        registered term that needs them is switched on). ``R`` is ``M``, or 1 in
        the ``projected`` Jacobian mode (one random projection per sample).
    jac_scale : float
        Scales a mean over the ``R`` rows to the full mean over ``M`` rows
        (1 in the ``full`` mode).
    """

    y: object
    target: object
    jac: object = None
    target_jac: object = None
    jac_scale: float = 1.0


@dataclass(frozen=True)
class Loss:
    """A registered loss term.

    Attributes
    ----------
    name : str
        Its key in ``training.loss``.
    term : callable
        ``term(batch: Batch) -> scalar tensor``.
    needs_jacobian : bool
        Whether the term reads ``batch.jac`` (the training loop then computes it).
    fit : bool
        Whether ``sim.fit`` (``training.method: fit``, outputs only) can train it.
    default : float
        The weight when a config does not set one.
    """

    name: str
    term: Callable[[Batch], object]
    needs_jacobian: bool
    fit: bool = False
    default: float = 0.0


LOSSES: dict[str, Loss] = {}


def register(
    name: str, *, needs_jacobian: bool, fit: bool = False, default: float = 0.0
) -> Callable[[Callable[[Batch], object]], Callable[[Batch], object]]:
    """Register the decorated function as the loss term ``name`` (see the module docs)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a loss name must be an identifier; got {name!r}")

    def add(term: Callable[[Batch], object]) -> Callable[[Batch], object]:
        if name in LOSSES:
            raise ValueError(f"a loss named {name!r} is already registered")
        LOSSES[name] = Loss(name, term, needs_jacobian, fit, float(default))
        return term

    return add


def default_weights() -> dict[str, float]:
    """``{name: default weight}`` for every registered loss (the config defaults)."""
    return {name: loss.default for name, loss in LOSSES.items()}


def needs_jacobian(weights: dict[str, float]) -> bool:
    """Whether any switched-on term reads the network's Jacobian."""
    return any(w and LOSSES[name].needs_jacobian for name, w in weights.items())


def total(weights: dict[str, float], batch: Batch):
    """The weighted sum of the switched-on terms for ``batch``."""
    out = 0.0
    for name, w in weights.items():
        if w:
            out += float(w) * LOSSES[name].term(batch)
    return out


@register("position", needs_jacobian=False, fit=True, default=1.0)
def _position(b: Batch):
    tf = stack.tf()

    return tf.reduce_mean(tf.square(b.y - b.target))


@register("jacobian", needs_jacobian=True)
def _jacobian(b: Batch):
    tf = stack.tf()

    return b.jac_scale * tf.reduce_mean(tf.square(b.jac - b.target_jac))


@register("contractive", needs_jacobian=True)
def _contractive(b: Batch):
    tf = stack.tf()

    return tf.reduce_mean(tf.reduce_sum(tf.square(b.jac), axis=[1, 2]))
