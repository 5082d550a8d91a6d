"""Batches evaluated several configurations at a time: structure of arrays.

A batch kernel loads ``ARMJAC_LANES`` configurations into vectors (one vector
per input coordinate: ``q0`` holds joint 0 of every lane), runs its
straight-line code once on the vectors and writes the outputs back per
configuration (groups of LANES outputs transposed by shuffles, one vector store
per configuration). The vectors are GCC/Clang vector extensions, so the same text
compiles to SSE2, AVX or AVX-512 as the build flags allow (``-march=native``
when the compiler takes it); other compilers get ``ARMJAC_LANES`` 1, the
scalar loop. sin and cos are the same fdlibm polynomials and Cody-Waite
reduction as the scalar code, in vector form, and the kernels are built with
``-ffp-contract=off``, so every lane performs exactly the scalar code's
operations: a batch's results are bit for bit the single calls' (tests assert
equality). Batches with an angle beyond 1e5 rad use the scalar loop (libm).
Kernels cut into shared chunks (the large dynamics kernels) keep the scalar
loop: their steps live in a stack array, not in registers.
"""

from __future__ import annotations

import re

from armjac.codegen.kernel import Lowered, input_index

_WIDTHS = (8, 4, 2)


def prelude() -> list[str]:
    """Lane count from the target's vector extensions, the vector types, and
    vector sin/cos (the scalar functions of c_backend lane by lane)."""
    lines = [
        "#ifndef ARMJAC_LANES",
        "#if defined(__GNUC__) && defined(__AVX512F__)",
        "#define ARMJAC_LANES 8",
        "#elif defined(__GNUC__) && defined(__AVX__)",
        "#define ARMJAC_LANES 4",
        "#elif defined(__GNUC__) && (defined(__SSE2__) || defined(__aarch64__))",
        "#define ARMJAC_LANES 2",
        "#else",
        "#define ARMJAC_LANES 1",
        "#endif",
        "#endif",
        "#if ARMJAC_LANES > 1",
        "typedef double armjac_vd __attribute__((vector_size(8 * ARMJAC_LANES)));",
        "typedef uint64_t armjac_vu __attribute__((vector_size(8 * ARMJAC_LANES)));",
    ]
    for i, width in enumerate(_WIDTHS):
        lines.append(f"#{'if' if i == 0 else 'elif'} ARMJAC_LANES == {width}")
        gather = ", ".join(f"(a)[{k} * (s)]" for k in range(width))
        lines.append(f"#define ARMJAC_GATHER(a, s) {{{gather}}}")
        lines.append(f"#define ARMJAC_SPLAT(x) ((armjac_vd){{{', '.join(['(x)'] * width)}}})")
    lines += [
        "#endif",
        *_transposes(),
        "#define ARMJAC_SCATTER(dst, stride, x) do { const armjac_vd r_ = (x); \\",
        "    for (int l_ = 0; l_ < ARMJAC_LANES; ++l_) (dst)[l_ * (stride)] = r_[l_]; } while (0)",
        "static inline armjac_vd armjac_vksin(armjac_vd r, armjac_vd z) {",
        "    return r + r * z * (-1.66666666666666324348e-01 + z * (8.33333333332248946124e-03",
        "        + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06",
        "        + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))));",
        "}",
        "static inline armjac_vd armjac_vkcos(armjac_vd z) {",
        "    armjac_vd hz = 0.5 * z, w = 1.0 - hz;",
        "    armjac_vd p = z * z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03",
        "        + z * (2.48015872894767294178e-05 + z * (-2.75573143513906633035e-07",
        "        + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));",
        "    return w + (((1.0 - w) - hz) + p);",
        "}",
        "/* t = x 2/pi + 1.5 2^52 holds the rounded quotient k in its low bits */",
        "static inline armjac_vd armjac_vreduce(armjac_vd x, armjac_vu *quadrant) {",
        "    const double magic = 6755399441055744.0;",
        "    armjac_vd t = x * 6.36619772367581382433e-01 + magic;",
        "    *quadrant = (armjac_vu)t;",
        "    armjac_vd k = t - magic;",
        "    return ((x - k * 1.57079632673412561417e+00) - k * 6.07710050630396597660e-11)",
        "           - k * 2.02226624879595063154e-21;",
        "}",
        "static inline armjac_vd armjac_vpick(armjac_vd a, armjac_vd b, armjac_vu take_b,",
        "                                     armjac_vu negate) {",
        "    armjac_vu m = (armjac_vu){0} - (take_b & 1);",
        "    armjac_vu u = (((armjac_vu)a & ~m) | ((armjac_vu)b & m)) ^ ((negate & 1) << 63);",
        "    return (armjac_vd)u;",
        "}",
        "static inline armjac_vd armjac_vsin(armjac_vd x) {",
        "    armjac_vu n;",
        "    armjac_vd r = armjac_vreduce(x, &n), z = r * r;",
        "    return armjac_vpick(armjac_vksin(r, z), armjac_vkcos(z), n, n >> 1);",
        "}",
        "static inline armjac_vd armjac_vcos(armjac_vd x) {",
        "    armjac_vu n;",
        "    armjac_vd r = armjac_vreduce(x, &n), z = r * r;",
        "    return armjac_vpick(armjac_vksin(r, z), armjac_vkcos(z), n + 1, (n + 1) >> 1);",
        "}",
        "static inline armjac_vd armjac_vsqrt(armjac_vd x) {",
        "    for (int l = 0; l < ARMJAC_LANES; ++l) x[l] = sqrt(x[l]);",
        "    return x;",
        "}",
        "#endif",
        "",
    ]
    return lines


def _transposes() -> list[str]:
    """``armjac_tstore(dst, stride, r0 .. r{L-1})``: L output vectors (lane l holds
    configuration l) transposed by shuffles, so each configuration's L outputs go to
    memory in one vector store instead of L scalar ones. Where the compiler lacks
    ``__builtin_shufflevector`` (GCC before 12), ``ARMJAC_TRANSPOSE`` is 0 and outputs
    are scattered lane by lane."""
    lines = [
        "#ifndef ARMJAC_TRANSPOSE",
        "#if defined(__has_builtin)",
        "#if __has_builtin(__builtin_shufflevector)",
        "#define ARMJAC_TRANSPOSE 1",
        "#endif",
        "#endif",
        "#endif",
        "#ifndef ARMJAC_TRANSPOSE",
        "#define ARMJAC_TRANSPOSE 0",
        "#endif",
        "#if ARMJAC_TRANSPOSE",
    ]
    for i, width in enumerate(_WIDTHS):
        lines.append(f"#{'if' if i == 0 else 'elif'} ARMJAC_LANES == {width}")
        args = ", ".join(f"armjac_vd r{j}" for j in range(width))
        lines.append(f"static inline void armjac_tstore(double *dst, long stride, {args}) {{")
        b = width // 2
        while b >= 1:  # swap the off-diagonal b x b blocks of every 2b x 2b block
            lines.append("    {")
            for j in (j for j in range(width) if not j & b):
                k = j | b
                lo = [x if not x & b else width + x - b for x in range(width)]
                hi = [x + b if not x & b else width + x for x in range(width)]
                for dst, idx in ((j, lo), (k, hi)):
                    lines.append(
                        f"        const armjac_vd t{dst} = __builtin_shufflevector(r{j}, r{k}, "
                        f"{', '.join(map(str, idx))});"
                    )
            lines += [f"        r{j} = t{j};" for j in range(width)]
            lines.append("    }")
            b //= 2
        lines += [f"    memcpy(dst + {j} * stride, &r{j}, sizeof r{j});" for j in range(width)]
        lines.append("}")
    lines += ["#endif", "#endif"]
    return lines


_VECTOR_NAME = re.compile(r"\b(v|q|dq|u)\d+\b")
_FUNC = re.compile(r"\barmjac_(sin|cos|sqrt)\(")


def _vector(expr: str) -> str:
    """A scalar expression text in vector form: vector sin/cos, scalars broadcast."""
    expr = _FUNC.sub(lambda m: f"armjac_v{m.group(1)}(", expr)
    return expr if _VECTOR_NAME.search(expr) else f"ARMJAC_SPLAT({expr})"


def vector_loop(k: Lowered, dof: int, size: int) -> list[str]:
    """The lanes-at-a-time loop of kernel ``k`` (advancing the batch index ``b``;
    the scalar loop after it finishes the remainder)."""
    bases = {"q": "q", "dq": "dq", "u": "u"}
    lines = [
        "#if ARMJAC_LANES > 1",
        "    if (!big) {",
        "        for (; b + ARMJAC_LANES <= nb; b += ARMJAC_LANES) {",
        f"            double *o = out + b * {size};",
    ]
    for name in sorted(k.inputs):
        arr, idx = input_index(name)
        if arr == "p":
            lines.append(f"            const double {name} = p[{idx}];")
        else:
            src = f"{bases[arr]} + b * {dof} + {idx}"
            lines.append(f"            const armjac_vd {name} = ARMJAC_GATHER({src}, {dof});")
    lines += [f"            const armjac_vd {sym} = {_vector(e)};" for sym, e in k.temporaries]
    lines += _stores(k.outputs, size)
    lines += ["        }", "    }", "#endif"]
    return lines


def _stores(outputs: list[str], size: int) -> list[str]:
    """The outputs to memory: full groups of lanes transposed (``armjac_tstore``),
    the rest (and everything without the transpose) scattered lane by lane."""
    pad = "            "
    scatter = [
        f"{pad}ARMJAC_SCATTER(o + {i}, {size}, {_vector(e)});" for i, e in enumerate(outputs)
    ]
    lines = []
    for i, width in enumerate(_WIDTHS):
        lines.append(f"#{'if' if i == 0 else 'elif'} ARMJAC_TRANSPOSE && ARMJAC_LANES == {width}")
        full = len(outputs) // width * width
        for start in range(0, full, width):
            exprs = ", ".join(_vector(e) for e in outputs[start : start + width])
            lines.append(f"{pad}armjac_tstore(o + {start}, {size}, {exprs});")
        lines += scatter[full:]
    return [*lines, "#else", *scatter, "#endif"]
