"""Checks for the coding exercises of lesson 05 (Bahdanau attention).

Each check diagnoses the kind of a failure (padding counted, a mask off by one, a wrong
denominator, a mean of per-sentence means, integer division, a wrong axis, ...) by
comparing the student's result with the results of common mistakes, and gives hints in
stages that name a property to check, never the recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _
from attn_course.support.metrics import alignment_accuracy
from attn_course.support.training import masked_cross_entropy


def _as_tensor(student: Callable) -> Callable:
    """Accept a Python number as well as a 0-d tensor from the student."""

    def wrapped(*args, **kwargs):
        result = student(*args, **kwargs)
        return torch.as_tensor(result) if isinstance(result, (int, float)) else result

    return wrapped


def _as_float(student: Callable) -> Callable:
    """Accept a 0-d tensor as well as a number from the student (an integer stays one)."""

    def wrapped(*args, **kwargs):
        result = student(*args, **kwargs)
        if isinstance(result, torch.Tensor) and result.numel() == 1:
            return result.item()  # an int for an integer tensor, else a float
        return result

    return wrapped


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-4 * max(1.0, abs(b))


# --- exercise 3: the masked loss -----------------------------------------------------


def _loss_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)
    logits = torch.randn(3, 5, 7, generator=generator)  # (batch, steps, vocab)
    labels = torch.randint(1, 7, (3, 5), generator=generator)  # (batch, steps)
    padded_labels = labels.clone()
    padded_labels[1, 2:] = 0  # <pad> is index 0
    padded_labels[2, 3:] = 0
    loud_padding = logits.clone()
    loud_padding[1, 2:] = 50.0  # huge scores where nothing should count
    return [
        Case(_("no padding"), (logits, labels, torch.tensor([5, 5, 5]))),
        Case(
            _("padded targets (lengths 5, 2, 3)"), (logits, padded_labels, torch.tensor([5, 2, 3]))
        ),
        Case(
            _("padding holds large scores"), (loud_padding, padded_labels, torch.tensor([5, 2, 3]))
        ),
        Case(_("one token in one sentence"), (logits[:1], labels[:1], torch.tensor([1]))),
    ]


def _loss_mistakes(logits, labels, valid_lens) -> dict[str, tuple[str, float]]:
    """What common mistakes return on one case: kind -> (what it is, value)."""
    batch, steps = labels.shape
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (b, s)
    mask = torch.arange(steps) < valid_lens[:, None]  # (batch, steps)
    real_sum = float((per_token * mask).sum())
    per_sentence = (per_token * mask).sum(1) / valid_lens.clamp(min=1)  # (batch,)
    mistakes = {}
    if bool((labels[~mask] != 0).any()):  # some label past a valid length is not <pad>
        # ignore_index=0 drops the <pad> labels, not the positions past the valid lengths.
        dropping_pad = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=0)
        if bool((labels != 0).all()):
            what = _(
                "the mean over the positions whose label is not <pad>, here every position: "
                "labels past a valid length need not be <pad>"
            )
        else:
            what = _(
                "the mean over the positions whose label is not <pad>, here more than the real "
                "tokens: labels past a valid length need not be <pad>"
            )
        mistakes["labels"] = (what, float(dropping_pad))
    mistakes |= {
        "padding": (
            _("the mean over every position, padding included"),
            float(per_token.mean()),
        ),
        "denominator": (
            _("the right sum divided by batch * steps = {count}").format(count=batch * steps),
            real_sum / (batch * steps),
        ),
        "denominator-batch": (
            _("the right sum divided by the batch size {batch}").format(batch=batch),
            real_sum / batch,
        ),
        "denominator-none": (_("the right sum, not divided at all"), real_sum),
        "denominator-mean": (
            _("the right sum divided by the mean length, not the number of tokens"),
            real_sum / float(valid_lens.float().mean()),
        ),
        "per_sentence": (_("the mean of the per-sentence means"), float(per_sentence.mean())),
    }
    positions = torch.arange(steps)[None, :]  # (1, steps)
    lens = valid_lens[:, None]  # (batch, 1)
    off_by_one = {
        "mask": (
            _("the loss over a mask that keeps the first padded position too"),
            positions <= lens,
        ),
        "mask-short": (
            _("the loss over a mask that drops each sentence's last token"),
            positions < lens - 1,
        ),
    }
    for kind, (what, wrong) in off_by_one.items():
        wrong_sum = float((per_token * wrong).sum())
        if not torch.equal(wrong, mask):  # else the mistake changes nothing here
            for count in {int(wrong.sum()), int(valid_lens.sum())}:
                if count > 0:
                    mistakes[f"{kind}-{count}"] = (what, wrong_sum / count)
    return mistakes


def _diagnose_loss(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or actual.numel() != 1:
        return None  # the generic comparison names the type or shape
    value, right = float(actual), float(expected)
    if _close(value, right):
        return None
    for kind, (what, mistake) in _loss_mistakes(*case.args).items():
        if _close(value, mistake):
            return Failure(
                kind.split("-")[0],
                _("returned {value:.4f}, which is {mistake}").format(value=value, mistake=what),
            )
    if math.isfinite(value) and actual.shape == expected.shape and actual.dtype == expected.dtype:
        off = abs(value - right)  # one number: no index to name
        return Failure(
            "values",
            _("returned {value:.4f}, which is off by {off:.3g}").format(value=value, off=off),
        )
    return None


LOSS_HINTS = {
    "padding": [
        N_(
            "Your loss changes when only the padded positions change. Which positions of "
            "labels should count in the average, and which should not?"
        ),
        N_(
            "On the case with lengths (5, 2, 3), how many of the 15 positions are real tokens? "
            "Check that only those contribute to your sum."
        ),
    ],
    "labels": [
        N_(
            "Your loss skips the labels that are <pad>, which is right only where the padding "
            "is <pad>. Which argument, rather than the labels, says where each sentence ends?"
        ),
        N_(
            'On the case "one token in one sentence", the labels past the valid length are '
            "ordinary tokens: how many of its 5 positions should count, and how many does "
            "your sum count?"
        ),
    ],
    "denominator": [
        N_(
            "The positions you add up look right, but the average is off by a constant factor. "
            "Over how many tokens should the average run?"
        ),
        N_(
            "Print your denominator on the case with lengths (5, 2, 3) and compare it with the "
            "number of real tokens in that batch."
        ),
    ],
    "per_sentence": [
        N_(
            "Your loss weighs every sentence equally, so a token of a short sentence counts more "
            "than a token of a long one. Does the lesson's formula weigh sentences or tokens "
            "equally?"
        ),
        N_(
            "Look at the denominator of the formula: is it one count per sentence, or one count "
            "for the whole batch?"
        ),
    ],
    "mask": [
        N_(
            "Only the positions inside the valid lengths should count, and your sum keeps one "
            "position too many or one too few per sentence. Which positions does your mask keep "
            "for a sentence of length 2?"
        ),
        N_(
            "Print your mask on the case with lengths (5, 2, 3) and count its True entries row by "
            "row: do they equal the lengths?"
        ),
    ],
    "shape": [
        N_("The loss is one number, a 0-d tensor. What shape does yours have?"),
        N_(
            "Follow the shapes: per-token losses are (batch, steps); which step turns them into "
            "one number, and over which positions?"
        ),
    ],
}


def check_masked_ce_loss(student: Callable) -> None:
    """Check ``my_masked_ce_loss(logits, labels, valid_lens)`` against the reference.

    logits (batch, steps, vocab), labels (batch, steps), valid_lens (batch,)
    -> the mean cross-entropy over the tokens inside the valid lengths.
    """
    run_check(
        "my_masked_ce_loss",
        _as_tensor(student),
        masked_cross_entropy,
        _loss_cases(),
        atol=1e-4,
        hints=LOSS_HINTS,
        diagnose=_diagnose_loss,
    )


# --- exercise 4: gold-alignment accuracy ---------------------------------------------


def _alignment_cases() -> list[Case]:
    square = torch.tensor(
        [[[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2]],
         [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]]]
    )  # (batch 2, target steps 3, source steps 3)  # fmt: skip
    weights = torch.tensor(
        [
            [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.0, 0.0, 1.0]],
            [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.6, 0.4, 0.0]],
        ]
    )  # (batch 2, target steps 4, source steps 3)
    generator = torch.Generator().manual_seed(6)
    random_weights = torch.softmax(torch.randn(4, 6, 5, generator=generator), dim=-1)
    random_gold = torch.randint(-1, 5, (4, 6), generator=generator)
    random_gold[0, 0] = 2  # at least one counted token
    all_right = torch.tensor([[0, 2, 1, 2], [1, 0, 2, 0]])  # (batch, target steps)
    some_unaligned = torch.tensor([[0, 2, -1, 1], [1, 1, -1, -1]])
    return [
        Case(
            _("square weights (3 target and 3 source steps)"),
            (square, torch.tensor([[1, 1, 0], [0, 2, 0]])),
        ),  # fmt: skip
        Case(_("every token aligned correctly"), (weights, all_right)),
        Case(_("-1 entries are not counted"), (weights, some_unaligned)),
        Case(_("random weights, batch of 4"), (random_weights, random_gold)),
    ]


def _diagnose_alignment(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, (int, float)) or isinstance(actual, bool) or _close(actual, expected):
        return None
    weights, gold = case.args
    counted = gold >= 0
    hits = (weights.argmax(dim=-1) == gold) & counted
    if actual > 1:
        return Failure(
            "count",
            _("returned {value:.4g}, more than 1: a count, not a share").format(value=actual),
        )
    if _close(actual, float(hits.sum()) / gold.numel()):
        return Failure(
            "unaligned",
            _("returned {value:.4f}: the -1 entries were counted too").format(value=actual),
        )
    if isinstance(actual, int) and actual == 0 and hits.any():
        return Failure(
            "integer",
            _(
                "returned the integer 0, though {hits} of {counted} peaks hit their gold word"
            ).format(hits=int(hits.sum()), counted=int(counted.sum())),
        )
    shares = [
        float(h.sum()) / float(c.sum()) for h, c in zip(hits, counted, strict=True) if c.any()
    ]
    if len(shares) > 1 and _close(actual, sum(shares) / len(shares)):
        return Failure(
            "per_sentence",
            _(
                "returned {value:.4f}, the mean of the sentences' shares: a short sentence "
                "counts as much as a long one"
            ).format(value=actual),
        )
    if weights.shape[1] == weights.shape[2]:
        wrong_axis = (weights.argmax(dim=1) == gold) & counted
        if _close(actual, float(wrong_axis.sum()) / float(counted.sum())):
            return Failure(
                "axis",
                _("returned {value:.4f}: the peak was taken over target steps").format(
                    value=actual
                ),
            )
    return None


ALIGNMENT_HINTS = {
    "unaligned": [
        N_(
            "Your share counts target tokens whose gold position is -1. Which tokens does the "
            "formula count, above and below the fraction bar?"
        ),
        N_(
            "On the case '-1 entries are not counted', how many entries have a gold position? "
            "Only those may count in the denominator."
        ),
    ],
    "axis": [
        N_(
            "On square weights your result is off, though the shapes raised no error. Over which "
            "axis do you look for the most-attended position?"
        ),
        N_(
            "Row t of attention_weights holds the weights of target token t over the source "
            "positions. Which dimension indexes the source positions?"
        ),
    ],
    "integer": [
        N_(
            "Your result is 0, though some peaks do land on their gold word. What can make a "
            "division of two counts come out as 0?"
        ),
        N_("Print the type and dtype of the two numbers you divide, and of the result."),
    ],
    "per_sentence": [
        N_(
            "Your share weighs every sentence equally, so a token of a short sentence counts more "
            "than a token of a long one. Does the formula average over sentences or over tokens?"
        ),
        N_(
            "Look at the formula's denominator: one count per sentence, or one count for the "
            "whole batch?"
        ),
    ],
    "count": [
        N_(
            "Your result is larger than 1, so it is not a share. What should the number of hits "
            "be compared with?"
        ),
        N_("A share is hits divided by a count: which tokens belong in that count?"),
    ],
}


def check_alignment_accuracy(student: Callable) -> None:
    """Check ``my_alignment_accuracy(attention_weights, gold_alignments)``.

    attention_weights (batch, target_steps, source_steps), gold_alignments
    (batch, target_steps) with -1 where there is no gold -> a float.
    """
    run_check(
        "my_alignment_accuracy",
        _as_float(student),
        alignment_accuracy,
        _alignment_cases(),
        hints=ALIGNMENT_HINTS,
        diagnose=_diagnose_alignment,
    )
