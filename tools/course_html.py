"""What the slide export and the course site share: notebooks, local assets, MathJax.

Neither output may reach the network, so both use local copies of their
JavaScript, taken from Python packages installed by requirements-dev.txt:
- MathJax 2.7 from `jupyter-server-mathjax` (the Jupyter project's packaging of
  MathJax for Jupyter Server: TeX input, HTML-CSS output, STIX-Web fonts);
- reveal.js 5 from `sphinx-revealjs` (which vendors reveal.js's dist/ and plugin/).
The site (docs/conf.py) takes MathJax's folder and settings from here; the slides
also copy assets and replace live widgets with a note (the site hides widget views
by myst-nb's own settings instead).
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "Interactive explorer: open this lesson in JupyterLab and run it to move the sliders "
    "(the static figure above shows the same)."
)
# MathJax 2 settings: jupyter-server-mathjax ships the STIX-Web fonts only.
MATHJAX_FONTS = {
    "availableFonts": [],
    "preferredFont": None,
    "webFont": "STIX-Web",
    "imageFont": None,
}
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"


def lesson_notebooks(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The lessons, notebooks/NN_name.ipynb, in teaching order."""
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))


def solution_notebooks(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The worked solutions, notebooks/solutions/NN_name_solutions.ipynb, in order."""
    return sorted((notebooks / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _package_dir(package: str, inside: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{package} is not installed: run `make setup-dev` "
            "(or `pip install -r requirements-dev.txt`)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / inside
    if not folder.is_dir():
        raise FileNotFoundError(f"{package} has no {inside}/ folder: {folder}")
    return folder


def mathjax_dir() -> Path:
    """The local MathJax 2.7 folder (holds MathJax.js)."""
    return _package_dir("jupyter_server_mathjax", "static")


def revealjs_dir() -> Path:
    """The local reveal.js folder (holds dist/ and plugin/)."""
    return _package_dir("sphinx_revealjs", "_static/revealjs")


def copy_assets(source: Path, target: Path, parts: tuple[str, ...] | None = None) -> None:
    """Copy a folder of static files (or only its listed parts) into target.

    Skips the copy when target already holds the same files (same names and sizes).
    """
    names = parts or tuple(p.name for p in source.iterdir())
    for name in names:
        src, dst = source / name, target / name
        if src.is_dir():
            if dst.is_dir() and _same_tree(src, dst):
                continue
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _same_tree(src: Path, dst: Path) -> bool:
    def listing(root: Path) -> set[tuple[str, int]]:
        return {(p.relative_to(root).as_posix(), p.stat().st_size) for p in root.rglob("*")}

    return listing(src) <= listing(dst)


def without_live_widgets(notebook: dict) -> dict:
    """A copy of a notebook with the saved widget state removed.

    Live widgets need the ipywidgets JavaScript, which a static page would load
    from a CDN. Each widget view is replaced by a short note; every other output
    (the static figures beside each explorer) stays as it is.
    """
    notebook = copy.deepcopy(notebook)
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {
                    "text/html": f'<p class="widget-note"><em>{WIDGET_NOTE}</em></p>',
                    "text/plain": WIDGET_NOTE,
                }
    return notebook
