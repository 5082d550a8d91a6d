"""Property-based fuzzing of the numeric API and the config readers (hypothesis).

Numeric API, for the analytic Arm and a tiny trained learned model: any array
of any dtype, shape, memory layout and values either gives exactly the answer
for the same values as a C-contiguous float64 array (and that answer is
finite), or raises InputError. Config readers: any text, and any mutation of a
valid config, either gives a valid config or raises ConfigError.

Examples are capped so the whole module stays within about 30 s, and drawn
the same way every run. ``ARMJAC_FUZZ_EXAMPLES=5000`` runs a longer, randomised
search.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from armjac import configs  # noqa: E402
from armjac.errors import ConfigError, InputError  # noqa: E402

_LONG = os.environ.get("ARMJAC_FUZZ_EXAMPLES")
FAST = settings(
    max_examples=int(_LONG or 250),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not _LONG,  # by default the same examples every run: CI stays reproducible
    database=None,
)
DOF = 2  # planar2

DTYPES = st.sampled_from(
    ["float64", "float64", "float32", "float16", "int64", "int32", "int8", "uint8", "uint64",
     "bool", "complex128", "<U3", "object", ">f8", "<f4"]
)  # fmt: skip
EXTREME = st.sampled_from(
    [0.0, -0.0, 1e-310, -1e-310, 1e300, -1e300, 1e10, np.pi, 3.0, -3.0, np.nan, np.inf, -np.inf]
)
VALUES = st.one_of(
    st.floats(-10.0, 10.0), EXTREME, st.floats(allow_nan=True, allow_infinity=True, width=64)
)
# valid shapes drawn more often than invalid ones
SHAPES = st.sampled_from([(DOF,), (DOF,), (1, DOF), (3, DOF), (3, DOF), (0, DOF),
                          (DOF + 1,), (), (3, DOF + 1), (2, 2, DOF), (DOF, 1)])  # fmt: skip


@st.composite
def arrays(draw):
    """An array of a random dtype and shape, in a random memory layout."""
    shape = draw(SHAPES)
    dtype = np.dtype(draw(DTYPES))
    values = draw(hnp.arrays(np.float64, shape, elements=VALUES))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # casting NaN to int and the like
        if dtype.kind == "U":
            arr = values.astype(str).astype(dtype)
        elif dtype.kind == "O":
            arr = values.astype(object)
        else:
            arr = values.astype(dtype)
    layout = draw(st.sampled_from(["c", "fortran", "strided", "reversed", "list"]))
    if layout == "fortran":
        arr = np.asfortranarray(arr)
    elif layout == "strided" and arr.ndim:
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), arr.dtype)
        big[..., ::2] = arr
        arr = big[..., ::2]
    elif layout == "reversed" and arr.ndim:
        arr = arr[..., ::-1].copy()[..., ::-1]
    elif layout == "list":
        return arr.tolist()
    return arr


def _reference(x) -> np.ndarray | None:
    """``x`` as the C-contiguous float64 array an answer must match, or None if invalid."""
    raw = np.asarray(x)
    if raw.dtype.kind not in "fiu" or raw.shape[-1:] != (DOF,) or raw.ndim not in (1, 2):
        return None
    with np.errstate(all="ignore"):
        ref = np.ascontiguousarray(raw, dtype=np.float64)
    return ref if np.isfinite(ref).all() else None


def _check(fn, x) -> None:
    ref = _reference(x)
    if ref is None:
        with pytest.raises(InputError):
            fn(x)
        return
    out = fn(x)
    assert np.isfinite(out).all(), "finite input gave a non-finite answer"
    np.testing.assert_array_equal(out, fn(ref))


# -- the analytic arm -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def arm(arms):
    return arms("planar2")


@FAST
@given(x=arrays(), method=st.sampled_from(["fk", "jacobian", "mass_matrix", "gravity"]))
def test_arm_numeric_api(arm, x, method):
    _check(getattr(arm, method), x)


# -- a learned model ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def learned():
    pytest.importorskip("nengo_dl")
    from learned_factory import TINY_TRAIN

    from armjac.learned import train

    model = train("planar2", TINY_TRAIN, log=None)
    model.out_of_range = "ignore"  # extrapolation is allowed here; only the values matter
    yield model
    model.close()


@FAST
@given(x=arrays(), method=st.sampled_from(["fk", "jacobian", "position"]))
def test_learned_numeric_api(learned, x, method):
    _check(getattr(learned, method), x)


# -- config readers -----------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["planar2", "kuka_iiwa", "reach", "x", "", "1e-9", "-1", "nan", 10**400]),
)  # fmt: skip
VALUES_YAML = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
YAML_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="[]{}:,-&*!|>'\"#%@` \n\t\x00\x85abc012.eE+", max_size=120),
    st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
)

LEARN_BASE = {
    "arm": "planar2",
    "data": {"n_train": 100, "center": [0.1, 0.2]},
    "network": {"ensembles": [{"n_neurons": 8}, {"n_neurons": 8, "dimensions": 4}]},
    "training": {"epochs": 2, "loss": {"position": 1.0, "jacobian": 0.5}},
    "nominal": {"link_scale_std": 0.1},
}
SCENARIO_BASE = {
    "scenario": "reach",
    "arm": "planar2",
    "dt": 0.001,
    "seed": 3,
    "duration": 1.0,
    "start_q": [0.1, 0.2],
    "controller": {"kp": 100, "kv": 20, "ctrlr_dof": ["x", "z"], "null_space": {"damping": 1}},
    "task": {"targets": [[0.3, 0.0, 0.3]], "segment_time": 0.5},
}

ARM_BASE = {
    "name": "two",
    "urdf": "pybullet_data:kuka_iiwa/model.urdf",
    "ee_link": "lbr_iiwa_link_7",
    "home": [0.0] * 7,
    "gravity": [0, 0, -9.81],
}


def _paths(tree, prefix=()):
    """Every key path into nested dicts."""
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*prefix, k))
    return out


@st.composite
def mutated(draw, base: dict):
    """``base`` with one value replaced (or a key added) somewhere."""
    import copy

    cfg = copy.deepcopy(base)
    path = draw(st.sampled_from(_paths(cfg)))
    value = draw(VALUES_YAML)
    if not path:
        return value if draw(st.booleans()) else cfg
    node = cfg
    for k in path[:-1]:
        node = node[k]
    if draw(st.integers(0, 4)) == 0:
        node[draw(st.text(max_size=6))] = value
    else:
        node[path[-1]] = value
    return cfg


def _readers(tmp_path):
    from armjac.learned.config import resolve_config
    from armjac.scenarios.config import load_scenario

    def learning(path):
        return resolve_config(path)

    def scenario(path):
        return load_scenario(path)

    def mapping(path):
        return configs.read_mapping(path, "config")

    def arm_config(path):
        from armjac.model.registry import load_arm_config

        return load_arm_config(path)

    return {"learning": learning, "scenario": scenario, "mapping": mapping, "arm": arm_config}


def _accepts_or_config_error(reader, path) -> None:
    try:
        reader(path)
    except ConfigError as exc:
        assert len(str(exc)) < 3000, "error message not bounded"


@FAST
@given(text=YAML_TEXT, kind=st.sampled_from(["learning", "scenario", "mapping", "arm"]))
def test_config_readers_take_any_text(tmp_path, text, kind):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    _accepts_or_config_error(_readers(tmp_path)[kind], path)


@FAST
@given(data=st.data(), kind=st.sampled_from(["learning", "scenario", "arm"]))
def test_config_readers_take_any_mutation(tmp_path, data, kind):
    base = {"learning": LEARN_BASE, "scenario": SCENARIO_BASE, "arm": ARM_BASE}[kind]
    cfg = data.draw(mutated(base))
    path = tmp_path / "c.yaml"
    try:
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    except (UnicodeEncodeError, yaml.YAMLError):  # surrogates: not writable as UTF-8 YAML
        return
    _accepts_or_config_error(_readers(tmp_path)[kind], path)


# -- the URDF reader ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def urdf_text():
    from armjac.model.registry import resolve

    return resolve("planar2").urdf.read_text()


ATTR_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e308", "1 2", "1 2 3 4", "", "0 0 0"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def mutated_urdf(draw, text: str):
    """``text`` with attribute values replaced, or a slice cut out or duplicated."""
    import re

    for _ in range(draw(st.integers(1, 3))):
        values = list(re.finditer(r'="([^"]*)"', text))
        kind = draw(st.sampled_from(["value", "value", "cut", "repeat"]))
        if kind == "value" and values:
            m = draw(st.sampled_from(values))
            new = (
                draw(ATTR_VALUES).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            )
            text = text[: m.start(1)] + new + text[m.end(1) :]
        else:
            a = draw(st.integers(0, len(text)))
            b = draw(st.integers(a, min(len(text), a + 80)))
            text = text[:a] + (text[a:b] * 2 if kind == "repeat" else "") + text[b:]
    return text


@FAST
@given(data=st.data())
def test_urdf_reader_takes_any_mutation(urdf_text, data):
    from armjac.errors import URDFError
    from armjac.model.urdf import parse_urdf

    text = data.draw(mutated_urdf(urdf_text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # URDFWarning: loaded, but doubtful
        try:
            model = parse_urdf(text, source="fuzz.urdf")
        except URDFError as exc:
            assert str(exc).startswith("fuzz.urdf"), str(exc)
            return
    for j in model.joints:  # what loads is usable: finite numbers, unit axes
        assert all(map(np.isfinite, (*j.xyz, *j.rpy, *j.axis, j.damping)))
    for lk in model.links:
        if lk.inertial is not None:
            assert all(map(np.isfinite, (lk.inertial.mass, *lk.inertial.inertia)))
