"""Core smoke test of an installed armjac wheel, run outside the checkout.

    python smoke_core.py REFERENCE.json URDF CHECKOUT

Checks what ``pip install armjac`` (no extras) promises: the bundled arms and a
URDF path load, J, M and g equal the checkout's (``core_reference.py``), the
``info`` and ``jacobian`` commands run, $ARMJAC_CONFIG_DIR is read at call
time, the optional parts name their extra, and no top-level ``sims`` exists.
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import armjac
from armjac.extras import MissingExtraError
from armjac.model.registry import bundled_arms


def check(cond: bool, what: str) -> None:
    if not cond:
        raise SystemExit(f"core smoke test FAILED: {what}")
    print(f"ok  {what}")


def same_numbers(spec, ref: dict, label: str) -> None:
    arm = armjac.load_arm(spec)
    q = np.array(ref["q"])
    for name, fn in (("J", arm.jacobian), ("M", arm.mass_matrix), ("g", arm.gravity)):
        err = float(np.max(np.abs(fn(q) - np.array(ref[name]))))
        check(err <= 1e-10, f"{label}: {name} equals the checkout's (max |diff| {err:.1e})")


def main() -> None:
    ref_path, urdf, checkout = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve()
    ref = json.loads(Path(ref_path).read_text())
    where = Path(armjac.__file__).resolve()
    check(checkout not in where.parents, f"armjac imported from the install ({where.parent})")
    print(
        f"    Python {sys.version.split()[0]}, numpy {np.__version__} "
        f"(reference computed with numpy {ref['numpy']})"
    )
    check({"kuka_iiwa", "franka_panda", "planar2"} <= set(bundled_arms()), "bundled arms listed")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same_numbers("kuka_iiwa", ref["kuka_iiwa"], "bundled kuka_iiwa")
        same_numbers(urdf, ref["urdf"], f"URDF path {Path(urdf).name}")
    print(f"    (cold generation and evaluation: {time.perf_counter() - t0:.1f} s)")
    fallback = [str(w.message) for w in caught if "dispatcher" in str(w.message)]
    cache = Path(os.environ["ARMJAC_CACHE_DIR"])
    check(
        not fallback and any(cache.glob("dispatch-*")),
        "C kernels called through the shipped dispatcher" + "".join(f"; {w}" for w in fallback),
    )

    for cmd, text in (
        (["info", "kuka_iiwa"], "dof=7"),
        (["jacobian", "kuka_iiwa", "--q", "0", "0.5", "0", "-1.3", "0", "1.2", "0"], "J (6x7)"),
    ):
        exe = Path(sys.executable).with_name("armjac")
        proc = subprocess.run([str(exe), *cmd], capture_output=True, text=True)
        check(proc.returncode == 0 and text in proc.stdout, f"armjac {' '.join(cmd[:2])}")

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "arms").mkdir()
        (Path(tmp) / "arms" / "mine.yaml").write_text(f"urdf: {urdf}\n")
        os.environ["ARMJAC_CONFIG_DIR"] = tmp
        check(bundled_arms() == ["mine"], "$ARMJAC_CONFIG_DIR read at call time")
        del os.environ["ARMJAC_CONFIG_DIR"]

    for part, extra in (
        ("armjac.sim", "sim"),
        ("armjac.scenarios", "sim"),
        ("armjac.compare", "sim"),
    ):
        try:
            importlib.import_module(part)
        except MissingExtraError as exc:
            check(f"pip install 'armjac[{extra}]'" in str(exc), f"import {part} names its extra")
        else:
            print(f"    ({part} imported: its extra is installed)")
    try:
        importlib.import_module("sims")
    except ModuleNotFoundError:
        check(True, "no top-level 'sims' package installed")
    else:
        check(False, "no top-level 'sims' package installed")
    print("core smoke test passed")


if __name__ == "__main__":
    main()
