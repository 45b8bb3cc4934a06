"""The notebook harness: what nbval cannot see for itself.

nbval re-executes every notebook and compares outputs, but it passes a
notebook saved without outputs, skips PNGs, and cannot tell whether a
lesson's code still matches the package. These tests read the committed
notebooks and fail on each of those holes.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PACKAGE_DIR = REPO_ROOT / "attn_course"
LESSONS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOK_DIR / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = LESSONS + SOLUTIONS

EXPECTED_LESSONS = [
    "01_attention_cues",
    "02_attention_heatmaps",
    "03_masked_softmax",
    "04_scoring_functions",
    "05_bahdanau_attention",
    "06_multihead_attention",
    "07_self_attention_cnn_rnn",
    "08_positional_encoding",
]
MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
NOT_COMPARED = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
PLOTTING_CALL = re.compile(
    r"\bplt\.|\bshow_heatmaps\(|\bplot_\w+\(|\.imshow\(|\.plot\(|\.loglog\(|\.bar\(|\.scatter\("
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def ids(paths):
    return [path.relative_to(NOTEBOOK_DIR).as_posix() for path in paths]


@cache
def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(path: Path):
    """(index, source, cell) for every non-empty code cell."""
    for index, cell in enumerate(load(path)["cells"]):
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and source.strip():
            yield index, source, cell


def marker_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if "NBVAL_" in line]


def python_source(source: str) -> str:
    """Cell source with IPython magics and shell lines commented out."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append("# " + line if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def is_save_cell(source: str) -> bool:
    """A cell whose first line is `#@save` or `#@save MODULE`."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    return first.strip().split(" ")[0] == "#@save"


def is_legacy_save_cell(source: str) -> bool:
    """A bare `#@save` cell, not yet exported by `make sync`: checked against the package."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    return first.strip() == "#@save"


@cache
def package_definitions() -> dict[str, list[tuple[str, ast.AST]]]:
    """Top-level functions and classes of attn_course: name -> [(module, node)]."""
    definitions: dict[str, list[tuple[str, ast.AST]]] = {}
    for module_path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(module_path.read_text(encoding="utf-8"))
        module = module_path.relative_to(REPO_ROOT).as_posix()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definitions.setdefault(node.name, []).append((module, node))
    return definitions


def test_all_lessons_present():
    assert [path.stem for path in LESSONS] == EXPECTED_LESSONS


def test_every_lesson_has_a_solutions_notebook():
    lessons_with_solutions = {path.stem.removesuffix("_solutions") for path in SOLUTIONS}
    assert lessons_with_solutions == {path.stem for path in LESSONS}


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_every_code_cell_was_executed(path):
    never_run = [
        index for index, _, cell in code_cells(path) if cell.get("execution_count") is None
    ]
    assert not never_run, f"cells {never_run} were never executed: nbval would not compare them"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_execution_counts_run_in_order(path):
    counts = [cell["execution_count"] for _, _, cell in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), "re-execute the notebook top to bottom"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_no_errors_warnings_or_svg_stored(path):
    problems = []
    for index, _, cell in code_cells(path):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"cell {index}: stored error {output.get('ename')}")
            if output.get("name") == "stderr":
                problems.append(f"cell {index}: stderr output (a warning?)")
            if "image/svg+xml" in output.get("data", {}):
                problems.append(f"cell {index}: SVG figure (nbval compares its changing text)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_plotting_cells_show_a_png(path):
    missing = []
    for index, source, cell in code_cells(path):
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
        if not PLOTTING_CALL.search(code):
            continue
        if all(isinstance(node, DEFINITIONS) for node in ast.parse(python_source(source)).body):
            continue  # only defines a plotting function; the cells that call it are checked
        data = [output.get("data", {}) for output in cell.get("outputs", [])]
        if any(WIDGET_VIEW in item for item in data):
            continue  # a live explorer: its static twin is checked on its own cell
        if not any("image/png" in item for item in data):
            missing.append(index)
    assert not missing, f"plotting cells {missing} have no stored PNG"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_markers_stand_alone_with_a_reason(path):
    problems = []
    for index, source, _ in code_cells(path):
        lines = source.splitlines()
        for number, line in enumerate(lines):
            if "NBVAL_" not in line:
                continue
            if line.strip() not in {f"# {marker}" for marker in MARKERS}:
                problems.append(f"cell {index}: marker not alone on its line: {line!r}")
                continue
            reason = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if not reason.startswith("#") or len(reason) < 10 or "NBVAL_" in reason:
                problems.append(f"cell {index}: {line.strip()} needs a reason on the next line")
    assert not problems, "\n".join(problems)


def compared_share(path: Path) -> tuple[int, int]:
    """(cells with outputs that nbval compares, cells with outputs)."""
    compared = with_output = 0
    for _, source, cell in code_cells(path):
        if not cell.get("outputs"):
            continue
        with_output += 1
        if not any(marker in source for marker in NOT_COMPARED):
            compared += 1
    return compared, with_output


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_most_output_cells_are_compared(path):
    compared, with_output = compared_share(path)
    assert with_output > 0, "a notebook with no output shows nothing"
    assert compared / with_output >= 0.6, f"only {compared} of {with_output} output cells compared"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_notebook_kernel_is_plain_python3(path):
    kernelspec = load(path)["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == "python3"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_save_cells_match_the_package(path):
    """Code a lesson builds in a `#@save` cell is the package's code, to the AST."""
    definitions = package_definitions()
    problems = []
    for index, source, _ in code_cells(path):
        if not is_legacy_save_cell(source):
            continue
        tree = ast.parse(python_source(source))
        defined = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        if not defined:
            problems.append(f"cell {index}: #@save cell defines no function or class")
        for node in defined:
            matches = definitions.get(node.name, [])
            if len(matches) != 1:
                problems.append(
                    f"cell {index}: {node.name} is defined {len(matches)} times in attn_course"
                )
                continue
            module, package_node = matches[0]
            if ast.dump(node) != ast.dump(package_node):
                problems.append(f"cell {index}: {node.name} differs from {module}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_no_package_name_redefined_outside_save_cells(path):
    public = {name for name in package_definitions() if not name.startswith("_")}
    problems = []
    for index, source, _ in code_cells(path):
        if is_save_cell(source):
            continue
        for node in ast.parse(python_source(source)).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in public:
                problems.append(f"cell {index}: redefines attn_course's {node.name} without #@save")
    assert not problems, "\n".join(problems)


def test_save_cells_exist_and_cover_the_core():
    """The lessons build the core pieces they teach (one truth, checked above)."""
    saved = set()
    for path in LESSONS:
        for _, source, _ in code_cells(path):
            if is_save_cell(source):
                tree = ast.parse(python_source(source))
                saved |= {node.name for node in tree.body if hasattr(node, "name")}
    core = {"masked_softmax", "sequence_mask", "show_heatmaps", "DotProductAttention"}
    assert core <= saved, f"not built in any lesson: {sorted(core - saved)}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_check_passes_in_the_solutions(path):
    checks = 0
    for index, source, cell in code_cells(path):
        if not re.search(r"\bcheck_\w+\(", source):
            continue
        text = "".join(
            "".join(output.get("text", "")) for output in cell.get("outputs", [])
        )
        checks += 1
        assert "Well done!" in text, f"cell {index}: a check did not pass:\n{text}"
        assert "[FAIL]" not in text and "not implemented yet" not in text
    assert checks > 0, "a solutions notebook with no check cell"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lessons_have_exercises_with_checks(path):
    markdown = " ".join(
        "".join(cell["source"]) for cell in load(path)["cells"] if cell["cell_type"] == "markdown"
    )
    assert re.search(r"#+ .*Exercises", markdown), "no Exercises section"
    assert re.search(r"#+ .*Summary", markdown), "no Summary section"
    sources = [source for _, source, _ in code_cells(path)]
    assert any(re.search(r"\bcheck_\w+\(", source) for source in sources), (
        "no coding exercise with a check"
    )
