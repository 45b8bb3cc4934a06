"""Export every lesson (and worked solution) to reveal.js slides that work offline.

Usage:
    python tools/export_slides.py [--out build/slides] [NOTEBOOK ...]

Writes build/slides/NN_name.slides.html (solutions under build/slides/solutions/)
and an index.html linking them. The slides come from the stored outputs (no
notebook is run) and use the cells' slide metadata (slide, subslide, fragment,
skip, notes). Press S in a deck for the speaker view with the notes. A slide
taller than the 1280x800 slide size scrolls (mouse wheel) instead of being cut.

nbconvert's slide template loads reveal.js, MathJax, require.js, jQuery and
mermaid from CDNs. Here a small template on top of it loads only local copies
(reveal.js and MathJax 2.7, copied into build/slides/_assets/ from Python
packages, see tools/course_html.py), so the slides open from the disk with no
network, as in a lecture hall.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from nbconvert import SlidesExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_html  # noqa: E402

ASSETS = "_assets"
TEMPLATE_FILE = "attn_course_slides.html.j2"
# reveal/index.html.j2 with every remote script replaced by a local one.
TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_css -%}
<style type="text/css">
/* Code names in headings keep their case; tall slides scroll. */
.reveal h1, .reveal h2, .reveal h3, .reveal h4 { text-transform: none !important; }
/* A code cell longer than the slide scrolls inside its own box, so the slide still fits. */
.reveal .jp-CodeCell .jp-InputArea-editor .highlight {
    max-height: 760px;
    overflow-y: auto;
}
.reveal .slides section.attn-tall {
    height: {{ resources.reveal.height }}px;
    top: 0 !important;
    overflow-y: auto;
}
</style>
{%- endblock html_head_css -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
    tex2jax: {
        inlineMath: [['$', '$'], ['\\(', '\\)']],
        displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true,
        processEnvironments: true
    },
    "HTML-CSS": {{ resources.attn.mathjax_fonts }},
    displayAlign: 'center',
    messageStyle: 'none',
    showMathMenu: false
});
</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block footer_js -%}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
    controls: true,
    progress: true,
    history: true,
    slideNumber: "{{ resources.reveal.number }}",
    transition: "{{ resources.reveal.transition }}",
    width: {{ resources.reveal.width }},
    height: {{ resources.reveal.height }},
    plugins: [RevealNotes]
});
// A slide taller than the slide size scrolls instead of being cut off.
function scrollIfTall(slide) {
    if (slide && slide.scrollHeight > Reveal.getConfig().height) {
        slide.classList.add('attn-tall');
        Reveal.layout();
    }
}
Reveal.on('ready', function (event) { scrollIfTall(event.currentSlide); });
Reveal.on('slidechanged', function (event) {
    if (window.MathJax && MathJax.Hub) {
        MathJax.Hub.Queue(['Rerender', MathJax.Hub, event.currentSlide],
                          [scrollIfTall, event.currentSlide]);
    } else {
        scrollIfTall(event.currentSlide);
    }
});
</script>
{%- endblock footer_js -%}
"""


def _title(notebook: dict, fallback: str) -> str:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def make_exporter() -> SlidesExporter:
    """A SlidesExporter using the local-only template."""
    loader = jinja2.DictLoader({TEMPLATE_FILE: TEMPLATE})
    exporter = SlidesExporter(extra_loaders=[loader], template_file=TEMPLATE_FILE)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    # "white" uses fonts shipped with reveal.js ("simple", nbconvert's default, loads web fonts).
    exporter.reveal_theme = "white"
    exporter.reveal_width = "1280"
    exporter.reveal_height = "800"
    exporter.reveal_number = "c/t"
    return exporter


def export_one(exporter: SlidesExporter, notebook_path: Path, target: Path, assets: str) -> str:
    """Write one deck to target; return the deck's title.

    assets is the relative URL of the assets folder as seen from target.
    """
    notebook = nbformat.reads(
        json.dumps(course_html.without_live_widgets(json.loads(notebook_path.read_text("utf-8")))),
        as_version=4,
    )
    title = _title(notebook, notebook_path.stem)
    notebook.metadata["title"] = title
    resources = {
        "metadata": {"name": title, "path": str(notebook_path.parent)},
        "attn": {"mathjax_fonts": json.dumps(course_html.MATHJAX_FONTS)},
    }
    exporter.reveal_url_prefix = f"{assets}/reveal.js"
    exporter.mathjax_url = f"{assets}/mathjax/MathJax.js?config={course_html.MATHJAX_CONFIG}"
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return title


def copy_local_assets(out: Path) -> None:
    """reveal.js (dist/ and plugin/) and MathJax into out/_assets/."""
    reveal = out / ASSETS / "reveal.js"
    course_html.copy_assets(course_html.revealjs_dir(), reveal, ("dist", "plugin"))
    course_html.copy_assets(course_html.mathjax_dir(), out / ASSETS / "mathjax")


def _index_page(decks: list[tuple[str, str, str]]) -> str:
    rows = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a>'
        f" <small>({section})</small></li>"
        for href, title, section in decks
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>attn-course slides</title></head>\n<body>\n<h1>attn-course slides</h1>\n"
        "<p>Open a deck; arrows move, <kbd>S</kbd> opens the speaker notes, <kbd>F</kbd> "
        "goes full screen, <kbd>Esc</kbd> shows the overview.</p>\n"
        f"<ul>\n{rows}\n</ul>\n</body>\n</html>\n"
    )


def export_all(notebooks: list[Path], out: Path) -> list[Path]:
    """Export each notebook to out (solutions under out/solutions); return the decks."""
    copy_local_assets(out)
    exporter = make_exporter()
    decks, written = [], []
    for path in notebooks:
        is_solution = path.parent.name == "solutions"
        folder = out / "solutions" if is_solution else out
        assets = f"../{ASSETS}" if is_solution else ASSETS
        target = folder / f"{path.stem}.slides.html"
        title = export_one(exporter, path, target, assets)
        href = target.relative_to(out).as_posix()
        decks.append((href, title, "solutions" if is_solution else "lesson"))
        written.append(target)
        print(f"wrote {target.relative_to(out).as_posix()}")
    (out / "index.html").write_text(_index_page(decks), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every lesson and solution"
    )
    parser.add_argument("--out", type=Path, default=course_html.REPO / "build" / "slides")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or (
        course_html.lesson_notebooks() + course_html.solution_notebooks()
    )
    if not notebooks:
        print("export_slides: no notebooks found in notebooks/", file=sys.stderr)
        return 1
    start = time.perf_counter()
    written = export_all([p.resolve() for p in notebooks], args.out.resolve())
    seconds = time.perf_counter() - start
    print(f"{len(written)} decks in {args.out} ({seconds:.1f} s); open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
