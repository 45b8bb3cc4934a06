"""attn_course: the helper package of the attention course.

Each module holds one idea, built in the lesson named in its docstring; the
notebooks import from here so later lessons reuse earlier code.
"""

from attn_course.device import try_device
from attn_course.masking import causal_mask, length_mask, masked_softmax, sequence_mask
from attn_course.multihead import (
    MultiHeadAttention,
    SDPAMultiHeadAttention,
    key_padding_mask,
    to_torch_multihead,
    transpose_output,
    transpose_qkv,
)
from attn_course.plotting import show_heatmaps
from attn_course.scoring import (
    AdditiveAttention,
    AttentionPooling,
    BilinearAttention,
    DotProductAttention,
)
from attn_course.seed import set_seed

__all__ = [
    "AdditiveAttention",
    "AttentionPooling",
    "BilinearAttention",
    "DotProductAttention",
    "MultiHeadAttention",
    "SDPAMultiHeadAttention",
    "causal_mask",
    "key_padding_mask",
    "length_mask",
    "masked_softmax",
    "sequence_mask",
    "set_seed",
    "show_heatmaps",
    "to_torch_multihead",
    "transpose_output",
    "transpose_qkv",
    "try_device",
]

__version__ = "0.1.0"
