"""attn_course: the helper package of the attention course.

Each module holds one idea, built in the lesson named in its docstring; the
notebooks import from here so later lessons reuse earlier code.
"""

import attn_course.style  # noqa: F401  (course figure fonts, readable on slides)
from attn_course.data import Vocab, load_fra, load_fra_batches, make_translation_data
from attn_course.device import try_device
from attn_course.flash import FlashAttention, flash_attention
from attn_course.gqa import GroupedQueryAttention
from attn_course.kvcache import KVCache, generate
from attn_course.masking import causal_mask, length_mask, masked_softmax, sequence_mask
from attn_course.metrics import alignment_accuracy, bleu
from attn_course.multihead import (
    MultiHeadAttention,
    SDPAMultiHeadAttention,
    transpose_output,
    transpose_qkv,
)
from attn_course.plotting import show_heatmaps
from attn_course.positional import (
    LearnedPositionalEncoding,
    PositionalEncoding,
    rotation,
    sinusoidal_encoding,
)
from attn_course.reference import (
    key_padding_mask,
    to_torch_decoder_layer,
    to_torch_encoder_layer,
    to_torch_multihead,
)
from attn_course.rotary import apply_rotary
from attn_course.scoring import (
    AdditiveAttention,
    AttentionPooling,
    BilinearAttention,
    DotProductAttention,
)
from attn_course.seed import set_seed
from attn_course.selfattention import SelfAttentionLayer
from attn_course.seq2seq import (
    BahdanauDecoder,
    EncoderDecoder,
    GRUEncoder,
    Seq2SeqDecoder,
    greedy_decode,
)
from attn_course.tiling import online_softmax_step, tiled_attention
from attn_course.training import masked_cross_entropy, train_seq2seq
from attn_course.transformer import (
    AddNorm,
    PositionWiseFFN,
    ScaledEmbedding,
    TransformerDecoder,
    TransformerDecoderBlock,
    TransformerEncoder,
    TransformerEncoderBlock,
    warmup_cosine,
    warmup_cosine_factor,
)

__all__ = [
    "AddNorm",
    "PositionWiseFFN",
    "ScaledEmbedding",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "to_torch_decoder_layer",
    "to_torch_encoder_layer",
    "warmup_cosine",
    "warmup_cosine_factor",
    "FlashAttention",
    "flash_attention",
    "GroupedQueryAttention",
    "KVCache",
    "apply_rotary",
    "generate",
    "online_softmax_step",
    "tiled_attention",
    "AdditiveAttention",
    "AttentionPooling",
    "BahdanauDecoder",
    "BilinearAttention",
    "DotProductAttention",
    "EncoderDecoder",
    "GRUEncoder",
    "LearnedPositionalEncoding",
    "MultiHeadAttention",
    "PositionalEncoding",
    "SDPAMultiHeadAttention",
    "SelfAttentionLayer",
    "Seq2SeqDecoder",
    "Vocab",
    "alignment_accuracy",
    "bleu",
    "causal_mask",
    "greedy_decode",
    "key_padding_mask",
    "length_mask",
    "load_fra",
    "load_fra_batches",
    "make_translation_data",
    "masked_cross_entropy",
    "masked_softmax",
    "rotation",
    "sequence_mask",
    "set_seed",
    "show_heatmaps",
    "sinusoidal_encoding",
    "to_torch_multihead",
    "train_seq2seq",
    "transpose_output",
    "transpose_qkv",
    "try_device",
]

__version__ = "0.1.0"
