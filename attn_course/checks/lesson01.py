"""Checks for the coding exercises of lesson 01 (attention cues).

- ``check_my_nadaraya_watson(my_nadaraya_watson)``: Nadaraya-Watson kernel
  regression with a Gaussian kernel, for queries and keys of any feature size.
- ``check_my_hard_pooling(my_hard_pooling)``: hard attention that returns, for
  each query, the value of its highest-scoring key.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, run_check

# The people of the lesson: (weight in kg, height in cm) and age in years.
_PEOPLE_FEATURES = torch.tensor([[50.0, 160.0], [65.0, 165.0], [60.0, 175.0]])
_PEOPLE_AGES = torch.tensor([50.0, 23.0, 21.0])


def _nadaraya_watson(
    queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, sigma: float
) -> torch.Tensor:
    """Reference: Gaussian-kernel attention pooling (queries (n_q, d), keys (n_k, d))."""
    differences = queries.unsqueeze(1) - keys.unsqueeze(0)  # (n_q, n_k, d)
    squared_distances = (differences**2).sum(dim=-1)  # (n_q, n_k)
    weights = torch.softmax(-squared_distances / (2 * sigma**2), dim=-1)  # (n_q, n_k)
    return weights @ values  # (n_q,) or (n_q, d_v)


def _hard_pooling(scores: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Reference: the value of the highest-scoring key for each query."""
    return values[scores.argmax(dim=-1)]  # (n_q, d_v)


def _nadaraya_watson_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(1)
    keys_1d = torch.linspace(0.0, 4.0, 5).unsqueeze(-1)  # (5, 1)
    values_1d = torch.tensor([0.0, 1.0, 4.0, 9.0, 16.0])  # (5,)
    random_queries = torch.randn(4, 3, generator=generator)  # (4, 3)
    random_keys = torch.randn(6, 3, generator=generator)  # (6, 3)
    random_values = torch.randn(6, 2, generator=generator)  # (6, 2)
    far_queries = torch.tensor([[0.4], [1.5], [2.6]])  # far from every key for sigma 0.02
    return [
        Case("one query, one feature", (torch.tensor([[1.7]]), keys_1d, values_1d, 1.0)),
        Case("several 1-D queries", (torch.tensor([[0.0], [2.2], [5.0]]), keys_1d, values_1d, 0.5)),
        Case(
            "the people table: age at (63 kg, 170 cm)",
            (torch.tensor([[63.0, 170.0]]), _PEOPLE_FEATURES, _PEOPLE_AGES, 5.0),
        ),
        Case("3 features, values of size 2", (random_queries, random_keys, random_values, 1.0)),
        Case(
            "a tiny bandwidth (sigma = 0.02)", (far_queries, keys_1d, values_1d, 0.02)
        ),
    ]


def check_my_nadaraya_watson(student: Callable) -> None:
    """Check ``student(queries, keys, values, sigma)`` against Nadaraya-Watson regression.

    The student's function takes queries (n_q, d), keys (n_k, d), values
    (n_k,) or (n_k, d_v) and a bandwidth ``sigma``, and returns (n_q,) or
    (n_q, d_v). Prints a verdict; returns None.
    """
    run_check(
        "my_nadaraya_watson",
        student,
        _nadaraya_watson,
        _nadaraya_watson_cases(),
        hint=(
            "the weight of key i is a softmax over the keys of -||q - k_i||^2 / (2 sigma^2); "
            "exp() of a very negative number is 0 in float32, so a tiny sigma gives 0/0 "
            "unless you let torch.softmax do the normalising."
        ),
        atol=1e-4,
    )


def _hard_pooling_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(2)
    values = torch.arange(12.0).reshape(4, 3)  # (4 keys, 3 features)
    return [
        Case("one query", (torch.tensor([[0.1, 2.0, -1.0, 0.5]]), values)),
        Case("several queries", (torch.randn(5, 4, generator=generator), values)),
        Case("negative scores", (torch.tensor([[-3.0, -1.0, -2.0, -5.0]]), values)),
        Case(
            "scores that are nearly tied",
            (torch.tensor([[1.0, 1.01, 0.99, 1.0], [2.0, 0.0, 1.999, 0.0]]), values),
        ),
    ]


def check_my_hard_pooling(student: Callable) -> None:
    """Check ``student(scores, values)`` against hard (argmax) attention pooling.

    The student's function takes scores (n_q, n_k) and values (n_k, d_v) and
    returns (n_q, d_v): for each query, the row of values of its
    highest-scoring key. Prints a verdict; returns None.
    """
    run_check(
        "my_hard_pooling",
        student,
        _hard_pooling,
        _hard_pooling_cases(),
        hint=(
            "hard attention copies one value, it does not average: each output row must "
            "be exactly the row of values whose key has the largest score for that query."
        ),
    )
