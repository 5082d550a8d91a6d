"""Property-based fuzzing of the estimators (hypothesis): any torques, states and pose sets
either give finite results that match the same values as float64 arrays, or raise
InputError; a refused step leaves the observer's state as it was."""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from armjac import load_arm  # noqa: E402
from armjac.errors import InputError  # noqa: E402
from armjac.estimation import MomentumObserver, identify_load  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.floats(-50, 50), st.sampled_from([np.nan, np.inf, -np.inf, 1e300, 0.0]))
ARRAYS = hnp.arrays(
    st.sampled_from(["float64", "float32", "int64", "bool", "complex128", ">f8"]),
    hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
)


@pytest.fixture(scope="module")
def planar():
    return load_arm("planar2")


@pytest.fixture(scope="module")
def kuka():
    return load_arm("kuka_iiwa")


@SETTINGS
@given(tau=ARRAYS, dq=hnp.arrays("float64", 2, elements=VALUES))
def test_observer_update_is_finite_or_refused(planar, tau, dq):
    obs = MomentumObserver(planar, 1e-3, 50.0)
    q = planar.home
    obs.update(q, np.zeros(2), planar.gravity(q))
    before = obs.tau_ext
    try:
        out = obs.update(q, dq, tau)
    except InputError:
        np.testing.assert_array_equal(obs.tau_ext, before)
        return
    assert out.shape == (2,) and np.isfinite(out).all()
    ref = MomentumObserver(planar, 1e-3, 50.0)
    ref.update(q, np.zeros(2), planar.gravity(q))
    np.testing.assert_array_equal(ref.update(q, np.asarray(dq, float),
                                             np.asarray(tau, float)), out)
    assert np.isfinite(obs.force(q)).all()


@SETTINGS
@given(poses=hnp.arrays("float64", st.tuples(st.integers(0, 8), st.just(7)),
                        elements=st.one_of(st.floats(-3, 3), st.sampled_from([np.nan, 1e300]))),
       offset=st.floats(-20, 20), load=st.floats(0, 3))
def test_identify_load_is_finite_or_refused(kuka, poses, offset, load):
    tau = np.zeros_like(poses) + offset
    if np.isfinite(poses).all() and poses.size:
        tau = tau + np.asarray(kuka.gravity(poses)) * (1 + load)
    try:
        est = identify_load(kuka, poses, tau)
    except InputError:
        return
    for v in (est.mass, *est.com, est.residual_rms, est.condition, *est.com_std):
        assert np.isfinite(v)
    assert est.mass >= 0
