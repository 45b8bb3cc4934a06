"""Checks for the coding exercises of lesson 09 (the Transformer).

- ``check_my_causal_valid_lens(my_causal_valid_lens)``: 2-D valid lengths that make
  ``masked_softmax`` act as the causal mask.
- ``check_my_warmup_cosine_factor(my_warmup_cosine_factor)``: the learning-rate factor of
  a linear warm-up followed by a cosine decay to 0, a Python float.
- ``check_my_pre_norm_block(my_pre_norm_block)``: a pre-norm encoder block computed
  from its parts.

Each check diagnoses the kind of a failure and gives hints in stages; no hint states
the recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.transformer import TransformerEncoderBlock


def _close(actual: Any, expected: torch.Tensor) -> bool:
    return (
        isinstance(actual, torch.Tensor)
        and actual.shape == expected.shape
        and torch.allclose(actual.detach().double(), expected.detach().double(), atol=1e-5)
    )


# ---------------------------------------------------------------- exercise 1


def _causal_valid_lens(batch_size: int, num_steps: int) -> torch.Tensor:
    """Query t sees keys 0..t: length t + 1 for every sequence, (batch_size, num_steps)."""
    return torch.arange(1, num_steps + 1).repeat(batch_size, 1)


def _diagnose_causal(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    values = actual.long()
    if torch.equal(values, expected):
        return None  # right values (the dtype is compared afterwards)
    if torch.equal(values, expected - 1):
        return Failure("off_by_one", "query t may see keys 0..t-1 only: query 0 sees nothing")
    if torch.equal(values, expected + 1):
        return Failure("off_by_one", "query t may see keys 0..t+1: one key of the future")
    if torch.equal(values, torch.full_like(expected, expected.shape[1])):
        return Failure("not_causal", "every query sees every key: nothing is hidden")
    return None


CAUSAL_HINTS = {
    "off_by_one": [
        "Count on the smallest case: how many keys may query 0 see? And query 1?",
        "A valid length is a count of keys, not the index of the last key.",
    ],
    "not_causal": [
        "Which keys lie in query t's future? Your lengths let it see them.",
        "The lengths should differ from row to row of the same sequence: how?",
    ],
}


def check_my_causal_valid_lens(student: Callable) -> None:
    """Check ``student(batch_size, num_steps)`` -> int64 (batch_size, num_steps); prints."""
    cases = [
        Case("batch 2, 4 steps", (2, 4)),
        Case("batch 3, 6 steps", (3, 6)),
        Case("batch 1, 1 step", (1, 1)),
        Case("batch 4, 2 steps", (4, 2)),
    ]
    run_check(
        "my_causal_valid_lens",
        student,
        _causal_valid_lens,
        cases,
        hints=CAUSAL_HINTS,
        diagnose=_diagnose_causal,
    )


# ---------------------------------------------------------------- exercise 2


def _warmup_cosine_factor(step: int, warmup_steps: int, num_steps: int) -> float:
    if step <= warmup_steps:
        return step / warmup_steps
    progress = (step - warmup_steps) / (num_steps - warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * progress))


def _diagnose_schedule(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return None
    if abs(actual - expected) <= 1e-6:
        return None
    step, warmup_steps, _ = case.args
    phase = "warmup" if step <= warmup_steps else "decay"
    return Failure(phase, f"returned {actual:.4f}, expected {expected:.4f}")


SCHEDULE_HINTS = {
    "type": [
        "The check expects a plain Python number (a float), as the factor that LambdaLR "
        "multiplies the learning rate by. Which line of your function makes its result "
        "something else?",
        "The functions of Python's math module take and return plain numbers; torch's "
        "functions return tensors.",
    ],
    "warmup": [
        "The warm-up is wrong. What should the factor be at the last warm-up step? At step 1?",
        "During the warm-up the factor grows in equal steps: by how much per step?",
    ],
    "decay": [
        "The warm-up is right; the decay is not. What should the factor be at the very last "
        "step, and right after the warm-up?",
        "Write the decay as a function of how far through the decay you are, from 0 to 1. What "
        "does the cosine term give at 0, at 1/2 and at 1?",
    ],
}


def check_my_warmup_cosine_factor(student: Callable) -> None:
    """Check ``student(step, warmup_steps, num_steps)`` -> float. Prints a verdict."""
    cases = [
        Case("step 1 of a 10-step warm-up", (1, 10, 100)),
        Case("step 5 of a 10-step warm-up", (5, 10, 100)),
        Case("the last warm-up step", (10, 10, 100)),
        Case("the first step after the warm-up", (11, 10, 100)),
        Case("a quarter of the way through the decay", (33, 10, 100)),
        Case("half-way through the decay", (55, 10, 100)),
        Case("the last step", (100, 10, 100)),
        Case("no warm-up at all, step 1", (1, 0, 50)),
    ]
    run_check(
        "my_warmup_cosine_factor",
        student,
        _warmup_cosine_factor,
        cases,
        hints=SCHEDULE_HINTS,
        diagnose=_diagnose_schedule,
    )


# ---------------------------------------------------------------- exercise 3


def _block(seed: int, num_hiddens: int, num_heads: int) -> TransformerEncoderBlock:
    torch.manual_seed(seed)
    block = TransformerEncoderBlock(num_hiddens, 2 * num_hiddens, num_heads, norm_first=True)
    with torch.no_grad():
        for ln in (block.addnorm1.ln, block.addnorm2.ln):  # norms that are not the identity
            ln.weight.uniform_(0.5, 1.5)
            ln.bias.uniform_(-0.5, 0.5)
    return block.eval().requires_grad_(False)  # outputs without autograd history


def _pre_norm(block: TransformerEncoderBlock, X: torch.Tensor, valid_lens: Any) -> torch.Tensor:
    return block(X, valid_lens)


def _variants(block: Any, X: torch.Tensor, valid_lens: Any) -> dict[str, torch.Tensor]:
    """Known wrong computations, by failure kind."""
    ln1, ln2, attention, ffn = block.addnorm1.ln, block.addnorm2.ln, block.attention, block.ffn

    def attend(Z: torch.Tensor, lens: Any) -> torch.Tensor:
        return attention(Z, Z, Z, lens)

    with torch.no_grad():
        Z = ln1(X)
        post = ln1(X + attend(X, valid_lens))
        post = ln2(post + ffn(post))
        Y = X + attend(Z, None)
        no_padding = Y + ffn(ln2(Y))
        Y = X + attend(Z, valid_lens)
        no_residual = ffn(ln2(Y))
        Y_missing = attend(Z, valid_lens)
        no_residual_attention = Y_missing + ffn(ln2(Y_missing))
        stale_ffn_input = Y + ffn(Z)  # the FFN reads LN1(X), not LN2(Y)
        Y1 = X + attend(Z, valid_lens)
        ln1_twice = Y1 + ffn(ln1(Y1))
        Z2 = ln2(X)
        Y2 = X + attend(Z2, valid_lens)
        ln2_twice = Y2 + ffn(ln2(Y2))
    return {
        "post_norm": post,
        "padding": no_padding,
        "residual": no_residual,
        "residual_attention": no_residual_attention,
        "ffn_input": stale_ffn_input,
        "ln1_twice": ln1_twice,
        "ln2_twice": ln2_twice,
    }


def _diagnose_block(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or _close(actual, expected):
        return None
    block, X, valid_lens = case.args
    variants = _variants(block, X, valid_lens)
    if _close(actual, variants["post_norm"]):
        return Failure("post_norm", "this is the post-norm block: the norm comes after the sum")
    if valid_lens is not None and _close(actual, variants["padding"]):
        return Failure("padding", "the padded keys were attended to")
    if _close(actual, variants["residual"]) or _close(actual, variants["residual_attention"]):
        return Failure("residual", "a residual connection (the '+ X') is missing")
    if _close(actual, variants["ffn_input"]):
        return Failure(
            "ffn_input",
            "the FFN read the block's normalised input: it must read the first sublayer's "
            "result, normalised by the second norm",
        )
    if _close(actual, variants["ln1_twice"]) or _close(actual, variants["ln2_twice"]):
        return Failure("shared_norm", "both sublayers used the same layer norm: each has its own")
    return None


BLOCK_HINTS = {
    "post_norm": [
        "Your block normalises the sum. In a pre-norm block, what does the layer norm see: "
        "the sublayer's input or its output?",
        "Write both sublayers as X + f(something): what is the something?",
    ],
    "padding": [
        "Your output matches when there is no padding, but not with padding. Which argument "
        "of the attention tells it which keys are real?",
    ],
    "residual": [
        "Compare the size of your output with X's: does X itself still reach the output?",
        "Each of the two sublayers adds its result to what came in. Does yours?",
    ],
    "ffn_input": [
        "Your attention sublayer is right. What comes into the second sublayer: the block's "
        "input, or what the first sublayer handed on?",
        "Each sublayer normalises what comes into it, with its own norm. Which tensor comes "
        "into the FFN's sublayer?",
    ],
    "shared_norm": [
        "The block has two layer norms with different weights. Which one belongs to which "
        "sublayer?",
    ],
}


def check_my_pre_norm_block(student: Callable) -> None:
    """Check ``student(block, X, valid_lens)`` against a pre-norm block; print a verdict."""
    generator = torch.Generator().manual_seed(9)
    cases = [
        Case(
            "8 features, 2 heads, no padding",
            (_block(1, 8, 2), torch.randn(2, 5, 8, generator=generator), None),
        ),
        Case(
            "8 features, 2 heads, padded sequences",
            (_block(2, 8, 2), torch.randn(3, 6, 8, generator=generator), torch.tensor([6, 3, 1])),
        ),
        Case(
            "12 features, 3 heads, one sequence of 4",
            (_block(3, 12, 3), torch.randn(1, 4, 12, generator=generator), torch.tensor([2])),
        ),
    ]
    run_check(
        "my_pre_norm_block", student, _pre_norm, cases, hints=BLOCK_HINTS, diagnose=_diagnose_block
    )
