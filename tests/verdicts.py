"""One assertion for the three verdicts every exercise check must give."""

from __future__ import annotations

from collections.abc import Callable


def not_implemented(*args, **kwargs):
    """An untouched exercise stub."""
    raise NotImplementedError


def assert_three_verdicts(capsys, check: Callable, correct: Callable, wrong: Callable) -> None:
    """``check`` praises ``correct``, says "not implemented yet" for a stub, and
    reports ``wrong`` as failed with a hint."""
    check(correct)
    passed = capsys.readouterr().out
    assert "Well done!" in passed and "[FAIL]" not in passed
    check(not_implemented)
    assert "not implemented yet" in capsys.readouterr().out
    check(wrong)
    failed = capsys.readouterr().out
    assert "[FAIL]" in failed and "Hint:" in failed and "Well done!" not in failed
