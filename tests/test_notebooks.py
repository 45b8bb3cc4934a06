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
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from conftest import LESSONS, REPO_ROOT, SOLUTIONS, notebook_id

PACKAGE_DIR = REPO_ROOT / "attn_course"
MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
NOT_COMPARED = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
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


def first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def is_save_cell(source: str) -> bool:
    """A cell whose first line is `#@save` or `#@save MODULE`."""
    return first_line(source).split(" ")[0] == "#@save"


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


def misplaced_markers(notebook: dict) -> Iterator[str]:
    for index, source, _ in code_cells(notebook):
        lines = source.splitlines()
        for number, line in enumerate(lines):
            if "NBVAL_" not in line:
                continue
            if line.strip() not in {f"# {marker}" for marker in MARKERS}:
                yield f"cell {index}: marker not alone on its line: {line!r}"
                continue
            reason = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if not reason.startswith("#") or len(reason) < 10 or "NBVAL_" in reason:
                yield f"cell {index}: {line.strip()} needs a reason on the next line"


def too_little_compared(notebook: dict) -> Iterator[str]:
    with_output = [source for _, source, cell in code_cells(notebook) if cell.get("outputs")]
    compared = [s for s in with_output if not any(marker in s for marker in NOT_COMPARED)]
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
    for index, source, _ in code_cells(notebook):
        if is_save_cell(source):
            continue
        for node in top_level_definitions(source):
            if node.name in public:
                yield f"cell {index}: redefines attn_course's {node.name} without #@save"


def unnamed_save_cells(notebook: dict) -> Iterator[str]:
    """Every `#@save` names the module `make sync` exports it to: `#@save MODULE`."""
    for index, source, _ in code_cells(notebook):
        if first_line(source) == "#@save":
            yield f"cell {index}: write '#@save MODULE' (the module make sync exports it to)"


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
    misplaced_markers,
    too_little_compared,
    wrong_kernel,
    package_names_redefined,
    unnamed_save_cells,
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
        for _, source, _ in code_cells(load(path))
        if is_save_cell(source)
        for node in top_level_definitions(source)
    }
    core = {"masked_softmax", "sequence_mask", "show_heatmaps", "DotProductAttention"}
    assert core <= saved, f"not built in any lesson: {sorted(core - saved)}"


def _code(source: str, count: int | None, outputs: list[dict] | None = None) -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": outputs or [],
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
            _code("# NBVAL_IGNORE_OUTPUT\nprint(1)", 4, [text]),
            _code("# NBVAL_SKIP  timings\nprint(2)", 5, [text]),
            _code("def masked_softmax(X, valid_lens):\n    return X", 6),
            _code("#@save\ndef sequence_mask(X, valid_len, value=0):\n    return X", 7),
            _code("check_masked_softmax(my_masked_softmax)", 8, [text]),
        ],
    }
    problems = "\n".join(notebook_problems(bad, solution=True))
    for check in (*EVERY_NOTEBOOK, failing_solution_checks):
        assert f"{check.__name__}: " in problems, check.__name__
    lesson_problems = "\n".join(notebook_problems(bad, solution=False))
    assert "no Exercises section" in lesson_problems and "no Summary section" in lesson_problems
