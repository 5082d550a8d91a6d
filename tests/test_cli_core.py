"""The ``armjac info`` and ``armjac jacobian`` commands."""

from __future__ import annotations

import numpy as np

from armjac.cli import main


def test_info_lists_joints_and_ee(capsys):
    assert main(["info", "kuka_iiwa"]) == 0
    out = capsys.readouterr().out
    assert "dof=7" in out and "lbr_iiwa_link_7" in out
    assert out.count("lbr_iiwa_joint_") == 7
    assert "-2.967" in out  # joint limits from the URDF


def test_jacobian_prints_the_arm_jacobian(capsys, arms):
    q = [0.3, -0.7]
    assert main(["jacobian", "planar2", "--q", "0.3,-0.7"]) == 0
    out = capsys.readouterr().out
    expected = arms("planar2").jacobian(q)
    rows = [line.strip(" []") for line in out.splitlines() if line.strip().startswith(("[[", "["))]
    printed = np.array([[float(v) for v in r.split()] for r in rows[-6:]])
    np.testing.assert_allclose(printed, expected, atol=1e-5)


def test_jacobian_bad_q_is_a_clear_error(capsys):
    assert main(["jacobian", "kuka_iiwa", "--q", "0.1", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "dof=7" in err
    assert main(["jacobian", "kuka_iiwa", "--q", "a,b"]) == 2
    assert "numbers" in capsys.readouterr().err


def test_unknown_arm(capsys):
    assert main(["info", "no_such_arm"]) == 2
    assert "unknown arm" in capsys.readouterr().err
