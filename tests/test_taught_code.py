"""Taught code is as short as the idea: the line limits of the lean lessons.

Lines are counted as the lessons' readers see them: every line of a
definition in its generated module (docstring, comments and blank lines
inside it included), and every line of a saved (`save:MODULE`) cell.
"""

from __future__ import annotations

import ast
import json
import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
from lesson_cells import save_module  # noqa: E402

PACKAGE = REPO_ROOT / "attn_course"
LESSONS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LIMITS = {  # (module, definition): most lines, as issue "teach lean" set them
    ("multihead", "MultiHeadAttention"): 45,
    ("masking", "masked_softmax"): 25,
    ("scoring", "AdditiveAttention"): 25,
    ("scoring", "DotProductAttention"): 25,
}
MAX_CELL_LINES = 40


def definition_lines(module: str, name: str) -> int:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if getattr(node, "name", None) == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return node.end_lineno - start + 1
    raise AssertionError(f"attn_course/{module}.py defines no {name}")


@pytest.mark.parametrize(("module", "name"), LIMITS, ids=[n for _, n in LIMITS])
def test_core_definitions_are_as_short_as_the_idea(module, name):
    lines = definition_lines(module, name)
    assert lines <= LIMITS[module, name], f"{name} has {lines} lines"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_taught_cell_is_longer_than_a_screen(path):
    long_cells = []
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        source = "".join(cell["source"])
        if save_module(cell):
            lines = len(source.rstrip("\n").splitlines())
            if lines > MAX_CELL_LINES:
                long_cells.append(f"cell {index}: {lines} lines")
    assert not long_cells, f"taught cells over {MAX_CELL_LINES} lines: {long_cells}"
