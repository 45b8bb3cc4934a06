"""The course's layers compile into one graph and compute what they compute eagerly.

The input checks are skipped while ``torch.compile`` traces (they read values), so
``fullgraph=True`` holds with and without valid lengths. On Linux the default backend
(inductor, which generates C++) runs; elsewhere ``aot_eager`` traces the same graph
without needing a C++ compiler on the machine.
"""

from __future__ import annotations

import sys

import pytest
import torch

from attn_course.multihead import MultiHeadAttention
from attn_course.transformer import TransformerEncoder, TransformerEncoderBlock

# PyTorch's own compiler code still calls torch.jit.script_method, which warns.
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script_method:DeprecationWarning")
BACKEND = "inductor" if sys.platform == "linux" else "aot_eager"
X = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(0))
TOKENS = torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]])
LENS = torch.tensor([3, 5])
CASES = {
    "MultiHeadAttention": (lambda: MultiHeadAttention(8, 8, 8, 8, 2), (X, X, X)),
    "TransformerEncoderBlock": (lambda: TransformerEncoderBlock(8, 16, 2), (X,)),
    "TransformerEncoder": (lambda: TransformerEncoder(10, 8, 16, 2, 2), (TOKENS,)),
}


def first(output):
    return output[0] if isinstance(output, tuple) else output


@pytest.mark.parametrize("with_lens", [False, True], ids=["no-valid-lens", "valid-lens"])
@pytest.mark.parametrize("name", CASES)
def test_compiles_to_one_graph_with_the_eager_result(name, with_lens):
    make, inputs = CASES[name]
    torch.manual_seed(0)
    layer = make().eval()
    if with_lens or name == "TransformerEncoder":  # the encoder always takes lengths
        inputs = (*inputs, LENS if with_lens else torch.tensor([5, 5]))
    torch._dynamo.reset()
    explained = torch._dynamo.explain(layer)(*inputs)
    assert explained.graph_break_count == 0, explained.break_reasons
    compiled = torch.compile(layer, fullgraph=True, backend=BACKEND)
    with torch.no_grad():
        torch.testing.assert_close(
            first(compiled(*inputs)), first(layer(*inputs)), atol=1e-5, rtol=1e-5
        )
