"""The shared config Reader: typed getters whose errors name the file and dotted key."""

from __future__ import annotations

import pytest

from armjac.configs import Reader
from armjac.errors import ConfigError


def _reader(**data):
    return Reader(data, "f.yaml")


def test_integer_choice_and_lists():
    r = _reader(n=3, mode="auto", flags=[True], backends=["numpy"])
    assert r.integer("n", minimum=1) == 3 and r.integer("absent", 7) == 7
    assert r.choice("mode", ("auto", True, False)) == "auto"
    assert r.choices("backends", ("numpy", "tf")) == ["numpy"]
    assert r.choices("absent", ("numpy",), ["numpy"]) == ["numpy"]
    assert r.number("n", below=5, minimum=0) == 3.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.integer("n", minimum=5), r"f\.yaml: n: must be an integer >= 5; got 3"),
        (lambda r: r.integer("x", ...), "x: is required"),
        (lambda r: r.choice("mode", ("auto", True, False)), "mode: must be one of auto, true or f"),
        (lambda r: r.choices("names", ("a", "b")), r"names: must be a list from \['a', 'b'\]"),
        (lambda r: r.number("n", below=0.5, minimum=0), r"n: must be a number in \[0, 0.5\)"),
        (lambda r: r.mapping("sub").integer("k", minimum=1), "sub.k: must be an integer >= 1"),
        (lambda r: r.mappings("items")[1].string("name"), r"items\[1\]: must be a mapping"),
        (lambda r: r.mapping("sub").fail("", "bad"), "f.yaml: sub: bad"),
        (lambda r: r.mapping("n"), "n: must be a mapping"),
    ],
)  # fmt: skip
def test_errors_name_file_and_key(call, message):
    r = _reader(n=3, mode="sometimes", names=["c"], sub={"k": 0}, items=[{}, 5])
    with pytest.raises(ConfigError, match=message):
        err = call(r)
        if isinstance(err, ConfigError):
            raise err
