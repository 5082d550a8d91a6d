"""The ``armjac`` command line.

Each sub-command lives in its own module with a ``register(subparsers)``
function; heavy imports (TensorFlow, PyBullet) happen inside the command, so
``armjac info`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from armjac.errors import ArmjacError
from armjac.extras import MissingExtraError

COMMANDS = ("info", "jacobian", "export", "sim", "train", "compare", "demo", "collect", "sweep")


def build_parser() -> argparse.ArgumentParser:
    """The ``armjac`` parser, with a sub-command for each command module in this build.

    A missing command module is skipped; a command module that fails to import
    for another reason raises ``ModuleNotFoundError``.
    """
    parser = argparse.ArgumentParser(
        prog="armjac", description="Manipulator Jacobians for force control."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"armjac.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"armjac.cli.{name}":
                raise
            continue  # command not part of this build
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``armjac`` command line on ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The command's exit status; 2 after an :class:`~armjac.errors.ArmjacError`
        or a :class:`~armjac.extras.MissingExtraError` (its message printed to
        stderr), 130 on Ctrl-C.
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ArmjacError, MissingExtraError) as exc:
        print(f"armjac {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # ``armjac info ARM | head``: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # keeps the exit-time flush quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
