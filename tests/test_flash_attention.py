"""Tests of lesson 10's code (FlashAttention) against PyTorch's own computation.

- tiled_attention: F.scaled_dot_product_attention (plain, causal, boolean masks from
  valid lengths), masked_softmax for queries that see no key; never a full score matrix.
- flash_attention: its output as tiled_attention's; dQ, dK, dV against autograd through the
  naive computation and through F.scaled_dot_product_attention, in float64 (within 1e-10) and
  float32 (within 1e-5), block sizes that do and do not divide the length, causal masks, valid
  lengths and queries that see no key (zero output, zero gradients); torch.autograd.gradcheck.
- Memory: the forward pass saves the inputs, the output and one log-sum-exp per query; forward
  and backward never make a (queries, keys) tensor; the peak bytes of a training step double
  with the length (PeakMemory), where the naive computation's grow four times.
- The same code with inputs on the meta device: no tensor made on the CPU.
"""

from __future__ import annotations

import math

import pytest
import torch
from dispatch_watch import DeviceWatch, ShapeWatch
from torch.nn import functional as F

from attn_course.flash import FlashAttention, flash_attention
from attn_course.masking import masked_softmax
from attn_course.support.memory import PeakMemory
from attn_course.tiling import online_softmax_step, tiled_attention

pytestmark = pytest.mark.usefixtures("one_thread")
ATOL = 1e-5
ATOL_FLOAT64 = 1e-10  # gradients in float64: the issue asks 1e-5; they agree far closer
ATOL_FLOAT32 = 1e-5  # gradients in float32 of inputs of unit scale


def random(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def keep_mask(valid_lens, num_queries, num_keys):
    """Boolean SDPA mask (batch, queries, keys), True where a query may see a key."""
    lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, num_queries)
    return torch.arange(num_keys) < lens[..., None]


# ------------------------------------------------------------------ tiled attention


@pytest.mark.parametrize("block_size", [1, 2, 3, 4, 5, 7, 8, 16, 17, 40])
@pytest.mark.parametrize("causal", [False, True])
def test_tiled_attention_equals_sdpa(block_size, causal):
    queries, keys, values = random(3, 17, 8, seed=1), random(3, 17, 8, seed=2), random(3, 17, 5)
    expected = F.scaled_dot_product_attention(queries, keys, values, is_causal=causal)
    actual = tiled_attention(queries, keys, values, block_size, causal=causal)
    assert actual.shape == (3, 17, 5)
    torch.testing.assert_close(actual, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("block_size", [1, 3, 4, 6, 11])
def test_tiled_attention_with_fewer_queries_than_keys(block_size):
    queries, keys, values = random(2, 4, 6, seed=3), random(2, 11, 6, seed=4), random(2, 11, 3)
    for causal in (False, True):
        expected = F.scaled_dot_product_attention(queries, keys, values, is_causal=causal)
        actual = tiled_attention(queries, keys, values, block_size, causal=causal)
        torch.testing.assert_close(actual, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("block_size", [1, 3, 4, 9])
@pytest.mark.parametrize("two_dim", [False, True])
def test_tiled_attention_with_valid_lens_equals_sdpa(block_size, two_dim):
    queries, keys, values = random(2, 5, 8, seed=5), random(2, 9, 8, seed=6), random(2, 9, 4)
    valid_lens = torch.tensor([[1, 3, 9, 2, 5], [9, 4, 1, 7, 6]] if two_dim else [3, 9])
    mask = keep_mask(valid_lens, 5, 9)
    for causal in (False, True):
        full = mask & torch.ones(5, 9, dtype=torch.bool).tril() if causal else mask
        expected = F.scaled_dot_product_attention(queries, keys, values, attn_mask=full)
        actual = tiled_attention(queries, keys, values, block_size, valid_lens, causal=causal)
        torch.testing.assert_close(actual, expected, atol=ATOL, rtol=0)


def test_tiled_attention_gives_zeros_where_a_query_sees_no_key():
    queries, keys, values = random(2, 4, 8, seed=7), random(2, 6, 8, seed=8), random(2, 6, 3)
    valid_lens = torch.tensor([[0, 2, 6, 0], [1, 0, 3, 6]])
    scores = queries @ keys.transpose(1, 2) / math.sqrt(8)
    expected = masked_softmax(scores, valid_lens) @ values
    actual = tiled_attention(queries, keys, values, 4, valid_lens)
    assert not torch.isnan(actual).any()
    assert (actual[0, 0] == 0).all() and (actual[1, 1] == 0).all()
    torch.testing.assert_close(actual, expected, atol=ATOL, rtol=0)
    none = tiled_attention(queries, keys, values, 2, torch.tensor([0, 0]))
    assert (none == 0).all()


def test_sdpa_gives_zeros_where_a_query_sees_no_key():
    """What lesson 10 states about torch's SDPA (2.13): zeros, and zero gradients, not NaN."""
    queries, keys, values = (
        random(1, 3, 4, seed=s, dtype=torch.float64).requires_grad_() for s in (1, 2, 3)
    )
    mask = torch.tensor([[[False] * 3, [True, True, False], [True] * 3]])
    output = F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask)
    output.sum().backward()
    assert (output[0, 0] == 0).all()
    assert (queries.grad[0, 0] == 0).all()
    assert not any(torch.isnan(t.grad).any() for t in (queries, keys, values))


def test_tiled_attention_stays_finite_on_large_scores():
    queries, keys, values = 100 * random(1, 6, 4, seed=9), 100 * random(1, 10, 4), random(1, 10, 2)
    expected = F.scaled_dot_product_attention(queries, keys, values)
    actual = tiled_attention(queries, keys, values, 3)
    torch.testing.assert_close(actual, expected, atol=ATOL, rtol=0)


def test_tiled_attention_in_float64_is_exact_to_double_precision():
    args = (
        random(2, 9, 8, seed=10, dtype=torch.float64),
        random(2, 13, 8, seed=11, dtype=torch.float64),
    )
    values = random(2, 13, 3, dtype=torch.float64)
    expected = F.scaled_dot_product_attention(*args, values, is_causal=True)
    actual = tiled_attention(*args, values, 5, causal=True)
    assert actual.dtype == torch.float64
    torch.testing.assert_close(actual, expected, atol=1e-12, rtol=0)


def test_tiled_attention_never_holds_the_full_score_matrix():
    num_queries, num_keys, block_size = 64, 96, 16
    queries, keys = random(1, num_queries, 8), random(1, num_keys, 8)
    values = random(1, num_keys, 8)
    with ShapeWatch() as record:
        tiled_attention(queries, keys, values, block_size, torch.tensor([90]), causal=True)
    largest = max(math.prod(shape) for shape in record.shapes)
    assert largest <= num_queries * block_size
    assert all(num_keys not in shape[1:] for shape in record.shapes)


def test_online_softmax_step_from_nothing_is_the_softmax_of_one_block():
    scores, V = random(2, 3, 5), random(2, 5, 4)
    start = (torch.full((2, 3, 1), float("-inf")), torch.zeros(2, 3, 1), torch.zeros(2, 3, 4))
    row_max, row_sum, output = online_softmax_step(*start, scores, V)
    torch.testing.assert_close(row_max, scores.amax(-1, keepdim=True))
    torch.testing.assert_close(output / row_sum, torch.softmax(scores, -1) @ V)


BAD_INPUT = [
    (lambda f, q, k, v: f(q, k, v, 0), ValueError),
    (lambda f, q, k, v: f(q, k, v, 2.0), TypeError),
    (lambda f, q, k, v: f(q, k[..., :3], v, 2), ValueError),
    (lambda f, q, k, v: f(q[0], k, v, 2), ValueError),
    (lambda f, q, k, v: f(q, k, v[:, :2], 2), ValueError),
    (lambda f, q, k, v: f(q, k, v, 2, torch.tensor([1.0, 2.0])), TypeError),
    (lambda f, q, k, v: f(q, k, v, 2, torch.tensor([1, 7])), ValueError),
    (lambda f, q, k, v: f(q.long(), k, v, 2), TypeError),
]


@pytest.mark.parametrize(("call", "error"), BAD_INPUT)
@pytest.mark.parametrize("attention", [tiled_attention, flash_attention])
def test_tiled_and_flash_attention_reject_bad_input(attention, call, error):
    with pytest.raises(error):
        call(attention, random(2, 3, 4), random(2, 6, 4), random(2, 6, 2))


# ------------------------------------------------------------------ flash attention: gradients


def gradients(attention, inputs, grad_output):
    """(output, dQ, dK, dV) of attention(Q, K, V), for fresh leaf copies of the inputs."""
    Q, K, V = (X.detach().clone().requires_grad_() for X in inputs)
    output = attention(Q, K, V)
    output.backward(grad_output)
    return output.detach(), Q.grad, K.grad, V.grad


def naive(valid_lens, causal):
    """softmax(Q K^T / sqrt(d)) V through lesson 03's masked_softmax, for autograd."""

    def attention(Q, K, V):
        scores = Q @ K.transpose(1, 2) / math.sqrt(Q.shape[-1])
        return masked_softmax(scores, valid_lens, causal) @ V

    return attention


def sdpa(valid_lens, causal):
    """The same attention through F.scaled_dot_product_attention."""

    def attention(Q, K, V):
        num_queries, num_keys = Q.shape[1], K.shape[1]
        mask = torch.ones(num_queries, num_keys, dtype=torch.bool)
        if valid_lens is not None:
            mask = mask & keep_mask(valid_lens, num_queries, num_keys)
        if causal:
            mask = mask & torch.ones(num_queries, num_keys, dtype=torch.bool).tril()
        return F.scaled_dot_product_attention(Q, K, V, attn_mask=mask)

    return attention


VALID_LENS = {
    "none": None,
    "1-D": torch.tensor([4, 11]),
    "2-D with empty rows": torch.tensor([[0, 3, 11, 1, 6], [11, 0, 2, 0, 9]]),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("lens_name", list(VALID_LENS))
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("block_size", [1, 3, 4, 5, 11, 16])
def test_flash_gradients_equal_autograd_through_naive_and_sdpa(
    block_size, causal, lens_name, dtype
):
    valid_lens = VALID_LENS[lens_name]
    inputs = (
        random(2, 5, 8, seed=1, dtype=dtype),
        random(2, 11, 8, seed=2, dtype=dtype),
        random(2, 11, 3, seed=3, dtype=dtype),
    )
    grad_output = random(2, 5, 3, seed=4, dtype=dtype)
    atol = ATOL_FLOAT64 if dtype == torch.float64 else ATOL_FLOAT32
    actual = gradients(
        lambda q, k, v: flash_attention(q, k, v, block_size, valid_lens, causal),
        inputs,
        grad_output,
    )
    for reference in (naive(valid_lens, causal), sdpa(valid_lens, causal)):
        expected = gradients(reference, inputs, grad_output)
        for name, a, e in zip(("output", "dQ", "dK", "dV"), actual, expected, strict=True):
            assert a.dtype == dtype
            torch.testing.assert_close(a, e, atol=atol, rtol=0, msg=f"{name} differs")


def test_queries_that_see_no_key_get_zero_output_and_zero_gradients():
    inputs = random(2, 5, 8, seed=5), random(2, 11, 8, seed=6), random(2, 11, 3, seed=7)
    valid_lens = VALID_LENS["2-D with empty rows"]
    output, dQ, dK, dV = gradients(
        lambda q, k, v: flash_attention(q, k, v, 4, valid_lens), inputs, random(2, 5, 3, seed=8)
    )
    empty = valid_lens == 0  # (batch, queries)
    assert (output[empty] == 0).all() and (dQ[empty] == 0).all()
    assert not any(torch.isnan(t).any() for t in (output, dQ, dK, dV))
    none = torch.tensor([0, 0])  # nothing seen at all: every output and gradient is 0
    output, dQ, dK, dV = gradients(
        lambda q, k, v: flash_attention(q, k, v, 3, none), inputs, random(2, 5, 3, seed=8)
    )
    assert all((t == 0).all() for t in (output, dQ, dK, dV))


def test_keys_past_every_valid_length_get_zero_gradients():
    inputs = random(2, 4, 6, seed=9), random(2, 9, 6, seed=10), random(2, 9, 2, seed=11)
    _, _, dK, dV = gradients(
        lambda q, k, v: flash_attention(q, k, v, 4, torch.tensor([5, 7])),
        inputs,
        random(2, 4, 2, seed=12),
    )
    assert (dK[0, 5:] == 0).all() and (dV[0, 5:] == 0).all()
    assert (dK[1, 7:] == 0).all() and (dV[1, 7:] == 0).all()
    assert (dV[0, :5] != 0).any()


@pytest.mark.parametrize(
    ("block_size", "valid_lens", "causal"),
    [
        (1, None, False),
        (3, None, True),
        (4, torch.tensor([2, 7]), False),
        (5, torch.tensor([[0, 2, 7, 5, 1, 3], [7, 0, 4, 4, 6, 2]]), True),
        (16, torch.tensor([7, 1]), True),
    ],
)
def test_flash_attention_passes_gradcheck(block_size, valid_lens, causal):
    inputs = tuple(
        random(2, n, 4, seed=s, dtype=torch.float64).requires_grad_()
        for n, s in ((6, 1), (7, 2), (7, 3))
    )
    assert torch.autograd.gradcheck(
        lambda q, k, v: flash_attention(q, k, v, block_size, valid_lens, causal), inputs
    )


def test_flash_attention_forward_equals_tiled_attention():
    queries, keys, values = random(2, 7, 8, seed=1), random(2, 10, 8, seed=2), random(2, 10, 3)
    for valid_lens in (None, torch.tensor([[3, 0, 10, 2, 5, 6, 1], [10, 9, 8, 0, 1, 2, 3]])):
        expected = tiled_attention(queries, keys, values, 4, valid_lens, causal=True)
        actual = flash_attention(queries, keys, values, 4, valid_lens, causal=True)
        torch.testing.assert_close(actual, expected, atol=0, rtol=0)


# ------------------------------------------------------------------ flash attention: memory


def test_the_forward_pass_saves_inputs_output_and_one_log_sum_exp_per_query():
    batch, num_queries, num_keys = 2, 24, 40
    Q, K, V = (
        random(batch, n, 8, seed=s).requires_grad_()
        for n, s in ((num_queries, 1), (num_keys, 2), (num_keys, 3))
    )
    valid_lens = torch.tensor([30, 40])
    output = flash_attention(Q, K, V, 8, valid_lens, causal=True)
    saved = output.grad_fn.saved_tensors
    assert len(saved) == 6
    assert all(a is b for a, b in zip(saved[:3], (Q, K, V), strict=True))
    torch.testing.assert_close(saved[3], output.detach(), atol=0, rtol=0)
    logsumexp = saved[4]
    assert logsumexp.shape == (batch, num_queries, 1)
    scores = Q @ K.transpose(1, 2) / math.sqrt(8)
    keep = (
        keep_mask(valid_lens, num_queries, num_keys)
        & torch.ones(num_queries, num_keys, dtype=torch.bool).tril()
    )
    expected = torch.logsumexp(scores.masked_fill(~keep, float("-inf")), dim=-1, keepdim=True)
    torch.testing.assert_close(logsumexp, expected.detach())
    assert torch.equal(saved[5], valid_lens)
    assert isinstance(output.grad_fn, FlashAttention._backward_cls)


def test_flash_forward_and_backward_never_hold_a_queries_by_keys_tensor():
    num_queries, num_keys, block_size = 48, 80, 16
    Q, K, V = (
        random(1, n, 8, seed=s).requires_grad_()
        for n, s in ((num_queries, 1), (num_keys, 2), (num_keys, 3))
    )
    with ShapeWatch() as record:
        flash_attention(Q, K, V, block_size, torch.tensor([70]), causal=True).backward(
            random(1, num_queries, 8)
        )
    largest = max(math.prod(shape) for shape in record.shapes)
    assert largest <= num_queries * block_size
    assert not [shape for shape in record.shapes if num_queries in shape and num_keys in shape]


def training_peak_bytes(attention, n, d=16):
    Q, K, V = (random(1, n, d, seed=s).requires_grad_() for s in (1, 2, 3))
    grad_output = random(1, n, d, seed=4)
    with PeakMemory() as memory:
        attention(Q, K, V).backward(grad_output)
    return memory.peak


def test_training_memory_is_linear_for_flash_and_quadratic_for_the_naive_computation():
    lengths = (256, 512)
    flash = [training_peak_bytes(lambda q, k, v: flash_attention(q, k, v, 64), n) for n in lengths]
    full = [training_peak_bytes(naive(None, False), n) for n in lengths]
    assert flash[1] == 2 * flash[0]
    assert full[1] / full[0] > 3.5
    assert flash[1] < full[1] / 2


# ------------------------------------------------------------------ on another device


def test_the_lesson_code_makes_every_tensor_on_the_inputs_device():
    """Inputs on the meta device: a tensor made on the CPU by mistake shows up as "cpu".

    (A fake CUDA device cannot be sliced in a CPU build of PyTorch, so meta tensors stand in;
    the input checks skip the values, which meta tensors do not have, and check the rest.)
    """
    device = torch.device("meta")
    with DeviceWatch() as watch:
        queries = torch.randn(2, 5, 8, device=device, requires_grad=True)
        keys = torch.randn(2, 9, 8, device=device, requires_grad=True)
        values = torch.randn(2, 9, 3, device=device, requires_grad=True)
        lens = torch.tensor([3, 9], device=device)
        tiled_attention(queries, keys, values, 4, causal=True)
        tiled_attention(queries, keys, values, 4, lens)
        output = flash_attention(queries, keys, values, 4, lens, causal=True)
        output.backward(torch.randn(2, 5, 3, device=device))
    assert watch.devices == {"meta"}
