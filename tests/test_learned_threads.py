"""One learned model shared between threads gives every thread the single-threaded answer."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from learned_factory import untrained_model


@pytest.fixture(scope="module")
def model():
    ens = [{"n_neurons": 192}, {"n_neurons": 160, "dimensions": 24}]
    return untrained_model(ens, arm="kuka_iiwa", dof=7, seed=4)


def test_shared_model_single_q_jacobians_match_single_threaded(model):
    qs = np.random.default_rng(3).uniform(-2.5, 2.5, (64, 7))
    expected = np.array([model.jacobian(q) for q in qs])
    # the batched float64 path is an independent reference for the single-q path
    np.testing.assert_allclose(expected, model.jacobian(qs), rtol=1e-4, atol=1e-5)
    n_threads, rounds = 4, 40
    wrong = [0] * n_threads
    worst = [0.0] * n_threads
    start = threading.Barrier(n_threads)

    def hammer(t: int) -> None:
        order = np.random.default_rng(t).permutation(len(qs))
        start.wait()
        for _ in range(rounds):
            for i in order:
                err = float(np.abs(model.jacobian(qs[i]) - expected[i]).max())
                if err > 0.0:
                    wrong[t] += 1
                    worst[t] = max(worst[t], err)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=hammer, args=(t,)) for t in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(old)
    calls = n_threads * rounds * len(qs)
    assert sum(wrong) == 0, f"{sum(wrong)} of {calls} calls wrong, worst |dJ| {max(worst):.3g}"


def test_each_thread_gets_its_own_buffers(model):
    cf = model._cf
    mine = cf._scratch()
    theirs = []
    th = threading.Thread(target=lambda: theirs.append(cf._scratch()))
    th.start()
    th.join()
    assert theirs[0] is not mine
    assert cf._scratch() is mine  # reused within a thread
