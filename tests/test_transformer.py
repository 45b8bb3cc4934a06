"""Lesson 09's Transformer: the blocks against torch.nn's layers, causality, decoding, schedule."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from attn_course.seq2seq import EncoderDecoder, greedy_decode
from attn_course.support.reference import to_torch_decoder_layer, to_torch_encoder_layer
from attn_course.transformer import (
    AddNorm,
    PositionWiseFFN,
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
    warmup_cosine,
    warmup_cosine_factor,
)

ATOL = 1e-5


def padding_mask(valid_lens: torch.Tensor, steps: int) -> torch.Tensor:
    return torch.arange(steps) >= valid_lens[:, None]  # (batch, steps): True at padding


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nested-tensor warnings would reach a lesson's stderr
        yield


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_encoder_block_matches_torch_without_padding(norm_first, bias):
    torch.manual_seed(0)
    block = TransformerEncoderBlock(16, 32, 4, norm_first=norm_first, bias=bias).eval()
    layer = to_torch_encoder_layer(block).eval()
    assert isinstance(layer, nn.TransformerEncoderLayer) and layer.norm_first == norm_first
    X = torch.randn(3, 7, 16)
    with torch.no_grad():
        torch.testing.assert_close(block(X), layer(X), atol=ATOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_matches_torch_with_padding(norm_first):
    torch.manual_seed(1)
    block = TransformerEncoderBlock(16, 32, 4, norm_first=norm_first).eval()
    layer = to_torch_encoder_layer(block).eval()
    X, valid_lens = torch.randn(4, 6, 16), torch.tensor([6, 4, 2, 1])
    padding = padding_mask(valid_lens, 6)
    with torch.no_grad():
        ours, theirs = block(X, valid_lens), layer(X, src_key_padding_mask=padding)
    torch.testing.assert_close(ours[~padding], theirs[~padding], atol=ATOL, rtol=0)


def test_encoder_block_matches_torch_in_training_mode_without_dropout():
    torch.manual_seed(2)
    block = TransformerEncoderBlock(8, 16, 2, dropout=0.0, norm_first=True).train()
    layer = to_torch_encoder_layer(block)
    assert layer.training  # the slow path of PyTorch's layer: padded positions compared too
    X, valid_lens = torch.randn(2, 5, 8), torch.tensor([5, 2])
    ours, theirs = block(X, valid_lens), layer(X, src_key_padding_mask=padding_mask(valid_lens, 5))
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_block_matches_torch_with_the_causal_mask(norm_first):
    torch.manual_seed(3)
    block = TransformerDecoderBlock(16, 32, 4, norm_first=norm_first).eval()
    layer = to_torch_decoder_layer(block).eval()
    assert isinstance(layer, nn.TransformerDecoderLayer)
    Y, memory, valid_lens = torch.randn(3, 6, 16), torch.randn(3, 5, 16), torch.tensor([5, 3, 1])
    causal = nn.Transformer.generate_square_subsequent_mask(6)
    with torch.no_grad():
        ours = block(Y, memory, valid_lens)
        theirs = layer(
            Y,
            memory,
            tgt_mask=causal,
            tgt_is_causal=True,
            memory_key_padding_mask=padding_mask(valid_lens, 5),
        )
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)
        torch.testing.assert_close(
            block(Y, memory), layer(Y, memory, tgt_mask=causal), atol=ATOL, rtol=0
        )


def test_decoder_output_at_step_t_ignores_later_inputs():
    torch.manual_seed(4)
    block = TransformerDecoderBlock(8, 16, 2).eval()
    Y, memory = torch.randn(2, 6, 8), torch.randn(2, 4, 8)
    with torch.no_grad():
        before = block(Y, memory, torch.tensor([4, 2]))
        for t in range(5):
            changed = Y.clone()
            changed[:, t + 1 :] = torch.randn(2, 5 - t, 8)
            after = block(changed, memory, torch.tensor([4, 2]))
            torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1], atol=1e-6, rtol=0)
            assert not torch.allclose(after[:, t + 1 :], before[:, t + 1 :])


def make_model(norm_first=True, num_layers=2):
    torch.manual_seed(5)
    sizes = {
        "num_hiddens": 16,
        "ffn_num_hiddens": 32,
        "num_heads": 2,
        "num_layers": num_layers,
        "norm_first": norm_first,
    }
    return EncoderDecoder(TransformerEncoder(11, **sizes), TransformerDecoder(13, **sizes)).eval()


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoding_step_by_step_gives_the_logits_of_one_whole_call(norm_first):
    model = make_model(norm_first)
    source, lens = torch.randint(0, 11, (3, 5)), torch.tensor([5, 3, 2])
    target = torch.randint(0, 13, (3, 6))
    with torch.no_grad():
        whole = model(source, lens, target)  # (3, 6, 13)
        enc_outputs, enc_state = model.encoder(source, lens)
        state = model.decoder.init_state(enc_outputs, enc_state, lens)
        steps = []
        for t in range(6):
            logits, state = model.decoder(target[:, t : t + 1], state)
            steps.append(logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), whole, atol=1e-5, rtol=0)


def test_greedy_decode_runs_the_transformer_and_returns_cross_attention():
    model = make_model()
    source, lens = torch.randint(0, 11, (2, 4)), torch.tensor([4, 3])
    tokens, weights = greedy_decode(model, source, lens, bos=1, eos=2, max_steps=5)
    assert len(tokens) == 2 and all(len(row) <= 5 for row in tokens)
    assert weights.shape[0] == 2 and weights.shape[2] == 4  # (batch, steps, source steps)
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:2]))
    assert torch.all(weights[1, :, 3] == 0)  # the padded source token gets no weight


def test_encoder_padding_does_not_change_the_real_positions():
    model = make_model()
    source = torch.randint(3, 11, (1, 4))
    padded = torch.cat([source, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    with torch.no_grad():
        short, _ = model.encoder(source, torch.tensor([4]))
        long, _ = model.encoder(padded, torch.tensor([4]))
    torch.testing.assert_close(long[:, :4], short, atol=1e-5, rtol=0)


def test_parts_keep_shapes_and_add_norm_orders():
    X = torch.randn(2, 3, 8)
    ffn = PositionWiseFFN(8, 16)
    assert ffn(X).shape == X.shape
    torch.testing.assert_close(ffn(X)[1, 2], ffn(X[1, 2]))
    post, pre = AddNorm(8, 0.0), AddNorm(8, 0.0, norm_first=True)
    torch.testing.assert_close(post(X, ffn), post.ln(X + ffn(X)))
    torch.testing.assert_close(pre(X, ffn), X + ffn(pre.ln(X)))


def test_the_schedule_rises_then_decays_to_zero():
    factors = [warmup_cosine_factor(s, 10, 100) for s in range(1, 101)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[9:], factors[10:], strict=False))
    assert factors[-1] == pytest.approx(0.0, abs=1e-12)
    assert warmup_cosine_factor(1, 0, 10) < 1.0  # no warm-up: the decay starts at once


def test_warmup_cosine_gives_each_optimizer_step_its_rate():
    weight = nn.Parameter(torch.ones(1))
    optimizer = torch.optim.SGD([weight], lr=0.5)
    scheduler = warmup_cosine(optimizer, warmup_steps=2, num_steps=4)
    rates = []
    for _ in range(4):
        rates.append(optimizer.param_groups[0]["lr"])  # the rate of the coming step
        optimizer.zero_grad()
        weight.sum().backward()
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.25, 0.5, 0.25, 0.0])
    with pytest.raises(ValueError, match="warmup_steps < num_steps"):
        warmup_cosine(optimizer, warmup_steps=4, num_steps=4)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: TransformerEncoderBlock(10, 20, 3), ValueError),  # 3 does not divide 10
        (lambda: TransformerEncoderBlock(8, 0, 2), ValueError),
        (lambda: TransformerDecoderBlock(8.0, 16, 2), TypeError),
        (lambda: AddNorm(8, 1.5), ValueError),
        (lambda: PositionWiseFFN(8, "16"), TypeError),
        (lambda: TransformerEncoder(10, 7, 14, 7, 1), ValueError),  # odd num_hiddens
        (lambda: TransformerDecoder(10, 8, 16, 2, 0), ValueError),
        (lambda: warmup_cosine_factor(5, 10, 10), ValueError),
        (lambda: warmup_cosine_factor(11, 2, 10), ValueError),
    ],
)
def test_bad_sizes_raise_clear_errors(build, error):
    with pytest.raises(error):
        build()


def test_bad_inputs_raise_clear_errors():
    block, decoder_block = TransformerEncoderBlock(8, 16, 2), TransformerDecoderBlock(8, 16, 2)
    with pytest.raises(ValueError, match="num_hiddens|8"):
        block(torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match="valid_lens"):
        block(torch.randn(2, 3, 8), torch.tensor([4, 1]))
    with pytest.raises(ValueError, match="batch"):
        decoder_block(torch.randn(2, 3, 8), torch.randn(3, 4, 8))
    model = make_model()
    with pytest.raises(TypeError, match="integer"):
        model.encoder(torch.randn(2, 3), torch.tensor([3, 3]))
    with pytest.raises(ValueError, match="vocabulary|token indices"):
        model.encoder(torch.full((1, 3), 11), torch.tensor([3]))


def test_bridges_refuse_other_modules():
    with pytest.raises(TypeError):
        to_torch_encoder_layer(nn.Linear(2, 2))
    with pytest.raises(TypeError):
        to_torch_decoder_layer(TransformerEncoderBlock(8, 16, 2))
