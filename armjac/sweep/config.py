"""Sweep configuration: a base config, the axes to vary, and the grid of jobs they make.

A sweep file (``configs/sweeps/*.yaml``)::

    name: reach_gains
    job: scenario              # a registered job kind (armjac.sweep.jobs.JOBS)
    base: reach                # that kind's config: bundled name, path, or inline mapping
    set: {duration: 1.5}       # fixed overrides of the base (dotted keys)
    axes:                      # one job per point of the grid
      controller.kp: [300, 600]              # a list
      task.segment_time: {range: [1.0, 2.0, 0.5]}   # start, stop (exclusive), step
      controller.kv: {linspace: [10, 40, 4]}        # first, last, count
      seed: {seeds: 4}                       # 0, 1, 2, 3 (or {seeds: [first, count]})
    grid: product              # or zip (axes of equal length, taken side by side)
    resources: {num_cpus: 1, num_gpus: auto}
    timeout_s: 7200            # a job running longer is stopped and recorded as failed
    summary: {metrics: [position_rmse_m], group_by: controller.kp}

Every problem is a :class:`~armjac.errors.ConfigError` naming the file and key.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from armjac import configs
from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.validation import excerpt

TOP_KEYS = {
    "name", "description", "job", "base", "set", "axes", "grid", "resources", "summary",
    "timeout_s",
}  # fmt: skip
RESOURCE_KEYS = {"num_cpus", "num_gpus"}
SUMMARY_KEYS = {"metrics", "group_by"}
GRIDS = ("product", "zip")
MAX_JOBS = 100_000  # a typo in a range should fail here, not fill a disk
# Values (numbers, strings, lists, mappings) in a sweep file: a YAML alias bomb
# expands to billions; it is refused before anything copies, hashes or prints it.
MAX_NODES = 1_000_000
DEFAULT_TIMEOUT = 7200.0  # s per job: a hanging job never holds a sweep for ever
MAX_TIMEOUT = 30 * 86400.0


@dataclass(frozen=True)
class Job:
    """One point of the grid: a fully resolved config for one job kind.

    ``key`` names its cached result (a hash of kind, config, armjac version and
    the kind's source code); ``seed`` (from the config alone) seeds the global
    random generators of the process that runs it.
    """

    index: int
    kind: str
    point: dict
    config: dict
    key: str
    seed: int


@dataclass
class SweepConfig:
    """A validated sweep file."""

    name: str
    kind: str
    base: dict
    axes: dict[str, list]
    source_path: str
    grid: str = "product"
    description: str = ""
    num_cpus: float = 1.0
    num_gpus: float | str = "auto"
    metrics: list[str] | None = None
    group_by: str | None = None
    fixed: dict = field(default_factory=dict)
    timeout_s: float | None = DEFAULT_TIMEOUT

    def points(self) -> list[dict]:
        """The grid: one ``{axis: value}`` per job, in a stable order."""
        names = list(self.axes)
        if not names:
            return [{}]
        values = [self.axes[n] for n in names]
        combos = zip(*values, strict=True) if self.grid == "zip" else itertools.product(*values)
        return [dict(zip(names, c, strict=True)) for c in combos]

    def jobs(self) -> list[Job]:
        """Every job of the sweep, each config validated by its kind."""
        from armjac.sweep.jobs import get_kind
        from armjac.sweep.keys import job_key, job_seed

        kind = get_kind(self.kind)
        out = []
        for i, point in enumerate(self.points()):
            cfg = copy.deepcopy(self.base)
            for dotted, value in {**self.fixed, **point}.items():
                set_dotted(cfg, dotted, value, self.source_path)
            where = f"{self.source_path}: job {i} ({format_point(point)})"
            _kind_call(kind, f"check job {i}", kind.validate, cfg, where)
            out.append(Job(i, self.kind, point, cfg, job_key(kind, cfg), job_seed(cfg)))
        return out


def _kind_call(kind, what: str, fn, *args):
    """``fn(*args)`` of a job kind; what it raises other than a ConfigError becomes one.

    A kind from outside armjac may fail in any way on a config it cannot read.
    """
    try:
        return fn(*args)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"job kind {kind.name!r} could not {what}: {type(exc).__name__}: "
                          f"{excerpt(str(exc), 300)}") from None  # fmt: skip


def format_point(point: dict) -> str:
    """``"controller.kp=300, seed=1"`` (``"base"`` for the empty point)."""
    return ", ".join(f"{k}={label(v)}" for k, v in point.items()) or "base"


LABEL_CHARS = 200


def label(value) -> str:
    """An axis value as text (lists and mappings as compact JSON), at most 200 characters."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 3] + "..."


def check_plain(data, where: str) -> None:
    """Refuse what JSON cannot hold (dates, non-text keys, NaN) and alias bombs.

    A sweep's values become job configs, keys (hashed as JSON) and summary
    files, so each must be a plain JSON value; at most :data:`MAX_NODES` of
    them, counted with every alias expanded.
    """
    count, stack = 0, [(data, "")]
    while stack:
        node, at = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ConfigError(f"{where}: more than {MAX_NODES} values once YAML aliases are "
                              "expanded; a sweep file this large is refused")  # fmt: skip
        name = at or "the sweep"
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise ConfigError(f"{where}: {name}: key {excerpt(k)} is not text")
                stack.append((v, f"{at}.{k}" if at else k))
        elif isinstance(node, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            raise ConfigError(f"{where}: {name}: {node!r} is not a finite number")
        elif node is not None and not isinstance(node, str | int | float | bool):
            raise ConfigError(f"{where}: {name}: {excerpt(node)} ({type(node).__name__}) is "
                              "not a plain value; quote it to make it text")  # fmt: skip


def set_dotted(cfg: dict, dotted: str, value, where: str) -> None:
    """Set ``cfg["a"]["b"] = value`` for ``"a.b"``, creating missing mappings.

    A part that is a number indexes a list (``models.0.train.seed``).
    """
    parts = dotted.split(".")
    node = cfg
    for i, part in enumerate(parts):
        done = ".".join(parts[: i + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{where}: {dotted}: {done}: no item {part} in a list of "
                                  f"{len(node)}")  # fmt: skip
            key = int(part)
        elif isinstance(node, dict):
            key = part
        else:
            up = ".".join(parts[:i])
            raise ConfigError(f"{where}: {dotted}: {up} is {excerpt(node)}, not a mapping or list")
        if i == len(parts) - 1:
            node[key] = copy.deepcopy(value)
            return
        if isinstance(node, dict) and node.get(key) is None:
            node[key] = {}
        node = node[key]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def axis_values(r: Reader, key: str) -> list:
    """An axis as a list: a list, or ``{range: ...}``, ``{linspace: ...}``, ``{seeds: ...}``."""
    v = r.data[key]
    if isinstance(v, list):
        if not v:
            raise r.fail(key, "an axis needs at least one value; got []")
        return v
    if not isinstance(v, dict) or len(v) != 1:
        raise r.fail(
            key, f"must be a list, or one of {{range: [start, stop, step]}}, "
            f"{{linspace: [first, last, count]}}, {{seeds: count}}; got {excerpt(v)}"
        )  # fmt: skip
    (form, arg), sub = next(iter(v.items())), r.child(v, key)
    if form not in ("seeds", "range", "linspace"):
        raise r.fail(key, f"unknown axis form {excerpt(form)}; use range, linspace or seeds")
    if form == "seeds":
        pair = arg if isinstance(arg, list) and len(arg) == 2 else [None, None]
        first, count = (0, arg) if _is_int(arg) else pair
        if not (_is_int(first) and _is_int(count) and count >= 1 and first >= 0):
            raise sub.fail("seeds", f"must be a count >= 1 or [first, count]; got {excerpt(arg)}")
        if count > MAX_JOBS:
            raise sub.fail("seeds", f"makes {count} values, more than {MAX_JOBS}")
        if first + count - 1 > configs.MAX_SEED:
            raise sub.fail("seeds", f"seeds run up to {first + count - 1}, past {configs.MAX_SEED}")
        return list(range(first, first + count))
    nums = sub.vector(form, 3)
    if form == "range":
        start, stop, step = nums
        if step == 0 or (stop - start) / step <= 0:
            raise sub.fail("range", f"[start, stop, step] makes no values; got {excerpt(arg)}")
        n = math.ceil((stop - start) / step - 1e-9)
        if n > MAX_JOBS:
            raise sub.fail("range", f"makes {n} values, more than {MAX_JOBS}")
        if all(_is_int(x) for x in arg):
            return list(range(int(start), int(stop), int(step)))
        return [round(start + i * step, 12) for i in range(n)]
    first, last, count = nums  # linspace
    if not (count >= 1 and count == int(count)):
        raise sub.fail("linspace", f"count must be an integer >= 1; got {excerpt(arg)}")
    n = int(count)
    if n > MAX_JOBS:
        raise sub.fail("linspace", f"makes {n} values, more than {MAX_JOBS}")
    step = (last - first) / (n - 1) if n > 1 else 0.0
    return [round(first + i * step, 12) for i in range(n)]


def validate(data, path: str, base_dir: Path | None = None) -> SweepConfig:
    """Check a sweep mapping and resolve its base config into a mapping."""
    from armjac.sweep.jobs import get_kind

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a sweep must be a mapping, got {type(data).__name__}")
    check_plain(data, path)
    top = Reader(data, path)
    top.check_keys(TOP_KEYS)
    kind_name = top.string("job", ...)
    try:
        kind = get_kind(kind_name)
    except ConfigError as exc:
        raise top.fail("job", str(exc)) from None
    base_spec = data.get("base")
    if base_spec is None:
        raise top.fail("base", f"is required (a {kind_name} config: name, path or mapping)")
    base = _kind_call(kind, "read its base", kind.load_base, base_spec, base_dir or Path.cwd(),
                      f"{path}: base")  # fmt: skip
    if not isinstance(base, dict):
        raise top.fail("base", f"job kind {kind.name!r} read it as {type(base).__name__}, "
                       "not a mapping")  # fmt: skip
    check_plain(base, f"{path}: base")
    fixed = top.mapping("set").data
    axes_r = top.mapping("axes")
    axes = {k: axis_values(axes_r, k) for k in axes_r.data}
    grid = top.string("grid", "product", choices=GRIDS)
    if grid == "zip" and len({len(v) for v in axes.values()}) > 1:
        sizes = {k: len(v) for k, v in axes.items()}
        raise top.fail("grid", f"zip needs axes of equal length; got {sizes}")
    res = top.mapping("resources")
    res.check_keys(RESOURCE_KEYS)
    gpus = res.data.get("num_gpus", "auto")
    if gpus != "auto":
        gpus = res.number("num_gpus", minimum=0.0)
    summ = top.mapping("summary")
    summ.check_keys(SUMMARY_KEYS)
    metrics = summ.sequence("metrics")
    if metrics is not None and not all(isinstance(m, str) and m for m in metrics):
        raise summ.fail("metrics", f"must be a list of metric names; got {excerpt(metrics)}")
    group_by = summ.string("group_by")
    if group_by is not None and group_by not in axes:
        shown = ", ".join(axes) or "none"
        raise summ.fail("group_by", f"must be one of the axes ({excerpt(shown)}); got "
                        f"{excerpt(group_by)}")
    cfg = SweepConfig(
        name=top.string("name", Path(path).stem),
        kind=kind_name,
        base=base,
        axes=axes,
        source_path=path,
        grid=grid,
        description=top.string("description", ""),
        num_cpus=res.number("num_cpus", 1.0, positive=True),
        num_gpus=gpus,
        metrics=metrics,
        group_by=group_by,
        fixed=dict(fixed),
        timeout_s=_timeout(top),
    )
    sizes = [len(v) for v in axes.values()]
    n = min(sizes, default=1) if grid == "zip" else math.prod(sizes)
    if n > MAX_JOBS:
        raise top.fail("axes", f"make {n} jobs, more than {MAX_JOBS}")
    return cfg


def _timeout(top: Reader) -> float | None:
    """``timeout_s``: seconds > 0, or ``none`` for no limit (default DEFAULT_TIMEOUT)."""
    if top.data.get("timeout_s", 0) in ("none", None) and "timeout_s" in top.data:
        return None
    return top.number("timeout_s", DEFAULT_TIMEOUT, positive=True, maximum=MAX_TIMEOUT)


def bundled_sweeps() -> list[str]:
    """Names of the sweeps shipped in ``configs/sweeps``."""
    return configs.bundled("sweeps")


def load_sweep(spec: str | os.PathLike | dict | SweepConfig) -> SweepConfig:
    """Load and validate a sweep from a bundled name, a YAML path, or a mapping.

    Relative paths inside a sweep file (its base config) are taken from the
    file's folder, then from the working directory.
    """
    if isinstance(spec, SweepConfig):
        return spec
    if isinstance(spec, dict):
        return validate(spec, "<sweep mapping>")
    if not isinstance(spec, str | os.PathLike) or not os.fspath(spec):
        raise ConfigError(f"a sweep is a bundled name, a YAML path or a mapping; got "
                          f"{excerpt(spec)}")  # fmt: skip
    path = configs.resolve(spec, "sweeps", "sweep")
    return validate(configs.read_mapping(path, "sweep"), str(path), path.parent)
