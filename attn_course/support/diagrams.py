"""Block diagrams for the lessons' figures (lessons 03 and 04); hand-written, not taught."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

Box = tuple[float, float, str, str]  # x, y, label, colour


def draw_blocks(
    boxes: dict[str, Box],
    arrows: list[tuple[str, str]],
    size: tuple[float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> Figure:
    """Boxes {name: (x, y, label, colour)} joined by arrows [(from, to)]: a block diagram."""
    fig, ax = plt.subplots(figsize=size)
    ax.set_position((0, 0, 1, 1))  # the whole figure: coordinates in inches times a scale
    drawn = {
        name: ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=13,
            bbox={"boxstyle": "round,pad=0.6", "fc": colour, "ec": "k"},
        )
        for name, (x, y, label, colour) in boxes.items()
    }
    for start, end in arrows:
        style = {"arrowstyle": "->", "lw": 2, "shrinkA": 0, "shrinkB": 0}
        patches = {"patchA": drawn[start].get_bbox_patch(), "patchB": drawn[end].get_bbox_patch()}
        ax.annotate("", xy=boxes[end][:2], xytext=boxes[start][:2], arrowprops=style | patches)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")
    return fig
