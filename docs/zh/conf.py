"""Sphinx configuration of the Chinese site: the English site's, in Chinese.

Build from the top of the repository (``make site`` builds both):

    python -m sphinx -W --keep-going -b html -c docs/zh . build/site/zh

The pages are the Chinese notebooks (notebooks/zh, made by ``make zh``) with their
stored outputs; Sphinx's own words (search, navigation) are in Chinese.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conf import *  # noqa: E402, F403 (the English site's settings)
from conf import course_html  # noqa: E402

language = "zh_CN"
html_title = "PyTorch 中的注意力机制"
root_doc = "docs/zh/index"
include_patterns = [
    "docs/zh/index.md",
    "notebooks/zh/[0-9][0-9]_*.ipynb",
    "notebooks/zh/solutions/[0-9][0-9]_*.ipynb",
]
# Paths are read from this folder: the English site's static files and templates.
html_static_path = ["../_static", str(course_html.mathjax_dir())]
templates_path = ["../_templates"]
