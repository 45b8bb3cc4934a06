"""Lecture decks: every lesson is a lecture an instructor can give.

From each lesson's metadata (CONTRIBUTING.md, "A lesson is also a lecture"):
at most 30 main-path slides in one row (no subslides: every key walks them all, in
the HTML deck and in RISE), speaker notes in each slide's metadata with a point and a
time, one marked must-ask question per six slides, at most 40 minutes in all and
enough for each code or derivation slide; a heading first on every slide that states
its point (no "Figure:" titles), at most 40 words of prose a slide on average, no
"see below" or "in the notebook", numbers rather than True/False verdicts in the
outputs shown, code that shows the idea only (no decorators, docstrings, validator
calls, type hints or lint comments, at most 20 lines), and a lecture's shape (title
with goals, Recap, Questions, Summary, References, a figure drawn in code).

In the exported decks (tools/export_slides.py), in one headless Chromium with the
network cut, at 1280x800 and every fragment shown: each deck loads only local files
and typesets its maths; the arrow keys walk every slide in order; no slide is taller
than the screen and nothing in it scrolls (scrollHeight <= clientHeight on every
slide, code box and output), a Question's answer included once opened; no typeset
formula is clipped or leaves the slide; no code or output line wraps; body text >=
28 px, code >= 24 px, plot text >= 14 px as displayed (the figure's smallest font in
points, times its dpi / 72, times the displayed over the natural image width); no
figure is enlarged beyond its pixels (soft on a projector); each key figure (a
hide-input cell) large on a slide of its own; the heading of every slide at the same
y; reveal's controls, progress bar and slide number off the content; speaker notes
that the speaker view (S) shows.
Two slides per deck are saved as screenshots in build/artifacts/.

Every failing deck test lists all its problems, each naming the deck and the slide
(number as shown on the slide, and its heading).

The Chinese decks (notebooks/zh, exported with --language zh_CN) go through the same
browser test: a translation must fit the same slides.

ATTN_COURSE_LESSONS=path/a.ipynb:path/b.ipynb runs the lesson tests on those
notebooks instead of notebooks/[0-9][0-9]_*.ipynb; ATTN_COURSE_NOTEBOOKS=DIR on the
lessons and solutions of another notebooks folder.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib.style
import pytest
from browser import offline_page
from matplotlib import rcParams
from matplotlib.font_manager import FontProperties

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import lesson_cells  # noqa: E402
from lesson_cells import notes, slide_code, slide_type, source, tags  # noqa: E402

NOTEBOOKS = Path(os.environ.get("ATTN_COURSE_NOTEBOOKS", REPO_ROOT / "notebooks"))
if os.environ.get("ATTN_COURSE_LESSONS"):
    LESSONS = [Path(p).resolve() for p in os.environ["ATTN_COURSE_LESSONS"].split(os.pathsep)]
    SOLUTIONS: list[Path] = []
else:
    LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
# The Chinese lessons (made by `make zh` from the English ones and locale/zh_CN).
ZH_NOTEBOOKS = REPO_ROOT / "notebooks" / "zh"
ZH_LESSONS = (
    [] if os.environ.get("ATTN_COURSE_LESSONS") else sorted(ZH_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
)
ARTIFACTS = REPO_ROOT / "build" / "artifacts"
SLIDE_TYPES = {"slide", "fragment", "-", "skip"}
WIDTH, HEIGHT = 1280, 800
MAX_SLIDES, MAX_MINUTES, MAX_CODE_LINES = 30, 40, 20
SLIDES_PER_MUST_ASK, MAX_MEAN_WORDS = 6, 40
BODY_PX, CODE_PX, PLOT_PX = 28, 24, 14
DECK_NOTES = re.compile(r"Point\.|要点：")  # how the deck renders a slide's notes
FONT_ARG = re.compile(r"\b(?:fontsize|labelsize|size)\s*=\s*(\d+(?:\.\d+)?|['\"][a-z-]+['\"])")
# A verdict where a number belongs: "loss below 0.05: True", or a bare True.
VERDICT = re.compile(r"^\s*(True|False)\s*$|[:=]\s*(True|False)\s*$", re.MULTILINE)
# Slide text that points at the page layout a deck does not have.
LAYOUT_WORDS = re.compile(
    r"\b(?:see|shown|printed|cell|table|figure|plot|code|output|formula|checks?|as)"
    r"\s+(?:below|above)\b"
    r"|\bin the notebook\b|\b(?:below|above)\s*:",
    re.IGNORECASE,
)


def ids(paths):
    return [path.stem for path in paths]


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def main_path_slides(notebook: Path) -> list[list[dict]]:
    """The main path's slides, each a list of its cells."""
    return lesson_cells.main_path_slides(cells(notebook))


def heading(slide: list[dict]) -> str:
    first = slide[0]
    line = source(first).splitlines()[0] if source(first) else ""
    return line if first["cell_type"] == "markdown" else ""


def code_lines(cell: dict) -> list[str]:
    """The lines of a code cell a slide shows."""
    return slide_code(source(cell)).splitlines()


def has_png(cell: dict) -> bool:
    return any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def prose_words(markdown: str) -> int:
    """Words of prose a slide shows: no headings, no display maths, no folded answer."""
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$]+\$", " x ", text)  # an inline formula reads as one word
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", text))


def display_equations(markdown: str) -> int:
    return len(re.findall(r"\$\$.*?\$\$", markdown, flags=re.DOTALL))


def shown_text(cell: dict) -> str:
    """What a code cell's outputs print on a slide (text, not images)."""
    if {"remove-output", "remove-cell"} & set(tags(cell)):
        return ""
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def code_noise(code: str) -> list[str]:
    """What a code slide shows that does not carry the idea."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            if node.returns is not None or any(a.annotation is not None for a in arguments):
                found.append(f"type hints on {node.name}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.decorator_list:
                found.append(f"a decorator on {node.name}")
            if ast.get_docstring(node) is not None:
                found.append(f"the docstring of {node.name}")
        if isinstance(node, ast.AnnAssign):
            found.append("an annotated assignment")
    if re.search(r"#\s*noqa\b", code):
        found.append("a '# noqa' comment")
    return found


def slide_minutes_needed(slide: list[dict]) -> float:
    """The least time a slide can be given: code and derivations need time to read."""
    code = sum(
        len(code_lines(c))
        for c in slide
        if c["cell_type"] == "code" and "hide-input" not in tags(c)
    )
    equations = sum(display_equations(source(c)) for c in slide if c["cell_type"] == "markdown")
    return max(0.5, 0.5 + code / 8, 1.0 * (equations >= 2) + 0.5 * (equations >= 3))


def lecture_problems(notebook: Path) -> list[str]:
    """Everything the notebook's metadata gets wrong as a lecture, one line each."""
    deck = notebook.stem
    slides = main_path_slides(notebook)
    problems = []
    if len(slides) > MAX_SLIDES:
        problems.append(f"{deck}: {len(slides)} main-path slides, at most {MAX_SLIDES}")
    minutes, must_ask, words = 0.0, 0, []
    for number, slide in enumerate(slides, start=1):
        title = heading(slide)
        where = f"{deck} slide {number} {title[:50]!r}"
        if not re.match(r"#{1,3} \S", title):
            problems.append(f"{where}: does not start with a markdown heading (# or ##)")
        if re.match(r"#{1,3} Figure\b", title):
            problems.append(f"{where}: a 'Figure:' title; state the figure's point instead")
        note = notes(slide[0])
        if not note:
            problems.append(f"{where}: no speaker notes (metadata 'notes' of its first cell)")
        else:
            unknown = set(note) - lesson_cells.NOTE_KEYS
            if unknown:
                problems.append(f"{where}: unknown keys in the notes: {sorted(unknown)}")
            if not str(note.get("point", "")).strip():
                problems.append(f"{where}: the notes state no point")
            spent = note.get("minutes")
            if not isinstance(spent, (int, float)) or spent <= 0:
                problems.append(f"{where}: the notes give no time ('minutes')")
                spent = 0
            minutes += spent
            needed = slide_minutes_needed(slide)
            if spent and spent < needed:
                problems.append(
                    f"{where}: {spent:g} min for this slide; its code or derivation needs "
                    f"at least {needed:g}"
                )
            if note.get("must_ask"):
                must_ask += 1
                if not str(note.get("ask", "")).strip().endswith("?"):
                    problems.append(f"{where}: a must-ask slide with no question ('ask')")
        markdown = "\n".join(source(c) for c in slide if c["cell_type"] == "markdown")
        words.append(prose_words(markdown))
        found = LAYOUT_WORDS.search(re.sub(r"<details>.*?</details>", "", markdown, flags=re.S))
        if found:
            problems.append(f"{where}: says {found.group(0)!r}; a slide has no 'below' or notebook")
        for cell in slide:
            if cell["cell_type"] != "code":
                continue
            verdict = VERDICT.search(shown_text(cell))
            if verdict:
                line = verdict.group(0).strip()
                problems.append(f"{where}: shows a verdict ({line!r}); show the number")
            if "hide-input" in tags(cell):
                continue
            count = len(code_lines(cell))
            if count > MAX_CODE_LINES:
                problems.append(
                    f"{where}: a code cell of {count} lines (at most {MAX_CODE_LINES}; "
                    "show the lines that carry the idea, skip the rest)"
                )
            for noise in code_noise(slide_code(source(cell))):
                problems.append(f"{where}: the code shows {noise}")
        figures = [c for c in slide if "hide-input" in tags(c) and has_png(c)]
        if figures and slide[1:] != figures[:1]:
            problems.append(
                f"{where}: a key figure (hide-input) shares its slide; give it a slide "
                "of its own with the caption in the heading cell"
            )
    if minutes > MAX_MINUTES:
        problems.append(f"{deck}: the speaker notes add up to {minutes:g} min, at most 40")
    wanted = math.ceil(len(slides) / SLIDES_PER_MUST_ASK)
    if must_ask < wanted:
        problems.append(
            f"{deck}: {must_ask} must-ask questions for {len(slides)} slides; mark {wanted} "
            "(one per six slides: the ones that matter)"
        )
    if words and sum(words) / len(words) > MAX_MEAN_WORDS:
        problems.append(
            f"{deck}: {sum(words) / len(words):.0f} words of prose a slide on average "
            f"(at most {MAX_MEAN_WORDS}); the rest belongs in the notebook or the notes"
        )
    titles = [heading(slide) for slide in slides]
    if not slides or not titles[0].startswith("# "):
        problems.append(f"{deck}: the first slide is not a title ('# ...')")
    elif not any(
        re.search(r"^\s*(?:[-*]|\d+\.) ", source(c), re.MULTILINE)
        for c in slides[0]
        if c["cell_type"] == "markdown"
    ):
        problems.append(f"{deck} slide 1: the title slide lists no goals ('- ...')")
    for name in ("Recap", "Summary", "References"):
        if not any(re.match(rf"##? {name}\b", t) for t in titles):
            problems.append(f"{deck}: no '## {name}' slide")
    questions = sum(bool(re.match(r"##? Question\b", t)) for t in titles)
    if questions < 2:
        problems.append(f"{deck}: {questions} '## Question' slides, at least 2")
    closing = [t.lstrip("# ").split()[0] if t.strip("# ") else "" for t in titles[-2:]]
    if closing != ["Summary", "References"]:
        problems.append(f"{deck}: the main path ends {closing}, not with Summary, References")
    if not any(c["cell_type"] == "code" and has_png(c) for slide in slides for c in slide):
        problems.append(f"{deck}: no figure drawn in code on the main path (a diagram)")
    return problems


@pytest.mark.parametrize("notebook", LESSONS + SOLUTIONS, ids=ids(LESSONS + SOLUTIONS))
def test_every_cell_has_slide_metadata_and_the_first_starts_a_slide(notebook: Path):
    found = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells(notebook)]
    missing = [index for index, kind in enumerate(found) if kind is None]
    assert missing == [], f"cells without metadata.slideshow.slide_type: {missing}"
    unknown = {kind for kind in found if kind not in SLIDE_TYPES}
    assert unknown == set(), (
        f"slide types {unknown}: use one of {sorted(SLIDE_TYPES)} (no subslides: the slides "
        "sit in one row, so every key walks them all; notes go in the slide's metadata)"
    )
    assert found[0] == "slide", f"the first cell is a {found[0]!r}, not a 'slide'"


@pytest.mark.parametrize("notebook", LESSONS, ids=ids(LESSONS))
def test_lesson_is_a_lecture(notebook: Path):
    problems = lecture_problems(notebook)
    if problems:
        pytest.fail(f"{len(problems)} problems:\n" + "\n".join(problems), pytrace=False)


def test_slides_show_the_idea_of_taught_code():
    code = (
        "from attn_course.support.validation import check_masked_softmax\n"
        "@add_to_class(Foo)\n"
        "def forward(self, X, valid_lens=None):  # noqa: F811\n"
        '    """(batch, n) -> (batch, n)."""\n'
        "    check_masked_softmax(X,\n                         valid_lens)\n"
        "    pairs = [(X, 1),  (X, 2)]  # fmt: skip\n"
        "    return X + 1  # (batch, n)\n"
    )
    shown = (
        "def forward(self, X, valid_lens=None):\n    pairs = [(X, 1),  (X, 2)]\n"
        "    return X + 1  # (batch, n)"
    )
    assert slide_code(code) == shown
    assert code_noise(code) == [
        "a decorator on forward",
        "the docstring of forward",
        "a '# noqa' comment",
    ]
    assert code_noise("def f(x: int) -> int:\n    return x") == ["type hints on f"]


def test_lecture_rules_catch_what_they_name():
    """A made-up lecture that breaks every rule: each rule reports it."""

    def md(text, kind="-", **note):
        meta = {"slideshow": {"slide_type": kind}}
        if note:
            meta["notes"] = note
        return {"cell_type": "markdown", "source": text, "metadata": meta}

    verdict = {
        "cell_type": "code",
        "source": "print(ok)",
        "metadata": {},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "loss ok: True\n"}],
    }
    long_code = {
        "cell_type": "code",
        "source": "\n".join(f"x{i} = {i}" for i in range(15)),  # with print(ok): 16 lines
        "metadata": {},
        "outputs": [],
    }
    slides = [
        md(
            "## Figure: a plot\n\n" + "word " * 90 + "\n\nSee below.",
            "slide",
            point="p",
            minutes=30,
        ),
        md("## Code", "slide", point="p", minutes=1, ask="why", must_ask=True),
        long_code,
        verdict,
        # seven slides want two must-ask questions; wordy, so the mean stays over 40 words
        *(md(f"## Point {n}\n\n" + "word " * 60, "slide", point="p", minutes=1) for n in range(5)),
    ]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "attn_rules_lecture.ipynb"
    path.write_text(json.dumps({"cells": slides}), encoding="utf-8")
    try:
        found = "\n".join(lecture_problems(path))
    finally:
        path.unlink()
    for expected in (
        "'Figure:' title",
        "says 'See below'",
        "words of prose",
        "shows a verdict",
        "needs at least 2.5",
        "with no question",
        "must-ask questions",
        "no '## Recap' slide",
        "no figure drawn",
    ):
        assert expected in found, expected


# --- the exported decks, in a browser ------------------------------------------------


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    notebooks = LESSONS + SOLUTIONS
    if not notebooks:
        pytest.skip("no lessons yet")
    out = tmp_path_factory.mktemp("slides")
    command = [sys.executable, str(REPO_ROOT / "tools" / "export_slides.py"), "--out", str(out)]
    result = subprocess.run(
        [*command, *map(str, notebooks)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    if ZH_LESSONS:
        zh = [*command[:-1], str(out / "zh"), "--language", "zh_CN", *map(str, ZH_LESSONS)]
        result = subprocess.run(zh, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    return out


def is_chinese(notebook: Path) -> bool:
    return ZH_NOTEBOOKS in notebook.parents


def deck_name(notebook: Path) -> str:
    """The deck's name in messages and artefacts: zh_NN_name for a Chinese deck."""
    return f"zh_{notebook.stem}" if is_chinese(notebook) else notebook.stem


def deck_path(out: Path, notebook: Path) -> Path:
    out = out / "zh" if is_chinese(notebook) else out
    folder = out / "solutions" if notebook.parent.name == "solutions" else out
    return folder / f"{notebook.stem}.slides.html"


# What would load a remote file (a hyperlink in the text loads nothing).
REMOTE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?"""
    r"""(?:https?:)?//|@import\s+(?:url\()?["']?(?:https?:)?//|url\(["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_decks_and_index_name_only_local_files(decks: Path):
    assets = decks / "_assets"
    assert (assets / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (assets / "reveal.js" / "plugin" / "notes" / "notes.js").is_file()
    assert (assets / "mathjax" / "MathJax.js").is_file()
    index = (decks / "index.html").read_text(encoding="utf-8")
    for page in [decks / "index.html", *(deck_path(decks, nb) for nb in LESSONS + SOLUTIONS)]:
        text = page.read_text(encoding="utf-8")
        found = REMOTE.search(text)
        assert not found, f"{page.name} loads a remote file: {found and found.group(0)}"
        if page.name != "index.html":
            assert f"{page.relative_to(decks).as_posix()}" in index
            assert "_assets/reveal.js/dist/reveal.js" in text
            assert "_assets/mathjax/MathJax.js" in text


@pytest.fixture(scope="module")
def page():
    """One offline Chromium page for every deck, with the requests it made."""
    with offline_page("the lecture decks were", WIDTH, HEIGHT) as (browser_page, requests):
        failed: list[str] = []
        browser_page.on("requestfailed", lambda request: failed.append(request.url))
        browser_page.attn_requests, browser_page.attn_failed = requests, failed
        yield browser_page


# Visits every slide with every fragment shown; returns what the checks need.
WALK = r"""
async () => {
  const config = Reveal.getConfig();
  const scale = Reveal.getScale();
  const rect = el => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height, r: r.right, b: r.bottom}; };
  // A folded answer (a closed <details>) shows its summary only: its content is hidden.
  const folded = el => !!el.closest('details:not([open])') && !el.closest('summary');
  const visible = el => { const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0
      && !folded(el); };
  const pngDpi = src => {
    try {
      const bytes = atob(src.split(',')[1].slice(0, 400));
      const at = bytes.indexOf('pHYs');
      if (at < 0) return null;
      let perMetre = 0;
      for (let k = 0; k < 4; k++) perMetre = perMetre * 256 + bytes.charCodeAt(at + 4 + k);
      return perMetre * 0.0254;
    } catch (e) { return null; }
  };
  const furniture = ['.controls button.enabled', '.progress', '.slide-number']
    .flatMap(sel => Array.from(document.querySelectorAll('.reveal ' + sel)))
    .filter(visible).map(el => ({what: el.className.split(' ')[0] || el.tagName, ...rect(el)}));
  const slides = [];
  const leaves = Reveal.getSlides();
  for (const [index, slide] of leaves.entries()) {
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v, Number.MAX_SAFE_INTEGER);
    // The deck re-typesets a slide's maths when it is shown: measure after that.
    await new Promise(done => MathJax.Hub.Queue(() => done(true)));
    const first = slide.querySelector('h1, h2, h3, h4, p, pre, img');
    const info = {number: index + 1, hv: `${at.h + 1}.${at.v + 1}`,
      heading: first && /^H[1-3]$/.test(first.tagName) ? first.innerText.trim().slice(0, 50) : '',
      firstTag: first ? first.tagName : '',
      headingY: first && /^H[1-3]$/.test(first.tagName) ? rect(first).y : null,
      slide: rect(slide), scrollHeight: slide.scrollHeight, clientHeight: slide.clientHeight,
      scrollers: [], fonts: [], code: [], images: [], overlaps: [], right: 0, bottom: 0,
      notes: Array.from(slide.querySelectorAll('aside.notes')).map(n => n.textContent).join('\n')};
    // Every element shown, but not inside a typeset formula (measured as a whole) or
    // the notes; the subtree of a hidden element is left out too.
    const content = [];
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_ELEMENT, {
      acceptNode: el => {
        if (el.matches('aside.notes, script, .MathJax_Preview') || !visible(el)) {
          return NodeFilter.FILTER_REJECT;
        }
        if (el.matches('.MathJax, .MathJax_Display')) {
          content.push(el);
          return NodeFilter.FILTER_REJECT;
        }
        return NodeFilter.FILTER_ACCEPT;
      }});
    while (walker.nextNode()) content.push(walker.currentNode);
    for (const el of content) {
      const r = rect(el);
      if (r.w === 0 || r.h === 0) continue;
      if (!el.matches('.MathJax_Display, .MathJax')) {
        info.right = Math.max(info.right, r.r);
        info.bottom = Math.max(info.bottom, r.b);
      }
      // MathJax 2 lays a display out a few px taller than its box (visible, never a
      // scroll box), so only its width counts.
      const maths = el.matches('.MathJax_Display');
      const boxy = el.matches(
        'pre, .highlight, .jp-OutputArea-output, .jp-Cell, .jp-RenderedHTMLCommon');
      const tall = boxy && el.scrollHeight > el.clientHeight + 1;
      if (tall || ((boxy || maths) && el.scrollWidth > el.clientWidth + 1)) {
        info.scrollers.push({what: el.className.split(' ')[0] || el.tagName,
          scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
          scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
      }
      const text = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
      if (text && !el.closest('.MathJax, .MathJax_Display, .MathJax_Preview, script')) {
        const code = !!el.closest('pre, code, .highlight');
        info.fonts.push({code, px: parseFloat(getComputedStyle(el).fontSize) * scale,
                         text: el.textContent.trim().slice(0, 30)});
      }
      if (el.matches('.jp-RenderedImage img')) {
        const natural = {w: el.naturalWidth, h: el.naturalHeight};
        const objectFit = getComputedStyle(el).objectFit;
        let fit = r.w / natural.w;
        if (objectFit === 'contain') fit = Math.min(r.w / natural.w, r.h / natural.h);
        if (objectFit === 'scale-down') fit = Math.min(1, r.w / natural.w, r.h / natural.h);
        info.images.push({natural: natural.w, shown: natural.w * fit,
          shownHeight: natural.h * fit, dpi: pngDpi(el.src),
          key: !!el.closest('.celltag_hide-input')});
      }
      for (const f of furniture) {
        const leaf = el.children.length === 0 ||
          el.matches('img, pre, p, li, h1, h2, h3, h4, td, th');
        if (leaf && r.x < f.r && f.x < r.r && r.y < f.b && f.y < r.b) {
          info.overlaps.push(`${f.what} over <${el.tagName.toLowerCase()}> ` +
                             JSON.stringify(el.textContent.trim().slice(0, 30)));
        }
      }
    }
    info.code = Array.from(slide.querySelectorAll('.jp-InputArea pre')).map(pre => pre.textContent);
    // A line of code or output that the slide's width wraps onto a second line.
    info.wrapped = [];
    for (const pre of slide.querySelectorAll('.jp-Cell pre')) {
      if (!visible(pre)) continue;
      const s = getComputedStyle(pre);
      const lineHeight = parseFloat(s.lineHeight);
      const inner = pre.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
      const lines = pre.textContent.replace(/\n$/, '').split('\n');
      const rendered = Math.round(inner / lineHeight);
      if (rendered > lines.length) {
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
        info.wrapped.push({lines: lines.length, rendered, longest: longest.slice(0, 40),
                           chars: longest.length});
      }
    }
    // Typeset maths inside the slide's content box and inside every box that clips it.
    info.clippedMaths = [];
    const box = {x: rect(slide).x, r: rect(slide).x + config.width * scale - 88 * scale,
                 y: rect(slide).y, b: rect(slide).b};
    for (const maths of slide.querySelectorAll('.MathJax, .MathJax_Display')) {
      if (!visible(maths) || maths.closest('aside.notes')) continue;  // folded answers too
      const m = rect(maths);
      if (m.w === 0) continue;
      let clip = m.x < box.x - 1 || m.r > box.r + 1 || m.b > box.b + 1;
      for (let up = maths.parentElement; up && up !== slide && !clip; up = up.parentElement) {
        const s = getComputedStyle(up);
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
          const u = rect(up);
          clip = m.x < u.x - 1 || m.r > u.r + 1 || (s.overflowY !== 'visible' && m.b > u.b + 1);
        }
      }
      if (clip) info.clippedMaths.push(Array.from(maths.textContent.trim()).slice(0, 40).join(''));
    }
    info.padBottom = parseFloat(getComputedStyle(slide).paddingBottom);
    // A Question's answer, opened in the lecture, must fit on the slide as well.
    const answers = Array.from(slide.querySelectorAll('details:not([open])'));
    info.answerBottom = null;
    if (answers.length) {
      answers.forEach(d => { d.open = true; });
      await new Promise(done => MathJax.Hub.Queue(() => done(true)));
      info.answerBottom = 0;
      for (const el of slide.querySelectorAll('details *')) {
        if (el.closest('aside.notes') || !visible(el)) continue;
        const r = rect(el);
        if (r.h) info.answerBottom = Math.max(info.answerBottom, r.b);
      }
      answers.forEach(d => { d.open = false; });
    }
    slides.push(info);
  }
  Reveal.slide(0, 0);
  const markdown = Array.from(document.querySelectorAll('.jp-MarkdownOutput'))
    .map(el => el.innerText).join('\n');
  return {width: config.width, height: config.height, scale, slides,
    pageScrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
    typeset: document.querySelectorAll('.MathJax, .MathJax_Display').length,
    texErrors: document.querySelectorAll('.MathJax_Error, .merror').length,
    raw: (markdown.match(/\$[^$\n]+\$/g) || []).slice(0, 3)};
}
"""


def smallest_font_points(cell: dict) -> float:
    """The smallest text in a cell's figure, in points: the course style's smallest
    size (attn_course/course.mplstyle, which every lesson applies) or a smaller one the
    cell asks for."""
    keys = (
        "font.size",
        "axes.labelsize",
        "axes.titlesize",
        "xtick.labelsize",
        "ytick.labelsize",
        "legend.fontsize",
    )
    with matplotlib.style.context("attn_course.course"):
        sizes = [FontProperties(size=rcParams[key]).get_size_in_points() for key in keys]
    for found in FONT_ARG.findall(source(cell)):
        sizes.append(
            FontProperties(size=found.strip("'\"")).get_size_in_points()
            if found[0] in "'\""
            else float(found)
        )
    return min(sizes)


def png_dpi(data: str) -> float:
    """A PNG's resolution from its pHYs chunk (matplotlib writes the figure's dpi)."""
    raw = base64.b64decode(data)
    at = raw.find(b"pHYs")
    return struct.unpack(">I", raw[at + 4 : at + 8])[0] * 0.0254 if at > 0 else 100.0


def figures_in_order(notebook: Path) -> list[tuple[float, float]]:
    """(smallest font in points, dpi) of every PNG the deck shows, in order."""
    found = []
    for cell in cells(notebook):
        if slide_type(cell) in ("skip", "notes") or {"remove-output", "remove-cell"} & set(
            tags(cell)
        ):
            continue
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                found.append((smallest_font_points(cell), png_dpi(output["data"]["image/png"])))
    return found


def open_deck(page, deck: Path) -> None:
    page.goto(deck.as_uri())
    page.wait_for_function(
        "window.Reveal && Reveal.isReady() && window.MathJax && MathJax.isReady", timeout=30000
    )
    page.evaluate("new Promise(done => MathJax.Hub.Queue(() => done(true)))")


def speaker_view_notes(page) -> str:
    """Press S: the text of the notes in the speaker view of the first slide."""
    with page.context.expect_page(timeout=10000) as popup_info:
        page.keyboard.press("s")
    popup = popup_info.value
    try:
        popup.wait_for_function(
            "() => { const n = document.querySelector('.speaker-controls-notes');"
            " return n && /Point\\.|要点：/.test(n.textContent); }",
            timeout=10000,
        )
        return popup.inner_text(".speaker-controls-notes")
    except Exception:
        return ""
    finally:
        popup.close()


def walk_by_keys(page, key: str, presses: int) -> list[int]:
    """Press a key from the first slide on; the slide numbers shown after each press."""
    page.evaluate("Reveal.slide(0, 0, 0)")
    page.locator("body").focus()
    seen = []
    for _ in range(presses):
        page.keyboard.press(key)
        seen.append(page.evaluate("Reveal.getSlides().indexOf(Reveal.getCurrentSlide())"))
    page.evaluate("Reveal.slide(0, 0, 0)")
    return seen


def navigation_problems(page, deck: str, count: int) -> list[str]:
    """Arrow, space and page keys walk every slide in order, fragments included."""
    fragments = page.evaluate("document.querySelectorAll('.reveal .slides .fragment').length")
    problems = []
    for key in ("ArrowRight", "Space", "PageDown"):
        seen = walk_by_keys(page, key, count + fragments + 1)
        walked = sorted(set(seen))
        in_order = all(a <= b for a, b in zip(seen, seen[1:], strict=False))
        if walked != list(range(1, count)) or not in_order:
            missing = sorted(set(range(1, count)) - set(seen))
            problems.append(
                f"{deck}: {key} does not walk every slide in order (never reached "
                f"{[m + 1 for m in missing][:8]})"
            )
    return problems


def deck_problems(report: dict, notebook: Path, measured: dict) -> list[str]:
    """Everything wrong with a deck as shown; fills measured with the sizes found."""
    deck = deck_name(notebook)
    problems = []
    measured.update(slides=len(report["slides"]), plot_px=[], heading_y=set())
    if (report["width"], report["height"]) != (WIDTH, HEIGHT) or abs(report["scale"] - 1) > 0.01:
        problems.append(
            f"{deck}: laid out at {report['width']}x{report['height']}, "
            f"scale {report['scale']:.2f}, not 1280x800 at scale 1"
        )
    expected = len(main_path_slides(notebook))
    if len(report["slides"]) != expected:
        problems.append(f"{deck}: {len(report['slides'])} slides, the main path has {expected}")
    if report["pageScrollWidth"] > report["innerWidth"]:
        problems.append(
            f"{deck}: the page is {report['pageScrollWidth']} px wide: a horizontal scrollbar"
        )
    if report["texErrors"]:
        problems.append(f"{deck}: MathJax reported {report['texErrors']} TeX errors")
    if report["raw"]:
        problems.append(f"{deck}: maths left as raw TeX: {report['raw']}")
    has_maths = any(
        "$" in source(c)
        for c in cells(notebook)
        if c["cell_type"] == "markdown" and slide_type(c) not in ("skip", "notes")
    )
    if has_maths and not report["typeset"]:
        problems.append(f"{deck}: the maths was not typeset")
    heading_ys = [s["headingY"] for s in report["slides"] if s["headingY"] is not None]
    top = min(heading_ys, default=0)
    figures = figures_in_order(notebook)
    shown_images = [image for s in report["slides"] for image in s["images"]]
    if len(figures) != len(shown_images):
        problems.append(
            f"{deck}: {len(shown_images)} figures shown, {len(figures)} in the notebook"
        )
    image_index = 0
    fonts = [f for s in report["slides"] for f in s["fonts"]]
    measured["body_px"] = min((f["px"] for f in fonts if not f["code"]), default=None)
    measured["code_px"] = min((f["px"] for f in fonts if f["code"]), default=None)
    for s in report["slides"]:
        where = f"{deck} slide {s['number']} ({s['hv']}) {s['heading']!r}"
        if s["headingY"] is not None:
            measured["heading_y"].add(round(s["headingY"]))
        bottom_limit = s["slide"]["b"] - s["padBottom"] + 1
        if s["firstTag"] not in ("H1", "H2", "H3"):
            problems.append(f"{where}: starts with <{s['firstTag'].lower()}>, not a heading")
        elif s["headingY"] > top + 1:
            problems.append(f"{where}: heading at y = {s['headingY']:.0f}, others at {top:.0f}")
        if s["scrollHeight"] > s["clientHeight"] or s["bottom"] > bottom_limit:
            tall = max(s["scrollHeight"], s["bottom"] - s["slide"]["y"] + s["padBottom"])
            problems.append(f"{where}: {tall:.0f} px tall, the slide is {HEIGHT} px")
        if s["answerBottom"] is not None and s["answerBottom"] > bottom_limit:
            tall = s["answerBottom"] - s["slide"]["y"] + s["padBottom"]
            problems.append(
                f"{where}: its answer, opened, is {tall:.0f} px tall, the slide {HEIGHT}"
            )
        if s["right"] > WIDTH:
            problems.append(f"{where}: content reaches x = {s['right']:.0f}, beyond {WIDTH}")
        for box in s["scrollers"]:
            problems.append(
                f"{where}: a {box['what']} scrolls ({box['scrollWidth']}x{box['scrollHeight']} "
                f"in {box['clientWidth']}x{box['clientHeight']})"
            )
        small_body = [f for f in s["fonts"] if not f["code"] and f["px"] < BODY_PX - 0.05]
        small_code = [f for f in s["fonts"] if f["code"] and f["px"] < CODE_PX - 0.05]
        for f, kind, least in [(f, "text", BODY_PX) for f in small_body[:2]] + [
            (f, "code", CODE_PX) for f in small_code[:2]
        ]:
            problems.append(
                f"{where}: {kind} at {f['px']:.1f} px (at least {least}): {f['text']!r}"
            )
        for code in s["code"]:
            lines = code.rstrip("\n").split("\n")
            if len(lines) > MAX_CODE_LINES:
                problems.append(f"{where}: shows {len(lines)} lines of code, at most 20")
        for overlap in s["overlaps"]:
            problems.append(f"{where}: {overlap}")
        for wrap in s["wrapped"]:
            problems.append(
                f"{where}: a line of {wrap['chars']} characters wraps ({wrap['lines']} lines "
                f"shown on {wrap['rendered']}): {wrap['longest']!r}"
            )
        for maths in s["clippedMaths"]:
            problems.append(f"{where}: a formula is cut off or leaves the slide: {maths!r}")
        if not DECK_NOTES.search(s["notes"]):
            problems.append(f"{where}: no speaker notes in the deck")
        for image in s["images"]:
            points, dpi = figures[image_index] if image_index < len(figures) else (10, 100)
            image_index += 1
            dpi = image["dpi"] or dpi
            px = points * dpi / 72 * image["shown"] / image["natural"]
            measured["plot_px"].append(round(px, 1))
            if px < PLOT_PX:
                problems.append(
                    f"{where}: plot text {px:.1f} px ({points:g} pt at {dpi:.0f} dpi, image "
                    f"{image['natural']} px shown {image['shown']:.0f} px wide); at least 14"
                )
            if image["shown"] > image["natural"] * 1.02:
                problems.append(
                    f"{where}: a figure of {image['natural']} px enlarged to "
                    f"{image['shown']:.0f} px (soft on a projector); render it at the size shown"
                )
            large = image["shown"] >= 0.75 * (WIDTH - 136) or image["shownHeight"] >= 0.6 * HEIGHT
            if image["key"] and not large:
                problems.append(
                    f"{where}: key figure shown {image['shown']:.0f}x"
                    f"{image['shownHeight']:.0f} px, not large on its slide"
                )
    return problems


def screenshot_two(page, report: dict, deck: str) -> list[Path]:
    """Screenshots of the first figure slide and the first code slide (else 1 and 2)."""
    slides = report["slides"]
    figure = next((s for s in slides if s["images"]), None)
    code = next((s for s in slides if s["code"] and s is not figure), None)
    chosen = [s for s in (figure, code) if s] or slides[:2]
    if len(chosen) < 2:
        chosen += [s for s in slides if s not in chosen][: 2 - len(chosen)]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{deck}_slide*.png"):
        old.unlink()
    paths = []
    for s in chosen:
        h, v = (int(n) - 1 for n in s["hv"].split("."))
        page.evaluate(f"Reveal.slide({h}, {v}, Number.MAX_SAFE_INTEGER)")
        page.wait_for_timeout(250)  # the fragments' fade-in
        path = ARTIFACTS / f"{deck}_slide{s['number']:02d}.png"
        page.screenshot(path=str(path))
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    "notebook", LESSONS + ZH_LESSONS, ids=[deck_name(p) for p in LESSONS + ZH_LESSONS]
)
def test_deck_is_readable_offline_and_fits(decks, page, notebook: Path):
    page.attn_requests.clear()
    page.attn_failed.clear()
    open_deck(page, deck_path(decks, notebook))
    report = page.evaluate(WALK)
    deck = deck_name(notebook)
    shots = screenshot_two(page, report, deck)
    page.evaluate("Reveal.slide(0, 0)")
    first_notes = DECK_NOTES.search(report["slides"][0]["notes"])
    notes = speaker_view_notes(page) if first_notes else ""
    measured: dict = {}
    problems = deck_problems(report, notebook, measured)
    problems += navigation_problems(page, deck, len(report["slides"]))
    measured.update(
        heading_y=sorted(measured["heading_y"]),
        screenshots=[path.name for path in shots],
        problems=len(problems),
    )
    summary = ARTIFACTS / f"{deck}.json"
    summary.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")
    if first_notes and not DECK_NOTES.search(notes):
        problems.append(f"{deck}: the speaker view (S) does not show the notes")
    remote = [url for url in page.attn_requests if not url.startswith(("file:", "data:", "about:"))]
    if remote:
        problems.append(f"{deck}: asked the network for {remote[:3]}")
    # MathJax 2's combined config names TeX fonts (for \\mathbb and the like) that
    # jupyter-server-mathjax does not ship; the STIX-Web fonts stand in for them.
    failed = [
        url
        for url in page.attn_failed
        if not url.startswith("about:") and "/mathjax/fonts/HTML-CSS/TeX/" not in url
    ]
    if failed:
        problems.append(f"{deck}: files that failed to load: {failed[:3]}")
    if problems:
        pytest.fail(f"{len(problems)} problems:\n" + "\n".join(problems), pytrace=False)


def test_rise_settings_are_valid_and_match_the_decks():
    """jupyter/overrides.json sets jupyterlab-rise to the decks' size, theme and furniture,
    with keys its settings schema knows (an unknown key makes JupyterLab drop them)."""
    schema_file = (
        Path(sys.prefix)
        / "share/jupyter/labextensions/jupyterlab-rise/schemas"
        / "jupyterlab-rise/plugin.json"
    )
    if not schema_file.is_file():
        pytest.skip("jupyterlab-rise is not installed (requirements.txt)")
    properties = json.loads(schema_file.read_text(encoding="utf-8"))["properties"]
    overrides = json.loads((REPO_ROOT / "jupyter" / "overrides.json").read_text("utf-8"))
    rise = overrides["jupyterlab-rise:plugin"]
    unknown = set(rise) - set(properties)
    assert not unknown, f"keys jupyterlab-rise does not know: {sorted(unknown)}"
    for key, value in rise.items():
        kind = properties[key].get("type")
        assert kind is None or isinstance(value, {"string": str, "boolean": bool}[kind]), key
        allowed = properties[key].get("enum")
        assert allowed is None or value in allowed, f"{key}: {value!r} not in {allowed}"
    expected = {
        "theme": "white",
        "width": str(WIDTH),  # a string (the schema's type); reveal reads it as px
        "height": str(HEIGHT),
        "center": False,
        "controls": True,
        "progress": True,
        "transition": "none",
    }
    assert {key: rise.get(key) for key in expected} == expected
    css = REPO_ROOT / "notebooks" / "rise.css"
    assert css.is_file(), "notebooks/rise.css (the fonts RISE loads beside the lessons)"


# --- RISE in JupyterLab: the same main path and notes ---------------------------------

RISE_PROBE = r"""
() => {
  const leaves = Array.from(document.querySelectorAll('.reveal .slides section'))
    .filter(section => !section.querySelector('section'));
  const shown = el => getComputedStyle(el).display !== 'none';
  const present = document.querySelector('.reveal .slides section.present:not(.stack)');
  const px = el => el ? parseFloat(getComputedStyle(el).fontSize) : null;
  const heading = present && present.querySelector('h1, h2, h3');
  const slides = document.querySelector('.reveal .slides');
  // Code a slide shows: code cells off the skip list whose input is not folded.
  const editors = Array.from(document.querySelectorAll('.reveal .jp-CodeCell'))
    .filter(cell => !cell.closest('.reveal-skip'))
    .map(cell => cell.querySelector('.jp-InputArea'))
    .filter(area => area && !area.classList.contains('lm-mod-hidden')
      && getComputedStyle(area).display !== 'none');
  return {
    slides: leaves.length,
    codeShown: editors.length,
    markers: editors.map(el => el.textContent).filter(t => /#@save|NBVAL_/.test(t)).length,
    codeCells: document.querySelectorAll('.reveal .jp-CodeCell').length,
    skipped: document.querySelectorAll('.reveal-skip').length,
    skippedShown: Array.from(document.querySelectorAll('.reveal-skip')).filter(shown).length,
    size: [slides.style.width, slides.style.height],
    body: px(present && present.querySelector(
      '.jp-RenderedHTMLCommon p, .jp-RenderedHTMLCommon li')),
    code: px(present && present.querySelector('.cm-content')),
    headingY: heading ? Math.round(heading.getBoundingClientRect().top) : null,
    id: present ? present.id : null,
  };
}
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def rise_lesson(tmp_path_factory):
    """JupyterLab serving the first lesson beside notebooks/rise.css, with the course's
    jupyter/overrides.json as its settings; yields (RISE URL of the lesson, lesson)."""
    import secrets
    import shutil
    import time
    import urllib.request

    if not LESSONS:
        pytest.skip("no lessons yet")
    pytest.importorskip("jupyterlab_rise")
    lesson = LESSONS[0]
    root, settings = tmp_path_factory.mktemp("rise"), tmp_path_factory.mktemp("settings")
    shutil.copy(lesson, root / lesson.name)
    shutil.copy(REPO_ROOT / "notebooks" / "rise.css", root / "rise.css")
    shutil.copy(REPO_ROOT / "jupyter" / "overrides.json", settings / "overrides.json")
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.app_settings_dir={settings}",
        f"--RiseApp.app_settings_dir={settings}",
    ]  # fmt: skip
    if getattr(os, "getuid", lambda: -1)() == 0:  # jupyter refuses root without it
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}")
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not start within 30 s")
        yield f"http://127.0.0.1:{port}/rise/{lesson.name}?token={token}", lesson
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture()
def loopback_page(page):
    """A page in the decks' browser that may reach 127.0.0.1 (JupyterLab) and nothing else,
    with the URLs it requested (Playwright allows one browser per test process)."""
    context = page.context.browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    requests: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        local = url.startswith(("http://127.0.0.1", "data:", "about:", "blob:"))
        request_route.continue_() if local else request_route.abort()

    context.route("**/*", route)
    rise = context.new_page()
    rise.on("request", lambda request: requests.append(request.url))
    try:
        yield rise, requests
    finally:
        context.close()


def test_rise_shows_what_the_deck_shows_at_the_deck_sizes(rise_lesson, loopback_page):
    url, lesson = rise_lesson
    rise, requests = loopback_page
    slides = main_path_slides(lesson)
    code_shown = sum(
        c["cell_type"] == "code" and "hide-input" not in tags(c) for slide in slides for c in slide
    )
    skipped = sum(slide_type(c) == "skip" for c in cells(lesson))
    rise.goto(url)
    rise.wait_for_selector(".reveal .slides section.present", timeout=60000)
    # RISE loads rise.css with a <link> of its own: wait until it applies.
    rise.wait_for_function(
        "() => { const p = document.querySelector('.reveal .jp-RenderedHTMLCommon p');"
        f" return p && parseFloat(getComputedStyle(p).fontSize) === {BODY_PX}; }}",
        timeout=30000,
    )
    rise.locator(".jp-Notebook").first.focus()
    seen = [rise.evaluate(RISE_PROBE)]
    for _ in range(min(4, len(slides) - 1)):  # the arrow walks the slides in one row
        rise.keyboard.press("ArrowRight")
        rise.wait_for_function(
            f"() => {{ const s = document.querySelector('section.present:not(.stack)');"
            f" return s && s.id !== {json.dumps(seen[-1]['id'])}; }}"
        )
        seen.append(rise.evaluate(RISE_PROBE))
    remote = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "about:"))]
    first = seen[0]
    where = f"RISE, {lesson.stem}"
    assert remote == [], f"{where}: asked the network for {remote[:3]}"
    assert first["size"] == [f"{WIDTH}px", f"{HEIGHT}px"], f"{where}: slides {first['size']}"
    assert first["slides"] == len(slides), (
        f"{where}: {first['slides']} slides; the deck has {len(slides)}"
    )
    assert first["codeShown"] == code_shown, (
        f"{where}: {first['codeShown']} code cells shown; the deck shows {code_shown} "
        "(a figure's code is folded)"
    )
    assert first["markers"] == 0, f"{where}: a marker line (#@save, NBVAL_) is shown"
    assert (first["skipped"], first["skippedShown"]) == (skipped, 0), f"{where}: skip cells shown"
    for probe in seen:
        assert probe["body"] in (None, BODY_PX) and probe["code"] in (None, CODE_PX), probe
    assert len({probe["headingY"] for probe in seen if probe["headingY"] is not None}) <= 1, seen
