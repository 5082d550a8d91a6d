"""``armjac jacobian SOURCE --q ...``: print J (and the pose) at one configuration.

SOURCE is an arm (bundled name, URDF or YAML) or a saved learned-model folder.
"""

from __future__ import annotations

from pathlib import Path

from armjac.cli.common import format_matrix, parse_vector


def register(sub) -> None:
    p = sub.add_parser("jacobian", help="print the Jacobian at a configuration")
    p.add_argument("source", help="arm name / URDF / YAML, or a learned model folder")
    p.add_argument("--q", nargs="+", help="joint values (default: the arm's home posture)")
    p.add_argument("--link", help="link (default: end effector)")
    p.add_argument("--point", nargs="+", help="offset in the link frame, 3 numbers")
    p.set_defaults(func=run)


def load_source(source: str):
    """An object with the numeric API: a model folder or ``KIND:ARG`` (see
    :mod:`armjac.sources`), else an analytic arm."""
    from armjac.adapt import spec as _adapt  # noqa: F401 (registers the adapt: kind)
    from armjac.sources import make_source, source_kinds

    if Path(source).is_dir() or source.partition(":")[0] in source_kinds():
        return make_source(source)
    from armjac.arm import load_arm

    return load_arm(source)


def run(args) -> int:
    src = load_source(args.source)
    q = parse_vector(args.q) if args.q else src.home
    kwargs = {}
    if args.link:
        kwargs["link"] = args.link
    if args.point:
        kwargs["point"] = parse_vector(args.point, "point")
    jac = src.jacobian(q, **kwargs)
    print(f"{src!r} at q = {format_matrix(q)}")
    print(f"J ({jac.shape[0]}x{jac.shape[1]}):")
    print(format_matrix(jac))
    return 0
