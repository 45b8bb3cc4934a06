"""Forward-pass speed of the course's multi-head attention against PyTorch's and the bare maths.

Run from the repository root: ``python benchmarks/bench_attention.py`` (``make bench``).
It prints a Markdown table, one row per shape (batch, steps, features, heads):

- ``nn.MHA``: ``torch.nn.MultiheadAttention`` with the same weights (``need_weights=False``,
  so PyTorch may take its fused path);
- ``ours``: ``attn_course.MultiHeadAttention`` (lesson 06);
- ``bare``: the same maths written inline: project, bmm, softmax, bmm, project;
- ``SDPA``: ``attn_course.SDPAMultiHeadAttention`` (the fused-kernel version of lesson 06).

Self-attention on one CPU thread, in ``torch.inference_mode()``, nothing masked. The four
run in turn, round after round, so that a change in the machine's load hits all of them;
each time is the median over the rounds. The clock is the thread's CPU time by default
(``--clock cpu``: on a shared machine, time spent waiting for a core is not counted);
``--clock wall`` uses ``time.perf_counter``. A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # attn_course, uninstalled too
from attn_course.multihead import MultiHeadAttention, SDPAMultiHeadAttention  # noqa: E402
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
    batch_size, steps, num_hiddens = X.shape
    p = num_hiddens // num_heads

    def heads(W: torch.Tensor) -> torch.Tensor:  # (batch * heads, steps, p)
        Y = F.linear(X, W).reshape(batch_size, steps, num_heads, p).transpose(1, 2)
        return Y.reshape(batch_size * num_heads, steps, p)

    Q, K, V = heads(W_q), heads(W_k), heads(W_v)
    weights = torch.softmax(torch.bmm(Q, K.transpose(1, 2)) / math.sqrt(p), dim=-1)
    output = torch.bmm(weights, V).reshape(batch_size, num_heads, steps, p).transpose(1, 2)
    return F.linear(output.reshape(batch_size, steps, num_hiddens), W_o)


def implementations(
    batch_size: int, steps: int, num_hiddens: int, num_heads: int
) -> dict[str, Callable[[], torch.Tensor]]:
    """One call per implementation, all with the same weights and the same input."""
    torch.manual_seed(0)
    ours = MultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads)
    ours.eval()
    fused = SDPAMultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads)
    fused.load_state_dict(ours.state_dict())
    fused.eval()
    theirs = to_torch_multihead(ours).eval()
    weights = [layer.weight for layer in (ours.W_q, ours.W_k, ours.W_v, ours.W_o)]
    X = torch.randn(batch_size, steps, num_hiddens)
    return {
        "nn.MHA": lambda: theirs(X, X, X, need_weights=False)[0],
        "ours": lambda: ours(X, X, X),
        "bare": lambda: bare_attention(X, *weights, num_heads),
        "SDPA": lambda: fused(X, X, X),
    }


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def median_times(
    calls: dict[str, Callable[[], torch.Tensor]],
    min_rounds: int,
    budget: float,
    clock: Callable[[], float],
) -> dict[str, float]:
    """Median seconds per call, the calls taken in turn for at least ``min_rounds`` rounds."""
    for call in calls.values():  # warm up
        for _ in range(3):
            call()
    start = time.perf_counter()
    for call in calls.values():
        call()
    per_round = time.perf_counter() - start
    rounds = max(min_rounds, math.ceil(budget / max(per_round, 1e-9)))
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            begin = clock()
            call()
            seconds[name].append(clock() - begin)
    return {name: statistics.median(values) for name, values in seconds.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-rounds", type=int, default=30, help="rounds at least (30)")
    parser.add_argument(
        "--budget",
        type=float,
        default=4.0,
        help="seconds of timing per shape, all four together (4)",
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
            calls = implementations(*shape)
            outputs = {name: call() for name, call in calls.items()}
            gap = max((out - outputs["nn.MHA"]).abs().max().item() for out in outputs.values())
            times = median_times(calls, args.min_rounds, args.budget, CLOCKS[args.clock])
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
