"""Jacobians by TensorFlow autodiff, for any differentiable function.

``jacobian(fn, x)`` returns dF/dx; ``frobenius_norm(J)`` its Frobenius norm.
Note that what the contractive-autoencoder literature often prints as "the
Frobenius norm" of J is the *squared* norm, sum_ij J_ij^2 (the penalty term);
``frobenius_norm(J, squared=True)`` gives that, the default gives the norm itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from armjac.learned import stack


def jacobian(fn: Callable, x, *, batched: bool | None = None, dtype=None) -> np.ndarray:
    """Jacobian of ``fn`` at ``x`` by reverse-mode autodiff.

    Parameters
    ----------
    fn : callable
        Maps a tensor (n,) to (m,) -- or (B, n) to (B, m) when batched -- using
        TensorFlow ops.
    x : array_like, (n,) or (B, n)
        Point(s) of evaluation.
    batched : bool, optional
        Treat the first axis of a 2-D ``x`` as a batch of independent inputs
        (default: True for 2-D input).
    dtype : tf dtype, optional
        Defaults to float64 for float64 input, else float32.

    Returns
    -------
    ndarray
        (m, n), or (B, m, n) when batched.
    """
    tf = stack.tf("armjac.learned.jacobian")

    arr = np.asarray(x)
    if dtype is None:
        dtype = tf.float64 if arr.dtype == np.float64 else tf.float32
    xt = tf.convert_to_tensor(arr, dtype=dtype)
    batched = arr.ndim == 2 if batched is None else batched
    # persistent: eager jacobians without pfor loop over outputs on one tape
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        y = fn(xt)
    if batched:
        jac = tape.batch_jacobian(y, xt, experimental_use_pfor=False)
    else:
        jac = tape.jacobian(y, xt, experimental_use_pfor=False)
    return jac.numpy()


def frobenius_norm(jac, squared: bool = False):
    """Frobenius norm over the last two axes; ``squared=True`` gives sum J_ij^2."""
    arr = np.asarray(jac)
    sq = np.sum(arr * arr, axis=(-2, -1))
    return sq if squared else np.sqrt(sq)


def relative_error(approx, exact) -> np.ndarray:
    """||approx - exact||_F / ||exact||_F over the last two axes."""
    return frobenius_norm(np.asarray(approx) - exact) / frobenius_norm(exact)


def error_stats(pos, pos_exact, jac, jac_exact) -> dict:
    """Held-out errors of positions (B, 3) and Jacobians (B, M, N) against references:
    FK RMSE and max (mm), median and p95 relative Frobenius Jacobian error."""
    dp = np.asarray(pos) - pos_exact
    rel = relative_error(jac, jac_exact)
    return {
        "fk_rmse_mm": float(1e3 * np.sqrt(np.mean(np.sum(dp * dp, axis=1)))),
        "fk_max_mm": float(1e3 * np.max(np.linalg.norm(dp, axis=1))),
        "jac_rel_median": float(np.median(rel)),
        "jac_rel_p95": float(np.percentile(rel, 95)),
    }
