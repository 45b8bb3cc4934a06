"""Pictures of attention: heatmaps of attention-weight matrices (lesson 02)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure


def show_heatmaps(
    matrices: torch.Tensor,
    xlabel: str,
    ylabel: str,
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] = (2.5, 2.5),
    cmap: str = "Reds",
    xticklabels: Sequence[str] | None = None,
    yticklabels: Sequence[str] | None = None,
) -> Figure:
    """Draw a grid of attention matrices that share one colour bar.

    Args:
        matrices: tensor of shape (rows, cols, queries, keys); a 2-D
            (queries, keys) tensor is drawn as a single matrix.
        xlabel, ylabel: axis labels (usually "Keys" and "Queries").
        titles: one title per column, or None.
        figsize: size of one matrix in inches; the figure grows with the grid.
        cmap: a matplotlib colour map name.
        xticklabels: ``keys`` labels (tokens) for the x axis, or None.
        yticklabels: ``queries`` labels (tokens) for the y axis, or None.

    Returns:
        The matplotlib figure; every matrix uses the same colour scale.

    Raises:
        TypeError: ``matrices`` is not a tensor.
        ValueError: ``matrices`` is not 2-D or 4-D, or the number of titles
            or tick labels does not fit its shape.
    """
    if not isinstance(matrices, torch.Tensor):
        raise TypeError(f"matrices must be a torch.Tensor, got {type(matrices).__name__}")
    if matrices.dim() == 2:
        matrices = matrices[None, None]  # (1, 1, queries, keys)
    if matrices.dim() != 4:
        raise ValueError(
            "matrices must have shape (rows, cols, queries, keys) or (queries, keys), "
            f"got {tuple(matrices.shape)}"
        )
    num_rows, num_cols, num_queries, num_keys = matrices.shape
    if titles is not None and len(titles) != num_cols:
        raise ValueError(f"expected {num_cols} titles (one per column), got {len(titles)}")
    if xticklabels is not None and len(xticklabels) != num_keys:
        raise ValueError(f"expected {num_keys} xticklabels (one per key), got {len(xticklabels)}")
    if yticklabels is not None and len(yticklabels) != num_queries:
        raise ValueError(
            f"expected {num_queries} yticklabels (one per query), got {len(yticklabels)}"
        )
    matrices = matrices.detach().float().cpu()
    vmin, vmax = float(matrices.min()), float(matrices.max())
    fig, axes = plt.subplots(
        num_rows,
        num_cols,
        figsize=(figsize[0] * num_cols + 1.0, figsize[1] * num_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for i in range(num_rows):
        for j in range(num_cols):
            ax = axes[i, j]
            image = ax.imshow(matrices[i, j].numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles is not None and i == 0:
                ax.set_title(titles[j])
            if xticklabels is not None:
                ax.set_xticks(range(num_keys), list(xticklabels), rotation=90)
            if yticklabels is not None:
                ax.set_yticks(range(num_queries), list(yticklabels))
    fig.colorbar(image, ax=axes, shrink=0.6)
    return fig
