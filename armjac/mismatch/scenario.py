"""``calibrated_reach``: reach targets on a real arm with the sensors it has.

The scenario simulates the real arm of a mismatch spec (``task.mismatch``)
instead of the scenario's arm, feeds the controller the encoder readings, and
scores the true tool tip. The controller's Jacobian source is the scenario's
``jacobian`` -- typically ``calibrated:SPEC`` (the nominal calibrated on 40 s
of exploration data), ``learned:FOLDER`` (a model from
:func:`~armjac.learned.train_from_data`) or ``tool:SPEC`` (the nominal arm at
the assumed tool point). ``task.mismatch.feedback`` picks where the tip
position comes from: ``encoders`` (the source's FK of the readings) or
``tracker`` (the latest tracker sample)::

    scenario: calibrated_reach
    arm: kuka_iiwa
    jacobian: calibrated:kuka_iiwa
    task:
      mismatch: {spec: kuka_iiwa, seed: 0, feedback: encoders}
      targets: [[0.6, 0.1, 0.45], [0.55, -0.1, 0.5]]
      segment_time: 3.0

Source kinds registered here: ``tool:SPEC`` and ``calibrated:SPEC_OR_DATASET``
(a mismatch spec name, or a dataset ``.npz`` from ``armjac collect``).
"""

from __future__ import annotations

import numpy as np

from armjac.configs import Reader
from armjac.mismatch.reach import FEEDBACKS, TrackerFeedback
from armjac.scenarios.registry import register_scenario
from armjac.scenarios.types import Reach
from armjac.sources import register_source

MISMATCH_KEYS = {"spec", "seed", "feedback"}


def mismatch_section(task: Reader, keys: set[str]) -> Reader:
    """A scenario's ``mismatch: {spec, seed, ...}`` section, checked: the keys, a spec
    that loads (its errors reported against the key) and a seed >= 0."""
    from armjac.mismatch import load_spec

    m = task.mapping("mismatch")
    m.check_keys(keys)
    try:
        load_spec(m.string("spec", ...))
    except Exception as exc:  # noqa: BLE001 - reported against the key
        raise m.fail("spec", str(exc)) from None
    m.integer("seed", 0, minimum=0)
    return m


def _real(arm, spec_name: str, seed: int = 0):
    from armjac.mismatch import load_spec

    return load_spec(spec_name).realize(seed, nominal=arm)


@register_scenario
class CalibratedReach(Reach):
    """Reach on the real arm of ``task.mismatch.spec``, with encoder readings as q."""

    kind = "calibrated_reach"
    keys = Reach.keys | {"mismatch"}

    @classmethod
    def validate(cls, task: Reader) -> None:
        """Reach's keys plus ``mismatch: {spec, seed, feedback}``."""
        super().validate(task)
        m = mismatch_section(task, MISMATCH_KEYS)
        m.choice("feedback", FEEDBACKS, "encoders")

    def __init__(self, *args):
        super().__init__(*args)
        m = self.task.mapping("mismatch")
        self.real = _real(self.arm, m.data["spec"], m.integer("seed", 0))
        self.feedback = m.choice("feedback", FEEDBACKS, "encoders")
        self.enc_rng = np.random.default_rng(self.cfg.seed + 11)
        self.tracker = self.real.tracker(self.cfg.seed + 12)
        self.sensor = None
        self.start_pos = self.real.tip(self.q0)

    @property
    def sim_arm(self):
        """The real arm."""
        return self.real.arm

    def ee_pose(self, sim, feedback: dict) -> tuple[np.ndarray, np.ndarray]:
        """The true tool tip (the score), and the EE link's orientation."""
        return self.real.tip(feedback["q"]), sim.ee_pose()[1]

    def build(self, make) -> None:
        """The controller reads the tip from its source, or from the tracker."""
        if self.feedback == "tracker":
            self.sensor = TrackerFeedback(None)
            self.sensor.last = self.start_pos.copy()  # a first sample at rest
            self.controllers["main"] = make(fk=self.sensor)
        else:
            self.controllers["main"] = make(fk="source")

    def command(self, k: int, q: np.ndarray, dq: np.ndarray, sim) -> np.ndarray:
        """Torques from the encoder readings (and tracker samples) at step ``k``."""
        delivered = self.tracker.observe(k * self.cfg.dt, lambda: self.real.tip(q))
        if self.sensor is not None:
            self.sensor.update(delivered)
        q_m = self.real.encoders.read(q, self.enc_rng)
        return super().command(k, q_m, dq, sim)


def _tool_source(arm, arg):
    from armjac.learned.residual import TipNominal

    real = _real(arm, arg or "kuka_iiwa")
    return TipNominal(arm, real.assumed_point)


def _calibrated_source(arm, arg):
    """Calibrate ``arm`` on a dataset file, or on 40 s of exploration of spec ``arg``."""
    from pathlib import Path

    from armjac.calibration import calibrate
    from armjac.learned.residual import TipNominal
    from armjac.mismatch import collect, load_dataset

    if arg and Path(arg).with_suffix(".npz").is_file():
        data = load_dataset(arg)
        point = data.meta["assumed_point"]
    else:
        real = _real(arm, arg or "kuka_iiwa")
        data, point = collect(real, 41.0, progress=False), real.assumed_point
    q, x = data.pairs()
    cal = calibrate(arm, q, x, point=point)
    return TipNominal(cal.arm, cal.point)


register_source("tool", _tool_source)
register_source("calibrated", _calibrated_source)
