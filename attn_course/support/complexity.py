"""Measuring what the complexity table predicts (lesson 07); hand-written, not taught.

Four kinds of measurement: the multiply-adds a layer computes (counted by
PyTorch's ``FlopCounterMode``, the same on every machine), the longest chain
of dependent operations in a forward pass (read off the autograd graph), the
forward time of a layer (the median of a few interleaved repeats, in CPU
time by default, so that other programs on the machine barely move it), and
the path length between two positions (how many layers, or recurrent steps,
a signal passes through before an output depends on an input, read off a
gradient). ``fit_loglog_slope`` turns counts or times into exponents.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from attn_course.support.validation import check_sequence

Clock = Callable[[], float]


def sweep_forward_seconds(
    cases: Sequence[tuple[Callable[[torch.Tensor], object], torch.Tensor]],
    repeats: int = 5,
    min_seconds: float = 2e-3,
    clock: Clock = time.process_time,
) -> list[float]:
    """Median seconds per call of ``layer(X)`` for every ``(layer, X)`` case, interleaved.

    ``torch.utils.benchmark.Timer`` times the calls, under ``torch.no_grad()`` and
    with the number of threads set now. One untimed call per case first warms caches
    and tells how long a call takes. Then ``repeats`` rounds each time every case
    once: a measurement runs enough calls to last about ``min_seconds`` (so a fast
    layer is not lost in the clock's noise), after the Timer's own warm-up calls.
    Because the rounds take turns, a burst of load from another program spoils one
    round of many cases (which the median discards) instead of every repeat of one.

    The default clock, ``time.process_time``, counts the CPU time of this
    process only, so other programs on the machine barely disturb it. Call
    ``torch.set_num_threads(1)`` first: then it equals the wall-clock time
    on an idle machine, whereas with several threads it adds up their
    times, idle spinning included. Pass ``clock=time.perf_counter`` for
    wall-clock time.

    Args:
        cases: pairs of a callable (e.g. an ``nn.Module``) and its input,
            e.g. (batch, steps, d).
        repeats: the number of rounds, at least 1.
        min_seconds: the shortest duration of one measurement, >= 0.
        clock: a function returning seconds.

    Returns:
        One positive float per case, in the order of ``cases``.

    Raises:
        TypeError: a layer is not callable or an input is not a tensor.
        ValueError: ``cases`` is empty, ``repeats`` < 1 or ``min_seconds`` < 0.
    """
    if len(cases) == 0:
        raise ValueError("cases must hold at least one (layer, X) pair")
    for layer, X in cases:
        if not callable(layer):
            raise TypeError(f"layer must be callable, got {type(layer).__name__}")
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    if min_seconds < 0:
        raise ValueError(f"min_seconds must be >= 0, got {min_seconds!r}")
    threads = torch.get_num_threads()
    timers = [
        benchmark.Timer("layer(X)", globals={"layer": f, "X": X}, timer=clock, num_threads=threads)
        for f, X in cases
    ]
    with torch.no_grad():
        first = [timer.timeit(1).median for timer in timers]  # warm-up, and a first time
        calls = [max(1, math.ceil(min_seconds / max(seconds, 1e-9))) for seconds in first]
        seconds: list[list[float]] = [[] for _ in cases]
        for _ in range(repeats):
            for times, timer, number in zip(seconds, timers, calls, strict=True):
                times.append(timer.timeit(number).median)
    return [statistics.median(times) for times in seconds]


def _positive_pairs(sizes: Sequence[float], values: Sequence[float]) -> None:
    """Check two equally long sequences of positive numbers, at least two of each."""
    if len(sizes) != len(values):
        raise ValueError(
            f"sizes and values must be equally long, got {len(sizes)} and {len(values)}"
        )
    if len(sizes) < 2:
        raise ValueError(f"need at least 2 points, got {len(sizes)}")
    if min(sizes) <= 0 or min(values) <= 0:
        raise ValueError("sizes and values must all be positive (their logarithms are taken)")


def fit_loglog_slope(sizes: Sequence[float], values: Sequence[float]) -> float:
    """Slope of the least-squares line through (log size, log value).

    If ``value = c * size ** p`` then the slope is ``p``: a layer whose
    cost grows as n^2 has slope 2 against n.

    Args:
        sizes: at least two positive numbers, not all equal.
        values: positive numbers (e.g. seconds), one per size.

    Returns:
        The fitted exponent ``p`` as a float.

    Raises:
        ValueError: lengths differ, fewer than two points, a number is not
            positive, or all sizes are equal.
    """
    _positive_pairs(sizes, values)
    xs = [math.log(s) for s in sizes]
    ys = [math.log(v) for v in values]
    x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - x_mean) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("sizes must not all be equal")
    return sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / spread


def crossover_size(
    sizes: Sequence[float], values_a: Sequence[float], values_b: Sequence[float]
) -> float | None:
    """The size at which curve ``a`` first overtakes curve ``b`` (a becomes larger).

    Between the two measured sizes where ``a / b`` passes 1, the log of the
    ratio is interpolated linearly in log size (power laws are straight
    lines on log-log axes).

    Args:
        sizes: increasing positive sizes.
        values_a, values_b: positive values (e.g. seconds), one per size.

    Returns:
        The interpolated size, ``sizes[0]`` if ``a >= b`` already there, or
        None if ``a`` stays below ``b`` at every size.

    Raises:
        ValueError: lengths differ, fewer than two points, a number is not
            positive, or sizes do not increase.
    """
    _positive_pairs(sizes, values_a)
    _positive_pairs(sizes, values_b)
    if any(later <= earlier for earlier, later in zip(sizes, sizes[1:], strict=False)):
        raise ValueError(f"sizes must increase, got {list(sizes)}")
    log_ratios = [math.log(a / b) for a, b in zip(values_a, values_b, strict=True)]
    if log_ratios[0] >= 0:
        return float(sizes[0])
    for i in range(1, len(sizes)):
        if log_ratios[i] >= 0:
            x0, x1 = math.log(sizes[i - 1]), math.log(sizes[i])
            r0, r1 = log_ratios[i - 1], log_ratios[i]
            return math.exp(x0 + (x1 - x0) * (-r0) / (r1 - r0))
    return None


def conv_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Closed form: stacked same-padded convolutions until output 0 sees input n-1.

    A Conv1d with odd kernel size k and padding (k-1)/2 lets output i see
    inputs i - (k-1)/2 .. i + (k-1)/2. After L layers output 0 sees inputs
    0 .. L (k-1)/2, so it reaches input n-1 once L (k-1)/2 >= n-1:
    ``L = ceil((n - 1) / ((k - 1) / 2))``.

    Args:
        num_steps: the sequence length n >= 1 (n = 1 needs 0 layers).
        kernel_size: an odd kernel size k >= 3.

    Returns:
        The number of layers L as an int.

    Raises:
        ValueError: n < 1, or k is even or smaller than 3.
    """
    if not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be an int >= 1, got {num_steps!r}")
    if not isinstance(kernel_size, int) or kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd int >= 3, got {kernel_size!r}")
    reach = (kernel_size - 1) // 2  # positions gained per layer
    return -(-(num_steps - 1) // reach)  # ceil((n - 1) / reach)


def _check_positions(X: torch.Tensor, source: int, target: int) -> None:
    """X is a (batch, steps, d) float tensor and both positions lie inside it."""
    check_sequence(X)
    steps = X.shape[1]
    for name, position in (("source", source), ("target", target)):
        if not isinstance(position, int) or not 0 <= position < steps:
            raise ValueError(f"{name} must be an int in [0, {steps - 1}], got {position!r}")


def _depends(output: torch.Tensor, X: torch.Tensor, source: int) -> bool:
    """Does ``output`` have a non-zero gradient with respect to X[:, source]?"""
    (gradient,) = torch.autograd.grad(output.sum(), X, retain_graph=True, allow_unused=True)
    return gradient is not None and bool(gradient[:, source].abs().sum() > 0)


def layers_until_dependent(
    layers: Sequence[Callable[[torch.Tensor], torch.Tensor]],
    X: torch.Tensor,
    source: int,
    target: int,
) -> int | None:
    """Stack ``layers`` one at a time until output ``target`` depends on input ``source``.

    "Depends" means a non-zero gradient of the output at position
    ``target`` with respect to the input at position ``source``. Use float64
    inputs for deep stacks, so a tiny gradient does not underflow to 0.

    Args:
        layers: callables mapping (batch, steps, d) to (batch, steps, d).
        X: the input, a float tensor (batch, steps, d).
        source: the input position.
        target: the output position.

    Returns:
        The smallest number of layers L (1 <= L <= len(layers)) after which
        the dependence appears, or None if it never does.

    Raises:
        TypeError: X is not a floating-point tensor.
        ValueError: X is not 3-D, or a position lies outside [0, steps).
    """
    _check_positions(X, source, target)
    X = X.detach().requires_grad_(True)
    hidden = X  # (batch, steps, d)
    for depth, layer in enumerate(layers, start=1):
        hidden = layer(hidden)  # (batch, steps, d)
        if _depends(hidden[:, target], X, source):
            return depth
    return None


def recurrent_steps_until_dependent(
    cell: nn.RNNCellBase, X: torch.Tensor, source: int, target: int
) -> int | None:
    """How many recurrent steps a signal from input ``source`` passes to reach output ``target``.

    Runs ``cell`` over the sequence (h_t = cell(x_t, h_{t-1}), output t is
    h_t) but lets the gradient flow through only the last ``m`` cell
    applications up to ``target`` (the hidden state entering the earlier
    ones is detached). Returns the smallest ``m`` for which output
    ``target`` depends on input ``source``: the number of cell applications
    on the path between them, ``target - source + 1`` for ``source <= target``.

    Args:
        cell: an ``nn.RNNCell``, ``nn.GRUCell`` or ``nn.LSTMCell``-like module
            with ``hidden_size``, called as ``cell(x_t, h)``; an LSTM cell's
            (h, c) pair is supported too.
        X: the input, a float tensor (batch, steps, input_size).
        source: the input position.
        target: the output position.

    Returns:
        The smallest m (1 <= m <= target + 1), or None if output ``target``
        never depends on input ``source`` (``source > target``: a
        left-to-right RNN cannot see the future).

    Raises:
        TypeError: X is not a floating-point tensor.
        ValueError: X is not 3-D, or a position lies outside [0, steps).
    """
    _check_positions(X, source, target)
    X = X.detach().requires_grad_(True)
    batch_size = X.shape[0]
    for kept in range(1, target + 2):
        first_kept = target - kept + 1  # gradient flows through steps first_kept .. target
        zeros = X.new_zeros(batch_size, cell.hidden_size)  # (batch, hidden)
        state: torch.Tensor | tuple[torch.Tensor, torch.Tensor] = (
            (zeros, zeros) if isinstance(cell, nn.LSTMCell) else zeros
        )
        for t in range(target + 1):
            if t == first_kept:
                state = _detach(state)
            state = cell(X[:, t], state)
        output = state[0] if isinstance(state, tuple) else state  # (batch, hidden)
        if _depends(output, X, source):
            return kept
    return None


def _detach(state: torch.Tensor | tuple[torch.Tensor, ...]):
    """Cut the gradient of a hidden state (a tensor or an LSTM's (h, c) pair)."""
    if isinstance(state, tuple):
        return tuple(part.detach() for part in state)
    return state.detach()


def multiply_adds(layer: Callable[[torch.Tensor], object], X: torch.Tensor) -> int:
    """Multiply-adds of the matrix products and convolutions in one call ``layer(X)``.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add
    is two of its floating-point operations) under ``torch.no_grad()``:
    softmax, biases and nonlinearities are not counted, as in the complexity
    table. The count depends on the shapes only, not on the machine.
    """
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        layer(X)
    return counter.get_total_flops() // 2


def graph_depth(output: torch.Tensor) -> int:
    """The longest chain of autograd operations that produced ``output``.

    Each operation in the chain waits for the one before it, so this is the
    number of steps that must run one after another however many processors
    there are (the "sequential operations" of the complexity table, counted
    in PyTorch operations). 0 for a tensor that autograd does not track.
    """
    if output.grad_fn is None:
        return 0
    order, seen, stack = [], set(), [(output.grad_fn, False)]
    while stack:  # depth-first, iterative: a long RNN's chain is deeper than Python's stack
        node, finished = stack.pop()
        if finished:
            order.append(node)  # after every node it waits for
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack += [(child, False) for child, _ in node.next_functions if child is not None]
    depth: dict[object, int] = {}
    for node in order:
        children = [depth[child] for child, _ in node.next_functions if child is not None]
        depth[node] = 1 + max(children, default=0)
    return depth[output.grad_fn]
