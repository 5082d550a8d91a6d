"""MuJoCo as a second simulator: its model against the analytic arm, what only the MuJoCo
engine does (handles, missing meshes, link damping), and the engine choice in scenarios."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("mujoco")

from armjac import load_arm  # noqa: E402
from armjac.errors import ConfigError, InputError, SimulationError, UnknownLinkError  # noqa: E402
from armjac.scenarios import run_scenario, scenario_data  # noqa: E402
from armjac.sim import ArmSim, MujocoModel  # noqa: E402
from armjac.sources import resolve_source  # noqa: E402

BUNDLED = ["kuka_iiwa", "franka_panda", "xarm6", "planar2", "planar3"]


@pytest.mark.parametrize("name", BUNDLED)
def test_mujoco_model_matches_the_analytic_arm(arms, name):
    """MuJoCo's own fk, J (at a point), M and g against armjac's sympy kernels, to 1e-9.
    On xarm6 the URDF's two non-physical inertias are kept (MuJoCo would balance them)."""
    arm = arms(name)
    point = np.array([0.03, -0.02, 0.05])
    with MujocoModel(arm) as ref:
        for q in arm.random_q(8, np.random.default_rng(7)):
            np.testing.assert_allclose(ref.fk(q), arm.fk(q), atol=1e-9)
            np.testing.assert_allclose(ref.jacobian(q), arm.jacobian(q), atol=1e-9)
            np.testing.assert_allclose(ref.jacobian(q, point=point),
                                       arm.jacobian(q, point=point), atol=1e-9)  # fmt: skip
            np.testing.assert_allclose(ref.mass_matrix(q), arm.mass_matrix(q), atol=1e-9)
            np.testing.assert_allclose(ref.gravity(q), arm.gravity(q), atol=1e-9)


@pytest.mark.parametrize("seed", [3, 11])
def test_mujoco_model_matches_random_chains(tmp_path, seed):
    """Chains nobody tuned for: mixed axes, rpy offsets, fixed joints, a prismatic joint,
    a movable side branch (held at zero), rotated non-diagonal inertias."""
    from chain_factory import general_chain_urdf

    path = tmp_path / f"chain{seed}.urdf"
    path.write_text(general_chain_urdf(seed, n_movable=6, prismatic_at=3))
    arm = load_arm(path)
    with MujocoModel(arm) as ref:
        for q in arm.random_q(6, np.random.default_rng(seed)):
            np.testing.assert_allclose(ref.jacobian(q), arm.jacobian(q), atol=1e-9)
            np.testing.assert_allclose(ref.mass_matrix(q), arm.mass_matrix(q), atol=1e-9)
            np.testing.assert_allclose(ref.gravity(q), arm.gravity(q), atol=1e-9)
            np.testing.assert_allclose(ref.fk(q), arm.fk(q), atol=1e-9)


def test_mujoco_model_refuses_bad_queries_and_closes(arms):
    arm = arms("planar2")
    ref = MujocoModel(arm)
    with pytest.raises(InputError, match="shape"):
        ref.jacobian([0.0])
    with pytest.raises(InputError, match="finite"):
        ref.mass_matrix([0.0, np.nan])
    with pytest.raises(UnknownLinkError, match="nope"):
        ref.fk([0.0, 0.0], "nope")
    ref.close()
    assert ref.closed
    with pytest.raises(SimulationError, match="closed"):
        ref.gravity([0.0, 0.0])


def test_mujoco_is_a_source_kind_and_drives_a_controller(arms):
    arm = arms("kuka_iiwa")
    with resolve_source("mujoco", arm) as resolved:
        assert isinstance(resolved.source, MujocoModel) and resolved.label == "mujoco"
        assert resolved.dynamics is None  # it has its own M and g
    assert resolved.source.closed  # created here, closed here
    m = run_scenario("reach", source="mujoco", duration=1.5, plots=False, arm=arm)
    assert m["status"] == "ok" and m["jacobian"] == "mujoco"
    assert m["max_segment_final_error_m"] < 1e-3


def test_link_damping_is_refused_on_mujoco(arms):
    with pytest.raises(ConfigError, match="link_damping"):
        ArmSim(arms("planar2"), engine="mujoco", link_damping=0.1, connect=False)


def test_a_subclass_cannot_be_asked_for_another_engine(arms):
    from armjac.sim.mujoco_sim import MujocoSim

    with pytest.raises(ConfigError, match="mujoco.*not 'pybullet'"):
        MujocoSim(arms("planar2"), engine="pybullet", connect=False)


def test_handles_name_what_they_are(arms):
    with ArmSim(arms("kuka_iiwa"), engine="mujoco") as sim:
        box = sim.add_box([0.1, 0.1, 0.05], [0.6, 0.0, 0.05])
        marker = sim.add_marker([0.5, 0.0, 0.5])
        sim.move_marker(marker, [0.4, 0.1, 0.6])
        sim.send_forces(sim.arm.gravity(sim.get_feedback()["q"]))
        np.testing.assert_allclose(sim.data.mocap_pos[0], [0.4, 0.1, 0.6])
        geoms = [g for g in range(sim.model.ngeom) if sim.model.geom_bodyid[g] ==
                 sim.model.body(f"armjac_marker_{marker}").id]  # fmt: skip
        assert len(geoms) == 1 and sim.model.geom_contype[geoms[0]] == 0  # seen, not touched
        with pytest.raises(InputError, match="not a marker"):
            sim.move_marker(box, [0.0, 0.0, 0.0])
        with pytest.raises(InputError, match="not a body"):
            sim.contact_force(99)
        with pytest.raises(InputError, match="position"):
            sim.move_marker(marker, [0.0, np.nan, 0.0])
        assert not sim.in_contact(box)


def test_payload_and_sensor_survive_a_recompile_with_the_state(arms):
    """Adding to the world rebuilds MuJoCo's model; the arm's state must carry over."""
    arm = arms("kuka_iiwa")
    q = arm.random_q(rng=3, margin=0.2)
    dq = np.linspace(-0.2, 0.2, 7)
    with ArmSim(arm, engine="mujoco") as sim:
        sim.reset(q, dq)
        sim.add_payload(1.5, [0.0, 0.0, 0.05])
        np.testing.assert_allclose(sim.get_feedback()["q"], q)
        sensor = sim.ft_sensor()
        np.testing.assert_allclose(sim.get_feedback()["dq"], dq)
        assert sensor.tool_mass == pytest.approx(0.3)  # the URDF's link, not the payload
        with pytest.raises(InputError, match="mass"):
            sim.add_payload(-1.0)


def test_an_arm_without_its_meshes_runs_but_refuses_contacts(arms, tmp_path):
    """The URDF copies shipped without pybullet_data have no meshes: no collision shapes."""
    from armjac.configs import root

    urdf = tmp_path / "model.urdf"
    shutil.copy(root() / "arms" / "pybullet_data" / "kuka_iiwa" / "model.urdf", urdf)
    arm = load_arm(urdf, ee_link="lbr_iiwa_link_7")
    with ArmSim(arm, engine="mujoco") as sim:
        assert sim.missing_meshes and sim.model.ngeom == 0
        for _ in range(50):
            sim.send_forces(arm.gravity(sim.get_feedback()["q"]))
        np.testing.assert_allclose(sim.get_feedback()["q"], arm.home, atol=1e-8)
        with pytest.raises(SimulationError, match="meshes"):
            sim.contact_force()


def test_scenario_engine_key_and_engine_bounds(tmp_path):
    data = scenario_data("reach")
    data.update(duration=0.05, engine="mujoco")
    data["expect"] = {"max_torque_Nm": 1e6}
    data["expect_engine"] = {"mujoco": {"max_torque_Nm": 1e-3}}  # fails on mujoco only
    m = run_scenario(data, plots=False)
    assert m["engine"] == "mujoco" and not m["passed"]
    assert m["failures"] == [f"max_torque_Nm = {m['max_torque_Nm']:.4g} > 0.001"]
    m = run_scenario(data, plots=False, engine="pybullet")
    assert m["engine"] == "pybullet" and m["passed"]
    with pytest.raises(ConfigError, match="engine.*'bullet'"):
        run_scenario(data | {"engine": "bullet"})
    with pytest.raises(ConfigError, match="expect_engine.*bullet"):
        run_scenario(data | {"expect_engine": {"bullet": {}}})
    with pytest.raises(ConfigError, match="max_torque_Nm"):
        run_scenario(data | {"expect_engine": {"mujoco": {"max_torque_Nm": "big"}}})
    with pytest.raises(ConfigError, match="run_scenario.*'ode'"):
        run_scenario(data, engine="ode")
    assert not list(tmp_path.iterdir())


def test_cli_runs_a_scenario_on_mujoco(tmp_path, capsys):
    from armjac.cli import main

    code = main(["sim", "reach", "--engine", "mujoco", "--duration", "0.05",
                 "--out", str(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert "realtime_factor" in out and (tmp_path / "metrics.json").is_file()
    assert code in (0, 1)  # 0.05 s is too short for the bounds; the run itself worked
    import json

    assert json.loads((tmp_path / "metrics.json").read_text())["engine"] == "mujoco"
    assert main(["sim", "reach", "--engine", "ode", "--out", str(tmp_path)]) == 2
    assert "unknown engine 'ode'" in capsys.readouterr().err


def test_a_sweep_takes_engine_as_an_axis(tmp_path):
    """``engine`` is a scenario key, so a sweep varies it like any other."""
    from armjac.sweep import run
    from armjac.sweep.store import ResultStore

    cfg = {"name": "engines", "job": "scenario", "base": "reach",
           "set": {"duration": 0.3, "expect": {}}, "axes": {"engine": ["pybullet", "mujoco"]}}
    out = run(cfg, tmp_path / "sweep", executor="serial", progress=False, plots=False, log=None)
    assert out["n_ok"] == 2
    records = [__import__("json").loads(v) for v in ResultStore(tmp_path / "sweep/jobs")
               .canonical().values()]  # fmt: skip
    by_engine = {r["point"]["engine"]: r["metrics"] for r in records}
    assert {m["engine"] for m in by_engine.values()} == {"pybullet", "mujoco"}
    # the same controller on two engines: the hand follows nearly the same path
    a, b = by_engine["pybullet"], by_engine["mujoco"]
    assert abs(a["position_rmse_m"] - b["position_rmse_m"]) < 0.05 * a["position_rmse_m"]


def test_a_urdf_mujoco_cannot_read_is_a_urdf_error(tmp_path):
    from armjac.configs import root
    from armjac.errors import URDFError

    urdf = tmp_path / "planar2.urdf"
    urdf.write_text((root() / "arms" / "planar2.urdf").read_text())
    arm = load_arm(urdf)
    urdf.write_text("<robot name='broken'><link name='base'>")  # changed under the arm
    with pytest.raises(URDFError, match="planar2.urdf"):
        MujocoModel(arm)


def test_compare_refuses_an_unknown_engine(tmp_path, capsys):
    pytest.importorskip("nengo_dl")  # armjac compare needs the learned extra first
    from armjac.cli import main

    assert main(["compare", "kuka_iiwa", "--engine", "ode", "--out", str(tmp_path)]) == 2
    assert "--engine: unknown engine 'ode'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
