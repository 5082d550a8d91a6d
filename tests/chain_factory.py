"""Random serial-chain URDFs for tests: mixed axes, rpy offsets, fixed joints,
one prismatic joint and a movable side branch, with physical inertials on every
link (PyBullet would otherwise invent them)."""

from __future__ import annotations

import numpy as np


def _vec(v) -> str:
    return " ".join(f"{x:.17g}" for x in v)


def _inertial(rng: np.random.Generator) -> str:
    mass = rng.uniform(0.5, 2.0)
    com = rng.uniform(-0.1, 0.1, 3)
    rpy = rng.uniform(-np.pi, np.pi, 3)
    # Principal moments within a factor of two satisfy the triangle inequality.
    ixx, iyy, izz = rng.uniform(0.01, 0.02, 3)
    return (
        f'<inertial><origin xyz="{_vec(com)}" rpy="{_vec(rpy)}"/><mass value="{mass:.17g}"/>'
        f'<inertia ixx="{ixx:.17g}" ixy="0" ixz="0" iyy="{iyy:.17g}" iyz="0" izz="{izz:.17g}"/>'
        "</inertial>"
    )


def _axis(rng: np.random.Generator, k: int) -> np.ndarray:
    if k % 2 == 0:  # coordinate axes, some negative
        a = np.zeros(3)
        a[rng.integers(3)] = rng.choice([-1.0, 1.0])
        return a
    a = rng.normal(size=3)
    return a / np.linalg.norm(a)


def _rpy(rng: np.random.Generator, k: int) -> np.ndarray:
    if k % 3 == 0:  # right angles as URDFs write them
        return rng.choice([0.0, 1.57079632679, -1.57079632679, 3.14159265359], 3)
    return rng.uniform(-np.pi, np.pi, 3)


def random_chain_urdf(seed: int, n_movable: int = 5, prismatic_at: int = 2) -> str:
    """URDF text of a random chain ending in link ``ee``.

    The chain has ``n_movable`` movable joints (joint ``prismatic_at`` is
    prismatic), a fixed joint after every second movable one, and a revolute
    side branch off ``link1`` that is not on the path to ``ee``.
    """
    rng = np.random.default_rng(seed)
    parts = [f'<robot name="random_chain_{seed}">', f'<link name="base">{_inertial(rng)}</link>']
    parent = "base"
    for k in range(n_movable):
        child = f"link{k}"
        jtype = "prismatic" if k == prismatic_at else "revolute"
        lim = (
            '<limit lower="-0.2" upper="0.2" effort="100" velocity="1"/>'
            if jtype == "prismatic"
            else '<limit lower="-2.5" upper="2.5" effort="100" velocity="3"/>'
        )
        parts.append(
            f'<joint name="j{k}" type="{jtype}"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{_vec(rng.uniform(-0.3, 0.3, 3))}" rpy="{_vec(_rpy(rng, k))}"/>'
            f'<axis xyz="{_vec(_axis(rng, k))}"/>{lim}</joint>'
        )
        parts.append(f'<link name="{child}">{_inertial(rng)}</link>')
        parent = child
        if k % 2 == 1:
            fixed = f"fixed{k}"
            parts.append(
                f'<joint name="jf{k}" type="fixed"><parent link="{parent}"/>'
                f'<child link="{fixed}"/><origin xyz="{_vec(rng.uniform(-0.2, 0.2, 3))}" '
                f'rpy="{_vec(_rpy(rng, k + 1))}"/></joint>'
            )
            parts.append(f'<link name="{fixed}">{_inertial(rng)}</link>')
            parent = fixed
    parts.append(
        f'<joint name="ee_joint" type="fixed"><parent link="{parent}"/><child link="ee"/>'
        f'<origin xyz="{_vec(rng.uniform(-0.1, 0.1, 3))}" rpy="0.3 -0.2 0.1"/></joint>'
    )
    parts.append(f'<link name="ee">{_inertial(rng)}</link>')
    parts.append(
        '<joint name="branch" type="revolute"><parent link="link1"/><child link="side"/>'
        '<origin xyz="0.1 0.05 0" rpy="0 0.4 0"/><axis xyz="0 1 0"/>'
        '<limit lower="-1" upper="1" effort="10" velocity="1"/></joint>'
    )
    parts.append(f'<link name="side">{_inertial(rng)}</link>')
    parts.append("</robot>")
    return "\n".join(parts)
