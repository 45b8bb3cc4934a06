"""Every exercise check, driven by one table of right and wrong answers per lesson.

A check must praise a right answer, say "not implemented yet" for an
untouched stub, diagnose each wrong answer's kind of failure, and stage its
hints: running it again on the same failure gives the next hint, and two
kinds of failure get different hints.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import pytest
from exercise_answers import Answer

import attn_course.checks.core as core

ANSWER_MODULES = [
    importlib.import_module(f"exercise_answers.{info.name}")
    for info in pkgutil.iter_modules(importlib.import_module("exercise_answers").__path__)
]
ANSWERS: list[Answer] = [answer for module in ANSWER_MODULES for answer in module.ANSWERS]


def lesson_of(check) -> str:
    """'lesson03' for a check of attn_course.checks.lesson03 (so `-k lesson03` selects it)."""
    return check.__module__.rsplit(".", 1)[-1]


def answer_id(answer: Answer) -> str:
    check = answer.check
    return f"{lesson_of(check)}-{check.__name__}-{answer.function.__name__}-{answer.expect}"


def not_implemented(*args, **kwargs):
    raise NotImplementedError


def run(check, function, capsys) -> tuple[str, dict]:
    check(function)
    return capsys.readouterr().out, dict(core.last_verdict)


@pytest.fixture(autouse=True)
def fresh_hints():
    core.reset_hints()
    yield
    core.reset_hints()


@pytest.mark.parametrize("answer", ANSWERS, ids=[answer_id(a) for a in ANSWERS])
def test_check_gives_the_right_verdict(answer, capsys):
    out, verdict = run(answer.check, answer.function, capsys)
    if answer.expect == "pass":
        assert "Well done!" in out and "[FAIL]" not in out, out
        return
    assert "[FAIL]" in out and "Well done!" not in out, out
    assert verdict["kinds"][0] == answer.expect, f"diagnosed {verdict['kinds']}:\n{out}"
    assert "Hint 1 of" in out, out
    again, second = run(answer.check, answer.function, capsys)
    stages = int(out.split("Hint 1 of ", 1)[1].split(":", 1)[0])
    if stages > 1:
        assert "Hint 2 of" in again and second["hint"] != verdict["hint"], again


CHECKS = sorted({a.check for a in ANSWERS}, key=lambda check: check.__module__ + check.__name__)


@pytest.mark.parametrize("check", CHECKS, ids=[f"{lesson_of(c)}-{c.__name__}" for c in CHECKS])
def test_check_knows_a_stub_and_tells_failures_apart(check, capsys):
    out, _ = run(check, not_implemented, capsys)
    assert "not implemented yet" in out
    wrong = [a for a in ANSWERS if a.check is check and a.expect != "pass"]
    assert any(a.check is check and a.expect == "pass" for a in ANSWERS), "no right answer"
    assert len(wrong) >= 3, "try each check with at least three wrong answers"
    first_hints = defaultdict(set)
    for answer in wrong:
        core.reset_hints()
        _, verdict = run(check, answer.function, capsys)
        first_hints[answer.expect].add(verdict["hint"])
    assert len(first_hints) >= 2, "the wrong answers all fail in the same way"
    hints = [next(iter(h)) for h in first_hints.values()]
    assert len(set(hints)) == len(hints), "two kinds of failure get the same hint"
