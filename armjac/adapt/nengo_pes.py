"""PES run through Nengo itself: the learned network with ``nengo.PES`` on its output decoders.

:func:`run_pes` builds the model's network (:func:`armjac.learned.network.build_network`),
puts a ``nengo.PES`` rule on the connection from the last ensemble's neurons to
the output, feeds one tracker sample per simulator step and returns the
decoders after every step. It is the reference for the closed form in
:mod:`armjac.adapt.rules` (tests check they agree); a control loop uses the
closed form, which costs microseconds instead of a simulator step.

Timing in Nengo: within step ``k`` the weights are first incremented by the
delta of step ``k - 1``, then the output is computed with them, then
``SimPES`` computes the new delta from this step's error and activities. So
sample ``k`` is predicted with the weights after samples ``0 .. k-1``, exactly
as in the closed form, and a weights probe at step ``k`` shows the weights
before that step's delta: the run takes one extra step to show the last one.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError
from armjac.learned import encoding


def run_pes(model, q, x, learning_rate: float, dt: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Adapt ``model``'s output decoders with ``nengo.PES`` over the samples ``(q[k], x[k])``.

    Parameters
    ----------
    model : LearnedModel
        Position-only (with or without a nominal model). Not modified.
    q : (K, N) array
        Joint readings, one sample per Nengo step.
    x : (K, 3) array
        Measured tip positions, m.
    learning_rate : float
        ``nengo.PES(learning_rate=...)``.
    dt : float
        The simulator's time step, s.

    Returns
    -------
    decoders : (K, 3, n) array
        The decoders after each sample.
    errors : (K, 3) array
        The prediction error ``fk - x`` of each sample, before its update.
    """
    import nengo

    q = np.asarray(q, float)
    x = np.asarray(x, float)
    if q.ndim != 2 or q.shape[1] != model.dof or x.shape != (len(q), 3):
        raise InputError(f"q must be (K, {model.dof}) and x (K, 3); got {q.shape} and {x.shape}")
    enc = encoding.encode(model.encoding, q, *model.bounds)
    # the network models fk minus the nominal part: that is its target
    d, c = model.output_weights()
    target = x - (model.fk(q) - model.output_activities(q) @ d.T - c)
    h = model.network()
    n_steps = len(q)

    def step_index(t: float) -> int:  # step k (1-based) runs at t = k dt
        return min(n_steps - 1, max(0, int(round(t / dt)) - 1))

    with h.net:
        h.inp.output = lambda t: np.r_[enc[step_index(t)], 1.0]
        tgt = nengo.Node(lambda t: target[step_index(t)], label="measured tip")
        err = nengo.Node(size_in=3, label="error")
        nengo.Connection(h.probe.target, err, synapse=None)
        nengo.Connection(tgt, err, transform=-1, synapse=None)
        conn = h.connections[-1]
        conn.learning_rule_type = nengo.PES(learning_rate=learning_rate, pre_synapse=None)
        nengo.Connection(err, conn.learning_rule, synapse=None)
        p_w = nengo.Probe(conn, "weights", synapse=None)
        p_e = nengo.Probe(err, synapse=None)
    with nengo.Simulator(h.net, dt=dt, progress_bar=False) as sim:
        sim.run_steps(n_steps + 1)
    return np.array(sim.data[p_w])[1:], np.array(sim.data[p_e])[:-1]
