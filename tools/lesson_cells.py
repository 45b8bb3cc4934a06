"""What a lesson's cells mean: the metadata conventions that sync, slides and tests share.

Everything a reader need not see lives in a cell's metadata, never in its text, so
that JupyterLab, RISE, GitHub and the site show the lesson alone:

- ``tags: ["save:MODULE"]`` marks taught code that ``make sync`` exports to
  ``attn_course/MODULE.py`` (d2l's ``#@save``, kept out of the source so that no
  slide shows it);
- nbval's own tags (``nbval-ignore-output``, ``nbval-skip``,
  ``nbval-raises-exception``) mark cells whose output is not compared; the cell's
  first line is a comment saying why;
- ``slideshow.slide_type`` places the cell on the lecture's main path or off it
  (``skip``);
- ``notes`` on the cell that starts a slide holds the speaker notes:
  ``{"point": str, "minutes": number, "ask": str (optional),
  "must_ask": bool}``.
"""

from __future__ import annotations

import ast
import re

SAVE_TAG = "save:"
NBVAL_TAGS = ("nbval-ignore-output", "nbval-skip", "nbval-raises-exception", "nbval-check-output")
NOT_COMPARED_TAGS = ("nbval-ignore-output", "nbval-skip")
NOTE_KEYS = {"point", "minutes", "ask", "must_ask"}
SLIDE_STARTS = ("slide", "subslide")
LINT_COMMENT = re.compile(r"\s*#\s*(?:noqa\b|type:|pragma\b|fmt:).*$")


def source(cell: dict) -> str:
    return "".join(cell.get("source", ""))


def tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def save_module(cell: dict) -> str | None:
    """The module a taught cell is exported to (its ``save:MODULE`` tag), else None."""
    if cell.get("cell_type") != "code":
        return None
    found = [tag[len(SAVE_TAG) :] for tag in tags(cell) if tag.startswith(SAVE_TAG)]
    if len(found) > 1:
        raise ValueError(f"a cell with two save tags: {found}")
    return found[0] if found else None


def is_compared(cell: dict) -> bool:
    """Whether nbval compares the cell's output."""
    return not set(tags(cell)) & set(NOT_COMPARED_TAGS)


def notes(cell: dict) -> dict | None:
    """The speaker notes a slide-starting cell carries, or None."""
    return cell.get("metadata", {}).get("notes")


def main_path_slides(cells: list[dict]) -> list[list[dict]]:
    """The lecture's slides (each a list of its cells), skipped cells left out."""
    slides: list[list[dict]] = []
    for cell in cells:
        kind = slide_type(cell)
        if kind == "skip":
            continue
        if kind in SLIDE_STARTS or not slides:
            slides.append([])
        slides[-1].append(cell)
    return slides


# The labels of the speaker view, per language of the notebook (metadata "language").
NOTE_LABELS = {
    "en": {"point": "Point.", "time": "Time.", "min": "min", "ask": "Ask.", "must": "Must ask."},
    "zh_CN": {
        "point": "要点：",
        "time": "时间：",
        "min": "分钟",
        "ask": "提问：",
        "must": "必问：",
    },  # noqa: E501
}


def notes_markdown(note: dict, language: str = "en") -> str:
    """Speaker notes as the deck's speaker view shows them: point, time, question."""
    label = NOTE_LABELS[language]
    lines = [f"**{label['point']}** {note['point']}", ""]
    lines.append(f"**{label['time']}** {note['minutes']:g} {label['min']}")
    if note.get("ask"):
        ask = label["must"] if note.get("must_ask") else label["ask"]
        lines += ["", f"**{ask}** {note['ask']}"]
    return "\n".join(lines)


def _statement_lines(tree: ast.Module) -> set[int]:
    """Line numbers (1-based) a slide leaves out: docstrings, decorators, validator calls."""
    drop: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                drop.update(range(decorator.lineno, decorator.end_lineno + 1))
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
                and len(body) > 1
            ):
                drop.update(range(body[0].lineno, body[0].end_lineno + 1))
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id.startswith("check_")
        ):
            drop.update(range(node.lineno, node.end_lineno + 1))
    return drop


def slide_code(code: str) -> str:
    """A code cell as a slide shows it: the lines that carry the idea.

    Left out: decorators, docstrings, the one-line validator call at the top of an
    entry point (``check_...(...)``), validation imports, and lint comments
    (``# noqa``). The notebook keeps them all.
    """
    lines = code.splitlines()
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython magics: show the cell as it is
        return code
    drop = _statement_lines(tree)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("validation"):
            drop.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.ImportFrom) and any(a.name == "add_to_class" for a in node.names):
            drop.update(range(node.lineno, node.end_lineno + 1))
    kept = [LINT_COMMENT.sub("", ln) for number, ln in enumerate(lines, 1) if number not in drop]
    text = "\n".join(kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)
