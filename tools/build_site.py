"""Build the course site: static HTML of every lesson and worked solution.

Usage:
    python tools/build_site.py [--out build/site] [--allow-warnings]

Then open build/site/index.html in a browser (no server needed).

The pages show the outputs stored in the notebooks: nothing is executed and
nothing is fetched from the network (see docs/README.md). The script gathers
docs/ and the notebooks into build/site-src/ (lessons under lessons/, solutions
under solutions/, live widgets replaced by a note), writes the two tables of
contents into the front page, and runs Sphinx. Any Sphinx warning fails the
build unless --allow-warnings is given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_html  # noqa: E402

DOCS = course_html.REPO / "docs"
SECTIONS = (("lessons", "Lessons"), ("solutions", "Worked solutions"))


def _toctree(caption: str, folder: str, names: list[str]) -> str:
    entries = "\n".join(f"{folder}/{name}" for name in names)
    return f"\n```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{entries}\n```\n"


def stage(source: Path, notebooks: Path = course_html.NOTEBOOKS, docs: Path = DOCS) -> dict:
    """Gather docs/ and the notebooks into source (emptied first).

    Returns {"lessons": [names], "solutions": [names]} in teaching order.
    """
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(docs, source, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    found = {
        "lessons": course_html.lesson_notebooks(notebooks),
        "solutions": course_html.solution_notebooks(notebooks),
    }
    if not found["lessons"]:
        raise FileNotFoundError(f"no lessons (NN_name.ipynb) in {notebooks}")
    index = (source / "index.md").read_text(encoding="utf-8")
    names = {}
    for folder, caption in SECTIONS:
        (source / folder).mkdir()
        names[folder] = []
        for path in found[folder]:
            notebook = course_html.without_live_widgets(json.loads(path.read_text("utf-8")))
            (source / folder / path.name).write_text(json.dumps(notebook), encoding="utf-8")
            names[folder].append(path.stem)
        if names[folder]:
            index += _toctree(caption, folder, names[folder])
    (source / "index.md").write_text(index, encoding="utf-8")
    return names


def build(out: Path, source: Path, strict: bool = True) -> int:
    """Run Sphinx on source into out; return its exit status."""
    from sphinx.cmd.build import build_main

    args = ["-b", "html", "-E", "-q", "-d", str(source / ".doctrees"), str(source), str(out)]
    if strict:
        args[:0] = ["-W", "--keep-going"]
    return build_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=course_html.REPO / "build" / "site")
    parser.add_argument("--source", type=Path, help="staging folder (default: OUT-src)")
    parser.add_argument("--notebooks", type=Path, default=course_html.NOTEBOOKS)
    parser.add_argument("--allow-warnings", action="store_true", help="build even if Sphinx warns")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    source = (args.source or out.with_name(out.name + "-src")).resolve()
    start = time.perf_counter()
    try:
        names = stage(source, args.notebooks.resolve())
    except FileNotFoundError as error:
        print(f"build_site: {error}", file=sys.stderr)
        return 1
    status = build(out, source, strict=not args.allow_warnings)
    seconds = time.perf_counter() - start
    if status != 0:
        print(
            f"build_site: Sphinx failed (status {status}); fix the warnings above, "
            "or rerun with --allow-warnings",
            file=sys.stderr,
        )
        return status
    counts = ", ".join(f"{len(v)} {k}" for k, v in names.items())
    print(f"site built in {seconds:.1f} s ({counts}): open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
