"""Bundled YAML configurations: where they live, how a name or a path resolves,
how a file is read, how configs are merged, and how their mappings are
validated (:class:`Reader`) with errors that name the file and the dotted key.

The bundled configs come from the repository's ``configs/`` folder. A wheel
carries them as ``armjac/_configs`` (copied at build time, see ``setup.py``);
a checkout or an editable install reads ``configs/`` beside the package.
``$ARMJAC_CONFIG_DIR`` points elsewhere; it is read at every call, not once.
"""

from __future__ import annotations

import copy
import math
import os
from importlib import resources
from pathlib import Path

import yaml

from armjac.errors import ConfigError
from armjac.validation import excerpt

# What a config may ask for: a value beyond these is refused with a clear
# ConfigError instead of a MemoryError (or hours of work) later on.
MAX_SEED = 2**32 - 1  # numpy and TensorFlow seeds: 0 .. 2**32 - 1
MAX_STEPS = 1_000_000  # control steps of one simulation (duration / dt): 1000 s at 1 kHz
MIN_DT = 1e-5  # s, the shortest control period
MAX_DT = 0.1  # s, the longest
MAX_DURATION = 3600.0  # s of simulated time
MAX_SAMPLES = 2_000_000  # configurations in one data set or split
MAX_NEURONS = 100_000  # neurons in one ensemble
MAX_DIMENSIONS = 10_000  # dimensions represented by one ensemble
MAX_EPOCHS = 100_000
MAX_CONFIG_BYTES = 4 * 2**20  # a YAML config file

ENV = "ARMJAC_CONFIG_DIR"
KINDS = ("arms", "scenarios", "learn", "compare", "mismatch", "sweeps")


def root() -> Path:
    """The folder holding ``arms/``, ``scenarios/``, ``learn/`` and ``compare/``.

    ``$ARMJAC_CONFIG_DIR`` if set, else the configs shipped in the package
    (``armjac/_configs``), else the checkout's ``configs/``.
    """
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    shipped = Path(str(resources.files("armjac").joinpath("_configs")))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[1] / "configs"


def folder(kind: str) -> Path:
    """``<root>/<kind>`` (kind: arms, scenarios, learn, compare)."""
    if kind not in KINDS:
        raise ValueError(f"unknown config kind {kind!r}; use {', '.join(KINDS)}")
    return root() / kind


def bundled(kind: str) -> list[str]:
    """Names of the YAML files shipped in ``configs/<kind>``."""
    return sorted(p.stem for p in folder(kind).glob("*.yaml"))


def bundled_path(kind: str, name: str | os.PathLike) -> Path | None:
    """``configs/<kind>/NAME.yaml`` if ``name`` is a bundled config, else None."""
    text = os.fspath(name)
    if not text or "/" in text or os.sep in text:
        return None
    path = folder(kind) / f"{text}.yaml"
    return path if path.is_file() else None


def resolve(spec: str | os.PathLike, kind: str, what: str, base: Path | None = None) -> Path:
    """A bundled name (``configs/<kind>/NAME.yaml``) or an existing file path.

    ``what`` names the thing in the error ("scenario", "comparison", ...); a
    relative path is also looked for under ``base`` (the folder of the file
    that refers to it).
    """
    path = bundled_path(kind, spec)
    if path is not None:
        return path
    text = os.fspath(spec)
    for candidate in (Path(text), *(() if base is None else (base / text,))):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"unknown {what} {text!r}: not a bundled {what} "
        f"({', '.join(bundled(kind)) or 'none'}) nor a path to a YAML file"
    )


def deep_merge(base: dict, over: dict) -> dict:
    """A copy of ``base`` updated by ``over``, mapping by mapping (``over`` wins).

    >>> deep_merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}, "b": 4})
    {'a': {'x': 1, 'y': 3}, 'b': 4}
    """
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_mapping(path: str | os.PathLike, what: str) -> dict:
    """Parse a YAML file that must hold a mapping."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: a {what} of {size} bytes is too large (at most {MAX_CONFIG_BYTES} bytes)"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: a {what} must be UTF-8 text ({exc})") from None
    return parse_mapping(text, str(path), what)


# libyaml's safe loader when installed: the same rules, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_mapping(text: str, where: str, what: str) -> dict:
    """Parse YAML ``text`` that must hold a mapping; ``where`` names it in errors.

    Only plain YAML is read (no ``!!python`` tags). Every failure is a
    :class:`~armjac.errors.ConfigError`, including the ``ValueError`` PyYAML
    raises for an impossible date and a nesting too deep to parse.
    """
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ConfigError(f"{where}: malformed YAML ({_bounded(exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a {what} must be a mapping, got {type(data).__name__}")
    return data


def _key(key) -> str:
    """A mapping key for a message: short strings as they are, anything else as an excerpt."""
    return key if isinstance(key, str) and len(key) <= 60 else excerpt(key, 60)


def _bounded(exc: Exception, limit: int = 400) -> str:
    """An exception's message cut to ``limit`` characters."""
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(option) -> str:
    """An option as written in YAML (``true``, not ``True``)."""
    return str(option).lower() if isinstance(option, bool) else str(option)


def _one_of(options) -> str:
    """``"a, b or c"``."""
    shown = [_show(o) for o in options]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def is_number(v) -> bool:
    """Whether ``v`` is a finite real number as YAML gives it (an int or float, not a bool).

    An integer too large for a float (``10**400``) is not: it has no finite float value.
    """
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _text_hint(v) -> str:
    """Why a number came out as text: YAML 1.1 reads ``1e300`` (no dot) as a string."""
    if not isinstance(v, str) or len(v) > 40 or "e" not in v.lower():
        return ""
    try:
        float(v)
    except ValueError:
        return ""
    return " (text: YAML reads a number with an exponent but no dot as text; write 1.0e3, not 1e3)"


class Reader:
    """Typed access to one mapping of a config file, with errors naming file and key.

    Parameters
    ----------
    data : dict
        The mapping to read.
    path : str
        Names the file (or mapping) in error messages.
    prefix : str, optional
        Dotted key of ``data`` inside the file, with a trailing dot
        (``"controller."``); prepended to every key in error messages.

    Notes
    -----
    Getters take a ``default`` returned when the key is absent or null; a
    ``default`` of ``...`` makes the key required. Every problem raises a
    :class:`~armjac.errors.ConfigError` reading ``"<path>: <prefix><key>: <message>"``.
    """

    def __init__(self, data: dict, path: str, prefix: str = ""):
        self.data, self.path, self.prefix = data, path, prefix

    def fail(self, key: str, msg: str) -> ConfigError:
        """A ConfigError about ``key`` (to raise); ``""`` names this mapping itself."""
        name = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        return ConfigError(f"{self.path}: {name}: {msg}")

    def child(self, data: dict, key: str) -> Reader:
        """A reader over ``data``, found at ``key`` below this mapping."""
        return Reader(data, self.path, f"{self.prefix}{key}.")

    def check_keys(self, allowed: set[str]) -> None:
        """Refuse keys outside ``allowed`` (typos would otherwise be ignored)."""
        unknown = sorted((k for k in self.data if k not in allowed), key=str)
        if unknown:
            shown = ", ".join(f"{self.prefix}{_key(k)}" for k in unknown[:10])
            more = f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else ""
            raise ConfigError(
                f"{self.path}: unknown key(s) {shown}{more}; allowed: {', '.join(sorted(allowed))}"
            )

    def _absent(self, key: str, default) -> bool:
        """Whether ``key`` is absent or null; raises if it is required (``default is ...``)."""
        if key in self.data and self.data[key] is not None:
            return False
        if default is ...:
            raise self.fail(key, "is required")
        return True

    def number(
        self, key: str, default=None, *, positive=False, minimum=None, below=None, maximum=None
    ) -> float | None:
        """A finite number: positive, ``>= minimum``, ``< below`` and ``<= maximum`` if asked."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        if not is_number(v):
            raise self.fail(key, f"must be a finite number; got {excerpt(v)}{_text_hint(v)}")
        if positive and v <= 0:
            raise self.fail(key, f"must be positive; got {v!r}")
        if below is not None and not (minimum or 0) <= v < below:
            raise self.fail(key, f"must be a number in [{minimum or 0}, {below}); got {v!r}")
        if minimum is not None and v < minimum:
            raise self.fail(key, f"must be >= {minimum}; got {v!r}")
        if maximum is not None and v > maximum:
            raise self.fail(key, f"must be <= {maximum}; got {v!r}")
        return float(v)

    def integer(
        self, key: str, default=None, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer (booleans refused) in ``[minimum, maximum]`` where given."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        ok = isinstance(v, int) and not isinstance(v, bool)
        if ok and (minimum is None or v >= minimum) and (maximum is None or v <= maximum):
            return v
        rules = [f"{op} {b}" for op, b in ((">=", minimum), ("<=", maximum)) if b is not None]
        rule = f" {' and '.join(rules)}" if rules else ""
        raise self.fail(key, f"must be an integer{rule}; got {excerpt(v)}")

    def seed(self, key: str = "seed", default=0) -> int | None:
        """A random seed: an integer in [0, 2**32 - 1], as numpy and TensorFlow take."""
        return self.integer(key, default, minimum=0, maximum=MAX_SEED)

    def vector(self, key: str, n: int | None = None, default=None) -> list[float] | None:
        """A list of ``n`` finite numbers."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        ok = isinstance(v, list) and all(map(is_number, v))
        if not ok or (n is not None and len(v) != n):
            size = f"{n} " if n else ""
            raise self.fail(key, f"must be a list of {size}finite numbers; got {excerpt(v)}")
        return [float(x) for x in v]

    def vectors(self, key: str, n: int) -> list[list[float]]:
        """A non-empty list of ``n``-number lists."""
        v = self.data.get(key)
        if not isinstance(v, list) or not v:
            raise self.fail(key, f"must be a non-empty list of {n}-number lists; got {excerpt(v)}")
        return [Reader({"i": item}, self.path, f"{self.prefix}{key}[{i}].").vector("i", n)
                for i, item in enumerate(v)]  # fmt: skip

    def string(self, key: str, default=None, choices=None) -> str | None:
        """A non-empty string, one of ``choices`` if given."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        if not isinstance(v, str) or not v:
            raise self.fail(key, f"must be a non-empty string; got {excerpt(v)}")
        if choices is not None and v not in choices:
            raise self.fail(key, f"must be one of {_one_of(choices)}; got {excerpt(v)}")
        return v

    def choice(self, key: str, options, default=None):
        """One of ``options``, which need not be strings (``auto``, ``true``, ...)."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        if v not in options:
            raise self.fail(key, f"must be one of {_one_of(options)}; got {excerpt(v)}")
        return v

    def choices(self, key: str, options, default=None) -> list | None:
        """A list whose every item is one of ``options``."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        if not isinstance(v, list) or any(x not in options for x in v):
            raise self.fail(key, f"must be a list from {list(options)}; got {excerpt(v)}")
        return list(v)

    def flag(self, key: str, default: bool) -> bool:
        """A boolean (``default`` when absent; null is refused, not defaulted)."""
        v = self.data.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false; got {excerpt(v)}")
        return v

    def sequence(self, key: str, default=None, *, nonempty=False) -> list | None:
        """A list of anything, non-empty if asked."""
        if self._absent(key, default):
            return default
        v = self.data[key]
        if not isinstance(v, list) or (nonempty and not v):
            raise self.fail(
                key, f"must be a {'non-empty ' if nonempty else ''}list; got {excerpt(v)}"
            )
        return v

    def mapping(self, key: str) -> Reader:
        """A reader over the sub-mapping ``key`` (empty when absent or null)."""
        v = self.data.get(key)
        if v is None:
            v = {}
        if not isinstance(v, dict):
            raise self.fail(key, f"must be a mapping; got {excerpt(v)}")
        return self.child(v, key)

    def mappings(self, key: str) -> list[Reader]:
        """Readers over a non-empty list of mappings (``key[i].`` in errors)."""
        items = self.sequence(key, ..., nonempty=True)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", f"must be a mapping; got {excerpt(item)}")
        return [self.child(item, f"{key}[{i}]") for i, item in enumerate(items)]
