"""How good is a translation (lesson 05): BLEU as in the d2l book, and how
often attention looks at the right source word."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import torch

from attn_course.support.validation import check_alignment_accuracy


def _tokens(name: str, sentence: str | Sequence[str]) -> list[str]:
    if isinstance(sentence, str):
        return sentence.split()
    if not all(isinstance(token, str) for token in sentence):
        raise TypeError(f"{name} must be a string or a sequence of string tokens")
    return list(sentence)


def bleu(prediction: str | Sequence[str], label: str | Sequence[str], k: int = 4) -> float:
    """BLEU of one predicted sentence against one label, as in the d2l book.

        BLEU = exp(min(0, 1 - len_label / len_pred)) * prod_{n=1..k} p_n ** (1 / 2**n)

    where ``p_n`` is the share of the prediction's n-grams that also occur
    in the label (each label n-gram matched at most as often as it occurs).
    As in the book, n only runs up to the prediction's length.

    Args:
        prediction, label: token lists, or strings split on whitespace.
        k: the longest n-gram.

    Returns:
        A float in [0, 1]; 1 for a perfect match, 0 for an empty prediction.

    Raises:
        TypeError: a sentence is not a string or a list of strings.
        ValueError: the label is empty, or ``k`` < 1.
    """
    pred_tokens, label_tokens = _tokens("prediction", prediction), _tokens("label", label)
    if not label_tokens:
        raise ValueError("the label must have at least one token")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred == 0:
        return 0.0
    score = math.exp(min(0.0, 1 - len_label / len_pred))  # brevity penalty
    for n in range(1, min(k, len_pred) + 1):
        label_ngrams = Counter(tuple(label_tokens[i : i + n]) for i in range(len_label - n + 1))
        num_matches = 0
        for i in range(len_pred - n + 1):
            ngram = tuple(pred_tokens[i : i + n])
            if label_ngrams[ngram] > 0:
                num_matches += 1
                label_ngrams[ngram] -= 1
        score *= (num_matches / (len_pred - n + 1)) ** (0.5**n)
    return score


def alignment_accuracy(attention_weights: torch.Tensor, gold_alignments: torch.Tensor) -> float:
    """Share of target tokens whose most-attended source token is the gold one.

    attention_weights (batch, target_steps, source_steps); gold_alignments
    (batch, target_steps), -1 where a token has no gold word (not counted).
    """
    check_alignment_accuracy(attention_weights, gold_alignments)
    counted = gold_alignments >= 0  # (batch, target_steps)
    most_attended = attention_weights.argmax(dim=-1)  # (batch, target_steps)
    hits = (most_attended == gold_alignments) & counted
    return hits.sum().item() / counted.sum().item()
