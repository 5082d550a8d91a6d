"""The nominal part of a residual model: a given arm's tool point, and its file form.

:class:`TipNominal` turns an ``Arm`` (or a calibration's
:class:`~armjac.calibration.CalibratedArm`) and a tool point into a position source
whose ``fk`` is a 4x4 transform carrying the tool-tip position, and whose ``jacobian``
is the 6xN Jacobian at that point: what :class:`~armjac.learned.model.LearnedModel`
adds the network's output to. A residual model's Jacobian is therefore exactly
``J_nominal + J_network``.

Saved with a model as ``nominal.urdf`` (the chain, floats written exactly) and a JSON
record (EE link, point, gravity, home, an adjustment, the calibration's parameters),
from which :func:`rebuild` makes the identical nominal on load. The record is sealed:
it carries the tip at a few configurations, and a nominal that does not reproduce them
(an edited URDF, point, parameter) is refused on load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from armjac.errors import ModelFileError

NOMINAL_URDF = "nominal.urdf"
CHECK_TOL = 1e-9  # m: how far a rebuilt nominal's tip may be from the recorded one


class TipNominal:
    """``arm`` seen at a tool ``point`` (EE link frame, m).

    Parameters
    ----------
    arm : Arm or CalibratedArm
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

    def _chain(self):
        """The plain Arm underneath (a calibrated arm's nominal)."""
        return getattr(self.arm, "nominal", self.arm)

    def record(self, bounds) -> dict:
        """What :func:`rebuild` needs besides ``nominal.urdf``, with check tips at the
        home and three configurations within ``bounds`` (lo, hi)."""
        arm = self._chain()
        out = {
            "name": arm.name,
            "ee_link": arm.ee_link,
            "point": self.point.tolist(),
            "gravity": list(arm.gravity_vector),
            "home": arm.home.tolist(),
        }
        if arm.adjustment is not None:
            out["adjustment"] = arm.adjustment.vector(arm.dof).tolist()
        if hasattr(self.arm, "kinematics"):  # a CalibratedArm
            k = self.arm.kinematics
            out["calibration"] = {
                "names": list(k.names),
                "theta": self.arm.theta.tolist(),
                "orientation": k.orientation,
                "weights": None if self.arm.weights is None else self.arm.weights.tolist(),
                "feature_point": None if self.arm.feature_point is None
                else self.arm.feature_point.tolist(),
            }  # fmt: skip
        lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
        q = np.vstack([arm.home, lo + (hi - lo) * np.random.default_rng(0).random((3, self.dof))])
        out["check"] = {"q": q.tolist(), "tip": self.position(q).tolist()}
        return out

    def write(self, folder) -> None:
        """Write ``nominal.urdf`` of the chain into ``folder``."""
        from armjac.model.urdf_write import write_urdf

        write_urdf(self._chain().base_model, Path(folder) / NOMINAL_URDF)


def rebuild(folder, record: dict) -> TipNominal:
    """The :class:`TipNominal` saved in ``folder`` with ``record``.

    Raises
    ------
    ModelFileError
        When the record is of an older kind, or the rebuilt nominal does not reproduce
        the recorded check tips.
    """
    from armjac.arm import Arm
    from armjac.model.adjustment import Adjustment
    from armjac.model.urdf import load_urdf

    if "check" not in record:
        raise ModelFileError(
            f"{folder}: the nominal record has no check tips (written by an older armjac, or "
            "edited); retrain the model"
        )
    arm = Arm(load_urdf(Path(folder) / NOMINAL_URDF), ee_link=record["ee_link"],
              name=record["name"], gravity=record["gravity"], home=record["home"])  # fmt: skip
    if record.get("adjustment") is not None:
        adj = Adjustment.of_vector(record["adjustment"], arm.dof)
        arm = arm.adjusted(adj.origin_offsets, adj.load, name=record["name"])
    cal = record.get("calibration")
    if cal is not None:
        from armjac.calibration import CalibratedArm, KinematicModel

        kin = KinematicModel(arm, orientation=bool(cal["orientation"]))
        if list(cal["names"]) != kin.names:
            raise ModelFileError(f"{folder}: the calibration's parameters do not fit the nominal")
        arm = CalibratedArm(kin, cal["theta"], cal["weights"], cal["feature_point"])
    nominal = TipNominal(arm, record["point"])
    q = np.asarray(record["check"]["q"], float)
    tip = np.asarray(record["check"]["tip"], float)
    if q.shape != (4, arm.dof) or tip.shape != (4, 3):
        raise ModelFileError(f"{folder}: the nominal record's check tips have the wrong shape")
    err = np.abs(nominal.position(q) - tip).max()
    if not err <= CHECK_TOL:
        raise ModelFileError(
            f"{folder}: the saved nominal arm does not reproduce its recorded tips (off by "
            f"{err:.3g} m): {NOMINAL_URDF} or the nominal record was edited"
        )
    return nominal
