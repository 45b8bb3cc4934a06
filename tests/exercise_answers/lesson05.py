"""Right and wrong answers to lesson 05's coding exercises (the masked loss, alignment accuracy)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from attn_course.checks.lesson05 import check_alignment_accuracy, check_masked_ce_loss
from exercise_answers import Answer


def real_tokens(labels, valid_lens):
    return torch.arange(labels.shape[1])[None, :] < valid_lens[:, None]  # (batch, steps)


def loss_right(logits, labels, valid_lens):
    mask = real_tokens(labels, valid_lens)
    safe_labels = labels.masked_fill(~mask, 0)
    per_token = F.cross_entropy(logits.transpose(1, 2), safe_labels, reduction="none")
    return (per_token * mask).sum() / mask.sum()


def loss_counts_padding(logits, labels, valid_lens):
    return F.cross_entropy(logits.transpose(1, 2), labels)


def loss_ignores_pad_labels(logits, labels, valid_lens):
    return F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=0)


def loss_divides_by_all_positions(logits, labels, valid_lens):
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return (per_token * real_tokens(labels, valid_lens)).sum() / labels.numel()


def loss_averages_sentences(logits, labels, valid_lens):
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return ((per_token * real_tokens(labels, valid_lens)).sum(1) / valid_lens).mean()


def loss_mask_keeps_one_pad(logits, labels, valid_lens):
    mask = torch.arange(labels.shape[1])[None, :] <= valid_lens[:, None]  # one too many
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return (per_token * mask).sum() / mask.sum()


def loss_mask_drops_last(logits, labels, valid_lens):
    mask = torch.arange(labels.shape[1])[None, :] < valid_lens[:, None] - 1  # one too few
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return (per_token * mask).sum() / valid_lens.sum()


def loss_divides_by_mean_length(logits, labels, valid_lens):
    mask = real_tokens(labels, valid_lens)
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return (per_token * mask).sum() / valid_lens.float().mean()


def loss_smoothed(logits, labels, valid_lens):
    mask = real_tokens(labels, valid_lens)
    per_token = F.cross_entropy(
        logits.transpose(1, 2), labels, reduction="none", label_smoothing=0.1
    )
    return (per_token * mask).sum() / mask.sum()


def loss_per_token(logits, labels, valid_lens):
    per_token = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
    return per_token * real_tokens(labels, valid_lens)


def loss_writes_into_logits(logits, labels, valid_lens):
    mask = real_tokens(labels, valid_lens)
    logits.masked_fill_(~mask[..., None], 0.0)  # changes the caller's tensor
    return loss_right(logits, labels, valid_lens)


def accuracy_right(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmax(dim=-1) == gold_alignments) & counted
    return hits.sum().item() / counted.sum().item()


def accuracy_counts_unaligned(attention_weights, gold_alignments):
    hits = attention_weights.argmax(dim=-1) == gold_alignments
    return hits.float().mean().item()


def accuracy_wrong_axis(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmax(dim=1) == gold_alignments) & counted
    return hits.sum().item() / counted.sum().item()


def accuracy_counts_hits(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    return ((attention_weights.argmax(dim=-1) == gold_alignments) & counted).sum().item()


def accuracy_integer_division(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmax(dim=-1) == gold_alignments) & counted
    return hits.sum() // counted.sum()  # a 0-d integer tensor


def accuracy_integer_division_python(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmax(dim=-1) == gold_alignments) & counted
    return hits.sum().item() // counted.sum().item()


def accuracy_mean_of_sentences(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmax(dim=-1) == gold_alignments) & counted
    return (hits.sum(1) / counted.sum(1)).mean().item()


def accuracy_least_attended(attention_weights, gold_alignments):
    counted = gold_alignments >= 0
    hits = (attention_weights.argmin(dim=-1) == gold_alignments) & counted
    return hits.sum().item() / counted.sum().item()


ANSWERS = [
    Answer(check_masked_ce_loss, loss_right, "pass"),
    Answer(check_masked_ce_loss, loss_counts_padding, "padding", "averages over padding too"),
    Answer(check_masked_ce_loss, loss_ignores_pad_labels, "labels", "ignore_index=0"),
    Answer(check_masked_ce_loss, loss_divides_by_all_positions, "denominator", "batch * steps"),
    Answer(check_masked_ce_loss, loss_averages_sentences, "per_sentence", "mean of means"),
    Answer(check_masked_ce_loss, loss_mask_keeps_one_pad, "mask", "arange <= valid_lens"),
    Answer(check_masked_ce_loss, loss_mask_drops_last, "mask", "arange < valid_lens - 1"),
    Answer(check_masked_ce_loss, loss_divides_by_mean_length, "denominator", "mean length"),
    Answer(check_masked_ce_loss, loss_smoothed, "values", "label smoothing"),
    Answer(check_masked_ce_loss, loss_per_token, "shape", "no reduction"),
    Answer(check_masked_ce_loss, loss_writes_into_logits, "mutated", "masked_fill_ on logits"),
    Answer(check_alignment_accuracy, accuracy_right, "pass"),
    Answer(check_alignment_accuracy, accuracy_counts_unaligned, "unaligned", "-1 counted"),
    Answer(check_alignment_accuracy, accuracy_wrong_axis, "axis", "argmax over target steps"),
    Answer(check_alignment_accuracy, accuracy_counts_hits, "count", "a count, not a share"),
    Answer(check_alignment_accuracy, accuracy_integer_division, "integer", "tensor //"),
    Answer(check_alignment_accuracy, accuracy_integer_division_python, "integer", "int //"),
    Answer(check_alignment_accuracy, accuracy_mean_of_sentences, "per_sentence", "mean of means"),
    Answer(check_alignment_accuracy, accuracy_least_attended, "values", "argmin"),
]
