"""Property-based fuzzing of recorded datasets and adapting models (hypothesis).

* Any change to a saved dataset's arrays (shapes, values, dtypes, order) either
  loads as a dataset whose pairs are finite, with one encoder reading per
  delivered tracker sample, or is refused with a ConfigError.
* Any sample fed to an adapting model (any q, x and t) is learned from, held back,
  or refused with an InputError; the model's predictions stay finite.

Same settings as tests/test_fuzz.py.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from test_fuzz import FAST  # noqa: E402

from armjac.errors import ConfigError, InputError  # noqa: E402
from armjac.mismatch import load_dataset, load_spec, static_samples  # noqa: E402
from armjac.mismatch.dataset import ARRAYS  # noqa: E402

SOME = settings(FAST, max_examples=min(FAST.max_examples, 100))
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    real = load_spec("planar2_small").realize(1, out_dir=tmp_path_factory.mktemp("real"))
    return static_samples(real, 12, seed=2)


@st.composite
def changed_arrays(draw, d):
    arrays = {k: np.array(getattr(d, k)) for k in ARRAYS}
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.sampled_from(ARRAYS))
        a = arrays[k]
        how = draw(st.sampled_from(["value", "cut", "shuffle", "shape", "dtype", "empty"]))
        if how == "value" and a.size:
            i = draw(st.integers(0, a.size - 1))
            flat = a.reshape(-1).copy()
            flat[i] = draw(st.booleans()) if a.dtype == bool else draw(FLOATS)
            a = flat.reshape(a.shape)
        elif how == "cut" and len(a):
            a = a[: draw(st.integers(0, len(a) - 1))]
        elif how == "shuffle":
            a = a[np.random.default_rng(draw(st.integers(0, 9))).permutation(len(a))]
        elif how == "shape":
            shape = hnp.array_shapes(max_dims=3, max_side=13)
            a = draw(hnp.arrays(np.float64, shape, elements=FLOATS))
        elif how == "dtype":
            dtype = draw(st.sampled_from([np.int8, np.float32, np.complex128, "U3", bool]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    a = a.astype(dtype)
                except (TypeError, ValueError):  # text that is no number: left as it was
                    pass
        else:
            a = np.zeros((0,) + a.shape[1:], a.dtype)
        arrays[k] = a
    return arrays


@SOME
@given(data=st.data())
def test_any_changed_dataset_loads_consistently_or_is_refused(tmp_path, dataset, data):
    path = dataset.save(tmp_path / "d")
    arrays = data.draw(changed_arrays(dataset))
    np.savez(path, **arrays)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta.pop("npz_sha256")  # as a hand-edited pair would be: only the checks stand
    path.with_suffix(".json").write_text(json.dumps(meta))
    try:
        d = load_dataset(path)
    except ConfigError as exc:
        assert len(str(exc)) < 1000
        return
    q, x = d.pairs()
    assert len(q) == len(x) == int(d.tracker_ok.sum())
    assert np.isfinite(q).all() and np.isfinite(x).all() and q.shape[1] == 2


@pytest.fixture(scope="module")
def tip(arms):
    from armjac.learned.residual import TipNominal

    return TipNominal(arms("planar2"), [0.0, 0.0, 0.05])


SAMPLE = st.one_of(FLOATS, st.floats(-2, 2))


@SOME
@given(rule=st.sampled_from(["offset", "broyden", "tool_rls", "local_rls"]),
       samples=st.lists(st.tuples(st.lists(SAMPLE, min_size=1, max_size=3),
                                  st.lists(SAMPLE, min_size=2, max_size=4),
                                  st.one_of(st.none(), FLOATS, st.text(max_size=2))),
                        min_size=1, max_size=6))  # fmt: skip
def test_any_sample_is_learned_held_back_or_refused(tip, rule, samples):
    import warnings

    from armjac.adapt import make_adapting

    model = make_adapting(tip, rule)
    for q, x, t in samples:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.update(q, x, t)
            except InputError:
                pass
        probe = np.array([0.3, -0.2])
        assert np.isfinite(model.fk(probe)).all() and np.isfinite(model.jacobian(probe)).all()
