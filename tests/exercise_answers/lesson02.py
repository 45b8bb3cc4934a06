"""Right and wrong answers to lesson 02's coding exercises (reading attention heatmaps)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson02 import check_my_find_transposed, check_my_highest_entropy_query
from exercise_answers import Answer

# ---------------------------------------------------------------- my_find_transposed


def find_transposed_loops(grid):
    """Row by row, in plain Python: a panel is transposed if some row does not sum to 1."""
    panels = grid.reshape(-1, *grid.shape[-2:])  # (panels, n, n)
    flags = [any(abs(sum(row) - 1.0) > 1e-3 for row in panel.tolist()) for panel in panels]
    return torch.tensor(flags).reshape(grid.shape[:-2])


def find_transposed_isclose(grid):
    """Another right answer: torch.isclose on the row sums."""
    sums = grid.sum(dim=-1)  # (..., n)
    return ~torch.isclose(sums, torch.ones_like(sums)).all(dim=-1)


def find_transposed_inverted(grid):
    """Flags the panels whose rows do sum to 1."""
    return torch.isclose(grid.sum(-1), torch.tensor(1.0)).all(-1)


def find_transposed_exact(grid):
    """Compares float sums with == 1."""
    return ~(grid.sum(dim=-1) == 1).all(dim=-1)


def find_transposed_first_row(grid):
    """Looks at the first row only."""
    return ~torch.isclose(grid[..., 0, :].sum(-1), torch.tensor(1.0))


def find_transposed_row_one(grid):
    """Looks at row 1 only: every transposed panel with a bad row 1 is caught, not others."""
    return ~torch.isclose(grid.sum(-1)[..., 1], torch.tensor(1.0), atol=1e-4)


def find_transposed_rows_zero_one(grid):
    """Looks at rows 0 and 1 only."""
    return ~torch.isclose(grid.sum(-1)[..., :2], torch.tensor(1.0), atol=1e-4).all(-1)


def find_transposed_loose(grid):
    """Right rows, but a tolerance of 0.14: a row sum of 0.9 or 1.02 passes as 1."""
    return ~torch.isclose(grid.sum(-1), torch.tensor(1.0), atol=0.14).all(-1)


def find_transposed_hundredth(grid):
    """Right rows, but a tolerance of a hundredth: a row sum of 1.003 passes as 1."""
    return ~((grid.sum(-1) - 1).abs() <= 0.01).all(-1)


def find_transposed_mean_row_sum(grid):
    """Tests the mean row sum, which is 1 for every square panel drawn either way round."""
    return ~((grid.sum(-1).mean(-1) - 1).abs() <= 1e-4)


def find_transposed_any_row(grid):
    """Calls a panel fine as soon as one row sums to 1."""
    return ~torch.isclose(grid.sum(-1), torch.tensor(1.0)).any(-1)


def find_transposed_columns(grid):
    """Flags the panels whose columns sum to 1, though their rows may sum to 1 as well."""
    sums = grid.sum(dim=-2)  # (..., n): one sum per column
    return torch.isclose(sums, torch.ones_like(sums)).all(dim=-1)


def find_transposed_small_peak(grid):
    """The lesson's rule by eye: a row whose largest cell is below 1/n. Breaking it proves a
    transpose; passing it does not rule one out."""
    n = grid.shape[-1]
    return (grid.amax(dim=-1) < 1 / n).any(dim=-1)


def find_transposed_two_large(grid):
    """The other rule by eye: a row with two cells above 0.5."""
    return ((grid > 0.5).sum(dim=-1) >= 2).any(dim=-1)


def find_transposed_by_eye(grid):
    """Both rules by eye together: still a test that a transposed panel can pass."""
    return find_transposed_small_peak(grid) | find_transposed_two_large(grid)


def find_transposed_all(grid):
    """Flags every panel: right on the transposed ones, wrong on every valid one."""
    return torch.ones(grid.shape[:-2], dtype=torch.bool)


def find_transposed_not_symmetric(grid):
    """Flags a panel that is not symmetric: a valid attention matrix rarely is."""
    symmetric = torch.isclose(grid, grid.transpose(-2, -1), atol=1e-4).all(-1).all(-1)
    return ~symmetric


def find_transposed_per_row(grid):
    """Returns one flag per row, not per panel."""
    return ~torch.isclose(grid.sum(-1), torch.tensor(1.0))


def find_transposed_as_int(grid):
    """Right test, returned as 0/1 integers."""
    return (~torch.isclose(grid.sum(-1), torch.tensor(1.0)).all(-1)).long()


# ---------------------------------------------------------------- my_highest_entropy_query


def highest_entropy_loops(weights):
    """Entropy row by row in plain Python, skipping zero weights."""
    rows = weights.reshape(-1, *weights.shape[-2:])  # (matrices, queries, keys)
    best = []
    for matrix in rows.tolist():
        entropies = [-sum(p * math.log(p) for p in row if p > 0) for row in matrix]
        best.append(max(range(len(entropies)), key=lambda i: entropies[i]))
    return torch.tensor(best).reshape(weights.shape[:-2])


def highest_entropy_categorical(weights):
    """Another right answer: torch.distributions.Categorical computes the entropy."""
    return torch.distributions.Categorical(probs=weights).entropy().argmax(dim=-1)


def highest_entropy_softmax_again(weights):
    """A softmax of the weights, then the entropy: the weights are probabilities already."""
    return torch.distributions.Categorical(logits=weights).entropy().argmax(dim=-1)


def highest_entropy_lowest(weights):
    """argmin: the most concentrated query."""
    return torch.special.entr(weights).sum(-1).argmin(-1)


def highest_entropy_columns(weights):
    """Entropy over the queries (a column), not the keys."""
    return torch.special.entr(weights).sum(-2).argmax(-1)


def highest_entropy_naive_log(weights):
    """-(w * log w): 0 * log 0 is NaN, and argmax takes NaN as the largest."""
    return (-(weights * weights.log()).sum(-1)).argmax(-1)


def highest_entropy_smallest_peak(weights):
    """The query with the smallest largest weight: a proxy, not the entropy."""
    return weights.max(dim=-1).values.argmin(dim=-1)


def highest_entropy_smallest_variance(weights):
    """The query whose weights vary least: a proxy that ranks rows by their squares."""
    return weights.var(dim=-1).argmin(dim=-1)


def highest_entropy_smallest_std(weights):
    """The smallest standard deviation: the same ranking as the variance."""
    return weights.std(dim=-1).argmin(dim=-1)


def highest_entropy_sum_of_squares(weights):
    """The smallest sum of squared weights (the 'collision' measure), not the entropy."""
    return (weights**2).sum(dim=-1).argmin(dim=-1)


def highest_entropy_top_two(weights):
    """The smallest sum of the two largest weights: a peak proxy that a long tail fools."""
    return weights.topk(2, dim=-1).values.sum(dim=-1).argmin(dim=-1)


def highest_entropy_largest_smallest(weights):
    """The row whose smallest weight is largest: no known mistake, so no named one."""
    return weights.amin(dim=-1).argmax(dim=-1)


def highest_entropy_count_above(weights):
    """The row with the most weights above 0.05: a count, not the entropy."""
    return (weights > 0.05).sum(dim=-1).argmax(dim=-1)


def highest_entropy_returns_entropies(weights):
    """Returns the entropies, not the index."""
    return torch.special.entr(weights).sum(-1)


ANSWERS = [
    Answer(check_my_find_transposed, find_transposed_loops, "pass"),
    Answer(check_my_find_transposed, find_transposed_isclose, "pass"),
    Answer(check_my_find_transposed, find_transposed_inverted, "inverted"),
    Answer(check_my_find_transposed, find_transposed_exact, "exact"),
    Answer(check_my_find_transposed, find_transposed_first_row, "rows"),
    Answer(check_my_find_transposed, find_transposed_any_row, "rows"),
    Answer(check_my_find_transposed, find_transposed_row_one, "rows"),
    Answer(check_my_find_transposed, find_transposed_rows_zero_one, "rows"),
    Answer(check_my_find_transposed, find_transposed_loose, "tolerance"),
    Answer(check_my_find_transposed, find_transposed_hundredth, "tolerance"),
    Answer(check_my_find_transposed, find_transposed_mean_row_sum, "necessary"),
    Answer(check_my_find_transposed, find_transposed_columns, "columns"),
    Answer(check_my_find_transposed, find_transposed_small_peak, "necessary"),
    Answer(check_my_find_transposed, find_transposed_two_large, "necessary"),
    Answer(check_my_find_transposed, find_transposed_by_eye, "necessary"),
    Answer(check_my_find_transposed, find_transposed_all, "valid"),
    Answer(check_my_find_transposed, find_transposed_not_symmetric, "valid"),
    Answer(check_my_find_transposed, find_transposed_per_row, "shape"),
    Answer(check_my_find_transposed, find_transposed_as_int, "dtype"),
    Answer(check_my_highest_entropy_query, highest_entropy_loops, "pass"),
    Answer(check_my_highest_entropy_query, highest_entropy_categorical, "pass"),
    Answer(check_my_highest_entropy_query, highest_entropy_softmax_again, "softmax"),
    Answer(check_my_highest_entropy_query, highest_entropy_lowest, "lowest"),
    Answer(check_my_highest_entropy_query, highest_entropy_columns, "columns"),
    Answer(check_my_highest_entropy_query, highest_entropy_naive_log, "zeros"),
    Answer(check_my_highest_entropy_query, highest_entropy_smallest_peak, "peak"),
    Answer(check_my_highest_entropy_query, highest_entropy_smallest_variance, "variance"),
    Answer(check_my_highest_entropy_query, highest_entropy_smallest_std, "variance"),
    Answer(check_my_highest_entropy_query, highest_entropy_sum_of_squares, "variance"),
    Answer(check_my_highest_entropy_query, highest_entropy_top_two, "peak"),
    Answer(check_my_highest_entropy_query, highest_entropy_largest_smallest, "index"),
    Answer(check_my_highest_entropy_query, highest_entropy_count_above, "index"),
    Answer(check_my_highest_entropy_query, highest_entropy_returns_entropies, "shape"),
]
