"""The Nengo network: a chain of ensembles from encoded joint angles to the EE position.

Layout (``k`` = 0 .. K-1)::

    input Node [encoded q, 1] --[:X], synapse=None--> ens_0
    ens_k.neurons --transform D_k (decoders)--> ens_{k+1}    (d_{k+1}-dimensional)
    ens_{K-1}.neurons --transform D_{K-1}--> output Node (3)
    input Node [X] (the constant 1) --transform c--> output Node   (trainable offset)

The constant rides on the input node so the network has a single input.

Every ensemble uses rate ``nengo.Tanh(tau_ref=1)`` neurons (a unit tanh; the
default ``tau_ref`` scales rates up to 400) and stores its trained scaled
encoders directly (``gain = 1``, ``radius = 1``, ``normalize_encoders=False``),
so the Nengo parameters are exactly the matrices of
:mod:`armjac.learned.closed_form`. Tanh is smooth: a rectified-linear network has a
piecewise-constant Jacobian, which is poor for Jacobian accuracy.

The decoded dimensionality ``d_k`` between ensembles is a low-rank bottleneck
(E_{k+1} D_k has rank d_k), which cuts the work per layer from n_k n_{k+1} to
d (n_k + n_{k+1}) multiply-adds.

All connections use ``synapse=None``: the map is memoryless and one simulation
step computes it. The spiking variant swaps in
``RegularSpiking(Tanh(tau_ref=1/max_rate), amplitude=1/max_rate)`` (same mean
output) and lowpass synapses, for use in a time-stepped Nengo simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from armjac.learned import stack


@dataclass
class NetHandles:
    """A built Nengo network and the objects training and export reach into.

    ``inp`` is the input node, ``probe`` the output probe, ``connections[k]`` the
    decoders leaving ``ensembles[k]``, and ``bias_conn`` the constant-to-output
    connection that carries the output bias.
    """

    net: object
    inp: object
    probe: object
    ensembles: list = field(default_factory=list)
    connections: list = field(default_factory=list)  # decoders of each ensemble
    bias_conn: object = None

    def labelled(self) -> list[tuple[str, object, str]]:
        """(label, nengo object, ``sim.data`` attribute) for every trainable parameter."""
        out = []
        for k, ens in enumerate(self.ensembles):
            out.append((f"ensemble{k}.scaled_encoders", ens, "scaled_encoders"))
            out.append((f"ensemble{k}.bias", ens, "bias"))
        for k, conn in enumerate(self.connections):
            dst = f"ensemble{k + 1}" if k + 1 < len(self.ensembles) else "output"
            out.append((f"ensemble{k}->{dst}.decoders", conn, "weights"))
        out.append(("constant->output.weights", self.bias_conn, "weights"))
        return out


def init_params(sizes: list[tuple[int, int]], n_out: int, gain: float, seed: int) -> dict:
    """Random initial parameters. ``sizes`` = [(n_neurons, dimensions)] per ensemble.

    Encoders are unit vectors times ``gain`` and biases uniform in [-1, 1], so
    every neuron's tanh is in its curved region for inputs of unit size;
    decoders are Glorot-scaled.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for k, (n, d) in enumerate(sizes):
        e = rng.standard_normal((n, d))
        e *= gain / np.linalg.norm(e, axis=1, keepdims=True)
        b = rng.uniform(-1.0, 1.0, n)
        d_next = sizes[k + 1][1] if k + 1 < len(sizes) else n_out
        dec = rng.standard_normal((d_next, n)) * np.sqrt(2.0 / (n + d_next))
        layers.append((e, b, dec))
    return {"layers": layers, "out_bias": np.zeros(n_out)}


def build_network(
    params: dict,
    *,
    spiking: bool = False,
    max_rate: float = 200.0,
    synapse: float = 0.005,
    dl_settings: dict | None = None,
    seed: int = 0,
) -> NetHandles:
    """Build the ``nengo.Network`` holding ``params`` (see :func:`init_params`).

    ``dl_settings`` overrides the ``nengo_dl.configure_settings`` defaults used here
    (``simplifications=[]``, ``stateful=False``, ``use_loop=False``).
    """
    nengo = stack.nengo("the Nengo network of a learned model")
    nengo_dl = stack.nengo_dl("the Nengo network of a learned model")

    layers = params["layers"]
    n_in = layers[0][0].shape[1]
    n_out = layers[-1][2].shape[0]
    if spiking:
        neuron = nengo.RegularSpiking(nengo.Tanh(tau_ref=1.0 / max_rate), amplitude=1.0 / max_rate)
        syn = synapse
    else:
        neuron = nengo.Tanh(tau_ref=1.0)
        syn = None
    h = NetHandles(net=nengo.Network(label="armjac learned FK", seed=seed), inp=None, probe=None)
    with h.net:
        # Separate weight tensors (no operator merging) so every parameter can be
        # labelled; no loop / state, since one step computes the whole map.
        settings = default_dl_settings()
        settings.update(dl_settings or {})
        nengo_dl.configure_settings(**settings)
        h.inp = nengo.Node(np.r_[np.zeros(n_in), 1.0], label="encoded q, 1")
        out = nengo.Node(size_in=n_out, label="ee position")
        prev = h.inp
        for k, (e, b, _) in enumerate(layers):
            ens = nengo.Ensemble(
                e.shape[0],
                e.shape[1],
                neuron_type=neuron,
                encoders=np.asarray(e, float),
                gain=np.ones(e.shape[0]),
                bias=np.asarray(b, float),
                radius=1.0,
                normalize_encoders=False,
                label=f"ensemble{k}",
            )
            if k == 0:
                nengo.Connection(prev[:n_in], ens, synapse=None)
            h.ensembles.append(ens)
        for k, (_, _, dec) in enumerate(layers):
            post = h.ensembles[k + 1] if k + 1 < len(layers) else out
            h.connections.append(
                nengo.Connection(
                    h.ensembles[k].neurons, post, transform=np.asarray(dec, float), synapse=syn
                )
            )
        h.bias_conn = nengo.Connection(
            h.inp[n_in], out, transform=np.asarray(params["out_bias"], float)[:, None], synapse=None
        )
        h.probe = nengo.Probe(out, synapse=None)
    return h


def default_dl_settings() -> dict:
    """The ``nengo_dl.configure_settings`` used for these networks, and why.

    * ``simplifications=[]``: keep every weight its own signal, so dF/dW can be
      labelled per ensemble and connection.
    * ``stateful=False``, ``use_loop=False``: the map is memoryless; one unrolled
      step computes it.
    * ``planner=noop_planner``, ``sorter=noop_order_signals``: NengoDL's default
      planner merges same-type operators and their signals into shared base
      arrays, so each ensemble's input is written with a ``TensorScatterAdd``
      into the merged array -- about half of a training step on CPU. Without
      merging, a step of the default kuka network takes 2.7 ms instead of 11 ms
      (batch 256; docs/learned.md).
    """
    import nengo_dl.graph_optimizer as go

    return {
        "simplifications": [],
        "stateful": False,
        "use_loop": False,
        "planner": go.noop_planner,
        "sorter": go.noop_order_signals,
    }


def export_params(sim, h: NetHandles) -> dict:
    """Read the live (trained) parameters out of a NengoDL simulator."""
    layers = []
    for ens, conn in zip(h.ensembles, h.connections, strict=True):
        layers.append(
            (
                np.array(sim.data[ens].scaled_encoders, dtype=np.float32),
                np.array(sim.data[ens].bias, dtype=np.float32),
                np.array(sim.data[conn].weights, dtype=np.float32),
            )
        )
    out_bias = np.array(sim.data[h.bias_conn].weights, dtype=np.float32)[:, 0]
    return {"layers": layers, "out_bias": out_bias}
