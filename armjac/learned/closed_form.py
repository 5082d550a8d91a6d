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
loop calls it every step. The buffers belong to the calling thread (one set per
thread, made on its first call), so one model may be shared between threads.

Precision: the batched path (:meth:`ClosedFormNet.jacobian`, used for
evaluation and tests) runs in float64, a clean reference for the float32
TensorFlow graph. The single-configuration path (:meth:`ClosedFormNet.jacobian1`,
the one a control loop calls) runs in float32 by default: the weights were
trained and are stored in float32, the result differs from float64 by about
1e-7 relative (far below the model's own error of ~1e-2), and float32 matrix-vector
products are about 20% faster here. Pass ``single_dtype=np.float64`` to change it.
"""

from __future__ import annotations

import threading

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

    def __init__(
        self,
        layers,
        out_bias,
        kind: str,
        lo: np.ndarray,
        hi: np.ndarray,
        single_dtype=np.float32,
    ):
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
        # read-only matrices for the single-q path; the scratch buffers are per thread
        dt = single_dtype
        self._dtype = dt
        # [E | b]: the bias folded into the encoders against a constant-1 input
        self._eb = [np.ascontiguousarray(np.c_[e, b], dt) for e, b, _ in self.layers]
        self._d = [np.ascontiguousarray(d, dt) for _, _, d in self.layers]
        self._eT = [np.ascontiguousarray(e.T, dt) for e, _, _ in self.layers]
        self._dT = [np.ascontiguousarray(d.T, dt) for _, _, d in self.layers]
        self._local = threading.local()

    def _scratch(self) -> _Scratch:
        """This thread's buffers for :meth:`jacobian1` (made on the thread's first call)."""
        try:
            return self._local.scratch
        except AttributeError:
            scratch = self._local.scratch = _Scratch(self)
            return scratch

    def set_output(self, decoders: np.ndarray, out_bias: np.ndarray) -> None:
        """Replace the last ensemble's decoders (M, n) and the output bias (M,) in place.

        Online adaptation changes only these; every copy the two paths use is
        rewritten, so both see the new weights.
        """
        e, b, d_old = self.layers[-1]
        d = np.ascontiguousarray(decoders, float)
        if d.shape != d_old.shape or np.shape(out_bias) != self.out_bias.shape:
            raise ValueError(
                f"output decoders must be {d_old.shape} and the bias {self.out_bias.shape}; "
                f"got {d.shape} and {np.shape(out_bias)}"
            )
        self.layers[-1] = (e, b, d)
        self.out_bias = np.array(out_bias, float)
        self._d[-1][...] = d
        self._dT[-1][...] = d.T

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
        b, m = y.shape
        if b == 0:
            return y, np.zeros((0, m, self.dof))
        g = None  # (B * M, d_k): d y / d u_k, batch and output rows flattened so each
        # product is one large matrix multiply rather than B small ones
        for (e, _, d), a in zip(reversed(self.layers), reversed(acts), strict=True):
            gd = np.broadcast_to(d, (b, m, d.shape[1])) if g is None else (g @ d).reshape(b, m, -1)
            g = (gd * (1.0 - a * a)[:, None, :]).reshape(b * m, -1) @ e
        return y, encoding.chain(self.kind, g.reshape(b, m, -1), q, self.lo, self.hi)

    # single configuration, allocation-light --------------------------------------
    def jacobian1(self, q: np.ndarray) -> np.ndarray:
        """Jacobian (M, N) at one configuration ``q`` (N,).

        Reverse mode, one output row at a time: matrix-vector products with
        contiguous transposed copies run about twice as fast in numpy as the
        equivalent 3-row matrix products at these sizes.
        """
        n = self.dof
        buf = self._scratch()
        x = buf.x  # encoded q, then a trailing 1 that multiplies the folded-in bias
        if self.kind == "sincos":
            s = np.sin(q)
            c = np.cos(q)
            x[:n] = s
            x[n : 2 * n] = c
        else:
            x[:-1] = (q - 0.5 * (self.lo + self.hi)) / (0.5 * (self.hi - self.lo))
        last = len(self._d) - 1
        u = x
        for k, (eb, a, un) in enumerate(zip(self._eb, buf.a, buf.u, strict=True)):
            np.dot(eb, u, out=a)
            np.tanh(a, out=a)
            if k < last:  # the output itself is not needed for the Jacobian
                np.dot(self._d[k], a, out=un[:-1])
                u = un
        m_out = self.n_out
        ga = None
        for k in range(len(self.layers) - 1, -1, -1):
            a = buf.a[k]
            np.multiply(a, a, out=a)
            np.subtract(1.0, a, out=a)  # a'(z) = 1 - tanh(z)^2
            if ga is None:
                ga = buf.ga[k]
                np.multiply(self._d[k], a, out=ga)
            else:
                gu, ga = ga, buf.ga[k]
                dT = self._dT[k]
                for m in range(m_out):
                    np.dot(dT, gu[m], out=ga[m])
                ga *= a
            gu = buf.gu[k]
            eT = self._eT[k]
            for m in range(m_out):
                np.dot(eT, ga[m], out=gu[m])
            ga = gu
        if self.kind == "sincos":
            out = np.multiply(ga[:, :n], c)
            out -= ga[:, n:] * s
            return out
        return ga * (2.0 / (self.hi - self.lo))

    def forward1(self, q: np.ndarray) -> np.ndarray:
        """Outputs (M,) for one configuration ``q`` (N,)."""
        y, _ = self.forward(q[None])
        return y[0]


class _Scratch:
    """One thread's work buffers for :meth:`ClosedFormNet.jacobian1`."""

    def __init__(self, net: ClosedFormNet):
        m, dt = net.n_out, net._dtype
        self.x = np.ones(encoding.encoded_size(net.kind, net.dof) + 1, dt)
        self.a = [np.empty(e.shape[0], dt) for e, _, _ in net.layers]
        self.u = [np.ones(d.shape[0] + 1, dt) for _, _, d in net.layers]
        self.ga = [np.empty((m, e.shape[0]), dt) for e, _, _ in net.layers]
        self.gu = [np.empty((m, e.shape[1]), dt) for e, _, _ in net.layers]
