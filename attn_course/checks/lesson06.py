"""Checks for the coding exercises of lesson 06 (multi-head attention).

- ``check_my_interleaved_transpose_qkv(my_interleaved_transpose_qkv)``: heads into the
  batch axis, head ``i`` taking every ``num_heads``-th feature from ``i`` on.
- ``check_my_neighbour_heads(my_neighbour_heads)``: query and key weights, set by hand,
  with which head 0 attends to the next position and head 1 to the previous one, also
  with fewer features per head than positions.
- ``check_my_multihead_loop(my_multihead_loop)``: multi-head attention computed one
  head at a time from the weight matrices.

Each check diagnoses the kind of a failure (a known wrong layout, a wrong scale, a
missing mask, ...) and gives hints in stages; no hint states the recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _
from attn_course.masking import masked_softmax
from attn_course.multihead import transpose_qkv


def _features(*shape: int, seed: int) -> torch.Tensor:
    """Seeded random features, so every run checks the same inputs."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


# ---------------------------------------------------------------- exercise 1


def _interleaved(X: torch.Tensor, num_heads: int) -> torch.Tensor:
    """The reference: head i takes features i, i + num_heads, ... of every step."""
    batch_size, steps, num_hiddens = X.shape
    X = X.reshape(batch_size, steps, num_hiddens // num_heads, num_heads)  # (b, s, p, heads)
    X = X.permute(0, 3, 1, 2)  # (batch, heads, steps, p)
    return X.reshape(batch_size * num_heads, steps, -1)  # (batch * heads, steps, p)


def _same(actual: Any, expected: torch.Tensor) -> bool:
    return (
        isinstance(actual, torch.Tensor)
        and actual.shape == expected.shape
        # float32 sums in another order differ in the last digits (on some CPUs by 1e-6)
        and torch.allclose(actual.double(), expected.double(), rtol=1e-4, atol=1e-5)
    )


def _diagnose_interleaved(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the known wrong layouts: blocks of features, head-major rows, mixed steps."""
    X, num_heads = case.args
    if not isinstance(actual, torch.Tensor) or _same(actual, expected):
        return None
    batch_size, steps, num_hiddens = X.shape
    head_size = num_hiddens // num_heads
    right = expected.reshape(batch_size, num_heads, steps, head_size)
    if _same(actual, transpose_qkv(X, num_heads)):
        return Failure(
            "blocks", _("each head got a block of neighbouring features, as in the lesson")
        )
    if _same(actual, right.transpose(0, 1).reshape(-1, steps, head_size)):
        return Failure(
            "rows",
            _(
                "the right heads, but the rows are ordered head by head "
                "(row i * batch + b instead of b * num_heads + i, for head i)"
            ),
        )
    # One reshape straight to the output shape: of the lesson's blocks, and of the
    # interleaved heads (the head axis moved next to the features, not next to the batch).
    scrambled = [
        X.reshape(batch_size * num_heads, steps, head_size),
        X.reshape(batch_size, steps, head_size, num_heads)
        .transpose(2, 3)
        .reshape(batch_size * num_heads, steps, head_size),
    ]
    if any(_same(actual, wrong) for wrong in scrambled):
        return Failure("steps", _("the shape is right but rows mix features of different steps"))
    return None


INTERLEAVED_HINTS = {
    "blocks": [
        N_(
            "Your heads are the lesson's heads. Which features should head 0 get when there are 6 "
            "features and 2 heads? Write the list down and compare."
        ),
        N_(
            "After your first reshape, which axis walks along neighbouring features, and which one "
            "jumps by num_heads? The head axis should be the one that moves fastest in memory."
        ),
    ],
    "rows": [
        N_(
            "Every head holds the right features, but in the wrong row. Which row should hold head "
            "1 of sequence 0?"
        ),
        N_(
            "Before the last reshape, which axis comes first: the batch axis or the head axis? "
            "Rows are counted sequence by sequence."
        ),
    ],
    "steps": [
        N_("Look at one output row: do all its entries come from the same step of the input?"),
        N_(
            "A reshape keeps the elements in their order (the last index changes fastest) and "
            "copies them if it must; only a permute or a transpose changes that order. Which axes "
            "have to change places before the final reshape?"
        ),
    ],
}


def check_my_interleaved_transpose_qkv(student: Callable) -> None:
    """Check ``student(X, num_heads)``: X (batch, steps, num_hiddens) -> (batch*num_heads, ...).

    Head ``i`` of sequence ``b`` (row ``b * num_heads + i``) holds the features
    ``i, i + num_heads, i + 2 * num_heads, ...`` of every step. Prints a verdict.
    """
    cases = [
        Case(_("batch 2, 3 steps, 6 features, 2 heads"), (_features(2, 3, 6, seed=1), 2)),
        Case(_("batch 3, 4 steps, 12 features, 3 heads"), (_features(3, 4, 12, seed=2), 3)),
        Case(_("batch 2, 2 steps, 8 features, 4 heads"), (_features(2, 2, 8, seed=3), 4)),
        Case(_("one head leaves X unchanged"), (_features(2, 5, 4, seed=4), 1)),
        Case(_("batch 1, 1 step, 8 features, 2 heads"), (_features(1, 1, 8, seed=5), 2)),
    ]
    run_check(
        "my_interleaved_transpose_qkv",
        student,
        _interleaved,
        cases,
        hints=INTERLEAVED_HINTS,
        diagnose=_diagnose_interleaved,
    )


# ---------------------------------------------------------------- exercise 2

MIN_WEIGHT = 0.99  # the weight each head must put on its key


def _token_features(tokens: list[int], num_words: int) -> torch.Tensor:
    """The lesson's features: a one-hot word, then a one-hot position: (steps, words + steps)."""
    num_steps = len(tokens)
    words = torch.nn.functional.one_hot(torch.tensor(tokens), num_words).float()
    return torch.cat([words, torch.eye(num_steps)], dim=-1)


def _neighbour_targets(num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The key each query should attend to: head 0 the next position, head 1 the previous
    one; the last and the first position attend to themselves."""
    steps = torch.arange(num_steps)
    return (steps + 1).clamp(max=num_steps - 1), (steps - 1).clamp(min=0)


class _Raised:
    """What the student's function raised, passed on for the diagnosis to name."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _heads_attention(student: Callable) -> Callable:
    """Run the student's weights as a 2-head layer on a sentence: weights (2, steps, steps).

    A result of the wrong kind, or an error raised, is passed on for the diagnosis to name."""

    def attend(num_words: int, num_steps: int, head_size: int, tokens: list[int]) -> Any:
        try:
            result = student(num_words, num_steps, head_size)
        except NotImplementedError:
            raise
        except Exception as error:  # named by the diagnosis: often too few features
            return _Raised(error)
        shape = (2 * head_size, num_words + num_steps)
        if not (
            isinstance(result, (tuple, list))
            and len(result) == 2
            and all(isinstance(W, torch.Tensor) and tuple(W.shape) == shape for W in result)
        ):
            return result
        W_q, W_k = (W.detach().double() for W in result)
        X = _token_features(tokens, num_words).double()  # (steps, words + steps)
        Q = (X @ W_q.T).unflatten(-1, (2, head_size)).transpose(0, 1)  # (2, steps, p)
        K = (X @ W_k.T).unflatten(-1, (2, head_size)).transpose(0, 1)
        return torch.softmax(Q @ K.transpose(1, 2) / math.sqrt(head_size), dim=-1).float()

    return attend


def _one_hot_targets(
    num_words: int, num_steps: int, head_size: int, tokens: list[int]
) -> torch.Tensor:
    """The weights asked for: all of each query's weight on its target key."""
    return torch.stack(
        [torch.nn.functional.one_hot(t, num_steps).float() for t in _neighbour_targets(num_steps)]
    )


def _shape_failure(result: Any, num_words: int, num_steps: int, head_size: int) -> Failure:
    """What the student returned in place of (W_q, W_k), and the shapes asked for."""
    rows, columns = 2 * head_size, num_words + num_steps
    if isinstance(result, (tuple, list)):
        inner = ", ".join(
            str(tuple(W.shape)) if isinstance(W, torch.Tensor) else type(W).__name__ for W in result
        )
        detail = _(
            "returned a {type_name} of {count}: ({shapes}); expected (W_q, W_k), each of shape "
            "(2 * head_size, num_words + num_steps) = ({rows}, {columns})"
        ).format(
            type_name=type(result).__name__,
            count=len(result),
            shapes=inner,
            rows=rows,
            columns=columns,
        )
    elif isinstance(result, torch.Tensor):
        detail = _(
            "returned one tensor of shape {shape}; expected (W_q, W_k), each of shape "
            "(2 * head_size, num_words + num_steps) = ({rows}, {columns})"
        ).format(shape=tuple(result.shape), rows=rows, columns=columns)
    else:
        detail = _(
            "returned a {type_name}; expected (W_q, W_k), each of shape "
            "(2 * head_size, num_words + num_steps) = ({rows}, {columns})"
        ).format(type_name=type(result).__name__, rows=rows, columns=columns)
    return Failure("shape", detail)


def _edge_failure(actual: torch.Tensor, targets: torch.Tensor) -> Failure | None:
    """Every query with two neighbours right, but the last (head 0) or the first (head 1)
    query not on itself: name that query and what it does."""
    num_steps = actual.shape[-1]
    on_target = actual.gather(-1, targets[..., None]).squeeze(-1)  # (2, steps)
    right = (actual.argmax(-1) == targets) & (on_target >= MIN_WEIGHT)  # (2, steps)
    edges = [(0, num_steps - 1, _("the last query")), (1, 0, _("the first query"))]
    inner = torch.ones_like(right)
    for head, query, __ in edges:
        inner[head, query] = False
    if not right[inner].all() or all(right[head, query] for head, query, __ in edges):
        return None
    head, query, name = next(edge for edge in edges if not right[edge[0], edge[1]])
    row = actual[head, query]
    if (row.max() - row.min()).item() < 1e-3:
        detail = _(
            "right for every query with two neighbours, but in head {head}, {name} "
            "(position {query}) spreads its weight evenly ({weight:.2f} on each key): its "
            "query matches no key; it should attend to itself"
        ).format(head=head, name=name, query=query, weight=row[0].item())
    elif row.argmax().item() != query:
        detail = _(
            "right for every query with two neighbours, but in head {head}, {name} "
            "(position {query}) weighs key {key} most; it should attend to itself"
        ).format(head=head, name=name, query=query, key=row.argmax().item())
    else:
        detail = _(
            "right for every query with two neighbours, but in head {head}, {name} "
            "(position {query}) gives its own key only {weight:.2f} of its weight; it should "
            "attend to itself"
        ).format(head=head, name=name, query=query, weight=row[query].item())
    return Failure("edge", detail)


def _diagnose_neighbours(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the likely mistakes: heads swapped, wrong neighbour, the words, the edges, flat,
    too few features for a design with one feature per position."""
    num_words, num_steps, head_size, tokens = case.args
    few = head_size < num_steps  # fewer features per head than positions
    if isinstance(actual, _Raised):
        error = f"{type(actual.error).__name__}: {actual.error}"
        if few:
            return Failure(
                "features",
                _(
                    "raised {error}, on a case with {head_size} features "
                    "per head for {num_steps} positions"
                ).format(error=error, head_size=head_size, num_steps=num_steps),
            )
        return Failure("raised", _("raised {error}").format(error=error))
    if not isinstance(actual, torch.Tensor) or actual.dim() != 3:
        return _shape_failure(actual, num_words, num_steps, head_size)
    if torch.isnan(actual).any():
        return None  # the generic NaN diagnosis names the index
    chosen = actual.argmax(-1)  # (2, steps): the key each query weighs most
    targets = torch.stack(_neighbour_targets(num_steps))  # (2, steps)
    edge = _edge_failure(actual, targets)
    if edge is not None:
        return edge
    if torch.equal(chosen, targets):
        least = actual.gather(-1, targets[..., None]).min().item()
        if least < MIN_WEIGHT:
            return Failure(
                "flat",
                _(
                    "every query weighs the right key most, but some give it "
                    "only {least:.3f} of their weight, below the {min_weight} asked"
                ).format(least=math.floor(least * 1000) / 1000, min_weight=MIN_WEIGHT),
            )
        return None
    if torch.equal(chosen, targets.flip(0)):
        return Failure(
            "swapped",
            _(
                "head 0 attends to the previous position and head 1 to the next: "
                "the heads are swapped"
            ),
        )
    words = torch.tensor(tokens)
    same_word = (words[:, None] == words[None, :]).float()  # (queries, keys)
    by_word = same_word / same_word.sum(-1, keepdim=True)  # spread over the copies of a word
    for head in range(2 if len(set(tokens)) < num_steps else 0):  # only if words repeat
        if (actual[head] - by_word).abs().max().item() < 0.05:
            return Failure(
                "words",
                _(
                    "head {head} spreads each query's weight over the copies "
                    "of its own word: it reads the words, not the positions"
                ).format(head=head),
            )
    for head in range(2):
        if (actual[head].amax(-1) - actual[head].amin(-1)).max().item() < 1e-3:
            return Failure(
                "uniform",
                _(
                    "head {head} gives every key the same weight: "
                    "its scores do not depend on the key"
                ).format(head=head),
            )
    for head in range(2):
        wrong = (chosen[head] != targets[head]).nonzero().flatten().tolist()
        if wrong:
            query = wrong[0]
            key, target = chosen[head, query].item(), targets[head, query].item()
            if few:
                return Failure(
                    "features",
                    _(
                        "head {head}: query {query} weighs key {key} most, not key {target}, "
                        "on a case with {head_size} features per head for {num_steps} positions"
                    ).format(
                        head=head,
                        query=query,
                        key=key,
                        target=target,
                        head_size=head_size,
                        num_steps=num_steps,
                    ),
                )
            return Failure(
                "values",
                _("head {head}: query {query} weighs key {key} most, not key {target}").format(
                    head=head, query=query, key=key, target=target
                ),
            )
    return None


NEIGHBOUR_HINTS = {
    "shape": [
        N_(
            "Return two tensors, W_q and W_k, each shaped as nn.Linear stores a weight: "
            "(out_features, in_features)."
        ),
        N_(
            "out_features is num_hiddens = 2 * head_size (two heads); in_features is the size of "
            "one token's features."
        ),
    ],
    "swapped": [
        N_(
            "Both rules are there, but each in the other's head. Which rows of W_q make the "
            "projected features of head 0?"
        ),
        N_(
            "Head i owns the projected features i * head_size to (i + 1) * head_size - 1, as in "
            "transpose_qkv. Which rows did you fill for the rule 'next position'?"
        ),
    ],
    "flat": [
        N_(
            "Every query looks at the right key, but not sharply enough. What does the layer do to "
            "a score before its softmax?"
        ),
        N_(
            "If the target's score leads every other key's by at least g, the softmax gives it at "
            "least e^g / (e^g + n - 1). Which g gives 0.99 here, and what must the lead be before "
            "the division by sqrt(head_size)?"
        ),
    ],
    "edge": [
        N_(
            "Every query with two neighbours is right. What does the exercise ask of the last "
            "query in head 0 and of the first query in head 1?"
        ),
        N_(
            "A query with no next position has no key to match: which key should its projected "
            "query match instead?"
        ),
    ],
    "features": [
        N_(
            "The cases with at least as many features per head as positions may pass; this one has "
            "fewer. Must every key position have a projected feature of its own, or can keys share "
            "features, as long as each query still scores its own target highest?"
        ),
        N_(
            "A head's score of a query and a key is a dot product of two vectors of head_size "
            "numbers. With fewer numbers per key than positions (two, in the smallest case), how "
            "can you place num_steps key vectors so that each one is the highest-scoring key for "
            "some query vector?"
        ),
    ],
    "words": [
        N_(
            "One head follows the words, so it fails on sentences whose words repeat. Which input "
            "features say what a token is, and which say where it is?"
        ),
        N_(
            "The first num_words input features are the word and the rest the position. Which of "
            "them may a head of this exercise read?"
        ),
    ],
    "uniform": [
        N_(
            "A head's scores are the same for every key. Which entries of W_q and W_k does a "
            "head's score of query i and key j depend on?"
        ),
        N_(
            "A head's score is a sum over its own head_size projected features. Are any of those "
            "features different from one key to the next?"
        ),
    ],
    "values": [
        N_(
            "A head looks at the wrong key. For query position i, which key position should score "
            "highest in each head?"
        ),
        N_(
            "Write the score of query i and key j in one head as a sum over that head's head_size "
            "projected features: which feature must the two share?"
        ),
    ],
}


def check_my_neighbour_heads(student: Callable) -> None:
    """Check ``student(num_words, num_steps, head_size) -> (W_q, W_k)``.

    Each of shape (2 * head_size, num_words + num_steps), as ``nn.Linear`` stores them:
    a 2-head layer in which, on the lesson's token features (one-hot word, then one-hot
    position), head 0 puts at least 0.99 of each query's weight on the next position and
    head 1 on the previous one (the last and first position on themselves), whatever the
    words, also when a head has fewer features than there are positions (down to 2).
    Prints a verdict.
    """
    generator = torch.Generator().manual_seed(6)
    random_words = torch.randint(0, 4, (8,), generator=generator).tolist()
    cases = [
        Case(
            _("the cat sat on the mat: 5 words, 6 steps, head_size 6"),
            (5, 6, 6, [0, 1, 2, 3, 0, 4]),
        ),
        Case(_("one word repeated: 3 words, 4 steps, head_size 4"), (3, 4, 4, [2, 2, 2, 2])),
        Case(_("4 words, 8 steps, head_size 8"), (4, 8, 8, random_words)),
        Case(
            _("5 words, 5 steps, head_size 8 (more features than positions)"),
            (5, 5, 8, [4, 3, 2, 1, 0]),
        ),
        Case(
            _("the cat sat on the mat with head_size 3 (fewer features than positions)"),
            (5, 6, 3, [0, 1, 2, 3, 0, 4]),
        ),
        Case(_("4 words, 8 steps, head_size 2"), (4, 8, 2, random_words)),
    ]
    run_check(
        "my_neighbour_heads",
        _heads_attention(student),
        _one_hot_targets,
        cases,
        atol=1 - MIN_WEIGHT,
        hints=NEIGHBOUR_HINTS,
        diagnose=_diagnose_neighbours,
    )


# ---------------------------------------------------------------- exercise 3


def _multihead_weights(
    query_size: int, key_size: int, value_size: int, num_hiddens: int, seed: int
) -> tuple[torch.Tensor, ...]:
    """W_q, W_k, W_v, W_o as ``nn.Linear`` stores them: (out_features, in_features)."""
    return (
        _features(num_hiddens, query_size, seed=seed) / query_size**0.5,
        _features(num_hiddens, key_size, seed=seed + 1) / key_size**0.5,
        _features(num_hiddens, value_size, seed=seed + 2) / value_size**0.5,
        _features(num_hiddens, num_hiddens, seed=seed + 3) / num_hiddens**0.5,
    )


def _loop(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor | None,
    num_heads: int,
    valid_lens: torch.Tensor | None = None,
    scale_features: int | None = None,
    fill: float | None = None,
    head_size: int | None = None,
) -> torch.Tensor:
    """Multi-head attention one head at a time; the options give known wrong answers
    (``fill``: mask by writing that number into the padded scores, then a plain softmax;
    ``head_size``: slices of that size, as when it is taken from an input's size)."""
    head_size = head_size or W_q.shape[0] // num_heads
    scale = math.sqrt(scale_features or head_size)
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / scale  # (batch, queries, keys)
        if fill is not None and valid_lens is not None:
            lens = valid_lens.reshape(scores.shape[0], -1)  # (batch, 1 or queries)
            padded = torch.arange(scores.shape[-1]) >= lens[..., None]  # (b, 1 or q, k)
            weights = torch.softmax(scores.masked_fill(padded, fill), dim=-1)
        else:
            weights = masked_softmax(scores, valid_lens)  # (batch, queries, keys)
        heads.append(weights @ V)  # (batch, queries, head_size)
    output = torch.cat(heads, dim=-1)  # (batch, queries, num_hiddens)
    return output if W_o is None else output @ W_o.T


def _reference_multihead(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    num_heads: int,
    valid_lens: torch.Tensor | None = None,
) -> torch.Tensor:
    """The reference (it agrees with ``MultiHeadAttention``; the tests check that)."""
    return _loop(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens)


def _diagnose_loop(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the known mistakes: the scale, the mask, empty rows, the output projection."""
    if not isinstance(actual, torch.Tensor) or _same(actual, expected):
        return None
    queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens = case.args
    if torch.isnan(actual).any():
        return None  # the generic NaN diagnosis names the index
    common = (queries, keys, values, W_q, W_k, W_v)
    head_size = W_q.shape[0] // num_heads
    # Wrong scales: sqrt(num_hiddens), no division at all, the head size without the root.
    for features in (W_q.shape[0], 1, head_size**2):
        if _same(actual, _loop(*common, W_o, num_heads, valid_lens, scale_features=features)):
            return Failure("scale", _("the scores reach the softmax at the wrong scale"))
    # A head size taken from an input (query_size // num_heads, or W_q.shape[1], the
    # in_features of nn.Linear's (out, in) weight), not from num_hiddens.
    for size in {X.shape[-1] // num_heads for X in (queries, keys, values)} - {head_size}:
        try:
            wrong = _loop(*common, W_o, num_heads, valid_lens, head_size=size)
        except RuntimeError:  # these slices do not add up to num_hiddens features
            continue
        if _same(actual, wrong):
            return Failure(
                "inputs",
                _(
                    "the heads have {size} features each, where num_hiddens "
                    "{num_hiddens} / num_heads {num_heads} gives {head_size}: the head size "
                    "came from an input's size"
                ).format(
                    size=size, num_hiddens=W_q.shape[0], num_heads=num_heads, head_size=head_size
                ),
            )
    if valid_lens is not None and _same(actual, _loop(*common, W_o, num_heads, None)):
        return Failure("mask", _("the result ignores valid_lens: padded keys get weight"))
    if (
        valid_lens is not None
        and bool((valid_lens == 0).any())
        and _same(actual, _loop(*common, W_o, num_heads, valid_lens, fill=-1e6))
    ):
        return Failure(
            "empty",
            _(
                "the sequence with valid length 0 spreads its weight evenly "
                "over its padded keys, where every query should get zeros (lesson 03)"
            ),
        )
    if _same(actual, _loop(*common, None, num_heads, valid_lens)):
        return Failure("projection", _("the heads are right, but the last step is missing"))
    return None


LOOP_HINTS = {
    "scale": [
        N_(
            "The scores reach the softmax at the wrong scale. What does lesson 04 divide the "
            "scores by, and why that number?"
        ),
        N_(
            "How many features does one head's dot product sum over, and how does the scale of "
            "lesson 04 depend on that number?"
        ),
    ],
    "mask": [
        N_(
            "The cases without valid_lens pass. What should a query do with the keys past its "
            "valid length?"
        ),
        N_(
            "Which function of lesson 03 takes the scores and the valid lengths, and did every "
            "head use it?"
        ),
    ],
    "nan": [
        N_(
            "NaN appears only for a sequence with valid length 0. What is the softmax of a row in "
            "which every key is masked?"
        ),
        N_("Lesson 03 decided what such a row should be. Which function there gives it?"),
    ],
    "empty": [
        N_(
            "Only the sequence with valid length 0 fails. What weights does your code give a query "
            "whose keys are all padding, and what did lesson 03 decide they should be?"
        ),
        N_(
            "When every score of a row is replaced by the same large negative number, the scores "
            "are all equal again. What is the softmax of equal scores, and which function of "
            "lesson 03 gives such a row zeros instead?"
        ),
    ],
    "inputs": [
        N_(
            "In the failing case an input's size differs from num_hiddens. Which of the two should "
            "the head size be num_heads times smaller than?"
        ),
        N_(
            "nn.Linear stores its weight as (out_features, in_features). Which axis of W_q has "
            "num_hiddens entries, and which one query_size?"
        ),
    ],
    "projection": [
        N_(
            "Your heads are right and concatenated in the right order. Is anything applied after "
            "the concatenation in the lesson's formula?"
        ),
    ],
}


def check_my_multihead_loop(student: Callable) -> None:
    """Check ``student(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens)``.

    The student's function computes multi-head attention one head at a
    time and returns (batch, queries, num_hiddens); the weights are
    (out_features, in_features) as in ``nn.Linear``. Prints a verdict.
    """
    settings = [
        # description, batch, queries, keys, query_size, key_size, value_size,
        # num_hiddens, num_heads, valid_lens
        (N_("1 head"), 1, 2, 3, 4, 5, 6, 4, 1, torch.tensor([2])),
        (N_("2 heads, no valid_lens"), 2, 3, 4, 8, 8, 8, 8, 2, None),
        (
            N_("4 heads, query_size 12, num_hiddens 8, valid_lens (batch,)"),
            2,
            3,
            5,
            12,
            6,
            4,
            8,
            4,
            torch.tensor([2, 5]),
        ),
        (
            N_("3 heads, valid_lens (batch, queries)"),
            2,
            3,
            4,
            6,
            6,
            6,
            6,
            3,
            torch.tensor([[1, 2, 3], [4, 4, 2]]),
        ),
        (N_("a sequence with valid length 0"), 2, 2, 3, 4, 4, 4, 4, 2, torch.tensor([0, 3])),
        (N_("self-attention, 2 heads"), 3, 4, 4, 8, 8, 8, 8, 2, torch.tensor([4, 1, 3])),
    ]
    cases = []
    for seed, setting in enumerate(settings):
        (
            description,
            batch,
            num_queries,
            num_keys,
            query_size,
            key_size,
            value_size,
            num_hiddens,
            num_heads,
            valid_lens,
        ) = setting
        queries = _features(batch, num_queries, query_size, seed=10 * seed)
        keys = _features(batch, num_keys, key_size, seed=10 * seed + 1)
        values = _features(batch, num_keys, value_size, seed=10 * seed + 2)
        if description.startswith("self-attention"):
            keys = values = queries
        weights = _multihead_weights(query_size, key_size, value_size, num_hiddens, 10 * seed)
        args = (queries, keys, values, *weights, num_heads, valid_lens)
        cases.append(Case(_(description), args))
    run_check(
        "my_multihead_loop",
        student,
        _reference_multihead,
        cases,
        hints=LOOP_HINTS,
        diagnose=_diagnose_loop,
    )
