"""The install files agree with each other and with what the code imports."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent

# import name -> distribution name, where they differ
DISTRIBUTION = {"IPython": "ipykernel", "yaml": "pyyaml", "PIL": "pillow", "tomli": "tomli"}


def requirement_lines(name: str) -> list[str]:
    lines = (REPO_ROOT / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def requirement_names(name: str) -> set[str]:
    names = set()
    for line in requirement_lines(name):
        if not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[ ;]", line, maxsplit=1)[0].lower())
    return names


def optional_imports(tree: ast.AST) -> set[ast.AST]:
    """Import nodes inside `try: ... except ImportError`: optional, not required."""
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(handler.type, ast.Name)
            and handler.type.id in {"ImportError", "ModuleNotFoundError"}
            for handler in node.handlers
        ):
            for statement in node.body:
                optional |= set(ast.walk(statement))
    return optional


def third_party_imports(sources: list[str]) -> set[str]:
    modules = set()
    for source in sources:
        tree = ast.parse(source)
        optional = optional_imports(tree)
        for node in ast.walk(tree):
            if node in optional:
                continue
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names) | {"__future__", "tomllib"}
    return {DISTRIBUTION.get(m, m).lower() for m in modules - stdlib - {"attn_course"}}


def notebook_sources() -> list[str]:
    sources = []
    for path in sorted((REPO_ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                sources.append(
                    "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
                )
    return sources


def test_environment_yml_installs_exactly_requirements_txt():
    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    pip = [item for item in environment["dependencies"] if isinstance(item, dict)]
    assert sorted(re.split(r"[<>=]", item)[0] for item in conda) == ["pip", "python"]
    assert pip == [{"pip": ["-r requirements.txt", "-e ."]}]
    python = next(item for item in conda if item.startswith("python"))
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert requires["requires-python"].removeprefix(">=") in python


def test_requirements_pin_torch_and_bound_the_rest():
    for line in requirement_lines("requirements.txt"):
        name = re.split(r"[<>=!~]", line)[0]
        if name == "torch":
            assert line == "torch==2.13.0", "CI installs the CPU build of 2.13.0"
            continue
        assert "==" not in line, f"{line}: use a lower bound and a tested upper bound"
        assert ">=" in line and "<" in line, f"{line}: needs a lower and an upper bound"


def test_dev_requirements_build_on_the_classroom_set():
    assert "-r requirements.txt" in requirement_lines("requirements-dev.txt")
    for line in requirement_lines("requirements-dev.txt"):
        if not line.startswith("-"):
            assert ">=" in line and "<" in line and "==" not in line, line


def test_package_declares_exactly_what_it_imports():
    sources = [path.read_text() for path in (REPO_ROOT / "attn_course").rglob("*.py")]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    declared = {re.split(r"[<>=!~ ]", dep)[0].lower() for dep in dependencies}
    assert third_party_imports(sources) == declared


def test_notebooks_import_only_classroom_packages():
    imported = third_party_imports(notebook_sources())
    missing = imported - requirement_names("requirements.txt")
    assert not missing, f"notebooks import {sorted(missing)}, which requirements.txt lacks"


def test_tests_import_only_test_packages():
    sources = [path.read_text() for path in (REPO_ROOT / "tests").rglob("*.py")]
    allowed = requirement_names("requirements.txt") | requirement_names("requirements-dev.txt")
    allowed |= {path.stem for path in (REPO_ROOT / "tests").glob("*.py")}  # local modules
    allowed |= {path.stem for path in (REPO_ROOT / "tools").glob("*.py")}  # the repo's tools
    allowed |= {path.parent.name for path in (REPO_ROOT / "tests").glob("*/__init__.py")}
    allowed.add("d2l")  # installed with --no-deps by the test set-up
    missing = third_party_imports(sources) - allowed
    assert not missing, f"tests import {sorted(missing)}, which no requirements file lists"


@pytest.mark.parametrize(
    "requirement, evidence, place",
    [
        ("jupyterlab", "jupyter lab", "Makefile"),
        ("ipykernel", "ipykernel install", "Makefile"),
        ("nbval", "--nbval", "pyproject.toml"),
    ],
)
def test_tools_in_requirements_are_used(requirement, evidence, place):
    assert requirement in requirement_names("requirements.txt")
    assert evidence in (REPO_ROOT / place).read_text()


def test_ci_runs_the_readme_test_command():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = [line.strip() for line in (REPO_ROOT / ".ci/run").read_text().splitlines()]
    assert ci[-1] == "make test"


def test_jupyterlab_binds_localhost_and_keeps_its_token():
    makefile = (REPO_ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:")[1].split("\n\n")[0]
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert "token" not in lab.lower() and "password" not in lab.lower()
    assert "id -u" in makefile, "--allow-root only for root"
