"""Cache keys follow the code, not its documentation."""

from __future__ import annotations

from armjac import fingerprint


def _print(tmp_path, monkeypatch, text: str) -> str:
    (tmp_path / "m.py").write_text(text)
    monkeypatch.setattr(fingerprint, "ROOT", tmp_path)
    fingerprint.source_fingerprint.cache_clear()
    try:
        return fingerprint.source_fingerprint("m.py")
    finally:
        fingerprint.source_fingerprint.cache_clear()


def test_docstrings_and_comments_do_not_change_the_fingerprint(tmp_path, monkeypatch):
    base = _print(tmp_path, monkeypatch, "def f(x):\n    return 2 * x\n")
    documented = _print(
        tmp_path,
        monkeypatch,
        '"""Module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # why\n',
    )
    changed = _print(tmp_path, monkeypatch, "def f(x):\n    return 3 * x\n")
    assert base == documented
    assert base != changed
