"""Adaptation rules against closed forms: RLS = weighted least squares, directional
forgetting's invariants, Broyden's secant condition, RBF derivatives, spec errors."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.adapt import (
    PES,
    RLS,
    Broyden,
    RBFFeatures,
    ToolOffset,
    TrackerOffset,
    make_adapting,
    pes_delta,
)
from armjac.errors import ConfigError, InputError


def _data(rng, k=60, p=6, m=3):
    w_true = rng.standard_normal((m, p))
    phi = rng.standard_normal((k, p))
    y = phi @ w_true.T + 0.01 * rng.standard_normal((k, m))
    return w_true, phi, y


def _run(rule, w0, phi, y):
    w = w0.copy()
    rule.start(w)
    for f, yk in zip(phi, y, strict=True):
        rule.step(w, f, w @ f - yk)
    return w


@pytest.mark.parametrize("lam", [1.0, 0.95])
def test_rls_equals_weighted_least_squares(rng, lam):
    """RLS with prior delta I around W0 minimises
    lam^K |W - W0|^2 / delta + sum_k lam^(K-k) |W phi_k - y_k|^2 (normal equations)."""
    _, phi, y = _data(rng)
    w0 = rng.standard_normal((3, phi.shape[1]))
    delta = 0.5
    forgetting = "none" if lam == 1.0 else "exponential"
    w = _run(RLS(delta, forgetting, lam), w0, phi, y)
    k = len(phi)
    wts = lam ** (k - 1 - np.arange(k))
    a = lam**k * np.eye(phi.shape[1]) / delta + (phi * wts[:, None]).T @ phi
    b = lam**k * w0 / delta + (y * wts[:, None]).T @ phi
    np.testing.assert_allclose(w, np.linalg.solve(a, b.T).T, rtol=1e-9, atol=1e-11)


def test_directional_forgetting_without_forgetting_is_plain_rls(rng):
    _, phi, y = _data(rng)
    w0 = np.zeros((3, phi.shape[1]))
    a = _run(RLS(2.0, "directional", 1.0), w0, phi, y)
    b = _run(RLS(2.0, "none"), w0, phi, y)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_directional_forgetting_keeps_the_prior_where_nothing_is_excited(rng):
    """Regressors in a 2-D subspace: P keeps delta on its orthogonal complement with
    directional forgetting; exponential forgetting winds up there as delta / lam^k."""
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    excited, idle = basis[:, :2], basis[:, 2:]
    phi = rng.standard_normal((200, 2)) @ excited.T
    y = rng.standard_normal((200, 3))
    lam, delta = 0.9, 0.3
    d = RLS(delta, "directional", lam)
    e = RLS(delta, "exponential", lam)
    _run(d, np.zeros((3, 6)), phi, y)
    _run(e, np.zeros((3, 6)), phi, y)
    np.testing.assert_array_equal(e.P, e.P.T)  # wound up 1e8-fold, still exactly symmetric
    b = RLS(delta, "exponential", lam, bounded=True)
    _run(b, np.zeros((3, 6)), phi, y)
    assert b.P.diagonal().max() <= delta * (1 + 1e-12)  # never less certain than the prior
    assert np.all(np.linalg.eigvalsh(b.P) > 0)
    np.testing.assert_allclose(d.P @ idle, delta * idle, atol=1e-9)
    wound = delta / lam**200  # 2.6e8 times the prior
    np.testing.assert_allclose(idle.T @ e.P @ idle, wound * np.eye(4), rtol=1e-6, atol=1e-6 * wound)


def test_directional_forgetting_saturates_along_a_repeated_regressor(rng):
    """Repeating one regressor drives phi^T P phi to (1 - lam) / lam: the gain stays alive."""
    lam = 0.95
    rule = RLS(10.0, "directional", lam)
    w = np.zeros((3, 4))
    rule.start(w)
    f = rng.standard_normal(4)
    for _ in range(400):
        rule.step(w, f, w @ f - np.ones(3))
    assert f @ rule.P @ f == pytest.approx((1 - lam) / lam, rel=1e-6)
    assert np.all(np.linalg.eigvalsh(rule.P) > 0)
    np.testing.assert_allclose(w @ f, np.ones(3), atol=1e-9)


def test_directional_forgetting_tracks_a_change(rng):
    """Persistently exciting data: after the true weights jump, the estimate follows."""
    w1, w2 = rng.standard_normal((2, 3, 5))
    rule = RLS(1.0, "directional", 0.9)
    w = np.zeros((3, 5))
    rule.start(w)
    for k in range(800):
        f = rng.standard_normal(5)
        target = (w1 if k < 300 else w2) @ f
        rule.step(w, f, w @ f - target)
    np.testing.assert_allclose(w, w2, atol=1e-3)
    np.testing.assert_array_equal(rule.P, rule.P.T)  # stays exactly symmetric


def test_pes_delta_is_nengos_scaling():
    phi = np.array([0.5, -1.0, 0.25, 2.0])
    e = np.array([1.0, -2.0, 0.5])
    # Delta w_ij = -kappa dt / n e_i a_j, n = 4 presynaptic neurons
    expect = -(3.0 * 0.002 / 4) * np.outer(e, phi)
    np.testing.assert_allclose(pes_delta(phi, e, 3.0, 0.002), expect, rtol=1e-15)
    w = np.zeros((3, 4))
    PES(3.0, 0.002).step(w, phi, e)
    np.testing.assert_allclose(w, expect, rtol=1e-15)


def test_rule_parameters_are_checked():
    with pytest.raises(InputError, match="forgetting"):
        RLS(forgetting="sometimes")
    with pytest.raises(InputError, match="lam"):
        RLS(lam=1.5)
    with pytest.raises(InputError, match="delta"):
        RLS(delta=-1.0)
    with pytest.raises(InputError, match="learning_rate"):
        PES(learning_rate=0.0)


# -- models over an analytic arm --------------------------------------------------------
class _NoArm:
    """A position-only source with no arm behind it."""

    dof, home = 7, np.zeros(7)

    def fk(self, q):
        return np.zeros(3)

    def jacobian(self, q):
        return np.zeros((3, 7))


class _Tip:
    """Position-only view of the kuka tip 0.1 m along the flange z axis (reference)."""

    def __init__(self, arm):
        self.arm, self.point, self.dof, self.home = (
            arm,
            np.array([0.0, 0.0, 0.1]),
            arm.dof,
            arm.home,
        )

    def fk(self, q):
        return self.arm.position(q, point=self.point)

    def jacobian(self, q):
        return self.arm.jacobian(q, point=self.point)[..., :3, :]


@pytest.fixture(scope="module")
def tip(arms):
    return _Tip(arms("kuka_iiwa"))


def _fd(fn, q, h=1e-6):
    cols = [(fn(q + h * e) - fn(q - h * e)) / (2 * h) for e in np.eye(len(q))]
    return np.stack(cols, axis=1)


def test_broyden_satisfies_the_secant_condition(tip, rng):
    model = Broyden(tip)
    q0 = tip.home
    np.testing.assert_allclose(model.jacobian(q0), tip.jacobian(q0))  # before any sample
    x0 = tip.fk(q0) + 0.01
    model.update(q0, x0)
    np.testing.assert_allclose(model.jacobian(q0), tip.jacobian(q0))
    j_before = model.jacobian(q0)
    dq = 0.05 * rng.standard_normal(tip.dof)
    x1 = x0 + np.array([0.01, -0.02, 0.005])
    model.update(q0 + dq, x1)
    j = model.jacobian(q0)
    np.testing.assert_allclose(j @ dq, x1 - x0, atol=1e-12)  # secant condition
    v = rng.standard_normal(tip.dof)
    v -= (v @ dq) / (dq @ dq) * dq
    np.testing.assert_allclose(j @ v, j_before @ v, atol=1e-12)  # rank-1: unchanged off dq
    # anchored position: passes through the last sample, derivative J
    np.testing.assert_allclose(model.fk(q0 + dq), x1, atol=1e-15)
    q = q0 + 0.1
    np.testing.assert_allclose(_fd(model.fk, q), model.jacobian(q), atol=1e-8)
    # a step below min_step only moves the anchor
    model.update(q0 + dq + 1e-5, x1 + 0.001)
    np.testing.assert_array_equal(model.jacobian(q0), j)
    np.testing.assert_allclose(model.fk(q0 + dq + 1e-5), x1 + 0.001)


def test_half_step_broyden_moves_halfway(tip, rng):
    model = Broyden(tip, alpha=0.5)
    q0 = tip.home
    model.update(q0, tip.fk(q0))
    j0 = model.jacobian(q0)
    dq = 0.05 * rng.standard_normal(tip.dof)
    dx = np.array([0.02, 0.0, -0.01])
    model.update(q0 + dq, tip.fk(q0) + dx)
    np.testing.assert_allclose(model.jacobian(q0) @ dq, 0.5 * (dx + j0 @ dq), atol=1e-12)


def test_tracker_offset_passes_through_the_last_sample(tip, rng):
    model = TrackerOffset(tip)
    q = tip.home + 0.1
    model.update(q, tip.fk(q) + [0.01, 0.02, -0.03])
    np.testing.assert_allclose(model.fk(q), tip.fk(q) + [0.01, 0.02, -0.03], atol=1e-15)
    np.testing.assert_allclose(model.jacobian(q + 0.2), tip.jacobian(q + 0.2))


def test_rbf_derivative_matches_finite_differences(rng):
    f = RBFFeatures(width=0.3, spacing=0.1)
    for _ in range(5):
        f.observe(rng.uniform(-0.5, 0.5, 4))
    q = rng.uniform(-0.5, 0.5, 4)
    np.testing.assert_allclose(_fd(f.value, q), f.derivative(q), atol=1e-8)
    qb = rng.uniform(-0.5, 0.5, (3, 4))
    assert f.value(qb).shape == (3, f.size)
    np.testing.assert_allclose(f.derivative(qb)[1], f.derivative(qb[1]))


def test_local_correction_fits_the_path_and_leaves_the_rest(tip, rng):
    """A 2 cm offset seen along a short joint path: corrected there, untouched far away."""
    model = make_adapting(tip, {"rule": "local_rls", "width": 0.2, "spacing": 0.05})
    offset = np.array([0.02, -0.01, 0.01])
    path = tip.home + 0.15 * np.sin(np.linspace(0, 2 * np.pi, 250))[:, None] * np.linspace(
        0.5, 1.0, tip.dof
    )
    for _ in range(2):
        for q in path:
            model.update(q, tip.fk(q) + offset)
    on = np.linalg.norm(model.fk(path) - (tip.fk(path) + offset), axis=1)
    assert np.median(on) < 2e-3  # from 24 mm
    far = tip.home + 1.2 * np.sign(rng.standard_normal((20, tip.dof)))
    np.testing.assert_allclose(model.fk(far), tip.fk(far), atol=1e-6)
    q = path[40] + 0.01
    np.testing.assert_allclose(_fd(model.fk, q), model.jacobian(q), rtol=1e-6, atol=1e-8)
    jb = model.jacobian(path[:4])
    np.testing.assert_allclose(jb[2], model.jacobian(path[2]))


def test_tool_offset_finds_a_longer_tool_from_one_sample(tip, arms):
    """The tool grows 8 cm along its axis: one sample fixes the model everywhere."""
    from armjac.learned.residual import TipNominal

    arm = arms("kuka_iiwa")
    model = ToolOffset(TipNominal(arm, [0.0, 0.0, 0.1]), delta=1e8, lam=0.9)
    longer = np.array([0.0, 0.0, 0.18])
    q = arm.home + 0.2
    model.update(q, arm.position(q, point=longer))
    np.testing.assert_allclose(model.dp, [0.0, 0.0, 0.08], atol=1e-6)
    far = arm.random_q(50, np.random.default_rng(3))
    np.testing.assert_allclose(model.fk(far), arm.position(far, point=longer), atol=1e-6)
    np.testing.assert_allclose(_fd(model.fk, q), model.jacobian(q), atol=1e-8)
    with pytest.raises(InputError, match="TipNominal"):
        ToolOffset(_NoArm())


def test_covariance_reset_reopens_the_gain(rng):
    """After a jump bigger than ``reset``, the next sample is fitted as if from the prior."""
    f = rng.standard_normal(4)
    slow = RLS(1e6, "exponential", 0.99)
    fast = RLS(1e6, "exponential", 0.99, reset=0.5)
    ws = [np.zeros((3, 4)), np.zeros((3, 4))]
    for rule, w in zip((slow, fast), ws, strict=True):
        rule.start(w)
        for _ in range(300):
            rule.step(w, f, w @ f - np.zeros(3))
        rule.step(w, f, w @ f - np.full(3, 2.0))  # the system jumps by 2
    assert fast.n_resets == 1 and slow.n_resets == 0
    np.testing.assert_allclose(ws[1] @ f, 2.0, rtol=1e-5)
    assert np.all(ws[0] @ f < 0.2)


def test_stacked_offset_on_tool_offset(tip, arms):
    """``offset`` on ``tool_rls``: the inner model learns first, the offset takes the rest."""
    from armjac.learned.residual import TipNominal

    arm = arms("kuka_iiwa")
    model = make_adapting(TipNominal(arm, [0.0, 0.0, 0.1]), {"rule": "offset", "on": "tool_rls"})
    q = arm.home + 0.1
    x = arm.position(q, point=[0.0, 0.0, 0.15]) + [0.001, 0.0, 0.0]
    model.update(q, x)
    assert model.base.n_updates == 1
    np.testing.assert_allclose(model.fk(q), x, atol=1e-12)


def test_spec_errors_name_the_problem(tip):
    with pytest.raises(ConfigError, match="unknown adaptation rule 'magic'"):
        make_adapting(tip, "magic")
    with pytest.raises(ConfigError, match=r"no parameter\(s\) \['gain'\]"):
        make_adapting(tip, {"rule": "broyden", "gain": 2})
    with pytest.raises(ConfigError, match="alpha"):
        make_adapting(tip, {"rule": "broyden", "alpha": 2})
    with pytest.raises(ConfigError, match="TipNominal"):
        make_adapting(tip.arm, "rls")  # decoders need a network or a tool point
    assert make_adapting(tip, "none") is tip


def test_update_checks_its_sample(tip):
    model = Broyden(tip)
    with pytest.raises(InputError, match="x_measured"):
        model.update(tip.home, [0.0, 1.0])
    with pytest.raises(InputError, match="q"):
        model.update(tip.home[:3], [0.0, 1.0, 0.0])
    with pytest.raises(InputError, match="finite"):
        model.update(tip.home, [0.0, np.nan, 0.0])
    model.update(tip.home, tip.fk(tip.home))
    for bad in (tip.home[:3], np.zeros((2, 3)), [["a"] * 7]):
        with pytest.raises(InputError, match="q"):
            model.fk(bad)
        with pytest.raises(InputError, match="q"):
            model.jacobian(bad)
