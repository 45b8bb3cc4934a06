"""plotting.show_heatmaps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from attn_course import show_heatmaps


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def images(fig: Figure):
    return [ax.images[0] for ax in fig.axes if ax.images]


def test_grid_of_matrices_shares_one_colour_scale():
    matrices = torch.stack([torch.eye(3) * 0.5, torch.full((3, 3), 1 / 3)])  # (2, 3, 3)
    matrices = torch.stack([matrices, matrices * 2])  # (2, 2, 3, 3)
    fig = show_heatmaps(matrices, xlabel="Keys", ylabel="Queries", titles=["a", "b"])
    assert isinstance(fig, Figure)
    drawn = images(fig)
    assert len(drawn) == 4
    assert {image.get_clim() for image in drawn} == {(0.0, 1.0)}
    assert len(fig.axes) == 5, "four matrices and one shared colour bar"
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
    assert fig.axes[2].get_xlabel() == "Keys" and fig.axes[0].get_ylabel() == "Queries"


@pytest.mark.parametrize("value", [0.25, 0.0])
def test_a_grid_of_equal_numbers_gets_one_widened_colour_scale(value):
    """A range of no width is widened once, for every panel, not by the colour bar for the
    last panel only: every panel draws the same number in the same colour."""
    fig = show_heatmaps(torch.full((2, 3, 4, 4), value), "Keys", "Queries")
    drawn = images(fig)
    pad = abs(value) / 10 or 0.1
    assert {image.get_clim() for image in drawn} == {(value - pad, value + pad)}
    assert len({id(image.norm) for image in drawn}) == 1, "one Normalize for the grid"
    fig.canvas.draw()  # the colour bar has had its say
    colours = {tuple(image.to_rgba(image.get_array())[0, 0]) for image in drawn}
    assert len(colours) == 1, colours
    assert fig.axes[-1].get_ylim() == pytest.approx((value - pad, value + pad))


def test_matrix_is_drawn_as_given():
    matrix = torch.rand(2, 5, generator=torch.Generator().manual_seed(0))
    fig = show_heatmaps(matrix, "Keys", "Queries")
    assert (images(fig)[0].get_array() == matrix.numpy()).all()


def test_token_labels():
    fig = show_heatmaps(
        torch.rand(2, 3), "Keys", "Queries", xticklabels=["a", "b", "c"], yticklabels=["x", "y"]
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]


def test_accepts_tensors_that_need_grad():
    weights = torch.softmax(torch.randn(1, 1, 2, 2, requires_grad=True), dim=-1)
    assert len(images(show_heatmaps(weights, "Keys", "Queries"))) == 1


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"matrices": [[0.1]]}, TypeError, "torch.Tensor"),
        ({"matrices": torch.rand(2, 3, 3)}, ValueError, r"\(rows, cols, queries, keys\)"),
        ({"matrices": torch.rand(1, 2, 3, 3), "titles": ["one"]}, ValueError, "2 titles"),
        ({"matrices": torch.rand(3, 4), "xticklabels": ["a"]}, ValueError, "4 xticklabels"),
        ({"matrices": torch.rand(3, 4), "yticklabels": ["a"]}, ValueError, "3 yticklabels"),
    ],
)
def test_bad_input_raises(kwargs, error, match):
    with pytest.raises(error, match=match):
        show_heatmaps(xlabel="Keys", ylabel="Queries", **kwargs)


def test_labels_only_on_the_outer_panels():
    fig = show_heatmaps(torch.rand(2, 3, 4, 5), "Keys", "Queries")
    axes = fig.axes[:6]  # six panels, then the colour bar
    assert [ax.get_xlabel() for ax in axes] == ["", "", "", "Keys", "Keys", "Keys"]
    assert [ax.get_ylabel() for ax in axes] == ["Queries", "", "", "Queries", "", ""]
    assert all(ax.get_title() == "" for ax in axes), "no titles unless given"


def test_token_labels_on_every_panel_of_a_grid():
    tokens = ["a", "b", "c"]
    fig = show_heatmaps(
        torch.rand(1, 2, 3, 3),
        "Keys",
        "Queries",
        titles=["x", "y"],
        xticklabels=tokens,
        yticklabels=tokens,
    )
    for ax in fig.axes[:2]:
        assert [t.get_text() for t in ax.get_xticklabels()] == tokens
