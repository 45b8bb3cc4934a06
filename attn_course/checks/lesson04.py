"""Checks for the coding exercises of lesson 04 (scoring functions).

- ``check_my_bilinear_scores(my_bilinear_scores)``: q^T W k for every query-key pair.
- ``check_my_gaussian_scores(my_gaussian_scores)``: -|q - k|^2 / (2 sigma^2) through dot products.
- ``check_my_scaled_scores(my_scaled_scores)``: dot products scaled back to variance 1 for
  entries of variance sigma^2.

Each check names the case and the property that fails (a transposed W, scores that differ
by a constant per row, a flipped sign, a wrong scale, a divisor that misses sigma or d ...)
and stages its hints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.scoring import BilinearAttention


def _random(*shape: int, seed: int) -> torch.Tensor:
    """A seeded standard-normal tensor that leaves the global generator alone."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


def _reference_bilinear_scores(
    queries: torch.Tensor, keys: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    """The package's bilinear scores with the given W (query_size, key_size)."""
    layer = BilinearAttention(key_size=W.shape[1], query_size=W.shape[0])
    with torch.no_grad():
        layer.W.weight.copy_(W)
        return layer.score(queries, keys)  # (batch, queries, keys)


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-4) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=1e-4))


def _diagnose_bilinear(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or not actual.is_floating_point():
        return None
    queries, keys, W = case.args
    swapped = expected.shape[:1] + expected.shape[:0:-1]  # (batch, keys, queries)
    if actual.shape == swapped and actual.shape != expected.shape:
        return Failure("shape", f"returned shape {tuple(actual.shape)} = (batch, keys, queries); "
                                f"expected (batch, queries, keys) = {tuple(expected.shape)}")
    if actual.shape != expected.shape or _close(actual, expected):
        return None
    if W.shape[0] == W.shape[1] and _close(actual, _reference_bilinear_scores(queries, keys, W.T)):
        return Failure("transposed", "the scores are q^T W^T k: W is used the wrong way round")
    return None


BILINEAR_HINTS = {
    "transposed": [
        "Your scores are those of the transposed matrix. W has shape (query_size, key_size): "
        "which side of W does the query stand on, and which the key?",
        "Write the score of one pair with explicit indices, sum over a and b of "
        "q[a] W[a, b] k[b], and compare the order of W's indices with your code.",
    ],
    "shape": [
        "Check the order of your result's axes: one row per query, one column per key.",
        "Which of your two operands of the batched product carries the queries axis, and "
        "which the keys axis?",
    ],
    "raised": [
        "Your function raised an error. What are the shapes of queries, W and keys in that "
        "case, and which sizes must agree in a matrix product?",
        "Keys come as rows (batch, keys, key_size); W k for every key is a product with W "
        "on which side of those rows?",
    ],
    "values": [
        "The shape is right but the values are not. Try W = identity: do you get the plain "
        "dot products?",
        "Compare one entry of your result with queries[0, i] @ W @ keys[0, j] by hand.",
    ],
}


def check_my_bilinear_scores(student: Callable) -> None:
    """Check ``student(queries, keys, W)`` against the package's bilinear scores.

    The student's function takes queries (batch, queries, query_size), keys
    (batch, keys, key_size) and W (query_size, key_size) and returns the
    scores q^T W k of shape (batch, queries, keys). Prints a verdict.
    """
    square = (_random(1, 3, 4, seed=1), _random(1, 5, 4, seed=2), _random(4, 4, seed=3))
    mixed = (_random(2, 3, 6, seed=4), _random(2, 4, 5, seed=5), _random(6, 5, seed=6))
    queries, keys = _random(2, 3, 4, seed=7), _random(2, 5, 4, seed=8)
    dot_products = torch.bmm(queries, keys.transpose(1, 2))  # (2, 3, 5)
    single = (_random(1, 1, 3, seed=9), _random(1, 1, 2, seed=10), _random(3, 2, seed=11))
    cases = [
        Case("queries and keys of the same size", args=square),
        Case("queries and keys of different sizes, batch of 2", args=mixed),
        Case("W = identity gives the dot product", args=(queries, keys, torch.eye(4)),
             expected=dot_products),
        Case("one query and one key", args=single),
    ]
    run_check("my_bilinear_scores", student, _reference_bilinear_scores, cases,
              atol=1e-4, hints=BILINEAR_HINTS, diagnose=_diagnose_bilinear)


def _reference_gaussian_scores(
    queries: torch.Tensor, keys: torch.Tensor, sigma: float
) -> torch.Tensor:
    """-|q - k|^2 / (2 sigma^2) for every pair, by explicit differences in float64."""
    differences = queries.double().unsqueeze(2) - keys.double().unsqueeze(1)  # (b, q, k, d)
    return (-(differences**2).sum(-1) / (2 * sigma**2)).to(queries.dtype)  # (b, q, k)


def _diagnose_gaussian(actual: Any, expected: Any, case: Case) -> Failure | None:
    if (not isinstance(actual, torch.Tensor) or actual.shape != expected.shape
            or not actual.is_floating_point() or _close(actual, expected, atol=1e-3)):
        return None
    if not torch.isfinite(actual).all():
        return None
    difference = (actual - expected).double()  # (batch, queries, keys)
    per_row = difference - difference.mean(-1, keepdim=True)
    if per_row.abs().max() < 1e-3 * max(1.0, float(expected.abs().max())):
        b, q = _first_row(difference)
        return Failure("row_constant", "your scores differ from -|q - k|^2 / (2 sigma^2) by the "
                                       f"same amount ({float(difference[b, q, 0]):.3g}) for every "
                                       f"key of row (batch {b}, query {q})")
    if _close(actual, -expected, atol=1e-3):
        return Failure("sign", "your scores have the opposite sign: near keys score lowest")
    ratio = (actual.double() / expected.double()).flatten()
    if torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-3) and float(ratio[0]) > 0:
        return Failure("scale", f"your scores are {float(ratio[0]):.3g} times the expected ones")
    return None


def _first_row(difference: torch.Tensor) -> tuple[int, int]:
    rows = difference.abs().amax(-1)  # (batch, queries)
    b, q = (int(i) for i in (rows == rows.max()).nonzero()[0])
    return b, q


GAUSSIAN_HINTS = {
    "row_constant": [
        "Your scores are off by the same amount for every key of a query. A softmax would "
        "not notice; the scores, though, are not -|q - k|^2 / (2 sigma^2). Which term of the "
        "expanded square depends on the query alone?",
        "Expand |q - k|^2 into three terms and check that each one appears in your code, "
        "with its sign and with the factor 1 / (2 sigma^2).",
    ],
    "sign": [
        "Near keys should score highest. Is your result a distance or minus a distance?",
    ],
    "scale": [
        "Your scores are a constant multiple of the expected ones. Which factor of the "
        "kernel's exponent is missing or doubled?",
        "The exponent is -|q - k|^2 divided by 2 sigma^2: check the 2 and the square on sigma.",
    ],
    "shape": [
        "Check the order of your result's axes: one row per query, one column per key.",
        "The squared lengths of the queries and of the keys need different axes to broadcast "
        "against (batch, queries, keys): which gets which?",
    ],
    "values": [
        "The shape is right but the values are not. Check one entry against "
        "-((queries[0, i] - keys[0, j]) ** 2).sum() / (2 * sigma ** 2) by hand.",
        "Expand |q - k|^2 = |q|^2 - 2 q.k + |k|^2: which of the three terms does your code "
        "compute differently?",
    ],
}


def check_my_gaussian_scores(student: Callable) -> None:
    """Check ``student(queries, keys, sigma)`` -> (batch, queries, keys) Gaussian-kernel scores.

    Queries (batch, queries, d), keys (batch, keys, d), sigma a positive float; the scores
    are -|q - k|^2 / (2 sigma^2). Prints a verdict.
    """
    cases = [
        Case("one query, six keys, sigma = 1",
             args=(_random(1, 1, 8, seed=31), _random(1, 6, 8, seed=32), 1.0)),
        Case("batch of 2, 3 queries, 5 keys, sigma = 0.5",
             args=(_random(2, 3, 4, seed=33), _random(2, 5, 4, seed=34), 0.5)),
        Case("more queries than keys, sigma = 2",
             args=(_random(2, 4, 3, seed=35), _random(2, 2, 3, seed=36), 2.0)),
        Case("d = 1, as in lesson 01's kernel regression, sigma = 0.3",
             args=(_random(1, 5, 1, seed=37), _random(1, 7, 1, seed=38), 0.3)),
    ]
    run_check("my_gaussian_scores", student, _reference_gaussian_scores, cases,
              atol=1e-3, hints=GAUSSIAN_HINTS, diagnose=_diagnose_gaussian)


def _reference_scaled_scores(
    queries: torch.Tensor, keys: torch.Tensor, sigma: float
) -> torch.Tensor:
    """q^T k / (sigma^2 sqrt(d)) for every pair: variance 1 for entries of variance sigma^2."""
    d = queries.shape[-1]
    return torch.bmm(queries, keys.transpose(1, 2)) / (sigma**2 * d**0.5)  # (b, q, k)


def _multiple(actual: torch.Tensor, expected: torch.Tensor) -> float | None:
    """c if actual = c * expected (to 1e-4 relative), else None."""
    a, e = actual.double().flatten(), expected.double().flatten()
    c = float((a @ e) / (e @ e))
    if (a - c * e).abs().max() <= 1e-4 * max(1.0, float(a.abs().max())):
        return c
    return None


def _diagnose_scaled(actual: Any, expected: Any, case: Case) -> Failure | None:
    if (not isinstance(actual, torch.Tensor) or actual.shape != expected.shape
            or not actual.is_floating_point() or not torch.isfinite(actual).all()
            or _close(actual, expected)):
        return None
    queries, _, sigma = case.args
    d = queries.shape[-1]
    variance, wanted = float(actual.double().var()), float(expected.double().var())
    measured = (f"the variance of your scores on this case is {variance:.3g}; the right "
                f"scale gives {wanted:.3g} here (1 on average over random draws)")
    centred = abs(float(actual.double().mean())) < 1e-4
    if abs(variance - 1) < 1e-4 and abs(wanted - 1) > 1e-3:
        return Failure("standardised", f"{measured}: exactly 1, as if divided by their own "
                                       "measured spread" + (" after centring" if centred else ""))
    c = _multiple(actual, expected)
    if c is None or c <= 0:
        return None
    near = lambda x: abs(c - x) <= 1e-3 * x  # noqa: E731
    powers = (0.5, 1.0, -0.5, -1.0)
    if d > 1 and any(near(d**p) for p in powers):
        return Failure("dimension", f"your scores are {c:.3g} times the expected ones, a factor "
                                    f"that depends on d = {d}: {measured}")
    if sigma != 1 and any(near(sigma**p) for p in (1, 2, -1, -2)):
        return Failure("sigma", f"your scores are {c:.3g} times the expected ones, a factor that "
                                f"depends on sigma = {sigma:g}: {measured}")
    return Failure("scale", f"your scores are {c:.3g} times the expected ones: {measured}")


SCALED_HINTS = {
    "sigma": [
        "Your divisor is right for sigma = 1 but not for this sigma. Predict on paper: if "
        "q_j and k_j each have variance sigma^2, what is the variance of their product?",
        "Var(q_j k_j) = E[q_j^2] E[k_j^2] for independent entries of mean 0. Then add d "
        "independent products: how does the variance of the sum depend on sigma?",
    ],
    "dimension": [
        "You are off by a factor that follows d. How does the variance of a sum of d "
        "independent terms grow with d?",
        "Dividing a score by c divides its variance by c^2, not by c. Compare how your "
        "divisor grows with d with how the variance grows.",
    ],
    "standardised": [
        "You rescale the scores by their measured spread, so each score depends on every "
        "other pair in the batch (and on how many there are). The exercise asks for a fixed "
        "number: can you predict Var(q^T k) from sigma and d alone?",
        "Work out Var(q^T k) on paper for entries of variance sigma^2, then divide by a "
        "number computed from that prediction, never from the scores.",
    ],
    "scale": [
        "Your scores are a constant multiple of the expected ones. Predict Var(q^T k) for "
        "this case's sigma and d: by how much does your divisor miss it?",
        "Measure: print the variance of your scores for sigma = 1 and sigma = 2, and for "
        "d = 16 and d = 64. Which dependence does your divisor get wrong?",
    ],
    "shape": [
        "Check the order of your result's axes: one row per query, one column per key.",
        "Which operand of the batched product carries the queries axis, and which the keys?",
    ],
}


def check_my_scaled_scores(student: Callable) -> None:
    """Check ``student(queries, keys, sigma)`` -> (batch, queries, keys) dot products divided
    so that their variance is 1 when the entries of queries and keys have variance sigma^2.

    Each case draws queries and keys with entries of standard deviation sigma; a wrong
    divisor is reported with the variance it gives on that case. Prints a verdict.
    """
    def entries(sigma: float, *shape: int, seed: int) -> torch.Tensor:
        return sigma * _random(*shape, seed=seed)

    cases = [
        Case("sigma = 1, d = 16, 64 queries and 48 keys",
             args=(entries(1.0, 1, 64, 16, seed=41), entries(1.0, 1, 48, 16, seed=42), 1.0)),
        Case("sigma = 2, d = 64, 48 queries and 64 keys",
             args=(entries(2.0, 1, 48, 64, seed=43), entries(2.0, 1, 64, 64, seed=44), 2.0)),
        Case("sigma = 0.5, d = 8, batch of 2, 32 queries and 48 keys",
             args=(entries(0.5, 2, 32, 8, seed=45), entries(0.5, 2, 48, 8, seed=46), 0.5)),
        Case("sigma = 3, d = 1",
             args=(entries(3.0, 1, 40, 1, seed=47), entries(3.0, 1, 30, 1, seed=48), 3.0)),
    ]
    run_check("my_scaled_scores", student, _reference_scaled_scores, cases,
              atol=1e-4, hints=SCALED_HINTS, diagnose=_diagnose_scaled)
