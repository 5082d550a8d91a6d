"""Property-based fuzzing of sweeps (hypothesis): sweep files, job results, stored records.

* Any sweep text, and any mutation of a valid sweep, either loads (and its grid
  has one job per point, each config holding its point's values) or raises a
  ConfigError with a bounded message.
* Whatever a job returns or raises, its record is whole, strict JSON, and
  survives the store's round trip.
* Any damage to a stored record is either a whole record or reported as
  damaged and run again; a sweep over it completes.

Same settings as tests/test_fuzz.py (derandomized, capped; ``ARMJAC_FUZZ_EXAMPLES``
for a longer search).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_fuzz import FAST, VALUES_YAML, YAML_TEXT, mutated  # noqa: E402

from armjac.errors import ConfigError  # noqa: E402
from armjac.sweep import load_sweep, run  # noqa: E402
from armjac.sweep.config import Job  # noqa: E402
from armjac.sweep.jobs import JobKind, register_job  # noqa: E402
from armjac.sweep.store import ResultStore, record_problem  # noqa: E402
from armjac.sweep.worker import execute  # noqa: E402

SOME = settings(FAST, max_examples=min(FAST.max_examples, 120))

SWEEP_BASE = {
    "name": "fuzz",
    "job": "sweep_kinds:count",
    "base": {"value": 1, "tag": "t", "nested": {"a": [1, 2]}},
    "set": {"nested.a.1": 5},
    "axes": {
        "value": [0, 1, 2],
        "tag": {"range": [0, 1, 0.5]},
        "nested.b": {"linspace": [0.0, 1.0, 2]},
        "seed": {"seeds": [3, 2]},
    },
    "grid": "product",
    "resources": {"num_cpus": 1, "num_gpus": "auto"},
    "timeout_s": 60,
    "summary": {"metrics": ["square"], "group_by": "value"},
}


def _bounded(exc: ConfigError) -> None:
    assert len(str(exc)) < 3000, "error message not bounded"


def _check_grid(cfg) -> None:
    jobs = cfg.jobs()
    sizes = [len(v) for v in cfg.axes.values()]
    expect = (min(sizes, default=1) if cfg.grid == "zip" else math.prod(sizes)) if sizes else 1
    assert len(jobs) == expect
    for job in jobs:
        json.dumps(job.config, allow_nan=False)  # what the key hashes and workers receive
        for dotted, value in job.point.items():
            node = job.config
            for part in dotted.split("."):
                node = node[int(part)] if isinstance(node, list) else node[part]
            assert node == value


@FAST
@given(text=YAML_TEXT)
def test_any_sweep_text_loads_or_is_a_config_error(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        _check_grid(load_sweep(path))
    except ConfigError as exc:
        _bounded(exc)


@FAST
@given(data=st.data())
def test_any_mutated_sweep_loads_or_is_a_config_error(data):
    cfg = data.draw(mutated(SWEEP_BASE))
    try:
        _check_grid(load_sweep(cfg))
    except ConfigError as exc:
        _bounded(exc)


class _Odd:
    def __repr__(self) -> str:
        return "odd" * 10_000  # a huge repr must not end up in a record unbounded


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message")


RESULTS = st.one_of(
    VALUES_YAML,
    st.dictionaries(st.text(max_size=6), st.one_of(
        VALUES_YAML, st.just(np.arange(3.0)), st.just(np.float32("nan")), st.just(np.int64(7)),
        st.just(object()), st.just(_Odd()), st.just({1, 2}), st.just(b"\xff"),
        st.just((1, "a")), st.just({(1, 2): 3}), st.just(float("inf")),
    ), max_size=4),
)  # fmt: skip
_OUTCOME: list = [None]


def _fuzz_run(cfg: dict):
    outcome = _OUTCOME[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


register_job(JobKind("fuzz_result", lambda s, d, w: dict(s), lambda c, w: None, _fuzz_run,
                     code=("armjac/sweep",)))  # fmt: skip


@SOME
@given(outcome=st.one_of(RESULTS, st.sampled_from([
    ValueError("bad"), SystemExit(3), KeyboardInterrupt(), RecursionError(), MemoryError(),
    ArithmeticError("x" * 100_000), _Unprintable(),
])))  # fmt: skip
def test_whatever_a_job_returns_or_raises_gives_a_whole_record(tmp_path, outcome):
    _OUTCOME[0] = outcome
    job = Job(0, "fuzz_result", {"v": 1}, {}, "k" * 64, 0)
    record = execute(job)
    assert record_problem(record, job.key) is None
    assert record["status"] == "ok" or 0 < len(record["reason"]) <= 2100
    if record["status"] == "ok":
        assert isinstance(outcome, dict)
    store = ResultStore(tmp_path / "jobs")
    store.save(record)
    back = store.load(job.key)
    assert back.pop("seal") and back == json.loads(json.dumps(record))
    assert not list((tmp_path / "jobs").glob(".*"))


def _record_mutations():
    return st.one_of(
        st.binary(max_size=80).map(lambda b: ("bytes", b)),
        st.tuples(st.sampled_from(["key", "index", "kind", "point", "status", "metrics",
                                   "reason", "timing", "extra"]), VALUES_YAML)
        .map(lambda kv: ("field", kv)),
        st.integers(0, 400).map(lambda n: ("cut", n)),
    )  # fmt: skip


@SOME
@given(change=_record_mutations())
def test_a_damaged_record_is_redone_and_the_sweep_completes(tmp_path, change):
    cfg = {"name": "fz", "job": "sweep_kinds:count", "base": {"tag": "t"},
           "axes": {"value": [0, 1]}}  # fmt: skip
    out = tmp_path / "out"
    run(cfg, out, executor="serial", progress=False, plots=False, log=None)
    path = sorted((out / "jobs").glob("*.json"))[0]
    how, what = change
    if how == "bytes":
        path.write_bytes(what)
    elif how == "cut":
        path.write_bytes(path.read_bytes()[:what])
    else:
        record = json.loads(path.read_text())
        record[what[0]] = what[1]
        try:
            path.write_text(json.dumps(record))
        except ValueError:  # NaN is not strict JSON; write it anyway, as a careless tool would
            path.write_text(json.dumps(record, allow_nan=True))
    store = ResultStore(out / "jobs")
    loaded = store.load(path.stem)
    assert loaded is None or record_problem(loaded, path.stem) is None
    assert (loaded is None) == (path.stem in store.damaged) or not path.read_bytes()
    s = run(cfg, out, executor="serial", progress=False, plots=False, log=None)
    assert s["n_ok"] == 2 and s["status"] == "complete"
    values = sorted(j["metrics"]["value"] for j in s["jobs"])
    assert values == [0.0, 1.0]
