"""Checks for the coding exercises of lesson 03 (masked softmax).

- ``check_my_left_padded_softmax(my_left_padded_softmax)``: a masked softmax for a batch
  padded on the left (the real keys of a sequence are its last valid_lens[b] keys), with
  all-zero rows where nothing is valid, a finite gradient and the dtype of the scores,
  float16 included.
- ``check_my_cached_causal_mask(my_cached_causal_mask)``: the boolean causal mask of
  queries that are the last positions of the keys (a step of generation with a KV cache).
- ``check_my_pad_weight(my_pad_weight)``: the predicted average weight a plain softmax
  puts on the padding, compared with the exact value and then with a simulation.

Each check names the case, the entry and the property that fails (the padding taken on
the wrong side, a mask one key off, lengths lined up with the queries axis, NaN on an
empty row, rows that do not sum to one, exp() underflowing below a hidden key's maximum, a
fill value that float16 cannot hold, the wrong axis, a NaN gradient, the input changed in
place, a mask lined up at the wrong corner, a mask that is not causal at all, the real
tokens' share instead of the padding's ...) and stages its hints by how often that kind failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, CaseResult, Failure, evaluate, report, run_check
from attn_course.checks.i18n import N_, _
from attn_course.masking import causal_mask, masked_softmax

# --- exercise 1: a masked softmax for a batch padded on the left -------------------------


def left_padded_softmax(X: torch.Tensor, valid_lens: torch.Tensor) -> torch.Tensor:
    """Reference: the package's masked softmax of the keys read from right to left."""
    return masked_softmax(X.flip(-1), valid_lens).flip(-1)


def _left_padded_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)

    def rand(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return scale * torch.randn(*shape, generator=generator)

    return [
        Case(
            _("2 sequences, 3 queries, 4 keys: lengths [2, 3]"),
            (rand(2, 3, 4), torch.tensor([2, 3])),
        ),
        Case(
            _("as many sequences as queries (3 and 3): lengths [1, 4, 2]"),
            (rand(3, 3, 4), torch.tensor([1, 4, 2])),
        ),
        Case(_("full lengths give the plain softmax"), (rand(2, 3, 4), torch.tensor([4, 4]))),
        Case(
            _("a sequence of length 0 gives all-zero rows"), (rand(2, 3, 5), torch.tensor([0, 5]))
        ),
        Case(_("large scores (up to 133)"), (rand(3, 2, 4, scale=70.0), torch.tensor([3, 1, 4]))),
        Case(
            _("float64 scores give float64 weights"), (rand(2, 3, 4).double(), torch.tensor([1, 3]))
        ),
        Case(
            _("the gradient with respect to X, a sequence of length 0 included"),
            (rand(2, 3, 4), torch.tensor([0, 3])),
            {"upstream": rand(2, 3, 4)},
        ),
        Case(
            _("float16 scores, a sequence of length 0 included"),
            (rand(2, 3, 4).half(), torch.tensor([0, 3])),
        ),
    ]


FLOAT16_ATOL = 2e-3  # a few float16 steps at 1 (one step is about 0.001)


def _tolerance(X: torch.Tensor) -> float:
    """How far a row sum or a weight may be off from rounding alone, in X's dtype."""
    return FLOAT16_ATOL if X.dtype == torch.float16 else 1e-4


def _with_gradient(function: Callable) -> Callable:
    """function(X, valid_lens), or, given an upstream gradient, the gradient it sends to X."""

    def run(X: torch.Tensor, valid_lens: torch.Tensor, upstream: Any = None) -> Any:
        if upstream is None:
            return function(X, valid_lens)
        X = X.detach().clone().requires_grad_()
        weights = function(X, valid_lens)
        if not isinstance(weights, torch.Tensor) or not weights.requires_grad:
            return torch.zeros_like(X)  # no path back to X: diagnosed as a gradient of 0
        (weights * upstream).sum().backward()
        return X.grad if X.grad is not None else torch.zeros_like(X)

    return run


def _left_mask(lens: torch.Tensor, num_keys: int) -> torch.Tensor:
    """(*lens.shape, num_keys) bool: True on the last lens positions of the keys."""
    return torch.arange(num_keys) >= num_keys - lens.unsqueeze(-1)


def _visible(case: Case) -> torch.Tensor:
    """(batch, queries, keys) bool: the keys each query may see in this case."""
    X, valid_lens = case.args
    return _left_mask(valid_lens, X.shape[-1]).unsqueeze(1).expand(X.shape)


def _softmax_over(X: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """Softmax of X over the keys where visible, 0 elsewhere and on rows with no key."""
    scores = X.masked_fill(~visible, float("-inf"))
    empty = ~visible.any(-1, keepdim=True)
    return torch.softmax(scores.masked_fill(empty, 0.0), dim=-1) * visible


def _visible_keys(number: int) -> str:
    """'1 visible key', '3 visible keys'."""
    said = _("{count} visible key") if number == 1 else _("{count} visible keys")
    return said.format(count=number)


def _first(mask: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in mask.nonzero()[0])


def _mask_mistakes(case: Case) -> list[tuple[str, torch.Tensor, Callable]]:
    """Masks a student may have built by mistake: (kind, (batch, queries, keys) mask, message).

    message(b, q) describes, for a row where the mistake changes the weights, what the
    student's mask did there.
    """
    X, lens = case.args
    batch, num_queries, num_keys = X.shape
    real = _visible(case)
    n = [int(length) for length in lens]
    first_real = [num_keys - length for length in n]  # first real key of each sequence

    def spread(b: int, q: int, mask: torch.Tensor) -> str:
        keys = mask[b, q].nonzero().flatten().tolist()
        if len(keys) > 1:
            return _("keys {first} to {last}").format(first=keys[0], last=keys[-1])
        return _("key {key}").format(key=keys[0]) if keys else _("no key")

    def real_keys(b: int) -> str:
        if n[b] == 1:
            return _("sequence {sequence}'s one real key, key {key}").format(
                sequence=b, key=num_keys - 1
            )
        return _("sequence {sequence}'s {count} real keys, keys {first} to {last}").format(
            sequence=b, count=n[b], first=first_real[b], last=num_keys - 1
        )

    right = torch.arange(num_keys) < lens.reshape(-1, 1, 1)  # the lesson's padding on the right
    right = right.expand(X.shape)
    one_short = real & (torch.arange(num_keys) != torch.tensor(first_real).reshape(-1, 1, 1))
    one_more = _left_mask((lens + 1).clamp(max=num_keys), num_keys).unsqueeze(1).expand(X.shape)
    mistakes = [
        (
            "side",
            right,
            lambda b, q: _(
                "row (batch {batch}, query {query}) puts its weight on {spread}, the "
                "first {count}; the batch is padded on the left, so it should go to {real_keys}"
            ).format(
                batch=b, query=q, spread=spread(b, q, right), count=n[b], real_keys=real_keys(b)
            ),
        ),
        (
            "off_by_one",
            one_short,
            lambda b, q: _(
                "key {key}, the first real key of sequence {batch} (valid length "
                "{length} of {num_keys} keys), gets no weight in row (batch {batch}, query {query})"
            ).format(key=first_real[b], batch=b, length=n[b], num_keys=num_keys, query=q),
        ),
        (
            "off_by_one",
            one_more,
            lambda b, q: (
                _(
                    "key {key}, the <pad> just before {real_keys}, gets "
                    "weight in row (batch {batch}, query {query})"
                ).format(key=first_real[b] - 1, real_keys=real_keys(b), batch=b, query=q)
                if n[b]
                else _(
                    "key {key} gets weight in row (batch {batch}, query {query}), but "
                    "sequence {batch} has no real key"
                ).format(key=num_keys - 1, batch=b, query=q)
            ),
        ),
    ]
    if batch == num_queries > 1:  # (batch,) lengths broadcast along the queries axis
        along_queries = _left_mask(lens, num_keys).unsqueeze(0).expand(X.shape)
        mistakes.append(
            (
                "query_axis",
                along_queries,
                lambda b, q: _(
                    "row (batch {batch}, query {query}) used valid length {length}, that of "
                    "sequence {query}, instead of its own sequence's {own_length}: the (batch,) "
                    "lengths were lined up with the queries axis"
                ).format(batch=b, query=q, length=n[q], own_length=n[b]),
            )
        )
    return mistakes


def _explains(
    actual: torch.Tensor, expected: torch.Tensor, X: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor | None:
    """The rows a mistaken mask changes, if it explains every row where it sees a key."""
    rows = mask.any(-1)  # (batch, queries): rows where the mistaken mask sees some key
    if not rows.any() or not torch.isfinite(actual[rows]).all():
        return None
    guess = _softmax_over(X, mask)
    tolerance = _tolerance(X) / 10
    if float((actual[rows] - guess[rows]).abs().max()) > tolerance:
        return None
    changed = rows & ((guess - expected).abs() > tolerance).any(-1)
    return changed if changed.any() else None


def _diagnose_left_padded(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the property a wrong left-padded softmax breaks, or None to let compare() decide."""
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if not actual.is_floating_point():
        return None
    visible = _visible(case)  # (batch, queries, keys)
    has_key = visible.any(-1)  # (batch, queries)
    if case.kwargs.get("upstream") is not None:  # actual is the gradient with respect to X
        return _diagnose_gradient(actual, expected, has_key)
    X, lens = case.args
    num_keys = X.shape[-1]
    tolerance = _tolerance(X)
    rows_ok = ((actual.sum(-1) - 1).abs() < tolerance) | ~has_key  # NaN sums are not ok
    column_sums = actual.nan_to_num(0.0).sum(-2)  # (batch, keys)
    seen = visible.any(-2)  # (batch, keys): keys that some query may see
    if not rows_ok.all() and ((column_sums - 1).abs() < tolerance)[seen].all():
        return Failure(
            "axis",
            _(
                "the weights sum to 1 down each column (over the queries), "
                "not along each row (over the keys)"
            ),
        )
    for kind, mask, message in _mask_mistakes(case):
        changed = _explains(actual, expected, X, mask)
        if changed is not None:
            return Failure(kind, message(*_first(changed)))
    bad = ~torch.isfinite(actual)
    if (bad.any(-1) & ~has_key).any():
        b, q = _first(bad.any(-1) & ~has_key)
        return Failure(
            "nan",
            _(
                "row (batch {batch}, query {query}) has no visible key and came out "
                "{value} instead of all zeros"
            ).format(batch=b, query=q, value=float(actual[b, q, 0])),
        )
    if bad.any():
        b, q, k = _first(bad)
        return Failure(
            "overflow",
            _(
                "entry {entry} is {value}, in a row with {visible_keys} and scores "
                "up to {largest:.0f}"
            ).format(
                entry=(b, q, k),
                value=float(actual[b, q, k]),
                visible_keys=_visible_keys(int(visible[b, q].sum())),
                largest=float(X[b, q].abs().max()),
            ),
        )
    if ((actual.abs() > 1e-6) & ~has_key.unsqueeze(-1)).any():
        b, q = _first((actual.abs() > 1e-6).any(-1) & ~has_key)
        return Failure(
            "empty_row",
            _(
                "row (batch {batch}, query {query}) has no visible key but its "
                "weights sum to {total:.3g}, not 0"
            ).format(batch=b, query=q, total=float(actual[b, q].sum())),
        )
    padding = (actual.abs() > 1e-6) & ~visible
    if padding.any():
        b, q, k = _first(padding)
        n = int(lens[b])
        if n > 1:
            said = _(
                "key {key} of row (batch {batch}, query {query}) is a <pad> position "
                "of sequence {batch} (its real keys are keys {first} to {last}) but gets "
                "weight {weight:.3g}"
            )
        else:
            said = _(
                "key {key} of row (batch {batch}, query {query}) is a <pad> position "
                "of sequence {batch} (its real key is key {last}) but gets weight {weight:.3g}"
            )
        return Failure(
            "padding",
            said.format(
                key=k,
                batch=b,
                query=q,
                first=num_keys - n,
                last=num_keys - 1,
                weight=float(actual[b, q, k]),
            ),
        )
    sums = actual.sum(-1)  # (batch, queries)
    vanished = (sums.abs() < 1e-6) & has_key  # rows with keys whose weights are all 0
    if vanished.any():
        b, q = _first(vanished)
        top = X[b, q][visible[b, q]].max()  # the largest visible score of the row
        row_top, batch_top = X[b, q].max(), X.max()
        if row_top > top and torch.exp(top - row_top) == 0:
            said, subtracted = (
                _(
                    "row (batch {batch}, query {query}) has {visible_keys}, yet all its "
                    "weights are 0: its largest score, {top:.0f}, is a hidden key's, so a "
                    "softmax or a maximum over all its keys gives exp(s - {top:.0f}), which "
                    "is 0 for every visible score s (the largest is {largest:.0f})"
                ),
                row_top,
            )
        elif batch_top > top and torch.exp(top - batch_top) == 0:
            said, subtracted = (
                _(
                    "row (batch {batch}, query {query}) has {visible_keys}, yet all its "
                    "weights are 0: the largest score of the batch is {top:.0f}, and "
                    "exp(s - {top:.0f}) is 0 for every visible score s (the largest is "
                    "{largest:.0f})"
                ),
                batch_top,
            )
        else:
            said, subtracted = "", None
        if said:
            return Failure(
                "underflow",
                said.format(
                    batch=b,
                    query=q,
                    visible_keys=_visible_keys(int(visible[b, q].sum())),
                    top=float(subtracted),
                    largest=float(top),
                ),
            )
    off = ((sums - 1).abs() > tolerance) & has_key
    if off.any():
        b, q = _first(off)
        return Failure(
            "rows",
            _("row (batch {batch}, query {query}) sums to {total:.4g}, not 1").format(
                batch=b, query=q, total=float(sums[b, q])
            ),
        )
    return None


def _diagnose_gradient(
    grad: torch.Tensor, expected: torch.Tensor, has_key: torch.Tensor
) -> Failure | None:
    """Name what is wrong with the gradient a student's masked softmax sends back to X."""
    bad = ~torch.isfinite(grad)
    if bad.any():
        b, q, k = _first(bad)
        if not has_key[b, q]:
            said = _(
                "the gradient with respect to X is {value} at {entry}, in a row that has no "
                "visible key"
            )
        else:
            said = _(
                "the gradient with respect to X is {value} at {entry}, in a row that has visible "
                "keys"
            )
        return Failure("gradient", said.format(value=float(grad[b, q, k]), entry=(b, q, k)))
    if not grad.any() and expected.any():
        return Failure(
            "gradient",
            _("the gradient with respect to X is 0 everywhere: is the result detached from X?"),
        )
    difference = (grad - expected).abs()
    if float(difference.max()) > 1e-5:
        b, q, k = _first(difference == difference.max())
        return Failure(
            "gradient",
            _(
                "the gradient with respect to X differs from the reference by "
                "{difference:.3g} at {entry}"
            ).format(difference=float(difference.max()), entry=(b, q, k)),
        )
    return None


LEFT_PADDED_HINTS = {
    "side": [
        N_(
            "Your weights sit on the first keys of each row, as in the lesson. In this batch the "
            "padding comes first: where are the real tokens of a sequence of length n?"
        ),
        N_(
            "Draw the 4 keys of a sequence of valid length 1, padded on the left: which position "
            "is real? Then valid length 3. Which comparison of a position j with the number of "
            "keys and n is True exactly on the real ones?"
        ),
    ],
    "off_by_one": [
        N_(
            "Your mask is one key off at the border between the padding and the real keys. With 4 "
            "keys and valid length 2, padded on the left, which positions are real: 2 and 3, or "
            "1, 2 and 3, or 3 only?"
        ),
        N_(
            "Write out the mask your code builds for 4 keys and valid length 2 and compare it with "
            "[False, False, True, True]. Is your comparison strict where it should not be, or the "
            "other way round?"
        ),
    ],
    "query_axis": [
        N_(
            "Each row used the valid length of another sequence. With one length per sequence, "
            "which axis of the scores (batch, queries, keys) should the lengths run along, and "
            "which one did yours?"
        ),
        N_(
            "Broadcasting lines shapes up from the right. Write the shape of your mask under "
            "(batch, queries, keys), axis by axis: which axis does its first axis land on?"
        ),
    ],
    "nan": [
        N_(
            "A row with no visible key came out NaN. What is a softmax of a row in which every "
            "score is -inf?"
        ),
        N_(
            "A softmax subtracts the row's maximum first: what is the maximum of a row of -inf, "
            "and what is -inf minus it? Such a row has nothing to average: which value should each "
            "of its weights have, and which scores give it without a NaN on the way?"
        ),
    ],
    "overflow": [
        N_(
            "A row that does have visible keys came out inf or NaN, and its scores are large. "
            "What is exp(133) in float32?"
        ),
        N_(
            "A softmax does not change when the same number is subtracted from every score of a "
            "row. Which number keeps every exponent at most 0?"
        ),
    ],
    "empty_row": [
        N_(
            "A row with no visible key got weights that are not zero. Where did its weight go, "
            "and which values would the output then average?"
        ),
        N_(
            "If every score of a row is the same very negative number, what does a softmax of "
            "that row give? The exercise asks for exact zeros there."
        ),
    ],
    "padding": [
        N_(
            "A <pad> key still gets weight. Is the mask applied before the softmax, and does it "
            "cover every query of the sequence?"
        ),
        N_(
            "Print the mask you build for the failing case beside the scores: which axis of "
            "(batch, queries, keys) does it hide, and which keys of each row?"
        ),
    ],
    "gradient": [
        N_(
            "Your weights are right, but the backward pass is not. Which step of your code "
            "computes a NaN (or a value detached from X) that a later step hides from the output?"
        ),
        N_(
            "A NaN replaced after the softmax is gone from the weights, but the backward pass "
            "still runs through that row's softmax and multiplies by 0 there: 0 x NaN is NaN. "
            "Which of your steps passes that NaN on to X, and can an empty row avoid its NaN "
            "before the softmax?"
        ),
    ],
    "underflow": [
        N_(
            "A row that has visible keys came out all zeros. exp(x) is exactly 0 in float32 once x "
            "is below about -104: which number was subtracted from that row's scores (by your "
            "code, or by torch.softmax, which subtracts the row's maximum), and which key's score "
            "is it?"
        ),
        N_(
            "Subtracting a maximum keeps every exponent at most 0, so nothing overflows. But "
            "if that maximum is not one of the row's visible scores and lies far above them "
            "(a <pad> score, another row's), every visible key's exponent falls below -104. "
            "Which scores should the maximum be taken over?"
        ),
    ],
    "fill": [
        N_(
            "Your function raised on float16 scores: a number it writes into them does not fit "
            "float16. What is the most negative finite float16, and is your fill value below it?"
        ),
        N_(
            "A fixed fill value must fit every dtype the scores may come in and still give a "
            "weight of 0 after the softmax. Which value does that in float16, float32 and "
            "float64 alike?"
        ),
    ],
    "rows": [
        N_(
            "Some rows do not sum to 1. Is the softmax taken over the visible keys only, or are "
            "the padded weights removed after normalising?"
        ),
        N_(
            "Zeroing weights after a softmax leaves the others as they were: they no longer sum "
            "to 1. Where must the masking happen instead?"
        ),
    ],
    "axis": [
        N_(
            "Your weights sum to 1 over the wrong axis. Over which axis of (batch, queries, keys) "
            "does each query distribute its attention?"
        ),
    ],
    "dtype": [
        N_(
            "The weights have another dtype than the scores X. The exercise asks for X's dtype: "
            "which step of your code changes it?"
        ),
    ],
    "shape": [
        N_(
            "The result has the wrong shape. The lengths come as (batch,): does your mask "
            "broadcast against the scores (batch, queries, keys)?"
        ),
        N_(
            "Print the mask's shape for the failing case and compare it with the scores' shape, "
            "axis by axis."
        ),
    ],
    "raised": [
        N_(
            "Your function raised an error on this case. Which line raised it, and which shapes "
            "met there? The scores are (batch, queries, keys), the lengths (batch,)."
        ),
        N_(
            "Broadcasting lines shapes up from the right. Write the shape of every tensor your "
            "mask is built from under (batch, queries, keys): does each axis land where you meant "
            "it to?"
        ),
    ],
}


def check_my_left_padded_softmax(student: Callable) -> None:
    """Check ``student(X, valid_lens)``: X (batch, queries, keys), valid_lens (batch,), the
    real keys of sequence b being its last valid_lens[b] keys.

    Compares with the reference on several inputs (float16 ones to a few float16 steps)
    and on the gradient a backward pass sends to ``X``, checks that ``X`` is left unchanged
    and that the weights have X's dtype, and names the property that fails. Prints a
    verdict.
    """
    results: list[CaseResult] | None = []
    for case in _left_padded_cases():  # one at a time: float16 gets its own tolerance
        X = case.args[0]
        outcome = evaluate(
            _with_gradient(student),
            _with_gradient(left_padded_softmax),
            [case],
            atol=1e-5 if X.dtype != torch.float16 else FLOAT16_ATOL,
            diagnose=_diagnose_left_padded,
        )
        if outcome is None:  # the stub is untouched
            results = None
            break
        results += [_name_fill_overflow(result, X) for result in outcome]
    report("my_left_padded_softmax", results, hints=LEFT_PADDED_HINTS)


def _name_fill_overflow(result: CaseResult, X: torch.Tensor) -> CaseResult:
    """A fill value that X's dtype cannot hold raises in masked_fill: say so."""
    if result.kind != "raised" or "without overflow" not in result.detail:
        return result
    limit = torch.finfo(X.dtype).min
    return CaseResult(
        result.description,
        False,
        _(
            "{detail}: a value written into the {dtype} scores lies outside "
            "{dtype}'s range (its most negative number is {limit:.0f})"
        ).format(detail=result.detail, dtype=str(X.dtype)[6:], limit=limit),
        "fill",
    )


# --- exercise 2: the causal mask of a step with a KV cache ---------------------------------


def cached_causal_mask(num_queries: int, num_keys: int) -> torch.Tensor:
    """Reference: the last num_queries rows of the causal mask of all num_keys positions."""
    return causal_mask(num_keys, num_keys)[num_keys - num_queries :]


def _cached_causal_cases() -> list[Case]:
    return [
        Case(_("4 queries, 4 keys (nothing cached yet)"), (4, 4)),
        Case(_("1 query, 5 keys (one new token after 4 cached)"), (1, 5)),
        Case(_("3 queries, 5 keys (3 new tokens after 2 cached)"), (3, 5)),
        Case(_("2 queries, 7 keys"), (2, 7)),
        Case(_("1 query, 1 key"), (1, 1)),
    ]


def _diagnose_cached_causal_mask(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if actual.dtype != torch.bool:
        return Failure(
            "dtype",
            _("returned dtype {dtype}; a mask is a bool tensor").format(dtype=actual.dtype),
        )
    if torch.equal(actual, expected):
        return None
    num_queries, num_keys = case.args
    cached = num_keys - num_queries  # query i is key position cached + i
    ones = torch.ones(num_queries, num_keys, dtype=torch.bool)
    if torch.equal(actual, ones.tril(cached - 1)):
        return Failure(
            "diagonal",
            _(
                "query 0 (key position {position}) does not see key {position}, its own position"
            ).format(position=cached),
        )
    if actual.all():  # every query sees every key: no causal mask at all
        future = list(range(cached + 1, num_keys))  # after query 0's own position
        return Failure(
            "not_causal",
            _(
                "every query sees all {num_keys} keys: query 0 (key position {position}) also "
                "sees {future}, after its own position"
            ).format(num_keys=num_keys, position=cached, future=_keys_named(future)),
        )
    if num_queries > 1:
        queries = _("the {count} queries are the last {count} of the {num_keys} positions")
    else:
        queries = _("the one query is the last of the {num_keys} positions")
    queries = queries.format(count=num_queries, num_keys=num_keys)
    for shift in range(-num_keys, num_keys + 1):
        if torch.equal(actual, ones.tril(shift)):
            if shift > 0:
                said = _(
                    "query 0 sees keys 0 to {last}, but it sits at key position {position}: "
                    "{queries}"
                )
            elif shift == 0:
                said = _(
                    "query 0 sees key 0 only, but it sits at key position {position}: {queries}"
                )
            else:
                said = _("query 0 sees no key, but it sits at key position {position}: {queries}")
            return Failure("alignment", said.format(last=shift, position=cached, queries=queries))
    for shift in range(-num_keys, num_keys + 1):
        if torch.equal(actual, ones.triu(shift)):
            return Failure("transposed", _upper_triangle_message(actual, expected, cached))
    wrong = actual != expected
    i, j = _first(wrong)
    return Failure(
        "values",
        _("entry [{row}, {column}] is {value}, expected {expected}").format(
            row=i, column=j, value=bool(actual[i, j]), expected=bool(expected[i, j])
        ),
    )


def _keys_named(keys: list[int]) -> str:
    """'key 3', 'keys 3 and 4', 'keys 0 to 4' or 'keys [0, 2]'."""
    if len(keys) == 1:
        return _("key {key}").format(key=keys[0])
    if len(keys) == 2:
        return _("keys {first} and {second}").format(first=keys[0], second=keys[1])
    if keys == list(range(keys[0], keys[-1] + 1)):
        return _("keys {first} to {last}").format(first=keys[0], last=keys[-1])
    return _("keys {keys}").format(keys=keys)


def _upper_triangle_message(actual: torch.Tensor, expected: torch.Tensor, cached: int) -> str:
    """What the first wrong row of an upper-triangular mask does: sees the future, or
    misses keys before its own position."""
    i = _first((actual != expected).any(-1, keepdim=True))[0]
    future = (actual[i] & ~expected[i]).nonzero().flatten().tolist()
    missed = (expected[i] & ~actual[i]).nonzero().flatten().tolist()
    if future and missed:
        said = _(
            "the upper triangle is True: query {query} (key position {position}) sees "
            "{future}, after its own position, and does not see {missed}, which come before it"
        )
    elif future:
        said = _(
            "the upper triangle is True: query {query} (key position {position}) sees "
            "{future}, after its own position"
        )
    else:
        said = _(
            "the upper triangle is True: query {query} (key position {position}) does not "
            "see {missed}, which come before it"
        )
    return said.format(
        query=i,
        position=cached + i,
        future=_keys_named(future) if future else "",
        missed=_keys_named(missed) if missed else "",
    )


CACHED_CAUSAL_HINTS = {
    "alignment": [
        N_(
            "Your mask lines the queries up with the wrong key positions. With 5 keys and 3 "
            "queries that are the last 3 of them, which key position is query 0, and which keys "
            "come before it?"
        ),
        N_(
            "Write the mask for 1 query and 5 keys by hand: the one query is the newest token, "
            "and every cached key came before it. Compare it with what your function returns."
        ),
    ],
    "not_causal": [
        N_(
            "Your mask lets every query see every key. The cached keys all came before the new "
            "tokens, but do the new tokens all come before one another?"
        ),
        N_(
            "Take 3 queries and 5 keys: query 0 is the token at key position 2. Which keys come "
            "after it, and may it look at them?"
        ),
    ],
    "transposed": [
        N_(
            "Your mask keeps the wrong triangle: a query sees keys after its own position, or "
            "misses keys before it. Which keys come before or at a query's own position?"
        ),
        N_(
            "Rows are queries and columns are keys: entry [i, j] says whether query i may look at "
            "key j. Which triangle of the matrix is that?"
        ),
    ],
    "diagonal": [
        N_("Your mask hides each query's own position. May the newest token look at itself?"),
        N_(
            "With its own key hidden, what would a query with nothing cached before it see at "
            "all, and what would its softmax row be?"
        ),
    ],
    "dtype": [
        N_(
            "The pattern may be right but a mask is a bool tensor. Which dtype does your "
            "construction produce?"
        ),
        N_("masked_fill and ~ expect booleans; a comparison of two tensors gives one directly."),
    ],
    "shape": [
        N_(
            "The shape is wrong. The mask has one row per query and one column per key; do your "
            "sizes follow both arguments, also when they differ?"
        ),
    ],
}


def check_my_cached_causal_mask(student: Callable) -> None:
    """Check ``student(num_queries, num_keys)`` -> bool (num_queries, num_keys): the causal
    mask of queries that are the last num_queries of num_keys positions.

    Prints a verdict; returns None.
    """
    run_check(
        "my_cached_causal_mask",
        student,
        cached_causal_mask,
        _cached_causal_cases(),
        hints=CACHED_CAUSAL_HINTS,
        diagnose=_diagnose_cached_causal_mask,
    )


# --- exercise 3: how much weight does padding take? ---------------------------------------

PAD_WEIGHT_CASES = [(3, 3), (2, 5), (6, 0), (2, 8), (0, 4)]  # (num_real, num_pad)
SIMULATED_ROWS = 20_000
PAD_WEIGHT_TOLERANCE = 1e-3  # three decimals


def _pad_weight_description(num_real: int, num_pad: int) -> str:
    """'3 real keys, 1 <pad> key' ..."""
    if num_real == 1:
        if num_pad == 1:
            said = _("{num_real} real key, {num_pad} <pad> key")
        else:
            said = _("{num_real} real key, {num_pad} <pad> keys")
    elif num_pad == 1:
        said = _("{num_real} real keys, {num_pad} <pad> key")
    else:
        said = _("{num_real} real keys, {num_pad} <pad> keys")
    return said.format(num_real=num_real, num_pad=num_pad)


def _pad_weight_cases() -> list[Case]:
    return [
        Case(
            _pad_weight_description(num_real, num_pad),
            (num_real, num_pad),
            expected=num_pad / (num_real + num_pad),
        )
        for num_real, num_pad in PAD_WEIGHT_CASES
    ]


def simulated_pad_weight(num_real: int, num_pad: int, rows: int = SIMULATED_ROWS) -> float:
    """The mean weight on the last num_pad keys of rows of standard normal scores, unmasked."""
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(rows, num_real + num_pad, generator=generator, dtype=torch.float64)
    weights = torch.softmax(scores, dim=-1)  # (rows, keys)
    return float(weights[:, num_real:].sum(-1).mean())


def _as_number(function: Callable) -> Callable:
    """A student's function whose one-element tensor answers count as numbers."""

    def run(*args: Any) -> Any:
        value = function(*args)
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value)
        return value

    return run


def _diagnose_pad_weight(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the mistake behind a wrong predicted padding weight, or None."""
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return None
    num_real, num_pad = case.args
    total = num_real + num_pad
    value = float(actual)
    if abs(value - expected) <= PAD_WEIGHT_TOLERANCE:
        return None

    def close(target: float) -> bool:
        return abs(value - target) <= PAD_WEIGHT_TOLERANCE

    if num_real == 0 and close(0.0):  # the real keys' share, or no weight: both are 0
        return Failure(
            "swapped",
            _(
                "returned 0, but with no real key all the weight is on the {num_pad} <pad> keys"
            ).format(num_pad=num_pad),
        )
    if num_pad > 0 and close(0.0):
        return Failure(
            "zero",
            _("returned 0 for {num_pad} <pad> keys, but nothing is masked").format(num_pad=num_pad),
        )
    if close(num_real / total):
        return Failure(
            "swapped",
            _(
                "returned {value:.3f}, the share of the {num_real} real keys, "
                "not of the {num_pad} <pad> keys"
            ).format(value=value, num_real=num_real, num_pad=num_pad),
        )
    if num_real > 0 and close(num_pad / num_real):
        return Failure(
            "ratio",
            _(
                "returned {value:.3f}, the number of pads per real key; a "
                "weight is a share of the whole row"
            ).format(value=value),
        )
    if num_pad > 1 and close(1 / total):
        return Failure(
            "one_pad",
            _(
                "returned {value:.3f}, the expected weight of one <pad> key; there are {num_pad}"
            ).format(value=value, num_pad=num_pad),
        )
    if not 0.0 <= value <= 1.0:
        return Failure(
            "range",
            _("returned {value:.4g}, but a total weight lies between 0 and 1").format(value=value),
        )
    return None


PAD_WEIGHT_HINTS = {
    "zero": [
        N_("Your function says the padding gets no weight. Is anything masked in this exercise?"),
        N_(
            "Without a mask, a <pad> key's score is an ordinary number, drawn like every other "
            "score. Can its weight be 0?"
        ),
    ],
    "swapped": [
        N_(
            "Your value is the real keys' share of the row. Which keys does the exercise ask about?"
        ),
        N_(
            "Try 1 real key and 5 pads: should most of the weight sit on the word or on the "
            "padding?"
        ),
    ],
    "ratio": [
        N_(
            "Your value compares the pads with the real keys. A weight is a share of the whole "
            "row: what is the whole?"
        ),
        N_(
            "With 3 real keys and 3 pads your value is 1: every bit of weight on the pads. Can "
            "that be the average when all six scores are drawn alike?"
        ),
    ],
    "one_pad": [
        N_(
            "Your value is right for a single <pad> key. The exercise asks for all the padding of "
            "the row together."
        ),
    ],
    "range": [
        N_("A weight lies between 0 and 1. Which step of your formula leaves that range?"),
    ],
    "values": [
        N_(
            "Every score is drawn from the same distribution. What does that say about the average "
            "weight of one key compared with another?"
        ),
        N_(
            "The average weights of the keys of a row are equal to one another. What do they add "
            "up to?"
        ),
    ],
    "raised": [
        N_("Your function raised an error. Does it handle a row that has no real key at all?"),
    ],
    "type": [
        N_("Return a number (a Python float), not a list or a string."),
    ],
}


def check_my_pad_weight(student: Callable) -> None:
    """Check ``student(num_real, num_pad)``: the expected total weight on the padding.

    Compares with the exact value to 3 decimals on several rows and names the mistake
    (the real keys' share, pads per real key, one pad's share, 0). Once every case
    passes, prints the prediction beside a simulation of random rows. Prints a verdict.
    """
    name = "my_pad_weight"
    results = evaluate(
        _as_number(student),
        None,
        _pad_weight_cases(),
        atol=PAD_WEIGHT_TOLERANCE,
        diagnose=_diagnose_pad_weight,
    )
    report(name, results, hints=PAD_WEIGHT_HINTS)
    if results is None or not all(result.passed for result in results):
        return
    line = _(
        "{num_real} real, {num_pad} <pad>: predicted {predicted:.3f}, simulated {simulated:.3f}"
    )
    lines = [
        "  "
        + line.format(
            num_real=num_real,
            num_pad=num_pad,
            predicted=float(_as_number(student)(num_real, num_pad)),
            simulated=simulated_pad_weight(num_real, num_pad),
        )
        for num_real, num_pad in PAD_WEIGHT_CASES
    ]
    print(
        _("Your prediction beside a simulation of {rows:,} rows of standard normal scores:").format(
            rows=SIMULATED_ROWS
        ),
        *lines,
        sep="\n",
    )
