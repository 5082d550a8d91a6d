"""A testbed for an arm that is not its URDF: the real arm, its sensors, its data.

A mismatch spec (``configs/mismatch/*.yaml``) says how the real arm differs
from the nominal one; drawn with a seed it gives a :class:`RealArm`, whose
URDF ArmSim simulates and whose encoders and tracker are all a controller may
see. :func:`collect` records an exploration run to a :class:`Dataset`;
:func:`static_samples` is the fast static stand-in. See docs/mismatch.md.

>>> spec = load_spec("kuka_iiwa")                       # doctest: +SKIP
>>> real = spec.realize(seed=0)                         # doctest: +SKIP
>>> data = collect(real, duration=40.0)                 # doctest: +SKIP
>>> q, x = data.pairs()                                 # readings, tracker samples
"""

from armjac.mismatch.collect import collect, static_samples
from armjac.mismatch.dataset import Dataset, load_dataset
from armjac.mismatch.real_arm import RealArm, make_real_arm
from armjac.mismatch.sensors import Encoders, Tracker
from armjac.mismatch.spec import MismatchSpec, TrackerSpec, bundled_specs, load_spec

__all__ = [
    "Dataset",
    "Encoders",
    "MismatchSpec",
    "RealArm",
    "Tracker",
    "TrackerSpec",
    "bundled_specs",
    "collect",
    "load_dataset",
    "load_spec",
    "make_real_arm",
    "static_samples",
]
