"""The package's public surface: every name attn_course exports exists.

Docstrings on public modules, classes, functions and methods are lint
(ruff's D1xx rules, see pyproject.toml), not tests.
"""

from __future__ import annotations

import attn_course


def test_top_level_exports_resolve():
    missing = [name for name in attn_course.__all__ if getattr(attn_course, name, None) is None]
    assert missing == []
