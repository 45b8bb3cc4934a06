"""The machinery every exercise check shares: run cases, compare, report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

PASS_MARK = "[pass]"
FAIL_MARK = "[FAIL]"


@dataclass
class Case:
    """One input for a student's function.

    Attributes:
        description: what the case tests, in a few words ("2-D valid lengths").
        args: positional arguments for both the student's and the reference function.
        kwargs: keyword arguments for both.
        expected: the expected result; if None, ``reference(*args, **kwargs)``.
    """

    description: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None


@dataclass
class CaseResult:
    """What happened on one case: passed or not, and why."""

    description: str
    passed: bool
    detail: str = ""


def _clone(value: Any) -> Any:
    """Copy tensors so a function that writes into its input cannot spoil a case."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def compare(actual: Any, expected: Any, atol: float = 1e-5) -> str:
    """Return "" if ``actual`` matches ``expected``, else what differs."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor):
            return f"returned a {type(actual).__name__}, expected a tensor"
        if actual.shape != expected.shape:
            return f"returned shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        if torch.isnan(actual.float()).any():
            return "the result contains NaN"
        if torch.isinf(actual.float()).any() and not torch.isinf(expected.float()).any():
            return "the result contains inf"
        difference = (actual.double() - expected.double()).abs().max().item()
        if difference > atol:
            return f"values differ from the reference by up to {difference:.3g}"
        return ""
    if isinstance(expected, float):
        if not isinstance(actual, (int, float)):
            return f"returned a {type(actual).__name__}, expected a number"
        if abs(actual - expected) > atol:
            return f"returned {actual:.4g}, which is off by {abs(actual - expected):.3g}"
        return ""
    if actual != expected:
        return f"returned {actual!r}, expected something else"
    return ""


def evaluate(
    student: Callable,
    reference: Callable | None,
    cases: Sequence[Case],
    atol: float = 1e-5,
) -> list[CaseResult] | None:
    """Run ``student`` on every case and compare with the reference.

    Returns:
        One result per case, or None if ``student`` raised
        ``NotImplementedError`` (the stub is untouched).
    """
    results = []
    for case in cases:
        if case.expected is not None:
            expected = case.expected
        else:
            assert reference is not None, "a case without `expected` needs a reference"
            expected = reference(*_clone(case.args), **_clone(case.kwargs))
        try:
            actual = student(*_clone(case.args), **_clone(case.kwargs))
        except NotImplementedError:
            return None
        except Exception as error:  # the student's bug, reported, not raised
            detail = f"raised {type(error).__name__}: {error}"
            results.append(CaseResult(case.description, False, detail))
            continue
        detail = compare(actual, expected, atol=atol)
        results.append(CaseResult(case.description, not detail, detail))
    return results


def report(name: str, results: list[CaseResult] | None, hint: str) -> None:
    """Print the verdict for one exercise."""
    if results is None:
        print(f"{name}: not implemented yet. Fill in the stub above, then run this cell again.")
        return
    passed = sum(result.passed for result in results)
    print(f"{name}: {passed} of {len(results)} checks passed.")
    for result in results:
        mark = PASS_MARK if result.passed else FAIL_MARK
        line = f"  {mark} {result.description}"
        if result.detail:
            line += f": {result.detail}"
        print(line)
    if passed == len(results):
        print("Well done!")
    else:
        print(f"Hint: {hint}")


def run_check(
    name: str,
    student: Callable,
    reference: Callable | None,
    cases: Sequence[Case],
    hint: str,
    atol: float = 1e-5,
) -> None:
    """Evaluate ``student`` on ``cases`` and print the verdict.

    Args:
        name: the exercise's name as the student sees it.
        student: the student's function.
        reference: the reference implementation (or None if every case
            carries ``expected``).
        cases: the inputs to try.
        hint: one sentence that helps without giving the answer away.
        atol: the largest allowed absolute difference for tensors and floats.
    """
    report(name, evaluate(student, reference, cases, atol=atol), hint)
