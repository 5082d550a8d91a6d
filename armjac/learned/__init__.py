"""Learned-network Jacobians: a Nengo network modelling an arm's FK, trained with NengoDL.

Public API
----------
train(arm, config)        train a model (config: bundled name, YAML path or dict)
train_from_data(q, x, config=None, nominal=None, point=None)
                          learn the tip from measured data, optionally as a residual
load(path)                load a saved model folder
LearnedModel              fk / jacobian(backend="numpy"|"tf") / weight_jacobian / save /
                          run_spiking / network; dof, home, arm_name, joint_names
jacobian(fn, x)           Jacobian of any TensorFlow-differentiable function
frobenius_norm(J)         Frobenius norm (``squared=True``: sum of J_ij^2)

Models are position-only by default (fk -> (3,), jacobian -> (3, N)); with
``outputs: pose`` they also learn orientation (fk -> (4, 4), jacobian -> (6, N)).

Importing this package does not import TensorFlow; training, the ``tf``
backend and ``weight_jacobian`` do. Loading a model and evaluating it with the
numpy backend needs only numpy.

The input encoding is ``[sin q, cos q]`` by default: forward kinematics of
revolute joints is a polynomial in these, they lie in [-1, 1] (inside the
ensembles' radius), and continuous joints wrap correctly. See docs/learned.md.
"""

from armjac.errors import ModelFileError
from armjac.learned.autodiff import frobenius_norm, jacobian, relative_error
from armjac.learned.config import resolve_config
from armjac.learned.from_data import DataModel, train_from_data
from armjac.learned.io import FORMAT_VERSION
from armjac.learned.loading import load
from armjac.learned.model import LearnedModel
from armjac.learned.training import train

__all__ = [
    "FORMAT_VERSION",
    "DataModel",
    "LearnedModel",
    "ModelFileError",
    "frobenius_norm",
    "jacobian",
    "load",
    "relative_error",
    "resolve_config",
    "train",
    "train_from_data",
]
