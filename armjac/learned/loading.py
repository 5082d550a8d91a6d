"""Loading a saved model folder as the right model class.

Above every model module (nothing here is imported back), so that the classes need not
know one another: the folder's config says which one it is.
"""

from __future__ import annotations

import os

from armjac.learned import io
from armjac.learned.data_model import DataModel
from armjac.learned.joint_residual import JointResidualModel
from armjac.learned.model import LearnedModel


def load(path: str | os.PathLike) -> LearnedModel:
    """Load a model folder written by :meth:`LearnedModel.save`.

    Every file is checked before use (see :func:`armjac.learned.io.read`).

    Raises
    ------
    ModelFileError
        (a :class:`~armjac.errors.ConfigError`) when the folder is missing,
        incomplete, corrupt, edited or from a newer format.
    """
    fields = io.read(path)
    from_data = fields["config"].get("from_data")
    if from_data is None:
        return LearnedModel(**fields)
    return (JointResidualModel if from_data["residual"] == "joint" else DataModel)(**fields)
