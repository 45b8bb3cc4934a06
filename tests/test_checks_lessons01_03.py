"""The exercise checks of lesson 03: right answers pass, wrong ones are reported.

(Lessons 01 and 02 are checked by tests/exercise_answers/lesson01.py and lesson02.py.)

Each check gets a correct solution written here independently of the
references in attn_course.checks (loops and closed forms where possible), an
untouched stub, and wrong solutions that make the typical mistakes.
"""

from __future__ import annotations

import pytest
import torch

from attn_course.checks.lesson03 import check_my_causal_mask, check_my_masked_softmax


def stub(*args, **kwargs):
    raise NotImplementedError  # your code here


# ---------------------------------------------------------------- correct solutions


def masked_softmax_by_slicing(X, valid_lens):
    weights = torch.zeros_like(X)
    for b, length in enumerate(valid_lens.tolist()):
        if length:
            weights[b, :, :length] = torch.softmax(X[b, :, :length], dim=-1)
    return weights


def causal_mask_by_comparison(num_queries, num_keys):
    return torch.arange(num_keys)[None, :] <= torch.arange(num_queries)[:, None]


# ---------------------------------------------------------------- wrong solutions


def masked_softmax_naive_exp(X, valid_lens):
    mask = torch.arange(X.shape[-1])[None, None, :] < valid_lens[:, None, None]
    exps = torch.exp(X) * mask
    total = exps.sum(-1, keepdim=True)
    return torch.where(total > 0, exps / total.clamp_min(1e-30), torch.zeros_like(exps))


def masked_softmax_minus_a_million(X, valid_lens):
    """d2l's trick: -1e6 on padding gives a uniform row where nothing is valid."""
    mask = torch.arange(X.shape[-1])[None, None, :] < valid_lens[:, None, None]
    return torch.softmax(X.masked_fill(~mask, -1e6), dim=-1)


def masked_softmax_minus_inf(X, valid_lens):
    """-inf on padding: NaN where nothing is valid."""
    mask = torch.arange(X.shape[-1])[None, None, :] < valid_lens[:, None, None]
    return torch.softmax(X.masked_fill(~mask, float("-inf")), dim=-1)


def masked_softmax_in_place(X, valid_lens):
    """Right values, but writes into its input."""
    mask = torch.arange(X.shape[-1])[None, None, :] < valid_lens[:, None, None]
    mask = mask.expand_as(X)
    X[~mask] = float("-inf")
    empty = ~mask.any(-1, keepdim=True)
    return torch.softmax(X.masked_fill(empty, 0.0), dim=-1) * mask


def causal_mask_upper(num_queries, num_keys):
    return torch.ones(num_queries, num_keys, dtype=torch.bool).triu()


def causal_mask_strict(num_queries, num_keys):
    return torch.ones(num_queries, num_keys, dtype=torch.bool).tril(diagonal=-1)


def causal_mask_as_floats(num_queries, num_keys):
    return torch.ones(num_queries, num_keys).tril()


# ---------------------------------------------------------------- the tests

CHECKS = {
    "my_masked_softmax": (
        check_my_masked_softmax,
        masked_softmax_by_slicing,
        [
            masked_softmax_naive_exp,
            masked_softmax_minus_a_million,
            masked_softmax_minus_inf,
            masked_softmax_in_place,
        ],
    ),
    "my_causal_mask": (
        check_my_causal_mask,
        causal_mask_by_comparison,
        [causal_mask_upper, causal_mask_strict, causal_mask_as_floats],
    ),
}


@pytest.mark.parametrize("name", CHECKS)
def test_a_correct_solution_passes_every_case(name, capsys):
    check, correct, _ = CHECKS[name]
    check(correct)
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: ")
    assert "Well done!" in out, out
    assert "[FAIL]" not in out and "Hint" not in out
    passed, total = out.split(": ", 1)[1].split(" checks passed")[0].split(" of ")
    assert passed == total and int(total) >= 4, out


@pytest.mark.parametrize("name", CHECKS)
def test_an_untouched_stub_is_not_implemented_yet(name, capsys):
    check = CHECKS[name][0]
    assert check(stub) is None
    out = capsys.readouterr().out
    assert out.strip() == (
        f"{name}: not implemented yet. Fill in the stub above, then run this cell again."
    )


WRONG = [(name, wrong) for name, (_, _, wrongs) in CHECKS.items() for wrong in wrongs]


@pytest.mark.parametrize("name, wrong", WRONG, ids=[wrong.__name__ for _, wrong in WRONG])
def test_a_wrong_solution_is_reported_with_a_hint(name, wrong, capsys):
    check = CHECKS[name][0]
    check(wrong)
    out = capsys.readouterr().out
    assert "[FAIL]" in out, out
    assert "Well done!" not in out
    assert "\nHint: " in out
    assert "tensor(" not in out, "a verdict must not print tensors (it could leak the answer)"


def fail_lines(check, wrong, capsys) -> list[str]:
    check(wrong)
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if "[FAIL]" in line]


def test_each_typical_mistake_fails_the_case_made_for_it(capsys):
    uniform = fail_lines(check_my_masked_softmax, masked_softmax_minus_a_million, capsys)
    assert len(uniform) == 1 and "a length of 0" in uniform[0]

    nan = fail_lines(check_my_masked_softmax, masked_softmax_minus_inf, capsys)
    assert len(nan) == 1 and "a length of 0" in nan[0] and "NaN" in nan[0]

    overflow = fail_lines(check_my_masked_softmax, masked_softmax_naive_exp, capsys)
    assert len(overflow) == 1 and "large scores" in overflow[0]

    in_place = fail_lines(check_my_masked_softmax, masked_softmax_in_place, capsys)
    assert in_place and all("argument 1 was changed in place" in line for line in in_place)

    floats = fail_lines(check_my_causal_mask, causal_mask_as_floats, capsys)
    assert floats and "returned dtype torch.float32, expected torch.bool" in floats[0]


def test_a_crashing_solution_is_reported_not_raised(capsys):
    def crashes(*args):
        raise RuntimeError("shapes do not match")

    for check, *_ in CHECKS.values():
        check(crashes)
        out = capsys.readouterr().out
        assert "raised RuntimeError: shapes do not match" in out
        assert "Hint: " in out
