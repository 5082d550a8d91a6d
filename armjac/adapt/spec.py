"""Build an adapting model from a short specification (a rule name or a mapping).

=============  ==================================================================
``none``       the base model unchanged (it has no ``update``)
``pes``        PES on the output decoders (``learning_rate``, ``dt``)
``rls``        RLS on the output decoders (``delta``, ``forgetting``, ``lam``, ``bounded``,
               ``bias``, ``reset``, ``n_neurons``)
``tool_rls``   the nominal's tool point identified online by RLS (``delta``, ``lam``,
               ``reset``)
``local_rls``  RLS on a local RBF correction (``width``, ``spacing``, ``max_centres``,
               ``delta``, ``forgetting``, ``lam``, ``bounded``, ``reset``)
``broyden``    Broyden's rank-1 Jacobian update, anchored to the last sample
               (``alpha``, ``min_step``)
``offset``     the base model shifted through the last sample (``on``: an adaptation
               of the base to shift instead, e.g. ``tool_rls``)
=============  ==================================================================

Every rule but ``none`` also takes the sample gate's ``max_innovation``,
``confirm`` and ``max_jump`` (:mod:`armjac.adapt.gate`). With exponential
forgetting, ``bounded`` (the default) keeps every weight's variance at or
below its prior: unbounded, the directions a path does not excite wind up
until the model diverges, even on a clean, smooth path.

``pes`` and ``rls`` adapt a learned network's output decoders; given a
nominal arm at a tool point instead (a ``TipNominal``), they start from a fresh
ensemble of ``n_neurons`` with zero decoders on it
(:func:`~armjac.adapt.network.zero_residual`). ``tool_rls`` needs the nominal
arm at a tool point; the others take any source.

Default step sizes, and why: PES's ``learning_rate`` 25 with ``dt`` 0.02 (one
Nengo step per 50 Hz sample) removes about a fifth of a sample's error per
update for typical activities (``kappa dt |a|^2 / n`` ~ 0.2; above 2 it is
unstable). RLS priors ``delta`` are the prior variance of the adapted output
over the noise variance, per unit regressor: corrections of a few cm against
0.5 mm noise give ``(0.05 / 0.0005)^2 = 1e4``, divided by ``|phi|^2`` (about 200
for 400 tanh neurons, 1 for RBF bumps, 1 for a rotation's columns). Unknown rules or keys raise
:class:`~armjac.errors.ConfigError` naming them.
"""

from __future__ import annotations

from armjac.adapt.features import RBFFeatures
from armjac.adapt.gate import SampleGate
from armjac.adapt.models import (
    Broyden,
    DecoderAdaptation,
    LocalCorrection,
    ToolOffset,
    TrackerOffset,
)
from armjac.adapt.rules import PES, RLS
from armjac.errors import ConfigError, InputError
from armjac.sources import make_source, register_source
from armjac.validation import excerpt

# Forgetting factor of every rule that forgets: a memory of 1 / (1 - LAM) = 10 samples,
# 0.2 s at 50 Hz. After a step change of 40x the tolerance (8 cm against 2 mm) the error
# decays as LAM^k, so it needs ln(40) / ln(1 / LAM) = 35 samples, 0.7 s: what a 1 s
# recovery allows. Noise averaged over 10 samples: 0.5 mm -> 0.16 mm.
LAM = 0.9
# Covariance reset: an error of 10 mm is 20 sigma of the 0.5 mm tracker noise -- a change.
RESET = 0.01
# rule -> {key: default}
DEFAULTS: dict[str, dict] = {
    "none": {},
    "pes": {"learning_rate": 25.0, "dt": 0.02, "n_neurons": 400},
    "rls": {
        "delta": 50.0,
        "forgetting": "directional",
        "lam": LAM,
        "bounded": True,
        "bias": True,
        "reset": RESET,
        "n_neurons": 400,
    },
    "tool_rls": {"delta": 1e4, "lam": LAM, "reset": RESET},
    "local_rls": {
        "width": 0.3,
        "spacing": 0.1,
        "max_centres": 200,
        "delta": 1e4,
        "forgetting": "exponential",
        "lam": LAM,
        "bounded": True,
        "reset": RESET,
    },  # fmt: skip
    "broyden": {"alpha": 1.0, "min_step": 1e-3},
    "offset": {"on": "none"},
}
# the sample gate's parameters, taken by every rule that learns (armjac.adapt.gate)
GATE = {"max_innovation": 0.25, "confirm": 3, "max_jump": 2.0}


def parse_spec(spec) -> tuple[str, dict]:
    """``(rule, parameters)`` with defaults filled in, from a name or ``{"rule": ..., ...}``."""
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, dict) or "rule" not in spec:
        raise ConfigError(
            f"an adaptation needs a rule name or a mapping with 'rule'; got {excerpt(spec)}"
        )
    rule = spec["rule"]
    if not isinstance(rule, str) or rule not in DEFAULTS:
        raise ConfigError(f"unknown adaptation rule {excerpt(rule)}; known: {', '.join(DEFAULTS)}")
    defaults = {**DEFAULTS[rule], **(GATE if rule != "none" else {})}
    extra = set(spec) - {"rule"} - set(defaults)
    if extra:
        raise ConfigError(
            f"adaptation rule {rule!r} has no parameter(s) {sorted(map(str, extra))}; it takes "
            f"{sorted(defaults) or 'none'}"
        )
    return rule, {**defaults, **{k: v for k, v in spec.items() if k != "rule"}}


def make_adapting(base, spec):
    """An adapting model over ``base`` following ``spec`` (see the module docstring).

    Raises
    ------
    ConfigError
        Unknown rule or parameter, or a parameter out of range (the message names it).
    """
    rule, p = parse_spec(spec)
    try:
        model = _build(base, rule, p)
        if rule != "none":
            model.gate = SampleGate(p["max_innovation"], p["confirm"], p["max_jump"])
    except InputError as exc:
        raise ConfigError(f"adaptation {rule!r}: {exc}") from None
    return model


def _build(base, rule: str, p: dict):
    if rule == "none":
        return base
    if rule == "pes":
        return DecoderAdaptation(_network(base, p), PES(p["learning_rate"], p["dt"]))
    if rule == "rls":
        rls = RLS(p["delta"], p["forgetting"], p["lam"], _flag(p, "bounded"), p["reset"])
        return DecoderAdaptation(_network(base, p), rls, bias=_flag(p, "bias"))
    if rule == "tool_rls":
        return ToolOffset(base, p["delta"], p["lam"], p["reset"])
    if rule == "local_rls":
        feats = RBFFeatures(p["width"], p["spacing"], p["max_centres"])
        rls = RLS(p["delta"], p["forgetting"], p["lam"], _flag(p, "bounded"), p["reset"])
        return LocalCorrection(base, feats, rls)
    if rule == "broyden":
        return Broyden(base, p["alpha"], p["min_step"])
    return TrackerOffset(make_adapting(base, p["on"]))


def _flag(p: dict, key: str) -> bool:
    """A true/false parameter (a string or number would silently count as true)."""
    if not isinstance(p[key], bool):
        raise InputError(f"{key} must be true or false; got {excerpt(p[key])}")
    return p[key]


def _network(base, p: dict):
    """``base`` if it is a learned network, else a fresh zero-output ensemble on its tool point."""
    if callable(getattr(base, "output_weights", None)):
        return base
    arm, point = getattr(base, "arm", None), getattr(base, "point", None)
    if arm is None or point is None:
        raise InputError(
            "decoder adaptation needs a position-only LearnedModel, or a nominal arm at a tool "
            f"point (TipNominal) to put a fresh ensemble on; got {base!r}"
        )
    from armjac.adapt.network import zero_residual

    return zero_residual(arm, point, n_neurons=p["n_neurons"])


def adapting_source(arm, arg: str | None):
    """The ``adapt:RULE[:BASE]`` source: ``RULE`` over ``BASE`` (any source name; default
    ``arm`` at its end-effector origin), e.g. ``adapt:rls:learned:models/kuka``."""
    if not arg:
        raise ConfigError(
            f"the 'adapt' source needs a rule: 'adapt:RULE[:BASE]' with RULE one of "
            f"{', '.join(DEFAULTS)}"
        )
    rule, _, base = arg.partition(":")
    if base:
        src = make_source(base, arm)
    elif arm is None:
        raise ConfigError(f"'adapt:{arg}' needs an arm or a base source ('adapt:{rule}:BASE')")
    else:
        from armjac.learned.residual import TipNominal

        src = TipNominal(arm)
    return make_adapting(src, rule)


register_source("adapt", adapting_source)
