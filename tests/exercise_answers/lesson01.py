"""Right and wrong answers to lesson 01's coding exercises (attention cues)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson01 import (
    check_my_leave_one_out_error,
    check_my_nadaraya_watson,
    check_my_straight_through_pooling,
)
from exercise_answers import Answer

# ---------------------------------------------------------------- my_nadaraya_watson


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


def nadaraya_watson_by_cdist(queries, keys, values, sigma):
    """Another right answer: torch.cdist for the distances, log-softmax for the weights."""
    exponents = -(torch.cdist(queries, keys) ** 2) / (2 * sigma**2)  # (n_q, n_k)
    return torch.log_softmax(exponents, dim=-1).exp() @ values


def _distances(queries, keys):
    return ((queries[:, None] - keys[None]) ** 2).sum(-1)  # (n_q, n_k)


def nadaraya_watson_naive_exp(queries, keys, values, sigma):
    """Right formula, but exp() underflows to 0 / 0 for a tiny sigma."""
    kernel = torch.exp(-_distances(queries, keys) / (2 * sigma**2))  # (n_q, n_k)
    return (kernel / kernel.sum(-1, keepdim=True)) @ values


def nadaraya_watson_in_double(queries, keys, values, sigma):
    """Right values, computed and returned in float64 (the check asks for float32)."""
    queries, keys, values = queries.double(), keys.double(), values.double()
    return torch.softmax(-_distances(queries, keys) / (2 * sigma**2), dim=-1) @ values


def nadaraya_watson_distance(queries, keys, values, sigma):
    """Uses the distance (torch.cdist), not its square."""
    return torch.softmax(-torch.cdist(queries, keys) / (2 * sigma**2), dim=-1) @ values


def nadaraya_watson_norm(queries, keys, values, sigma):
    """Uses the norm of q - k, not its square, and forgets the 2."""
    distances = (queries[:, None] - keys[None]).norm(dim=-1)  # (n_q, n_k)
    return torch.softmax(-distances / sigma**2, dim=-1) @ values


def nadaraya_watson_no_factor_two(queries, keys, values, sigma):
    """Forgets the factor 2 in 2 sigma^2."""
    return torch.softmax(-_distances(queries, keys) / sigma**2, dim=-1) @ values


def nadaraya_watson_sigma_not_squared(queries, keys, values, sigma):
    """Divides by 2 sigma, not 2 sigma^2."""
    return torch.softmax(-_distances(queries, keys) / (2 * sigma), dim=-1) @ values


def nadaraya_watson_plus_sign(queries, keys, values, sigma):
    """Loses the minus sign: far keys get the largest weights."""
    return torch.softmax(_distances(queries, keys) / (2 * sigma**2), dim=-1) @ values


def nadaraya_watson_over_queries(queries, keys, values, sigma):
    """Normalises over the queries (dim 0) instead of the keys."""
    return torch.softmax(-_distances(queries, keys) / (2 * sigma**2), dim=0) @ values


def nadaraya_watson_average(queries, keys, values, sigma):
    """Average pooling: ignores the queries."""
    return values.mean(0, keepdim=True).expand((queries.shape[0],) + values.shape[1:])


def nadaraya_watson_1d_only(queries, keys, values, sigma):
    """Works for one feature only: drops the feature axis by indexing."""
    differences = queries[:, 0][:, None] - keys[:, 0][None]  # (n_q, n_k)
    return torch.softmax(-(differences**2) / (2 * sigma**2), dim=-1) @ values


# ---------------------------------------------------------------- my_straight_through_pooling


def straight_through_detach(scores, values):
    """The output of hard attention, the gradient of soft attention."""
    soft = torch.softmax(scores, dim=-1) @ values  # (n_q, d_v)
    hard = values[scores.argmax(dim=-1)]  # (n_q, d_v)
    return soft + (hard - soft).detach()


def straight_through_one_hot(scores, values):
    """Another right answer: straight-through weights, one-hot forward, softmax backward."""
    weights = torch.softmax(scores, dim=-1)  # (n_q, n_k)
    one_hot = torch.nn.functional.one_hot(scores.argmax(-1), scores.shape[-1])  # (n_q, n_k)
    return (weights + (one_hot.to(weights.dtype) - weights).detach()) @ values


def straight_through_add_zero(scores, values):
    """Another right answer: hard output plus a term that is 0 but has soft's gradient."""
    soft = torch.softmax(scores, dim=-1) @ values
    return values[scores.argmax(dim=-1)] + (soft - soft.detach())


def hard_pooling_only(scores, values):
    """Plain hard attention: the right output, no gradient."""
    return values[scores.argmax(dim=-1)]


def straight_through_no_detach(scores, values):
    """Forgets the detach: the right output, but soft - soft has a gradient of exactly 0."""
    soft = torch.softmax(scores, dim=-1) @ values
    return values[scores.argmax(dim=-1)] + soft - soft


def straight_through_sampled(scores, values):
    """Samples each query's key from the softmax instead of taking its highest score."""
    weights = torch.softmax(scores, dim=-1)  # (n_q, n_k)
    picks = torch.multinomial(weights, 1, generator=torch.Generator().manual_seed(0))
    soft = weights @ values
    return soft + (values[picks.squeeze(-1)] - soft).detach()


def straight_through_detached_everything(scores, values):
    """Detaches the whole sum: the right output, no gradient."""
    soft = torch.softmax(scores, dim=-1) @ values
    return (soft + (values[scores.argmax(dim=-1)] - soft)).detach()


def soft_pooling(scores, values):
    """Soft attention, not hard."""
    return torch.softmax(scores, dim=-1) @ values


def straight_through_detach_swapped(scores, values):
    """Detaches the wrong part: soft's output, no gradient."""
    soft = torch.softmax(scores, dim=-1) @ values
    return values[scores.argmax(dim=-1)] + (soft - values[scores.argmax(dim=-1)]).detach()


def straight_through_sharpened(scores, values):
    """Borrows the gradient of a sharp softmax (temperature 0.05), not soft attention's."""
    sharp = torch.softmax(scores / 0.05, dim=-1) @ values
    return sharp + (values[scores.argmax(dim=-1)] - sharp).detach()


def straight_through_minus(scores, values):
    """The right output with minus soft attention's gradient."""
    soft = torch.softmax(scores, dim=-1) @ values
    return values[scores.argmax(dim=-1)] - (soft - soft.detach())


def straight_through_smallest(scores, values):
    """Takes the lowest score."""
    soft = torch.softmax(scores, dim=-1) @ values
    return soft + (values[scores.argmin(dim=-1)] - soft).detach()


def straight_through_per_key(scores, values):
    """Chooses along the queries: one row per key."""
    return values[scores.argmax(dim=0)]


def straight_through_first_query_only(scores, values):
    """The right gradient, but every query gets the row of the first query's best key."""
    soft = torch.softmax(scores, dim=-1) @ values
    return soft + (values[scores[0].argmax()].expand_as(soft) - soft).detach()


def straight_through_in_double(scores, values):
    """The right output and gradient, returned in float64."""
    return straight_through_detach(scores.double(), values.double())


# ---------------------------------------------------------------- my_leave_one_out_error


def _scores(x, sigma):
    return -((x[:, None] - x[None]) ** 2) / (2 * sigma**2)  # (n, n)


def leave_one_out_loops(x, y, sigma):
    """Each point predicted from the list of the others, one at a time."""
    errors = []
    for i in range(len(x)):
        others = torch.cat([x[:i], x[i + 1 :]])  # (n - 1,)
        targets = torch.cat([y[:i], y[i + 1 :]])  # (n - 1,)
        weights = torch.softmax(-((x[i] - others) ** 2) / (2 * sigma**2), dim=0)
        errors.append((weights @ targets - y[i]) ** 2)
    return torch.stack(errors).mean()


def leave_one_out_inf_diagonal(x, y, sigma):
    """A score of -inf for the point itself: its weight is exactly 0."""
    scores = _scores(x, sigma)
    scores.fill_diagonal_(float("-inf"))
    return ((torch.softmax(scores, dim=1) @ y - y) ** 2).mean()


def leave_one_out_keeps_itself(x, y, sigma):
    """Forgets to leave the point out: the training error of the full fit."""
    return ((torch.softmax(_scores(x, sigma), dim=1) @ y - y) ** 2).mean()


def leave_one_out_zero_score(x, y, sigma):
    """Sets the point's own score to 0, which is the largest score, not no weight."""
    scores = _scores(x, sigma)
    scores.fill_diagonal_(0.0)
    return ((torch.softmax(scores, dim=1) @ y - y) ** 2).mean()


def leave_one_out_zero_weight(x, y, sigma):
    """Zeroes the point's weight after the softmax: the rows no longer sum to 1."""
    weights = torch.softmax(_scores(x, sigma), dim=1)
    weights = weights * (1 - torch.eye(len(x)))
    return ((weights @ y - y) ** 2).mean()


def leave_one_out_zero_then_renormalise(x, y, sigma):
    """Right in exact arithmetic, but for a tiny sigma every other weight rounds to 0: 0 / 0."""
    weights = torch.softmax(_scores(x, sigma), dim=1) * (1 - torch.eye(len(x)))
    weights = weights / weights.sum(dim=1, keepdim=True)
    return ((weights @ y - y) ** 2).mean()


def leave_one_out_exp_then_renormalise(x, y, sigma):
    """exp of the scores, the point's kernel zeroed, rows normalised: 0 / 0 for a tiny sigma."""
    kernel = torch.exp(_scores(x, sigma)) * (1 - torch.eye(len(x)))  # (n, n)
    weights = kernel / kernel.sum(dim=1, keepdim=True)
    return ((weights @ y - y) ** 2).mean()


def leave_one_out_mask_then_exp(x, y, sigma):
    """The point masked to -inf before a raw exp: the others' exp still underflows."""
    scores = _scores(x, sigma).masked_fill(torch.eye(len(x), dtype=torch.bool), float("-inf"))
    kernel = torch.exp(scores)  # (n, n), no shift by the row's largest score
    weights = kernel / kernel.sum(dim=1, keepdim=True)
    return ((weights @ y - y) ** 2).mean()


def leave_one_out_over_points_predicted(x, y, sigma):
    """The point masked right, but the softmax runs over dim 0 (the points predicted)."""
    scores = _scores(x, sigma)
    scores.fill_diagonal_(float("-inf"))
    return ((torch.softmax(scores, dim=0) @ y - y) ** 2).mean()


def leave_one_out_loops_over_columns(x, y, sigma):
    """Builds each column, not each row, of the weights with a softmax over the others."""
    weights = torch.zeros(len(x), len(x))
    for j in range(len(x)):
        scores = -((x - x[j]) ** 2) / (2 * sigma**2)  # (n,) of column j
        scores[j] = float("-inf")
        weights[:, j] = torch.softmax(scores, dim=0)
    return ((weights @ y - y) ** 2).mean()


def leave_one_out_in_double(x, y, sigma):
    """Right, but computed and returned in float64."""
    return leave_one_out_inf_diagonal(x.double(), y.double(), sigma)


def leave_one_out_root(x, y, sigma):
    """Returns the root of the mean squared error."""
    return leave_one_out_inf_diagonal(x, y, sigma).sqrt()


def leave_one_out_sum(x, y, sigma):
    """Sums the squared errors instead of averaging them."""
    return leave_one_out_inf_diagonal(x, y, sigma) * len(x)


def leave_one_out_over_n_minus_1(x, y, sigma):
    """Divides the summed squared errors by n - 1 instead of n."""
    return leave_one_out_inf_diagonal(x, y, sigma) * len(x) / (len(x) - 1)


def leave_one_out_per_point(x, y, sigma):
    """Returns the n squared errors, not their mean."""
    scores = _scores(x, sigma)
    scores.fill_diagonal_(float("-inf"))
    return (torch.softmax(scores, dim=1) @ y - y) ** 2


ANSWERS = [
    Answer(check_my_nadaraya_watson, nadaraya_watson_loops, "pass"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_by_cdist, "pass"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_naive_exp, "nan", "exp underflows"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_in_double, "dtype"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_distance, "distance"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_norm, "distance", "and no factor 2"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_no_factor_two, "bandwidth"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_sigma_not_squared, "bandwidth"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_plus_sign, "sign"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_over_queries, "axis"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_average, "average"),
    Answer(check_my_nadaraya_watson, nadaraya_watson_1d_only, "features"),
    Answer(check_my_straight_through_pooling, straight_through_detach, "pass"),
    Answer(check_my_straight_through_pooling, straight_through_one_hot, "pass"),
    Answer(check_my_straight_through_pooling, straight_through_add_zero, "pass"),
    Answer(check_my_straight_through_pooling, hard_pooling_only, "no gradient"),
    Answer(
        check_my_straight_through_pooling,
        straight_through_detached_everything,
        "no gradient",
        "the whole output detached",
    ),
    Answer(
        check_my_straight_through_pooling,
        straight_through_no_detach,
        "zero gradient",
        "two soft terms cancel",
    ),
    Answer(check_my_straight_through_pooling, straight_through_sampled, "wrong key", "sampled"),
    Answer(check_my_straight_through_pooling, soft_pooling, "soft"),
    Answer(check_my_straight_through_pooling, straight_through_detach_swapped, "soft"),
    Answer(check_my_straight_through_pooling, straight_through_sharpened, "gradient"),
    Answer(check_my_straight_through_pooling, straight_through_minus, "gradient", "sign"),
    Answer(check_my_straight_through_pooling, straight_through_smallest, "lowest"),
    Answer(check_my_straight_through_pooling, straight_through_per_key, "axis"),
    Answer(check_my_straight_through_pooling, straight_through_first_query_only, "same row"),
    Answer(check_my_straight_through_pooling, straight_through_in_double, "dtype"),
    Answer(check_my_leave_one_out_error, leave_one_out_loops, "pass"),
    Answer(check_my_leave_one_out_error, leave_one_out_inf_diagonal, "pass"),
    Answer(check_my_leave_one_out_error, leave_one_out_keeps_itself, "itself"),
    Answer(check_my_leave_one_out_error, leave_one_out_zero_score, "itself", "score 0 is the max"),
    Answer(check_my_leave_one_out_error, leave_one_out_zero_weight, "renormalise"),
    Answer(check_my_leave_one_out_error, leave_one_out_zero_then_renormalise, "underflow"),
    Answer(check_my_leave_one_out_error, leave_one_out_exp_then_renormalise, "underflow"),
    Answer(check_my_leave_one_out_error, leave_one_out_mask_then_exp, "underflow", "raw exp"),
    Answer(check_my_leave_one_out_error, leave_one_out_over_points_predicted, "axis"),
    Answer(check_my_leave_one_out_error, leave_one_out_loops_over_columns, "axis", "columns"),
    Answer(check_my_leave_one_out_error, leave_one_out_in_double, "dtype"),
    Answer(check_my_leave_one_out_error, leave_one_out_root, "combine"),
    Answer(check_my_leave_one_out_error, leave_one_out_sum, "combine"),
    Answer(check_my_leave_one_out_error, leave_one_out_over_n_minus_1, "combine", "n - 1"),
    Answer(check_my_leave_one_out_error, leave_one_out_per_point, "shape"),
]
