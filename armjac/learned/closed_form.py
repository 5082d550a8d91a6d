"""The trained network's map and Jacobian in closed form, with numpy only.

The network is a chain of ensembles. Ensemble ``k`` receives a vector ``u_k``
(the encoded joint angles for the first one, the previous ensemble's decoded
output otherwise) and computes::

    z_k = E_k u_k + b_k          E_k = encoders * gain / radius  (n_k, d_k)
    a_k = tanh(z_k)              rate neurons, nengo.Tanh(tau_ref=1)
    u_{k+1} = D_k a_k            D_k: decoders of the outgoing connection

so the Jacobian of one ensemble is ``D_k · diag(a_k') · E_k`` with
``a' = 1 - a^2``, and the network's Jacobian is the product of these, times the
encoding's ``dx/dq``. The single-configuration path runs in reverse mode (few
outputs, many neurons), using preallocated buffers, because a 1 kHz control
loop calls it every step.

Float64 throughout: the exported float32 weights are exactly representable, the
matrices are small enough that float32 would not be measurably faster here
(per-call overhead dominates), and float64 keeps this path a clean reference
for the float32 TensorFlow graph.
"""

from __future__ import annotations

import numpy as np

from armjac.learned import encoding


class ClosedFormNet:
    """Numpy evaluation of an exported ensemble chain.

    Parameters
    ----------
    layers : list of (E, b, D)
        Per ensemble: scaled encoders (n, d), bias (n,), decoders (d_next, n).
    out_bias : array (M,)
        Constant added to the output.
    kind : str
        Input encoding (see :mod:`armjac.learned.encoding`).
    lo, hi : arrays (N,)
        Joint sampling bounds (used by the ``scaled`` encoding).
    """

    def __init__(self, layers, out_bias, kind: str, lo: np.ndarray, hi: np.ndarray):
        self.layers = [
            (np.ascontiguousarray(e, float), np.asarray(b, float), np.ascontiguousarray(d, float))
            for e, b, d in layers
        ]
        self.out_bias = np.asarray(out_bias, float)
        self.kind = kind
        self.lo = np.asarray(lo, float)
        self.hi = np.asarray(hi, float)
        self.dof = len(self.lo)
        self.n_out = self.layers[-1][2].shape[0]
        # preallocated buffers for the single-q path
        self._z = [np.empty(e.shape[0]) for e, _, _ in self.layers]
        self._x = np.empty(encoding.encoded_size(kind, self.dof))
        self._jq = np.empty((self.n_out, self.dof))

    # batched -----------------------------------------------------------------------
    def forward(self, q: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Outputs (B, M) and each ensemble's activities, for ``q`` (B, N)."""
        u = encoding.encode(self.kind, q, self.lo, self.hi)
        acts = []
        for e, b, d in self.layers:
            a = np.tanh(u @ e.T + b)
            acts.append(a)
            u = a @ d.T
        return u + self.out_bias, acts

    def jacobian(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs (B, M) and Jacobians (B, M, N) for ``q`` (B, N)."""
        y, acts = self.forward(q)
        g = None  # (B, M, n_k): d y / d z_k
        for (e, _, d), a in zip(reversed(self.layers), reversed(acts), strict=True):
            gd = d[None] if g is None else g @ d  # d y / d a_k
            g = (gd * (1.0 - a * a)[:, None, :]) @ e  # d y / d u_k
        return y, encoding.chain(self.kind, g, q, self.lo, self.hi)

    # single configuration, allocation-light --------------------------------------
    def jacobian1(self, q: np.ndarray) -> np.ndarray:
        """Jacobian (M, N) at one configuration ``q`` (N,)."""
        n = self.dof
        x = self._x
        if self.kind == "sincos":
            s = np.sin(q)
            c = np.cos(q)
            x[:n] = s
            x[n:] = c
        else:
            np.subtract(q, 0.5 * (self.lo + self.hi), out=x)
            x /= 0.5 * (self.hi - self.lo)
        u = x
        for (e, b, d), z in zip(self.layers, self._z, strict=True):
            np.dot(e, u, out=z)
            z += b
            np.tanh(z, out=z)
            u = d @ z
        g = None
        for (e, _, d), a in zip(reversed(self.layers), reversed(self._z), strict=True):
            # a <- a'(z) = 1 - a^2, in place (activities are not needed afterwards)
            np.multiply(a, a, out=a)
            np.subtract(1.0, a, out=a)
            if g is None:
                gd = d * a  # never in place: d is the stored decoder matrix
            else:
                gd = g @ d
                gd *= a
            g = gd @ e
        if self.kind == "sincos":
            out = self._jq
            np.multiply(g[:, :n], c, out=out)
            out -= g[:, n:] * s
            return out.copy()
        return g * (2.0 / (self.hi - self.lo))

    def forward1(self, q: np.ndarray) -> np.ndarray:
        y, _ = self.forward(q[None])
        return y[0]
