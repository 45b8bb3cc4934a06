"""checks.core: the verdicts students see, and how the hints are staged."""

from __future__ import annotations

import pytest
import torch

import attn_course.checks.core as core
from attn_course.checks import Case, evaluate, run_check


def reference(x):
    return x * 2


CASES = [Case("small", (torch.tensor([1.0, 2.0]),)), Case("negative", (torch.tensor([-3.0]),))]
HINTS = {"values": ["values, first", "values, second"], "shape": ["shape, first", "shape, second"]}


@pytest.fixture(autouse=True)
def fresh_hints():
    core.reset_hints()
    yield
    core.reset_hints()


def test_untouched_stub_is_not_implemented(capsys):
    def stub(x):
        raise NotImplementedError

    assert evaluate(stub, reference, CASES) is None
    run_check("double", stub, reference, CASES, hints=HINTS)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "FAIL" not in out


def test_correct_function_passes(capsys):
    run_check("double", lambda x: x + x, reference, CASES, hints=HINTS)
    out = capsys.readouterr().out
    assert "2 of 2 checks passed" in out and "Well done!" in out


def test_wrong_shape_value_and_crash_are_reported(capsys):
    def student(x):
        if x.numel() == 1:
            raise RuntimeError("boom")
        return x[:1] * 2

    results = evaluate(student, reference, CASES)
    assert [r.passed for r in results] == [False, False]
    assert "shape (1,)" in results[0].detail
    assert "RuntimeError: boom" in results[1].detail
    run_check("double", lambda x: x * 3, reference, CASES, hints=HINTS)
    out = capsys.readouterr().out
    assert "0 of 2 checks passed" in out and "values differ" in out
    assert "Hint 1 of 2: values, first" in out and "Well done!" not in out


def stage_after(function, capsys) -> tuple[str, int]:
    run_check("double", function, reference, CASES, hints=HINTS)
    capsys.readouterr()
    return core.last_verdict["kinds"][0], core.last_verdict["stage"]


def test_the_same_mistake_again_gets_the_next_hint(capsys):
    assert stage_after(lambda x: x * 3, capsys) == ("values", 0)
    assert stage_after(lambda x: x * 4, capsys) == ("values", 1)
    assert stage_after(lambda x: x * 5, capsys) == ("values", 1), "the last stage stays"


def test_a_new_mistake_starts_its_hints_again(capsys):
    assert stage_after(lambda x: x * 3, capsys) == ("values", 0)
    assert stage_after(lambda x: x * 3, capsys) == ("values", 1)
    assert stage_after(lambda x: x[:0], capsys) == ("shape", 0)  # a new kind of failure
    assert stage_after(lambda x: x * 3, capsys) == ("values", 0), "back to the first mistake"
    run_check("double", lambda x: x + x, reference, CASES, hints=HINTS)  # fixed
    assert "Well done!" in capsys.readouterr().out  # so the next mistake is a new one
    assert stage_after(lambda x: x * 3, capsys) == ("values", 0)


def test_student_cannot_spoil_the_case_by_writing_into_it():
    def in_place(x):
        x.mul_(2)
        return x

    cases = [Case("small", (torch.tensor([1.0, 2.0]),))]
    results = evaluate(in_place, reference, cases)
    assert [r.kind for r in results] == ["mutated"], "writing into the input is reported"
    assert torch.equal(cases[0].args[0], torch.tensor([1.0, 2.0])), "the case was changed"


def test_nan_is_a_failure():
    results = evaluate(lambda x: x * float("nan"), reference, CASES[:1])
    assert results[0].kind == "nan" and "NaN at index (0,)" in results[0].detail


def test_a_diagnosis_that_does_not_apply_never_crashes_the_check():
    """A check's own diagnosis may assume the reference's dtype; another dtype is a verdict."""

    def diagnose(actual, expected, case):
        torch.allclose(actual, expected)  # raises on float64 against float32
        return None

    case = core.Case("one case", (torch.ones(3),))
    [result] = core.evaluate(lambda x: x.double(), lambda x: x.clone(), [case], diagnose=diagnose)
    assert (result.passed, result.kind) == (False, "dtype")


def test_a_numpy_number_is_a_number():
    import numpy as np

    assert core.compare(np.int64(3), 3) is None
    assert core.compare(np.float32(0.5), 0.5) is None


def test_a_scalar_result_is_reported_without_an_index():
    """A 0-d tensor has one entry: the message gives the difference, not 'index ()'."""
    failure = core.compare(torch.tensor(2.5), torch.tensor(2.0))
    assert failure.kind == "values" and "by up to 0.5" in failure.detail
    assert "index" not in failure.detail
    failure = core.compare(torch.tensor(float("nan")), torch.tensor(2.0))
    assert failure.kind == "nan" and "index" not in failure.detail
    failure = core.compare(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]))
    assert "(largest at index (1,))" in failure.detail
