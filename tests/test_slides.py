"""Slides: every lesson is ready to present, and its reveal.js export works offline.

- Every cell of every lesson and solutions notebook carries slide metadata, and
  the first cell starts a slide (CONTRIBUTING.md, "Slides").
- tools/export_slides.py writes one deck per notebook whose scripts, styles and
  images are all local files (no CDN), with one reveal.js slide per "slide" cell
  and the "notes" cells as speaker notes.
- In headless Chromium with the network cut, a deck starts, asks for no remote
  file, and its maths is typeset by the local MathJax. A slide taller than the
  1280x800 slide size (it would scroll on a projector) fails the test;
  ATTN_COURSE_STRICT_SLIDES=0 turns that into a warning while you rework a lesson.
- jupyterlab-rise is installed and enabled in this JupyterLab, for presenting
  live (`jupyter labextension list`).

ATTN_COURSE_NOTEBOOKS=DIR runs the same tests on another notebooks folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest
from offline_browser import Chromium, remote_references, require_chromium

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("ATTN_COURSE_NOTEBOOKS", REPO_ROOT / "notebooks"))
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = LESSONS + SOLUTIONS
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
# The size every deck is laid out at (tools/export_slides.py); reveal.js scales
# it to the projector, and a slide taller than this has to be scrolled.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800
# Tall slides fail; ATTN_COURSE_STRICT_SLIDES=0 reports them as warnings instead.
STRICT_FIT = os.environ.get("ATTN_COURSE_STRICT_SLIDES", "1") != "0"


def ids(paths):
    return [path.relative_to(NOTEBOOKS).as_posix() for path in paths]


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def slide_type(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def expected_slides(notebook: Path) -> tuple[int, int]:
    """(top-level slides, all slides) the notebook's metadata asks for.

    The first visible cell always starts a slide, whatever its own type.
    """
    kinds = [slide_type(cell) for cell in cells(notebook)]
    first = next((k for k in kinds if k not in ("skip", "notes")), "slide")
    extra = first not in ("slide", "subslide")
    top = kinds.count("slide") + (first == "subslide") + extra
    return top, kinds.count("slide") + kinds.count("subslide") + extra


def deck_path(out: Path, notebook: Path) -> Path:
    folder = out / "solutions" if notebook.parent.name == "solutions" else out
    return folder / f"{notebook.stem}.slides.html"


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_every_cell_has_slide_metadata_and_the_first_starts_a_slide(notebook: Path):
    found = [slide_type(cell) for cell in cells(notebook)]
    missing = [index for index, kind in enumerate(found) if kind is None]
    assert missing == [], f"cells without metadata.slideshow.slide_type: {missing}"
    unknown = {kind for kind in found if kind not in SLIDE_TYPES}
    assert unknown == set(), f"unknown slide types {unknown}; use one of {sorted(SLIDE_TYPES)}"
    assert found[0] == "slide", f"the first cell is a {found[0]!r}, not a 'slide'"


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    if not ALL_NOTEBOOKS:
        pytest.skip(f"no lessons in {NOTEBOOKS} yet")
    out = tmp_path_factory.mktemp("slides")
    command = [sys.executable, str(REPO_ROOT / "tools" / "export_slides.py"), "--out", str(out)]
    result = subprocess.run(
        [*command, *map(str, ALL_NOTEBOOKS)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    return out


class _Deck(HTMLParser):
    """Counts top-level slides (sections directly under .slides) and notes."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.top_level = 0
        self.notes = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.top_level += 1
        if tag == "aside" and "notes" in classes:
            self.notes += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_export_is_a_deck_that_loads_only_local_files(decks: Path, notebook: Path):
    deck = deck_path(decks, notebook)
    assert remote_references(deck) == []
    text = deck.read_text(encoding="utf-8")
    assert "reveal.js/dist/reveal.js" in text and "mathjax/MathJax.js" in text
    parsed = _Deck()
    parsed.feed(text)
    assert parsed.top_level == expected_slides(notebook)[0]
    kinds = [slide_type(cell) for cell in cells(notebook)]
    assert parsed.notes >= (1 if "notes" in kinds else 0)


def test_assets_and_index_are_local_copies(decks: Path):
    assets = decks / "_assets"
    assert (assets / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (assets / "reveal.js" / "plugin" / "notes" / "notes.js").is_file()
    assert (assets / "mathjax" / "MathJax.js").is_file()
    assert remote_references(decks / "index.html") == []
    index = (decks / "index.html").read_text(encoding="utf-8")
    for notebook in ALL_NOTEBOOKS:
        assert deck_path(decks, notebook).relative_to(decks).as_posix() in index


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium("the slides were")
    with Chromium(executable, width=SLIDE_WIDTH, height=SLIDE_HEIGHT) as chromium:
        yield chromium


# Visits every slide; reports its height and whether its maths was typeset.
WALK_SLIDES = r"""
(() => {
  // The slide's first heading or paragraph as written (TeX source, no anchor mark).
  const firstLine = slide => {
    const first = slide.querySelector('h1, h2, h3, h4, p');
    if (!first) return '';
    const copy = first.cloneNode(true);
    copy.querySelectorAll('script[type^="math/tex"]').forEach(
      tex => tex.replaceWith('$' + tex.textContent + '$'));
    copy.querySelectorAll('.MathJax, .MathJax_Preview, .MathJax_Display, .anchor-link').forEach(
      el => el.remove());
    return copy.textContent.trim().slice(0, 60);
  };
  const config = Reveal.getConfig();
  const report = {width: config.width, height: config.height, total: Reveal.getTotalSlides(),
                  tall: [], untypeset: 0, typeset: 0, errors: 0};
  const slides = Reveal.getSlides();
  for (const slide of slides) {
    const index = Reveal.getIndices(slide);
    Reveal.slide(index.h, index.v, Number.MAX_SAFE_INTEGER);  // every fragment shown
    const height = slide.scrollHeight;
    if (height > config.height + 2) {
      report.tall.push({slide: `${index.h + 1}.${index.v + 1}`, height, starts: firstLine(slide)});
    }
  }
  report.typeset = document.querySelectorAll('.MathJax, .MathJax_Display').length;
  report.errors = document.querySelectorAll('.MathJax_Error, .merror').length;
  const text = Array.from(document.querySelectorAll('.jp-MarkdownOutput'))
    .map(el => el.innerText).join('\n');
  report.raw = (text.match(/\$[^$\n]+\$/g) || []).slice(0, 5);
  return report;
})()
"""


def open_deck(page, deck: Path) -> None:
    page.goto(deck.as_uri())
    page.wait_for("!!(window.Reveal && Reveal.isReady() && window.MathJax && MathJax.isReady)")
    page.evaluate("new Promise(done => MathJax.Hub.Queue(() => done(true)))", timeout=60)


def has_maths(notebook: Path) -> bool:
    markdown = [cell for cell in cells(notebook) if cell["cell_type"] == "markdown"]
    return any("$" in "".join(cell["source"]) for cell in markdown)


@pytest.mark.parametrize("notebook", LESSONS, ids=ids(LESSONS))
def test_deck_runs_offline_and_typesets_maths(decks, browser, notebook):
    page = browser.new_page()
    try:
        open_deck(page, deck_path(decks, notebook))
        report = page.evaluate(WALK_SLIDES, timeout=120)
        assert page.remote_requests() == [], "the deck asked the network for something"
    finally:
        page.send("Page.close")
    assert (report["width"], report["height"]) == (SLIDE_WIDTH, SLIDE_HEIGHT)
    assert report["total"] == expected_slides(notebook)[1]
    if has_maths(notebook):
        assert report["typeset"] > 0
    assert report["errors"] == 0, "MathJax reported a TeX error"
    assert report["raw"] == [], "maths left as raw TeX"
    if report["tall"]:
        message = (
            f"{notebook.name}: {len(report['tall'])} of {report['total']} slides are taller "
            f"than {SLIDE_HEIGHT}px and scroll on a projector (split them with 'subslide' "
            f"cells, or move long derivations to 'notes'): "
            + "; ".join(f"{t['slide']} {t['height']}px {t['starts']!r}" for t in report["tall"])
        )
        if STRICT_FIT:
            pytest.fail(message)
        warnings.warn(message, UserWarning, stacklevel=1)


def test_jupyterlab_rise_is_enabled():
    """Presenting live from JupyterLab needs the RISE extension, enabled and OK."""
    jupyter = Path(sys.executable).with_name("jupyter")
    result = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    line = next((ln for ln in listing.splitlines() if "jupyterlab-rise" in ln), "")
    assert re.search(r"jupyterlab-rise v0\.4\d+\.\d+ enabled\s+OK", line), listing
