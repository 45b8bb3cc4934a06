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


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_len", "num_hiddens", "error", "message"),
    [
        (0, 4, ValueError, "max_len must be at least 1"),
        (-1, 4, ValueError, "max_len must be at least 1"),
        (2.5, 4, TypeError, "max_len must be an int"),
        (10, 0, ValueError, "num_hiddens must be at least 1"),
        (10, -2, ValueError, "num_hiddens must be at least 1"),
        (10, 3, ValueError, "num_hiddens must be even"),
        (10, 7, ValueError, "num_hiddens must be even"),
        (10, 2.0, TypeError, "num_hiddens must be an int"),
        (10, True, TypeError, "num_hiddens must be an int"),
    ],
)
def test_the_table_and_its_layer_reject_bad_sizes(max_len, num_hiddens, error, message):
    with pytest.raises(error, match=message):
        sinusoidal_encoding(max_len, num_hiddens)
    with pytest.raises(error, match=message):
        PositionalEncoding(num_hiddens, 0.0, max_len=max_len)


@pytest.mark.parametrize(
    ("num_hiddens", "max_len", "error", "message"),
    [
        (0, 5, ValueError, "num_hiddens must be at least 1"),
        (4, 0, ValueError, "max_len must be at least 1"),
        (4, 2.5, TypeError, "max_len must be an int"),
        (4, -1, ValueError, "max_len must be at least 1"),
    ],
)
def test_learned_encoding_rejects_bad_sizes(num_hiddens, max_len, error, message):
    with pytest.raises(error, match=message):
        LearnedPositionalEncoding(num_hiddens, 0.0, max_len=max_len)
    LearnedPositionalEncoding(3, 0.0, max_len=5)  # odd sizes are fine for a learned table


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
@pytest.mark.parametrize("make", [PositionalEncoding, LearnedPositionalEncoding])
def test_encodings_reject_bad_input(make, X, error, message):
    with pytest.raises(error, match=message):
        make(4, 0.0, max_len=10)(X)


def test_a_sequence_of_any_length_passes_a_layer_without_max_len():
    assert SelfAttentionLayer(4)(torch.zeros(2, 5000, 4)).shape == (2, 5000, 4)
