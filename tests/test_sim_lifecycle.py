"""ArmSim and PyBulletModel release their PyBullet server through close() and `with`."""

from __future__ import annotations

import pytest

pb = pytest.importorskip("pybullet")

from armjac.sim import ArmSim, PyBulletModel  # noqa: E402


def test_pybullet_model_context_manager(arms):
    arm = arms("planar2")
    with PyBulletModel(arm) as model:
        client = model.client
        assert pb.isConnected(client) and not model.closed
        model.jacobian(arm.home)
    assert model.closed and not pb.isConnected(client)
    model.close()  # twice is fine


def test_pybullet_model_closed_when_an_exception_leaves_the_block(arms):
    arm = arms("planar2")
    with pytest.raises(KeyError), PyBulletModel(arm) as model:
        client = model.client
        raise KeyError("boom")
    assert not pb.isConnected(client)


def test_pybullet_model_failed_load_leaks_no_server(arms, monkeypatch):
    arm = arms("planar2")
    started = []
    real_connect = pb.connect

    def connect(*a, **k):
        started.append(real_connect(*a, **k))
        return started[-1]

    monkeypatch.setattr(pb, "connect", connect)
    monkeypatch.setattr(PyBulletModel, "_load", lambda self, arm: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        PyBulletModel(arm)
    assert started and not pb.isConnected(started[0])


def test_armsim_close_and_context_manager(arms):
    arm = arms("planar2")
    sim = ArmSim(arm)
    client = sim.client_id
    assert sim.connected
    sim.close()
    assert not sim.connected and not pb.isConnected(client)
    sim.connect()  # connect/disconnect stay available
    assert sim.connected
    sim.disconnect()
    with ArmSim(arm) as sim2:
        client = sim2.client_id
        sim2.send_forces([0.0, 0.0])
    assert not pb.isConnected(client)
