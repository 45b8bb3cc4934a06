"""Auto-checks for the lessons' coding exercises.

A check runs a student's function on several inputs, compares each result
with the reference in attn_course, and prints a short verdict: what passed,
what failed, and a hint. It never prints the reference solution. An
untouched stub (one that raises ``NotImplementedError``) gets a friendly
"not implemented yet" message instead of a failure.

Each lesson has its own module (``attn_course.checks.lesson03`` ...);
they all report through :func:`run_check`. ``set_language("zh_CN")`` makes
them speak Chinese (the Chinese notebooks do it in their first code cell).
"""

from attn_course.checks.core import Case, CaseResult, evaluate, run_check
from attn_course.checks.i18n import set_language

__all__ = ["Case", "CaseResult", "evaluate", "run_check", "set_language"]
