"""C-level benchmark: armjac's exported C (and its cached kernels) against
Pinocchio's C++ algorithms, timed in one program on this machine.

It exports kuka_iiwa and franka_panda (``armjac.export_c``), compiles them with
``cc -O3 -march=native -std=c99 -ffp-contract=fast`` and ``benchmarks/bench_c.cpp`` with
``c++ -O3 -march=native -DNDEBUG`` against the headers and library of the
``pin`` wheel (Pinocchio 2.6; needs ``pip install pin==2.6.20 cmeel-eigen
cmeel-urdfdom-headers``, the ``bench`` extra), runs it per arm and prints
every row with its ratio. Pinocchio's model is reduced to armjac's chain (the
Panda's fingers locked), so both compute the same 7-joint problem. Building
the Pinocchio side takes about 100 s on a quiet machine here (kept in
``--build-dir`` for the next run); this is not part of the tests::

    python benchmarks/bench_c.py [--build-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import armjac

ARMS = ("kuka_iiwa", "franka_panda")
HERE = Path(__file__).resolve().parent
PIN_DEFINES = (
    "PINOCCHIO_WITH_URDFDOM",
    "BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS",
    "BOOST_MPL_LIMIT_LIST_SIZE=30",
    "BOOST_MPL_LIMIT_VECTOR_SIZE=30",
    "BOOST_FUSION_INVOKE_MAX_ARITY=12",
    "PINOCCHIO_URDFDOM_HEADERS_MAJOR_VERSION=3",
    "PINOCCHIO_URDFDOM_HEADERS_MINOR_VERSION=0",
    "PINOCCHIO_URDFDOM_HEADERS_PATCH_VERSION=0",
    "NDEBUG",
)
# The export: plain C99 tuned for this CPU, with the multiply-add contraction g++ applies
# to Pinocchio's C++ by default (ISO C mode turns it off; without it M, inverse and forward
# dynamics take 10-25 % longer, see docs/analytic.md).
C_FLAGS = ("-O3", "-march=native", "-std=c99", "-ffp-contract=fast")
FUNCS = ("fk", "jacobian", "mass_matrix", "gravity", "nonlinear_effects",
         "inverse_dynamics", "forward_dynamics")  # fmt: skip


def cmeel_prefix() -> Path:
    prefix = Path(sysconfig.get_paths()["purelib"]) / "cmeel.prefix"
    inc = prefix / "include"
    if not (inc / "pinocchio").is_dir() or not (inc / "eigen3").is_dir():
        sys.exit(
            "needs the pin wheel's headers: "
            "pip install 'pin==2.6.20' cmeel-eigen cmeel-urdfdom-headers"
        )
    return prefix


def apis_source(names: list[str]) -> str:
    """A table of the exported functions in C, so one program times every arm."""
    lines = [f'#include "{n}.h"' for n in names]
    three = "const double *, const double *, const double *, double *"
    lines += [
        "struct Api {",
        "  const char *name; int dof;",
        "  int (*fk)(const double *, double *);",
        "  int (*jacobian)(const double *, const double *, double *);",
        "  int (*mass_matrix)(const double *, double *);",
        "  int (*gravity)(const double *, double *);",
        "  int (*nonlinear_effects)(const double *, const double *, double *);",
        f"  int (*inverse_dynamics)({three});",
        f"  int (*forward_dynamics)({three});",
        "};",
    ]
    rows = [
        f'  {{"{n}", {n.upper()}_DOF, ' + ", ".join(f"{n}_{f}" for f in FUNCS) + "}" for n in names
    ]
    lines.append("const struct Api APIS[] = {\n" + ",\n".join(rows) + "\n};")
    lines.append(f"const int NAPIS = {len(names)};")
    return "\n".join(lines) + "\n"


def pinocchio_object(folder: Path) -> Path:
    """bench_c.cpp compiled against the pin wheel, kept in ``folder`` by content hash."""
    prefix = cmeel_prefix()
    inc = prefix / "include"
    cmd = [
        "c++", "-O3", "-march=native", "-std=c++17", "-w", "-c",
        *(f"-D{d}" for d in PIN_DEFINES),
        f"-I{inc}", f"-I{inc / 'eigen3'}", f"-I{inc / 'urdfdom_headers'}", f"-I{inc / 'urdfdom'}",
    ]  # fmt: skip
    tag = hashlib.sha256((HERE / "bench_c.cpp").read_bytes() + " ".join(cmd).encode())
    obj = folder / f"bench_c-{tag.hexdigest()[:12]}.o"
    if not obj.exists():
        t0 = time.perf_counter()
        subprocess.run([*cmd, "-o", str(obj) + ".tmp", str(HERE / "bench_c.cpp")], check=True)
        os.replace(str(obj) + ".tmp", obj)
        print(f"(Pinocchio side built in {time.perf_counter() - t0:.0f} s)")
    return obj


def build(folder: Path, arms: list) -> Path:
    names = [a.name for a in arms]
    objs = []
    for arm in arms:
        armjac.export_c(arm, folder, force=True)
        obj, src = folder / f"{arm.name}.o", folder / f"{arm.name}.c"
        subprocess.run(["cc", *C_FLAGS, "-c", "-o", obj, src], check=True)
        objs.append(obj)
    (folder / "armjac_apis.c").write_text(apis_source(names))
    subprocess.run(["cc", "-O2", "-std=c99", f"-I{folder}", "-c", "-o", folder / "apis.o",
                    folder / "armjac_apis.c"], check=True)  # fmt: skip
    lib = cmeel_prefix() / "lib"
    cmd = [
        "c++", "-o", str(folder / "bench_c"), str(pinocchio_object(folder)),
        str(folder / "apis.o"), *map(str, objs),
        f"-L{lib}", f"-Wl,-rpath,{lib}", "-lpinocchio", "-lurdfdom_model", "-ldl", "-lm",
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return folder / "bench_c"


def kernel_library(arm) -> tuple[str, str]:
    """The cached kernel library of ``arm`` and its Jacobian's symbol."""
    entries = sorted(arm._cache.root.glob(f"{arm.name}-L*-dyn-*"), key=os.path.getmtime)
    lib = next(entries[-1].glob("kernels-*.so"))
    tag = arm.base_model.link_names.index(arm.ee_link)
    return str(lib), f"jac_L{tag}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", help="keep the build here (default: a temporary folder)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"armjac {armjac.__version__}, {os.cpu_count()} CPUs, load average {load:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.build_dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cache = folder / "cache"
        arms = [armjac.load_arm(n, cache_dir=cache) for n in ARMS]
        exe = build(folder, arms)
        from armjac.cli.common import print_table

        rows = []
        for arm in arms:
            lib, sym = kernel_library(arm)
            cmd = [str(exe), arm.name, arm.urdf_path, arm.ee_link, lib, sym]
            cmd += arm.joint_names
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                if not line.startswith("ROW\t"):
                    print(f"{arm.name}: {line}")
                    continue
                _, what, ours, theirs = line.split("\t")
                ours_ns, pin_ns = float(ours), float(theirs)
                row = {"arm": arm.name, "quantity": what}
                if ours_ns >= 0:
                    row["armjac_ns"] = ours_ns
                if pin_ns >= 0:
                    row["pinocchio_ns"] = pin_ns
                if ours_ns > 0 and pin_ns > 0:
                    row["pinocchio/armjac"] = pin_ns / ours_ns
                rows.append(row)
        print_table(rows, ["arm", "quantity", "armjac_ns", "pinocchio_ns", "pinocchio/armjac"],
                    floatfmt=".3g")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
