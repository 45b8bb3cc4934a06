"""Sphinx configuration of the attn-course site (built by tools/build_site.py).

The site shows the notebooks exactly as committed: myst-nb reads their stored
outputs and never runs them. Nothing on a page comes from the network: the
theme (furo) ships its own files, and maths is typeset by a local copy of
MathJax 2.7 from the `jupyter-server-mathjax` package, copied into
_static/mathjax/ after each build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupyter_server_mathjax

project = "attn-course"
author = "attn-course authors"
copyright = "attn-course authors"
html_title = "Attention mechanisms in PyTorch"

extensions = ["myst_nb"]
# Never execute: the committed outputs are what the site shows.
nb_execution_mode = "off"
nb_merge_streams = True
# The live widgets' JavaScript would come from a CDN; tools/build_site.py replaces
# each widget view with a note (the static figure beside it stays).
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "README.md", "**/.ipynb_checkpoints", "jupyter_execute"]
html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {"navigation_with_keys": True}

# MathJax 2.7, local. It looks only for the \( \) and \[ \] that Sphinx writes
# around maths (never for $), and skips code and printed output (<pre>), so a
# dollar sign in prose or output stays a dollar sign. myst-nb marks each
# notebook "tex2jax_ignore" and its maths "math": processClass re-enables those.
MATHJAX_DIR = Path(jupyter_server_mathjax.__file__).parent / "static"
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": True,
        "processClass": "math|tex2jax_process|mathjax_process",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
    },
    "messageStyle": "none",
    "showMathMenu": False,
}


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        if not (target / "MathJax.js").exists():
            shutil.copytree(MATHJAX_DIR, target, dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
