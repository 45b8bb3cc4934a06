"""Lesson 08: attn_course.positional (sinusoidal and learned encodings, the rotation) and the
validators of lessons 07-08."""

from __future__ import annotations

import math

import pytest
import torch
from d2l_reference import load_d2l
from torch import nn

from attn_course.positional import (
    LearnedPositionalEncoding,
    PositionalEncoding,
    rotation,
    sinusoidal_encoding,
)
from attn_course.selfattention import SelfAttentionLayer
from attn_course.support.validation import check_encoding_sizes, check_sequence, check_table_sizes


@pytest.fixture(scope="module")
def d2l():
    return load_d2l("PositionalEncoding")


# --- parity with d2l 1.0.3 and the closed form -----------------------------------------


@pytest.mark.parametrize(("num_hiddens", "max_len"), [(2, 1), (32, 60), (64, 1000), (6, 7)])
def test_table_matches_d2l(d2l, num_hiddens, max_len):
    ours = PositionalEncoding(num_hiddens, 0.0, max_len=max_len)
    theirs = d2l.PositionalEncoding(num_hiddens, 0.0, max_len=max_len)
    assert ours.P.shape == theirs.P.shape == (1, max_len, num_hiddens)
    torch.testing.assert_close(ours.P, theirs.P, rtol=0, atol=0)


def test_forward_matches_d2l(d2l):
    torch.manual_seed(0)
    X = torch.randn(3, 17, 16)
    ours = PositionalEncoding(16, 0.0, max_len=50)
    theirs = d2l.PositionalEncoding(16, 0.0, max_len=50)
    torch.testing.assert_close(ours(X), theirs(X.clone()))


def test_default_max_len_is_1000(d2l):
    assert PositionalEncoding(8, 0.0).P.shape == d2l.PositionalEncoding(8, 0.0).P.shape
    assert PositionalEncoding(8, 0.0).max_len == 1000


def test_closed_form_entry_by_entry():
    num_hiddens, max_len = 12, 200
    P = sinusoidal_encoding(max_len, num_hiddens)
    for i in (0, 1, 2, 7, 50, 199):
        for j in range(num_hiddens // 2):
            angle = i / 10000 ** (2 * j / num_hiddens)
            assert P[i, 2 * j].item() == pytest.approx(math.sin(angle), abs=2e-5)
            assert P[i, 2 * j + 1].item() == pytest.approx(math.cos(angle), abs=2e-5)


def test_table_properties():
    P = sinusoidal_encoding(100, 32)
    assert P.dtype == torch.float32
    assert torch.equal(P[0, 0::2], torch.zeros(16)) and torch.equal(P[0, 1::2], torch.ones(16))
    # Every (sin, cos) pair lies on the unit circle, so every row has squared length d/2.
    torch.testing.assert_close((P**2).sum(dim=1), torch.full((100,), 16.0))
    # Column 0 has frequency 1: period 2 pi.
    assert P[:, 0].tolist() == pytest.approx([math.sin(i) for i in range(100)], abs=1e-5)


def test_rotation_maps_position_i_to_i_plus_delta():
    num_hiddens = 32
    P = sinusoidal_encoding(200, num_hiddens).double()
    for delta in (1, 2, 5, 17, 40, 99):
        for j in (0, 1, 4, 9, 15):
            omega = 1 / 10000 ** (2 * j / num_hiddens)
            matrix = rotation(delta, omega).double()  # (2, 2)
            pairs = P[:100, 2 * j : 2 * j + 2]  # (positions, 2): (sin, cos)
            shifted = P[delta : delta + 100, 2 * j : 2 * j + 2]
            torch.testing.assert_close(pairs @ matrix.T, shifted, rtol=0, atol=1e-4)


def test_rotations_compose_and_invert():
    omega = 0.3
    torch.testing.assert_close(rotation(2, omega) @ rotation(5, omega), rotation(7, omega))
    torch.testing.assert_close(rotation(4, omega) @ rotation(-4, omega), torch.eye(2))
    torch.testing.assert_close(rotation(4, omega).T, rotation(-4, omega))


def test_dot_product_depends_on_offset_only():
    P = sinusoidal_encoding(300, 16).double()
    for delta in (0, 1, 3, 30):
        dots = torch.stack([P[i] @ P[i + delta] for i in range(0, 250, 7)])
        expected = sum(math.cos(delta / 10000 ** (2 * j / 16)) for j in range(8))
        torch.testing.assert_close(dots, torch.full_like(dots, expected), rtol=0, atol=1e-4)


# --- forward: behaviour ------------------------------------------------------------------


def test_forward_adds_the_first_rows_and_keeps_the_input():
    X = torch.randn(2, 5, 8)
    before = X.clone()
    encoding = PositionalEncoding(8, 0.0, max_len=20)
    Y = encoding(X)
    torch.testing.assert_close(Y, X + sinusoidal_encoding(20, 8)[:5])
    assert torch.equal(X, before), "forward must not change its input"


def test_steps_equal_to_max_len_is_allowed():
    encoding = PositionalEncoding(4, 0.0, max_len=6)
    assert encoding(torch.zeros(1, 6, 4)).shape == (1, 6, 4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_work(dtype):
    X = torch.zeros(2, 10, 8, dtype=dtype)
    Y = PositionalEncoding(8, 0.0)(X)
    assert Y.dtype == dtype
    torch.testing.assert_close(
        Y.double(), sinusoidal_encoding(10, 8).double().expand(2, -1, -1), atol=1e-2, rtol=0
    )


def test_table_is_a_buffer_not_a_parameter():
    encoding = PositionalEncoding(8, 0.0, max_len=10)
    assert list(encoding.parameters()) == []
    assert "P" in dict(encoding.named_buffers())
    assert encoding.to(torch.float64).P.dtype == torch.float64


def test_dropout_acts_in_training_only():
    torch.manual_seed(0)
    encoding = PositionalEncoding(16, 0.5, max_len=10)
    X = torch.ones(4, 10, 16)
    assert (encoding(X) == 0).any(), "dropout should zero some entries in training mode"
    encoding.eval()
    torch.testing.assert_close(encoding(X), X + encoding.P[:, :10])


def test_learned_encoding_is_trainable():
    torch.manual_seed(0)
    encoding = LearnedPositionalEncoding(8, 0.0, max_len=12)
    assert isinstance(encoding.P, nn.Parameter) and encoding.P.shape == (1, 12, 8)
    assert encoding.P.std().item() < 0.05, "starts from small values"
    X = torch.randn(3, 7, 8)
    Y = encoding(X)
    torch.testing.assert_close(Y, X + encoding.P[:, :7])
    Y.sum().backward()
    assert torch.equal(encoding.P.grad[0, :7], torch.full((7, 8), 3.0))
    assert torch.equal(encoding.P.grad[0, 7:], torch.zeros(5, 8))


def test_learned_encoding_handles_float16():
    encoding = LearnedPositionalEncoding(4, 0.0, max_len=5)
    assert encoding(torch.zeros(1, 5, 4, dtype=torch.float16)).dtype == torch.float16


# --- why position is needed: permutation equivariance ---------------------------------


def test_self_attention_without_encoding_is_permutation_equivariant():
    torch.manual_seed(0)
    layer = SelfAttentionLayer(8)
    X = torch.randn(2, 7, 8)
    for _ in range(5):
        perm = torch.randperm(7)
        torch.testing.assert_close(layer(X[:, perm]), layer(X)[:, perm], atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "make", [lambda: PositionalEncoding(8, 0.0), lambda: LearnedPositionalEncoding(8, 0.0)]
)
def test_adding_an_encoding_breaks_the_equivariance(make):
    torch.manual_seed(0)
    layer, encoding = SelfAttentionLayer(8), make()
    X = torch.randn(2, 7, 8)
    perm = torch.tensor([6, 5, 4, 3, 2, 1, 0])
    difference = (layer(encoding(X[:, perm])) - layer(encoding(X))[:, perm]).abs().max()
    assert difference > 1e-3


# --- bad input: each validator once, then each entry point delegating to it -------------


@pytest.mark.parametrize(
    ("max_len", "num_hiddens", "message"),
    [
        (0, 4, "max_len must be an int >= 1"),
        (-1, 4, "max_len must be an int >= 1"),
        (2.5, 4, "max_len must be an int >= 1"),
        (10, 0, "num_hiddens must be a positive even int"),
        (10, -2, "num_hiddens must be a positive even int"),
        (10, 3, "num_hiddens must be a positive even int"),
        (10, 7, "num_hiddens must be a positive even int"),
        (10, 2.0, "num_hiddens must be a positive even int"),
        (10, True, "num_hiddens must be a positive even int"),
    ],
)
def test_check_table_sizes(max_len, num_hiddens, message):
    with pytest.raises(ValueError, match=message):
        check_table_sizes(max_len, num_hiddens)


def test_check_table_sizes_accepts_good_sizes():
    check_table_sizes(1, 2)
    check_table_sizes(1000, 512)


@pytest.mark.parametrize(
    ("num_hiddens", "max_len", "message"),
    [
        (0, 5, "num_hiddens must be an int >= 1"),
        (4, 0, "max_len must be an int >= 1"),
        (4, 2.5, "max_len must be an int >= 1"),
    ],
)
def test_check_encoding_sizes(num_hiddens, max_len, message):
    with pytest.raises(ValueError, match=message):
        check_encoding_sizes(None, num_hiddens, 0.0, max_len)
    check_encoding_sizes(None, 3, 0.0, 5)  # odd sizes are fine for a learned table


class _Module:
    num_hiddens, max_len = 4, 10


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ([[[0.0] * 4]], TypeError, "torch.Tensor"),
        (torch.zeros(1, 3, 4, dtype=torch.long), TypeError, "floating-point"),
        (torch.zeros(3, 4), ValueError, "must have 3 dimensions"),
        (torch.zeros(1, 3, 5), ValueError, r"shape \(batch, steps, 4\), got \(1, 3, 5\)"),
        (torch.zeros(1, 11, 4), ValueError, "11 steps but the encoding only covers max_len=10"),
    ],
)
def test_check_sequence(X, error, message):
    with pytest.raises(error, match=message):
        check_sequence(_Module(), X)


def test_check_sequence_accepts_good_input_and_needs_no_max_len():
    check_sequence(_Module(), torch.zeros(2, 10, 4))
    check_sequence(SelfAttentionLayer(4), torch.zeros(2, 5000, 4))


def test_sinusoidal_encoding_and_its_layer_delegate_to_check_table_sizes():
    with pytest.raises(ValueError, match="num_hiddens must be a positive even int"):
        sinusoidal_encoding(10, 7)
    with pytest.raises(ValueError, match="num_hiddens must be a positive even int"):
        PositionalEncoding(7, 0.0)
    with pytest.raises(ValueError, match="max_len must be an int >= 1"):
        PositionalEncoding(4, 0.0, max_len=0)


def test_learned_encoding_delegates_to_check_encoding_sizes():
    with pytest.raises(ValueError, match="num_hiddens must be an int >= 1"):
        LearnedPositionalEncoding(0, 0.0)
    with pytest.raises(ValueError, match="max_len must be an int >= 1"):
        LearnedPositionalEncoding(4, 0.0, max_len=-1)


@pytest.mark.parametrize("make", [PositionalEncoding, LearnedPositionalEncoding])
def test_forward_delegates_to_check_sequence(make):
    with pytest.raises(ValueError, match="11 steps but the encoding only covers max_len=10"):
        make(4, 0.0, max_len=10)(torch.zeros(1, 11, 4))
    with pytest.raises(TypeError, match="floating-point"):
        make(4, 0.0)(torch.zeros(1, 3, 4, dtype=torch.long))
