"""Sweep files: axis forms, the grid, job keys, and errors that name the file and key."""

from __future__ import annotations

import pytest
import sweep_kinds  # noqa: F401  (registers the test job kinds)

from armjac.errors import ConfigError
from armjac.sweep import load_sweep
from armjac.sweep.config import set_dotted
from armjac.sweep.executors import _gpus


def _sweep(axes, **extra):
    return {"job": "sweep_kinds:count", "base": {"value": 1, "tag": "t"}, "axes": axes, **extra}


def test_axis_forms_expand_to_hand_written_lists():
    cfg = load_sweep(_sweep({
        "a": [3, 1],
        "b": {"range": [0, 10, 4]},
        "c": {"range": [0.5, 1.0, 0.25]},
        "d": {"linspace": [0.0, 1.0, 3]},
        "e": {"seeds": 2},
        "f": {"seeds": [10, 3]},
    }))  # fmt: skip
    assert cfg.axes == {
        "a": [3, 1], "b": [0, 4, 8], "c": [0.5, 0.75], "d": [0.0, 0.5, 1.0],
        "e": [0, 1], "f": [10, 11, 12],
    }  # fmt: skip


def test_product_grid_order_and_zip():
    cfg = load_sweep(_sweep({"value": [1, 2], "tag": ["x", "y", "z"]}))
    points = cfg.points()
    assert len(points) == 6
    assert points[:3] == [{"value": 1, "tag": t} for t in "xyz"]
    z = load_sweep(_sweep({"value": [1, 2], "tag": ["x", "y"]}, grid="zip"))
    assert z.points() == [{"value": 1, "tag": "x"}, {"value": 2, "tag": "y"}]


def test_job_configs_set_dotted_keys_and_keys_follow_config():
    cfg = load_sweep(_sweep({"value": [1, 2, 1]}, set={"extra.deep": 5}))
    jobs = cfg.jobs()
    assert jobs[0].config == {"value": 1, "tag": "t", "extra": {"deep": 5}}
    assert jobs[1].config["value"] == 2
    # the same resolved config gives the same key and seed; another config another key
    assert jobs[0].key == jobs[2].key and jobs[0].seed == jobs[2].seed
    assert jobs[0].key != jobs[1].key
    again = load_sweep(_sweep({"value": [1]}, set={"extra.deep": 5})).jobs()[0]
    assert again.key == jobs[0].key


def test_set_dotted_refuses_a_scalar_in_the_path():
    cfg = {"a": 1}
    with pytest.raises(ConfigError, match=r"a.b: a is 1, not a mapping or list"):
        set_dotted(cfg, "a.b", 2, "f.yaml")
    set_dotted(cfg, "x.y.z", [1], "f.yaml")
    assert cfg["x"] == {"y": {"z": [1]}}
    set_dotted(cfg, "x.y.z.0", 5, "f.yaml")  # a number indexes a list
    assert cfg["x"]["y"]["z"] == [5]
    with pytest.raises(ConfigError, match=r"x.y.z.3: no item 3 in a list of 1"):
        set_dotted(cfg, "x.y.z.3", 5, "f.yaml")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_sweep({"a": []}), r"axes.a: an axis needs at least one value"),
        (_sweep({"a": {"range": [0, 5, -1]}}), r"axes.a.range: \[start, stop, step\] makes no"),
        (_sweep({"a": {"steps": 3}}), r"axes.a: unknown axis form 'steps'"),
        (_sweep({"a": {"seeds": 0}}), r"axes.a.seeds: must be a count >= 1"),
        (_sweep({"a": {"linspace": [0, 1, 2.5]}}), r"axes.a.linspace: count must be an integer"),
        (_sweep({"a": 3}), r"axes.a: must be a list, or one of"),
        (_sweep({"a": [1, 2], "b": [1]}, grid="zip"), r"grid: zip needs axes of equal length"),
        (_sweep({}, colour="red"), r"unknown key\(s\) colour"),
        (_sweep({"value": [1, -2]}), r"job 1 \(value=-2\): value: must be >= 0; got -2"),
        (_sweep({}, summary={"group_by": "nope"}), r"summary.group_by: must be one of the axes"),
        ({"job": "nope", "base": {}}, r"job: unknown job kind 'nope'; registered: .*scenario"),
        ({"job": "no_such_module:x", "base": {}}, r"cannot import 'no_such_module'"),
        ({"job": "scenario"}, r"base: is required"),
        ({"job": "scenario", "base": "no_such_scenario"}, r"unknown scenario 'no_such_scenario'"),
    ],
)
def test_bad_sweeps_name_the_key(data, match):
    with pytest.raises(ConfigError, match=match):
        load_sweep(data).jobs()


def test_scenario_jobs_are_validated_when_the_grid_is_built():
    data = {"job": "scenario", "base": "reach", "axes": {"controller.kp": [300, "hard"]}}
    with pytest.raises(ConfigError, match=r"job 1 \(controller.kp=hard\): controller.kp"):
        load_sweep(data).jobs()


def test_bundled_sweeps_load():
    from armjac.sweep import bundled_sweeps

    names = bundled_sweeps()
    assert "reach_gains" in names
    for name in names:
        assert load_sweep(name).jobs()


def test_gpu_requests():
    job = load_sweep({"job": "train", "base": "planar2"}).jobs()[0]
    assert _gpus(job, "auto", 0.0) == 0.0
    assert _gpus(job, "auto", 2.0) == 1.0  # a training job asks for a GPU where there is one
    assert _gpus(job, 0.5, 0.0) == 0.5
    scen = load_sweep({"job": "scenario", "base": "reach"}).jobs()[0]
    assert _gpus(scen, "auto", 2.0) == 0.0


def test_cli_lists_sweeps_and_kinds(capsys):
    from armjac.cli import main

    assert main(["sweep", "--list"]) == 0
    out = capsys.readouterr().out
    assert "reach_gains" in out and "mismatch" in out and "train" in out
    assert main(["sweep", "no_such_sweep"]) == 2
    assert "unknown sweep 'no_such_sweep'" in capsys.readouterr().err


def test_axes_reach_into_lists_of_a_comparison():
    data = {
        "job": "compare",
        "base": "demo",
        "axes": {"models.0.train.seed": [0, 1], "control.scenarios.1": ["push"]},
    }
    jobs = load_sweep(data).jobs()
    assert [j.config["models"][0]["train"]["seed"] for j in jobs] == [0, 1]
    assert jobs[0].config["control"]["scenarios"] == ["reach", "push"]
    assert jobs[0].key != jobs[1].key


def test_huge_grids_are_refused_before_they_are_built():
    with pytest.raises(ConfigError, match=r"axes.a.range: makes 1000000000000 values"):
        load_sweep(_sweep({"a": {"range": [0, 10**12, 1]}}))
    with pytest.raises(ConfigError, match=r"axes: make 1000000 jobs"):
        load_sweep(_sweep({"a": {"seeds": 1000}, "b": {"seeds": 1000}}))
