"""Which parameters the measurements can tell apart: the minimal set and its conditioning.

Two questions, answered on the parameter Jacobian with unit-norm columns (so the answer
does not depend on units):

* **Structural** (:func:`minimal_set`): which candidates of the complete set are
  redundant for this chain and this kind of measurement whatever the poses -- e.g. the
  base's rotation about z and joint 1's zero offset on an arm whose first axis is
  vertical through the base. Found on 64 generic configurations: the candidates are
  taken in a fixed order of preference (base, tool, zero offsets, origins, axis tilts,
  joint-error weights) and each is kept when it adds a direction the kept ones do not
  span (relative residual above 1e-6). The dropped ones are reported with the kept
  parameters they are a combination of. The fitted set is minimal.
* **With this data** (:func:`conditioning`): the rank and the condition number of the
  minimal set's Jacobian at the measured poses. A rank below the set's size means the
  data cannot tell some of them apart (the combination is named, and the calibration is
  refused); a condition number above :data:`CONDITION_WARNING` gets an
  :class:`IdentifiabilityWarning` naming the weakest combination.
"""

from __future__ import annotations

import numpy as np

# Above this condition number (unit-norm columns) a pose set identifies some parameter
# combination 1,000 times worse than the best: with 0.5 mm tracker noise that direction
# is known to no better than ~0.5 m x 1e-3 / sqrt(samples). Random poses over the
# joint range give 30-300 on the bundled arms; a few-joint or near-static set 1e4 and up.
CONDITION_WARNING = 1e3
STRUCTURAL_TOL = 1e-6
# a joint-error weight whose column these poses leave within 1e-3 (relative) of the span
# of the others is not excited by them: it is left at zero
DATA_TOL = 1e-3
PREFERENCE = ("base", "tool", "zero", "origin", "axis", "joint_errors")


class IdentifiabilityWarning(UserWarning):
    """The pose set identifies some parameter combination badly (see the message)."""


def _unit(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.linalg.norm(a, axis=0)
    return a / np.where(norm > 0, norm, 1.0), norm


def _combination(names, vec: np.ndarray, share: float = 0.3, most: int = 4) -> list[str]:
    """The names carrying the largest weights of ``vec``, largest first."""
    order = np.argsort(-np.abs(vec))
    top = [int(k) for k in order[:most] if abs(vec[k]) >= share * np.abs(vec).max()]
    return [names[k] for k in top]


def minimal_set(jac: np.ndarray, names, order, tol: float = STRUCTURAL_TOL,
                basis=None) -> tuple[list[int], dict[str, list[str]]]:  # fmt: skip
    """Greedy selection over ``order`` (candidate indices, preferred first).

    Parameters
    ----------
    jac : (rows, P) array
        Parameter Jacobian over generic poses.
    tol : float
        Relative residual below which a candidate adds nothing.
    basis : (rows, K) array, optional
        Columns already kept (not returned).

    Returns
    -------
    kept : list of int
        Indices of the minimal set, in ``order``.
    dropped : dict
        Name of each dropped candidate -> the kept names it is a combination of
        (empty: it has no effect on the measurements at all).
    """
    a, norm = _unit(jac)
    kept, dropped = [], {}
    scale = norm.max()
    given = np.zeros((a.shape[0], 0)) if basis is None else _unit(basis)[0]
    basis = np.linalg.qr(given)[0] if given.shape[1] else given
    for k in order:
        if norm[k] <= 1e-12 * scale:
            dropped[names[k]] = []
            continue
        r = a[:, k] - basis @ (basis.T @ a[:, k])
        r = r - basis @ (basis.T @ r)  # twice: Gram-Schmidt's lost orthogonality
        if np.linalg.norm(r) > tol:
            kept.append(k)
            basis = np.column_stack([basis, r / np.linalg.norm(r)])
        else:
            coef = np.linalg.lstsq(a[:, kept], a[:, k], rcond=None)[0] if kept else []
            dropped[names[k]] = _combination([names[i] for i in kept], coef, 0.1) if kept else []
    return kept, dropped


def conditioning(jac: np.ndarray, names, rank_tol: float) -> dict:
    """Rank, condition number and the weakest combinations of ``jac`` (rows, K).

    Returns a JSON-friendly dict: ``rank``, ``n``, ``condition``, ``singular`` (the
    combinations the data cannot tell apart, one name list per missing rank) and
    ``weakest`` (the combination of the smallest singular value).
    """
    a, _ = _unit(jac)
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((s > rank_tol * s[0]).sum())
    cond = float(s[0] / s[-1]) if s[-1] > 0 else float("inf")
    return {
        "rank": rank,
        "n": int(a.shape[1]),
        "condition": cond,
        "condition_warning": CONDITION_WARNING,
        "singular": [_combination(names, vt[k]) for k in range(rank, len(s))],
        "weakest": _combination(names, vt[-1]),
    }
