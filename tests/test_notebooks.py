"""The notebook harness: what nbval cannot see for itself.

nbval re-executes every notebook and compares outputs, but it passes a notebook
saved without outputs, skips PNGs, and cannot tell whether a lesson's code still
matches the package. One test per notebook reads the committed file and lists every
such problem it finds; the lessons are whatever notebooks/NN_name.ipynb holds.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from conftest import LESSONS, REPO_ROOT, SOLUTIONS, notebook_id

sys.path.insert(0, str(REPO_ROOT / "tools"))
from lesson_cells import NBVAL_TAGS, is_compared, save_module, slide_type, tags  # noqa: E402

PACKAGE_DIR = REPO_ROOT / "attn_course"
# Marker lines belong in the cell's tags (save:MODULE, nbval-...): no slide shows a tag.
MARKER_LINE = re.compile(r"^\s*(#@save\b|#\s*NBVAL_[A-Z_]+)")
PLOTTING_CALL = re.compile(
    r"\bplt\.|\bshow_heatmaps\(|\bplot_\w+\(|\.imshow\(|\.plot\(|\.loglog\(|\.bar\(|\.scatter\("
)
CHECK_CALL = re.compile(r"\bcheck_\w+\(")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
MIN_COMPARED_SHARE = 0.6


def code_cells(notebook: dict) -> Iterator[tuple[int, str, dict]]:
    """(index, source, cell) for every non-empty code cell."""
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and source.strip():
            yield index, source, cell


def python_source(source: str) -> str:
    """Cell source with IPython magics and shell lines commented out."""
    lines = source.splitlines()
    return "\n".join("# " + ln if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)


def top_level_definitions(source: str) -> list[ast.FunctionDef | ast.ClassDef]:
    tree = ast.parse(python_source(source))
    return [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


@cache
def package_definitions() -> dict[str, list[tuple[str, str]]]:
    """Top-level functions and classes of attn_course: name -> [(module, AST dump)]."""
    definitions: dict[str, list[tuple[str, str]]] = {}
    for module_path in sorted(PACKAGE_DIR.rglob("*.py")):
        module = module_path.relative_to(REPO_ROOT).as_posix()
        for node in ast.parse(module_path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definitions.setdefault(node.name, []).append((module, ast.dump(node)))
    return definitions


# -- the checks: each takes a notebook and yields one line per problem ------------------


def never_executed(notebook: dict) -> Iterator[str]:
    never_run = [i for i, _, cell in code_cells(notebook) if cell.get("execution_count") is None]
    if never_run:
        yield f"cells {never_run} were never executed: nbval would not compare them"


def counts_out_of_order(notebook: dict) -> Iterator[str]:
    counts = [cell.get("execution_count") for _, _, cell in code_cells(notebook)]
    if counts != list(range(1, len(counts) + 1)):
        yield "execution counts are not 1, 2, 3, ...: re-execute the notebook top to bottom"


def stored_errors_stderr_svg(notebook: dict) -> Iterator[str]:
    for index, _, cell in code_cells(notebook):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                yield f"cell {index}: stored error {output.get('ename')}"
            if output.get("name") == "stderr":
                yield f"cell {index}: stderr output (a warning?)"
            if "image/svg+xml" in output.get("data", {}):
                yield f"cell {index}: SVG figure (nbval compares its changing text)"


def plotting_cells_without_png(notebook: dict) -> Iterator[str]:
    for index, source, cell in code_cells(notebook):
        code = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith("#"))
        if not PLOTTING_CALL.search(code):
            continue
        if all(isinstance(node, DEFINITIONS) for node in ast.parse(python_source(source)).body):
            continue  # only defines a plotting function; the cells that call it are checked
        data = [output.get("data", {}) for output in cell.get("outputs", [])]
        if any(WIDGET_VIEW in item for item in data):
            continue  # a live explorer: its static twin is checked on its own cell
        if not any("image/png" in item for item in data):
            yield f"cell {index}: plotting cell with no stored PNG"


def marker_lines(notebook: dict) -> Iterator[str]:
    for index, source, cell in code_cells(notebook):
        for line in source.splitlines():
            if MARKER_LINE.match(line):
                yield (
                    f"cell {index}: marker line {line.strip()!r}: use the cell's tags "
                    "(save:MODULE, nbval-ignore-output, ...) so no slide shows it"
                )
        if set(tags(cell)) & set(NBVAL_TAGS):
            first = source.lstrip("\n").splitlines()[0].strip() if source.strip() else ""
            if not first.startswith("#") or len(first) < 10:
                yield f"cell {index}: an nbval tag needs a comment first line saying why"


def notes_in_the_text(notebook: dict) -> Iterator[str]:
    """Speaker notes live in the slide's metadata (``notes``), never in a cell a reader sees."""
    for index, cell in enumerate(notebook["cells"]):
        if slide_type(cell) == "notes":
            yield f"cell {index}: a notes cell: move it into the slide's metadata 'notes'"
        elif cell["cell_type"] == "markdown" and "Speaker notes" in "".join(cell["source"]):
            yield f"cell {index}: speaker notes in a markdown cell a reader sees"


def figure_code_unfolded(notebook: dict) -> Iterator[str]:
    """A key figure's code (tag hide-input) is folded, so JupyterLab and RISE show the figure."""
    for index, _, cell in code_cells(notebook):
        hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden")
        if "hide-input" in tags(cell) and not hidden:
            yield f"cell {index}: tagged hide-input but its code is not folded (source_hidden)"


def too_little_compared(notebook: dict) -> Iterator[str]:
    with_output = [cell for _, _, cell in code_cells(notebook) if cell.get("outputs")]
    compared = [cell for cell in with_output if is_compared(cell)]
    if not with_output:
        yield "no cell has an output: a notebook with no output shows nothing"
    elif len(compared) / len(with_output) < MIN_COMPARED_SHARE:
        yield f"only {len(compared)} of {len(with_output)} output cells are compared by nbval"


def wrong_kernel(notebook: dict) -> Iterator[str]:
    name = notebook["metadata"].get("kernelspec", {}).get("name")
    if name != "python3":
        yield f"kernel {name!r}, not python3"


def package_names_redefined(notebook: dict) -> Iterator[str]:
    public = {name for name in package_definitions() if not name.startswith("_")}
    for index, source, cell in code_cells(notebook):
        if save_module(cell):
            continue
        for node in top_level_definitions(source):
            if node.name in public:
                yield f"cell {index}: redefines attn_course's {node.name} without save:MODULE"


def failing_solution_checks(notebook: dict) -> Iterator[str]:
    checks = 0
    for index, source, cell in code_cells(notebook):
        if not CHECK_CALL.search(source):
            continue
        checks += 1
        text = "".join("".join(output.get("text", "")) for output in cell.get("outputs", []))
        if "Well done!" not in text or "[FAIL]" in text or "not implemented yet" in text:
            yield f"cell {index}: a check did not pass: {text.strip()[:200]!r}"
    if not checks:
        yield "a solutions notebook with no check cell"


def missing_lesson_sections(notebook: dict) -> Iterator[str]:
    markdown = " ".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
    )
    for section in ("Exercises", "Summary"):
        if not re.search(rf"#+ .*{section}", markdown):
            yield f"no {section} section"
    if not any(CHECK_CALL.search(source) for _, source, _ in code_cells(notebook)):
        yield "no coding exercise with a check"


EVERY_NOTEBOOK: tuple[Callable[[dict], Iterator[str]], ...] = (
    never_executed,
    counts_out_of_order,
    stored_errors_stderr_svg,
    plotting_cells_without_png,
    marker_lines,
    notes_in_the_text,
    figure_code_unfolded,
    too_little_compared,
    wrong_kernel,
    package_names_redefined,
)


def notebook_problems(notebook: dict, solution: bool) -> list[str]:
    """Every problem of one notebook, each prefixed by the check that found it."""
    checks = (*EVERY_NOTEBOOK, failing_solution_checks if solution else missing_lesson_sections)
    return [f"{check.__name__}: {problem}" for check in checks for problem in check(notebook)]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=map(notebook_id, LESSONS + SOLUTIONS))
def test_notebook_has_no_structural_problem(path: Path):
    problems = notebook_problems(load(path), solution=path in SOLUTIONS)
    assert not problems, "\n".join(problems)


def test_lessons_are_numbered_from_01_without_gaps_and_each_has_solutions():
    numbers = [int(path.name[:2]) for path in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1))
    assert [path.stem for path in SOLUTIONS] == [f"{path.stem}_solutions" for path in LESSONS]


def test_save_cells_exist_and_cover_the_core():
    """The lessons build the core pieces they teach (one truth, checked above)."""
    saved = {
        node.name
        for path in LESSONS
        for _, source, cell in code_cells(load(path))
        if save_module(cell)
        for node in top_level_definitions(source)
    }
    core = {"masked_softmax", "sequence_mask", "show_heatmaps", "DotProductAttention"}
    assert core <= saved, f"not built in any lesson: {sorted(core - saved)}"


def _code(source: str, count: int | None, outputs: list[dict] | None = None, *tags) -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": outputs or [],
        "metadata": {"tags": list(tags)},
    }


def test_every_check_finds_its_problem():
    """A notebook with one fault of each kind: every check reports it."""
    stderr = {"output_type": "stream", "name": "stderr", "text": "UserWarning"}
    text = {"output_type": "stream", "name": "stdout", "text": "ok"}
    svg = {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}}
    bad = {
        "metadata": {"kernelspec": {"name": "attn-course"}},
        "cells": [
            _code("x = 1", None),
            _code("plt.plot([1])\nplt.show()", 3, [stderr, svg]),
            _code("print(1)", 4, [text], "nbval-ignore-output"),
            _code("# NBVAL_SKIP\nprint(2)", 5, [text], "nbval-skip"),
            _code("def masked_softmax(X, valid_lens):\n    return X", 6),
            _code("plt.imshow(x)", 7, [], "hide-input"),
            _code("check_masked_softmax(my_masked_softmax)", 8, [text]),
            {"cell_type": "markdown", "source": "**Speaker notes.** Point: x.", "metadata": {}},
        ],
    }
    problems = "\n".join(notebook_problems(bad, solution=True))
    for check in (*EVERY_NOTEBOOK, failing_solution_checks):
        assert f"{check.__name__}: " in problems, check.__name__
    lesson_problems = "\n".join(notebook_problems(bad, solution=False))
    assert "no Exercises section" in lesson_problems and "no Summary section" in lesson_problems
