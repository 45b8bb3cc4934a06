"""Checks for the coding exercises of lesson 02 (reading attention heatmaps).

- ``check_my_find_transposed(my_find_transposed)``: which panels of a grid of
  square matrices were drawn transposed (keys down the rows)?
- ``check_my_highest_entropy_query(my_highest_entropy_query)``: the query whose
  attention is spread the most.
- ``make_reading_grid()``: the four panels of exercise 1, one of them transposed (built
  here so that the lesson's cell does not show which).

Each check names the kind of a failure (an inverted test, a valid panel flagged, an
exact float comparison, some rows only, columns instead of rows, a test that every
attention matrix passes but a transposed panel can pass too, 0 log 0, the wrong axis, a
proxy for the entropy such as the variance or the largest weight, a wrong row, ...) and
gives hints in stages that ask about the property, never the recipe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, CaseResult, Failure, evaluate, report
from attn_course.checks.i18n import N_, _

TOLERANCE = 1e-4  # how far from 1 a row sum may be and still count as 1
_INVERTED = N_("each panel's answer is the opposite of the right one")


def _rows_sum_to_one(grid: torch.Tensor) -> torch.Tensor:
    """(..., n, n) -> (..., n): does each row sum to 1 (up to rounding)?"""
    return (grid.sum(dim=-1) - 1).abs() <= TOLERANCE


def _find_transposed(grid: torch.Tensor) -> torch.Tensor:
    """Reference: a panel is transposed when not every row sums to 1."""
    return ~_rows_sum_to_one(grid).all(dim=-1)  # (...,) bool


def _attention(generator: torch.Generator, *shape: int, temperature: float = 1.0) -> torch.Tensor:
    return torch.softmax(torch.randn(*shape, generator=generator) / temperature, dim=-1)


def make_reading_grid() -> torch.Tensor:
    """Exercise 1's grid: (4 panels, 6, 6) attention matrices at T = 0.3, one transposed."""
    generator = torch.Generator().manual_seed(2)  # the numbers of set_seed(2); torch.randn
    grid = _attention(generator, 4, 6, 6, temperature=0.3)  # (4, 6, 6)
    grid[2] = grid[2].T.clone()  # keys down the rows
    return grid


def _find_transposed_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)
    panels = _attention(generator, 4, 5, 5, temperature=0.5)  # (4, 5, 5) valid panels
    panels[1] = panels[1].T.clone()  # keys down the rows
    panels[3] = panels[3].T.clone()
    # A transposed panel whose first row sums to 1 (its other rows 0.7 and 1.3).
    first_row_fine = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.1, 0.7], [0.3, 0.1, 0.6]]).T
    valid = torch.tensor([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.5, 0.25, 0.25]])
    grid = _attention(generator, 2, 3, 4, 4)  # (2 rows, 3 cols, 4, 4), like show_heatmaps
    grid[0, 2] = grid[0, 2].T.clone()
    grid[1, 0] = grid[1, 0].T.clone()
    # Attention either way round (rows and columns sum to 1), and one that is not.
    both_ways = torch.stack([torch.eye(3), torch.full((3, 3), 1 / 3), valid])
    # Rows that sum to 1 only up to rounding (about 5e-7 off, in any summation order);
    # its transpose has row sums 0.95, 1.15, 0.9, yet every row a cell of at least 1/3
    # and no two cells above 0.5: it passes the tests one can do by eye.
    rounded = torch.tensor([[0.5, 0.3, 0.2000005], [0.1, 0.6000004, 0.3], [0.35, 0.25, 0.4000003]])
    # Transposed, its rows 0 and 1 sum to 1 and rows 2 and 3 to 0.9 and 1.1: a test of a
    # few rows misses it.
    two_rows_fine = torch.tensor(
        [[0.4, 0.3, 0.1, 0.2], [0.2, 0.4, 0.3, 0.1], [0.3, 0.1, 0.2, 0.4], [0.1, 0.2, 0.3, 0.4]]
    ).T
    # Transposed, its row sums are 0.98, 1.01, 1.01: a loose tolerance misses it.
    near_one = torch.tensor([[0.5, 0.3, 0.2], [0.2, 0.41, 0.39], [0.28, 0.3, 0.42]]).T
    # Transposed, its row sums are 0.998, 1.003, 0.999: a tolerance of a hundredth misses it.
    nearer_one = torch.tensor([[0.5, 0.3, 0.2], [0.198, 0.404, 0.398], [0.3, 0.299, 0.401]]).T
    return [
        Case(_("one valid 3 x 3 matrix"), (valid,)),
        Case(_("one transposed 3 x 3 matrix"), (valid.T.contiguous(),)),
        Case(_("rows that sum to 1 up to rounding"), (torch.stack([rounded, rounded.T]),)),
        Case(_("four panels, panels 1 and 3 transposed"), (panels,)),
        Case(
            _("a transposed panel whose first row sums to 1"),
            (torch.stack([first_row_fine, valid]),),
        ),
        Case(_("a (rows, cols, 4, 4) grid, two panels transposed"), (grid,)),
        Case(_("identity and uniform panels, attention either way round"), (both_ways,)),
        Case(_("a transposed panel whose row sums are within 0.02 of 1"), (near_one[None],)),
        Case(_("a transposed panel whose row sums are within 0.003 of 1"), (nearer_one[None],)),
        Case(
            _("a transposed 4 x 4 panel whose rows 0 and 1 sum to 1"),
            (torch.stack([_attention(generator, 4, 4), two_rows_fine]),),
        ),
    ]


def _same(actual: torch.Tensor, other: torch.Tensor) -> bool:
    return actual.shape == other.shape and bool(torch.equal(actual, other))


def _missed_panel(panel: torch.Tensor) -> str:
    """What a transposed panel that was not flagged looks like: what it passes, and the
    row sums that give it away. Facts about the panel, true whatever the student's code."""
    n = panel.shape[-1]
    large_cell = bool((panel.amax(dim=-1) >= 1 / n).all())
    no_two_large = not bool(((panel > 0.5).sum(dim=-1) >= 2).any())
    if large_cell and no_two_large:
        passes = _("every row has a cell of at least 1/{n} and no row has two cells above 0.5")
    elif large_cell:
        passes = _("every row has a cell of at least 1/{n}")
    elif no_two_large:
        passes = _("no row has two cells above 0.5")
    else:
        passes = ""
    sums = ", ".join(f"{value:.4g}" for value in panel.sum(dim=-1).tolist())
    fine = _rows_sum_to_one(panel)  # (n,)
    rows = fine.nonzero().flatten().tolist()
    if len(rows) == 1:
        text = _("its row sums are {sums} (row {row} sums to 1, not every row)")
    elif rows:
        text = _("its row sums are {sums} (rows {rows} sum to 1, not every row)")
    else:
        text = _("its row sums are {sums}")
    text = text.format(sums=sums, row=rows[0] if rows else None, rows=rows)
    if passes:
        return _("{passes}, yet {row_sums}").format(passes=passes.format(n=n), row_sums=text)
    return text


def _about_panel(where: tuple[int, ...], of_panel: str, of_the_panel: str, **values: Any) -> str:
    """The message about panel ``where`` of a grid (``of_panel``, with a {panel} placeholder),
    or about the only panel when ``where`` is empty (``of_the_panel``)."""
    return (of_panel if where else of_the_panel).format(panel=where, **values)


def _diagnose_find_transposed(actual: object, expected: torch.Tensor, case: Case) -> Failure | None:
    """Name the typical mistakes: exact float equality, the columns tested instead of the
    rows, a valid panel flagged, some rows only, and a test that every attention matrix
    passes but that a transposed panel can pass too (its largest cells, two cells near 1).
    An inverted test is named by the check, from all the cases together."""
    if not isinstance(actual, torch.Tensor) or actual.dtype != torch.bool:
        return None
    if actual.shape != expected.shape or _same(actual, expected):
        return None
    (grid,) = case.args
    wrong = tuple(int(i) for i in (actual != expected).nonzero()[0])  # the first wrong panel
    if _same(actual, ~(grid.sum(dim=-1) == 1).all(dim=-1)):
        return Failure(
            "exact",
            _about_panel(
                wrong,
                _("panel {panel} is flagged; its rows sum to 1 up to rounding"),
                _("the panel is flagged; its rows sum to 1 up to rounding"),
            ),
        )
    if _same(actual, _rows_sum_to_one(grid.transpose(-2, -1)).all(dim=-1)):
        return Failure(
            "columns",
            _about_panel(
                wrong,
                _(
                    "panel {panel} is flagged because its columns sum to 1; its rows sum to 1 "
                    "as well"
                ),
                _("the panel is flagged because its columns sum to 1; its rows sum to 1 as well"),
            ),
        )
    flagged_valid = actual & ~expected  # (...,) valid panels that are flagged
    if bool(flagged_valid.any()):  # inverted or not: decided over all cases (see the check)
        first = tuple(int(i) for i in flagged_valid.nonzero()[0])
        return Failure(
            "valid",
            _about_panel(
                first,
                _("panel {panel} is flagged, but it is a valid attention matrix"),
                _("the panel is flagged, but it is a valid attention matrix"),
            ),
        )
    missed = _missed_panel(grid[wrong])
    detail = _about_panel(
        wrong,
        _("panel {panel} is transposed but not flagged: {missed}"),
        _("the panel is transposed but not flagged: {missed}"),
        missed=missed,
    )
    fine = _rows_sum_to_one(grid)  # (..., n)
    n = grid.shape[-1]
    some_rows = [~fine.any(dim=-1)]  # a panel passes if one row sums to 1
    some_rows += [~fine[..., [row]].all(dim=-1) for row in range(n)]  # one row only
    some_rows += [~fine[..., :count].all(dim=-1) for count in range(2, n - 1)]  # the first few
    if any(_same(actual, guess) for guess in some_rows):
        return Failure("rows", detail)
    off = (grid.sum(dim=-1) - 1).abs().amax(dim=-1)  # (...,) how far the worst row is from 1
    flagged, missed_off = off[actual], off[~actual & expected]
    if bool(missed_off.max() <= 0.05) and (
        flagged.numel() == 0 or bool(missed_off.max() < flagged.min())
    ):
        return Failure(
            "tolerance",
            _about_panel(
                wrong,
                _("panel {panel} is transposed but not flagged: {missed}: up to {off:.2g} from 1"),
                _("the panel is transposed but not flagged: {missed}: up to {off:.2g} from 1"),
                missed=missed,
                off=missed_off.max().item(),
            ),
        )
    return Failure("necessary", detail)


_FIND_TRANSPOSED_HINTS = {
    "inverted": [
        N_(
            "Your answers are the opposite of the right ones. Which property must every row of "
            "an attention matrix have, and does a transposed panel have it?"
        ),
        N_(
            "Say it in words for one panel: 'this panel is transposed because ...'. Does your code "
            "return True in that case?"
        ),
    ],
    "valid": [
        N_(
            "A valid attention matrix is flagged. Which property do valid panels have that your "
            "test ignores?"
        ),
        N_(
            "A panel is transposed only if it cannot be attention with the queries on the rows. "
            "Which rule does every such matrix obey, and does the flagged panel break it?"
        ),
    ],
    "exact": [
        N_(
            "A panel whose rows sum to 1 is flagged. Print its row sums with many digits: are "
            "they exactly 1?"
        ),
        N_("Floating-point sums are rarely exact. How far from 1 may a sum be and still mean 1?"),
    ],
    "columns": [
        N_(
            "The flagged panel's rows all sum to 1. Can it be an attention matrix with the "
            "queries on the rows, whatever its columns do?"
        ),
        N_(
            "The exercise asks which panels cannot have the queries on the rows. Which axis "
            "holds one query's weights, and which axis does your test look at?"
        ),
    ],
    "necessary": [
        N_(
            "A transposed panel got through, and no panel you flag is valid. Every attention "
            "matrix passes your test; must every transposed panel fail it?"
        ),
        N_(
            "Breaking a rule such as 'a row's largest cell is at least 1/n' proves a panel is not "
            "attention with queries on the rows; passing it proves nothing. Which property must "
            "every row of an attention matrix have, and does the failing panel have it?"
        ),
    ],
    "tolerance": [
        N_(
            "The panel that got through has row sums close to 1, but not 1. How far from 1 may "
            "a row sum be and still mean 1?"
        ),
        N_(
            "Rounding moves a float32 row sum by about a millionth; a transposed panel's row sums "
            "can be any distance from 1, however small. Which tolerance tells the two apart?"
        ),
    ],
    "rows": [
        N_("Look at the failing panel's row sums one by one. Does your code look at every row?"),
        N_(
            "A panel is a valid attention matrix only if a property holds for all of its rows. "
            "How many rows must break it for the panel to be transposed?"
        ),
    ],
}


def check_my_find_transposed(student: Callable) -> None:
    """Check ``student(grid)``: (..., n, n) square matrices -> (...,) bool, True if transposed.

    An answer is called inverted only when some case shows it flagging a valid panel and
    every case it fails has each panel's answer opposite: a case alone cannot tell an
    inverted test from one that flags too much (every panel, say), so every failing case
    then gets the inverted message. Otherwise a flagged valid panel is named as such.
    """
    cases = _find_transposed_cases()
    opposite: dict[int, bool] = {}  # case number -> is every panel's answer the opposite?

    def diagnose(actual: object, expected: torch.Tensor, case: Case) -> Failure | None:
        number = next(i for i, known in enumerate(cases) if known is case)
        opposite[number] = (
            isinstance(actual, torch.Tensor)
            and actual.dtype == torch.bool
            and _same(actual, ~expected)
        )
        return _diagnose_find_transposed(actual, expected, case)

    results = evaluate(student, _find_transposed, cases, diagnose=diagnose)
    if results is not None:
        failed = [i for i, result in enumerate(results) if not result.passed]
        flags_valid = any(results[i].kind == "valid" for i in failed)
        if flags_valid and all(opposite.get(i, False) for i in failed):
            for i in failed:
                results[i] = CaseResult(cases[i].description, False, _(_INVERTED), "inverted")
    report("my_find_transposed", results, hints=_FIND_TRANSPOSED_HINTS)


def _entropy(weights: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Entropy along ``dim``, with 0 log 0 = 0."""
    return -torch.special.xlogy(weights, weights).sum(dim=dim)


def _highest_entropy_query(weights: torch.Tensor) -> torch.Tensor:
    """Reference: the index of the row with the largest entropy."""
    return _entropy(weights).argmax(dim=-1)  # (...,)


def _highest_entropy_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(6)
    # Row 0 has the smallest largest weight, row 1 the largest entropy, row 2 the smallest.
    flat_but_narrow = torch.tensor(
        [
            [0.04, 0.03, 0.03, 0.45, 0.45],
            [0.5, 0.125, 0.125, 0.125, 0.125],
            [0.96, 0.01, 0.01, 0.01, 0.01],
        ]
    )
    # Rows 1 to 3 hold zeros; row 2 is the most spread, row 3 one-hot. 4 queries x 5 keys:
    # the most spread column is key 4, which is no query's index.
    with_zeros = torch.tensor(
        [
            [0.7, 0.05, 0.05, 0.1, 0.1],
            [0.5, 0.0, 0.0, 0.0, 0.5],
            [0.0, 0.3, 0.0, 0.3, 0.4],
            [0.0, 0.0, 0.0, 0.0, 1.0],
        ]
    )
    # Row 2 has the largest entropy (1.78 against 1.31: a long tail counts), row 1 the
    # smallest largest weight (and two largest weights), row 0 the smallest entropy; the
    # most spread column is key 7.
    many_mid_sized = torch.tensor(
        [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.9],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.3, 0.3, 0.3],
            [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.3, 0.35],
        ]
    )
    # Row 2 has the largest entropy, row 1 the smallest variance, row 0 the smallest
    # largest weight and row 3 the smallest entropy: four answers, four different rows.
    four_measures = torch.tensor(
        [
            [0.005, 0.01, 0.005, 0.5, 0.48],
            [0.01, 0.08, 0.01, 0.6, 0.3],
            [0.05, 0.1, 0.05, 0.7, 0.1],
            [0.01, 0.01, 0.01, 0.96, 0.01],
        ]
    )
    # Row 2 has the largest entropy (0.80 against 0.65), the smallest variance too; row 0
    # the smallest largest weight; row 1 is one-hot.
    one_hot_and_two_spread = torch.tensor([[0.0, 0.65, 0.35], [1.0, 0.0, 0.0], [0.1, 0.2, 0.7]])
    return [
        Case(_("a 3 x 4 matrix"), (_attention(generator, 3, 4),)),
        Case(_("rows with zero weights"), (with_zeros,)),
        Case(_("5 queries, 8 keys"), (_attention(generator, 5, 8, temperature=0.7),)),
        Case(_("a spread row with a large peak"), (flat_but_narrow,)),
        Case(_("a long tail of small weights"), (four_measures,)),
        Case(_("mid-sized weights against a peak and a tail"), (many_mid_sized,)),
        Case(_("a (batch, queries, keys) stack"), (_attention(generator, 3, 6, 4),)),
        Case(_("a one-hot row beside two spread rows"), (one_hot_and_two_spread,)),
    ]


def _known_mistakes(actual: object, expected: torch.Tensor, case: Case) -> dict[str, str]:
    """The typical mistakes an answer agrees with on one case (kind -> what it says, for a
    wrong answer): lowest entropy, columns, 0 log 0, a second softmax of the weights, and two
    proxies for the spread (the smallest variance, the smallest largest weight). On a case
    the answer gets right, the mistakes that get it right too."""
    if not isinstance(actual, torch.Tensor) or actual.dtype != torch.int64:
        return {}
    if actual.shape != expected.shape:
        return {}
    (weights,) = case.args
    naive = -(weights * weights.log()).sum(dim=-1)  # NaN where a weight is 0
    smallest_peak = weights.max(dim=-1).values.argmin(dim=-1)
    column_spread = _entropy(weights, dim=-2).argmax(dim=-1)
    mistakes = [
        (_entropy(weights).argmin(dim=-1), "lowest", _("row {chosen} is the most concentrated")),
        (column_spread, "columns", _("{chosen} is a key: you measured a column's spread")),
        (naive.argmax(dim=-1), "zeros", _("row {chosen} wins with entropy NaN (it holds a zero)")),
        (
            _entropy(torch.softmax(weights, dim=-1)).argmax(dim=-1),
            "softmax",
            _("row {chosen} has the largest entropy after a softmax of the weights"),
        ),
        (smallest_peak, "peak", _("row {chosen} has the smallest largest weight")),
        (
            weights.var(dim=-1).argmin(dim=-1),
            "variance",
            _("row {chosen} has the smallest variance"),
        ),
    ]
    if _same(actual, expected):
        return {kind: "" for guess, kind, _detail in mistakes if _same(actual, guess)}
    if not torch.isnan(naive).any():
        mistakes = [mistake for mistake in mistakes if mistake[1] != "zeros"]
    wrong = tuple(int(i) for i in (actual != expected).nonzero()[0])  # the first wrong index
    chosen, best = int(actual[wrong]), int(expected[wrong])
    if wrong:
        said = _("{mistake}; the largest entropy is row {best} (matrix {matrix})")
    else:
        said = _("{mistake}; the largest entropy is row {best}")
    matrix = ", ".join(map(str, wrong))
    return {
        kind: said.format(mistake=detail.format(chosen=chosen), best=best, matrix=matrix)
        for guess, kind, detail in mistakes
        if _same(actual, guess)
    }


_HIGHEST_ENTROPY_HINTS = {
    "lowest": [
        N_(
            "Your query is the most concentrated one. Which rows have a high entropy: the flat "
            "ones or the peaked ones?"
        ),
        N_("Compute the entropy of a one-hot row and of a uniform row: which is larger?"),
    ],
    "columns": [
        N_("Does your entropy have one number per query? Which axis holds one query's weights?"),
        N_(
            "Print the shape of your entropies for the 5 x 8 case: how many numbers should "
            "there be?"
        ),
    ],
    "zeros": [
        N_(
            "The case with zero weights fails. What is 0 * log(0) in PyTorch, and what does "
            "the entropy formula mean by it?"
        ),
        N_(
            "A weight of 0 contributes nothing to the entropy. How can you compute the sum so that "
            "it never evaluates log(0) times 0?"
        ),
    ],
    "softmax": [
        N_(
            "Print the rows whose entropy your code computes. Are they the attention weights you "
            "were given?"
        ),
        N_(
            "The attention weights already sum to 1 in each row. What does a softmax do to them, "
            "and does Categorical(logits=...) apply one too?"
        ),
    ],
    "peak": [
        N_(
            "A small largest weight does not always mean a spread row. Compare the rows of the "
            "failing case: which is more spread, and by which measure?"
        ),
        N_("The exercise asks for the largest entropy. Does your code compute one?"),
    ],
    "variance": [
        N_(
            "The row you chose has the most even-looking weights by variance, yet another row "
            "has the larger entropy. Do the two measures always rank rows the same way? "
            "Compare them on the failing case's rows."
        ),
        N_(
            "Variance squares the weights: mid-sized weights cost it much, a tail of tiny ones "
            "almost nothing. Entropy counts every non-zero weight. Which of the two does the "
            "exercise ask for?"
        ),
    ],
}


_HIGHEST_ENTROPY_HINTS["index"] = [
    N_(
        "The row you chose is not the one with the largest entropy. What does your code compute "
        "for each row, and is it the entropy?"
    ),
    N_(
        "Work the entropy of every row of the smallest failing case by hand and compare it with "
        "what your code computes for each row."
    ),
]


def check_my_highest_entropy_query(student: Callable) -> None:
    """Check ``student(attention)``: (..., queries, keys) -> (...,) index of the most spread row.

    A mistake is named only if the answer agrees with it on every case it gets wrong: with
    a few rows, a wrong index often equals some proxy's answer on one case by chance. When
    two mistakes agree there (a second softmax and the smallest variance often pick the same
    row), the cases the answer gets right decide between them.
    """
    cases = _highest_entropy_cases()
    matched: dict[int, dict[str, str]] = {}  # case number -> mistakes that agree there

    def record(actual: object, expected: torch.Tensor, case: Case) -> Failure | None:
        number = next(i for i, known in enumerate(cases) if known is case)
        if not isinstance(actual, torch.Tensor) or actual.dtype != expected.dtype:
            return None  # compare() names the type or the dtype
        if actual.shape != expected.shape:
            return None
        matched[number] = _known_mistakes(actual, expected, case)
        if _same(actual, expected):
            return None
        # An index is right or wrong, never near: name the rows, not a numeric gap.
        wrong = tuple(int(i) for i in (actual != expected).nonzero()[0])  # first wrong index
        chosen, best = int(actual[wrong]), int(expected[wrong])
        if wrong:
            said = _("chose row {chosen}; the largest entropy is row {best} (matrix {matrix})")
        else:
            said = _("chose row {chosen}; the largest entropy is row {best}")
        matrix = ", ".join(map(str, wrong))
        return Failure("index", said.format(chosen=chosen, best=best, matrix=matrix))

    results = evaluate(student, _highest_entropy_query, cases, diagnose=record)
    if results is not None and matched:
        failed = [set(matched[i]) for i in matched if not results[i].passed]
        everywhere = set.intersection(*failed) if failed else set()
        if len(everywhere) > 1:  # the cases it gets right rule out the mistakes that do not
            passed = [set(matched[i]) for i in matched if results[i].passed]
            everywhere = set.intersection(everywhere, *passed) or everywhere
        for number, kinds in matched.items():
            named = everywhere & set(kinds)
            if len(named) == 1 and not results[number].passed:  # one mistake, no doubt
                kind = named.pop()
                results[number] = CaseResult(cases[number].description, False, kinds[kind], kind)
    report("my_highest_entropy_query", results, hints=_HIGHEST_ENTROPY_HINTS)
