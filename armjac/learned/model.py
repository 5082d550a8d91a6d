"""LearnedModel: a trained network behind the same numeric API as :class:`~armjac.arm.Arm`.

Position-only (the default): ``fk(q)`` returns the EE position (3,) / (B, 3) and
``jacobian(q)`` the linear rows (3, N) / (B, 3, N) (see :mod:`armjac.protocols`).
With ``outputs: pose`` it returns a transform (4, 4) and rows [v; w] (6, N).
It has no dynamics; a controller takes those from the analytic arm or the
simulator.
"""

from __future__ import annotations

import copy
import threading
import warnings

import numpy as np

from armjac import validation
from armjac.errors import InputError, UnknownLinkError
from armjac.learned import encoding, io, pose, stack
from armjac.learned.autodiff import error_stats, relative_error
from armjac.learned.closed_form import ClosedFormNet

BACKENDS = ("numpy", "tf")
OUT_OF_RANGE = ("warn", "raise", "ignore")
RANGE_TOL = 1e-9  # rad (or m): how far q may leave the training range unnoticed


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
        Description of the arm it models; ``bounds`` = (lo, hi) joint sampling
        bounds, which also scale the ``scaled`` input encoding.
    nominal : Arm, optional
        A crude nominal model whose output the network corrects (see
        :mod:`armjac.learned.nominal`).
    metrics : dict, optional
        Held-out errors and training statistics.
    ee_link : str, optional
        The link whose position the network models.
    train_range : (lo, hi), optional
        Joint range the training data covered (default: ``bounds``); ``±inf``
        for a joint whose encoding is periodic over its whole range.

    Attributes
    ----------
    out_of_range : {"warn", "raise", "ignore"}
        What a configuration outside ``train_range`` (by more than 1e-9) does:
        ``"warn"`` (default) issues one ``UserWarning`` per model, ``"raise"``
        raises :class:`~armjac.errors.InputError`, ``"ignore"`` extrapolates
        silently.

    Notes
    -----
    One model may be shared between threads. The single-configuration numpy
    Jacobian reuses preallocated buffers, one set per calling thread; the
    ``tf`` backend's NengoDL simulator serves one thread at a time (a lock),
    so load one model per thread to run it concurrently. A model used as a
    context manager (``with load(path) as model:``) releases that simulator on
    exit (:meth:`close`).
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
        ee_link: str | None = None,
        train_range=None,
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
        self.pose = config["outputs"] == "pose"
        self.nominal = nominal
        self.metrics = dict(metrics or {})
        self.ee_link = ee_link  # the link whose position the network models
        self._cf = ClosedFormNet(
            self.params["layers"], self.params["out_bias"], self.encoding, *self.bounds
        )
        self._tf = None
        self._tf_lock = threading.RLock()  # one thread at a time in the NengoDL simulator
        rng_lo, rng_hi = self.bounds if train_range is None else train_range
        self.train_range = (np.asarray(rng_lo, float), np.asarray(rng_hi, float))
        self._lo_tol = self.train_range[0] - RANGE_TOL
        self._hi_tol = self.train_range[1] + RANGE_TOL
        self._out_of_range = "warn"
        self._warned = False

    @property
    def out_of_range(self) -> str:
        """``"warn"``, ``"raise"`` or ``"ignore"``: the response to q outside ``train_range``."""
        return self._out_of_range

    @out_of_range.setter
    def out_of_range(self, value: str) -> None:
        if value not in OUT_OF_RANGE:
            raise InputError(f"out_of_range must be one of {OUT_OF_RANGE}; got {value!r}")
        self._out_of_range = value
        self._warned = False

    # -- description ------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        """Total number of neurons over all ensembles."""
        return sum(e.shape[0] for e, _, _ in self.params["layers"])

    def __repr__(self) -> str:
        sizes = "-".join(str(e.shape[0]) for e, _, _ in self.params["layers"])
        extra = ", nominal" if self.nominal is not None else ""
        kind = "pose" if self.pose else "position-only"
        return (
            f"LearnedModel({self.arm_name!r}, dof={self.dof}, {kind}, "
            f"ensembles={sizes} tanh, encoding={self.encoding!r}{extra})"
        )

    def metrics_line(self) -> str:
        """The held-out FK RMSE and Jacobian error on one line, or ``"(not evaluated)"``."""
        m = self.metrics
        if "fk_rmse_mm" not in m:
            return "(not evaluated)"
        return (
            f"FK RMSE {m['fk_rmse_mm']:.2f} mm, Jacobian error median "
            f"{100 * m['jac_rel_median']:.2f}% (p95 {100 * m['jac_rel_p95']:.2f}%)"
        )

    # -- input checks -----------------------------------------------------------------
    def _batch(self, q) -> tuple[np.ndarray, bool]:
        """``q`` as a checked float64 (B, N) array, and whether it was one (N,) vector."""
        arr, single = validation.as_batch(q, self.dof, "q", f"the learned {self.arm_name} model")
        validation.check_finite(arr, "q")
        if self._out_of_range != "ignore" and (
            (arr < self._lo_tol).any() or (arr > self._hi_tol).any()
        ):
            self._outside(arr)
        return arr, single

    def _outside(self, arr: np.ndarray) -> None:
        """Report q outside the training range (``out_of_range`` says how)."""
        bad = ((arr < self._lo_tol) | (arr > self._hi_tol)).reshape(-1, self.dof)
        row, j = np.argwhere(bad)[0]
        lo, hi = self.train_range[0][j], self.train_range[1][j]
        msg = (
            f"joint {j} ({self.joint_names[j]}) = {arr.reshape(-1, self.dof)[row, j]:.6g} is "
            f"outside the training range [{lo:.6g}, {hi:.6g}] of the learned {self.arm_name} "
            "model; the network extrapolates there (set model.out_of_range to 'raise' or "
            "'ignore')"
        )
        if self._out_of_range == "raise":
            raise InputError(msg)
        if not self._warned:
            self._warned = True
            warnings.warn(msg, stacklevel=4)

    def _check_link(self, link, point) -> None:
        if link is not None and link != self.ee_link:
            raise UnknownLinkError(
                f"a learned model knows only its end effector {self.ee_link!r}; got "
                f"link={link!r} (pass link=None)"
            )
        if point is not None:
            raise InputError(
                "a learned model gives the Jacobian at its end-effector point only; pass point=None"
            )

    # -- numeric API ------------------------------------------------------------------
    def _nominal_outputs(self, q2: np.ndarray, with_jac: bool):
        """The nominal model's contribution to the outputs (and their Jacobian)."""
        t = self.nominal.fk(q2)
        if not self.pose:
            return t[:, :3, 3], (self.nominal.jacobian(q2)[:, :3, :] if with_jac else None)
        jac6 = self.nominal.jacobian(q2)
        y, jy = pose.targets(t, jac6)
        return y, jy

    def _outputs(self, q2: np.ndarray, with_jac: bool, backend: str = "numpy"):
        """Network (+ nominal) outputs (B, M) and, optionally, their Jacobian (B, M, N)."""
        if backend == "numpy":
            if with_jac:
                y, jy = self._cf.jacobian(q2)
            else:
                y, _ = self._cf.forward(q2)
                jy = None
        elif backend == "tf":
            with self._tf_lock:
                if with_jac:
                    y, jy = self.tf.jacobian(q2)
                else:
                    y, jy = self.tf.predict(q2), None
            y = y.astype(np.float64)
            jy = None if jy is None else jy.astype(np.float64)
        else:
            raise InputError(f"backend must be one of {BACKENDS}; got {backend!r}")
        if self.nominal is not None:
            yn, jn = self._nominal_outputs(q2, with_jac)
            y = y + yn
            jy = jy + jn if with_jac else None
        return y, jy

    def fk(self, q, link: str | None = None) -> np.ndarray:
        """End-effector position (3,) / (B, 3) in m; a pose model returns (4, 4) / (B, 4, 4)."""
        self._check_link(link, None)
        arr, single = self._batch(q)
        y, _ = self._outputs(arr, with_jac=False)
        out = pose.transform(y) if self.pose else y
        return out[0] if single else out

    def position(self, q, link: str | None = None) -> np.ndarray:
        """End-effector position (3,) or (B, 3), m."""
        out = self.fk(q, link)
        return out[..., :3, 3] if self.pose else out

    def jacobian(
        self, q, link: str | None = None, point=None, backend: str = "numpy"
    ) -> np.ndarray:
        """Jacobian: linear rows (3, N) / (B, 3, N); a pose model gives [v; w] (6, N).

        ``backend="numpy"`` evaluates the closed form from the exported weights
        (fast; see :mod:`armjac.learned.closed_form` for precision);
        ``backend="tf"`` differentiates the NengoDL graph with TensorFlow
        (float32, builds a simulator on first use).
        """
        self._check_link(link, point)
        arr, single = self._batch(q)
        if single and backend == "numpy" and not self.pose:
            jac = self._cf.jacobian1(arr[0])  # the allocation-light control-loop path
            if self.nominal is not None:
                jac = jac + self.nominal.jacobian(arr[0])[:3, :]
            return jac
        y, jy = self._outputs(arr, with_jac=True, backend=backend)
        jac = pose.geometric_jacobian(y, jy) if self.pose else jy
        return jac[0] if single else jac

    def weight_jacobian(self, q) -> dict[str, np.ndarray]:
        """dF/dW at one configuration: {label: array (M, *W.shape)} for every trainable weight.

        ``M`` is the number of network outputs: 3 for a position model, 9 for a
        pose model (position and two rotation-matrix columns, see
        :mod:`armjac.learned.pose`); a nominal model's part does not depend on W.
        Labels name the ensemble or connection the weight belongs to, e.g.
        ``ensemble0.scaled_encoders``, ``ensemble1.bias``,
        ``ensemble1->output.decoders``. Computed by TF autodiff through NengoDL.
        """
        arr, single = self._batch(q)
        if not single:
            raise InputError(f"weight_jacobian takes one configuration ({self.dof},)")
        with self._tf_lock:
            _, out = self.tf.weight_jacobian(arr[0])
        return out

    # -- the output layer (online adaptation) -------------------------------------------
    def output_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the last ensemble's decoders (M, n) and the output bias (M,), float64."""
        d = np.array(self._cf.layers[-1][2], dtype=float)
        return d, np.array(self._cf.out_bias, dtype=float)

    def set_output_weights(self, decoders, bias=None) -> None:
        """Replace the output decoders (M, n) and, if given, the output bias (M,) in place.

        The numpy backend sees the new weights at once; ``params`` is updated
        too (what :meth:`save` writes), and a built ``tf`` backend is released,
        so it is rebuilt from the new weights on next use.
        """
        d = np.asarray(decoders, dtype=float)
        c = self._cf.out_bias if bias is None else np.asarray(bias, dtype=float)
        if not (np.isfinite(d).all() and np.isfinite(c).all()):
            raise InputError("output weights must be finite")
        try:
            self._cf.set_output(d, c)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        e, b, _ = self.params["layers"][-1]
        self.params["layers"][-1] = (e, b, d.astype(np.float32))
        self.params["out_bias"] = np.asarray(c, np.float32)
        self.close()

    def output_activities(self, q) -> np.ndarray:
        """Activities of the last ensemble (n,) / (B, n): what the output decoders weigh."""
        arr, single = self._batch(q)
        _, acts = self._cf.forward(np.atleast_2d(arr))
        return acts[-1][0] if single else acts[-1]

    def copy(self) -> LearnedModel:
        """An independent copy with its own weights (the nominal is shared: it is immutable)."""
        out = copy.copy(self)  # keeps the class (and whatever a subclass adds)
        out.params = {
            "layers": [tuple(a.copy() for a in lay) for lay in self.params["layers"]],
            "out_bias": self.params["out_bias"].copy(),
        }
        out.metrics = dict(self.metrics)
        out._cf = ClosedFormNet(out.params["layers"], out.params["out_bias"], self.encoding,
                                *self.bounds)  # fmt: skip
        out._cf.set_output(*self.output_weights())  # float64, not their float32 storage
        out._tf = None
        out._tf_lock = threading.RLock()
        return out

    # -- TensorFlow side ---------------------------------------------------------------
    @property
    def tf(self):
        """The NengoDL simulator wrapper (built on first use)."""
        with self._tf_lock:
            if self._tf is None:
                from armjac.learned.tfnet import TFNet

                self._tf = TFNet(self.params, self.encoding, *self.bounds, minibatch_size=64)
            return self._tf

    def close(self) -> None:
        """Release the NengoDL simulator of the ``tf`` backend, if one was built.

        The model stays usable: the numpy backend needs no simulator, and the
        ``tf`` backend builds a new one on its next use. Closing twice is harmless.
        """
        with self._tf_lock:
            if self._tf is not None:
                self._tf.close()
                self._tf = None
        self._tf_lock = threading.RLock()  # one thread at a time in the NengoDL simulator

    def __enter__(self) -> LearnedModel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def network(self, spiking: bool = False, **kwargs):
        """A fresh ``nengo.Network`` with the trained parameters (see :func:`build_network`)."""
        from armjac.learned.network import build_network

        return build_network(self.params, spiking=spiking, **kwargs)

    def run_spiking(
        self, q, duration: float = 0.3, max_rate: float = 200.0, synapse: float = 0.005
    ) -> np.ndarray:
        """Simulate the spiking variant (Nengo reference simulator) holding ``q`` fixed.

        Returns the probed network outputs over time (T, M), lowpass-filtered:
        M = 3 for a position model, 9 for a pose model (raw outputs, see
        :mod:`armjac.learned.pose`). Late values approximate the rate network's
        outputs (network part only, without a nominal model).
        """
        nengo = stack.nengo("LearnedModel.run_spiking")

        arr, single = self._batch(q)
        if not single:
            raise InputError("run_spiking takes one configuration")
        h = self.network(spiking=True, max_rate=max_rate, synapse=synapse)
        x = encoding.encode(self.encoding, arr[0], *self.bounds)
        h.inp.output = np.r_[x, 1.0]
        with h.net:
            p = nengo.Probe(h.probe.target, synapse=0.02)
        with nengo.Simulator(h.net, progress_bar=False) as sim:
            sim.run(duration)
        return sim.data[p]

    # -- evaluation and saving -----------------------------------------------------------
    def evaluate(self, q, pos, jac, transform=None, jac6=None) -> dict:
        """Errors against references: FK RMSE (mm), relative Frobenius Jacobian errors.

        ``pos`` (B, 3) and ``jac`` (B, 3, N) are the true positions and linear rows;
        a pose model also takes ``transform`` (B, 4, 4) and ``jac6`` (B, 6, N).
        """
        fk = self.fk(q)
        j = self.jacobian(q)
        p = fk[:, :3, 3] if self.pose else fk
        out = {"n_test": int(len(q)), **error_stats(p, pos, j[:, :3, :], jac)}
        if self.pose and transform is not None:
            r_err = np.einsum("bji,bjk->bik", transform[:, :3, :3], fk[:, :3, :3])
            cos = np.clip((np.trace(r_err, axis1=1, axis2=2) - 1) / 2, -1, 1)
            out["rot_rmse_deg"] = float(np.degrees(np.sqrt(np.mean(np.arccos(cos) ** 2))))
            rel6 = relative_error(j, jac6)
            out["jac6_rel_median"] = float(np.median(rel6))
            out["jac6_rel_p95"] = float(np.percentile(rel6, 95))
        return out

    def save(self, path) -> None:
        """Write the model to folder ``path`` (``model.json`` + ``params.npz``)."""
        io.save(self, path)

