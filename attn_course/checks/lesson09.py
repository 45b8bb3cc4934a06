"""Checks for the coding exercises of lesson 09 (the Transformer).

- ``check_my_causal_valid_lens(my_causal_valid_lens)``: 2-D valid lengths that make
  ``masked_softmax`` act as the causal mask.
- ``check_my_vaswani_rate(my_vaswani_rate)``: the learning rate of Vaswani et al. (2017),
  a linear warm-up then a decay as the inverse square root of the step, a Python float.
- ``check_my_pre_norm_block(my_pre_norm_block)``: a pre-norm encoder block computed
  from its parts; the student gets a copy of the block whose own ``forward`` and whose
  ``AddNorm``s' raise, so calling them fails the check.

Each check diagnoses the kind of a failure and gives hints in stages; no hint states
the recipe.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _
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
        return Failure("off_by_one", _("query t may see keys 0..t-1 only: query 0 sees nothing"))
    if torch.equal(values, expected + 1):
        return Failure("off_by_one", _("query t may see keys 0..t+1: one key of the future"))
    if torch.equal(values, torch.full_like(expected, expected.shape[1])):
        return Failure("not_causal", _("every query sees every key: nothing is hidden"))
    return None


CAUSAL_HINTS = {
    "off_by_one": [
        N_("Count on the smallest case: how many keys may query 0 see? And query 1?"),
        N_("A valid length is a count of keys, not the index of the last key."),
    ],
    "not_causal": [
        N_("Which keys lie in query t's future? Your lengths let it see them."),
        N_("The lengths should differ from row to row of the same sequence: how?"),
    ],
}


def check_my_causal_valid_lens(student: Callable) -> None:
    """Check ``student(batch_size, num_steps)`` -> int64 (batch_size, num_steps); prints."""
    cases = [
        Case(_("batch 2, 4 steps"), (2, 4)),
        Case(_("batch 3, 6 steps"), (3, 6)),
        Case(_("batch 1, 1 step"), (1, 1)),
        Case(_("batch 4, 2 steps"), (4, 2)),
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


def _vaswani_rate(step: int, warmup_steps: int, num_hiddens: int) -> float:
    """Vaswani et al. (2017), eq. 3: d^-0.5 min(s^-0.5, s s_w^-1.5)."""
    return num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def _probe(student: Callable, cases: list[Case]) -> list[float | None]:
    """The student's value on every case, None where it raised or is not a number."""
    values: list[float | None] = []
    for case in cases:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the run prints, not the probe
                actual = student(*case.args)
        except Exception:  # the run itself reports it
            actual = None
        number = isinstance(actual, (int, float)) and not isinstance(actual, bool)
        values.append(float(actual) if number and math.isfinite(actual) else None)
    return values


def _same(values: list[float]) -> bool:
    return all(math.isclose(v, values[0], rel_tol=1e-6, abs_tol=1e-9) for v in values)


def _whole_run(values: list[float | None], cases: list[Case]) -> tuple[str, Callable] | None:
    """A mistake that only the student's ``values`` on all cases together show, as a failure
    kind and a function of a case that says what was computed; None if none is seen.

    - "scale": the same ratio to the right rate at every step, a constant (a base rate
      multiplied in) or one power of d (d^0.5 for d^-0.5 gives d);
    - "step": the rate of step s + 1 at every step s (the steps counted from 0);
    - "min": the larger of the two right terms wherever they differ (a max for the min).
    A wrong term on one side only (a warm-up too steep, a decay too slow) also makes the
    min return the larger term there, but not on both sides."""
    if any(value is None for value in values):
        return None
    args = [case.args for case in cases]
    ratios = [value / _vaswani_rate(*arg) for value, arg in zip(values, args, strict=True)]
    if all(ratio > 0 for ratio in ratios) and not _same([*ratios, 1.0]):
        if _same(ratios):
            return "scale", lambda case: _("{ratio:.4g} times the right rate at every step").format(
                ratio=ratios[0]
            )
        powers = [
            math.log(ratio) / math.log(arg[2]) for ratio, arg in zip(ratios, args, strict=True)
        ]
        if _same(powers):
            power = round(powers[0], 6)
            message = {
                0.5: N_("off by the factor {factor} at every step; the factor d^-0.5 is missing"),
                -0.5: N_(
                    "off by the factor {factor} at every step; the factor d^-0.5 is applied twice"
                ),
                1.0: N_(
                    "off by the factor {factor} at every step; d^0.5 in place of d^-0.5 gives this"
                ),
            }.get(power, N_("off by the factor {factor} at every step"))
            factor = "d" if power == 1 else f"d^{power:g}"
            return "scale", lambda case: _(message).format(factor=factor)
    if all(
        math.isclose(value, _vaswani_rate(step + 1, warmup, d), rel_tol=1e-6)
        for value, (step, warmup, d) in zip(values, args, strict=True)
    ):
        return (
            "step",
            lambda case: _(
                "the rate of step {step}: the formula counts steps from 1, as the check does"
            ).format(step=case.args[0] + 1),
        )
    larger = [d**-0.5 * max(step * warmup**-1.5, step**-0.5) for step, warmup, d in args]
    if all(
        step == warmup or math.isclose(value, big, rel_tol=1e-6)
        for value, big, (step, warmup, __) in zip(values, larger, args, strict=True)
    ):
        return "min", lambda case: _("the larger of the two terms, not the smaller")
    return None


def _diagnose_vaswani(
    actual: Any,
    expected: Any,
    case: Case,
    whole_run: tuple[str, Callable] | None = None,
    both_phases: bool = False,
) -> Failure | None:
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return None  # compare() names the type
    if math.isclose(actual, expected, rel_tol=1e-6):
        return None
    step, warmup_steps, __ = case.args
    digits = 4 if f"{actual:.4g}" != f"{expected:.4g}" else 7  # show where they differ
    numbers = {"actual": f"{actual:.{digits}g}", "expected": f"{expected:.{digits}g}"}
    if whole_run is not None:
        kind, what = whole_run
        return Failure(
            kind,
            _("returned {actual}, expected {expected}: {what}").format(**numbers, what=what(case)),
        )
    warmup = step <= warmup_steps
    if both_phases and warmup:
        detail = _(
            "returned {actual}, expected {expected} "
            "(during the warm-up; the rate is off in both phases)"
        )
    elif both_phases:
        detail = _(
            "returned {actual}, expected {expected} "
            "(after the warm-up; the rate is off in both phases)"
        )
    elif warmup:
        detail = _("returned {actual}, expected {expected} (during the warm-up)")
    else:
        detail = _("returned {actual}, expected {expected} (after the warm-up)")
    kind = "phases" if both_phases else "warmup" if warmup else "decay"
    return Failure(kind, detail.format(**numbers))


VASWANI_HINTS = {
    "scale": [
        N_(
            "Your curve has the right shape but the wrong height. Which factor of the formula does "
            "not depend on the step?"
        ),
        N_(
            "Evaluate the model-size factor for d = 16 by hand and compare it with what your code "
            "multiplies by."
        ),
    ],
    "step": [
        N_(
            "Your rates are right, each for the step after the one asked for. Which number does "
            "the formula give the first step of training?"
        ),
        N_(
            "Work out the formula by hand at step 1 of a 4-step warm-up, then compare it with what "
            "your function returns for step 1."
        ),
    ],
    "min": [
        N_(
            "Before the warm-up ends, which of the two terms is smaller? And after it? Which one "
            "does the formula keep?"
        ),
        N_(
            "At the last warm-up step the two terms are equal. Draw both against the step: "
            "which one does the schedule follow before that step, and which after?"
        ),
    ],
    "phases": [
        N_(
            "Your rate is off both during the warm-up and after it, and not by one constant "
            "factor. Which of the formula's three factors differ from yours?"
        ),
        N_(
            "Work out the formula by hand at step 2 of a 4-step warm-up and at step 9, with d = "
            "16, and compare each of its factors with your code's."
        ),
    ],
    "warmup": [
        N_(
            "The warm-up is wrong. How should the rate change from one warm-up step to the next: "
            "by the same amount, or by the same ratio?"
        ),
        N_(
            "At the last warm-up step both terms must be equal. Check your warm-up term there: "
            "does it equal the decay term?"
        ),
    ],
    "decay": [
        N_(
            "The warm-up is right; the decay is not. By what factor should the rate fall when the "
            "step number is multiplied by 4?"
        ),
        N_("After the warm-up the rate is proportional to a power of the step. Which power?"),
    ],
}


def check_my_vaswani_rate(student: Callable) -> None:
    """Check ``student(step, warmup_steps, num_hiddens)`` -> float. Prints a verdict."""
    cases = [
        Case(_("step 1 of a 4000-step warm-up, d = 512"), (1, 4000, 512)),
        Case(_("step 1000 of a 4000-step warm-up, d = 512"), (1000, 4000, 512)),
        Case(_("the last warm-up step, d = 512"), (4000, 4000, 512)),
        Case(_("step 16000, after a 4000-step warm-up, d = 512"), (16000, 4000, 512)),
        Case(_("step 2 of a 4-step warm-up, d = 16"), (2, 4, 16)),
        Case(_("step 9, after a 4-step warm-up, d = 16"), (9, 4, 16)),
        Case(_("step 100, after a 1-step warm-up, d = 64"), (100, 1, 64)),
    ]
    values = _probe(student, cases)
    whole_run = _whole_run(values, cases)
    failing = {
        case.args[0] <= case.args[1]  # True: a warm-up step
        for case, value in zip(cases, values, strict=True)
        if value is not None and not math.isclose(value, _vaswani_rate(*case.args), rel_tol=1e-6)
    }
    run_check(
        "my_vaswani_rate",
        student,
        _vaswani_rate,
        cases,
        hints=VASWANI_HINTS,
        diagnose=lambda actual, expected, case: _diagnose_vaswani(
            actual, expected, case, whole_run, both_phases=len(failing) == 2
        ),
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


class _Forbidden(Exception):
    """Raised by a part the exercise says not to call; its message names the part."""


class _Called:
    """The student's function called a forbidden part, passed on for the diagnosis to name."""

    def __init__(self, part: str) -> None:
        self.part = part


def _guarded(block: TransformerEncoderBlock) -> TransformerEncoderBlock:
    """A copy of ``block`` whose ``forward`` and whose AddNorms' ``forward`` raise."""
    guarded = copy.deepcopy(block)
    parts = (("block", guarded), ("block.addnorm1", guarded.addnorm1))
    for part, module in (*parts, ("block.addnorm2", guarded.addnorm2)):

        def refuse(*args: Any, _part: str = part, **kwargs: Any) -> None:
            raise _Forbidden(_part)

        module.forward = refuse  # the instance's forward, called by module(...)
    return guarded


def _from_parts(student: Callable) -> Callable:
    """Run ``student`` on a guarded copy of the block: a call of the block or of an
    AddNorm comes back as ``_Called``."""

    def run(block: TransformerEncoderBlock, X: torch.Tensor, valid_lens: Any) -> Any:
        try:
            return student(_guarded(block), X, valid_lens)
        except _Forbidden as called:
            return _Called(str(called))

    return run


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
        no_ln2 = Y1 + ffn(Y1)  # the FFN reads the sum un-normalised
        Y3 = X + attend(X, valid_lens)
        no_ln1 = Y3 + ffn(ln2(Y3))  # the attention reads X un-normalised
        right = Y1 + ffn(ln2(Y1))
    return {
        "post_norm": post,
        "padding": no_padding,
        "residual": no_residual,
        "residual_attention": no_residual_attention,
        "ffn_input": stale_ffn_input,
        "ln1_twice": ln1_twice,
        "ln2_twice": ln2_twice,
        "no_ln2": no_ln2,
        "no_ln1": no_ln1,
        "ln1_after": ln1(right),
        "ln2_after": ln2(right),
    }


def _diagnose_block(actual: Any, expected: Any, case: Case) -> Failure | None:
    if isinstance(actual, _Called):
        if actual.part == "block":
            detail = _("called {part}, which computes the block for you: build it from its parts")
        else:
            detail = _(
                "called {part}, which computes a sublayer's Add & Norm for you: "
                "build it from its parts"
            )
        return Failure("called_block", detail.format(part=actual.part))
    if not isinstance(actual, torch.Tensor) or _close(actual, expected):
        return None
    block, X, valid_lens = case.args
    variants = _variants(block, X, valid_lens)
    if _close(actual, variants["post_norm"]):
        return Failure("post_norm", _("this is the post-norm block: the norm comes after the sum"))
    if valid_lens is not None and _close(actual, variants["padding"]):
        return Failure("padding", _("the padded keys were attended to"))
    if _close(actual, variants["residual_attention"]):
        return Failure(
            "residual", _("the residual connection around the attention (the '+ X') is missing")
        )
    if _close(actual, variants["residual"]):
        return Failure(
            "residual", _("the residual connection around the FFN (the '+ Y') is missing")
        )
    if _close(actual, variants["ffn_input"]):
        return Failure(
            "ffn_input",
            _(
                "the FFN read the block's normalised input: it must read the first sublayer's "
                "result, normalised by the second norm"
            ),
        )
    if _close(actual, variants["ln1_twice"]) or _close(actual, variants["ln2_twice"]):
        return Failure(
            "shared_norm", _("both sublayers used the same layer norm: each has its own")
        )
    if _close(actual, variants["no_ln2"]):
        return Failure(
            "missing_norm",
            _(
                "the FFN read its input un-normalised: each sublayer normalises what comes into "
                "it, with its own norm"
            ),
        )
    if _close(actual, variants["no_ln1"]):
        return Failure(
            "missing_norm",
            _(
                "the attention read X un-normalised: each sublayer normalises what comes into "
                "it, with its own norm"
            ),
        )
    if _close(actual, variants["ln1_after"]) or _close(actual, variants["ln2_after"]):
        return Failure(
            "extra_norm",
            _(
                "the block's output was normalised: a pre-norm block returns the residual sum "
                "as it is; only what enters each sublayer is normalised"
            ),
        )
    return None


BLOCK_HINTS = {
    "called_block": [
        N_(
            "Calling the block, or an AddNorm, lets it do the work the exercise asks you to write. "
            "Which four parts does the exercise name?"
        ),
        N_(
            "A pre-norm block is two sums of the form x + f(LN(x)). In each, which part is f and "
            "which norm is LN?"
        ),
    ],
    "post_norm": [
        N_(
            "Your block normalises the sum. In a pre-norm block, what does the layer norm see: the "
            "sublayer's input or its output?"
        ),
        N_("Write both sublayers as X + f(something): what is the something?"),
    ],
    "padding": [
        N_(
            "Your output matches when there is no padding, but not with padding. Which argument of "
            "the attention tells it which keys are real?"
        ),
    ],
    "residual": [
        N_("Compare the size of your output with X's: does X itself still reach the output?"),
        N_("Each of the two sublayers adds its result to what came in. Does yours?"),
    ],
    "ffn_input": [
        N_(
            "Your attention sublayer is right. What comes into the second sublayer: the block's "
            "input, or what the first sublayer handed on?"
        ),
        N_(
            "Each sublayer normalises what comes into it, with its own norm. Which tensor comes "
            "into the FFN's sublayer?"
        ),
    ],
    "missing_norm": [
        N_(
            "One sublayer reads its input as it comes. In a pre-norm block, what does every "
            "sublayer do to its input first?"
        ),
        N_(
            "The block has two layer norms and two sublayers. Does each norm appear in your code, "
            "in front of its sublayer?"
        ),
    ],
    "extra_norm": [
        N_(
            "Your sublayers are right, but something happens after the last sum. What does a "
            "pre-norm block hand on to the next block?"
        ),
        N_("Where do the layer norms sit in x + f(LN(x))? Is there one outside f?"),
    ],
    "shared_norm": [
        N_(
            "The block has two layer norms with different weights. Which one belongs to which "
            "sublayer?"
        ),
    ],
}


def check_my_pre_norm_block(student: Callable) -> None:
    """Check ``student(block, X, valid_lens)`` against a pre-norm block; print a verdict."""
    generator = torch.Generator().manual_seed(9)
    cases = [
        Case(
            _("8 features, 2 heads, no padding"),
            (_block(1, 8, 2), torch.randn(2, 5, 8, generator=generator), None),
        ),
        Case(
            _("8 features, 2 heads, padded sequences"),
            (_block(2, 8, 2), torch.randn(3, 6, 8, generator=generator), torch.tensor([6, 3, 1])),
        ),
        Case(
            _("12 features, 3 heads, one sequence of 4"),
            (_block(3, 12, 3), torch.randn(1, 4, 12, generator=generator), torch.tensor([2])),
        ),
    ]
    run_check(
        "my_pre_norm_block",
        _from_parts(student),
        _pre_norm,
        cases,
        hints=BLOCK_HINTS,
        diagnose=_diagnose_block,
    )
