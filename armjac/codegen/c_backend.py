"""C backend: straight-line kernels printed as C99 and built with the system compiler.

Kernels are called through a small CPython extension (``dispatch.c``) that
checks and allocates arrays in C, or through ctypes when that cannot be built.
Each kernel loops over the batch itself, so a batch of configurations costs one
Python call; small kernels also run several configurations per vector
(:mod:`armjac.codegen.simd`). :mod:`armjac.codegen.export` prints the same code
as standalone C for users."""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from armjac.codegen import simd
from armjac.codegen.kernel import Lowered, failer, input_index, preparer
from armjac.errors import CacheError

# -ffp-contract=off: no fused multiply-adds, so every build computes the same bits
# (and a batch's vector lanes the single call's; see simd.py)
CFLAGS = (  # the optimisation level is per part (PART_FLAGS); the dispatcher adds -O2
    "-fPIC",
    "-shared",
    "-fno-math-errno",
    "-ffp-contract=off",
    "-fno-tree-slp-vectorize",  # scalar code: no vector loads of just-stored scalars
    "-std=c99",
)
NATIVE = "-march=native"  # kernels only, when the compiler takes it (see native_flags)
PARTS = 2  # compilation units built in parallel: the shared chunks, then the kernels
# Chunk functions (long straight-line code behind the large dynamics kernels) at -O1:
# 40 % less compile time for 3-10 % slower dynamics kernels, measured side by side;
# the kernels themselves (J, FK, g and the vector loops) at -O2.
PART_FLAGS = (("-O1",), ("-O2",))
_SIGNATURE = (
    "(long nb, const double *restrict q, const double *restrict dq, "
    "const double *restrict u, const double *restrict p, double *restrict out)"
)


def compiler() -> str | None:
    """Path of the C compiler to use (``$CC``, else cc/gcc/clang), or None."""
    for cand in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    return None


# Finiteness as integer tests on the exponent bits: branch-free and vectorisable.
# sin/cos: fdlibm's kernel polynomials on [-pi/4, pi/4] after a three-part Cody-Waite
# reduction by k pi/2, inlined and branch-free (libm's sincos costs ~15 ns, a third of
# a 7-joint Jacobian); within 1.2e-16 of libm for |x| < 1e5. A batch holding any
# larger angle uses libm throughout (``big``, one predictable branch).
_PRELUDE = (
    "#include <math.h>",
    "#include <stdint.h>",
    "#include <string.h>",
    "/* exponent bits all ones iff adding 2^52 to them carries into the sign bit: only",
    "   and/add/or, which compilers vectorise (the output check spans a whole batch) */",
    "static int nonfinite(const double *x, long n) {",
    "    uint64_t bad = 0;",
    "    for (long i = 0; i < n; ++i) {",
    "        uint64_t u;",
    "        memcpy(&u, x + i, sizeof u);",
    "        bad |= (u & 0x7ff0000000000000ULL) + 0x0010000000000000ULL;",
    "    }",
    "    return (int)(bad >> 63);",
    "}",
    "static int beyond(const double *x, long n) { /* any |x| >= 1e5: libm's sin/cos */",
    "    int big = 0;",
    "    for (long i = 0; i < n; ++i) big |= !(fabs(x[i]) < 1e5);",
    "    return big;",
    "}",
    "static inline double armjac_ksin(double r, double z) {",
    "    return r + r * z * (-1.66666666666666324348e-01 + z * (8.33333333332248946124e-03",
    "        + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06",
    "        + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))));",
    "}",
    "static inline double armjac_kcos(double z) {",
    "    double hz = 0.5 * z, w = 1.0 - hz;",
    "    double p = z * z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03",
    "        + z * (2.48015872894767294178e-05 + z * (-2.75573143513906633035e-07",
    "        + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));",
    "    return w + (((1.0 - w) - hz) + p);",
    "}",
    "static inline double armjac_reduce(double x, int64_t *quadrant) {",
    "    const double magic = 6755399441055744.0; /* 1.5 * 2^52: rounds to an integer */",
    "    double k = (x * 6.36619772367581382433e-01 + magic) - magic;",
    "    *quadrant = (int64_t)k;",
    "    return ((x - k * 1.57079632673412561417e+00) - k * 6.07710050630396597660e-11)",
    "           - k * 2.02226624879595063154e-21;",
    "}",
    "/* (negate ? -1 : 1) * (take_b ? b : a), exactly and without branches */",
    "static inline double armjac_pick(double a, double b, int64_t take_b, int64_t negate) {",
    "    uint64_t ua, ub, u;",
    "    memcpy(&ua, &a, sizeof ua);",
    "    memcpy(&ub, &b, sizeof ub);",
    "    uint64_t m = (uint64_t)0 - (uint64_t)(take_b & 1);",
    "    u = ((ua & ~m) | (ub & m)) ^ ((uint64_t)(negate & 1) << 63);",
    "    double r;",
    "    memcpy(&r, &u, sizeof r);",
    "    return r;",
    "}",
    "static inline double armjac_sin(double x, int big) {",
    "    if (big) return sin(x);",
    "    int64_t n;",
    "    double r = armjac_reduce(x, &n), z = r * r;",
    "    return armjac_pick(armjac_ksin(r, z), armjac_kcos(z), n, n >> 1);",
    "}",
    "static inline double armjac_sqrt(double x) { return sqrt(x); }",
    "static inline double armjac_cos(double x, int big) { /* sin of the next quadrant */",
    "    if (big) return cos(x);",
    "    int64_t n;",
    "    double r = armjac_reduce(x, &n), z = r * r;",
    "    return armjac_pick(armjac_ksin(r, z), armjac_kcos(z), n + 1, (n + 1) >> 1);",
    "}",
    "",
)


INLINE_MAX = 150  # kernels needing more steps than this share chunk functions
CHUNK = 120  # steps per chunk function: register allocation grows faster than size
_NAME = re.compile(r"\b(v|dq|q|u)(\d+)\b|\b(p[xyz]|pk\d+)\b")


def source(
    kernels: Sequence[Lowered],
    dof: int,
    *,
    prefix: str = "",
    static: bool = False,
    parts: int = PARTS,
    vectors: bool = True,
    inline_max: int | None = INLINE_MAX,
) -> str:
    """C99 source defining one batched function per kernel. It returns 1, 2 or 4
    for a non-finite q, dq or u and 3 for a non-finite result (overflow).

    Small kernels are straight-line code in registers; those whose spec asks
    for it get a lanes-at-a-time batch loop (``vectors``, :mod:`armjac.codegen.simd`)
    before the scalar one.
    Large ones share their steps: the union of their steps is cut into chunk
    functions that write to a stack array, each compiled once and called by
    every large kernel that needs it, which keeps compile time about linear in
    the number of steps. With ``parts`` 2 the chunks are ``ARMJAC_PART`` 0 and the
    kernels 1, compiled in parallel with their own flags (``PART_FLAGS``).
    ``prefix`` goes before every function name, and ``static`` makes them
    file-local; ``inline_max`` None keeps
    every kernel in registers (for :mod:`armjac.codegen.export`: 1.4-1.6x faster
    dynamics, at about twice the compile time).
    """
    big = [k for k in kernels if inline_max is not None and len(k.temporaries) > inline_max]
    shared = {name: expr for k in big for name, expr in k.temporaries}
    chunks = _chunks(big)
    order = [n for names in chunks for n in names]
    slot = {n: i for i, n in enumerate(order)}
    chunk_of = {n: c for c, names in enumerate(chunks) for n in names}

    def mem(text: str) -> str:
        def repl(m):
            if m.group(3):
                return f"p[{input_index(m.group(3))[1]}]"
            kind, idx = m.group(1), m.group(2)
            return f"v[{slot[kind + idx]}]" if kind == "v" else f"{kind}[{idx}]"

        return _NAME.sub(repl, text)

    storage = "static " if static else ""
    lines = ["/* Generated by armjac. */", *_PRELUDE, *(simd.prelude() if vectors else ())]
    if big:
        lines.append(f"static const double ZEROS[{dof}] = {{0}};")
    args = (
        "(const double *restrict q, const double *restrict dq, const double *restrict u, "
        "const double *restrict p, double *restrict v, int big)"
    )
    for c in range(len(chunks)):
        lines.append(f"{storage}void {prefix}armjac_chunk{c}{args};")
    units = [("chunk", c, len(names)) for c, names in enumerate(chunks)]
    units += [("kernel", k, 0) for k in kernels]
    where = [int(kind == "kernel") if parts > 1 else 0 for kind, _, _ in units]
    for (kind, item, _), part in zip(units, where, strict=True):
        if parts > 1:
            lines.append(f"#if ARMJAC_PART == {part}")
        if kind == "chunk":
            lines.append(f"{storage}void {prefix}armjac_chunk{item}{args} {{")
            lines.append("    (void)q; (void)dq; (void)u; (void)p; (void)big;")
            lines += [f"    v[{slot[n]}] = {mem(_call(shared[n]))};" for n in chunks[item]]
            lines.append("}")
        else:
            head = f"{storage}int {prefix}{item.spec.name}{_SIGNATURE}"
            chunked = item in big
            lines += _kernel_lines(
                item, dof, head, chunked, chunk_of, mem, len(order), prefix, vectors
            )
        if parts > 1:
            lines.append("#endif")
        lines.append("")
    return "\n".join(lines)


def _chunks(big: Sequence[Lowered]) -> list[list[str]]:
    """The shared steps of the large kernels cut into chunks, each chunk needed by
    exactly the same kernels, so a kernel computes no step it does not use (and
    reads nothing another kernel's chunk would have written). A step's inputs are
    needed by every kernel that needs the step, so grouping the kernel sets from
    largest to smallest keeps every step after its inputs."""
    users: dict[str, set[int]] = {}
    for i, k in enumerate(big):
        for name, _ in k.temporaries:
            users.setdefault(name, set()).add(i)
    groups: dict[tuple[int, ...], list[str]] = {}
    for name in sorted(users, key=lambda n: int(n[1:])):
        groups.setdefault(tuple(sorted(users[name])), []).append(name)
    out = []
    for key in sorted(groups, key=lambda g: (-len(g), g)):
        names = groups[key]
        out += [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
    return out


def _kernel_lines(
    k: Lowered,
    dof: int,
    head: str,
    chunked: bool,
    chunk_of,
    mem,
    slots: int,
    prefix: str,
    vectors: bool,
) -> list[str]:
    """One kernel: input checks over the whole batch, the vector loop (small
    kernels), the per-sample loop for the rest, then one finiteness check of all
    outputs (kept out of the loops so they stay branch-free)."""
    size = k.spec.size
    uses_dq, uses_u = uses(k, "dq"), uses(k, "u")
    lines = [f"{head} {{", "    (void)dq; (void)u; (void)p;"]
    lines.append(f"    if (nonfinite(q, nb * {dof})) return 1;")
    if uses_dq:
        lines.append(f"    if (nonfinite(dq, nb * {dof})) return 2;")
    if uses_u:
        lines.append(f"    if (nonfinite(u, nb * {dof})) return 4;")
    lines.append(f"    const int big = beyond(q, nb * {dof});")
    lines.append("    long b = 0;")
    if chunked:
        lines.append(f"    double v[{slots}];")
    elif vectors and k.spec.lanes:
        lines += simd.vector_loop(k, dof, size)
    lines.append("    for (; b < nb; ++b) {")
    lines.append(f"        const double *qb = q + b * {dof};")
    if uses_dq:
        lines.append(f"        const double *dqb = dq + b * {dof};")
    elif chunked:  # shared chunks may also compute steps of dq
        lines.append("        const double *dqb = ZEROS;")
    if uses_u:
        lines.append(f"        const double *ub = u + b * {dof};")
    elif chunked:
        lines.append("        const double *ub = ZEROS;")
    lines.append(f"        double *o = out + b * {size};")
    if chunked:
        needed = sorted({chunk_of[name] for name, _ in k.temporaries})
        lines += [f"        {prefix}armjac_chunk{c}(qb, dqb, ub, p, v, big);" for c in needed]
        # per-sample pointers: q[i] -> qb[i], dq[i] -> dqb[i], u[i] -> ub[i]
        outputs = [_per_sample(mem(e)) for e in k.outputs]
    else:
        for name in sorted(k.inputs):
            arr, idx = input_index(name)
            base = {"q": "qb", "dq": "dqb", "u": "ub", "p": "p"}[arr]
            lines.append(f"        const double {name} = {base}[{idx}];")
        lines += [f"        const double {sym} = {_call(expr)};" for sym, expr in k.temporaries]
        outputs = k.outputs
    lines += [f"        o[{i}] = {e};" for i, e in enumerate(outputs)]
    lines.append("    }")
    lines.append(f"    if (nonfinite(out, nb * {size})) return 3;")
    lines += ["    return 0;", "}"]
    return lines


def uses(k: Lowered, arr: str) -> bool:
    """Whether kernel ``k`` reads the input array ``arr`` (``"dq"`` or ``"u"``)."""
    return any(input_index(n)[0] == arr for n in k.inputs)


_ARRAY = re.compile(r"\b(q|dq|u)\[")


def _per_sample(text: str) -> str:
    """``q[i]`` -> ``qb[i]`` and so on: a batch kernel reads sample b's rows."""
    return _ARRAY.sub(lambda m: f"{m.group(1)}b[", text)


def _call(expr: str) -> str:
    """Pass the batch's ``big`` flag to the inlined sin/cos."""
    if expr.startswith(("armjac_sin(", "armjac_cos(")):
        return expr[:-1] + ", big)"
    return expr


@functools.cache
def native_flags(cc: str) -> tuple[str, ...]:
    """``(-march=native,)`` when ``cc`` takes it (GCC and Clang on x86 and most ARM),
    else nothing: the portable build (SSE2 lanes on x86-64, scalar elsewhere)."""
    if os.environ.get("ARMJAC_NATIVE", "").lower() in ("0", "off", "no", "false"):
        return ()
    probe = subprocess.run(
        [cc, NATIVE, "-x", "c", "-c", "-o", os.devnull, "-"],
        input="int x;\n",
        capture_output=True,
        text=True,
    )
    return (NATIVE,) if probe.returncode == 0 else ()


@functools.cache
def host_tag() -> str:
    """What a kernel built with native flags depends on: the machine and its CPU
    features (part of the cache key, so a shared cache never runs another CPU's code)."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features", "model name")):
                    flags += line
                if line.strip() == "":
                    break  # the first processor says it
    except OSError:
        flags = platform.processor()
    native = os.environ.get("ARMJAC_NATIVE", "")
    return hashlib.sha256(f"{platform.machine()}|{native}|{flags}".encode()).hexdigest()[:16]


def build(src_path: str, so_path: str) -> None:
    """Compile ``src_path`` into the shared library ``so_path``, its parts in parallel."""
    cc = compiler()
    if cc is None:
        raise CacheError("no C compiler found (set $CC or install gcc)")
    objs = [f"{so_path}.{i}.o" for i in range(PARTS)]
    flags = [f for f in CFLAGS if f != "-shared"] + list(native_flags(cc))
    cmds = [
        [cc, *flags, *PART_FLAGS[i], f"-DARMJAC_PART={i}", "-c", "-o", o, src_path]
        for i, o in enumerate(objs)
    ]
    procs = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds
    ]
    for cmd, proc in zip(cmds, procs, strict=True):
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise CacheError(f"C compilation failed ({' '.join(cmd)}):\n{err[-2000:]}")
    cmd = [cc, "-shared", "-o", so_path, *objs, "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for o in objs:
        os.remove(o)
    if proc.returncode != 0:
        raise CacheError(f"linking kernels failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")


def dispatcher_name() -> str:
    """File name of the dispatcher extension for this interpreter."""
    return f"armjac_dispatch{sysconfig.get_config_var('EXT_SUFFIX')}"


def build_dispatcher(folder: Path) -> None:
    """Compile the CPython extension that calls kernels without ctypes."""
    cc = compiler()
    if cc is None:
        raise CacheError("no C compiler found")
    src = Path(__file__).with_name("dispatch.c")
    includes = [f"-I{sysconfig.get_paths()['include']}", f"-I{np.get_include()}"]
    cmd = [cc, "-O2", *CFLAGS, *includes, "-o", str(folder / dispatcher_name()), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CacheError(f"building the kernel dispatcher failed:\n{proc.stderr[-2000:]}")


def load_dispatcher(folder: Path):
    """Import the dispatcher extension built in ``folder``; returns its Kernel type."""
    target = folder / dispatcher_name()
    loader = importlib.machinery.ExtensionFileLoader("armjac_dispatch", str(target))
    spec = importlib.util.spec_from_file_location("armjac_dispatch", target, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.Kernel


class CKernel:
    """One compiled kernel called through ctypes (used when the dispatcher
    extension is unavailable); see :mod:`armjac.codegen.kernel` for the
    convention. Every call converts its arguments first, so any layout works."""

    __slots__ = ("name", "shape", "_fn", "_prepare", "_fail", "_extra")

    def __init__(self, fn, name: str, shape: tuple[int, ...], prepare, fail, extra=None):
        fn.restype = ctypes.c_int
        fn.argtypes = (ctypes.c_long,) + (ctypes.c_void_p,) * 5
        self.name, self.shape, self._fn = name, shape, fn
        self._prepare, self._fail, self._extra = prepare, fail, extra

    def __call__(self, q, dq, p, out, u=None) -> np.ndarray:
        q, dq, p, out, u = self._prepare(q, dq, p, out, u)
        full = with_extra(p, self._extra)
        nb = 1 if q.ndim == 1 else q.shape[0]
        rc = self._fn(
            nb,
            q.ctypes.data,
            None if dq is None else dq.ctypes.data,
            None if u is None else u.ctypes.data,
            full.ctypes.data,
            out.ctypes.data,
        )
        if rc:
            self._fail(rc, q, dq, u)
        return out


ORIGIN = np.zeros(3)


def with_extra(p: np.ndarray | None, extra: np.ndarray | None) -> np.ndarray:
    """The array a kernel reads as ``p``: the point (origin if None), then an
    adjusted arm's extra numbers."""
    p = ORIGIN if p is None else p
    return p if extra is None else np.concatenate([p, extra])


def load(
    so_path: str,
    kernels: dict[str, tuple[int, ...]],
    dof: int,
    needs: dict[str, tuple[bool, bool]],
    owner: str = "",
    dispatch=None,
    extra: np.ndarray | None = None,
) -> dict:
    """Open the built library and wrap each named kernel (``kernels``: name -> shape;
    ``needs``: name -> whether it reads dq and u); ``extra`` are the numbers an
    adjusted arm's kernels read after the point."""
    try:
        lib = ctypes.CDLL(os.path.abspath(so_path))
    except OSError as exc:
        raise CacheError(f"cannot load compiled kernels {so_path}: {exc}") from None
    out = {}
    for name, shape in kernels.items():
        fn = getattr(lib, name)
        prepare = preparer(dof, shape, owner, name, *needs[name])
        if dispatch is not None:
            addr = ctypes.cast(fn, ctypes.c_void_p).value
            out[name] = dispatch(addr, dof, *needs[name], shape, prepare, failer(name), extra)
        else:
            out[name] = CKernel(fn, name, shape, prepare, failer(name), extra)
    return out
