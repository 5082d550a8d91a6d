"""Poses that identify the calibration's parameters: a greedy optimal design.

:func:`design_poses` draws candidate configurations uniformly within the joint limits
(shrunk by a margin) and picks, in batches, those that most improve the information
matrix ``M = sum J_c^T J_c`` of the minimal parameter set
(:mod:`armjac.calibration.identify`, unit-norm columns):

* ``criterion="I"`` (default): the least average prediction variance over the joint box,
  ``trace(M^-1 A)`` with ``A`` the mean ``J^T J`` of the candidates (uniform in the box):
  what a calibration judged on poses spread over the range needs;
* ``criterion="D"``: the largest ``log det M`` (the parameters' joint confidence volume):
  each pick adds what the poses so far identify worst; it favours extreme poses;
* ``criterion="S"``: no optimisation, a space-filling set (a randomly shifted Halton
  sequence in the box): more even than as many random poses (lower discrepancy, test).

I and D give better-conditioned sets than as many random poses (test) but cluster where
the parameters are best seen; with errors outside the model that costs accuracy on poses
spread over the box. None of the three beats iid random poses at 2,000 samples beyond
one noise draw's spread (docs/mismatch.md section 6), so I stays the default.

The poses serve as static measurement poses or as via points of an exploration path.
"""

from __future__ import annotations

import numpy as np

from armjac.calibration.joint_errors import joint_features
from armjac.errors import InputError
from armjac.validation import as_count, excerpt

CRITERIA = ("I", "D", "S")
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53)


def design_poses(
    arm,
    n: int,
    *,
    point=None,
    candidates: int = 4000,
    margin: float = 0.1,
    joint_errors: bool = False,
    orientation: bool = False,
    criterion: str = "I",
    seed: int = 0,
) -> np.ndarray:
    """``n`` joint configurations (n, N) chosen for identifiability and coverage.

    Parameters
    ----------
    arm : Arm
        The nominal arm.
    n : int
        Poses wanted (at most ``candidates``).
    point : 3 floats, optional
        The tool point (EE link frame) the tracker measures.
    candidates : int
        Random configurations to choose from.
    margin : float
        Fraction of each joint range kept free at both ends.
    joint_errors, orientation : bool
        Design for the joint-error model too; for full tool poses.
    criterion : {"I", "D", "S"}
        Average prediction variance over the box, the information's determinant, or
        space-filling (``candidates``, ``joint_errors``, ``orientation`` unused).
    seed : int

    Returns
    -------
    (n, N) array
    """
    from armjac.calibration.calibrate import (
        _check_arm,
        _Problem,
        _reach,
        parameter_set,
        structural,
    )

    _check_arm(arm)
    if criterion not in CRITERIA:
        raise InputError(f"criterion must be one of {CRITERIA}; got {excerpt(criterion)}")
    n = as_count(n, "n", minimum=1)
    if criterion == "S":
        lo, hi = arm.sample_bounds(margin)
        return lo + (hi - lo) * _halton(n, arm.dof, np.random.default_rng(seed))
    m = as_count(candidates, "candidates", minimum=n)
    p0 = np.zeros(3) if point is None else np.asarray(point, float)
    flags = {"base_frame": True, "origin_offsets": True, "axes": True, "zero_offsets": True,
             "joint_errors": bool(joint_errors)}  # fmt: skip
    model, names, order = parameter_set(arm, bool(orientation), None, flags)
    theta = np.zeros(len(names))
    theta[: model.n_params] = model.initial(p0)
    kept, _ = structural(model, names, order, theta, p0, flags["joint_errors"])
    qc = arm.random_q(m, np.random.default_rng(seed), margin)
    phi = joint_features(arm, qc, p0) if joint_errors else np.zeros((m, 0, arm.dof))
    rot = np.broadcast_to(np.eye(3), (m, 3, 3)) if orientation else None
    jac = _Problem(model, qc, np.zeros((m, 3)), rot, phi, _reach(arm, p0))(theta)[1][:, :, kept]
    jac = jac / np.linalg.norm(jac, axis=(0, 1))  # unit columns over the candidates
    return qc[_greedy(jac, n, criterion)]


def _halton(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points of a randomly shifted Halton sequence in the unit cube (dim, at most
    16): a low-discrepancy set, more even than as many uniform draws."""
    if dim > len(_PRIMES):
        raise InputError(f"space-filling designs support at most {len(_PRIMES)} joints; got {dim}")
    i = np.arange(1, n + 1)
    out = np.zeros((n, dim))
    for d, b in enumerate(_PRIMES[:dim]):
        k, f = i.copy(), 1.0
        while k.any():  # the radical inverse of i in base b
            f /= b
            out[:, d] += f * (k % b)
            k //= b
    return (out + rng.uniform(size=dim)) % 1.0  # a random shift keeps it even


def _greedy(jac: np.ndarray, n: int, criterion: str, steps: int = 50) -> np.ndarray:
    """Indices of ``n`` candidates (C, rows, K) chosen greedily for ``criterion``, about
    ``n / steps`` per step (the gains of a rank-``rows`` update, by Woodbury)."""
    c, rows, k = jac.shape
    info = 1e-6 * np.eye(k) * rows
    target = np.einsum("cri,crj->ij", jac, jac) / c  # mean J^T J over the box
    chosen = np.zeros(c, bool)
    batch = max(1, -(-n // steps))
    eye = np.eye(rows)
    while chosen.sum() < n:
        b = jac @ np.linalg.inv(info)  # J M^-1
        s = eye + b @ np.swapaxes(jac, 1, 2)
        if criterion == "D":
            gain = np.linalg.slogdet(s)[1]
        else:  # the decrease of trace(M^-1 A)
            gain = np.trace(np.linalg.solve(s, b @ target @ np.swapaxes(b, 1, 2)), axis1=1,
                            axis2=2)  # fmt: skip
        gain[chosen] = -np.inf
        take = np.argsort(-gain)[: min(batch, n - int(chosen.sum()))]
        chosen[take] = True
        info = info + np.einsum("cri,crj->ij", jac[take], jac[take])
    return np.flatnonzero(chosen)
