"""Checks for the coding exercises of lesson 01 (attention cues).

- ``check_my_nadaraya_watson(my_nadaraya_watson)``: Nadaraya-Watson kernel
  regression with a Gaussian kernel, for queries and keys of any feature size.
- ``check_my_straight_through_pooling(my_straight_through_pooling)``: hard attention
  whose output is the value of each query's highest-scoring key and whose gradient
  with respect to the scores is soft attention's (the straight-through estimator).
- ``check_my_leave_one_out_error(my_leave_one_out_error)``: the leave-one-out error
  of Gaussian-kernel regression, which chooses the width without the true function.

Each check names the kind of a failure (a kernel of the wrong width, weights
normalised over the queries, the output of soft attention, ...) and gives
hints in stages that ask about the property, never the recipe.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, Failure, compare, run_check
from attn_course.checks.i18n import N_, _

# The people of the lesson: (weight in kg, height in cm) and age in years.
_PEOPLE_FEATURES = torch.tensor([[50.0, 160.0], [65.0, 165.0], [60.0, 175.0]])
_PEOPLE_AGES = torch.tensor([50.0, 23.0, 21.0])


def _pool(exponents: torch.Tensor, values: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax of (n_q, n_k) exponents along ``dim``, then the weighted values."""
    return torch.softmax(exponents, dim=dim) @ values  # (n_q,) or (n_q, d_v)


def _squared_distances(queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    differences = queries.unsqueeze(1) - keys.unsqueeze(0)  # (n_q, n_k, d)
    return (differences**2).sum(dim=-1)  # (n_q, n_k)


def _nadaraya_watson(
    queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, sigma: float
) -> torch.Tensor:
    """Reference: Gaussian-kernel attention pooling (queries (n_q, d), keys (n_k, d))."""
    return _pool(-_squared_distances(queries, keys) / (2 * sigma**2), values)


def _nadaraya_watson_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(1)
    keys_1d = torch.linspace(0.0, 4.0, 5).unsqueeze(-1)  # (5, 1)
    values_1d = torch.tensor([0.0, 1.0, 4.0, 9.0, 16.0])  # (5,)
    random_queries = torch.randn(4, 3, generator=generator)  # (4, 3)
    random_keys = torch.randn(6, 3, generator=generator)  # (6, 3)
    random_values = torch.randn(6, 2, generator=generator)  # (6, 2)
    far_queries = torch.tensor([[0.4], [1.5], [2.6]])  # far from every key for sigma 0.02
    return [
        Case(_("one query, one feature"), (torch.tensor([[1.7]]), keys_1d, values_1d, 1.0)),
        Case(
            _("several 1-D queries"), (torch.tensor([[0.0], [2.2], [5.0]]), keys_1d, values_1d, 0.5)
        ),
        Case(
            _("the people table: age at (63 kg, 170 cm)"),
            (torch.tensor([[63.0, 170.0]]), _PEOPLE_FEATURES, _PEOPLE_AGES, 5.0),
        ),
        Case(_("3 features, values of size 2"), (random_queries, random_keys, random_values, 1.0)),
        Case(_("a tiny width (sigma = 0.02)"), (far_queries, keys_1d, values_1d, 0.02)),
    ]


def _close(actual: torch.Tensor, other: torch.Tensor, atol: float = 1e-4) -> bool:
    """Same shape, same dtype and close values (another dtype is left to ``compare``,
    which names it; ``torch.allclose`` would raise on it)."""
    return (
        actual.shape == other.shape
        and actual.dtype == other.dtype
        and bool(torch.allclose(actual, other, atol=atol))
    )


def _diagnose_nadaraya_watson(actual: object, expected: torch.Tensor, case: Case) -> Failure | None:
    """Name the typical mistakes: a wrong width, the distance not squared, a wrong sign,
    a wrong axis, no query."""
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if actual.dtype != expected.dtype:
        return None  # ``compare`` names the dtype
    if not actual.is_floating_point() or not torch.isfinite(actual).all():
        return None
    if _close(actual, expected):
        return None
    queries, keys, values, sigma = case.args
    distances = _squared_distances(queries, keys)  # (n_q, n_k)
    widths = {
        "sigma^2 in place of 2 sigma^2": -distances / sigma**2,
        "2 sigma in place of 2 sigma^2": -distances / (2 * sigma),
        "sigma in place of 2 sigma^2": -distances / sigma,
        "no bandwidth at all": -distances,
    }
    for exponents in widths.values():
        if _close(actual, _pool(exponents, values)):
            return Failure(
                "bandwidth",
                _("your weights are right in form but come from a kernel of another width"),
            )
    distances_unsquared = distances.sqrt()  # (n_q, n_k)
    for exponents in [
        -distances_unsquared / (2 * sigma**2),
        -distances_unsquared / sigma**2,
        -distances_unsquared / (2 * sigma),
        -distances_unsquared / sigma,
    ]:
        if _close(actual, _pool(exponents, values)):
            return Failure(
                "distance",
                _(
                    "your weights fall off with the distance between query and key, where the "
                    "lesson's kernel uses its square"
                ),
            )
    if _close(actual, _pool(distances / (2 * sigma**2), values)):
        return Failure("sign", _("your weights grow with the distance between query and key"))
    if _close(actual, _pool(-distances / (2 * sigma**2), values, dim=0)):
        return Failure("axis", _("the weights of one query do not sum to 1 (they do per key)"))
    if _close(actual, values.mean(dim=0).expand_as(actual)):
        return Failure("average", _("every query gets the plain average of the values"))
    if queries.shape[-1] > 1:
        first = _squared_distances(queries[:, :1], keys[:, :1])  # (n_q, n_k)
        if _close(actual, _pool(-first / (2 * sigma**2), values)):
            return Failure(
                "features",
                _("your distances use the first of the {count} features only").format(
                    count=queries.shape[-1]
                ),
            )
    return None


_NADARAYA_WATSON_HINTS = {
    "nan": [
        N_(
            "Which case gives NaN? For sigma = 0.02 a query 0.4 from its nearest key scores "
            "-0.4^2 / (2 * 0.02^2) = -200: what is exp(-200) in float32, and what is 0 / 0?"
        ),
        N_(
            "Each weight is a ratio of exponentials. Multiplying the top and the bottom of a ratio "
            "by the same positive number leaves it unchanged: which number would keep every "
            "exponential in range?"
        ),
        N_("Which of the operations the lesson uses already performs that rescaling for you?"),
    ],
    "bandwidth": [
        N_(
            "Your kernel has the right shape but the wrong width. Compare your exponent with the "
            "lesson's formula, term by term."
        ),
        N_(
            "Work one query and one key at distance exactly sigma by hand: the lesson's exponent "
            "is -1/2. What is yours?"
        ),
    ],
    "distance": [
        N_(
            "Work one query and one key at distance 2 sigma by hand: the lesson's score is "
            "-(2 sigma)^2 / (2 sigma^2) = -2. What is yours?"
        ),
        N_(
            "Is the distance in your score squared? Some distance functions return the length "
            "of q - k, not its square."
        ),
    ],
    "sign": [
        N_(
            "Your weights favour keys that are far from the query. Which keys should get the "
            "largest score?"
        ),
        N_("Evaluate your score for a key at distance 0 and for a key far away: which is larger?"),
    ],
    "axis": [
        N_("Add up the weights of one query in your code. Do they sum to 1?"),
        N_(
            "Print the sums of your weight matrix along each axis: which axis holds the keys of "
            "one query?"
        ),
    ],
    "average": [
        N_("Every query gets the same answer. Where does the query enter your computation?"),
        N_("Print your weights for two different queries: should they be equal?"),
    ],
    "features": [
        N_(
            "Two people of the same weight but different heights: would your distances tell "
            "them apart?"
        ),
        N_(
            "Print the shape of your differences before you square them, for the people table: "
            "where did the feature axis go?"
        ),
    ],
}


def check_my_nadaraya_watson(student: Callable) -> None:
    """Check ``student(queries, keys, values, sigma)``: (n_q, d), (n_k, d) -> (n_q[, d_v])."""
    run_check(
        "my_nadaraya_watson",
        student,
        _nadaraya_watson,
        _nadaraya_watson_cases(),
        hints=_NADARAYA_WATSON_HINTS,
        diagnose=_diagnose_nadaraya_watson,
        atol=1e-4,
    )


def _straight_through_pooling(scores: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Reference: hard attention's output with soft attention's gradient."""
    soft = torch.softmax(scores, dim=-1) @ values  # (n_q, d_v)
    hard = values[scores.argmax(dim=-1)]  # (n_q, d_v)
    return soft + (hard - soft).detach()  # the value of hard, the gradient of soft


def _with_gradient(function: Callable, scores: torch.Tensor, values: torch.Tensor) -> tuple:
    """Run ``function(scores, values)`` with scores that require a gradient; return its
    output and the gradient, with respect to the scores, of a fixed random projection of
    that output (None if no gradient reaches the scores)."""
    scores.requires_grad_()
    output = function(scores, values)
    if not isinstance(output, torch.Tensor):
        return output, None
    gradient = None
    if output.requires_grad and output.is_floating_point():
        probe = torch.randn(  # the same for the reference and a right answer
            output.shape, generator=torch.Generator().manual_seed(4), dtype=output.dtype
        )
        (gradient,) = torch.autograd.grad((output * probe).sum(), scores, allow_unused=True)
    return output.detach(), gradient


def _straight_through_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(2)
    values = torch.arange(12.0).reshape(4, 3)  # (4 keys, 3 features)
    return [
        Case(_("one query"), (torch.tensor([[0.1, 2.0, -1.0, 0.5]]), values)),
        Case(_("several queries"), (torch.randn(5, 4, generator=generator), values)),
        Case(_("negative scores"), (torch.tensor([[-3.0, -1.0, -2.0, -5.0]]), values)),
        Case(
            _("scores that are nearly tied"),
            (torch.tensor([[1.0, 1.01, 0.99, 1.0], [2.0, 0.0, 1.999, 0.0]]), values),
        ),
    ]


def _diagnose_hard_output(
    output: torch.Tensor, expected: torch.Tensor, case: Case
) -> Failure | None:
    """Name the typical mistakes of the forward pass: a soft average, the lowest score,
    one row per key, the same row for every query, a key other than the best one (a
    sampled pick)."""
    scores, values = (arg.detach() for arg in case.args)
    if _close(output, torch.softmax(scores, dim=-1) @ values):
        return Failure("soft", _("your output rows are weighted averages of the values"))
    if _close(output, values[scores.argmin(dim=-1)]):
        return Failure("lowest", _("each query gets the value of one key, but not the right key"))
    if scores.shape[0] != scores.shape[1] and _close(output, values[scores.argmax(dim=0)]):
        return Failure(
            "axis",
            _(
                "returned {rows} rows: one per key, where the exercise wants "
                "one per query ({queries})"
            ).format(rows=output.shape[0], queries=scores.shape[0]),
        )
    if (
        output.shape == expected.shape
        and output.shape[0] > 1
        and bool((output == output[:1]).all())
        and not bool((expected == expected[:1]).all())
        and any(bool((output[0] == values[k]).all()) for k in scores.argmax(dim=-1))
    ):
        return Failure("same row", _("every query got the same row, but their best keys differ"))
    if output.shape == expected.shape:
        mixed = [
            i
            for i, row in enumerate(output)
            if not any(_close(row, value, atol=1e-5) for value in values)
        ]
        if mixed:
            return Failure(
                "soft", _("output row {row} is not one of the value rows").format(row=mixed[0])
            )
        best = scores.argmax(dim=-1)  # (n_q,)
        for i, row in enumerate(output):
            if not _close(row, values[best[i]], atol=1e-5):
                chosen = next(k for k, value in enumerate(values) if _close(row, value, atol=1e-5))
                return Failure(
                    "wrong key",
                    _(
                        "each output row is a row of `values`, but query {query} got key "
                        "{chosen}'s, where its highest-scoring key is {best}"
                    ).format(query=i, chosen=chosen, best=int(best[i])),
                )
    return None


def _diagnose_straight_through(actual: object, expected: tuple, case: Case) -> Failure | None:
    """Name the typical mistakes: a wrong forward pass (see ``_diagnose_hard_output``),
    no gradient at all, a gradient that is zero (terms that cancel), or the gradient of
    another expression than soft attention. A failure of the output is named as the
    output's, not as an entry of the (output, gradient) pair the check compares."""
    output, gradient = actual  # from ``_with_gradient``
    expected_output, expected_gradient = expected
    if not isinstance(output, torch.Tensor):
        return None  # ``compare`` names the type
    failure = compare(output, expected_output, atol=1e-5)
    if failure is not None:
        named = None
        if failure.kind in ("values", "shape"):
            named = _diagnose_hard_output(output, expected_output, case)
        return named or Failure(
            failure.kind,
            _("your output (not its gradient): {detail}").format(detail=failure.detail),
        )
    if gradient is None:
        return Failure(
            "no gradient",
            _("your output is hard attention's, but no gradient reaches the scores from it"),
        )
    if not bool(gradient.any()) and bool(expected_gradient.any()):
        return Failure(
            "zero gradient",
            _(
                "your output is hard attention's and a gradient reaches the scores, but it "
                "is zero everywhere: do two terms cancel?"
            ),
        )
    if _close(gradient, -expected_gradient, atol=1e-5):
        return Failure(
            "gradient", _("your output is right, but its gradient is minus soft attention's")
        )
    if not _close(gradient, expected_gradient, atol=1e-5):
        difference = float((gradient - expected_gradient).abs().max())
        return Failure(
            "gradient",
            _(
                "your output is right, but its gradient with respect to the scores differs "
                "from soft attention's by up to {difference:.3g}"
            ).format(difference=difference),
        )
    return None


_STRAIGHT_THROUGH_HINTS = {
    "soft": [
        N_(
            "The output must be hard attention's, not a mixture. Is each of your output rows "
            "equal to one row of `values`?"
        ),
        N_(
            "Which part of your expression sets the value you return, and which part should "
            "only set the gradient?"
        ),
    ],
    "lowest": [
        N_(
            "You pick one key per query, but which one? Compare the score of the key you chose "
            "with the scores of the others."
        ),
        N_("Which key wins in the lesson's hard attention: the best match or the worst?"),
    ],
    "axis": [
        N_("How many output rows should there be: one per query or one per key?"),
        N_(
            "`scores` has shape (n_q, n_k). Along which axis do you choose, and which axis "
            "survives?"
        ),
    ],
    "same row": [
        N_("Each query has its own row of scores. Does each query's choice come from its own row?"),
        N_("Print the index you choose for every query: how many indices are there?"),
    ],
    "wrong key": [
        N_(
            "Each query gets one row of `values`, but not always its best key's. Print the key "
            "you choose for each query next to its scores: is it always the highest score?"
        ),
        N_(
            "Run your function twice on the same scores: is the output the same? The exercise's "
            "hard attention takes each query's highest-scoring key, every time."
        ),
    ],
    "zero gradient": [
        N_(
            "A gradient reaches the scores, but it is zero. Which terms of your expression "
            "still depend on `scores` after the detaches, and do their gradients cancel?"
        ),
        N_(
            "Write your output as a sum of terms and mark each one detached or not. The "
            "gradient is the sum of the undetached terms' gradients: which of them should be "
            "soft attention's, and which should carry none?"
        ),
    ],
    "no gradient": [
        N_(
            "Your output is right. Print its `requires_grad`: can a gradient flow from it back "
            "to `scores`?"
        ),
        N_(
            "An index from argmax carries no gradient. Which expression of the scores has the "
            "gradient you want, and how could it enter your output without changing its value?"
        ),
    ],
    "gradient": [
        N_(
            "Your output is right but its gradient is not. Is the expression your gradient comes "
            "from exactly `softmax(scores) @ values`: no temperature, no change of sign?"
        ),
        N_(
            "Differentiate your expression term by term: which terms are detached, and what "
            "gradient does each of the others contribute?"
        ),
    ],
}


def check_my_straight_through_pooling(student: Callable) -> None:
    """Check ``student(scores, values)``: (n_q, n_k), (n_k, d_v) -> (n_q, d_v), the output
    of argmax attention with the gradient of soft attention."""
    run_check(
        "my_straight_through_pooling",
        lambda scores, values: _with_gradient(student, scores, values),
        lambda scores, values: _with_gradient(_straight_through_pooling, scores, values),
        _straight_through_cases(),
        hints=_STRAIGHT_THROUGH_HINTS,
        diagnose=_diagnose_straight_through,
    )


def _leave_one_out_predictions(x: torch.Tensor, y: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each y_i predicted from the other points: (n,), (n,) -> (n,)."""
    scores = -((x.unsqueeze(1) - x.unsqueeze(0)) ** 2) / (2 * sigma**2)  # (n, n)
    scores = scores.masked_fill(torch.eye(len(x), dtype=torch.bool), float("-inf"))
    return torch.softmax(scores, dim=1) @ y  # (n,)


def _leave_one_out_error(x: torch.Tensor, y: torch.Tensor, sigma: float) -> torch.Tensor:
    """Reference: the mean squared leave-one-out error, a 0-dim tensor."""
    return ((_leave_one_out_predictions(x, y, sigma) - y) ** 2).mean()


def _leave_one_out_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(3)
    x_random, _order = torch.sort(5 * torch.rand(20, generator=generator))  # (20,)
    y_random = torch.sin(2 * x_random) + 0.3 * torch.randn(20, generator=generator)  # (20,)
    x_spaced = torch.arange(6.0)  # (6,) one apart
    return [
        Case(
            _("two points, each predicted from the other"),
            (torch.tensor([0.0, 2.0]), torch.tensor([1.0, 3.0]), 1.0),
        ),
        Case(
            _("three points, sigma = 1"),
            (torch.tensor([0.0, 1.0, 3.0]), torch.tensor([0.0, 1.0, 2.0]), 1.0),
        ),
        Case(_("20 noisy points, sigma = 0.5"), (x_random, y_random, 0.5)),
        Case(_("a tiny width (sigma = 0.01)"), (x_spaced, x_spaced**2, 0.01)),
    ]


def _predictions_with(
    x: torch.Tensor, y: torch.Tensor, sigma: float, renormalise: bool = True
) -> torch.Tensor:
    """Kernel predictions at the training inputs with the point itself kept; with
    ``renormalise=False`` its weight is zeroed after the softmax (rows then sum below 1)."""
    scores = -((x.unsqueeze(1) - x.unsqueeze(0)) ** 2) / (2 * sigma**2)  # (n, n)
    weights = torch.softmax(scores, dim=1)  # (n, n)
    if not renormalise:
        weights = weights.masked_fill(torch.eye(len(x), dtype=torch.bool), 0.0)
    return weights @ y  # (n,)


def _diagnose_leave_one_out(actual: object, expected: torch.Tensor, case: Case) -> Failure | None:
    """Name the typical mistakes: exponentials of the others that round to 0, the
    point predicts itself, rows that lose their sum, the softmax over the wrong axis,
    the squared errors combined in another way."""
    if isinstance(actual, torch.Tensor) and actual.dim() == 1 and len(actual) > 1:
        return Failure(
            "shape",
            _(
                "returned {count} numbers, one per point, where the "
                "exercise asks for one number, their mean"
            ).format(count=len(actual)),
        )
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if actual.dtype != expected.dtype or not actual.is_floating_point():
        return None  # ``compare`` names the dtype
    x, y, sigma = case.args
    if torch.isnan(actual).any() and torch.isfinite(expected).all():
        scores = -((x.unsqueeze(1) - x.unsqueeze(0)) ** 2) / (2 * sigma**2)  # (n, n)
        others = scores.masked_fill(torch.eye(len(x), dtype=torch.bool), float("-inf"))
        nearest = others.max(dim=1).values  # (n,) the best score among the others
        if bool((torch.exp(nearest) == 0).any()):
            return Failure(
                "underflow",
                _(
                    "NaN for sigma = {sigma:g}, where the reference is finite: a point's "
                    "nearest other point scores {score:g}, and exp of that is "
                    "0 in float32, so the weights of the others all round to 0 and their row "
                    "is 0 / 0. A raw exp does this, and so does a softmax whose row still "
                    "holds the point: its own score, 0, is the row's largest, and "
                    "subtracting 0 changes nothing"
                ).format(sigma=sigma, score=float(nearest.min())),
            )
        return None
    if not torch.isfinite(actual).all():
        return None
    if _close(actual, expected):
        return None

    def error_of(predictions):
        return ((predictions - y) ** 2).mean()

    if _close(actual, error_of(_predictions_with(x, y, sigma))):
        return Failure(
            "itself",
            _(
                "each point helped predict itself (its own score, 0, is the "
                "largest of its row): this is the training error of the full fit"
            ),
        )
    if _close(actual, error_of(_predictions_with(x, y, sigma, renormalise=False))):
        return Failure(
            "renormalise", _("the weights left once the point is removed do not sum to 1")
        )
    scores = -((x.unsqueeze(1) - x.unsqueeze(0)) ** 2) / (2 * sigma**2)  # (n, n)
    scores = scores.masked_fill(torch.eye(len(x), dtype=torch.bool), float("-inf"))
    if _close(actual, error_of(torch.softmax(scores, dim=0) @ y)):
        return Failure(
            "axis",
            _(
                "the weights that predict one point do not sum to 1 (they do per column: "
                "your softmax runs over the points being predicted)"
            ),
        )
    squared = (_leave_one_out_predictions(x, y, sigma) - y) ** 2  # (n,)
    combined = {
        _("sum divided by n - 1"): squared.sum() / (len(x) - 1),
        _("sum"): squared.sum(),
        _("root mean square"): squared.mean().sqrt(),
        _("mean absolute error"): squared.sqrt().mean(),
    }
    ways = [way for way, value in combined.items() if _close(actual, value)]
    if ways:
        # With two points, the sum and the sum over n - 1 are one number: name both.
        if len(ways) > 1:
            detail = _(
                "the per-point errors are right but combined another way (your number "
                "matches their {way}, which for {count} points is also their {other_way})"
            )
        else:
            detail = _(
                "the per-point errors are right but combined another way (your number "
                "matches their {way})"
            )
        return Failure("combine", detail.format(way=ways[0], count=len(x), other_way=ways[-1]))
    return None


_LEAVE_ONE_OUT_HINTS = {
    "itself": [
        N_(
            "Leave-one-out predicts each point without it. How much weight does point i get in "
            "its own prediction, in your code?"
        ),
        N_(
            "Print your weight matrix for the two-point case: what sits on its diagonal, and what "
            "should?"
        ),
    ],
    "renormalise": [
        N_("Add up the weights that predict one point. Do they still sum to 1?"),
        N_(
            "Removing a weight after the softmax leaves a row that no longer sums to 1. At which "
            "step could the point be removed so that the others still sum to 1?"
        ),
    ],
    "combine": [
        N_(
            "Your predictions look right. Read the exercise's definition of the error again: "
            "which single number should come out?"
        ),
        N_(
            "Work the two-point case by hand: each point's prediction, its squared error, and "
            "the number to return."
        ),
    ],
    "underflow": [
        N_(
            "Only the tiny sigma gives NaN. Print the numbers that predict point 0 in that "
            "case, step by step: at which step do they all become 0?"
        ),
        N_(
            "For sigma = 0.01 the nearest other point scores -5000, and exp(-5000) is 0 in "
            "float32. A softmax first subtracts the largest score of its row: which score is "
            "the largest of the row you exponentiate?"
        ),
        N_(
            "The weights of the others do not change if all their scores shift by the same "
            "number. Which number makes the nearest one's exponential exactly 1, and what must "
            "a row hold, and not hold, for a softmax to subtract that number?"
        ),
    ],
    "axis": [
        N_("Add up the weights that predict one point in your code. Do they sum to 1?"),
        N_(
            "Print the sums of your weight matrix along each axis: which axis holds the points "
            "that predict one point?"
        ),
    ],
    "nan": [
        N_(
            "Which case gives NaN? Print the weights that predict one point there, step by "
            "step: which operation first turns finite numbers into NaN?"
        ),
        N_("Look for a division: what are its top and bottom in the failing case?"),
    ],
    "shape": [
        N_("The exercise asks for one number for the whole data set. What shape do you return?"),
    ],
}


def check_my_leave_one_out_error(student: Callable) -> None:
    """Check ``student(x, y, sigma)``: (n,), (n,) -> (), the leave-one-out squared error."""
    run_check(
        "my_leave_one_out_error",
        student,
        _leave_one_out_error,
        _leave_one_out_cases(),
        hints=_LEAVE_ONE_OUT_HINTS,
        diagnose=_diagnose_leave_one_out,
        atol=1e-4,
    )
