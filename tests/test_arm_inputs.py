"""Any input layout gives the contiguous answer on every backend; values Python
would silently coerce are refused; overflow is an error, never NaN."""

from __future__ import annotations

import numpy as np
import pytest

import armjac
from armjac.errors import InputError


@pytest.fixture(
    params=["dispatcher", "ctypes", "numpy", "adjusted dispatcher", "adjusted ctypes"]
)
def backend_arm(request, tmp_path_factory, monkeypatch):
    """kuka_iiwa through the dispatcher extension, the ctypes fallback, and numpy; and an
    adjusted kuka_iiwa (its kernels read extra numbers after the point) on both C paths."""
    cache = tmp_path_factory.getbasetemp() / "inputs-cache"
    path = request.param.split()[-1]
    if path == "ctypes":
        monkeypatch.setenv("ARMJAC_DISPATCHER", "off")
    backend = "numpy" if path == "numpy" else "c"
    arm = armjac.load_arm("kuka_iiwa", cache_dir=cache, backend=backend)
    if request.param.startswith("adjusted"):
        load = [1.0, 0, 0, 0.1, 0.01, 0, 0, 0.01, 0, 0]  # 1 kg, 0.1 m out along z
        arm = arm.adjusted(np.full((arm.dof, 3), 0.002), load)
    kern = arm._ee["jac"]
    assert (type(kern).__name__ == "Kernel") == (path == "dispatcher")
    return arm


def _same(arm):
    """Exact equality for the C kernels; numpy's vectorised sin/cos may pick a SIMD or a
    scalar loop by memory alignment, which moves a result by an ulp."""
    if arm.backend != "numpy":
        return np.testing.assert_array_equal
    return lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)


def test_strided_and_odd_layouts_give_the_contiguous_answer(backend_arm, rng):
    arm = backend_arm
    same = _same(arm)
    big_q = rng.uniform(-1, 1, size=(2 * arm.dof,))
    big_dq = rng.normal(size=(3 * arm.dof,))
    q, dq = big_q[::2], big_dq[::3]  # strided 1-D views
    assert not q.flags.c_contiguous
    qc, dqc = q.copy(), dq.copy()
    same(arm.jacobian(q), arm.jacobian(qc))
    same(arm.mass_matrix(q), arm.mass_matrix(qc))
    same(arm.dJdq(q, dq), arm.dJdq(qc, dqc))
    same(arm.coriolis(q, dq), arm.coriolis(qc, dqc))
    same(arm.control_terms(q, dq).data, arm.control_terms(qc, dqc).data)
    batch = rng.uniform(-1, 1, size=(5, arm.dof))
    for odd in (
        np.asfortranarray(batch),
        batch.astype(np.float32),
        batch.astype(">f8"),  # float64, but not in native byte order
        batch[:, ::-1][:, ::-1],
        np.repeat(batch, 2, axis=0)[::2],
    ):
        expected = arm.jacobian(np.ascontiguousarray(odd, dtype=float))
        same(arm.jacobian(odd), expected)
    point = np.array([0.1, 0.0, 0.2, 0.0, 0.3, 0.0])[::2]
    same(
        arm.jacobian(qc, point=point), arm.jacobian(qc, point=point.copy())
    )
    same(arm.jacobian(qc.tolist()), arm.jacobian(qc))


def test_out_buffers_are_filled_or_refused(backend_arm, rng):
    arm = backend_arm
    q = arm.random_q(rng=rng)
    out = np.empty((6, arm.dof))
    assert arm.jacobian(q, out=out) is out
    _same(arm)(out, arm.jacobian(q))
    m = np.empty((arm.dof, arm.dof))
    assert arm.mass_matrix(q, out=m) is m
    for bad in (
        np.empty((arm.dof, 6)),
        np.empty((6, arm.dof), np.float32),
        np.empty((6, 2 * arm.dof))[:, ::2],
        [0.0] * 42,
    ):
        with pytest.raises(InputError, match="out"):
            arm.jacobian(q, out=bad)


@pytest.mark.parametrize(
    "bad",
    [
        np.full(7, 1 + 1j),
        np.full(7, 0.5 + 0j),
        np.ones(7, bool),
        [True] * 7,
        ["1"] * 7,
        np.array(["0.1"] * 7),
        "0123456",
        [object()] * 7,
    ],
)
def test_values_python_would_coerce_are_refused(arms, bad):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match="real numbers"):
        arm.jacobian(bad)
    with pytest.raises(InputError, match="real numbers"):
        arm.dJdq(np.zeros(7), bad)


def test_overflow_is_an_error_not_nan(arms):
    arm = arms("kuka_iiwa")
    q = arm.home
    dq = np.full(7, 1e160)  # finite, but dq * dq overflows
    with pytest.raises(InputError, match="overflowed"):
        arm.dJdq(q, dq)
    with pytest.raises(InputError, match="overflowed"):
        arm.nonlinear_effects(q, dq)
    with pytest.raises(InputError, match=r"dq must be finite"):
        arm.dJdq(q, np.full(7, np.inf))
    with pytest.raises(InputError, match=r"q must be finite"):
        arm.jacobian(np.full(7, np.nan))
    assert np.isfinite(arm.dJdq(q, np.full(7, 1e100))).all()


def test_dispatcher_errors_name_the_arm_and_shape(arms):
    arm = arms("kuka_iiwa")
    with pytest.raises(InputError, match=r"q must have shape \(7,\) or \(B, 7\) for kuka_iiwa"):
        arm.jacobian(np.zeros(6))
    with pytest.raises(InputError, match="same shape"):
        arm.dJdq(np.zeros(7), np.zeros((2, 7)))
    with pytest.raises(InputError, match="needs dq"):
        arm.dJdq(np.zeros(7), None)
    with pytest.raises(InputError, match="point"):
        arm.jacobian(np.zeros(7), point=[0, 0])
    with pytest.raises(InputError, match="link must be"):
        arm.jacobian(np.zeros(7), link=3)


def test_generated_sin_cos_agree_with_libm(arms, rng):
    """The kernels' inlined sin/cos (see c_backend) against numpy's, through a
    planar arm whose tip position is a sum of cosines and sines of joint sums."""
    arm = arms("planar2")
    for scale in (1.0, 1e3, 9e4, 1e7):
        q = rng.uniform(-scale, scale, size=(2000, 2))
        tip = arm.fk(q)[:, :3, 3]
        theta = np.cumsum(q, axis=1)
        expected = 0.5 * np.cos(theta[:, 0]) + 0.4 * np.cos(theta[:, 1])
        # q1 + q2 is rounded once in both; the rest is the functions' own error
        np.testing.assert_allclose(tip[:, 0], expected, atol=4e-16 * max(1.0, scale) + 1e-15)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_point_is_named_on_every_path(backend_arm, bad):
    """A float64 point goes straight to the kernel on the fast path; its NaN must be
    reported as the point's, not as an overflow."""
    arm = backend_arm
    for point in (np.array([bad, 0.0, 0.1]), [bad, 0.0, 0.1]):
        with pytest.raises(InputError, match="point must be a finite"):
            arm.jacobian(arm.home, point=point)
        with pytest.raises(InputError, match="point must be a finite"):
            arm.position(arm.home, point=point)


def _unaligned(values: np.ndarray) -> np.ndarray:
    """A float64 view at an odd byte offset holding ``values``."""
    raw = np.zeros(values.nbytes + 8, np.uint8)
    view = np.ndarray(values.shape, np.float64, buffer=raw, offset=1)
    view[...] = values
    assert not view.flags.aligned
    return view


def test_unaligned_float64_views_are_read(backend_arm, rng):
    """A float64 view at an odd byte offset (a field of a packed record, a slice of a
    byte buffer) gives the aligned answer on every path (issue 18, class 12)."""
    arm = backend_arm
    same = _same(arm)
    q, dq, qdd = arm.random_q(rng=rng), rng.normal(size=arm.dof), rng.normal(size=arm.dof)
    qs = arm.random_q(3, rng)
    point = np.array([0.01, 0.02, 0.03])
    same(arm.jacobian(_unaligned(q)), arm.jacobian(q))
    same(arm.jacobian(_unaligned(qs)), arm.jacobian(qs))
    same(arm.jacobian(q, point=_unaligned(point)), arm.jacobian(q, point=point))
    same(arm.dJdq(_unaligned(q), _unaligned(dq)), arm.dJdq(q, dq))
    same(arm.inverse_dynamics(q, dq, _unaligned(qdd)), arm.inverse_dynamics(q, dq, qdd))
    with pytest.raises(InputError, match="aligned"):
        arm.mass_matrix(q, out=_unaligned(np.zeros((arm.dof, arm.dof))))
