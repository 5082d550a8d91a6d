"""The nominal part of a residual model: a given arm's tool point, and its file form.

:class:`TipNominal` turns an ``Arm`` (or a calibrated ``OffsetArm``) and a tool
point into a position source whose ``fk`` is a 4x4 transform carrying the
tool-tip position, and whose ``jacobian`` is the 6xN Jacobian at that point:
what :class:`~armjac.learned.model.LearnedModel` adds the network's output to.
A residual model's Jacobian is therefore exactly ``J_nominal + J_network``.

Saved with a model as ``nominal.urdf`` (the chain, floats written exactly) and
a JSON record (EE link, point, joint zero offsets, gravity, home), from which
:func:`rebuild` makes the identical nominal on load. A calibrated chain (an
adjusted arm, :meth:`armjac.arm.Arm.adjusted`) is saved as its base URDF plus
its adjustment, so loading it compiles nothing once that URDF's kernels are cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NOMINAL_URDF = "nominal.urdf"
FEATURES_URDF = "features.urdf"  # a joint-error model's feature arm (the uncalibrated nominal)


class TipNominal:
    """``arm`` seen at a tool ``point`` (EE link frame, m).

    Parameters
    ----------
    arm : Arm or OffsetArm
    point : 3 floats, optional
        Default: the EE link origin.
    """

    def __init__(self, arm, point=None):
        self.arm = arm
        self.point = np.zeros(3) if point is None else np.asarray(point, float).reshape(3)
        self.dof = arm.dof

    def __repr__(self) -> str:
        return f"TipNominal({self.arm!r}, point={self.point.tolist()})"

    def position(self, q) -> np.ndarray:
        """Tool-tip position (3,)/(B, 3)."""
        return self.arm.position(q, point=self.point)

    def fk(self, q) -> np.ndarray:
        """EE transform with its translation moved to the tool tip."""
        t = np.array(self.arm.fk(q), copy=True)
        t[..., :3, 3] = t[..., :3, 3] + t[..., :3, :3] @ self.point
        return t

    def jacobian(self, q) -> np.ndarray:
        """6xN Jacobian at the tool tip."""
        return self.arm.jacobian(q, point=self.point)

    def record(self) -> dict:
        """What :func:`rebuild` needs besides ``nominal.urdf``."""
        arm = getattr(self.arm, "base", self.arm)
        offsets = getattr(self.arm, "offsets", np.zeros(self.dof))
        out = {
            "name": arm.name,
            "ee_link": arm.ee_link,
            "point": self.point.tolist(),
            "zero_offsets": np.asarray(offsets).tolist(),
            "gravity": list(arm.gravity_vector),
            "home": arm.home.tolist(),
        }
        if arm.adjustment is not None:
            out["adjustment"] = arm.adjustment.vector(arm.dof).tolist()
        if hasattr(self.arm, "weights"):  # a JointErrorArm
            out["joint_errors"] = self.arm.weights.tolist()
            out["feature_point"] = self.arm.feature_point.tolist()
            out["feature_name"] = self.arm.feature_arm.name
        return out

    def write(self, folder) -> None:
        """Write ``nominal.urdf`` of the chain into ``folder``."""
        from armjac.model.urdf_write import write_urdf

        write_urdf(getattr(self.arm, "base", self.arm).base_model, Path(folder) / NOMINAL_URDF)
        if hasattr(self.arm, "weights"):
            write_urdf(self.arm.feature_arm.model, Path(folder) / FEATURES_URDF)


def rebuild(folder, record: dict) -> TipNominal:
    """The :class:`TipNominal` saved in ``folder`` with ``record``."""
    from armjac.arm import Arm
    from armjac.calibration.offset_arm import OffsetArm
    from armjac.model.adjustment import Adjustment
    from armjac.model.urdf import load_urdf

    def chain(file, name):
        return Arm(
            load_urdf(Path(folder) / file),
            ee_link=record["ee_link"],
            name=name,
            gravity=record["gravity"],
            home=record["home"],
        )

    arm = chain(NOMINAL_URDF, record["name"])
    if record.get("adjustment") is not None:
        adj = Adjustment.of_vector(record["adjustment"], arm.dof)
        arm = arm.adjusted(adj.origin_offsets, adj.load, name=record["name"])
    offsets = np.asarray(record["zero_offsets"], float)
    if "joint_errors" in record:
        from armjac.calibration.joint_errors import JointErrorArm

        features = chain(FEATURES_URDF, record["feature_name"])
        arm = JointErrorArm(arm, offsets, record["joint_errors"], features, record["feature_point"])
    elif offsets.any():
        arm = OffsetArm(arm, offsets)
    return TipNominal(arm, record["point"])
