"""``armjac info ARM``: joints, links, limits and the end effector."""

from __future__ import annotations

import numpy as np

from armjac.cli.common import print_table


def register(sub) -> None:
    p = sub.add_parser("info", help="show an arm's joints, links, limits and end effector")
    p.add_argument("arm", help="bundled name (kuka_iiwa, ...), URDF path or arm YAML")
    p.add_argument("--ee-link", help="override the end-effector link")
    p.set_defaults(func=run)


def run(args) -> int:
    from armjac.arm import load_arm
    from armjac.model.registry import bundled_arms

    kwargs = {"ee_link": args.ee_link} if args.ee_link else {}
    arm = load_arm(args.arm, **kwargs)
    print(f"{arm.name}: dof={arm.dof}, end effector {arm.ee_link!r}, root {arm.model.root!r}")
    print(f"URDF: {arm.urdf_path}")
    rows = []
    for j, (lo, hi), eff, home in zip(
        arm.joints, arm.joint_limits, arm.effort_limits, arm.home, strict=True
    ):
        rows.append(
            {
                "joint": j.name,
                "type": j.type,
                "axis": str(np.round(j.axis, 3)),
                "lower": float(lo),
                "upper": float(hi),
                "effort": float(eff),
                "home": float(home),
            }
        )
    print_table(rows)
    print(f"links: {', '.join(arm.link_names)}")
    print(f"bundled arms: {', '.join(bundled_arms())}")
    return 0
