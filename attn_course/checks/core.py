"""The machinery every exercise check shares: run cases, compare, report."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from attn_course.checks.i18n import N_, _

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


# Properties every check can diagnose, and what the first hint about each asks.
# A check passes its own ``hints`` for these kinds and for kinds of its own
# (for example "rows" for weights that do not sum to one); each hint is a list
# of stages: the first asks a question or names the property, later stages
# say more, and no stage gives the recipe.
GENERIC_HINTS: dict[str, list[str]] = {
    "raised": [
        N_(
            "Your function raised an error on this case. Which line raised it, and what shape "
            "did that line receive?"
        ),
        N_(
            "Print the shape of every intermediate tensor for this case and compare it with the "
            "shape comments in the lesson."
        ),
    ],
    "type": [
        N_(
            "What type does your function return, and which type does the exercise ask for "
            "(the message above names the one the check expected)?"
        ),
    ],
    "shape": [
        N_("Compare the shape you return with the shape the exercise asks for, axis by axis."),
        N_("Which axis has the wrong size? Track the shapes step by step on this case."),
    ],
    "dtype": [
        N_("The values may be right but the dtype is not: which dtype does the exercise ask for?"),
    ],
    "nan": [
        N_("Your result contains NaN. Which operation can turn finite numbers into NaN?"),
        N_("Look at the rows where the NaN appears: what is special about their inputs?"),
    ],
    "inf": [
        N_(
            "Your result contains inf where the reference has none. Where can a value grow "
            "without bound?"
        ),
    ],
    "mutated": [
        N_(
            "Your function changed its input tensor in place. Which operation writes into its "
            "argument rather than returning a new tensor?"
        ),
        N_(
            "Operations whose name ends in an underscore, and assignments through indexing, "
            "write into the tensor they are called on."
        ),
    ],
    "values": [
        N_(
            "The shape is right but some values are not. On which case do they first differ, "
            "and by how much?"
        ),
        N_("Work the smallest failing case by hand and compare each step with your code."),
    ],
}

_hint_shown: dict[str, tuple[str, int]] = {}  # check name -> (failure kind, stage) last shown
last_verdict: dict[str, Any] = {}  # the last report, for the tests: name, kinds, hint


def reset_hints() -> None:
    """Forget which hints were shown (the next failure starts at the first stage)."""
    _hint_shown.clear()


@dataclass
class Failure:
    """Why a case failed: a kind ("nan", "shape", ...) and a sentence for the student."""

    kind: str
    detail: str


def compare(actual: Any, expected: Any, atol: float = 1e-5) -> Failure | None:
    """None if ``actual`` matches ``expected``, else the first property that breaks."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor):
            return Failure(
                "type",
                _("returned a {type_name}, expected a tensor").format(
                    type_name=type(actual).__name__
                ),
            )
        if actual.shape != expected.shape:
            return Failure(
                "shape",
                _("returned shape {actual_shape}, expected {expected_shape}").format(
                    actual_shape=tuple(actual.shape), expected_shape=tuple(expected.shape)
                ),
            )
        if actual.dtype != expected.dtype:
            return Failure(
                "dtype",
                _("returned dtype {actual_dtype}, expected {expected_dtype}").format(
                    actual_dtype=actual.dtype, expected_dtype=expected.dtype
                ),
            )
        if actual.is_floating_point() or actual.is_complex():
            nan = torch.isnan(actual) & ~torch.isnan(expected)
            if nan.any():
                where = tuple(int(i) for i in nan.nonzero()[0])
                if where:
                    detail = _("NaN at index {index}, where the reference is finite")
                else:
                    detail = _("NaN, where the reference is finite")
                return Failure("nan", detail.format(index=where))
            inf = torch.isinf(actual) & ~torch.isinf(expected)
            if inf.any():
                where = tuple(int(i) for i in inf.nonzero()[0])
                if where:
                    detail = _("inf at index {index}, where the reference is finite")
                else:
                    detail = _("inf, where the reference is finite")
                return Failure("inf", detail.format(index=where))
        difference = (actual.double() - expected.double()).abs()
        if difference.numel() and float(difference.max()) > atol:
            where = tuple(int(i) for i in (difference == difference.max()).nonzero()[0])
            if where:
                detail = _(
                    "values differ from the reference by up to {difference:.3g} "
                    "(largest at index {index})"
                )
            else:
                detail = _("values differ from the reference by up to {difference:.3g}")
            return Failure("values", detail.format(difference=float(difference.max()), index=where))
        return None
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        if isinstance(expected, (tuple, list)) and isinstance(actual, (tuple, list)):
            if len(actual) != len(expected):
                return Failure(
                    "shape",
                    _("returned {count} entries, expected {expected_count}").format(
                        count=len(actual), expected_count=len(expected)
                    ),
                )
            for position, (a, e) in enumerate(zip(actual, expected, strict=True)):
                failure = compare(a, e, atol=atol)
                if failure is not None:
                    return Failure(
                        failure.kind,
                        _("entry {position}: {detail}").format(
                            position=position, detail=failure.detail
                        ),
                    )
            return None
        if actual != expected:
            return Failure(
                "values",
                _("returned {actual!r}, which is not the expected value").format(actual=actual),
            )
        return None
    if not isinstance(actual, numbers.Real) or isinstance(actual, bool):  # numpy's too
        return Failure(
            "type",
            _("returned a {type_name}, expected a number").format(type_name=type(actual).__name__),
        )
    if abs(actual - expected) > atol:
        off = abs(actual - expected)
        return Failure(
            "values",
            _("returned {actual:.4g}, which is off by {off:.3g}").format(actual=actual, off=off),
        )
    return None


@dataclass
class CaseResult:
    """What happened on one case: passed or not, and why."""

    description: str
    passed: bool
    detail: str = ""
    kind: str = ""


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def evaluate(
    student: Callable,
    reference: Callable | None,
    cases: Sequence[Case],
    atol: float = 1e-5,
    diagnose: Callable[[Any, Any, Case], Failure | None] | None = None,
) -> list[CaseResult] | None:
    """Run ``student`` on every case and compare with the reference.

    Every case also checks that the student's function leaves its tensor
    arguments unchanged. ``diagnose(actual, expected, case)``, if given, runs
    first and may name a check-specific failure (a wrong axis, rows that do
    not sum to one).

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
        args, kwargs = _clone(case.args), _clone(case.kwargs)
        try:
            actual = student(*args, **kwargs)
        except NotImplementedError:
            return None
        except Exception as error:  # the student's bug, reported, not raised
            detail = _("raised {error_type}: {error}").format(
                error_type=type(error).__name__, error=error
            )
            results.append(CaseResult(case.description, False, detail, "raised"))
            continue
        before = _tensors((case.args, case.kwargs))
        after = _tensors((args, kwargs))
        changed = [
            i
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            if b.shape != a.shape or not torch.equal(b, a)
        ]
        failure = None
        if changed:
            failure = Failure(
                "mutated",
                _("argument {number} was changed in place").format(number=changed[0] + 1),
            )
        if failure is None and diagnose is not None:
            try:
                failure = diagnose(actual, expected, case)
            except Exception:  # a diagnosis that does not apply (another dtype, shape)
                failure = None  # leaves the case to compare(), which names the property
        if failure is None:
            failure = compare(actual, expected, atol=atol)
        if failure is None:
            results.append(CaseResult(case.description, True))
        else:
            results.append(CaseResult(case.description, False, failure.detail, failure.kind))
    return results


def report(
    name: str, results: list[CaseResult] | None, hints: dict[str, list[str]] | None = None
) -> None:
    """Print the verdict for one exercise, with a hint staged by how often it failed so.

    ``hints`` maps a failure kind to its stages (see ``GENERIC_HINTS``, which
    fills in the kinds a check does not name). Running the check again on a
    failure of the same kind shows the next stage; a failure of another kind
    than the last run's (a new mistake) starts again at that kind's first stage.
    """
    last_verdict.clear()
    last_verdict.update(name=name, kinds=[], hint=None, stage=None)
    if results is None:
        _hint_shown.pop(name, None)
        print(
            _(
                "{name}: not implemented yet. Fill in the stub above, then run this cell again."
            ).format(name=name)
        )
        return
    passed = sum(result.passed for result in results)
    print(
        _("{name}: {passed} of {total} checks passed.").format(
            name=name, passed=passed, total=len(results)
        )
    )
    for result in results:
        mark = PASS_MARK if result.passed else FAIL_MARK
        said = result.description
        if result.detail:
            said = _("{description}: {detail}").format(
                description=result.description, detail=result.detail
            )
        print(f"  {mark} {said}")
    last_verdict["kinds"] = [result.kind for result in results if not result.passed]
    if passed == len(results):
        _hint_shown.pop(name, None)
        print(_("Well done!"))
        return
    kind = last_verdict["kinds"][0]
    stages = {**GENERIC_HINTS, **(hints or {})}.get(kind) or GENERIC_HINTS["values"]
    last_kind, last_stage = _hint_shown.get(name, (None, -1))
    stage = min(last_stage + 1, len(stages) - 1) if kind == last_kind else 0
    _hint_shown[name] = (kind, stage)
    hint = _(stages[stage])  # the stages are marked with N_ where they are defined
    if stage < len(stages) - 1:
        line = _("Hint {stage} of {stages}: {hint} Run the check again for a further hint.")
    else:
        line = _("Hint {stage} of {stages}: {hint}")
    print(line.format(stage=stage + 1, stages=len(stages), hint=hint))
    last_verdict.update(hint=hint, stage=stage)


def run_check(
    name: str,
    student: Callable,
    reference: Callable | None,
    cases: Sequence[Case],
    atol: float = 1e-5,
    hints: dict[str, list[str]] | None = None,
    diagnose: Callable[[Any, Any, Case], Failure | None] | None = None,
) -> None:
    """Evaluate ``student`` on ``cases`` and print the verdict.

    Args:
        name: the exercise's name as the student sees it.
        student: the student's function.
        reference: the reference implementation (or None if every case
            carries ``expected``).
        cases: the inputs to try.
        atol: the largest allowed absolute difference for tensors and floats.
        hints: staged hints per failure kind (see ``report``).
        diagnose: a check-specific diagnosis (see ``evaluate``).
    """
    results = evaluate(student, reference, cases, atol=atol, diagnose=diagnose)
    report(name, results, hints=hints)
