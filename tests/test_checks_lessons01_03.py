"""The exercise checks of lessons 01-02: right answers pass, wrong ones are reported.

Each check gets a correct solution written here independently of the
references in attn_course.checks (loops and closed forms where possible), an
untouched stub, and wrong solutions that make the typical mistakes.
"""

from __future__ import annotations

import math

import pytest
import torch

from attn_course.checks.lesson01 import check_my_hard_pooling, check_my_nadaraya_watson
from attn_course.checks.lesson02 import check_my_most_attended, check_my_row_normalize


def stub(*args, **kwargs):
    raise NotImplementedError  # your code here


# ---------------------------------------------------------------- correct solutions


def nadaraya_watson_loops(queries, keys, values, sigma):
    """Closed form with explicit loops: sum_i K(q, k_i) v_i / sum_j K(q, k_j), stabilised."""
    outputs = []
    for q in queries.double():
        exponents = [-float(((q - k.double()) ** 2).sum()) / (2 * sigma**2) for k in keys]
        top = max(exponents)
        kernel = [math.exp(e - top) for e in exponents]  # scaled by exp(-top): cancels
        total = sum(kernel)
        outputs.append(sum(w * v.double() for w, v in zip(kernel, values, strict=True)) / total)
    return torch.stack(outputs).float()


def hard_pooling_loops(scores, values):
    rows = []
    for row in scores.tolist():
        best = max(range(len(row)), key=lambda j: row[j])
        rows.append(values[best])
    return torch.stack(rows)


def row_normalize(matrix):
    return matrix / matrix.sum(-1, keepdim=True)


def most_attended(weights):
    return torch.max(weights, dim=-1).indices






# ---------------------------------------------------------------- wrong solutions


def nadaraya_watson_naive_exp(queries, keys, values, sigma):
    """Right formula, but exp() underflows to 0/0 for a tiny sigma."""
    distances = ((queries[:, None] - keys[None]) ** 2).sum(-1)
    kernel = torch.exp(-distances / (2 * sigma**2))
    return (kernel @ values) / kernel.sum(-1, keepdim=True).squeeze(-1).reshape(
        (-1,) + (1,) * (values.dim() - 1)
    )


def nadaraya_watson_wrong_bandwidth(queries, keys, values, sigma):
    """Forgets the factor 2 in 2 sigma^2."""
    distances = ((queries[:, None] - keys[None]) ** 2).sum(-1)
    return torch.softmax(-distances / sigma**2, dim=-1) @ values


def nadaraya_watson_average(queries, keys, values, sigma):
    """Average pooling: ignores the queries."""
    return values.mean(0, keepdim=True).expand((queries.shape[0],) + values.shape[1:])


def soft_pooling(scores, values):
    return torch.softmax(scores, dim=-1) @ values


def hard_pooling_smallest(scores, values):
    return values[scores.argmin(dim=-1)]


def normalize_columns(matrix):
    return matrix / matrix.sum(-2, keepdim=True)


def normalize_2d_only(matrix):
    return matrix / matrix.sum(1, keepdim=True)


def most_attended_value(weights):
    return weights.max(dim=-1).values


def most_attended_column_wise(weights):
    return weights.argmax(dim=-2)
















# ---------------------------------------------------------------- the tests

CHECKS = {
    "my_nadaraya_watson": (
        check_my_nadaraya_watson,
        nadaraya_watson_loops,
        [nadaraya_watson_naive_exp, nadaraya_watson_wrong_bandwidth, nadaraya_watson_average],
    ),
    "my_hard_pooling": (
        check_my_hard_pooling,
        hard_pooling_loops,
        [soft_pooling, hard_pooling_smallest],
    ),
    "my_row_normalize": (
        check_my_row_normalize,
        row_normalize,
        [normalize_columns, normalize_2d_only],
    ),
    "my_most_attended": (
        check_my_most_attended,
        most_attended,
        [most_attended_value, most_attended_column_wise],
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
    naive = fail_lines(check_my_nadaraya_watson, nadaraya_watson_naive_exp, capsys)
    assert naive == [
        "  [FAIL] a tiny bandwidth (sigma = 0.02): NaN at index (0,), where the reference is finite"
    ]


    grids = fail_lines(check_my_row_normalize, normalize_2d_only, capsys)
    assert all("stack" in line or "grid" in line for line in grids) and len(grids) == 2


def test_a_crashing_solution_is_reported_not_raised(capsys):
    def crashes(*args):
        raise RuntimeError("shapes do not match")

    for check, *_ in CHECKS.values():
        check(crashes)
        out = capsys.readouterr().out
        assert "raised RuntimeError: shapes do not match" in out
        assert "Hint: " in out
