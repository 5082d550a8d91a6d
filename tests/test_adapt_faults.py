"""Adapting models under bad samples: absurd tracker samples, bad time stamps, long
runs of exponential forgetting; the real tip (an analytic arm) is the reference."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from armjac.adapt import make_adapting
from armjac.adapt.gate import AdaptationWarning, SampleGate
from armjac.errors import ConfigError, InputError
from armjac.learned.residual import TipNominal

SMALL_NET = {"n_neurons": 100}  # decoder rules on a fresh ensemble: 100 neurons keep it quick
RULES = [
    {"rule": "pes", **SMALL_NET}, {"rule": "rls", **SMALL_NET},
    {"rule": "rls", "forgetting": "exponential", **SMALL_NET},
    {"rule": "rls", "forgetting": "none", **SMALL_NET}, "local_rls", "broyden", "tool_rls",
    "offset", {"rule": "offset", "on": "tool_rls"},
]  # fmt: skip
NOMINAL_POINT = [0.0, 0.0, 0.10]
REAL_POINT = [0.0, 0.01, 0.12]  # the tool the real arm carries: 22 mm off the nominal one


@pytest.fixture(scope="module")
def path(arms):
    """A smooth 50 Hz joint path (5 s) and the real tip along it with 0.5 mm noise."""
    arm = arms("kuka_iiwa")
    t = np.arange(0.0, 5.0, 0.02)
    q = arm.home + 0.3 * np.sin(2 * np.pi * 0.2 * t[:, None] + np.arange(arm.dof))
    x = arm.position(q, point=REAL_POINT)
    x = x + 5e-4 * np.random.default_rng(0).standard_normal(x.shape)
    return arm, t, q, x


def _run(arm, spec, t, q, x, bad=None):
    model = make_adapting(TipNominal(arm, NOMINAL_POINT), spec)
    for k in range(len(t)):
        xk = x[k] if bad is None or k != 125 else x[k] + bad
        model.update(q[k], xk, t[k])
    return model


def _error_mm(model, arm, q) -> float:
    """Median distance of the model's tip from the real tip over the path's last second."""
    real = arm.position(q[-50:], point=REAL_POINT)
    return 1e3 * float(np.median(np.linalg.norm(model.fk(q[-50:]) - real, axis=1)))


@pytest.mark.filterwarnings("ignore::armjac.adapt.gate.AdaptationWarning")
@pytest.mark.parametrize("spec", RULES, ids=str)
def test_one_absurd_sample_changes_nothing(path, spec):
    arm, t, q, x = path
    clean = _error_mm(_run(arm, spec, t, q, x), arm, q)
    for bad in ([1e200, 0.0, 0.0], [0.0, -1e308, 1e308], [1000.0, 0.0, 0.0], [0.0, 0.6, 0.0]):
        model = _run(arm, spec, t, q, x, np.array(bad))
        assert model.n_rejected == 1
        err = _error_mm(model, arm, q)
        assert np.isfinite(err) and err == pytest.approx(clean, abs=0.5), (bad, err, clean)


def test_the_first_absurd_sample_warns(path):
    arm, t, q, x = path
    model = make_adapting(TipNominal(arm, NOMINAL_POINT), "tool_rls")
    with pytest.warns(AdaptationWarning, match="held back a tracker sample 1e\\+03 m"):
        assert model.update(q[0], x[0] + [1000.0, 0, 0], t[0]) is False
    assert model.n_updates == 0 and model.update(q[1], x[1], t[1]) is True


@pytest.mark.filterwarnings("ignore::armjac.adapt.gate.AdaptationWarning")
def test_a_large_real_change_is_learned_after_confirmation(path):
    """A 0.4 m tool change (above max_innovation, below max_jump) held for good."""
    arm, t, q, x = path
    model = make_adapting(TipNominal(arm, NOMINAL_POINT), "tool_rls")
    for k in range(100):
        model.update(q[k], x[k], t[k])
    longer = [0.0, 0.0, 0.52]
    x2 = arm.position(q, point=longer)
    for k in range(100, 250):
        model.update(q[k], x2[k], t[k])
    assert model.n_rejected == 2  # confirm=3: the third agreeing suspect is learned from
    err = np.linalg.norm(model.fk(q[200:]) - arm.position(q[200:], point=longer), axis=1)
    assert np.median(err) < 2e-3


def test_a_poor_model_keeps_learning_from_its_large_steady_errors(path):
    """A base 0.5 m off everywhere (wrong tool) still converges: no sample is held back."""
    arm, t, q, x = path
    model = make_adapting(TipNominal(arm, [0.0, 0.0, 0.62]), "tool_rls")
    for k in range(len(t)):
        model.update(q[k], x[k], t[k])
    assert model.n_rejected == 0 and _error_mm(model, arm, q) < 2.0


def test_gate_parameters_are_checked(path):
    arm = path[0]
    base = TipNominal(arm, NOMINAL_POINT)
    with pytest.raises(ConfigError, match="max_innovation"):
        make_adapting(base, {"rule": "broyden", "max_innovation": -1})
    with pytest.raises(ConfigError, match="confirm"):
        make_adapting(base, {"rule": "tool_rls", "confirm": 0.5})
    with pytest.raises(ConfigError, match="max_jump must be >= max_innovation"):
        make_adapting(base, {"rule": "offset", "max_innovation": 1.0, "max_jump": 0.5})
    with pytest.raises(ConfigError, match="bounded must be true or false; got 'no'"):
        make_adapting(base, {"rule": "local_rls", "bounded": "no"})
    gate = make_adapting(base, {"rule": "broyden", "confirm": 1, "max_jump": 5.0}).gate
    assert (gate.confirm, gate.max_jump, gate.max_innovation) == (1, 5.0, 0.25)
    assert SampleGate(confirm=1).admit(np.array([0.0, 1.9, 0.0]))  # no history: up to max_jump


@pytest.mark.parametrize(
    "bad, words",
    [(float("nan"), "finite"), ("1.0", "time stamp"), (True, "time stamp"), ([1.0], "time stamp"),
     (0.5, "must not decrease")],
)  # fmt: skip
def test_bad_time_stamps_are_refused(path, bad, words):
    arm, t, q, x = path
    model = make_adapting(TipNominal(arm, NOMINAL_POINT), "offset")
    model.update(q[0], x[0], 1.0)
    with pytest.raises(InputError, match=words):
        model.update(q[1], x[1], bad)
    model.update(q[1], x[1], 1.0)  # the same time again is allowed
    model.update(q[2], x[2], np.float64(1.02))
    assert model.n_updates == 3 and model.last_update == pytest.approx(1.02)


def test_exponential_forgetting_rls_stays_bounded(path):
    """The spec's exponential-forgetting decoder RLS (bounded by default) on a clean 40 s
    path (unbounded: about 1 m off by then) and on 1500 repeats of one sample: it follows
    the real tip; unbounded, it winds up."""
    arm, t, q, x = path
    spec = {"rule": "rls", "forgetting": "exponential"}
    long_t = np.arange(0.0, 40.0, 0.02)
    long_q = arm.home + 0.3 * np.sin(2 * np.pi * 0.2 * long_t[:, None] + np.arange(arm.dof))
    long_x = arm.position(long_q, point=REAL_POINT)
    model = _run(arm, spec, long_t, long_q, long_x)
    assert _error_mm(model, arm, long_q) < 2.0 and model.n_rejected == 0
    spec["n_neurons"] = 100  # enough to wind up; cheaper
    repeat = make_adapting(TipNominal(arm, NOMINAL_POINT), spec)
    unbounded = make_adapting(TipNominal(arm, NOMINAL_POINT), {**spec, "bounded": False})
    with np.errstate(all="ignore"):
        for k in range(1500):
            repeat.update(q[0], x[0], 0.02 * k)
            unbounded.update(q[0], x[0], 0.02 * k)
    assert np.max(np.abs(repeat.rule.P)) <= repeat.rule.delta * (1 + 1e-9)
    assert np.linalg.norm(repeat.fk(q[0]) - x[0]) < 1e-3
    assert not np.max(np.abs(unbounded.rule.P)) < 1e6  # what bounded prevents


def test_sources_does_not_import_adaptation():
    code = ("import sys, armjac.sources as s; assert 'armjac.adapt' not in sys.modules; "
            "import armjac.adapt; assert 'adapt' in s.source_kinds()")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
