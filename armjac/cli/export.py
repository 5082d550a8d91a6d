"""``armjac export ARM --out DIR``: the arm as standalone C99 (NAME.h, NAME.c)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "export", help="write an arm's kinematics and dynamics as standalone C99 (NAME.h, NAME.c)"
    )
    p.add_argument("arm", help="bundled name (kuka_iiwa, ...), URDF path or arm YAML")
    p.add_argument("--out", required=True, help="folder to write NAME.h and NAME.c into")
    p.add_argument("--name", help="C prefix and file name (default: the arm's name)")
    p.add_argument("--ee-link", help="override the end-effector link")
    p.add_argument("--force", action="store_true", help="replace files armjac did not write")
    p.set_defaults(func=run)


def run(args) -> int:
    from armjac.arm import load_arm
    from armjac.codegen.export import export_c

    kwargs = {"ee_link": args.ee_link} if args.ee_link else {}
    arm = load_arm(args.arm, **kwargs)
    header, source = export_c(arm, args.out, args.name, force=args.force)
    print(f"{arm.name}: dof={arm.dof}, end effector {arm.ee_link!r}")
    print(f"wrote {header}")
    print(f"wrote {source}")
    print(f"build: cc -O2 -std=c99 -I {header.parent} -c {source} (link with -lm)")
    return 0
