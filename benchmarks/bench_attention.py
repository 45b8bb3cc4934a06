"""Forward-pass speed of the course's multi-head attention against PyTorch's and the bare maths.

Run from the repository root: ``python benchmarks/bench_attention.py`` (``make bench``).
It prints a Markdown table, one row per shape (batch, steps, features, heads):

- ``nn.MHA``: ``torch.nn.MultiheadAttention`` with the same weights and, like ours, no
  biases, so it takes PyTorch's general path, which with ``need_weights=False`` calls
  ``scaled_dot_product_attention`` (the native fast path needs biases);
- ``ours``: ``attn_course.MultiHeadAttention`` (lesson 06);
- ``bare``: the same maths written inline: project, bmm, softmax, bmm, project;
- ``SDPA``: ``attn_course.SDPAMultiHeadAttention`` (the fused-kernel version of lesson 06).

Self-attention on one CPU thread, in ``torch.inference_mode()``, nothing masked. The four
run in turn, round after round (``attn_course.support.complexity.sweep_forward_seconds``,
which times with ``torch.utils.benchmark``), so that a change in the machine's load hits
all of them; each time is the median over the rounds. The clock is the thread's CPU time
by default (``--clock cpu``: on a shared machine, time spent waiting for a core is not
counted); ``--clock wall`` uses ``time.perf_counter``. A benchmark, not a test: nothing
here asserts.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # attn_course, uninstalled too
from attn_course.multihead import (  # noqa: E402
    MultiHeadAttention,
    SDPAMultiHeadAttention,
    transpose_output,
    transpose_qkv,
)
from attn_course.support.complexity import sweep_forward_seconds  # noqa: E402
from attn_course.support.reference import to_torch_multihead  # noqa: E402

SHAPES = [(8, 256, 128, 8), (32, 64, 256, 8), (2, 1024, 64, 4)]  # (batch, steps, features, heads)
TARGET_SHAPE = (8, 256, 128, 8)
TARGETS = {"ours / nn.MHA": 1.5, "ours / bare": 1.1}


def bare_attention(
    X: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    num_heads: int,
) -> torch.Tensor:
    """Multi-head self-attention written inline: X (batch, steps, d) -> (batch, steps, d)."""
    Q, K, V = (transpose_qkv(F.linear(X, W), num_heads) for W in (W_q, W_k, W_v))
    weights = torch.softmax(torch.bmm(Q, K.transpose(1, 2)) / math.sqrt(Q.shape[-1]), dim=-1)
    return F.linear(transpose_output(torch.bmm(weights, V), num_heads), W_o)


def implementations(
    num_hiddens: int, num_heads: int
) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """One call of X per implementation, all with the same weights."""
    torch.manual_seed(0)
    ours = MultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads)
    ours.eval()
    fused = SDPAMultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads)
    fused.load_state_dict(ours.state_dict())
    fused.eval()
    theirs = to_torch_multihead(ours).eval()
    weights = [layer.weight for layer in (ours.W_q, ours.W_k, ours.W_v, ours.W_o)]
    return {
        "nn.MHA": lambda X: theirs(X, X, X, need_weights=False)[0],
        "ours": lambda X: ours(X, X, X),
        "bare": lambda X: bare_attention(X, *weights, num_heads),
        "SDPA": lambda X: fused(X, X, X),
    }


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds of timing (30)")
    parser.add_argument(
        "--min-seconds", type=float, default=0.02, help="seconds of one measurement at least"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: the thread's CPU time (default); wall: elapsed time",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows, ratios_at_target = [], {}
    with torch.inference_mode():
        for shape in SHAPES:
            batch_size, steps, num_hiddens, num_heads = shape
            calls = implementations(num_hiddens, num_heads)
            X = torch.randn(batch_size, steps, num_hiddens)
            outputs = {name: call(X) for name, call in calls.items()}
            gap = max((out - outputs["nn.MHA"]).abs().max().item() for out in outputs.values())
            seconds = sweep_forward_seconds(
                [(call, X) for call in calls.values()],
                repeats=args.rounds,
                min_seconds=args.min_seconds,
                clock=CLOCKS[args.clock],
            )
            times = dict(zip(calls, seconds, strict=True))
            ms = {name: 1e3 * value for name, value in times.items()}
            ratios = {
                "ours / nn.MHA": times["ours"] / times["nn.MHA"],
                "bare / nn.MHA": times["bare"] / times["nn.MHA"],
                "ours / bare": times["ours"] / times["bare"],
            }
            if shape == TARGET_SHAPE:
                ratios_at_target = ratios
            rows.append(
                f"| {shape} | {ms['nn.MHA']:.2f} | {ms['ours']:.2f} | {ms['bare']:.2f} | "
                f"{ms['SDPA']:.2f} | {ratios['ours / nn.MHA']:.2f} | "
                f"{ratios['bare / nn.MHA']:.2f} | {ratios['ours / bare']:.2f} | {gap:.1e} |"
            )
    print(
        f"torch {torch.__version__}, 1 thread, forward pass in inference mode, "
        f"self-attention, nothing masked; medians of {args.clock} time"
    )
    print()
    print(
        "| (batch, steps, features, heads) | nn.MHA ms | ours ms | bare ms | SDPA ms "
        "| ours / nn.MHA | bare / nn.MHA | ours / bare | max difference |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print()
    for name, limit in TARGETS.items():
        ratio = ratios_at_target[name]
        verdict = "met" if ratio <= limit else "missed"
        print(f"target at {TARGET_SHAPE}: {name} <= {limit}: {verdict} ({ratio:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
