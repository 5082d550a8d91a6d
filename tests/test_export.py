"""``armjac.export_c`` / ``armjac export``: the written C compiles as strict C99 and
gives the Python API's numbers to 1e-12 (bundled arms, a random chain with a
prismatic joint, an adjusted arm), reports non-finite inputs, and never leaves a
pair of files that look complete but do not belong together."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from chain_factory import random_chain_urdf

import armjac
from armjac.cli import main as cli_main
from armjac.codegen import export as export_mod
from armjac.errors import ConfigError, InputError

CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="needs a C compiler")
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O0"]  # fast to build
DOCS = Path(__file__).resolve().parents[1] / "docs" / "analytic.md"


def _build(tmp_path: Path, arm, name: str):
    header, source = armjac.export_c(arm, tmp_path / "out", name)
    assert header.name == f"{name}.h" and source.name == f"{name}.c"
    lib = tmp_path / f"lib{name}.so"
    subprocess.run([CC, *STRICT, "-fPIC", "-shared", "-o", lib, source, "-lm"], check=True)
    return ctypes.CDLL(str(lib))


def _call(lib, name: str, fn: str, *arrays, out_size: int):
    out = np.full(out_size, np.nan)
    ptr = ctypes.POINTER(ctypes.c_double)
    args = [
        None if a is None else np.ascontiguousarray(a, float).ctypes.data_as(ptr) for a in arrays
    ]
    rc = getattr(lib, f"{name}_{fn}")(*args, out.ctypes.data_as(ptr))
    return rc, out


def _check(lib, name: str, arm, rng, n: int = 4):
    dof = arm.dof
    for _ in range(n):
        q, dq, u = arm.random_q(rng=rng), rng.normal(size=dof), rng.normal(size=dof) * 3
        point = rng.normal(size=3) * 0.1
        expected = {
            "fk": ((q,), arm.fk(q)),
            "jacobian": ((q, point), arm.jacobian(q, point=point)),
            "mass_matrix": ((q,), arm.mass_matrix(q)),
            "gravity": ((q,), arm.gravity(q)),
            "nonlinear_effects": ((q, dq), arm.nonlinear_effects(q, dq)),
            "inverse_dynamics": ((q, dq, u), arm.inverse_dynamics(q, dq, u)),
            "forward_dynamics": ((q, dq, u), arm.forward_dynamics(q, dq, u)),
        }
        for fn, (args, want) in expected.items():
            rc, got = _call(lib, name, fn, *args, out_size=want.size)
            assert rc == 0, fn
            np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-12, atol=1e-12,
                                       err_msg=fn)  # fmt: skip
        rc, got = _call(lib, name, "jacobian", q, None, out_size=6 * dof)
        np.testing.assert_allclose(got.reshape(6, dof), arm.jacobian(q), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("arm_name", ["kuka_iiwa", "franka_panda", "planar2"])
def test_bundled_arms_match_the_python_api(arms, rng, tmp_path, arm_name):
    arm = arms(arm_name)
    _check(_build(tmp_path, arm, arm_name), arm_name, arm, rng)


def test_a_random_chain_with_a_prismatic_joint(rng, tmp_path):
    path = tmp_path / "chain.urdf"
    path.write_text(random_chain_urdf(5, n_movable=6, prismatic_at=3))
    arm = armjac.load_arm(path, cache_dir=tmp_path / "cache")
    assert any(j.type == "prismatic" for j in arm.joints)
    _check(_build(tmp_path, arm, "chain"), "chain", arm, rng)


def test_an_adjusted_arm_has_its_numbers_baked_in(arms, rng, tmp_path):
    base = arms("kuka_iiwa")
    load = [1.5, 0.0, 0.02, 0.15, 0.03, 0.0, 0.001, 0.03, 0.004, 0.01]
    arm = base.adjusted(rng.normal(0, 0.01, (7, 3)), load)
    lib = _build(tmp_path, arm, "real_iiwa")
    _check(lib, "real_iiwa", arm, rng)
    header = (tmp_path / "out" / "real_iiwa.h").read_text()
    assert "Adjusted arm" in header and "origin offset of lbr_iiwa_joint_1" in header
    # the numbers are constants: the nominal arm's results differ
    q = base.random_q(rng=rng)
    _, got = _call(lib, "real_iiwa", "gravity", q, out_size=7)
    assert np.abs(got - base.gravity(q)).max() > 1e-3


def test_non_finite_inputs_give_their_codes(arms, tmp_path):
    arm = arms("planar2")
    lib = _build(tmp_path, arm, "p2")
    q, bad = np.zeros(2), np.array([0.0, np.nan])
    assert _call(lib, "p2", "fk", bad, out_size=16)[0] == 1
    assert _call(lib, "p2", "nonlinear_effects", q, bad, out_size=2)[0] == 2
    assert _call(lib, "p2", "forward_dynamics", q, q, [np.inf, 0], out_size=2)[0] == 4
    assert _call(lib, "p2", "inverse_dynamics", q, q, bad, out_size=2)[0] == 4
    assert _call(lib, "p2", "jacobian", q, [0, np.nan, 0], out_size=12)[0] == 5
    assert _call(lib, "p2", "nonlinear_effects", q, [1e200, 1e200], out_size=2)[0] == 3


def test_the_documented_example_compiles_and_runs(arms, tmp_path):
    """The example program in docs/analytic.md, as written there."""
    example = re.search(r"```c\n(.*?)```", DOCS.read_text(), re.S).group(1)
    arm = arms("kuka_iiwa")
    header, source = armjac.export_c(arm, tmp_path)
    (tmp_path / "main.c").write_text(example)
    exe = tmp_path / "example"
    subprocess.run([CC, *STRICT, "-I", tmp_path, "-o", exe, tmp_path / "main.c", source, "-lm"],
                   check=True)  # fmt: skip
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    torques = [float(x) for x in re.findall(r"tau\[\d\] = (\S+)", out)]
    np.testing.assert_allclose(torques, arm.gravity(np.zeros(7)), atol=1e-9)


def test_names_and_folders_are_checked(arms, tmp_path):
    arm = arms("planar2")
    for bad in ("2arm", "my-arm", "int", "", "a" * 64, 3):
        with pytest.raises(InputError, match="C identifier"):
            armjac.export_c(arm, tmp_path, bad)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        armjac.export_c(arm, tmp_path / "file")
    (tmp_path / "planar2.c").write_text("int mine;\n")
    with pytest.raises(ConfigError, match="not written by armjac"):
        armjac.export_c(arm, tmp_path)
    assert (tmp_path / "planar2.c").read_text() == "int mine;\n"
    armjac.export_c(arm, tmp_path, force=True)
    armjac.export_c(arm, tmp_path)  # its own files are replaced
    with pytest.raises(InputError, match="needs an Arm"):
        armjac.export_c("planar2", tmp_path)
    assert export_mod.c_name("kuka_iiwa-adjusted") == "kuka_iiwa_adjusted"


def test_an_interrupted_export_does_not_compile(arms, tmp_path, monkeypatch):
    """Killed between the two files: the new .c beside the old .h must not build."""
    armjac.export_c(arms("planar2"), tmp_path, "arm")
    real = export_mod._replace
    calls = []

    def dies_after_the_first(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(export_mod, "_replace", dies_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        armjac.export_c(arms("planar3"), tmp_path, "arm")
    assert not list(tmp_path.glob(".arm.*"))  # no temporary left
    proc = subprocess.run([CC, *STRICT, "-c", "-o", tmp_path / "x.o", tmp_path / "arm.c"],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode != 0 and "not the header written with arm.c" in proc.stderr


def test_cli_writes_the_pair(tmp_path, capsys):
    assert cli_main(["export", "planar3", "--out", str(tmp_path), "--name", "p3"]) == 0
    assert (tmp_path / "p3.h").exists() and (tmp_path / "p3.c").exists()
    assert "p3.c" in capsys.readouterr().out
    assert cli_main(["export", "planar3", "--out", str(tmp_path), "--name", "3p"]) == 2
    assert "C identifier" in capsys.readouterr().err
