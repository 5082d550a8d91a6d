"""Hostile or careless config files: a clear ConfigError naming file and key, bounded in size."""

from __future__ import annotations

import pytest

from armjac.configs import MAX_SEED, MAX_STEPS, Reader, read_mapping
from armjac.errors import ConfigError
from armjac.learned import resolve_config
from armjac.learned.config import validate as validate_learning
from armjac.scenarios.config import load_scenario

BOMB = """\
a: &a [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""  # repr(g) would be ~40 MB


def _write(tmp_path, text: str | bytes, name: str = "x.yaml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _scenario(tmp_path, extra: str):
    head = "scenario: reach\narm: planar2\ntask: {targets: [[0.3, 0.0, 0.3]]}\n"
    return _write(tmp_path, f"{head}{extra}\n", "s.yaml")


def test_binary_garbage_is_a_config_error(tmp_path):
    path = _write(tmp_path, b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01garbage")
    with pytest.raises(ConfigError, match="must be UTF-8 text"):
        read_mapping(path, "scenario")
    with pytest.raises(ConfigError, match="must be UTF-8 text"):
        resolve_config(path)
    with pytest.raises(ConfigError, match="must be UTF-8 text"):
        load_scenario(path)


@pytest.mark.parametrize(
    "text",
    [
        "when: 2001-13-45\n",  # PyYAML raises ValueError for an impossible date
        "[" * 5000 + "]" * 5000,  # nesting deeper than the parser's recursion limit
        "a: !!python/object:os.system {}\n",
        "a: [1, 2\n",
    ],
)
def test_malformed_yaml_is_a_config_error(tmp_path, text):
    with pytest.raises(ConfigError, match="malformed YAML"):
        read_mapping(_write(tmp_path, text), "scenario")


def test_oversized_file_is_refused(tmp_path):
    path = _write(tmp_path, "a: 1\n" + "#" * (5 * 2**20))
    with pytest.raises(ConfigError, match="too large"):
        read_mapping(path, "scenario")


def test_non_string_keys_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key\(s\) 1, 2.5, None"):
        resolve_config({"arm": "planar2", 1: 0, 2.5: 0, None: 0})


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, "7", True])
def test_bad_seeds(tmp_path, seed):
    with pytest.raises(ConfigError, match=r"seed: must be an integer >= 0 and <= 4294967295"):
        load_scenario(_scenario(tmp_path, f"seed: {seed!r}".replace("'", '"')))
    with pytest.raises(ConfigError, match=r"seed: must be an integer >= 0"):
        validate_learning({"arm": "planar2", "seed": seed})
    with pytest.raises(ConfigError, match=r"network.seed: must be an integer >= 0"):
        validate_learning({"arm": "planar2", "network": {"seed": seed}})
    with pytest.raises(ConfigError, match=r"data.seeds.val: must be an integer >= 0"):
        validate_learning({"arm": "planar2", "data": {"seeds": {"val": seed}}})
    with pytest.raises(ConfigError, match=r"nominal.seed: must be an integer >= 0"):
        validate_learning({"arm": "planar2", "nominal": {"seed": seed}})


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("dt: 1.0e-9", r"dt: must be >= 1e-05; got 1e-09"),
        ("dt: 5", r"dt: must be <= 0.1"),
        ("duration: 1.0e+9", r"duration: must be <= 3600"),
        ("duration: 3000\ndt: 0.0001", rf"more than {MAX_STEPS} steps"),
    ],
)
def test_run_length_is_bounded(tmp_path, extra, match):
    with pytest.raises(ConfigError, match=match):
        load_scenario(_scenario(tmp_path, extra))


@pytest.mark.parametrize(
    ("section", "match"),
    [
        ({"data": {"n_train": 10**9}}, r"data.n_train: must be an integer >= 1 and <= 2000000"),
        ({"data": {"n_test": 0}}, r"data.n_test: must be an integer >= 1"),
        ({"network": {"ensembles": [{"n_neurons": 10**7}]}}, r"n_neurons: must be .*<= 100000"),
        ({"network": {"ensembles": [{"n_neurons": 4}, {"n_neurons": 4, "dimensions": 10**6}]}},
         r"dimensions: must be .*<= 10000"),
        ({"training": {"epochs": 10**9}}, r"training.epochs: must be .*<= 100000"),
        ({"training": {"loss": {"position": 0.0}}}, r"training.loss: needs at least one weight"),
        ({"training": {"loss": {"typo": 1.0}}}, r"unknown key\(s\) training.loss.typo"),
        ({"training": {"method": "fit", "loss": {"contractive": 0.1}}},
         r"'fit' trains only the position loss.*contractive"),
    ],
)  # fmt: skip
def test_learning_sizes_are_bounded(section, match):
    with pytest.raises(ConfigError, match=match):
        validate_learning({"arm": "planar2", **section})


def test_yaml_bomb_messages_are_bounded(tmp_path):
    with pytest.raises(ConfigError, match="unknown key") as exc:
        load_scenario(_scenario(tmp_path, BOMB + "start_q: *g"))
    assert len(str(exc.value)) < 1000
    with pytest.raises(ConfigError, match="start_q: must be a list of finite numbers") as exc:
        load_scenario(_scenario(tmp_path, "start_q: " + _inline_bomb()))
    assert len(str(exc.value)) < 1000
    learn = _write(tmp_path, "arm: planar2\ndata:\n  center: " + _inline_bomb(), "l.yaml")
    with pytest.raises(ConfigError, match="data.center: must be null or a list") as exc:
        resolve_config(learn)
    assert len(str(exc.value)) < 1000


def _inline_bomb() -> str:
    """A flow-style value whose full repr is tens of megabytes (YAML anchors and aliases)."""
    parts = ["&l0 [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]"]
    for k in range(1, 7):
        parts.append(f"&l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]")
    return "[" + ", ".join(parts) + "]\n"


def test_reader_messages_use_excerpts():
    r = Reader({"k": "x" * 10_000, "v": list(range(10_000))}, "f.yaml")
    with pytest.raises(ConfigError) as exc:
        r.number("k")
    assert len(str(exc.value)) < 300
    with pytest.raises(ConfigError, match="list of length 10000") as exc:
        r.string("v")


def test_comparison_seeds_and_samples_are_bounded():
    from armjac.compare.config import validate as validate_comparison

    base = {"arm": "planar2", "models": [{"name": "m", "train": {"arm": "planar2"}}]}
    with pytest.raises(ConfigError, match=r"seeds: must be a non-empty list of integers in \[0"):
        validate_comparison({**base, "seeds": [0, -1]}, "c.yaml")
    with pytest.raises(ConfigError, match=r"accuracy.n_samples: must be .*<= 2000000"):
        validate_comparison({**base, "accuracy": {"n_samples": 10**9}}, "c.yaml")
    with pytest.raises(ConfigError, match=r"accuracy.seed: must be an integer >= 0"):
        validate_comparison({**base, "accuracy": {"seed": -3}}, "c.yaml")


@pytest.mark.parametrize(
    "section",
    [
        {"data": {"std": 10**400}},
        {"data": {"center": [10**400, 0.0]}},
        {"data": {"n_train": 10**400}},
        {"training": {"learning_rate": -(10**400)}},
    ],
)
def test_integers_too_large_for_a_float(section):
    with pytest.raises(ConfigError, match="must be"):
        validate_learning({"arm": "planar2", **section})
