"""Bridges from lesson 09's Transformer blocks to ``torch.nn``'s layers (not taught code).

``to_torch_encoder_layer`` and ``to_torch_decoder_layer`` copy a block's weights
into ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` (batch-first,
ReLU, the same ``norm_first``), so the lesson and the tests can check the blocks
against PyTorch. PyTorch also puts dropout inside its FFN: the two agree with
dropout off (or in eval mode).
"""

from __future__ import annotations

from typing import Any

from torch import nn

try:  # lesson 06 keeps its torch.nn bridges in attn_course.reference
    from attn_course.reference import to_torch_multihead
except ImportError:  # pragma: no cover - before lesson 06's bridges moved there
    from attn_course.multihead import to_torch_multihead

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
