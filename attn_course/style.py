"""The course's matplotlib style: figure text large enough to read on a projected slide.

Applied once when ``attn_course`` is imported. A lecture deck shows a figure about
1200 px wide; a figure of width ``w`` inches displayed so has text of
``points * 1200 / (72 * w)`` px, so 11 pt stays above 14 px for figures up to about
13 inches wide (the lessons' widest are 11). The notebooks keep matplotlib's size
and resolution (``figure.dpi`` 100); only the type grows.
"""

from __future__ import annotations

import matplotlib

COURSE_STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "figure.titlesize": 14,
    "lines.linewidth": 2.0,
}


def apply_course_style() -> None:
    """Set the course's figure fonts in matplotlib's rcParams."""
    matplotlib.rcParams.update(COURSE_STYLE)


apply_course_style()
