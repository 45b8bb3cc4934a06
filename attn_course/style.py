"""The course's matplotlib style: figure text large enough to read on a projected slide.

Applied once when ``attn_course`` is imported. A lecture deck shows a figure at most
1144 px wide; a figure of width ``w`` inches displayed so has text of
``points * 1144 / (72 * w)`` px, so the smallest text here, 12 pt, stays at 14 px or
more for figures up to about 13.6 inches wide. The notebooks keep matplotlib's size
and resolution (``figure.dpi`` 100); only the type grows.
"""

from __future__ import annotations

import matplotlib

COURSE_STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 14,
    "lines.linewidth": 2.0,
}


def apply_course_style() -> None:
    """Set the course's figure fonts in matplotlib's rcParams."""
    matplotlib.rcParams.update(COURSE_STYLE)


apply_course_style()
