"""Answers to the exercises, right and wrong, one module per lesson (``lessonNN.py``).

Each module defines ``ANSWERS``: a list of ``Answer(check, function, expect)``.
``expect`` is ``"pass"`` for a right answer, or the failure kind the check
must diagnose (``"nan"``, ``"mutated"``, ``"shape"`` or a kind of the check's
own). ``tests/test_exercise_checks.py`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Answer:
    check: Callable[[Callable], None]
    function: Callable
    expect: str
    note: str = ""  # what is wrong with it, for the reader of the test
