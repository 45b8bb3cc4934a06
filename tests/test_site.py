"""The rendered course site: built from stored outputs, checked in a real browser.

Builds the site with tools/build_site.py into a temporary folder, then opens
every lesson and solution page in headless Chromium with the network cut
(tests/offline_browser.py) and checks that the figures load and the maths is
typeset by the local MathJax. Skips the browser part, with a message, where
Chromium is not installed (Debian: `apt-get install chromium`; CI installs it).
A screenshot of one lesson page is kept in build/artifacts/.

ATTN_COURSE_NOTEBOOKS=DIR runs the same tests on another notebooks folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from offline_browser import Chromium, remote_references, require_chromium

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("ATTN_COURSE_NOTEBOOKS", REPO_ROOT / "notebooks"))
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
PAGES = [("lessons", p) for p in LESSONS] + [("solutions", p) for p in SOLUTIONS]
ARTIFACTS = REPO_ROOT / "build" / "artifacts"
BUILD_SECONDS = 60
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def page_ids(pages):
    return [f"{section}/{path.stem}" for section, path in pages]


def stored_png_count(notebook: Path) -> int:
    """How many PNG figures the notebook stores (widget views excluded)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(
        1
        for cell in cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    )


def notebook_has_maths(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return "$" in text


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not LESSONS:
        pytest.skip(f"no lessons in {NOTEBOOKS} yet")
    out = tmp_path_factory.mktemp("site") / "html"
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "build_site.py"),
            "--out",
            str(out),
            "--notebooks",
            str(NOTEBOOKS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 0, f"site build failed:\n{result.stdout}\n{result.stderr}"
    # -W turns every Sphinx warning into a failure; make sure none was printed either.
    assert "WARNING" not in result.stderr, result.stderr
    assert seconds < BUILD_SECONDS, f"site build took {seconds:.0f} s"
    return out


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: list[str] = []
        self.rel: dict[str, str] = {}
        self.captions: list[str] = []
        self.images: list[str] = []
        self._caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.anchors.append(attrs["href"])
        if tag == "link" and attrs.get("rel") and attrs.get("href"):
            self.rel[attrs["rel"]] = attrs["href"]
        if tag == "img" and "_images/" in attrs.get("src", ""):
            self.images.append(attrs["src"])
        if tag == "p" and "caption" in (attrs.get("class") or "").split():
            self._caption = True

    def handle_data(self, data):
        if self._caption and data.strip():
            self.captions.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "p":
            self._caption = False


def parse(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def html_page(site: Path, section: str, notebook: Path) -> Path:
    return site / section / f"{notebook.stem}.html"


def test_front_page_lists_lessons_in_order_then_solutions(site: Path):
    links = parse(site / "index.html")
    order = [f"{section}/{path.stem}.html" for section, path in PAGES]
    listed = [href for href in dict.fromkeys(links.anchors) if href in order]
    assert listed == order
    assert "Lessons" in links.captions
    if SOLUTIONS:
        assert "Worked solutions" in links.captions


def test_each_page_links_to_the_next_and_previous(site: Path):
    pages = [html_page(site, section, path) for section, path in PAGES]
    befores, afters = [site / "index.html", *pages[:-1]], [*pages[1:], None]
    for before, page, after in zip(befores, pages, afters, strict=True):
        rel = parse(page).rel
        assert (page.parent / rel["prev"]).resolve() == before.resolve(), page.name
        if after is not None:
            assert (page.parent / rel["next"]).resolve() == after.resolve(), page.name


@pytest.mark.parametrize(("section", "notebook"), PAGES, ids=page_ids(PAGES))
def test_page_shows_every_stored_figure_and_loads_only_local_files(site, section, notebook):
    page = html_page(site, section, notebook)
    assert remote_references(page) == []
    images = parse(page).images
    assert len(images) == stored_png_count(notebook)
    for src in images:
        assert (page.parent / src).stat().st_size > 0


def test_site_loads_no_cdn_anywhere(site: Path):
    problems = {
        page.relative_to(site).as_posix(): remote_references(page)
        for page in site.rglob("*.html")
        if "_static" not in page.parts
    }
    assert {page: found for page, found in problems.items() if found} == {}
    assert (site / "_static" / "mathjax" / "MathJax.js").is_file()


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium("the site was")
    with Chromium(executable) as chromium:
        yield chromium


# Runs in the page after MathJax has finished: what a reader would see.
PAGE_REPORT = r"""
(() => {
  const article = document.querySelector('article') || document.body;
  const figures = Array.from(article.querySelectorAll('img'))
    .filter(img => img.src.includes('/_images/'))
    .map(img => ({src: img.src.split('/').pop(), complete: img.complete,
                  natural: img.naturalWidth, shown: img.getBoundingClientRect().width}));
  // Sphinx's maths containers (MathJax's own output also uses class "math").
  const maths = Array.from(article.querySelectorAll('.math.notranslate'));
  const untypeset = maths.filter(m => !m.querySelector('.MathJax, .MathJax_Display'))
    .map(m => m.textContent.slice(0, 80));
  const errors = article.querySelectorAll('.MathJax_Error, .merror, .mjx-merror').length;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const skip = 'PRE, CODE, SCRIPT, STYLE, .highlight, .MathJax, .MathJax_Display, .MathJax_Preview';
  let prose = '';
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (parent && !parent.closest(skip)) prose += walker.currentNode.textContent;
  }
  const raw = (prose.match(/\$[^$\n]+\$|\\\(|\\\)|\\\[|\\\]/g) || []).slice(0, 5);
  return {figures, maths: maths.length, untypeset, errors, raw,
          typeset: article.querySelectorAll('.MathJax, .MathJax_Display').length};
})()
"""


def open_and_typeset(page, url: str) -> dict:
    """Open a page, wait until MathJax is done (Sphinx loads it only where there is maths)."""
    page.goto(url)
    if page.evaluate("!!document.querySelector('script[src*=\"mathjax/MathJax.js\"]')"):
        page.wait_for("!!(window.MathJax && MathJax.Hub && MathJax.isReady)", timeout=30)
        page.evaluate("new Promise(done => MathJax.Hub.Queue(() => done(true)))", timeout=60)
    return page.evaluate(PAGE_REPORT)


@pytest.mark.parametrize(("section", "notebook"), PAGES, ids=page_ids(PAGES))
def test_in_browser_figures_load_and_maths_is_typeset(site, browser, section, notebook):
    page = browser.new_page()
    try:
        report = open_and_typeset(page, html_page(site, section, notebook).as_uri())
        assert page.remote_requests() == [], "the page asked the network for something"
    finally:
        page.send("Page.close")
    assert len(report["figures"]) == stored_png_count(notebook)
    for figure in report["figures"]:
        assert figure["complete"] and figure["natural"] > 0 and figure["shown"] > 0, figure
    if notebook_has_maths(notebook):
        assert report["maths"] > 0, "the notebook has $...$ but the page has no maths"
    assert report["untypeset"] == [], "formulas left as raw TeX"
    assert report["errors"] == 0, "MathJax reported a TeX error"
    assert report["raw"] == [], "raw TeX delimiters left in the text"
    assert report["typeset"] >= report["maths"]


def _screenshot_lesson() -> Path:
    """The lesson shown in the artefact: the first with heatmaps and maths."""

    def draws_heatmaps(lesson: Path) -> bool:
        return "show_heatmaps(" in lesson.read_text(encoding="utf-8")

    for wanted in (draws_heatmaps, stored_png_count):
        for lesson in LESSONS:
            if wanted(lesson) and notebook_has_maths(lesson):
                return lesson
    return LESSONS[0]


# The first figure drawn by a cell that calls show_heatmaps (else the first figure).
FIRST_HEATMAP = r"""
(() => {
  const cells = Array.from(document.querySelectorAll('article .cell'));
  const heatmap = cells.find(cell => cell.querySelector('img[src*="_images/"]')
      && (cell.querySelector('.cell_input') || cell).textContent.includes('show_heatmaps('));
  const img = (heatmap || document).querySelector('img[src*="_images/"]');
  if (!img) return false;
  img.scrollIntoView({block: 'center', behavior: 'instant'});
  return true;
})()
"""


def scroll_to(page, selector: str, block: str) -> bool:
    """Scroll the first element matching selector into view; False if there is none."""
    found = page.evaluate(
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        f" if (!el) return false; el.scrollIntoView({{block: '{block}', behavior: 'instant'}});"
        " return true; })()"
    )
    return _settle(page, found)


def _settle(page, found: bool) -> bool:
    page.evaluate("new Promise(done => requestAnimationFrame(() => setTimeout(done, 100)))")
    return found


def test_screenshot_of_a_lesson_page(site, browser):
    """Keeps build/artifacts/site_<lesson>_maths.png and _figure.png for a person to look at."""
    lesson = _screenshot_lesson()
    page = browser.new_page()
    shots = []
    try:
        report = open_and_typeset(page, html_page(site, "lessons", lesson).as_uri())
        if report["maths"] and scroll_to(page, "article div.math.notranslate", "start"):
            shots.append(page.screenshot(ARTIFACTS / f"site_{lesson.stem}_maths.png"))
        if report["figures"] and _settle(page, page.evaluate(FIRST_HEATMAP)):
            shots.append(page.screenshot(ARTIFACTS / f"site_{lesson.stem}_figure.png"))
        if not shots:
            shots.append(page.screenshot(ARTIFACTS / f"site_{lesson.stem}_top.png"))
    finally:
        page.send("Page.close")
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 10_000
