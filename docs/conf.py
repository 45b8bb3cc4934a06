"""Sphinx configuration of the attn-course site.

Build from the top of the repository (``make site``):

    python -m sphinx -W --keep-going -b html -c docs . build/site

The source folder is the repository itself, so myst-nb reads the notebooks where
they are (no staging copy); ``include_patterns`` picks the front page and the
notebooks. The pages show the outputs stored in the notebooks: nothing is run.
Nothing on a page comes from the network: furo ships its own files, and MathJax 2.7
comes from the ``jupyter-server-mathjax`` package as a static path.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import course_html  # noqa: E402

project = "attn-course"
author = "attn-course authors"
copyright = "attn-course authors"
html_title = "Attention mechanisms in PyTorch"

extensions = ["myst_nb"]
root_doc = "docs/index"
include_patterns = [
    "docs/index.md",
    "notebooks/[0-9][0-9]_*.ipynb",
    "notebooks/solutions/[0-9][0-9]_*.ipynb",
]
# Folders never walked for sources (hidden ones such as .venv and .git, and outputs).
exclude_patterns = [".*", "build", "my-notebooks", "**/.ipynb_checkpoints"]

# Never execute: the committed outputs are what the site shows.
nb_execution_mode = "off"
nb_merge_streams = True
# Live widgets need JavaScript from a CDN: load none, and render no widget view
# (the static figure beside each explorer stays). Tag a widget cell `remove-output`
# to drop its plain-text stand-in too.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", course_html.WIDGET_VIEW, None)]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "furo"
html_static_path = ["_static", str(course_html.mathjax_dir())]
html_css_files = ["course.css"]
templates_path = ["_templates"]
# build/site/index.html opens the front page (docs/index.html).
html_additional_pages = {"index": "redirect.html"}
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {"navigation_with_keys": True}

# MathJax 2.7 from the static path. It looks only for the \( \) and \[ \] that
# Sphinx writes around maths (never for $), and skips code and printed output, so a
# dollar sign in prose or output stays a dollar sign. myst-nb marks each notebook
# "tex2jax_ignore" and its maths "math": processClass re-enables those.
mathjax_path = f"MathJax.js?config={course_html.MATHJAX_CONFIG}"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": True,
        "processClass": "math|tex2jax_process|mathjax_process",
    },
    "HTML-CSS": course_html.MATHJAX_FONTS,
    "messageStyle": "none",
    "showMathMenu": False,
}
