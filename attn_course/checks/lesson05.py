"""Checks for the coding exercises of lesson 05 (Bahdanau attention)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, run_check
from attn_course.metrics import alignment_accuracy
from attn_course.training import masked_cross_entropy


def _as_tensor(student: Callable) -> Callable:
    """Accept a Python number as well as a 0-d tensor from the student."""

    def wrapped(*args, **kwargs):
        result = student(*args, **kwargs)
        return torch.as_tensor(result) if isinstance(result, (int, float)) else result

    return wrapped


def _as_float(student: Callable) -> Callable:
    """Accept a 0-d tensor as well as a float from the student."""

    def wrapped(*args, **kwargs):
        result = student(*args, **kwargs)
        return float(result) if isinstance(result, torch.Tensor) and result.numel() == 1 else result

    return wrapped


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
        Case("no padding", (logits, labels, torch.tensor([5, 5, 5]))),
        Case("padded targets (lengths 5, 2, 3)", (logits, padded_labels, torch.tensor([5, 2, 3]))),
        Case(
            "padding holds large scores", (loud_padding, padded_labels, torch.tensor([5, 2, 3]))
        ),
        Case("one token in one sentence", (logits[:1], labels[:1], torch.tensor([1]))),
    ]


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
        hint=(
            "compute the cross-entropy of every token with reduction='none', multiply by a "
            "0/1 mask built from valid_lens, and divide by the number of real tokens "
            "(not by batch * steps)."
        ),
    )


def _alignment_cases() -> list[Case]:
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
        Case("every token aligned correctly", (weights, all_right)),
        Case("-1 entries are not counted", (weights, some_unaligned)),
        Case("random weights, batch of 4", (random_weights, random_gold)),
    ]


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
        hint=(
            "take the argmax over the last axis, compare it with the gold positions, and "
            "average only over the entries whose gold position is not -1."
        ),
    )
