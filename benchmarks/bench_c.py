"""C-level benchmark: armjac's exported C (and its cached kernels) against
Pinocchio's C++ algorithms, timed in one program on this machine.

It exports kuka_iiwa and franka_panda (``armjac.export_c``), compiles them with
``cc -O3 -march=native -std=c99`` and ``benchmarks/bench_c.cpp`` with
``c++ -O3 -march=native -DNDEBUG`` against the headers and library of the
``pin`` wheel (Pinocchio 2.6; needs ``pip install pin==2.6.20 cmeel-eigen
cmeel-urdfdom-headers``, the ``bench`` extra), runs it per arm and prints
every row with its ratio. Pinocchio's model is reduced to armjac's chain (the
Panda's fingers locked), so both compute the same 7-joint problem. Building
the Pinocchio side takes about 100 s here; this is not part of the tests::

    python benchmarks/bench_c.py [--build-dir DIR]
"""

from __future__ import annotations

import argparse
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
C_FLAGS = ("-O3", "-march=native", "-std=c99")  # the export: plain C99, tuned for this CPU
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


def apis_header(names: list[str]) -> str:
    """A table of the exported functions, so one program times every arm."""
    lines = [f'extern "C" {{\n#include "{n}.h"\n}}' for n in names]
    lines.append("struct Api {")
    lines.append("  const char *name; int dof;")
    lines.append("  int (*fk)(const double *, double *);")
    lines.append("  int (*jacobian)(const double *, const double *, double *);")
    lines.append("  int (*mass_matrix)(const double *, double *);")
    lines.append("  int (*gravity)(const double *, double *);")
    lines.append("  int (*nonlinear_effects)(const double *, const double *, double *);")
    three = "const double *, const double *, const double *, double *"
    lines.append(f"  int (*inverse_dynamics)({three});")
    lines.append(f"  int (*forward_dynamics)({three});")
    lines.append("};")
    rows = [
        f'  {{"{n}", {n.upper()}_DOF, ' + ", ".join(f"{n}_{f}" for f in FUNCS) + "}" for n in names
    ]
    lines.append("static const Api APIS[] = {\n" + ",\n".join(rows) + "\n};")
    return "\n".join(lines) + "\n"


def build(folder: Path, arms: list) -> Path:
    prefix = cmeel_prefix()
    names = [a.name for a in arms]
    for arm in arms:
        armjac.export_c(arm, folder)
        obj, src = folder / f"{arm.name}.o", folder / f"{arm.name}.c"
        subprocess.run(["cc", *C_FLAGS, "-c", "-o", obj, src], check=True)
    (folder / "armjac_apis.h").write_text(apis_header(names))
    inc = prefix / "include"
    cmd = [
        "c++", "-O3", "-march=native", "-std=c++17", "-w",
        *(f"-D{d}" for d in PIN_DEFINES),
        f"-I{folder}", f"-I{inc}", f"-I{inc / 'eigen3'}", f"-I{inc / 'urdfdom_headers'}",
        f"-I{inc / 'urdfdom'}",
        "-o", str(folder / "bench_c"), str(HERE / "bench_c.cpp"),
        *(str(folder / f"{n}.o") for n in names),
        f"-L{prefix / 'lib'}", f"-Wl,-rpath,{prefix / 'lib'}",
        "-lpinocchio", "-lurdfdom_model", "-ldl", "-lm",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"(Pinocchio side built in {time.perf_counter() - t0:.0f} s)")
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
