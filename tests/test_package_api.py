"""The package's public surface: every name attn_course exports exists, and importing
it changes nothing and loads only what is asked for.

Docstrings on public modules, classes, functions and methods are lint
(ruff's D1xx rules, see pyproject.toml), not tests.
"""

from __future__ import annotations

import subprocess
import sys

import attn_course


def test_top_level_exports_resolve():
    missing = [name for name in attn_course.__all__ if getattr(attn_course, name, None) is None]
    assert missing == []


def imported_after(statement: str) -> set[str]:
    """The top-level modules a fresh Python has imported after ``statement``; the
    matplotlib settings it changed show as "rcParams changed"."""
    code = (
        "import sys; before = set(sys.modules)\n"
        f"{statement}\n"
        "names = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        "if 'matplotlib' in sys.modules:\n"
        "    import matplotlib\n"
        "    if matplotlib.rcParams != matplotlib.rcParamsDefault:\n"
        "        names.add('rcParams changed')\n"
        "print(' '.join(sorted(names)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_importing_the_package_loads_neither_torch_nor_matplotlib():
    assert not {"torch", "matplotlib"} & imported_after("import attn_course")


def test_the_taught_modules_need_no_matplotlib_and_no_module_changes_its_style():
    assert "matplotlib" not in imported_after("import attn_course.masking")
    assert "matplotlib" not in imported_after("import attn_course.transformer")
    assert "rcParams changed" not in imported_after("from attn_course import show_heatmaps")
