"""The rendered course site: built from stored outputs, checked in a real browser.

Builds the site with Sphinx (docs/conf.py, as `make site` does) into a temporary
folder, then opens every page in headless Chromium with the network cut
(tests/browser.py) and checks that the figures load, the maths is typeset by the
local MathJax and nothing but local files is requested. Screenshots of one lesson
page are kept in build/artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import offline_browser, screenshot, wait_for_mathjax

from conftest import ARTIFACTS, LESSONS, REPO_ROOT, SOLUTIONS, notebook_id

NOTEBOOKS = LESSONS + SOLUTIONS
# The command of `make site`, with the output folder last.
SPHINX = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", "docs"]


def stored_png_count(notebook: Path) -> int:
    """How many PNG figures the notebook stores."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    return sum("image/png" in output.get("data", {}) for output in outputs)


def notebook_has_maths(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return any("$" in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def html_page(site: Path, notebook: Path) -> Path:
    """The page of a notebook: the site mirrors the repository's folders."""
    return site / notebook.relative_to(REPO_ROOT).with_suffix(".html")


def build_site(folder: Path, sphinx: list[str]) -> Path:
    """Run Sphinx (the English or the Chinese configuration) into folder/html."""
    out = folder / "html"
    result = subprocess.run(
        [*sphinx, ".", str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"site build failed:\n{result.stdout}\n{result.stderr}"
    # -W turns every Sphinx warning into a failure; make sure none was printed either.
    assert "WARNING" not in result.stderr, result.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("site"), SPHINX)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: list[str] = []
        self.rel: dict[str, str] = {}
        self.captions: list[str] = []
        self._caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.anchors.append(attrs["href"])
        if tag == "link" and attrs.get("rel") and attrs.get("href"):
            self.rel[attrs["rel"]] = attrs["href"]
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


def test_front_page_lists_lessons_in_order_then_solutions(site: Path):
    front = site / "docs" / "index.html"
    links = parse(front)
    order = [html_page(site, notebook).resolve() for notebook in NOTEBOOKS]
    linked = [(front.parent / href.split("#")[0]).resolve() for href in links.anchors]
    assert [page for page in dict.fromkeys(linked) if page in order] == order
    assert links.captions[:2] == ["Lessons", "Worked solutions"]


def test_each_page_links_to_the_next_and_previous(site: Path):
    pages = [html_page(site, notebook) for notebook in NOTEBOOKS]
    befores, afters = [site / "docs" / "index.html", *pages[:-1]], [*pages[1:], None]
    for before, page, after in zip(befores, pages, afters, strict=True):
        rel = parse(page).rel
        assert (page.parent / rel["prev"]).resolve() == before.resolve(), page.name
        if after is not None:
            assert (page.parent / rel["next"]).resolve() == after.resolve(), page.name


@pytest.fixture(scope="module")
def new_page():
    with offline_browser("the site was", width=1280, height=900) as open_page:
        yield open_page


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
  const widgets = document.querySelectorAll('script[type*="jupyter.widget-view"]').length;
  return {figures, maths: maths.length, untypeset, errors, raw, widgets,
          typeset: article.querySelectorAll('.MathJax, .MathJax_Display').length};
})()
"""


def open_and_typeset(new_page, url: str):
    """Open url, wait for MathJax (Sphinx loads it only where there is maths), report."""
    recorded = new_page()
    recorded.page.goto(url)
    wait_for_mathjax(recorded.page)
    return recorded, recorded.page.evaluate(PAGE_REPORT)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[notebook_id(n) for n in NOTEBOOKS])
def test_in_browser_figures_load_and_maths_is_typeset(site, new_page, notebook):
    recorded, report = open_and_typeset(new_page, html_page(site, notebook).as_uri())
    remote, failed = recorded.remote(), list(recorded.failed)
    recorded.page.close()
    assert remote == [], "the page asked the network for something"
    assert failed == [], "files the page names are missing"
    assert len(report["figures"]) == stored_png_count(notebook)
    for figure in report["figures"]:
        assert figure["complete"] and figure["natural"] > 0 and figure["shown"] > 0, figure
    if notebook_has_maths(notebook):
        assert report["maths"] > 0, "the notebook has $...$ but the page has no maths"
    assert report["untypeset"] == [], "formulas left as raw TeX"
    assert report["errors"] == 0, "MathJax reported a TeX error"
    assert report["raw"] == [], "raw TeX delimiters left in the text"
    assert report["typeset"] >= report["maths"]
    assert report["widgets"] == 0, "a live widget view on a static page"


def test_every_other_page_loads_only_local_files(site, new_page):
    """The entry page leads to the front page; no page of the site reaches the network."""
    lesson_pages = {html_page(site, notebook) for notebook in NOTEBOOKS}
    others = sorted(set(site.rglob("*.html")) - lesson_pages)
    problems = {}
    for page in others:
        recorded = new_page()
        recorded.page.goto(page.as_uri())
        if page == site / "index.html":
            recorded.page.wait_for_url("**/docs/index.html")
        if found := recorded.remote() + recorded.failed:
            problems[page.relative_to(site).as_posix()] = found
        recorded.page.close()
    assert site / "index.html" in others
    assert problems == {}


def _screenshot_lesson() -> Path:
    """The lesson shown in the artefact: the first with heatmaps and maths."""

    def draws_heatmaps(lesson: Path) -> bool:
        return "show_heatmaps(" in lesson.read_text(encoding="utf-8")

    for wanted in (draws_heatmaps, stored_png_count):
        for lesson in LESSONS:
            if wanted(lesson) and notebook_has_maths(lesson):
                return lesson
    return LESSONS[0]


# Scrolls to the first figure drawn by a cell that calls show_heatmaps (else the first).
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
FIRST_MATHS = """
(() => {
  const maths = document.querySelector('article div.math.notranslate');
  if (!maths) return false;
  maths.scrollIntoView({block: 'start', behavior: 'instant'});
  return true;
})()
"""


def test_screenshot_of_a_lesson_page(site, new_page):
    """Keeps build/artifacts/site_<lesson>_maths.png and _figure.png for a person to look at."""
    lesson = _screenshot_lesson()
    recorded, _ = open_and_typeset(new_page, html_page(site, lesson).as_uri())
    page, shots = recorded.page, []
    for part, scroll in (("maths", FIRST_MATHS), ("figure", FIRST_HEATMAP)):
        if page.evaluate(scroll):
            page.evaluate("new Promise(done => requestAnimationFrame(() => setTimeout(done, 100)))")
            shots.append(screenshot(page, ARTIFACTS / f"site_{lesson.stem}_{part}.png"))
    page.close()
    assert len(shots) == 2, "the lesson shown has no display maths or no figure"
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 10_000


# The Chinese site (docs/zh/conf.py: the same settings, language zh_CN) over notebooks/zh.
ZH_DIR = REPO_ROOT / "notebooks" / "zh"
ZH_NOTEBOOKS = sorted(ZH_DIR.glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ZH_DIR / "solutions").glob("[0-9][0-9]_*.ipynb")
)
ZH_SPHINX = [*SPHINX[: SPHINX.index("-c")], "-c", "docs/zh"]


@pytest.fixture(scope="module")
def zh_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("site_zh"), ZH_SPHINX)


def test_chinese_site_has_every_lesson_in_order_in_chinese(zh_site: Path):
    assert len(ZH_NOTEBOOKS) == len(NOTEBOOKS), "make zh writes every lesson and solution"
    front = zh_site / "docs" / "zh" / "index.html"
    links = parse(front)
    order = [html_page(zh_site, notebook).resolve() for notebook in ZH_NOTEBOOKS]
    linked = [(front.parent / href.split("#")[0]).resolve() for href in links.anchors]
    assert [page for page in dict.fromkeys(linked) if page in order] == order
    assert links.captions[:2] == ["课程", "解答"]
    for page in [front, *order]:
        html = page.read_text(encoding="utf-8")
        assert 'lang="zh-CN"' in html.split("<head>")[0], f"{page.name}: not marked as Chinese"
        assert "搜索" in html, f"{page.name}: Sphinx's own words are not in Chinese"


@pytest.mark.parametrize("notebook", ZH_NOTEBOOKS, ids=[notebook_id(n) for n in ZH_NOTEBOOKS])
def test_chinese_pages_load_figures_and_typeset_maths(zh_site, new_page, notebook):
    recorded, report = open_and_typeset(new_page, html_page(zh_site, notebook).as_uri())
    remote, failed = recorded.remote(), list(recorded.failed)
    recorded.page.close()
    assert remote == [] and failed == []
    assert len(report["figures"]) == stored_png_count(notebook)
    for figure in report["figures"]:
        assert figure["complete"] and figure["natural"] > 0 and figure["shown"] > 0, figure
    if notebook_has_maths(notebook):
        assert report["maths"] > 0
    assert report["untypeset"] == [] and report["errors"] == 0 and report["raw"] == []


def test_screenshots_of_two_chinese_pages(zh_site, new_page):
    """Keeps build/artifacts/site_zh_front.png and site_zh_<lesson>_maths.png for a person
    to look at: the Chinese front page and a lesson's typeset maths."""
    lesson = ZH_DIR / _screenshot_lesson().name
    shots = []
    recorded, _ = open_and_typeset(new_page, (zh_site / "docs" / "zh" / "index.html").as_uri())
    shots.append(screenshot(recorded.page, ARTIFACTS / "site_zh_front.png"))
    recorded.page.close()
    recorded, _ = open_and_typeset(new_page, html_page(zh_site, lesson).as_uri())
    if recorded.page.evaluate(FIRST_MATHS):
        recorded.page.evaluate(
            "new Promise(done => requestAnimationFrame(() => setTimeout(done, 100)))"
        )
        shots.append(screenshot(recorded.page, ARTIFACTS / f"site_zh_{lesson.stem}_maths.png"))
    recorded.page.close()
    assert len(shots) == 2, "the Chinese lesson shown has no display maths"
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 10_000
