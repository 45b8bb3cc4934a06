"""Checks for the coding exercises of lesson 04 (scoring functions).

- ``check_my_bilinear_scores(my_bilinear_scores)``: q^T W k for every query-key pair.
- ``check_my_gaussian_scores(my_gaussian_scores)``: -|q - k|^2 / (2 sigma^2) through dot products,
  without allocating a tensor of differences, (batch, queries, keys, d) or one sequence's
  (queries, keys, d).
- ``check_my_scaled_scores(my_scaled_scores)``: dot products divided by the number that brings
  their variance back to 1 for entries of variance sigma^2, compared with the exact divisor.

Each check names the case and the property that fails (axes in the wrong order, an axis too
many, a transposed W, scores that differ by a constant per row, a flipped sign, a wrong
scale, a tensor of differences d times the size of the scores, a divisor whose dependence on
sigma (in either check), on d or on both is wrong, or that depends on something besides sigma
and d, found across the cases together ...) and stages its hints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from attn_course.checks.core import Case, CaseResult, Failure, evaluate, report
from attn_course.checks.i18n import N_, _
from attn_course.scoring import BilinearAttention


def _random(*shape: int, seed: int) -> torch.Tensor:
    """A seeded standard-normal tensor that leaves the global generator alone."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


class _LargestAllocation(TorchDispatchMode):
    """Records the largest storage, in numbers, that any operation returns while active."""

    def __init__(self) -> None:
        super().__init__()
        self.numel = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for value in tree_flatten(result)[0]:
            if isinstance(value, torch.Tensor) and value.layout == torch.strided:
                numel = value.untyped_storage().nbytes() // max(value.element_size(), 1)
                self.numel = max(self.numel, numel)
        return result


@dataclass
class _Call:
    """What the student's function returned on one case, and the largest tensor it allocated."""

    output: Any = None
    largest: int = 0


Review = Callable[[list[CaseResult], list[_Call], Sequence[Case]], list[CaseResult]]


def _run(
    name: str,
    student: Callable,
    reference: Callable,
    cases: Sequence[Case],
    atol: float,
    hints: dict[str, list[str]],
    diagnose: Callable | None = None,
    review: Review | None = None,
) -> None:
    """Like ``run_check``, then names axes in the wrong order and lets ``review`` look at all
    cases together (a law across cases, the memory a function allocated)."""
    calls: list[_Call] = []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        call = _Call()
        calls.append(call)
        with _LargestAllocation() as mode:
            try:
                call.output = student(*args, **kwargs)
            finally:
                call.largest = mode.numel
        return call.output

    results = evaluate(recorded, reference, cases, atol=atol, diagnose=diagnose)
    if results is not None:
        results = [
            _name_swapped_axes(result, call.output, case)
            for result, call, case in zip(results, calls, cases, strict=True)
        ]
        if review is not None:
            results = review(results, calls, cases)
    report(name, results, hints=hints)


def _name_swapped_axes(result: CaseResult, actual: Any, case: Case) -> CaseResult:
    """A shape failure whose shape is (batch, keys, queries) becomes kind "axes"."""
    if result.kind != "shape" or not isinstance(actual, torch.Tensor):
        return result
    queries, keys = case.args[0], case.args[1]
    expected = (queries.shape[0], queries.shape[1], keys.shape[1])
    if tuple(actual.shape) != (expected[0], expected[2], expected[1]):
        return result
    return CaseResult(
        result.description,
        False,
        _(
            "returned shape {shape} = (batch, keys, queries); "
            "expected (batch, queries, keys) = {expected}"
        ).format(shape=tuple(actual.shape), expected=expected),
        "axes",
    )


AXES_HINTS = [
    N_(
        "Your result has the right sizes in the wrong order: one row per query, one column per key."
    ),
    N_(
        "Which of your two operands of the batched product carries the queries axis, and "
        "which the keys axis?"
    ),
]
SHAPE_HINTS = [
    N_(
        "The scores have exactly three axes, (batch, queries, keys). Compare your shape with "
        "that one: which axis is extra, missing or of the wrong size?"
    ),
    N_(
        "Print the shape after each line of your function on the failing case: which line "
        "adds, keeps or drops an axis?"
    ),
]


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
    if actual.shape != expected.shape or _close(actual, expected):
        return None
    if W.shape[0] == W.shape[1] and _close(actual, _reference_bilinear_scores(queries, keys, W.T)):
        return Failure("transposed", _("the scores are q^T W^T k: W is used the wrong way round"))
    return None


BILINEAR_HINTS = {
    "transposed": [
        N_(
            "Your scores are those of the transposed matrix. W has shape (query_size, key_size): "
            "which side of W does the query stand on, and which the key?"
        ),
        N_(
            "Write the score of one pair with explicit indices, sum over a and b of "
            "q[a] W[a, b] k[b], and compare the order of W's indices with your code."
        ),
    ],
    "axes": AXES_HINTS,
    "shape": SHAPE_HINTS,
    "raised": [
        N_(
            "Your function raised an error. What are the shapes of queries, W and keys in that "
            "case, and which sizes must agree in a matrix product?"
        ),
        N_(
            "Keys come as rows (batch, keys, key_size); W k for every key is a product with W "
            "on which side of those rows?"
        ),
    ],
    "values": [
        N_(
            "The shape is right but the values are not. Try W = identity: do you get the plain "
            "dot products?"
        ),
        N_("Compare one entry of your result with queries[0, i] @ W @ keys[0, j] by hand."),
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
        Case(_("queries and keys of the same size"), args=square),
        Case(_("queries and keys of different sizes, batch of 2"), args=mixed),
        Case(
            _("W = identity gives the dot product"),
            args=(queries, keys, torch.eye(4)),
            expected=dot_products,
        ),
        Case(_("one query and one key"), args=single),
    ]
    _run(
        "my_bilinear_scores",
        student,
        _reference_bilinear_scores,
        cases,
        atol=1e-4,
        hints=BILINEAR_HINTS,
        diagnose=_diagnose_bilinear,
    )


def _reference_gaussian_scores(
    queries: torch.Tensor, keys: torch.Tensor, sigma: float
) -> torch.Tensor:
    """-|q - k|^2 / (2 sigma^2) for every pair, by explicit differences in float64."""
    differences = queries.double().unsqueeze(2) - keys.double().unsqueeze(1)  # (b, q, k, d)
    return (-(differences**2).sum(-1) / (2 * sigma**2)).to(queries.dtype)  # (b, q, k)


def _diagnose_gaussian(actual: Any, expected: Any, case: Case) -> Failure | None:
    if (
        not isinstance(actual, torch.Tensor)
        or actual.shape != expected.shape
        or not actual.is_floating_point()
        or _close(actual, expected, atol=1e-3)
    ):
        return None
    if not torch.isfinite(actual).all():
        return None
    difference = (actual - expected).double()  # (batch, queries, keys)
    per_row = difference - difference.mean(-1, keepdim=True)
    if per_row.abs().max() < 1e-3 * max(1.0, float(expected.abs().max())):
        b, q = _first_row(difference)
        return Failure(
            "row_constant",
            _(
                "your scores differ from -|q - k|^2 / (2 sigma^2) by the "
                "same amount ({difference:.3g}) for every "
                "key of row (batch {batch}, query {query})"
            ).format(difference=float(difference[b, q, 0]), batch=b, query=q),
        )
    if _close(actual, -expected, atol=1e-3):
        return Failure("sign", _("your scores have the opposite sign: near keys score lowest"))
    ratio = (actual.double() / expected.double()).flatten()
    if torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-3) and float(ratio[0]) > 0:
        return Failure(
            "scale",
            _("your scores are {multiple:.3g} times the expected ones").format(
                multiple=float(ratio[0])
            ),
        )
    return None


def _first_row(difference: torch.Tensor) -> tuple[int, int]:
    rows = difference.abs().amax(-1)  # (batch, queries)
    b, q = (int(i) for i in (rows == rows.max()).nonzero()[0])
    return b, q


GAUSSIAN_HINTS = {
    "row_constant": [
        N_(
            "Your scores are off by the same amount for every key of a query. A softmax would "
            "not notice; the scores, though, are not -|q - k|^2 / (2 sigma^2). Which term of the "
            "expanded square depends on the query alone?"
        ),
        N_(
            "Expand |q - k|^2 into three terms and check that each one appears in your code, "
            "with its sign and with the factor 1 / (2 sigma^2)."
        ),
    ],
    "sign": [
        N_("Near keys should score highest. Is your result a distance or minus a distance?"),
    ],
    "sigma": [
        N_(
            "Your scores are off by a factor that follows sigma. Which power of sigma does the "
            "kernel's exponent divide by, and which does your code?"
        ),
        N_(
            "The exponent is -|q - k|^2 divided by 2 sigma^2: check the square on sigma, and "
            "that the whole of 2 sigma^2 divides."
        ),
    ],
    "scale": [
        N_(
            "Your scores are a constant multiple of the expected ones. Which factor of the "
            "kernel's exponent is missing or doubled?"
        ),
        N_("The exponent is -|q - k|^2 divided by 2 sigma^2: check the 2 and the square on sigma."),
    ],
    "differences": [
        N_(
            "Your scores are right, but on the way your function allocates a tensor as large as "
            "the differences of a whole sequence, (queries, keys, d), or larger. How many bytes "
            "would (batch, queries, keys, d) take for a batch of 64, 512 queries, 512 keys and "
            "d = 64 in float32, and how many one sequence's share of it?"
        ),
        N_(
            "Expand |q - k|^2 into three terms. Which of them involves a query and a key "
            "together, and which single batched operation gives it for every pair at once?"
        ),
    ],
    "axes": [
        N_(
            "Your result has the right sizes in the wrong order: one row per query, one column "
            "per key."
        ),
        N_(
            "The squared lengths of the queries and of the keys need different axes to broadcast "
            "against (batch, queries, keys): which gets which?"
        ),
    ],
    "shape": SHAPE_HINTS,
    "values": [
        N_(
            "The shape is right but the values are not. Check one entry against "
            "-((queries[0, i] - keys[0, j]) ** 2).sum() / (2 * sigma ** 2) by hand."
        ),
        N_(
            "Expand |q - k|^2 = |q|^2 - 2 q.k + |k|^2: which of the three terms does your code "
            "compute differently?"
        ),
    ],
}


def check_my_gaussian_scores(student: Callable) -> None:
    """Check ``student(queries, keys, sigma)`` -> (batch, queries, keys) Gaussian-kernel scores.

    Queries (batch, queries, d), keys (batch, keys, d), sigma a positive float; the scores
    are -|q - k|^2 / (2 sigma^2). Right values computed through a tensor as large as one
    sequence's differences, (queries, keys, d), fail too: the check records the largest tensor
    the function allocates. Prints a verdict.
    """
    cases = [
        Case(
            _("one query, six keys, sigma = 1"),
            args=(_random(1, 1, 8, seed=31), _random(1, 6, 8, seed=32), 1.0),
        ),
        Case(
            _("batch of 2, 3 queries, 5 keys, sigma = 0.5"),
            args=(_random(2, 3, 4, seed=33), _random(2, 5, 4, seed=34), 0.5),
        ),
        Case(
            _("more queries than keys, sigma = 2"),
            args=(_random(2, 4, 3, seed=35), _random(2, 2, 3, seed=36), 2.0),
        ),
        Case(
            _("d = 1, as in lesson 01's kernel regression, sigma = 0.3"),
            args=(_random(1, 5, 1, seed=37), _random(1, 7, 1, seed=38), 0.3),
        ),
        Case(
            _("batch of 2, 16 queries, 12 keys, d = 32, sigma = 4"),
            args=(_random(2, 16, 32, seed=39), _random(2, 12, 32, seed=40), 4.0),
        ),
    ]
    _run(
        "my_gaussian_scores",
        student,
        _reference_gaussian_scores,
        cases,
        atol=1e-3,
        hints=GAUSSIAN_HINTS,
        diagnose=_diagnose_gaussian,
        review=_review_gaussian,
    )


def _sigma_law(calls: list[_Call], cases: Sequence[Case]) -> tuple[float, float] | None:
    """(a, c0) if on every case the scores are c0 sigma^a times the expected ones, with a a
    nonzero multiple of 1/2 fitted over all the cases together (passing ones included); else
    None."""
    multiples = _multiples(calls, cases, _reference_gaussian_scores)
    if multiples is None:
        return None
    sigmas = [math.log(case.args[2]) for case in cases]
    logs = [math.log(c) for c in multiples]
    x, y = torch.tensor(sigmas, dtype=torch.float64), torch.tensor(logs, dtype=torch.float64)
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
    a = round(2 * slope) / 2
    rest = y - a * x  # log c0 on every case if the law holds
    if a == 0 or float(rest.max() - rest.min()) > 1e-3:
        return None
    return a, math.exp(float(rest.mean()))


def _review_gaussian(
    results: list[CaseResult], calls: list[_Call], cases: Sequence[Case]
) -> list[CaseResult]:
    """A case with right values fails if the function allocated queries * keys * d numbers or
    more, the differences of one sequence (a loop over the batch is caught too), where that is
    more than any of the inputs or the scores hold. A factor that follows sigma over all the
    cases is named as such."""
    law = _sigma_law(calls, cases)
    reviewed = []
    for result, call, case in zip(results, calls, cases, strict=True):
        if law is not None and not result.passed and result.kind in ("scale", "values"):
            a, c0 = law
            factor = " ".join([f"{c0:.3g}"] * (abs(c0 - 1) > 1e-3) + [_power("sigma", a)])
            c = _multiple(call.output, _reference_gaussian_scores(*case.args))
            result = CaseResult(
                result.description,
                False,
                _(
                    "your scores are {multiple:.3g} times the expected ones; over all the "
                    "cases the factor is {factor}, so your divisor {divisor_law}"
                ).format(multiple=c, factor=factor, divisor_law=_divisor_law("sigma", 2 - a, 2.0)),
                "sigma",
            )
        queries, keys, _sigma = case.args
        (batch, num_queries, d), num_keys = queries.shape, keys.shape[1]
        differences = num_queries * num_keys * d  # one sequence's (queries, keys, d)
        scores = batch * num_queries * num_keys
        needed = max(queries.numel(), keys.numel(), scores)
        if result.passed and differences > needed and call.largest >= differences:
            result = CaseResult(
                result.description,
                False,
                _(
                    "right values, but your function allocated a tensor of {largest} "
                    "numbers; the differences of one sequence, (queries, keys, d) = "
                    "{shape}, hold {differences}, the scores of the whole batch {scores}"
                ).format(
                    largest=call.largest,
                    shape=(num_queries, num_keys, d),
                    differences=differences,
                    scores=scores,
                ),
                "differences",
            )
        reviewed.append(result)
    return reviewed


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


def _power(name: str, exponent: float) -> str:
    return name if exponent == 1 else f"{name}^{exponent:g}"


def _power_law(calls: list[_Call], cases: Sequence[Case]) -> tuple[float, float, float] | None:
    """(a, b, c0) if on every case the scores are c0 sigma^a d^b times the expected ones,
    with a and b multiples of 1/2, fitted over all the cases together; else None."""
    rows, logs = [], []
    for call, case in zip(calls, cases, strict=True):
        queries, keys, sigma = case.args
        expected = _reference_scaled_scores(queries, keys, sigma)
        actual = call.output
        if (
            not isinstance(actual, torch.Tensor)
            or actual.shape != expected.shape
            or not actual.is_floating_point()
            or not torch.isfinite(actual).all()
        ):
            return None
        c = _multiple(actual, expected)
        if c is None or c <= 0:
            return None
        rows.append([1.0, math.log(sigma), math.log(queries.shape[-1])])
        logs.append(math.log(c))
    A, y = torch.tensor(rows, dtype=torch.float64), torch.tensor(logs, dtype=torch.float64)
    fit = torch.linalg.lstsq(A, y.unsqueeze(-1)).solution.squeeze(-1)  # log c0, a, b
    a, b = (round(2 * float(x)) / 2 for x in fit[1:])
    rest = y - a * A[:, 1] - b * A[:, 2]  # log c0 on every case if the law holds
    if float(rest.max() - rest.min()) > 1e-3:
        return None
    return a, b, math.exp(float(rest.mean()))


def _multiples(
    calls: list[_Call], cases: Sequence[Case], reference: Callable = None
) -> list[float] | None:
    """The factor c > 0 with scores = c * reference's on every case (the scaled scores by
    default), or None if one case has none."""
    reference = reference or _reference_scaled_scores
    found = []
    for call, case in zip(calls, cases, strict=True):
        expected = reference(*case.args)
        actual = call.output
        if (
            not isinstance(actual, torch.Tensor)
            or actual.shape != expected.shape
            or not actual.is_floating_point()
            or not torch.isfinite(actual).all()
        ):
            return None
        c = _multiple(actual, expected)
        if c is None or c <= 0:
            return None
        found.append(c)
    return found


def _variances(actual: torch.Tensor, expected: torch.Tensor) -> str:
    variance, wanted = float(actual.double().var()), float(expected.double().var())
    return _(
        "the variance of your scores on this case is {variance:.3g}; the exact divisor "
        "gives {wanted:.3g} here (1 on average over random draws)"
    ).format(variance=variance, wanted=wanted)


def _review_scaled(
    results: list[CaseResult], calls: list[_Call], cases: Sequence[Case]
) -> list[CaseResult]:
    """Names a wrong divisor from all cases together: how it depends on sigma and on d."""
    law = _power_law(calls, cases)
    multiples = _multiples(calls, cases)
    reviewed = []
    for result, call, case in zip(results, calls, cases, strict=True):
        if result.kind == "values":
            expected = _reference_scaled_scores(*case.args)
            failure = _diagnose_scaled(call.output, expected, law, multiples)
            if failure is not None:
                result = CaseResult(result.description, False, failure.detail, failure.kind)
        reviewed.append(result)
    return reviewed


def _diagnose_scaled(
    actual: torch.Tensor,
    expected: torch.Tensor,
    law: tuple[float, float, float] | None,
    multiples: list[float] | None = None,
) -> Failure | None:
    """``multiples``: the factor between the student's scores and the expected ones on every
    case (None unless the scores are a positive multiple of the expected ones on each)."""
    if not torch.isfinite(actual).all():
        return None
    measured = _variances(actual, expected)
    variance, wanted = float(actual.double().var()), float(expected.double().var())
    centred = abs(float(actual.double().mean())) < 1e-4
    if abs(variance - 1) < 1e-4 and abs(wanted - 1) > 1e-3:
        if centred:
            said = _(
                "{variances}: exactly 1, as if divided by their own measured spread after centring"
            )
        else:
            said = _("{variances}: exactly 1, as if divided by their own measured spread")
        return Failure("standardised", said.format(variances=measured))
    c = _multiple(actual, expected)
    if c is None or c <= 0:
        return None
    if law is None:
        if multiples is not None and max(multiples) - min(multiples) > 1e-3 * max(multiples):
            return Failure(
                "not_sigma_d",
                _(
                    "your scores are {multiple:.3g} times the expected ones, but the factor "
                    "changes from case to case ({factors}) in a way that no power of sigma "
                    "times a power of d explains: your divisor depends on something besides "
                    "sigma and d: {variances}"
                ).format(
                    multiple=c,
                    factors=", ".join(f"{m:.3g}" for m in multiples),
                    variances=measured,
                ),
            )
        return Failure(
            "scale",
            _("your scores are {multiple:.3g} times the expected ones: {variances}").format(
                multiple=c, variances=measured
            ),
        )
    a, b, c0 = law
    factor = " ".join(
        [f"{c0:.3g}"] * (abs(c0 - 1) > 1e-3)
        + [_power("sigma", a)] * (a != 0)
        + [_power("d", b)] * (b != 0)
    )
    # scores = q^T k / divisor, so the divisor goes as sigma^(2 - a) d^(1/2 - b)
    wrong = [
        _divisor_law(name, exact - exponent, exact)
        for name, exponent, exact in [("sigma", a, 2.0), ("d", b, 0.5)]
        if exponent != 0
    ]
    kind = "sigma_and_dimension" if a != 0 and b != 0 else "dimension" if b != 0 else "sigma"
    if kind == "sigma" and abs(c0 - 1) > 1e-3:
        kind = "sigma_and_scale"  # wrong on sigma = 1 too: a constant factor besides sigma
    if len(wrong) == 2:
        said = _(
            "your scores are {multiple:.3g} times the expected ones; over all the cases the "
            "factor is {factor}, so your divisor {divisor_law} and {other_law}: {variances}"
        )
    elif wrong:
        said = _(
            "your scores are {multiple:.3g} times the expected ones; over all the cases the "
            "factor is {factor}, so your divisor {divisor_law}: {variances}"
        )
    else:
        said = _(
            "your scores are {multiple:.3g} times the expected ones; over all the cases the "
            "factor is {factor}, the same on every case: {variances}"
        )
    detail = said.format(
        multiple=c,
        factor=factor,
        divisor_law=wrong[0] if wrong else "",
        other_law=wrong[-1] if wrong else "",
        variances=measured,
    )
    return Failure(kind if wrong else "scale", detail)


def _as_power(name: str, exponent: float) -> str:
    return f"sqrt({name})" if exponent == 0.5 else _power(name, exponent)


def _divisor_law(name: str, exponent: float, exact: float) -> str:
    """How a divisor that goes as name^exponent misses name^exact, in words."""
    if exponent == 0:
        return _("ignores {name} (the exact one goes as {exact})").format(
            name=name, exact=_as_power(name, exact)
        )
    return _("goes as {power} where the exact one goes as {exact}").format(
        power=_as_power(name, exponent), exact=_as_power(name, exact)
    )


SCALED_HINTS = {
    "sigma": [
        N_(
            "Your divisor is right for sigma = 1 but not for other sigma. Predict on paper: if "
            "q_j and k_j each have variance sigma^2, what is the variance of their product?"
        ),
        N_(
            "Var(q_j k_j) = E[q_j^2] E[k_j^2] for independent entries of mean 0. Then add d "
            "independent products: how does the variance of the sum depend on sigma?"
        ),
    ],
    "sigma_and_scale": [
        N_(
            "Your divisor follows sigma the wrong way, and it is off by a constant factor too, "
            "so it is wrong for sigma = 1 as well. Predict on paper: if q_j and k_j each have "
            "variance sigma^2, what is the variance of their product?"
        ),
        N_(
            "Var(q_j k_j) = E[q_j^2] E[k_j^2] for independent entries of mean 0. Add d "
            "independent products, then write the standard deviation of the sum: which power "
            "of sigma and which number does your divisor need?"
        ),
    ],
    "dimension": [
        N_(
            "You are off by a factor that follows d. How does the variance of a sum of d "
            "independent terms grow with d?"
        ),
        N_(
            "Dividing a score by c divides its variance by c^2, not by c. Compare how your "
            "divisor grows with d with how the variance grows."
        ),
    ],
    "sigma_and_dimension": [
        N_(
            "Your divisor follows neither sigma nor d the way the variance does. Predict "
            "Var(q_j k_j) for one coordinate first, then for the sum of d of them."
        ),
        N_(
            "Dividing a score by c divides its variance by c^2. Write your prediction of "
            "Var(q^T k) as a power of sigma times a power of d: which power of each should "
            "your divisor have?"
        ),
    ],
    "standardised": [
        N_(
            "You rescale the scores by their measured spread, so each score depends on every "
            "other pair in the batch (and on how many there are). The exercise asks for a fixed "
            "number: can you predict Var(q^T k) from sigma and d alone?"
        ),
        N_(
            "Work out Var(q^T k) on paper for entries of variance sigma^2, then divide by a "
            "number computed from that prediction, never from the scores."
        ),
    ],
    "not_sigma_d": [
        N_(
            "Your divisor changes from case to case in a way no power of sigma and d explains. "
            "Which quantity does it use besides sigma and d: the number of queries or keys, or a "
            "spread measured from the tensors?"
        ),
        N_(
            "Predict Var(q^T k) on paper from sigma and d alone, and divide by a number computed "
            "from that prediction: use the sigma you are given, never one measured from the data."
        ),
    ],
    "scale": [
        N_(
            "Your scores are a constant multiple of the expected ones. Predict Var(q^T k) for "
            "this case's sigma and d: by how much does your divisor miss it?"
        ),
        N_(
            "Measure: print the variance of your scores for sigma = 1 and sigma = 2, and for "
            "d = 16 and d = 64. Which dependence does your divisor get wrong?"
        ),
    ],
    "axes": AXES_HINTS,
    "shape": SHAPE_HINTS,
}


def check_my_scaled_scores(student: Callable) -> None:
    """Check ``student(queries, keys, sigma)`` -> (batch, queries, keys) dot products divided
    so that their variance is 1 when the entries of queries and keys have variance sigma^2.

    Each case draws queries and keys with entries of standard deviation sigma and compares
    with the exact divisor sigma^2 sqrt(d). A wrong divisor is named from all the cases
    together (how it grows with sigma, with d, or both) and reported with the variance it
    gives on the failing case. Prints a verdict.
    """

    def entries(sigma: float, *shape: int, seed: int) -> torch.Tensor:
        return sigma * _random(*shape, seed=seed)

    cases = [
        Case(
            _("sigma = 1, d = 16, 64 queries and 48 keys"),
            args=(entries(1.0, 1, 64, 16, seed=41), entries(1.0, 1, 48, 16, seed=42), 1.0),
        ),
        Case(
            _("sigma = 2, d = 64, 48 queries and 64 keys"),
            args=(entries(2.0, 1, 48, 64, seed=43), entries(2.0, 1, 64, 64, seed=44), 2.0),
        ),
        Case(
            _("sigma = 0.5, d = 8, batch of 2, 32 queries and 48 keys"),
            args=(entries(0.5, 2, 32, 8, seed=45), entries(0.5, 2, 48, 8, seed=46), 0.5),
        ),
        Case(
            _("sigma = 3, d = 1"),
            args=(entries(3.0, 1, 40, 1, seed=47), entries(3.0, 1, 30, 1, seed=48), 3.0),
        ),
    ]
    _run(
        "my_scaled_scores",
        student,
        _reference_scaled_scores,
        cases,
        atol=1e-4,
        hints=SCALED_HINTS,
        review=_review_scaled,
    )
