"""metrics: BLEU (against nltk and d2l 1.0.3) and gold-alignment accuracy."""

from __future__ import annotations

import math
import random
import warnings

import pytest
import torch
from d2l_reference import load_d2l
from nltk.translate.bleu_score import sentence_bleu

from attn_course.support.metrics import alignment_accuracy, bleu

CASES = [
    ("a b c d e", "a b c d e"),
    ("a b c d x", "a b c d e"),
    ("a b a b a b", "a b a b"),  # repeated n-grams are clipped
    ("x a b c d", "a b c d e f g"),  # too short: brevity penalty
    ("a b", "a b c"),  # shorter than k: n runs to 2 only
    ("go .", "va !"),
    ("a b c d", "a b d c"),  # no 3-gram matches: 0
    ("the cat sat on the mat", "the cat is on the mat"),
]


def nltk_bleu(prediction: str, label: str, k: int) -> float:
    """nltk's sentence BLEU with the d2l weights 1/2, 1/4, ... up to min(k, len)."""
    pred_tokens = prediction.split()
    weights = tuple(0.5**n for n in range(1, min(k, len(pred_tokens)) + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns when some p_n is 0
        return sentence_bleu([label.split()], pred_tokens, weights=weights)


@pytest.fixture(scope="module")
def d2l():
    return load_d2l("bleu")


@pytest.mark.parametrize("prediction, label", CASES)
@pytest.mark.parametrize("k", [2, 4])
def test_bleu_matches_nltk_and_d2l(prediction, label, k, d2l):
    ours = bleu(prediction, label, k=k)
    assert ours == pytest.approx(nltk_bleu(prediction, label, k), abs=1e-12)
    assert ours == pytest.approx(d2l.bleu(prediction, label, k), abs=1e-12)
    assert bleu(prediction.split(), label.split(), k=k) == ours  # token lists work too


def test_bleu_on_random_sentences(d2l):
    rng = random.Random(0)
    words = ["a", "b", "c", "d"]
    for _ in range(200):
        prediction = " ".join(rng.choices(words, k=rng.randint(1, 9)))
        label = " ".join(rng.choices(words, k=rng.randint(1, 9)))
        ours = bleu(prediction, label)
        assert ours == pytest.approx(nltk_bleu(prediction, label, 4), abs=1e-12)
        assert ours == pytest.approx(d2l.bleu(prediction, label, 4), abs=1e-12)


def test_bleu_closed_form():
    # One wrong token of five: p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, no penalty.
    expected = (4 / 5) ** 0.5 * (3 / 4) ** 0.25 * (2 / 3) ** 0.125 * (1 / 2) ** 0.0625
    assert bleu("a b c d x", "a b c d e") == pytest.approx(expected)
    # A correct prefix of 2 of 3 label tokens: p1 = p2 = 1, penalty exp(1 - 3/2).
    assert bleu("a b", "a b c") == pytest.approx(math.exp(-0.5))


def test_bleu_edge_cases():
    assert bleu([], ["a"]) == 0.0
    with pytest.raises(ValueError, match="at least one token"):
        bleu("a", "")
    with pytest.raises(ValueError, match="k must be"):
        bleu("a", "a", k=0)
    with pytest.raises(TypeError, match="string tokens"):
        bleu([1, 2], ["a"])


def test_alignment_accuracy_closed_form():
    weights = torch.tensor(
        [
            [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.0, 0.0, 1.0]],
            [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.5, 0.0]],
        ]
    )  # (batch 2, target steps 4, source steps 3)
    gold = torch.tensor([[0, 2, -1, 1], [1, 1, -1, -1]])
    # counted: (0,0) hit, (0,1) hit, (0,3) miss, (1,0) hit, (1,1) miss -> 3 of 5
    assert alignment_accuracy(weights, gold) == pytest.approx(0.6)
    first_only = torch.tensor([[0, -1, -1, -1], [0, -1, -1, -1]])  # hit, miss
    assert alignment_accuracy(weights, first_only) == 0.5


def test_alignment_accuracy_rejects_bad_input():
    weights = torch.rand(2, 4, 3)
    with pytest.raises(ValueError, match="no target token has a gold alignment"):
        alignment_accuracy(weights, torch.full((2, 4), -1))
    with pytest.raises(ValueError, match=r"shape \(batch, target_steps\)"):
        alignment_accuracy(weights, torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="below source_steps = 3"):
        alignment_accuracy(weights, torch.full((2, 4), 3))
    with pytest.raises(TypeError, match="integer tensor"):
        alignment_accuracy(weights, torch.zeros(2, 4))
    with pytest.raises(TypeError, match="floating-point"):
        alignment_accuracy(weights.long(), torch.zeros(2, 4, dtype=torch.long))
