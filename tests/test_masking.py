"""masking: length_mask, sequence_mask, causal_mask, masked_softmax."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from d2l_reference import load_d2l
from torch.nn import functional as F

from attn_course import causal_mask, length_mask, masked_softmax, sequence_mask


@pytest.fixture(scope="module")
def d2l():
    return load_d2l("masked_softmax", "sequence_mask")


def softmax_over_prefix(scores: torch.Tensor, valid_lens_2d: torch.Tensor) -> torch.Tensor:
    """Closed form: softmax over the first valid_len keys of each row, zeros after."""
    expected = torch.zeros_like(scores)
    for b in range(scores.shape[0]):
        for q in range(scores.shape[1]):
            n = int(valid_lens_2d[b, q])
            if n:
                expected[b, q, :n] = torch.softmax(scores[b, q, :n], dim=-1)
    return expected


def test_length_mask_closed_form():
    mask = length_mask(torch.tensor([0, 2, 4]), 4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [
        [False, False, False, False],
        [True, True, False, False],
        [True, True, True, True],
    ]


def test_sequence_mask_matches_d2l_and_leaves_input_alone(d2l):
    X = torch.arange(1.0, 13.0).reshape(3, 4)
    before = X.clone()
    valid_len = torch.tensor([1, 2, 4])
    ours = sequence_mask(X, valid_len, value=-1.0)
    assert torch.equal(X, before), "sequence_mask changed its input"
    assert torch.equal(ours, d2l.sequence_mask(X.clone(), valid_len, value=-1.0))


def test_sequence_mask_on_3d_input_masks_whole_steps():
    X = torch.ones(2, 3, 4)
    out = sequence_mask(X, torch.tensor([1, 3]))
    assert out.shape == (2, 3, 4)
    assert out[0, 1:].abs().sum() == 0 and out[0, 0].sum() == 4
    assert out[1].sum() == 12


def test_sequence_mask_rejects_bad_input():
    with pytest.raises(ValueError, match=r"shape \(2,\), got \(3,\)"):
        sequence_mask(torch.ones(2, 4), torch.tensor([1, 2, 3]))  # only (batch,) lengths
    with pytest.raises(ValueError, match=r"\(batch, steps"):
        sequence_mask(torch.ones(4), torch.tensor([1]))
    with pytest.raises(TypeError, match="X must be a torch.Tensor"):
        sequence_mask([[1.0, 2.0]], torch.tensor([1]))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: length_mask(torch.tensor([1.0]), 3), TypeError, "integer tensor"),
        (lambda: length_mask(torch.tensor([1]), 2.5), TypeError, "max_len must be an int"),
        (lambda: length_mask(torch.tensor([1]), -1), ValueError, "max_len must not be negative"),
        (lambda: causal_mask(3.0, 3), TypeError, "num_queries must be an int"),
        (lambda: causal_mask(3, -2), ValueError, "num_keys must not be negative"),
    ],
)
def test_mask_builders_reject_bad_sizes(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nothing_masked_is_one_softmax_and_no_mask():
    X = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    for dtype in (torch.float32, torch.float16):  # float16: in float32, cast back
        with torch.profiler.profile() as profile:
            weights = masked_softmax(X.to(dtype))
        calls = Counter(event.name for event in profile.events())
        expected = torch.softmax(X.to(dtype), dim=-1, dtype=torch.float32).to(dtype)
        assert torch.equal(weights, expected)
        assert calls["aten::softmax"] == 1 and calls["aten::masked_fill"] == 0, calls


@pytest.mark.parametrize(
    "valid_lens", [torch.tensor([2, 3]), torch.tensor([[1, 3], [2, 4]])], ids=["1-D", "2-D"]
)
def test_masked_softmax_matches_closed_form_and_d2l(d2l, valid_lens):
    X = torch.rand(2, 2, 4, generator=torch.Generator().manual_seed(0))
    lens_2d = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(2, 2)
    ours = masked_softmax(X, valid_lens)
    assert torch.allclose(ours, softmax_over_prefix(X, lens_2d), atol=1e-7)
    assert torch.allclose(ours, d2l.masked_softmax(X.clone(), valid_lens), atol=1e-6)
    # masked positions get exactly zero, not merely a small number
    assert torch.all(ours[~length_mask(lens_2d, 4)] == 0)


def test_masked_softmax_matches_scaled_dot_product_attention():
    """F.scaled_dot_product_attention with values = identity returns its weights."""
    g = torch.Generator().manual_seed(1)
    queries, keys = torch.randn(3, 5, 8, generator=g), torch.randn(3, 6, 8, generator=g)
    valid_lens = torch.tensor([[1, 2, 3, 4, 6], [6, 6, 6, 6, 6], [2, 2, 5, 5, 1]])
    scores = queries @ keys.transpose(1, 2) / 8**0.5
    identity = torch.eye(6).expand(3, 6, 6)
    keep = length_mask(valid_lens, 6)
    expected = F.scaled_dot_product_attention(queries, keys, identity, attn_mask=keep)
    assert torch.allclose(masked_softmax(scores, valid_lens), expected, atol=1e-6)


def test_fully_masked_row_is_zero_with_finite_gradient(d2l):
    X = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(2), requires_grad=True)
    weights = masked_softmax(X, torch.tensor([0, 2]))
    assert torch.all(weights[0] == 0), "no valid key: all weights must be zero"
    assert torch.allclose(weights[1].sum(-1), torch.ones(3))
    (weights * torch.arange(4.0)).sum().backward()
    assert torch.isfinite(X.grad).all()
    assert torch.all(X.grad[0] == 0)
    # d2l's -1e6 trick spreads a fully masked row uniformly over the padding
    d2l_weights = d2l.masked_softmax(X.detach().clone(), torch.tensor([0, 2]))
    assert torch.allclose(d2l_weights[0], 0.25 * torch.ones(3, 4))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_does_not_overflow(dtype):
    X = (torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(3)) * 1000).to(dtype)
    valid_lens = torch.tensor([0, 3])
    weights = masked_softmax(X, valid_lens)
    assert weights.dtype == dtype
    assert torch.isfinite(weights).all()
    reference = masked_softmax(X.float(), valid_lens)
    assert torch.allclose(weights.float(), reference, atol=1e-2)
    assert torch.all(weights[0] == 0)


def test_causal_mask_and_causal_softmax():
    assert causal_mask(3, 3).tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, True],
    ]
    X = torch.randn(2, 4, 4, generator=torch.Generator().manual_seed(4))
    weights = masked_softmax(X, causal=True)
    assert torch.all(weights.triu(diagonal=1) == 0)
    expected = F.scaled_dot_product_attention(
        torch.zeros(2, 4, 1),
        torch.zeros(2, 4, 1),
        torch.eye(4).expand(2, 4, 4),
        attn_mask=X + torch.zeros(4, 4).masked_fill(~causal_mask(4, 4), float("-inf")),
    )
    assert torch.allclose(weights, expected, atol=1e-6)


def test_causal_and_valid_lens_combine():
    X = torch.zeros(1, 4, 4)
    weights = masked_softmax(X, torch.tensor([2]), causal=True)
    assert torch.allclose(weights[0, 0], torch.tensor([1.0, 0, 0, 0]))
    assert torch.allclose(weights[0, 3], torch.tensor([0.5, 0.5, 0, 0]))


def test_masked_softmax_does_not_change_its_input():
    X = torch.rand(2, 2, 4)
    before = X.clone()
    masked_softmax(X, torch.tensor([1, 2]))
    assert torch.equal(X, before)


@pytest.mark.parametrize(
    "X, valid_lens, error, match",
    [
        (torch.rand(2, 4), None, ValueError, "3 dimensions"),
        (torch.ones(2, 2, 4, dtype=torch.long), None, TypeError, "floating-point"),
        (torch.rand(2, 2, 4), torch.tensor([1.5, 2.0]), TypeError, "integer"),
        (torch.rand(2, 2, 4), torch.tensor([-1, 2]), ValueError, "negative"),
        (torch.rand(2, 2, 4), torch.tensor([1, 5]), ValueError, "at most 4"),
        (torch.rand(2, 2, 4), torch.tensor([1, 2, 3]), ValueError, r"\(2,\) or \(2, 2\)"),
        (torch.rand(2, 2, 4), torch.tensor([[1, 2, 3]]), ValueError, "shape"),
        (torch.rand(2, 2, 4), torch.tensor([True, False]), TypeError, "integer"),
    ],
)
def test_masked_softmax_rejects_bad_input(X, valid_lens, error, match):
    with pytest.raises(error, match=match):
        masked_softmax(X, valid_lens)
