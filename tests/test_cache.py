"""The kernel cache: warm loads skip derivation, corrupt or stale entries are
rebuilt (with a warning) and never loaded, builds are atomic across processes,
and the numpy fallback computes the same numbers as C."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import armjac
from armjac.symbolic.derivation import ChainDerivation


def _entries(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.iterdir()
        if (p / "manifest.json").exists() and not p.name.startswith("dispatch-")
    )


def _load(root, name="planar3", **kw):
    return armjac.load_arm(name, cache_dir=root, **kw)


def test_warm_load_skips_derivation(tmp_path, monkeypatch):
    cold = _load(tmp_path)
    assert cold._cache.last_build_seconds is not None

    def boom(*a, **k):
        raise AssertionError("derivation ran on a warm cache")

    monkeypatch.setattr(ChainDerivation, "mass_matrix", boom)
    monkeypatch.setattr(ChainDerivation, "jacobian", boom)
    warm = _load(tmp_path)
    assert warm._cache.last_build_seconds is None
    q = cold.random_q(rng=0)
    np.testing.assert_array_equal(cold.jacobian(q), warm.jacobian(q))


@pytest.mark.parametrize("target", ["library", "manifest", "source"])
def test_corrupt_entry_is_rebuilt_not_loaded(tmp_path, target):
    arm = _load(tmp_path)
    q = arm.random_q(rng=1)
    expected = arm.mass_matrix(q)
    (entry,) = _entries(tmp_path)
    manifest = json.loads((entry / "manifest.json").read_text())
    victim = {
        "library": entry / manifest["library"],
        "manifest": entry / "manifest.json",
        "source": entry / "kernels.c",
    }[target]
    data = victim.read_bytes()
    # A new inode: rewriting a shared library in place would also corrupt the copy
    # this process already has mapped, which is not what a damaged cache file does.
    spoiled = victim.with_suffix(".spoiled")
    spoiled.write_bytes(data[: len(data) // 2] + b"garbage")
    spoiled.replace(victim)
    with pytest.warns(UserWarning, match="discarding cache entry"):
        again = _load(tmp_path)
    np.testing.assert_array_equal(again.mass_matrix(q), expected)
    assert len(_entries(tmp_path)) == 1
    json.loads((entry / "manifest.json").read_text())  # valid again


def test_stale_manifest_is_rebuilt(tmp_path):
    _load(tmp_path)
    (entry,) = _entries(tmp_path)
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["key"] = "0" * 64
    (entry / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="does not match"):
        _load(tmp_path)


def test_numpy_backend_matches_c(tmp_path, rng):
    c_arm = armjac.load_arm("kuka_iiwa", cache_dir=tmp_path, backend="c")
    np_arm = armjac.load_arm("kuka_iiwa", cache_dir=tmp_path, backend="numpy")
    qs, dqs = c_arm.random_q(50, rng), rng.normal(size=(50, 7))
    point = [0.01, 0.02, 0.03]
    for fn in ("fk", "mass_matrix", "gravity"):
        np.testing.assert_allclose(getattr(np_arm, fn)(qs), getattr(c_arm, fn)(qs), atol=1e-12)
    np.testing.assert_allclose(
        np_arm.jacobian(qs, point=point), c_arm.jacobian(qs, point=point), atol=1e-12
    )
    np.testing.assert_allclose(np_arm.dJdq(qs, dqs), c_arm.dJdq(qs, dqs), atol=1e-12)
    np.testing.assert_allclose(np_arm.jacobian(qs[0]), c_arm.jacobian(qs[0]), atol=1e-12)
    bad = qs[0].copy()
    bad[0] = np.nan
    with pytest.raises(armjac.InputError):
        np_arm.jacobian(bad)


def test_batch_equals_single_calls(arms, rng):
    arm = arms("kuka_iiwa")
    qs, dqs = arm.random_q(20, rng), rng.normal(size=(20, 7))
    batch = {
        "fk": arm.fk(qs),
        "jacobian": arm.jacobian(qs),
        "mass_matrix": arm.mass_matrix(qs),
        "gravity": arm.gravity(qs),
    }
    assert batch["jacobian"].shape == (20, 6, 7)
    assert batch["mass_matrix"].shape == (20, 7, 7)
    for i, q in enumerate(qs):
        for fn, values in batch.items():
            np.testing.assert_array_equal(getattr(arm, fn)(q), values[i])
        np.testing.assert_array_equal(arm.dJdq(q, dqs[i]), arm.dJdq(qs, dqs)[i])
    # Non-contiguous and list inputs give the same answers.
    np.testing.assert_array_equal(arm.jacobian(np.asfortranarray(qs)), batch["jacobian"])
    np.testing.assert_array_equal(arm.jacobian(qs[0].tolist()), batch["jacobian"][0])


def _child_build(root: str, queue) -> None:
    arm = armjac.load_arm("planar2", cache_dir=root)
    queue.put(arm.jacobian([0.3, 0.4]).tolist())


def test_concurrent_builds_are_atomic(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_child_build, args=(str(tmp_path), queue)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert all(np.allclose(r, results[0]) for r in results)
    assert len(_entries(tmp_path)) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_without_a_compiler_auto_falls_back_to_numpy(tmp_path, monkeypatch):
    from armjac.codegen import c_backend
    from armjac.codegen.cache import resolve_backend

    monkeypatch.setattr(c_backend, "compiler", lambda: None)
    assert resolve_backend("auto") == "numpy"
    with pytest.raises(armjac.CacheError, match="compiler"):
        resolve_backend("c")
    arm = armjac.load_arm("planar2", cache_dir=tmp_path)
    (entry,) = _entries(tmp_path)
    assert json.loads((entry / "manifest.json").read_text())["backend"] == "numpy"
    np.testing.assert_allclose(arm.fk([0.0, 0.0])[:3, 3], [0.9, 0.0, 0.0], atol=1e-15)
    with pytest.raises(ValueError, match="backend"):
        resolve_backend("fortran")


def _rewrite(path: Path, data: bytes) -> None:
    """Replace a file by a new inode (the loaded library stays mapped intact)."""
    tmp = path.with_suffix(".new")
    tmp.write_bytes(data)
    tmp.replace(path)


def _seal_intact(entry, key) -> bool:
    from armjac.codegen.cache import _manifest

    try:
        _manifest(entry, key)
        return True
    except armjac.CacheError:
        return False


def test_every_byte_of_an_entry_is_checked(tmp_path, rng):
    """Single-byte flips anywhere in any file of an entry (the manifest included)
    are caught before anything is loaded; a damaged entry is rebuilt with a warning."""
    arm = _load(tmp_path, "planar2")
    (entry,) = _entries(tmp_path)
    key = json.loads((entry / "manifest.json").read_text())["key"]
    assert _seal_intact(entry, key)
    for victim in sorted(entry.iterdir()):
        data = victim.read_bytes()
        for pos in rng.choice(len(data), size=min(40, len(data)), replace=False):
            spoiled = bytearray(data)
            spoiled[pos] ^= 1 << int(rng.integers(8))
            _rewrite(victim, bytes(spoiled))
            assert not _seal_intact(entry, key), f"flip at {victim.name}:{pos} not caught"
        _rewrite(victim, data[:-1])  # truncated
        assert not _seal_intact(entry, key)
        _rewrite(victim, data)
    assert _seal_intact(entry, key)
    manifest = entry / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text.replace('"mass": [', '"mass": [7, '))  # a wrong shape
    with pytest.warns(UserWarning, match="discarding cache entry"):
        again = _load(tmp_path, "planar2")
    np.testing.assert_array_equal(again.mass_matrix([0.1, 0.2]), arm.mass_matrix([0.1, 0.2]))


@pytest.mark.parametrize("kind", ["file", "file/sub", "/dev/null", "/proc/armjac-cache"])
def test_unusable_cache_dir_falls_back_before_any_derivation(tmp_path, monkeypatch, kind):
    from armjac.codegen import cache

    (tmp_path / "file").write_text("not a folder")
    root = kind if kind.startswith("/") else str(tmp_path / kind)
    monkeypatch.setenv("ARMJAC_CACHE_DIR", root)
    fallback = tmp_path / "fallback"
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(fallback))
    events = []
    real = ChainDerivation.__init__

    def spy(self, *a, **k):
        events.append("derivation")
        real(self, *a, **k)

    monkeypatch.setattr(ChainDerivation, "__init__", spy)
    with pytest.warns(UserWarning, match=f"kernel cache {root}.* is unusable") as caught:
        arm = armjac.load_arm("planar2")
    assert events == ["derivation"]  # derived once, after the warning was issued
    assert any("unusable" in str(w.message) for w in caught)
    assert arm.jacobian([0.1, 0.2]).shape == (6, 2)
    assert list(fallback.iterdir())


def test_entry_path_taken_by_a_file_is_replaced(tmp_path):
    _load(tmp_path, "planar2")
    (entry,) = _entries(tmp_path)
    shutil.rmtree(entry)
    entry.write_text("in the way")
    with pytest.warns(UserWarning, match="discarding cache entry"):
        arm = _load(tmp_path, "planar2")
    assert entry.is_dir() and arm._cache.last_build_seconds is not None
    warm = _load(tmp_path, "planar2")
    assert warm._cache.last_build_seconds is None


def test_stale_build_folders_are_cleaned_up(tmp_path):
    _load(tmp_path, "planar2")
    dead = tmp_path / ".build-999999999-abc"  # no such process
    legacy = tmp_path / ".buildXYZ"
    old_style = tmp_path / ".build-junk"
    alive = tmp_path / f".build-{os.getpid()}-inprogress"
    for p in (dead, old_style, alive, legacy):
        p.mkdir()
    _load(tmp_path, "planar3")  # a cold build cleans up
    assert not dead.exists() and not old_style.exists()
    assert alive.exists() and legacy.exists()  # a live build, and not ours to touch
