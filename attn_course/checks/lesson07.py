"""Checks for the coding exercises of lesson 07 (self-attention compared with CNNs and RNNs)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from attn_course.checks.core import Case, CaseResult, Failure, evaluate, report
from attn_course.checks.i18n import N_, _

LAYER_NAMES = ("Conv1d", "GRU", N_("self-attention"))


def _multiply_adds(num_steps: int, num_hiddens: int, kernel_size: int) -> tuple[int, int, int]:
    """Reference: (Conv1d, GRU, self-attention layer) multiply-adds, biases and softmax ignored."""
    n, d, k = num_steps, num_hiddens, kernel_size
    conv = k * n * d * d  # k matrices d x d per output position
    gru = 6 * n * d * d  # reset and update gates, candidate: each an input and a hidden d x d
    attention = 3 * n * d * d + 2 * n * n * d  # W_q, W_k, W_v, then Q K^T and weights @ V
    return conv, gru, attention


def _plain_numbers(student: Callable) -> Callable:
    """``student`` with integers of any kind (``numpy.int64`` ...) returned as Python ints.

    A count is right whatever integer type carries it; the checks then compare plain ints.
    Floats and bools are left alone, for the diagnosis to name (a count is a whole number).
    """

    def plain(value: Any) -> Any:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, (tuple, list)):
            return type(value)(plain(entry) for entry in value)
        return value

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return plain(student(*args, **kwargs))

    return wrapped


def _conv_real_taps(num_steps: int, num_hiddens: int, kernel_size: int) -> int:
    """Conv1d multiply-adds if the taps that fall on the zero padding were skipped."""
    reach = (kernel_size - 1) // 2
    taps = sum(min(i + reach, num_steps - 1) - max(i - reach, 0) + 1 for i in range(num_steps))
    return taps * num_hiddens * num_hiddens


def _ratio(actual: float, expected: float, position: int, factors: bool = True) -> str:
    """'entry 2 (self-attention) is 3 times too small', '... is too large' ...: how the
    count of entry ``position`` misses, without giving it away.

    ``factors=False`` on a single token of size 1, where any extra n * d or n * n term looks
    like a whole factor of n * d * d: there only the direction is told.
    """
    name = _(LAYER_NAMES[position])
    if factors and actual > 0 and expected > 0:
        for factor in (2, 3, 4, 6):
            if actual * factor == expected:
                return _("entry {position} ({name}) is {factor} times too small").format(
                    position=position, name=name, factor=factor
                )
            if actual == expected * factor:
                return _("entry {position} ({name}) is {factor} times too large").format(
                    position=position, name=name, factor=factor
                )
    if actual > expected:
        return _("entry {position} ({name}) is too large").format(position=position, name=name)
    return _("entry {position} ({name}) is too small").format(position=position, name=name)


def _diagnose_multiply_adds(actual: Any, expected: tuple, case: Case) -> Failure | None:
    """Name the layer whose count is wrong, and how it misses (W_o is named by the check)."""
    if isinstance(actual, list):
        actual = tuple(actual)
    if not isinstance(actual, tuple):
        kind = type(actual).__name__
        return Failure(
            "type",
            _("returned a {type_name}, expected a tuple of three ints").format(type_name=kind),
        )
    if len(actual) != 3:
        count = len(actual)
        return Failure(
            "shape",
            _("returned {count} entries, expected 3 (Conv1d, GRU, attention)").format(count=count),
        )
    for position, value in enumerate(actual):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            kind = type(value).__name__
            return Failure(
                "type",
                _(
                    "entry {position} is a {type_name}: a count of multiply-adds is a whole "
                    "number, return ints"
                ).format(position=position, type_name=kind),
            )
    if actual == tuple(2 * wanted for wanted in expected):
        return Failure(
            "flops",
            _(
                "every entry is 2 times the multiply-adds: a count of floating-point operations, "
                "which counts a multiply and an add separately"
            ),
        )
    n, d, k = case.args
    for position, (value, wanted) in enumerate(zip(actual, expected, strict=True)):
        if value == wanted:
            continue
        if position == 0 and value == _conv_real_taps(n, d, k) and value != n * d * d:
            return Failure(
                "padding",
                _(
                    "entry 0 (Conv1d) leaves out the taps that fall on the zero padding at the "
                    "ends; nn.Conv1d multiplies those zeros too"
                ),
            )
        kind = ("conv", "gru", "attention")[position]
        if position == 2 and value > wanted:
            kind = "attention_extra"
        return Failure(kind, _ratio(value, wanted, position, factors=(n, d) != (1, 1)))
    return None


def _name_output_projection(results: list[CaseResult], answers: dict[int, Any]) -> None:
    """Name W_o where the self-attention entry is one n * d * d too large on every failing case.

    On a single token of size 1 any extra term (the softmax's n * n, a scaling's n * d) is one
    n * d * d too, so the mistake is named only if it fits every case the answer fails.
    """
    failing = [number for number, result in enumerate(results) if not result.passed]
    cases = _MULTIPLY_ADD_CASES

    def extra_projection(number: int) -> bool:
        n, d, k = cases[number].args
        conv, gru, attention = _multiply_adds(n, d, k)
        return results[number].kind == "attention_extra" and tuple(answers[number]) == (
            conv,
            gru,
            attention + n * d * d,
        )

    if failing and all(extra_projection(number) for number in failing):
        for number in failing:
            results[number] = CaseResult(
                cases[number].description,
                False,
                _(
                    "entry 2 (self-attention) counts one (d x d) projection too many: "
                    "SelfAttentionLayer has no output projection W_o"
                ),
                "output_projection",
            )


def _name_missing_product(results: list[CaseResult], answers: dict[int, Any]) -> None:
    """Name one product between positions left out (n * n * d short) if it fits every failing case.

    At n = 2d one n * n * d is two n * d * d (two projections left out), so no single case can
    tell the two apart; the cases together can.
    """
    failing = [number for number, result in enumerate(results) if not result.passed]
    cases = _MULTIPLY_ADD_CASES

    def one_product_short(number: int) -> bool:
        n, d, k = cases[number].args
        conv, gru, attention = _multiply_adds(n, d, k)
        return results[number].kind == "attention" and tuple(answers[number]) == (
            conv,
            gru,
            attention - n * n * d,
        )

    if failing and all(one_product_short(number) for number in failing):
        for number in failing:
            results[number] = CaseResult(
                cases[number].description,
                False,
                _(
                    "entry 2 (self-attention) counts the projections but one product between "
                    "positions too few (it is n * n * d short)"
                ),
                "attention_product",
            )


MULTIPLY_ADD_HINTS = {
    "conv": [
        N_(
            "Your Conv1d count is off. For one output position, how many d x d matrices does the "
            "kernel apply, and to which inputs?"
        ),
        N_(
            "One d x d matrix times a vector costs d * d multiply-adds. Count them for one output "
            "position first, then for all n positions."
        ),
    ],
    "gru": [
        N_(
            "Your GRU count is off. What does a GRU compute at every step besides its two gates, "
            "and how many d x d matrices does each of those pieces multiply?"
        ),
        N_(
            "Each piece reads the input x_t and the previous state h_(t-1), each through its own "
            "matrix (nn.GRU's weight_ih_l0 and weight_hh_l0 hold them). Count one step, then n "
            "steps."
        ),
    ],
    "attention": [
        N_(
            "Your self-attention count is too small. Did you count the projections and both "
            "products between positions?"
        ),
        N_(
            "Write down the shapes: X W_q is (n x d) times (d x d); Q K^T is (n x d) times (d x "
            "n); the weights times V is (n x n) times (n x d). A product (a x b)(b x c) costs a * "
            "b * c."
        ),
    ],
    "attention_product": [
        N_(
            "Your self-attention count has the projections but one product between positions too "
            "few. Which products between positions does DotProductAttention compute?"
        ),
        N_(
            "Write down the shapes: Q K^T is (n x d) times (d x n); the weights times V is (n x n) "
            "times (n x d). A product (a x b)(b x c) costs a * b * c."
        ),
    ],
    "attention_extra": [
        N_(
            "Your self-attention count is too large. Does it count work the exercise says to "
            "ignore (the softmax, the scaling by 1 / sqrt(d), biases)?"
        ),
        N_(
            "Count matrix products only: which ones do SelfAttentionLayer and DotProductAttention "
            "compute? A product (a x b)(b x c) costs a * b * c."
        ),
    ],
    "padding": [
        N_(
            "Near the ends of the sequence some taps of the kernel fall on the zero padding. Does "
            "nn.Conv1d skip those multiplications, and which does the exercise ask you to count?"
        ),
        N_("Count as the layer computes: every output position applies every tap of its kernel."),
    ],
    "flops": [
        N_(
            "All three counts are off by the same factor. Is one multiply-add one operation or two?"
        ),
        N_(
            "FlopCounterMode and most FLOP counts count a multiply and an add separately; the "
            "exercise counts them together."
        ),
    ],
    "output_projection": [
        N_(
            "Your self-attention count includes a projection that SelfAttentionLayer does not "
            "have. Which nn.Linear layers does its __init__ create?"
        ),
        N_(
            "Lesson 06's MultiHeadAttention ends with W_o; the layer of this lesson returns the "
            "attention's output as it is."
        ),
    ],
    "type": [
        N_("Return one tuple of three ints, in the order (Conv1d, GRU, self-attention)."),
    ],
    "shape": [
        N_("How many layers does the exercise ask about? Return one count for each, in a tuple."),
    ],
}


_MULTIPLY_ADD_CASES = [
    Case(N_("n=10, d=4, k=3"), (10, 4, 3)),
    Case(N_("a single token of size 1"), (1, 1, 3)),
    Case(N_("n=128, d=64, k=5"), (128, 64, 5)),
    Case(N_("n=1000, d=512, k=7 (long and wide)"), (1000, 512, 7)),
]


def _translated(results: list[CaseResult] | None) -> list[CaseResult] | None:
    """``results`` with the descriptions of the module's cases (marked with ``N_``) translated."""
    for result in results or []:
        result.description = _(result.description)
    return results


def check_my_multiply_adds(student: Callable) -> None:
    """Check ``my_multiply_adds(num_steps, num_hiddens, kernel_size) -> (conv, gru, attention)``."""
    answers: dict[int, Any] = {}  # case number -> the student's tuple

    def diagnose(actual: Any, expected: tuple, case: Case) -> Failure | None:
        number = next(i for i, known in enumerate(_MULTIPLY_ADD_CASES) if known is case)
        answers[number] = actual
        return _diagnose_multiply_adds(actual, expected, case)

    results = evaluate(
        _plain_numbers(student), _multiply_adds, _MULTIPLY_ADD_CASES, diagnose=diagnose
    )
    if results is not None:
        _name_output_projection(results, answers)
        _name_missing_product(results, answers)
    report("my_multiply_adds", _translated(results), hints=MULTIPLY_ADD_HINTS)


def _dilated_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Reference: dilations 1, 2, 4, ...; layer l reaches r * 2**(l-1) positions further.

    A same-padded kernel of odd size k reaches r = (k - 1) / 2 positions to each side at
    dilation 1, and r * 2**(l-1) at dilation 2**(l-1); output 0 sees input n - 1 once the
    reaches add up to n - 1 (``tests/test_complexity.py`` checks this on real convolutions).
    """
    return _doubling_layers_needed(num_steps, (kernel_size - 1) // 2)


def _doubling_layers_needed(num_steps: int, reach_per_layer: int) -> int:
    """Layers with dilations 1, 2, 4, ... when layer 1 moves ``reach_per_layer`` positions."""
    layers, reach = 0, 0
    while reach < num_steps - 1:
        reach += reach_per_layer * 2**layers  # layer layers + 1 has dilation 2**layers
        layers += 1
    return layers


def _plain_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Layers of undilated convolutions: ceil((n - 1) / ((k - 1) / 2))."""
    return -(-(num_steps - 1) // ((kernel_size - 1) // 2))


def _smallest_power_at_least(base: int, value: int) -> int:
    """The smallest L >= 0 with base**L >= value, in integers (no rounding errors)."""
    power = 0
    while base**power < value:
        power += 1
    return power


def _log2_of_reaches(num_steps: int, kernel_size: int, plus: int) -> float:
    """log2((n - 1) / r + plus), the logarithm that closed forms of the count take."""
    return math.log2((num_steps - 1) / ((kernel_size - 1) // 2) + plus)


def _layers_reaching_r_2_to_the_l(num_steps: int, kernel_size: int) -> int:
    """The smallest L with r * 2**L >= n - 1: as if L layers reached r * 2**L together."""
    reach_per_layer, layers = (kernel_size - 1) // 2, 0
    while reach_per_layer * 2**layers < num_steps - 1:
        layers += 1
    return layers


def _one_layer_too_many(num_steps: int, kernel_size: int) -> int:
    """Layers added until the reach exceeds n - 1 (a reach of exactly n - 1 is enough)."""
    reach_per_layer, layers, reach = (kernel_size - 1) // 2, 0, 0
    while reach <= num_steps - 1:
        reach += reach_per_layer * 2**layers
        layers += 1
    return layers


def _k_fold_dilations(num_steps: int, kernel_size: int) -> int:
    """Layers with dilations 1, k, k^2, ... if the reaches r k^l added up without gaps."""
    reach_per_layer, layers, reach = (kernel_size - 1) // 2, 0, 0
    while reach < num_steps - 1:
        reach += reach_per_layer * kernel_size**layers
        layers += 1
    return layers


# Known wrong answers: (kind, count, what the count does), each a whole function of (n, k).
# A wrong answer is named only if it equals one of them on every case (tests/exercise_answers/
# lesson07.py lists them). A count rounded down and a reach of 2r per layer are only ever one
# layer too few, and ceil(log2((n - 1) / r)) one too few where a rounded-down count is too:
# on one case they agree, and only the cases together tell them apart.
_DILATED_MISTAKES: list[tuple[str, Callable[[int, int], int], str]] = [
    ("linear", _plain_layers_needed, N_("the count for convolutions without dilation")),
    *(
        (
            "log_k",
            count,
            N_(
                "a count with a logarithm to the base k = {k}, like the paper's O(log_k n); "
                "these dilations double"
            ),
        )
        for count in (
            # the paper's entry taken as a count (exact for causal kernels, dilations k^l)
            lambda n, k: _smallest_power_at_least(k, n),
            lambda n, k: math.ceil(math.log(n, k)) if n > 1 else 0,
            # reaches r (1 + k + ... + k^(L-1)) summed as if same-padded kernels left no gaps
            lambda n, k: _smallest_power_at_least(k, 2 * n - 1),
            _k_fold_dilations,
        )
    ),
    (
        "reach",
        lambda n, k: _doubling_layers_needed(n, 1),
        N_("the count for a kernel of size 3; this kernel has size {k}"),
    ),
    (  # reaches 2r, 4r, 8r, ...: the same count either way, so both mistakes are named
        "double_reach",
        lambda n, k: _doubling_layers_needed(n, k - 1),
        N_(
            "the count if one layer moved information {two_r} positions towards input n - 1 at "
            "dilation 1, or as if the first layer already had dilation 2"
        ),
    ),
    *(
        (
            "rounded_down",
            count,
            N_("a count rounded down, as if a reach just short of n - 1 were enough"),
        )
        for count in (
            lambda n, k: math.floor(_log2_of_reaches(n, k, 1)),
            lambda n, k: ((n - 1) // ((k - 1) // 2)).bit_length(),
            lambda n, k: 1 + math.floor(_log2_of_reaches(n, k, 0)) if n > 1 else 0,
        )
    ),
    *(
        ("sum", count, N_("the count if L layers together moved information r * 2**L positions"))
        for count in (
            _layers_reaching_r_2_to_the_l,
            lambda n, k: math.ceil(_log2_of_reaches(n, k, 0)) if n > 1 else 0,
        )
    ),
    (
        "off_by_one",
        _one_layer_too_many,
        N_("output 0 already sees input n - 1 one layer earlier"),
    ),
]


def _diagnose_dilated_type(actual: Any, expected: int, case: Case) -> Failure | None:
    """A float or a bool is named here; wrong counts are named from all cases together."""
    if isinstance(actual, bool) or not isinstance(actual, numbers.Integral):
        return Failure(
            "type",
            _("returned a {type_name}, expected an int").format(type_name=type(actual).__name__),
        )
    return None


def _how_far_off(actual: int, expected: int, reason: str = "") -> str:
    """'returned 3, one layer too few', 'returned 7, 2 layers too many', followed by
    ': ' and ``reason`` if one is given."""
    off = abs(actual - expected)
    if off == 1 and actual > expected:
        message = _("returned {count}, one layer too many")
    elif off == 1:
        message = _("returned {count}, one layer too few")
    elif actual > expected:
        message = _("returned {count}, {off} layers too many")
    else:
        message = _("returned {count}, {off} layers too few")
    message = message.format(count=actual, off=off)
    return _("{message}: {reason}").format(message=message, reason=reason) if reason else message


def _name_dilated_mistake(results: list[CaseResult], answers: dict[int, Any]) -> None:
    """Name the known mistake that the answer equals on every case, or say how far it is off."""
    cases = _DILATED_CASES
    if len(answers) < len(cases) or any(result.kind == "type" for result in results):
        return  # an error or a float: those cases name themselves
    values = [answers[number] for number in range(len(cases))]

    def matches(count: Callable[[int, int], int]) -> bool:
        try:
            pairs = zip(cases, values, strict=True)
            return all(count(*case.args) == value for case, value in pairs)
        except (ValueError, ZeroDivisionError):
            return False

    named = [(kind, detail) for kind, count, detail in _DILATED_MISTAKES if matches(count)]
    failing = [number for number, result in enumerate(results) if not result.passed]
    expected = {number: _dilated_layers_needed(*cases[number].args) for number in failing}
    if len({kind for kind, __ in named}) == 1:
        kind, detail = named[0]
    else:  # no known mistake, or one the cases cannot tell apart: how far off only
        above = {values[number] > expected[number] for number in failing}
        kind = "values" if len(above) > 1 else "too_many" if above.pop() else "too_few"
        detail = ""
    for number in failing:
        num_steps, kernel_size = cases[number].args
        reason = _(detail).format(k=kernel_size, two_r=kernel_size - 1) if detail else ""
        said = _how_far_off(values[number], expected[number], reason)
        results[number] = CaseResult(cases[number].description, False, said, kind)


DILATED_HINTS = {
    "linear": [
        N_(
            "That is the count without dilation. With dilation 2**(l-1), how far does layer l move "
            "information?"
        ),
        N_("Add up the reach of layers 1, 2, ..., L. Which kind of series is that sum?"),
    ],
    "log_k": [
        N_(
            "The paper's O(log_k n) is an order of growth, not a count for this stack. Here the "
            "dilations double: after 1, 2 and 3 layers, how far does output 0 see?"
        ),
        N_(
            "Work n = 8 with k = 3 by hand: which inputs does output 0 see after each layer? Which "
            "base does the logarithm of your count then have?"
        ),
    ],
    "reach": [
        N_(
            "How many positions towards input n - 1 does one layer of kernel size k move "
            "information at dilation 1? Only the taps on one side of the centre lead there."
        ),
        N_("Work n = 100 with k = 5 by hand: how far does output 0 see after 1, 2 and 3 layers?"),
    ],
    "double_reach": [
        N_(
            "Your count is as if every layer reached twice as far as it does. Which dilation does "
            "your first layer have, and how many positions towards input n - 1 does it move "
            "information? Only the taps on one side of the centre lead there."
        ),
        N_("Work n = 8 with k = 5 by hand: how far does output 0 see after 1, 2 and 3 layers?"),
    ],
    "rounded_down": [
        N_(
            "Your count is one layer short on some cases. Where does it round down (an integer "
            "division, a floor)? A reach that falls short of n - 1 by part of a position still "
            "misses input n - 1."
        ),
        N_("Work n = 8 with k = 5 by hand: how far does output 0 see after 2 layers, and after 3?"),
    ],
    "sum": [
        N_(
            "Layer l moves information r * 2**(l-1) positions. How far do layers 1 to L move it "
            "together?"
        ),
        N_(
            "Work n = 33 with k = 3 by hand: how far does output 0 see after 5 layers, and after 6?"
        ),
    ],
    "off_by_one": [
        N_(
            "One layer too many. Should the reach after L layers be greater than n - 1, or is "
            "equal enough? And how many layers does n = 1 need?"
        ),
        N_("Work n = 8 and n = 33 with k = 3 by hand: how far does output 0 see after each layer?"),
    ],
    "too_few": [
        N_(
            "Your count is too small on some cases: after that many layers output 0 does not yet "
            "see input n - 1. How far does it see after each layer?"
        ),
        N_("Work n = 8 with k = 5 by hand: how far does output 0 see after 1, 2 and 3 layers?"),
    ],
    "too_many": [
        N_(
            "Your count is too large on some cases: output 0 sees input n - 1 after fewer layers. "
            "How far does it see after each layer?"
        ),
        N_("Work n = 8 and n = 33 with k = 3 by hand: how far does output 0 see after each layer?"),
    ],
    "values": [
        N_(
            "Your count is too large on some cases and too small on others. How far does output 0 "
            "see after each layer?"
        ),
        N_("Work the smallest failing case by hand, layer by layer, and compare with your code."),
    ],
    "type": [
        N_("A number of layers is a whole number: return an int, rounded the right way."),
    ],
}

# Together they tell apart every known mistake (each equals the reference on some cases);
# n=2, k=5 and n=8, k=5 fail a count rounded down, where (n - 1) / r is no whole number.
_DILATED_CASES = [
    Case(N_("one token needs no layer"), (1, 3)),
    Case(N_("two tokens, k=5 (reach 2 at dilation 1)"), (2, 5)),
    Case(N_("n=8, k=3 (reach 1 + 2 + 4 = 7)"), (8, 3)),
    Case(N_("n=8, k=5"), (8, 5)),
    Case(N_("n=3, k=7"), (3, 7)),
    Case(N_("n=62, k=5"), (62, 5)),
    Case(N_("n=33, k=3 (one past a power of two)"), (33, 3)),
    Case(N_("n=100, k=5"), (100, 5)),
    Case(N_("n=50, k=7"), (50, 7)),
    Case(N_("n=200, k=11"), (200, 11)),
    Case(N_("n=1000, k=7 (long)"), (1000, 7)),
]


def check_my_dilated_layers_needed(student: Callable) -> None:
    """Check ``my_dilated_layers_needed(num_steps, kernel_size) -> int``."""
    answers: dict[int, Any] = {}  # case number -> the student's count

    def diagnose(actual: Any, expected: int, case: Case) -> Failure | None:
        answers[next(i for i, known in enumerate(_DILATED_CASES) if known is case)] = actual
        return _diagnose_dilated_type(actual, expected, case)

    results = evaluate(
        _plain_numbers(student), _dilated_layers_needed, _DILATED_CASES, diagnose=diagnose
    )
    if results is not None and not all(result.passed for result in results):
        _name_dilated_mistake(results, answers)
    report("my_dilated_layers_needed", _translated(results), hints=DILATED_HINTS)
