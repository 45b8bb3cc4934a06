"""attn_course: the helper package of the attention course.

Each module holds one idea, built in the lesson named beside it; the
notebooks import from here so later lessons reuse earlier code.
"""

from attn_course.device import try_device
from attn_course.masking import causal_mask, length_mask, masked_softmax, sequence_mask
from attn_course.plotting import show_heatmaps
from attn_course.scoring import AdditiveAttention, DotProductAttention
from attn_course.seed import set_seed

__all__ = [
    "AdditiveAttention",
    "DotProductAttention",
    "causal_mask",
    "length_mask",
    "masked_softmax",
    "sequence_mask",
    "set_seed",
    "show_heatmaps",
    "try_device",
]

__version__ = "0.1.0"
