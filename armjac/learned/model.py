"""LearnedModel: a trained network behind the same numeric API as :class:`~armjac.arm.Arm`.

Position-only: ``fk(q)`` returns the EE position (3,) / (B, 3) and
``jacobian(q)`` the linear rows (3, N) / (B, 3, N) (see :mod:`armjac.protocols`).
It has no dynamics; a controller takes those from the analytic arm or the
simulator.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError, UnknownLinkError
from armjac.learned import encoding
from armjac.learned.autodiff import relative_error
from armjac.learned.closed_form import ClosedFormNet

BACKENDS = ("numpy", "tf")


class LearnedModel:
    """A trained Nengo network modelling an arm's end-effector position.

    Parameters
    ----------
    params : dict
        ``{"layers": [(E, b, D), ...], "out_bias": c}`` (see
        :mod:`armjac.learned.closed_form`).
    config : dict
        The validated training config that built it.
    arm_name, joint_names, home, bounds
        Description of the arm it models; ``bounds`` = (lo, hi) joint sampling bounds.
    nominal : Arm, optional
        A crude nominal model whose output the network corrects (see
        :mod:`armjac.learned.nominal`).

    Notes
    -----
    The single-configuration Jacobian reuses preallocated buffers, so one model
    must not be called from several threads at once (load one per thread).
    """

    def __init__(
        self,
        params: dict,
        *,
        config: dict,
        arm_name: str,
        joint_names,
        home,
        bounds,
        nominal=None,
        metrics: dict | None = None,
    ):
        self.params = {
            "layers": [tuple(np.asarray(a, np.float32) for a in lay) for lay in params["layers"]],
            "out_bias": np.asarray(params["out_bias"], np.float32),
        }
        self.config = config
        self.arm_name = arm_name
        self.joint_names = tuple(joint_names)
        self.dof = len(self.joint_names)
        self.home = np.asarray(home, float)
        self.bounds = (np.asarray(bounds[0], float), np.asarray(bounds[1], float))
        self.encoding = config["encoding"]
        self.nominal = nominal
        self.metrics = dict(metrics or {})
        self.ee_link = None
        self._cf = ClosedFormNet(
            self.params["layers"], self.params["out_bias"], self.encoding, *self.bounds
        )
        self._tf = None

    # -- description ------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        return sum(e.shape[0] for e, _, _ in self.params["layers"])

    def __repr__(self) -> str:
        sizes = "-".join(str(e.shape[0]) for e, _, _ in self.params["layers"])
        extra = ", nominal" if self.nominal is not None else ""
        return (
            f"LearnedModel({self.arm_name!r}, dof={self.dof}, position-only, "
            f"ensembles={sizes} tanh, encoding={self.encoding!r}{extra})"
        )

    def metrics_line(self) -> str:
        m = self.metrics
        if "fk_rmse_mm" not in m:
            return "(not evaluated)"
        return (
            f"FK RMSE {m['fk_rmse_mm']:.2f} mm, Jacobian error median "
            f"{100 * m['jac_rel_median']:.2f}% (p95 {100 * m['jac_rel_p95']:.2f}%)"
        )

    # -- input checks -----------------------------------------------------------------
    def _batch(self, q) -> tuple[np.ndarray, bool]:
        arr = np.asarray(q, dtype=np.float64)
        n = self.dof
        if arr.ndim == 1 and arr.shape[0] == n:
            single = True
        elif arr.ndim == 2 and arr.shape[1] == n:
            single = False
        else:
            raise InputError(
                f"q must have shape ({n},) or (B, {n}) for the learned {self.arm_name} model "
                f"(dof={n}); got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise InputError(f"q must be finite; got {arr}")
        return arr, single

    def _check_link(self, link, point) -> None:
        if link is not None:
            raise UnknownLinkError(
                f"a learned model knows only its end effector; got link={link!r} (pass link=None)"
            )
        if point is not None:
            raise InputError(
                "a position-only learned model cannot offset the point (it has no "
                "orientation); pass point=None"
            )

    # -- numeric API ------------------------------------------------------------------
    def fk(self, q, link: str | None = None) -> np.ndarray:
        """End-effector position (3,) or (B, 3), m."""
        self._check_link(link, None)
        arr, single = self._batch(q)
        y, _ = self._cf.forward(np.atleast_2d(arr))
        if self.nominal is not None:
            y = y + self.nominal.fk(np.atleast_2d(arr))[:, :3, 3]
        return y[0] if single else y

    position = fk

    def jacobian(
        self, q, link: str | None = None, point=None, backend: str = "numpy"
    ) -> np.ndarray:
        """Linear-velocity Jacobian d pos / d q, (3, N) or (B, 3, N).

        ``backend="numpy"`` evaluates the closed form from the exported weights
        (fast, float64); ``backend="tf"`` differentiates the NengoDL graph with
        TensorFlow (float32, builds a simulator on first use).
        """
        self._check_link(link, point)
        arr, single = self._batch(q)
        if backend == "numpy":
            if single:
                jac = self._cf.jacobian1(arr)
            else:
                _, jac = self._cf.jacobian(arr)
        elif backend == "tf":
            _, jac = self.tf.jacobian(np.atleast_2d(arr))
            jac = jac.astype(np.float64)
            if single:
                jac = jac[0]
        else:
            raise InputError(f"backend must be one of {BACKENDS}; got {backend!r}")
        if self.nominal is not None:
            jac = jac + self.nominal.jacobian(arr)[..., :3, :]
        return jac

    def weight_jacobian(self, q) -> dict[str, np.ndarray]:
        """dF/dW at one configuration: {label: array (3, *W.shape)} for every trainable weight.

        Labels name the ensemble or connection the weight belongs to, e.g.
        ``ensemble0.scaled_encoders``, ``ensemble1.bias``,
        ``ensemble1->output.decoders``. Computed by TF autodiff through NengoDL.
        """
        arr, single = self._batch(q)
        if not single:
            raise InputError(f"weight_jacobian takes one configuration ({self.dof},)")
        _, out = self.tf.weight_jacobian(arr)
        return out

    # -- TensorFlow side ---------------------------------------------------------------
    @property
    def tf(self):
        """The NengoDL simulator wrapper (built on first use)."""
        if self._tf is None:
            from armjac.learned.tfnet import TFNet

            self._tf = TFNet(self.params, self.encoding, *self.bounds, minibatch_size=64)
        return self._tf

    def close(self) -> None:
        """Release the NengoDL simulator of the ``tf`` backend, if one was built."""
        if self._tf is not None:
            self._tf.close()
            self._tf = None

    def network(self, spiking: bool = False, **kwargs):
        """A fresh ``nengo.Network`` with the trained parameters (see :func:`build_network`)."""
        from armjac.learned.network import build_network

        return build_network(self.params, spiking=spiking, **kwargs)

    def run_spiking(
        self, q, duration: float = 0.3, max_rate: float = 200.0, synapse: float = 0.005
    ) -> np.ndarray:
        """Simulate the spiking variant (Nengo reference simulator) holding ``q`` fixed.

        Returns the probed output over time (T, 3), lowpass-filtered; its late
        values approximate the rate network's :meth:`fk` (network part only).
        """
        import nengo

        arr, single = self._batch(q)
        if not single:
            raise InputError("run_spiking takes one configuration")
        h = self.network(spiking=True, max_rate=max_rate, synapse=synapse)
        x = encoding.encode(self.encoding, arr, *self.bounds)
        h.inp.output = np.r_[x, 1.0]
        with h.net:
            p = nengo.Probe(h.probe.target, synapse=0.02)
        with nengo.Simulator(h.net, progress_bar=False) as sim:
            sim.run(duration)
        return sim.data[p]

    # -- evaluation and saving -----------------------------------------------------------
    def evaluate(self, q, pos, jac) -> dict:
        """FK RMSE (mm) and relative Frobenius Jacobian errors against references."""
        dp = self.fk(q) - pos
        rel = relative_error(self.jacobian(q), jac)
        return {
            "n_test": int(len(q)),
            "fk_rmse_mm": float(1e3 * np.sqrt(np.mean(np.sum(dp * dp, axis=1)))),
            "fk_max_mm": float(1e3 * np.max(np.linalg.norm(dp, axis=1))),
            "jac_rel_median": float(np.median(rel)),
            "jac_rel_p95": float(np.percentile(rel, 95)),
        }

    def save(self, path) -> None:
        """Write the model to folder ``path`` (``model.json`` + ``params.npz``)."""
        from armjac.learned.io import save

        save(self, path)
