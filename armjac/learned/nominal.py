"""An optional crude nominal model, for learning a residual.

The nominal model is the same kinematic chain with every joint offset (link
length) multiplied by ``1 + link_scale_std * N(0, 1)`` (fixed seed): it is what
one would have from a rough tape-measure survey of the robot, not the true arm.
A model trained with a nominal learns ``fk_true - fk_nominal``; its ``fk`` and
``jacobian`` return nominal + network. Accuracy is reported with and without it
(``docs/learned.md``); the default configs do not use one.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def perturbed_arm(arm, link_scale_std: float, seed: int):
    """The chain of ``arm`` with its joint offsets scaled by random factors."""
    from armjac.arm import Arm
    from armjac.model.tree import RobotModel

    rng = np.random.default_rng(seed)
    joints = []
    for j in arm.model.joints:
        s = 1.0 + link_scale_std * rng.standard_normal()
        joints.append(dataclasses.replace(j, xyz=tuple(float(v) * s for v in j.xyz)))
    model = RobotModel(
        name=f"{arm.model.name}-nominal",
        links=arm.model.links,
        joints=tuple(joints),
        source=f"{arm.model.source} (joint offsets scaled, std {link_scale_std}, seed {seed})",
    )
    return Arm(model, ee_link=arm.ee_link, name=f"{arm.name}-nominal", home=arm.home)
