"""The package's public surface: exported, documented, type-hinted."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import attn_course

MODULES = [
    importlib.import_module(info.name)
    for info in pkgutil.walk_packages(attn_course.__path__, prefix="attn_course.")
]


def public_objects():
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj


PUBLIC = dict(public_objects())


def test_top_level_exports_resolve():
    for name in attn_course.__all__:
        assert getattr(attn_course, name) is not None


@pytest.mark.parametrize("qualified_name", sorted(PUBLIC))
def test_public_objects_have_docstrings(qualified_name):
    obj = PUBLIC[qualified_name]
    assert inspect.getdoc(obj), f"{qualified_name} has no docstring"
    if inspect.isclass(obj):
        for method_name, method in vars(obj).items():
            if inspect.isfunction(method) and method_name in {"forward", "__call__"}:
                assert method.__doc__, f"{qualified_name}.{method_name} has no docstring"


@pytest.mark.parametrize(
    "qualified_name", sorted(name for name, obj in PUBLIC.items() if inspect.isfunction(obj))
)
def test_public_functions_have_type_hints(qualified_name):
    function = PUBLIC[qualified_name]
    signature = inspect.signature(function)
    unhinted = [
        name
        for name, parameter in signature.parameters.items()
        if parameter.annotation is inspect.Parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]
    assert not unhinted, f"{qualified_name}: parameters without type hints: {unhinted}"
    assert signature.return_annotation is not inspect.Signature.empty, (
        f"{qualified_name}: no return type"
    )
