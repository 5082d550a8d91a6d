"""armjac: manipulator Jacobians for force control.

Three interchangeable sources of J(q) behind one numeric API:

* :func:`load_arm` -- analytic kinematics and dynamics derived with sympy from a
  URDF, compiled and cached on disk;
* :mod:`armjac.learned` -- a Nengo network trained with NengoDL;
* :mod:`armjac.sim` -- PyBullet's own, as a reference.

:func:`export_c` writes an arm's kinematics and dynamics as standalone C99.
"""

from armjac._version import __version__
from armjac.arm import Arm, load_arm
from armjac.calibration import calibrate
from armjac.codegen.export import export_c
from armjac.errors import (
    ArmjacError,
    CacheError,
    ConfigError,
    InputError,
    ModelFileError,
    SimulationError,
    SingularityError,
    UnknownLinkError,
    URDFError,
)

__all__ = [
    "__version__",
    "Arm",
    "load_arm",
    "calibrate",
    "export_c",
    "ArmjacError",
    "CacheError",
    "ConfigError",
    "InputError",
    "ModelFileError",
    "SimulationError",
    "SingularityError",
    "UnknownLinkError",
    "URDFError",
]
