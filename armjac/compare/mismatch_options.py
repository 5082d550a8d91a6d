"""The ``mismatch:`` entries of a comparison file: keys, defaults and checks.

Each entry is a spec name or a mapping (see :mod:`armjac.compare.mismatch`);
:func:`parse_section` returns them validated with every default filled in.
"""

from __future__ import annotations

from armjac.compare.adapted import DEFAULT_ADAPT, DEFAULT_RECOVERY
from armjac.compare.force import force_options
from armjac.configs import Reader

ENTRY_KEYS = {
    "spec",
    "seed",
    "budget",
    "budgets",
    "n_test",
    "control",
    "n_targets",
    "reach_duration",
    "learn",
    "data",
    "adapt",
    "recovery",
    "force",
}
ADAPT_KEYS = {"bases", "rules"}
RECOVERY_KEYS = {"base", "rules", "dropout", "duration"}
DEFAULT_BUDGETS = [250, 500, 1000, 2000, 8000]
BUDGET_MODELS = ("calibrated", "residual", "calibrated+residual")  # rows of the budget table


def parse_section(top: Reader) -> list[dict]:
    """The validated ``mismatch`` entries of a comparison (``[]`` when absent)."""
    from armjac.mismatch import load_spec

    items = top.sequence("mismatch", [])
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"spec": item}
        if not isinstance(item, dict):
            raise top.fail(f"mismatch[{i}]", f"must be a spec name or a mapping; got {item!r}")
        r = top.child(item, f"mismatch[{i}]")
        r.check_keys(ENTRY_KEYS)
        spec = r.data.get("spec")
        try:
            load_spec(spec)
        except Exception as exc:  # noqa: BLE001 - reported against the key
            raise r.fail("spec", str(exc)) from None
        budgets = r.sequence("budgets", DEFAULT_BUDGETS)
        if any(isinstance(b, bool) or not isinstance(b, int) or b < 20 for b in budgets):
            raise r.fail("budgets", f"must be a list of integers >= 20; got {budgets!r}")
        learn = r.data.get("learn")
        if learn is not None:
            from armjac.learned.from_data import data_config

            data_config(learn)
        out.append(
            {
                "spec": spec,
                "seed": r.integer("seed", 0, minimum=0),
                "budget": r.integer("budget", 2000, minimum=20),
                "budgets": sorted(budgets),
                "n_test": r.integer("n_test", 2000, minimum=10),
                "control": r.flag("control", True),
                "n_targets": r.integer("n_targets", 3, minimum=1),
                "reach_duration": r.number("reach_duration", 3.0, positive=True),
                "learn": learn,
                "data": r.choice("data", ("trajectory", "static"), "trajectory"),
                "adapt": _adapt_options(r),
                "recovery": _recovery_options(r, spec),
                "force": force_options(r, load_spec(spec).arm),
            }
        )
    return out


def _rules(r: Reader, key: str, default: list) -> list:
    from armjac.adapt.spec import parse_spec
    from armjac.errors import ConfigError

    rules = r.sequence(key, default)
    for i, rule in enumerate(rules):
        try:
            parse_spec(rule)
        except ConfigError as exc:
            raise r.fail(f"{key}[{i}]", str(exc)) from None
    return list(rules)


def _adapt_options(r: Reader) -> dict | None:
    """The ``adapt`` mapping with defaults (None: no adapted rows)."""
    if r.data.get("adapt", True) in (False, None, [], {}):
        return None
    a = r.child(r.data.get("adapt") if isinstance(r.data.get("adapt"), dict) else {}, "adapt")
    a.check_keys(ADAPT_KEYS)
    return {
        "bases": list(a.sequence("bases", DEFAULT_ADAPT["bases"])),
        "rules": _rules(a, "rules", DEFAULT_ADAPT["rules"]),
    }


def _recovery_options(r: Reader, spec) -> dict | None:
    """The ``recovery`` mapping with defaults (None: no recovery runs). The scenarios
    follow a circle in space, so the default is to run them only on a spatial arm."""
    from armjac.mismatch import load_spec

    raw = r.data.get("recovery", None)
    if raw in (False, [], {}):
        return None
    from armjac.scenarios.config import load_scenario

    arm, scen_arm = load_spec(spec).arm, load_scenario("tool_change").arm
    if arm != scen_arm and raw is None:
        return None
    a = r.child(raw if isinstance(raw, dict) else {}, "recovery")
    a.check_keys(RECOVERY_KEYS)
    if arm != scen_arm:
        raise r.fail("recovery", f"the tool_change scenario is for {scen_arm}; the spec's arm is "
                                 f"{arm!r} (set recovery: false)")  # fmt: skip
    duration = a.data.get("duration")
    return {
        "base": a.choice(
            "base",
            ("nominal", "calibrated", "residual", "calibrated+residual"),
            DEFAULT_RECOVERY["base"],
        ),  # fmt: skip
        "rules": _rules(a, "rules", DEFAULT_RECOVERY["rules"]),
        "dropout": a.flag("dropout", True),
        "duration": None if duration is None else a.number("duration", positive=True),
    }
