"""attn_course: the helper package of the attention course.

The modules here are the code the lessons teach, written by ``make sync``
from the lessons' ``#@save MODULE`` cells (``masking`` from lesson 03,
``multihead`` from lesson 06, ...); ``attn_course.support`` holds the
hand-written code around them (input checks, data, training, metrics) and
``attn_course.checks`` the exercise checks. ``from attn_course import X``
imports only the module that defines ``X``: importing the package imports
neither torch nor matplotlib. The lessons' figures take the course's style
from ``plt.style.use("attn_course.course")``.
"""

import importlib

_MODULES = {  # module -> the public names it defines
    "masking": [
        "causal_mask",
        "length_mask",
        "masked_softmax",
        "sequence_mask",
    ],
    "plotting": ["show_heatmaps"],
    "scoring": [
        "AdditiveAttention",
        "AttentionPooling",
        "BilinearAttention",
        "DotProductAttention",
    ],
    "seq2seq": [
        "BahdanauDecoder",
        "EncoderDecoder",
        "GRUEncoder",
        "Seq2SeqDecoder",
        "greedy_decode",
    ],
    "multihead": [
        "MultiHeadAttention",
        "SDPAMultiHeadAttention",
        "transpose_output",
        "transpose_qkv",
    ],
    "selfattention": ["SelfAttentionLayer"],
    "positional": [
        "LearnedPositionalEncoding",
        "PositionalEncoding",
        "rotation",
        "sinusoidal_encoding",
    ],
    "transformer": [
        "AddNorm",
        "PositionWiseFFN",
        "ScaledEmbedding",
        "TransformerDecoder",
        "TransformerDecoderBlock",
        "TransformerEncoder",
        "TransformerEncoderBlock",
        "warmup_cosine",
        "warmup_cosine_factor",
    ],
    "tiling": ["online_softmax_step", "tiled_attention"],
    "flash": ["FlashAttention", "flash_attention"],
    "gqa": ["GroupedQueryAttention"],
    "kvcache": ["KVCache", "generate"],
    "rotary": ["apply_rotary"],
    "support.data": [
        "Vocab",
        "load_fra",
        "load_fra_batches",
        "make_translation_data",
    ],
    "support.device": ["try_device"],
    "support.metrics": ["alignment_accuracy", "bleu"],
    "support.reference": [
        "key_padding_mask",
        "to_torch_decoder_layer",
        "to_torch_encoder_layer",
        "to_torch_multihead",
    ],
    "support.seed": ["set_seed"],
    "support.training": ["masked_cross_entropy", "train_seq2seq"],
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)
__version__ = "0.1.0"


def __getattr__(name):
    """Import a public name's module on first use (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(
            f"module 'attn_course' has no attribute {name!r}"
        )
    value = getattr(
        importlib.import_module(f"attn_course.{_HOME[name]}"), name
    )
    globals()[name] = value
    return value


def __dir__():
    """The package's attributes, the public names included."""
    return sorted([*globals(), *__all__])
