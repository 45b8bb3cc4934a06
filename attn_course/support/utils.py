"""``add_to_class``: build a class across several notebook cells (d2l's pattern)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def add_to_class(Class: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that adds the function below it to ``Class`` as a method of that name.

    A lesson defines a class in one cell and its methods in later cells, each
    beside its explanation; ``make sync`` writes them into one class body.
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        setattr(Class, function.__name__, function)
        return function

    return register
