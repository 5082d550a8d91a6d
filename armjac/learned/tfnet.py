"""The NengoDL side: a simulator around the network, and TF functions on it.

Everything here calls ``sim.tensor_graph`` inside a ``tf.function`` with
``training=True``. Going through ``sim.keras_model`` under a ``GradientTape``
gives no input gradients, and ``training=False`` would stop gradients at the
neurons. ``batch_jacobian`` needs ``experimental_use_pfor=False`` here (the
pfor path fails on NengoDL's graph).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from armjac.learned import encoding, stack
from armjac.learned.network import NetHandles, build_network


class TFNet:
    """A NengoDL simulator of the network, with a fixed minibatch size.

    Parameters
    ----------
    params : dict
        Network parameters (:func:`armjac.learned.network.init_params` layout).
    kind, lo, hi
        Input encoding and joint bounds.
    minibatch_size : int
        NengoDL compiles for one minibatch size; other batch sizes are padded.
    """

    def __init__(
        self,
        params: dict,
        kind: str,
        lo: ArrayLike,
        hi: ArrayLike,
        minibatch_size: int = 64,
        seed: int = 0,
        dl_settings: dict | None = None,
    ):
        tf = stack.tf("the 'tf' backend of a learned model")
        nengo_dl = stack.nengo_dl("the 'tf' backend of a learned model")

        self.kind = kind
        self.lo = np.asarray(lo, np.float32)
        self.hi = np.asarray(hi, np.float32)
        self.dof = len(self.lo)
        self.batch = minibatch_size
        self.n_out = int(np.asarray(params["out_bias"]).shape[0])
        self.h: NetHandles = build_network(params, seed=seed, dl_settings=dl_settings)
        self.sim = nengo_dl.Simulator(self.h.net, minibatch_size=minibatch_size, progress_bar=False)
        self.tg = self.sim.tensor_graph
        self.probe_index = self.sim.model.probes.index(self.h.probe)
        self.n_steps = tf.ones((minibatch_size, 1), dtype=tf.int32)
        self._jac = tf.function(self._jac_impl)
        self._fwd = tf.function(self.outputs)
        self._wjac = tf.function(self._wjac_impl)

    @property
    def weights(self) -> list:
        """The simulator's trainable TensorFlow variables."""
        return self.tg.trainable_weights

    # graph pieces (call inside tf.function) ------------------------------------------
    def inputs(self, q):
        """Input-node values (B, 1, X+1) for joint angles ``q`` (B, N): the encoding and a 1."""
        tf = stack.tf()

        x = encoding.encode_tf(self.kind, q, self.lo, self.hi)
        x = tf.concat([x, tf.ones_like(q[:, :1])], axis=-1)
        return x[:, None, :]

    def outputs(self, q):
        """Network outputs (B, M) for joint angles ``q`` (B, N), as a tensor."""
        out = self.tg((self.inputs(q), self.n_steps), training=True)
        return out[self.probe_index][:, -1, :]

    def outputs_and_jacobian(self, q):
        """Outputs (B, M) and d outputs / d q (B, M, N), differentiable w.r.t. weights."""
        tf = stack.tf()

        with tf.GradientTape() as tape:
            tape.watch(q)
            y = self.outputs(q)
        return y, tape.batch_jacobian(y, q, experimental_use_pfor=False)

    def outputs_and_jacobian_rows(self, q):
        """As :meth:`outputs_and_jacobian`, one reverse pass per output row.

        Rows of a minibatch are independent, so the gradient of ``sum_b y[b, m]``
        with respect to ``q`` holds every sample's row ``m``. Unrolled in Python,
        this compiles with XLA, which ``batch_jacobian``'s while-loop does not.
        """
        tf = stack.tf()

        with tf.GradientTape(persistent=True) as tape:
            tape.watch(q)
            y = self.outputs(q)
            rows = [tf.reduce_sum(y[:, m]) for m in range(y.shape[1])]
        jac = tf.stack([tape.gradient(r, q) for r in rows], axis=1)
        del tape
        return y, jac

    def _jac_impl(self, q):
        return self.outputs_and_jacobian(q)

    def _wjac_impl(self, q):
        tf = stack.tf()

        with tf.GradientTape() as tape:
            y = self.outputs(q)[0]
        return y, tape.jacobian(y, self.weights, experimental_use_pfor=False)

    # numpy front ends ------------------------------------------------------------------
    def _chunks(self, q: np.ndarray):
        tf = stack.tf()

        q = np.asarray(q, np.float32)
        for start in range(0, len(q), self.batch):
            part = q[start : start + self.batch]
            n = len(part)
            if n < self.batch:  # pad with copies of the last row
                part = np.concatenate([part, np.repeat(part[-1:], self.batch - n, axis=0)])
            yield tf.constant(part), n

    def predict(self, q: np.ndarray) -> np.ndarray:
        """Outputs (B, M), float32, for ``q`` (B, N), run one minibatch at a time."""
        if len(q) == 0:
            return np.zeros((0, self.n_out), np.float32)
        return np.concatenate([self._fwd(qt).numpy()[:n] for qt, n in self._chunks(q)])

    def jacobian(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs (B, M) and Jacobians d outputs / d q (B, M, N), float32, for ``q`` (B, N)."""
        if len(q) == 0:
            return (
                np.zeros((0, self.n_out), np.float32),
                np.zeros((0, self.n_out, self.dof), np.float32),
            )
        ys, js = [], []
        for qt, n in self._chunks(q):
            y, j = self._jac(qt)
            ys.append(y.numpy()[:n])
            js.append(j.numpy()[:n])
        return np.concatenate(ys), np.concatenate(js)

    def weight_jacobian(self, q: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Output (M,) and {label: dF/dW (M, *W.shape)} at one configuration."""
        qt, _ = next(self._chunks(np.asarray(q)[None]))
        y, grads = self._wjac(qt)
        by_var = {id(v): g.numpy() for v, g in zip(self.weights, grads, strict=True)}
        var_of_key = {key: var for key, var in self.tg.base_params.items()}
        out = {}
        for label, obj, attr in self.h.labelled():
            sig = self.sim.model.sig[obj.neurons if attr == "bias" else obj][
                "encoders" if attr == "scaled_encoders" else attr
            ]
            tsig = self.tg.signals[sig]
            rows = np.concatenate([np.arange(a, b) for a, b in tsig.slices])
            g = by_var[id(var_of_key[tsig.key])]
            m = g.shape[0]
            out[label] = g[:, rows].reshape(m, *tsig.shape)
        return y.numpy(), out

    def export(self) -> dict:
        """The current (trained) parameters (:func:`~armjac.learned.network.init_params` layout)."""
        from armjac.learned.network import export_params

        return export_params(self.sim, self.h)

    def close(self) -> None:
        """Close the NengoDL simulator."""
        self.sim.close()
