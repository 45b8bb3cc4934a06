"""Export every lesson (and worked solution) to a reveal.js lecture deck that works offline.

Usage:
    python tools/export_slides.py [--out build/slides] [NOTEBOOK ...]
    python tools/export_slides.py --language zh_CN   # the Chinese decks, build/slides/zh

Writes build/slides/NN_name.slides.html (solutions under build/slides/solutions/)
and an index.html linking them. The Chinese decks come from notebooks/zh (made by
``make zh``), with the speaker view's labels and the index in Chinese. The decks
come from the stored outputs (no notebook is run) and from the cells' slide metadata
(CONTRIBUTING.md, "A lesson is also a lecture"):

- the deck is the main path: cells whose slide type is ``skip`` are left out;
- the ``notes`` in a slide's metadata become reveal.js speaker notes (press S for
  the speaker view): the point, the time, the question;
- code shows the lines that carry the idea (``lesson_cells.slide_code``: no
  decorators, docstrings, validator calls or lint comments);
- a cell tagged ``hide-input`` (or ``remove-input``) shows its output only;
  ``remove-output`` and ``remove-cell`` tags are honoured as on the site.

nbconvert's SlidesExporter does the work with the template in
tools/templates/attn_slides/ (index.html.j2 on top of nbconvert's reveal template,
static/slides.css for the layout). Its URL traits point at local copies of
reveal.js (from sphinx-revealjs) and MathJax 2.7 (from jupyter-server-mathjax),
copied into build/slides/_assets/, so the decks open from the disk with no
network, as in a lecture hall.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course_html import (  # noqa: E402
    MATHJAX_CONFIG,
    MATHJAX_FONTS,
    REPO,
    copy_assets,
    lesson_notebooks,
    mathjax_dir,
    revealjs_dir,
    solution_notebooks,
    without_live_widgets,
)
from lesson_cells import main_path_slides, notes, notes_markdown, slide_code  # noqa: E402

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "attn_slides"
ASSETS = "_assets"
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800


class MainPathPreprocessor(Preprocessor):
    """Keep the main path, show each code cell's idea, put each slide's notes last.

    Registered as a user preprocessor, so it runs before the reveal template's own
    (which works out where each slide starts and ends from the cells that are left,
    and turns ``notes`` cells into speaker notes).
    """

    enabled = True

    def preprocess(self, nb, resources):
        cells = []
        for slide in main_path_slides(nb.cells):
            for cell in slide:
                if cell.cell_type == "code":
                    cell.source = slide_code(cell.source)
                cells.append(cell)
            note = notes(slide[0])
            if note:
                language = nb.metadata.get("language", "en")
                cells.append(
                    nbformat.v4.new_markdown_cell(
                        notes_markdown(note, language),
                        metadata={"slideshow": {"slide_type": "notes"}},
                    )
                )
        nb.cells = cells
        return nb, resources


def make_exporter() -> SlidesExporter:
    """nbconvert's SlidesExporter with the course template and its local scripts."""
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"hide-input", "remove-input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    return SlidesExporter(
        config=config,
        extra_template_basedirs=[str(TEMPLATES)],
        template_name=TEMPLATE_NAME,
        preprocessors=[MainPathPreprocessor()],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # "white" uses fonts shipped with reveal.js ("simple" loads web fonts).
        reveal_theme="white",
        reveal_transition="none",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
        reveal_number="c/t",
    )


def _title(notebook: dict, fallback: str) -> str:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def main_path_summary(notebook: dict) -> tuple[int, float]:
    """(main-path slides, minutes the speaker notes budget) of a notebook."""
    slides = main_path_slides(notebook.get("cells", []))
    minutes = sum((notes(slide[0]) or {}).get("minutes", 0) for slide in slides)
    return len(slides), minutes


def export_one(exporter: SlidesExporter, notebook_path: Path, target: Path, assets: str) -> dict:
    """Write one deck to target; return its title, slides and minutes.

    assets is the relative URL of the assets folder as seen from target.
    """
    raw = without_live_widgets(json.loads(notebook_path.read_text("utf-8")))
    notebook = nbformat.reads(json.dumps(raw), as_version=4)
    title = _title(notebook, notebook_path.stem)
    notebook.metadata["title"] = title
    resources = {
        "metadata": {"name": title, "path": str(notebook_path.parent)},
        "attn": {"mathjax_fonts": json.dumps(MATHJAX_FONTS)},
    }
    exporter.reveal_url_prefix = f"{assets}/reveal.js"
    exporter.mathjax_url = f"{assets}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    slides, minutes = main_path_summary(raw)
    return {"title": title, "slides": slides, "minutes": round(minutes)}


def copy_local_assets(out: Path) -> None:
    """reveal.js (dist/ and plugin/) and MathJax into out/_assets/."""
    copy_assets(revealjs_dir(), out / ASSETS / "reveal.js", ("dist", "plugin"))
    copy_assets(mathjax_dir(), out / ASSETS / "mathjax")


# The index page's words, per language.
INDEX_WORDS = {
    "en": {
        "lang": "en",
        "title": "attn-course lecture decks",
        "help": "Open a deck; the arrow keys move, <kbd>S</kbd> opens the speaker view with the "
        "notes and a timer, <kbd>F</kbd> goes full screen, <kbd>Esc</kbd> shows the overview.",
        "lessons": "Lessons",
        "solutions": "Worked solutions",
        "slides": "slides",
        "about": "about {minutes} min",
    },
    "zh_CN": {
        "lang": "zh-CN",
        "title": "attn-course 讲课幻灯片",
        "help": "打开一份幻灯片；方向键翻页，<kbd>S</kbd> 打开带备注和计时器的演讲者视图，"
        "<kbd>F</kbd> 全屏，<kbd>Esc</kbd> 显示总览。",
        "lessons": "课程",
        "solutions": "解答",
        "slides": "张幻灯片",
        "about": "约 {minutes} 分钟",
    },
}


def index_page(sections: list[tuple[str, list[dict]]], language: str = "en") -> str:
    """The index of the decks, from templates/attn_slides/deck_index.html.j2."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / TEMPLATE_NAME),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    page = environment.get_template("deck_index.html.j2")
    words = INDEX_WORDS[language]
    return page.render(title=words["title"], words=words, sections=sections)


def export_all(notebooks: list[Path], out: Path, language: str = "en") -> list[Path]:
    """Export each notebook to out (solutions under out/solutions); return the decks."""
    copy_local_assets(out)
    exporter = make_exporter()
    words = INDEX_WORDS[language]
    sections: dict[str, list[dict]] = {words["lessons"]: [], words["solutions"]: []}
    written = []
    for path in notebooks:
        is_solution = path.parent.name == "solutions"
        folder = out / "solutions" if is_solution else out
        assets = f"../{ASSETS}" if is_solution else ASSETS
        target = folder / f"{path.stem}.slides.html"
        deck = export_one(exporter, path, target, assets)
        deck["href"] = target.relative_to(out).as_posix()
        sections[words["solutions"] if is_solution else words["lessons"]].append(deck)
        written.append(target)
        print(f"wrote {deck['href']}")
    listed = [(name, decks) for name, decks in sections.items() if decks]
    (out / "index.html").write_text(index_page(listed, language), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every lesson and solution"
    )
    parser.add_argument("--out", type=Path, help="default: build/slides (zh_CN: build/slides/zh)")
    parser.add_argument("--language", default="en", choices=sorted(INDEX_WORDS))
    args = parser.parse_args(argv)
    chinese = args.language == "zh_CN"
    folder = REPO / "notebooks" / "zh" if chinese else REPO / "notebooks"
    args.out = args.out or REPO / "build" / "slides" / ("zh" if chinese else "")
    notebooks = args.notebooks or (lesson_notebooks(folder) + solution_notebooks(folder))
    if not notebooks:
        print("export_slides: no notebooks found in notebooks/", file=sys.stderr)
        return 1
    start = time.perf_counter()
    written = export_all([p.resolve() for p in notebooks], args.out.resolve(), args.language)
    seconds = time.perf_counter() - start
    print(f"{len(written)} decks in {args.out} ({seconds:.1f} s); open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
