"""Write the checkout's J, M and g for the core smoke test (``smoke_core.py``).

    python .ci/core_reference.py OUT.json URDF

Run in the development environment; the installed wheel must reproduce these
numbers in a fresh environment without the extras.
"""

import json
import sys

import numpy as np

import armjac

CASES = {"kuka_iiwa": "kuka_iiwa", "urdf": None}  # "urdf" is the path given on the command line


def reference(spec, n: int = 4) -> dict:
    """q, J, M and g of the arm ``spec`` at ``n`` random configurations."""
    arm = armjac.load_arm(spec)
    q = arm.random_q(n, rng=np.random.default_rng(7))
    return {
        "dof": arm.dof,
        "q": q.tolist(),
        "J": arm.jacobian(q).tolist(),
        "M": arm.mass_matrix(q).tolist(),
        "g": arm.gravity(q).tolist(),
    }


def main() -> None:
    out, urdf = sys.argv[1], sys.argv[2]
    data = {name: reference(urdf if spec is None else spec) for name, spec in CASES.items()}
    data["numpy"] = np.__version__
    with open(out, "w") as f:
        json.dump(data, f)


if __name__ == "__main__":
    main()
