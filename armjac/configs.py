"""Bundled YAML configurations: where they live, how a name or a path resolves,
and how a file is read with errors that name it.

``configs/`` sits beside the package in a checkout (armjac is installed
editable); ``$ARMJAC_CONFIG_DIR`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from armjac.errors import ConfigError

CONFIG_DIR = Path(
    os.environ.get("ARMJAC_CONFIG_DIR", Path(__file__).resolve().parents[1] / "configs")
)


def folder(kind: str) -> Path:
    """``configs/<kind>`` (kind: arms, scenarios, learn, compare)."""
    return CONFIG_DIR / kind


def bundled(kind: str) -> list[str]:
    """Names of the YAML files shipped in ``configs/<kind>``."""
    return sorted(p.stem for p in folder(kind).glob("*.yaml"))


def resolve(spec: str | os.PathLike, kind: str, what: str) -> Path:
    """A bundled name (``configs/<kind>/NAME.yaml``) or an existing file path.

    ``what`` names the thing in the error ("scenario", "comparison", ...).
    """
    text = os.fspath(spec)
    path = folder(kind) / f"{text}.yaml"
    if path.is_file():
        return path
    path = Path(text)
    if path.is_file():
        return path
    raise ConfigError(
        f"unknown {what} {text!r}: not a bundled {what} "
        f"({', '.join(bundled(kind)) or 'none'}) nor a path to a YAML file"
    )


def read_mapping(path: str | os.PathLike, what: str) -> dict:
    """Parse a YAML file that must hold a mapping."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {what} must be a mapping, got {type(data).__name__}")
    return data
