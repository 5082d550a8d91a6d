"""Adapting a learned network's output decoders: PES closed form == nengo.PES, RLS ==
least squares on the network's dF/dW, and the adapted model's J == finite differences."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nengo_dl")

from armjac.adapt import PES, RLS, DecoderAdaptation, make_adapting, run_pes  # noqa: E402
from armjac.learned import train  # noqa: E402

TINY = {
    "arm": "kuka_iiwa",
    "data": {"n_train": 1500, "n_val": 100, "n_test": 100},
    "network": {"ensembles": [{"n_neurons": 64}, {"n_neurons": 48, "dimensions": 8}]},
    "nominal": {"link_scale_std": 0.05},
    "training": {"epochs": 3, "batch_size": 100, "progress": False},
}


@pytest.fixture(scope="module")
def tiny(arms):
    arm = arms("kuka_iiwa")
    model = train(arm, TINY, progress=False, log=None)
    yield arm, model
    model.close()


def _samples(arm, n, seed, offset=(0.03, -0.02, 0.04)):
    rng = np.random.default_rng(seed)
    q = arm.home + 0.4 * rng.uniform(-1, 1, (n, arm.dof))
    x = arm.fk(q)[:, :3, 3] + np.asarray(offset)
    return q, x


@pytest.mark.filterwarnings("ignore:This learning rate is very high")
def test_pes_closed_form_equals_nengo(tiny):
    """The same samples through nengo.PES in nengo.Simulator and through the closed form."""
    arm, model = tiny
    q, x = _samples(arm, 40, 1)
    kappa, dt = 40.0, 0.002
    decoders, errors = run_pes(model, q, x, learning_rate=kappa, dt=dt)
    ada = DecoderAdaptation(model, PES(kappa, dt))
    d0 = model.output_weights()[0]
    for k in range(len(q)):
        np.testing.assert_allclose(ada.fk(q[k]) - x[k], errors[k], rtol=1e-9, atol=1e-12)
        ada.update(q[k], x[k])
        np.testing.assert_allclose(ada.w, decoders[k], rtol=1e-9, atol=1e-12)
    assert np.abs(decoders[-1] - d0).max() > 1e-3  # the rule did move the decoders
    np.testing.assert_array_equal(model.output_weights()[0], d0)  # the original is untouched


def test_rls_regressor_is_the_networks_weight_jacobian(tiny):
    """dF/dD from TF autodiff through NengoDL is I (x) a: the regressor the rules use."""
    arm, model = tiny
    ada = DecoderAdaptation(model, RLS(), bias=True)
    q = arm.home + 0.1
    dfdw = model.weight_jacobian(q)
    dec = dfdw["ensemble1->output.decoders"]  # (3, 3, n)
    a = ada.features(q)[:-1]
    expect = np.einsum("ij,k->ijk", np.eye(3), a)
    np.testing.assert_allclose(dec, expect, rtol=1e-4, atol=1e-5)  # TF runs in float32
    np.testing.assert_allclose(dfdw["constant->output.weights"][:, :, 0], np.eye(3), atol=1e-6)


def test_rls_on_decoders_converges_to_least_squares(tiny):
    """No forgetting: the decoders and bias minimise |W - W0|^2 / delta + sum |fk - x|^2."""
    arm, model = tiny
    q, x = _samples(arm, 80, 2)
    delta = 1e-2
    spec = {"rule": "rls", "forgetting": "none", "delta": delta, "reset": 0.0}
    ada = make_adapting(model, spec)
    for qk, xk in zip(q, x, strict=True):
        ada.update(qk, xk)
    d0, c0 = model.output_weights()
    w0 = np.hstack((d0, c0[:, None]))
    phi = np.hstack((model.output_activities(q), np.ones((len(q), 1))))
    y = x - (model.fk(q) - phi @ w0.T)  # what the adapted part must produce
    a = np.eye(phi.shape[1]) / delta + phi.T @ phi
    w_ls = np.linalg.solve(a, (w0 / delta + y.T @ phi).T).T
    np.testing.assert_allclose(ada.w, w_ls, rtol=1e-7, atol=1e-9)
    # W0 is feasible, so the regularised optimum fits the samples better than W0 does
    assert np.sum((ada.fk(q) - x) ** 2) < np.sum((model.fk(q) - x) ** 2)


@pytest.mark.parametrize("spec", ["pes", "rls", {"rule": "rls", "forgetting": "exponential"},
                                  "local_rls", "broyden", "offset", "tool_rls",
                                  {"rule": "offset", "on": "tool_rls"}])  # fmt: skip
def test_adapted_jacobian_matches_finite_differences(tiny, spec):
    arm, model = tiny
    ada = make_adapting(model, spec)
    q, x = _samples(arm, 30, 3)
    for k, (qk, xk) in enumerate(zip(q, x, strict=True)):
        ada.update(qk, xk, t=0.02 * k)
    assert ada.n_updates == 30 and ada.last_update == pytest.approx(0.58)
    qt = q[-1] + 0.05
    h = 1e-5
    fd = np.stack([(ada.fk(qt + h * e) - ada.fk(qt - h * e)) / (2 * h) for e in np.eye(arm.dof)], 1)
    jac = ada.jacobian(qt)
    assert jac.shape == (3, arm.dof)
    np.testing.assert_allclose(jac, fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())
    jb = ada.jacobian(np.stack([qt, q[0]]))
    np.testing.assert_allclose(jb[0], jac, rtol=1e-5, atol=1e-7)
    assert ada.fk(np.stack([qt, q[0]])).shape == (2, 3)


def test_decoder_adaptation_refuses_what_it_cannot_adapt(tiny, arms):
    from armjac.errors import InputError

    _, model = tiny
    with pytest.raises(InputError, match="bias=False with PES"):
        DecoderAdaptation(model, PES(), bias=True)
    with pytest.raises(InputError, match="LearnedModel"):
        DecoderAdaptation(arms("kuka_iiwa"), RLS())
