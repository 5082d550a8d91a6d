"""Random serial-chain URDFs for tests: mixed axes, rpy offsets, fixed joints,
one prismatic joint and a movable side branch, with physical inertials on every
link (PyBullet would otherwise invent them)."""

from __future__ import annotations

import numpy as np


def _vec(v) -> str:
    return " ".join(f"{x:.17g}" for x in v)


def _inertial(rng: np.random.Generator, full: bool = False) -> str:
    """A physical inertial; ``full`` writes a non-diagonal tensor in an unrotated frame."""
    mass = rng.uniform(0.5, 2.0)
    com = rng.uniform(-0.1, 0.1, 3)
    rpy = np.zeros(3) if full else rng.uniform(-np.pi, np.pi, 3)
    # Principal moments within a factor of two satisfy the triangle inequality.
    moments = rng.uniform(0.01, 0.02, 3)
    if full:  # the same tensor seen from a random rotation: off-diagonal terms
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        t = q @ np.diag(moments) @ q.T
    else:
        t = np.diag(moments)
    return (
        f'<inertial><origin xyz="{_vec(com)}" rpy="{_vec(rpy)}"/><mass value="{mass:.17g}"/>'
        f'<inertia ixx="{t[0, 0]:.17g}" ixy="{t[0, 1]:.17g}" ixz="{t[0, 2]:.17g}" '
        f'iyy="{t[1, 1]:.17g}" iyz="{t[1, 2]:.17g}" izz="{t[2, 2]:.17g}"/></inertial>'
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


def _noisy_axis(rng: np.random.Generator) -> np.ndarray:
    """A coordinate axis with float noise, as exported URDFs write them (0 1 6.1e-17)."""
    a = np.zeros(3)
    a[rng.integers(3)] = rng.choice([-1.0, 1.0])
    return a + rng.choice([0.0, 6.12323e-17, -1.2246e-16], 3) * (a == 0)


def general_chain_urdf(seed: int, n_movable: int = 10, prismatic_at: int = 4) -> str:
    """URDF text of an exported-looking chain ending in link ``ee``: general rpy at
    every joint rounded to 4 decimals (so no angle is an exact right angle), axes
    with float noise, non-diagonal inertias, and one prismatic joint."""
    rng = np.random.default_rng(seed)
    parts = [
        f'<robot name="general_chain_{seed}">',
        f'<link name="base">{_inertial(rng, True)}</link>',
    ]
    parent = "base"
    for k in range(n_movable):
        child = f"link{k}"
        jtype = "prismatic" if k == prismatic_at else "revolute"
        rpy = np.round(rng.uniform(-np.pi, np.pi, 3), 4)
        if k % 3 == 0:  # rounded right angles: 1.5708 is not pi/2
            rpy = np.round(rng.choice([0.0, np.pi / 2, -np.pi / 2, np.pi], 3), 4)
        lim = "-0.2" if jtype == "prismatic" else "-2.5"
        parts.append(
            f'<joint name="j{k}" type="{jtype}"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{_vec(np.round(rng.uniform(-0.3, 0.3, 3), 4))}" rpy="{_vec(rpy)}"/>'
            f'<axis xyz="{_vec(_noisy_axis(rng))}"/>'
            f'<limit lower="{lim}" upper="{lim[1:]}" effort="100" velocity="2"/></joint>'
        )
        parts.append(f'<link name="{child}">{_inertial(rng, True)}</link>')
        parent = child
    parts.append(
        f'<joint name="ee_joint" type="fixed"><parent link="{parent}"/><child link="ee"/>'
        f'<origin xyz="0.05 0.02 0.1" rpy="0.1234 -0.5678 0.9012"/></joint>'
    )
    parts.append(f'<link name="ee">{_inertial(rng, True)}</link>')
    parts.append("</robot>")
    return "\n".join(parts)
