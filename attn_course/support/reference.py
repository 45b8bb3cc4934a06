"""Bridges from the course's layers to their ``torch.nn`` counterparts (not taught code).

The lessons and the tests check each layer the course builds against the
layer PyTorch ships; these functions translate between the two: the weights
(``to_torch_multihead``) and the way padding is given (``key_padding_mask``).
Lesson 09's blocks go to ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer``
(``to_torch_encoder_layer``, ``to_torch_decoder_layer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from attn_course.masking import length_mask
from attn_course.support.validation import check_key_padding_lens

if TYPE_CHECKING:
    from attn_course.multihead import MultiHeadAttention

PARTS = ("num_heads", "attention", "W_q", "W_k", "W_v", "W_o")


def key_padding_mask(valid_lens: torch.Tensor, num_keys: int) -> torch.Tensor:
    """The ``key_padding_mask`` (batch, num_keys) of ``nn.MultiheadAttention``: True at padding.

    ``valid_lens`` is an integer tensor (batch,), each length in [0, num_keys]. The
    mask is the opposite of ``length_mask``: PyTorch ignores the keys marked True.
    """
    check_key_padding_lens(valid_lens)
    return ~length_mask(valid_lens, num_keys)  # (batch, keys)


def to_torch_multihead(mha: MultiHeadAttention) -> nn.MultiheadAttention:
    """A ``torch.nn.MultiheadAttention`` (batch_first) with a copy of ``mha``'s weights.

    PyTorch keeps W_q, W_k, W_v stacked in one ``in_proj_weight``
    (3 * num_hiddens, num_hiddens) when keys and values have num_hiddens
    features, and in ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``
    otherwise (``kdim``, ``vdim``); the biases are always stacked in
    ``in_proj_bias``. W_o is ``out_proj``. Dropout and train/eval mode are
    copied too. PyTorch needs queries of ``num_hiddens`` features (its ``embed_dim``).

    Raises:
        TypeError: ``mha`` has not the parts of a ``MultiHeadAttention``.
        ValueError: ``query_size`` differs from ``num_hiddens``.
    """
    if not all(hasattr(mha, part) for part in PARTS):  # a lesson's own class passes too
        raise TypeError(f"mha must be a MultiHeadAttention, got {type(mha).__name__}")
    num_hiddens = mha.W_o.out_features
    if mha.W_q.in_features != num_hiddens:
        raise ValueError(
            "torch.nn.MultiheadAttention needs query_size == num_hiddens, got "
            f"query_size={mha.W_q.in_features} and num_hiddens={num_hiddens}"
        )
    bias = mha.W_q.bias is not None
    torch_mha = nn.MultiheadAttention(
        num_hiddens,
        mha.num_heads,
        dropout=mha.attention.dropout.p,
        bias=bias,
        kdim=mha.W_k.in_features,
        vdim=mha.W_v.in_features,
        batch_first=True,
        device=mha.W_o.weight.device,
        dtype=mha.W_o.weight.dtype,
    )
    with torch.no_grad():
        if torch_mha.in_proj_weight is not None:  # keys and values have num_hiddens features
            torch_mha.in_proj_weight.copy_(
                torch.cat([mha.W_q.weight, mha.W_k.weight, mha.W_v.weight])
            )  # (3 * num_hiddens, num_hiddens)
        else:
            torch_mha.q_proj_weight.copy_(mha.W_q.weight)  # (num_hiddens, query_size)
            torch_mha.k_proj_weight.copy_(mha.W_k.weight)  # (num_hiddens, key_size)
            torch_mha.v_proj_weight.copy_(mha.W_v.weight)  # (num_hiddens, value_size)
        torch_mha.out_proj.weight.copy_(mha.W_o.weight)  # (num_hiddens, num_hiddens)
        if bias:
            torch_mha.in_proj_bias.copy_(torch.cat([mha.W_q.bias, mha.W_k.bias, mha.W_v.bias]))
            torch_mha.out_proj.bias.copy_(mha.W_o.bias)
    return torch_mha.train(mha.training)


# ---------------------------------------------------------------- lesson 09

ENCODER_PARTS = ("attention", "addnorm1", "ffn", "addnorm2")
DECODER_PARTS = ("self_attention", "addnorm1", "cross_attention", "addnorm2", "ffn", "addnorm3")


def _layer_options(block: Any, attention: Any, parts: tuple[str, ...]) -> dict[str, Any]:
    """The keyword arguments of PyTorch's layer for a block with these parts."""
    if not all(hasattr(block, part) for part in parts):
        raise TypeError(f"expected a block with parts {parts}, got {type(block).__name__}")
    weight = attention.W_o.weight
    return {
        "d_model": attention.W_o.out_features,
        "nhead": attention.num_heads,
        "dim_feedforward": block.ffn.dense1.out_features,
        "dropout": block.addnorm1.dropout.p,
        "activation": "relu",
        "batch_first": True,
        "norm_first": block.addnorm1.norm_first,
        "bias": block.ffn.dense1.bias is not None,
        "device": weight.device,
        "dtype": weight.dtype,
    }


def _copy_ffn_and_norms(layer: nn.Module, block: Any, num_norms: int) -> None:
    layer.linear1.load_state_dict(block.ffn.dense1.state_dict())  # W_1, b_1
    layer.linear2.load_state_dict(block.ffn.dense2.state_dict())  # W_2, b_2
    for i in range(1, num_norms + 1):
        getattr(layer, f"norm{i}").load_state_dict(getattr(block, f"addnorm{i}").ln.state_dict())


def to_torch_encoder_layer(block: Any) -> nn.TransformerEncoderLayer:
    """An ``nn.TransformerEncoderLayer`` holding a copy of a ``TransformerEncoderBlock``'s weights.

    Raises:
        TypeError: ``block`` lacks the parts of a ``TransformerEncoderBlock``.
    """
    options = _layer_options(block, getattr(block, "attention", None), ENCODER_PARTS)
    layer = nn.TransformerEncoderLayer(**options)
    layer.self_attn.load_state_dict(to_torch_multihead(block.attention).state_dict())
    _copy_ffn_and_norms(layer, block, num_norms=2)
    return layer.train(block.training)


def to_torch_decoder_layer(block: Any) -> nn.TransformerDecoderLayer:
    """An ``nn.TransformerDecoderLayer`` holding a copy of a ``TransformerDecoderBlock``'s weights.

    Call it with ``tgt_mask`` the causal mask (our block is always causal) and
    ``memory_key_padding_mask`` for the encoder's padding.

    Raises:
        TypeError: ``block`` lacks the parts of a ``TransformerDecoderBlock``.
    """
    options = _layer_options(block, getattr(block, "self_attention", None), DECODER_PARTS)
    layer = nn.TransformerDecoderLayer(**options)
    layer.self_attn.load_state_dict(to_torch_multihead(block.self_attention).state_dict())
    layer.multihead_attn.load_state_dict(to_torch_multihead(block.cross_attention).state_dict())
    _copy_ffn_and_norms(layer, block, num_norms=3)
    return layer.train(block.training)
