"""Build an adapting model from a short specification (a rule name or a mapping).

=============  ==================================================================
``none``       the base model unchanged (it has no ``update``)
``pes``        PES on the output decoders (``learning_rate``, ``dt``)
``rls``        RLS on the output decoders (``delta``, ``forgetting``, ``lam``, ``bias``)
``local_rls``  RLS on a local RBF correction (``width``, ``spacing``, ``max_centres``,
               ``delta``, ``forgetting``, ``lam``, ``bounded``)
``broyden``    Broyden's rank-1 Jacobian update, anchored to the last sample
               (``alpha``, ``min_step``)
``offset``     the base model shifted through the last sample
=============  ==================================================================

``pes`` and ``rls`` need a learned network (position-only ``LearnedModel``);
the others take any source. Unknown rules or keys raise
:class:`~armjac.errors.ConfigError` naming them.
"""

from __future__ import annotations

from armjac.adapt.features import RBFFeatures
from armjac.adapt.models import Broyden, DecoderAdaptation, LocalCorrection, TrackerOffset
from armjac.adapt.rules import PES, RLS
from armjac.errors import ConfigError, InputError

# rule -> {key: default}
DEFAULTS: dict[str, dict] = {
    "none": {},
    "pes": {"learning_rate": 1.0, "dt": 0.02},
    "rls": {"delta": 1e-4, "forgetting": "directional", "lam": 0.98, "bias": True},
    "local_rls": {
        "width": 0.3, "spacing": 0.1, "max_centres": 200,
        "delta": 1e4, "forgetting": "exponential", "lam": 0.98, "bounded": True,
    },  # fmt: skip
    "broyden": {"alpha": 1.0, "min_step": 1e-3},
    "offset": {},
}


def parse_spec(spec) -> tuple[str, dict]:
    """``(rule, parameters)`` with defaults filled in, from a name or ``{"rule": ..., ...}``."""
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, dict) or "rule" not in spec:
        raise ConfigError(f"an adaptation needs a rule name or a mapping with 'rule'; got {spec!r}")
    rule = spec["rule"]
    if rule not in DEFAULTS:
        raise ConfigError(f"unknown adaptation rule {rule!r}; known: {', '.join(DEFAULTS)}")
    extra = set(spec) - {"rule"} - set(DEFAULTS[rule])
    if extra:
        raise ConfigError(
            f"adaptation rule {rule!r} has no parameter(s) {sorted(extra)}; it takes "
            f"{sorted(DEFAULTS[rule]) or 'none'}"
        )
    return rule, {**DEFAULTS[rule], **{k: v for k, v in spec.items() if k != "rule"}}


def make_adapting(base, spec):
    """An adapting model over ``base`` following ``spec`` (see the module docstring).

    Raises
    ------
    ConfigError
        Unknown rule or parameter, or a parameter out of range (the message names it).
    """
    rule, p = parse_spec(spec)
    try:
        return _build(base, rule, p)
    except InputError as exc:
        raise ConfigError(f"adaptation {rule!r}: {exc}") from None


def _build(base, rule: str, p: dict):
    if rule == "none":
        return base
    if rule == "pes":
        return DecoderAdaptation(base, PES(p["learning_rate"], p["dt"]))
    if rule == "rls":
        return DecoderAdaptation(base, RLS(p["delta"], p["forgetting"], p["lam"]), bias=p["bias"])
    if rule == "local_rls":
        feats = RBFFeatures(p["width"], p["spacing"], p["max_centres"])
        rls = RLS(p["delta"], p["forgetting"], p["lam"], p["bounded"])
        return LocalCorrection(base, feats, rls)
    if rule == "broyden":
        return Broyden(base, p["alpha"], p["min_step"])
    return TrackerOffset(base)
