"""Lesson 07: support.complexity (counts, timings, slopes, paths) and SelfAttentionLayer."""

from __future__ import annotations

import inspect
import math
import time

import pytest
import torch
from torch import nn

from attn_course.checks.lesson07 import _dilated_layers_needed
from attn_course.selfattention import SelfAttentionLayer
from attn_course.support.complexity import (
    conv_layers_needed,
    crossover_size,
    fit_loglog_slope,
    graph_depth,
    layers_until_dependent,
    multiply_adds,
    recurrent_steps_until_dependent,
    sweep_forward_seconds,
)

# --- slope fitting and crossover on synthetic data -------------------------------------


@pytest.mark.parametrize("power", [0.0, 0.5, 1.0, 2.0, 3.0])
def test_slope_of_an_exact_power_law(power):
    sizes = [16, 32, 64, 128, 256]
    values = [3e-4 * n**power for n in sizes]
    assert fit_loglog_slope(sizes, values) == pytest.approx(power, abs=1e-9)


def test_slope_is_a_least_squares_fit():
    # log values 0, 1, 1 against log sizes 0, 1, 2 (base e): the line has slope 1/2.
    sizes = [1, math.e, math.e**2]
    values = [1, math.e, math.e]
    assert fit_loglog_slope(sizes, values) == pytest.approx(0.5)


def test_slope_with_noise_stays_close():
    generator = torch.Generator().manual_seed(0)
    sizes = [2**p for p in range(4, 12)]
    noise = torch.exp(0.1 * torch.randn(len(sizes), generator=generator)).tolist()
    values = [n**2 * e for n, e in zip(sizes, noise, strict=True)]
    assert fit_loglog_slope(sizes, values) == pytest.approx(2.0, abs=0.1)


def test_slope_bad_input():
    with pytest.raises(ValueError, match="equally long"):
        fit_loglog_slope([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2 points"):
        fit_loglog_slope([1], [1])
    with pytest.raises(ValueError, match="positive"):
        fit_loglog_slope([1, 2], [0, 1])
    with pytest.raises(ValueError, match="positive"):
        fit_loglog_slope([-1, 2], [1, 1])
    with pytest.raises(ValueError, match="not all be equal"):
        fit_loglog_slope([4, 4], [1, 2])


def test_crossover_of_two_power_laws_is_exact():
    sizes = [10, 30, 90, 270, 810]
    quadratic = [n**2 for n in sizes]
    linear = [100 * n for n in sizes]
    assert crossover_size(sizes, quadratic, linear) == pytest.approx(100.0)
    # With the roles swapped the "a" curve (linear) starts above.
    assert crossover_size(sizes, linear, quadratic) == 10.0


def test_crossover_none_when_never_overtaken():
    sizes = [1, 2, 4]
    assert crossover_size(sizes, [1, 2, 3], [5, 6, 7]) is None


def test_crossover_bad_input():
    with pytest.raises(ValueError, match="must increase"):
        crossover_size([1, 3, 2], [1, 1, 1], [2, 2, 2])
    with pytest.raises(ValueError, match="equally long"):
        crossover_size([1, 2], [1, 1], [2, 2, 2])


# --- timing ---------------------------------------------------------------------------


class _FakeClock:
    """A clock that only advances when a fake layer "works"."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _fake_layer(clock, costs, log=None, name=None):
    """A layer whose k-th call takes costs[k] seconds (the last cost repeats)."""
    calls = []

    def layer(X):
        cost = costs[min(len(calls), len(costs) - 1)]
        calls.append(cost)
        clock.now += cost
        if log is not None:
            log.append(name)
        return X

    return layer


def test_sweep_returns_seconds_per_call_exactly():
    clock = _FakeClock()
    fast = _fake_layer(clock, [1e-3])
    slow = _fake_layer(clock, [4e-3])
    X = torch.zeros(1)
    cases = [(fast, X), (slow, X)]
    seconds = sweep_forward_seconds(cases, repeats=3, min_seconds=2e-3, clock=clock)
    assert seconds == pytest.approx([1e-3, 4e-3])


def test_sweep_median_discards_one_disturbed_round():
    clock = _FakeClock()
    costs = [1e-3] * 40
    costs[12] = 50e-3  # one call during the rounds meets a burst of load
    layer = _fake_layer(clock, costs)
    seconds = sweep_forward_seconds(
        [(layer, torch.zeros(1))], repeats=5, min_seconds=0.0, clock=clock
    )
    assert seconds == [pytest.approx(1e-3)]


def test_sweep_interleaves_the_rounds_and_repeats_fast_calls():
    clock, log = _FakeClock(), []
    a = _fake_layer(clock, [1e-3], log, "a")
    b = _fake_layer(clock, [5e-3], log, "b")
    X = torch.zeros(1)
    sweep_forward_seconds([(a, X), (b, X)], repeats=3, min_seconds=3e-3, clock=clock)
    turns = [name for i, name in enumerate(log) if i == 0 or log[i - 1] != name]
    assert turns == ["a", "b"] * 4, "a first turn each, then rounds that take turns"
    assert log.count("a") >= 1 + 3 * 3, "the fast layer runs 3 calls per measurement"


def test_default_clock_is_cpu_time():
    assert inspect.signature(sweep_forward_seconds).parameters["clock"].default is time.process_time


def test_sweep_runs_without_grad():
    grad_modes = []

    def layer(X):
        grad_modes.append(torch.is_grad_enabled())
        return X * 2

    seconds = sweep_forward_seconds([(layer, torch.ones(3, requires_grad=True))], repeats=3)
    assert seconds[0] > 0
    assert grad_modes and not any(grad_modes)


# --- counting: multiply-adds and chains of dependent operations ---------------------------


def test_multiply_adds_of_a_linear_layer_and_a_convolution():
    assert multiply_adds(nn.Linear(64, 32), torch.randn(10, 64)) == 10 * 64 * 32
    conv = nn.Conv1d(4, 6, kernel_size=3, padding=1)
    assert multiply_adds(conv, torch.randn(2, 4, 9)) == 2 * 9 * 6 * 4 * 3


def test_multiply_adds_of_self_attention_match_the_table():
    n, d = 12, 8
    count = multiply_adds(SelfAttentionLayer(d), torch.randn(1, n, d))
    assert count == 3 * n * d * d + 2 * n * n * d


def test_graph_depth_counts_the_longest_chain():
    X = torch.randn(3, requires_grad=True)
    assert graph_depth(X.detach()) == 0
    shallow = X * 2 + X * 3  # two branches of two operations, then the sum
    deep = ((X * 2) * 2) * 2
    assert graph_depth(deep) == graph_depth(X * 2) + 2
    assert graph_depth(shallow) == graph_depth(X * 2) + 1


def test_graph_depth_grows_with_a_loop_but_not_with_attention():
    cell, layer = nn.GRUCell(2, 2), SelfAttentionLayer(2)

    def loop(n):
        X, h = torch.randn(1, n, 2, requires_grad=True), torch.zeros(1, 2)
        for t in range(n):
            h = cell(X[:, t], h)
        return graph_depth(h)

    assert loop(20) - loop(10) == 2 * (loop(10) - loop(5)) > 0
    depths = {graph_depth(layer(torch.randn(1, n, 2, requires_grad=True))) for n in (3, 30, 300)}
    assert len(depths) == 1


def test_graph_depth_of_a_deep_chain_does_not_overflow_the_stack():
    h = torch.zeros(1, requires_grad=True)
    for _ in range(5000):
        h = h + 1
    assert graph_depth(h) == 5001  # 5000 additions and the leaf's AccumulateGrad


def test_timing_bad_input():
    with pytest.raises(TypeError, match="callable"):
        sweep_forward_seconds([(3, torch.zeros(1))])
    with pytest.raises(TypeError, match="torch.Tensor"):
        sweep_forward_seconds([(lambda X: X, [1.0])])
    with pytest.raises(ValueError, match="repeats"):
        sweep_forward_seconds([(lambda X: X, torch.zeros(1))], repeats=0)
    with pytest.raises(ValueError, match="min_seconds"):
        sweep_forward_seconds([(lambda X: X, torch.zeros(1))], min_seconds=-1.0)
    with pytest.raises(ValueError, match="at least one"):
        sweep_forward_seconds([])


# --- path lengths ---------------------------------------------------------------------


class _Conv(nn.Module):
    """Conv1d over (batch, steps, d), same padding, optional dilation."""

    def __init__(self, d, kernel_size, dilation=1):
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.conv = nn.Conv1d(d, d, kernel_size, padding=padding, dilation=dilation)

    def forward(self, X):
        return self.conv(X.transpose(1, 2)).transpose(1, 2)


def _conv_stack(d, kernel_size, depth):
    return [_Conv(d, kernel_size).double() for _ in range(depth)]


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("num_steps", [2, 3, 8, 13, 32])
def test_conv_closed_form_matches_the_gradient(num_steps, kernel_size):
    torch.manual_seed(0)
    X = torch.randn(1, num_steps, 2, dtype=torch.float64)
    measured = layers_until_dependent(_conv_stack(2, kernel_size, 40), X, num_steps - 1, 0)
    assert measured == conv_layers_needed(num_steps, kernel_size)


def test_conv_closed_form_values():
    assert conv_layers_needed(1, 3) == 0
    assert conv_layers_needed(64, 3) == 63
    assert conv_layers_needed(64, 5) == 32
    assert conv_layers_needed(64, 7) == 21
    assert conv_layers_needed(65, 5) == 32


def test_conv_closed_form_bad_input():
    with pytest.raises(ValueError, match="odd int >= 3"):
        conv_layers_needed(10, 4)
    with pytest.raises(ValueError, match="odd int >= 3"):
        conv_layers_needed(10, 1)
    with pytest.raises(ValueError, match="num_steps"):
        conv_layers_needed(0, 3)


def test_too_shallow_stack_returns_none():
    X = torch.randn(1, 10, 2, dtype=torch.float64)
    assert layers_until_dependent(_conv_stack(2, 3, 5), X, 9, 0) is None


@pytest.mark.parametrize("num_steps", [2, 16, 100])
def test_one_attention_layer_connects_every_pair(num_steps):
    torch.manual_seed(0)
    X = torch.randn(1, num_steps, 4)
    layers = [SelfAttentionLayer(4) for _ in range(3)]
    assert layers_until_dependent(layers, X, num_steps - 1, 0) == 1


def test_position_wise_layers_never_connect_positions():
    X = torch.randn(2, 6, 3)
    assert layers_until_dependent([nn.Linear(3, 3) for _ in range(4)], X, 5, 0) is None
    assert layers_until_dependent([nn.Linear(3, 3)], X, 2, 2) == 1


def test_unidirectional_gru_output_zero_never_sees_the_last_input():
    class _GRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 3, batch_first=True)

        def forward(self, X):
            return self.gru(X)[0]

    X = torch.randn(1, 5, 3)
    assert layers_until_dependent([_GRU() for _ in range(4)], X, 4, 0) is None
    assert layers_until_dependent([_GRU()], X, 0, 4) == 1


@pytest.mark.parametrize("cell_type", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
@pytest.mark.parametrize(("source", "target"), [(0, 0), (0, 5), (2, 9), (4, 7)])
def test_recurrent_path_counts_cell_applications(cell_type, source, target):
    torch.manual_seed(0)
    cell = cell_type(3, 4).double()
    X = torch.randn(2, 10, 3, dtype=torch.float64)
    assert recurrent_steps_until_dependent(cell, X, source, target) == target - source + 1


def test_recurrent_path_cannot_reach_the_past():
    cell = nn.GRUCell(3, 3)
    assert recurrent_steps_until_dependent(cell, torch.randn(1, 6, 3), 5, 0) is None


@pytest.mark.parametrize("function", [layers_until_dependent, recurrent_steps_until_dependent])
def test_path_bad_input(function):
    first = [nn.Linear(3, 3)] if function is layers_until_dependent else nn.GRUCell(3, 3)
    with pytest.raises(ValueError, match=r"source must be an int in \[0, 4\]"):
        function(first, torch.randn(1, 5, 3), 5, 0)
    with pytest.raises(ValueError, match="target must be an int"):
        function(first, torch.randn(1, 5, 3), 0, -1)
    with pytest.raises(ValueError, match="3 dimensions"):
        function(first, torch.randn(5, 3), 0, 0)
    with pytest.raises(TypeError, match="floating-point"):
        function(first, torch.zeros(1, 5, 3, dtype=torch.long), 0, 0)


# --- SelfAttentionLayer ----------------------------------------------------------------


def test_self_attention_layer_is_softmax_of_scaled_scores_times_values():
    torch.manual_seed(0)
    layer = SelfAttentionLayer(6)
    X = torch.randn(2, 5, 6)
    Q, K, V = layer.W_q(X), layer.W_k(X), layer.W_v(X)
    expected = torch.softmax(Q @ K.transpose(1, 2) / math.sqrt(6), dim=-1) @ V
    torch.testing.assert_close(layer(X), expected)
    torch.testing.assert_close(
        layer(X), nn.functional.scaled_dot_product_attention(Q, K, V), atol=1e-6, rtol=1e-5
    )


def test_self_attention_layer_rejects_bad_input():
    with pytest.raises(ValueError, match=r"shape \(batch, steps, 4\), got \(1, 3, 5\)"):
        SelfAttentionLayer(4)(torch.zeros(1, 3, 5))
    with pytest.raises(TypeError, match="floating-point"):
        SelfAttentionLayer(4)(torch.zeros(1, 3, 4, dtype=torch.long))


# --- the exercise references against real layers -------------------------------------------


@pytest.mark.parametrize(("num_steps", "kernel_size"), [(2, 3), (8, 3), (9, 3), (30, 5), (40, 7)])
def test_dilated_reference_matches_real_dilated_convolutions(num_steps, kernel_size):
    torch.manual_seed(0)
    layers = [_Conv(2, kernel_size, dilation=2**i).double() for i in range(8)]
    X = torch.randn(1, num_steps, 2, dtype=torch.float64)
    measured = layers_until_dependent(layers, X, num_steps - 1, 0)
    assert measured == _dilated_layers_needed(num_steps, kernel_size)
