"""Online adaptation: models that learn from tracker samples while the controller runs.

Public API
----------
make_adapting(base, spec)     an adapting model from a rule name or mapping (see spec)
DecoderAdaptation             a learned network's output decoders adapted by PES or RLS
LocalCorrection               any source plus a local RBF correction adapted by RLS
Broyden                       Broyden's rank-1 Jacobian update (uncalibrated servoing)
TrackerOffset                 the base model shifted through the last tracker sample
ToolOffset                    the nominal arm's tool point identified online (RLS)
PES, RLS                      the update rules; pes_delta the PES closed form
RBFFeatures                   local joint-space features
zero_residual                 a fresh Nengo ensemble with zero decoders on a nominal tool point
PositionView                  a 4x4-fk source (an Arm, a TipNominal) as a position-only source
run_pes                       the PES rule run through nengo.Simulator (reference)

Every adapting model follows the position-only numeric API (``dof``, ``fk``,
``jacobian``) plus ``update(q, x_measured, t)``. See docs/adaptation.md.
"""

from armjac.adapt.features import RBFFeatures
from armjac.adapt.models import (
    AdaptingModel,
    Broyden,
    DecoderAdaptation,
    LocalCorrection,
    PositionView,
    ToolOffset,
    TrackerOffset,
)
from armjac.adapt.rules import PES, RLS, pes_delta
from armjac.adapt.spec import make_adapting, parse_spec


def zero_residual(*args, **kwargs):
    """See :func:`armjac.adapt.network.zero_residual`."""
    from armjac.adapt.network import zero_residual as make

    return make(*args, **kwargs)


def run_pes(*args, **kwargs):
    """See :func:`armjac.adapt.nengo_pes.run_pes` (imports Nengo on first use)."""
    from armjac.adapt.nengo_pes import run_pes as run

    return run(*args, **kwargs)


__all__ = [
    "PES",
    "RLS",
    "AdaptingModel",
    "Broyden",
    "DecoderAdaptation",
    "LocalCorrection",
    "RBFFeatures",
    "PositionView",
    "ToolOffset",
    "TrackerOffset",
    "make_adapting",
    "parse_spec",
    "pes_delta",
    "run_pes",
    "zero_residual",
]
