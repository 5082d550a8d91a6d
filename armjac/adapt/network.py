"""A fresh Nengo ensemble on a nominal arm, for decoder adaptation without offline training.

:func:`zero_residual` is the Neural Engineering Framework's usual starting
point: one ensemble of tanh neurons with random encoders and biases, reading
the encoded joint angles, and output decoders at exactly zero -- so the model
is exactly the nominal tip until PES or RLS moves the decoders. It is the
residual-model layout of :func:`armjac.learned.train_from_data` (a
``DataModel`` on a ``TipNominal``) with no training.
"""

from __future__ import annotations

import numpy as np

from armjac.learned import encoding
from armjac.validation import as_count, check_gain


def zero_residual(nominal, point=None, *, n_neurons: int = 400, gain: float = 1.0, seed: int = 0):
    """A residual network with random hidden weights and zero output on ``nominal``'s ``point``.

    Parameters
    ----------
    nominal : Arm
        The nominal arm (its joint bounds scale nothing: the encoding is ``sincos``).
    point : 3 floats, optional
        The assumed tool point on its EE link.
    n_neurons : int
        Neurons of the one ensemble.
    gain : float
        Encoder norm (each neuron's input is ``gain`` times a unit projection of
        ``[sin q, cos q]``).
    seed : int
        Seed of the random encoders and biases.

    Returns
    -------
    DataModel
        Position-only; ``fk`` equals the nominal tip exactly.
    """
    from armjac.learned.from_data import DataModel, data_config
    from armjac.learned.network import init_params
    from armjac.learned.residual import TipNominal

    n = as_count(n_neurons, "n_neurons", minimum=1)
    gain = check_gain("gain", gain)
    n_in = encoding.encoded_size("sincos", nominal.dof)
    params = init_params([(n, n_in)], 3, gain, int(seed))
    e, b, d = params["layers"][0]
    params["layers"][0] = (e, b, np.zeros_like(d))
    cfg = data_config(
        {
            "base": "nominal",
            "network": {"ensembles": [{"n_neurons": n}], "gain": gain, "seed": int(seed)},
        }
    )
    lo, hi = nominal.sample_bounds()
    model = DataModel(
        params,
        config={"encoding": "sincos", "outputs": "position", "from_data": cfg},
        arm_name=nominal.name,
        joint_names=nominal.joint_names,
        home=nominal.home,
        bounds=(lo, hi),
        nominal=TipNominal(nominal, point),
        metrics={"trained": False},
        ee_link=nominal.ee_link,
    )
    model.out_of_range = "ignore"  # random tanh features: nothing was fitted to a range
    return model
