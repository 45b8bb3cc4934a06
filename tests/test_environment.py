"""The install files agree with each other and with what the code imports."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO_ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "test.yml"

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
            assert re.fullmatch(r"torch==\d+\.\d+\.\d+", line), "CI installs one torch release"
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
    tests = REPO_ROOT / "tests"
    allowed |= {path.stem for path in tests.glob("*.py")}  # local modules
    allowed |= {path.name for path in tests.iterdir() if (path / "__init__.py").is_file()}
    allowed |= {path.stem for path in (REPO_ROOT / "tools").glob("*.py")}  # the repo's tools
    allowed |= {path.parent.name for path in (REPO_ROOT / "tests").glob("*/__init__.py")}
    allowed.add("d2l")  # installed with --no-deps by the test set-up
    missing = third_party_imports(sources) - allowed
    assert not missing, f"tests import {sorted(missing)}, which no requirements file lists"


def test_jupyterlab_binds_localhost_and_keeps_its_token():
    makefile = (REPO_ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:")[1].split("\n\n")[0]
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert "token" not in lab.lower() and "password" not in lab.lower()
    assert "id -u" in makefile, "--allow-root only for root"


def workflow() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); the tests below do not need it.
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(os_name: str) -> list[dict]:
    """The steps of the test job that run on a runner of os_name (Linux, macOS, Windows)."""
    selected = []
    for step in workflow()["jobs"]["test"]["steps"]:
        condition = step.get("if", "")
        if condition and not eval_runner_condition(condition, os_name):
            continue
        selected.append(step)
    return selected


def eval_runner_condition(condition: str, os_name: str) -> bool:
    """Evaluate the simple `runner.os` conditions the workflow uses."""
    if condition == "always()":
        return True
    match = re.fullmatch(r"runner\.os (==|!=) '(\w+)'", condition)
    assert match, f"condition the test cannot read: {condition}"
    return (os_name == match[2]) == (match[1] == "==")


def run_lines(os_name: str) -> list[str]:
    return [
        line.strip()
        for step in steps(os_name)
        for line in step.get("run", "").replace("\\\n", " ").splitlines()
        if line.strip()
    ]


def readme_pip_route() -> list[str]:
    """The README's Windows pip commands "Without make", then its test commands.

    Only the `.venv` Python's commands count: the workflow makes the venv itself, and
    JupyterLab's settings and `jupyter lab` serve the student, not the tests.
    """
    section = (REPO_ROOT / "README.md").read_text(encoding="utf-8").split("## Without make")[1]
    section = section.split("\n## ")[0].split("With conda")[0]
    windows = re.findall(r"```bat\n(.*?)```", section, flags=re.DOTALL)
    tests = re.findall(r"```bash\n(.*?)```", section.split("For the tests")[1], flags=re.DOTALL)
    lines = [line.strip() for block in windows + tests for line in block.splitlines()]
    lines = [line.replace("\\", "/").replace(".venv/Scripts/", ".venv/bin/") for line in lines]
    return [line for line in lines if line.startswith(".venv/bin/python -m")]


def test_workflow_runs_the_readme_route_on_three_systems_and_two_pythons():
    job = workflow()["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert sorted(matrix["os"]) == ["macos-latest", "ubuntu-latest", "windows-latest"]
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    oldest, newest = matrix["python"]
    assert oldest == requires["requires-python"].removeprefix(">=")
    assert tuple(map(int, newest.split("."))) > tuple(map(int, oldest.split(".")))
    assert job["env"]["CI"] == "true", "nothing may skip in CI"
    for os_name in ("Linux", "macOS"):
        assert run_lines(os_name)[-1] == "make test"
    windows = [line.replace(".venv/Scripts/", ".venv/bin/") for line in run_lines("Windows")]
    readme = [line for line in readme_pip_route() if "--index-url" not in line]
    assert readme, "the README lost its Windows commands"
    positions = [windows.index(line) for line in readme]  # every command, in order
    assert positions == sorted(positions) and windows[-1] == readme[-1]
    assert "make test" not in windows


def test_workflow_installs_the_cpu_torch_except_on_macos():
    cpu_index = "--index-url https://download.pytorch.org/whl/cpu"
    for os_name, cpu in (("Linux", True), ("Windows", True), ("macOS", False)):
        lines = run_lines(os_name)
        torch_lines = [line for line in lines if cpu_index in line]
        assert bool(torch_lines) == cpu, os_name
        for line in torch_lines:  # torch only, and the release requirements.txt pins
            assert "requirements.txt" in line and "grep -E '^torch==' requirements.txt" in line


def test_workflow_is_valid():
    """The workflow against GitHub's schema (check-jsonschema's copy, no network), and
    every job has a time limit."""
    if importlib.util.find_spec("check_jsonschema") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("check-jsonschema is missing (requirements-dev.txt)")
        pytest.skip("check-jsonschema is not installed (pip install -r requirements-dev.txt)")
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema]
        result = subprocess.run([*command, str(WORKFLOW)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_runs_ruff_on_code_and_notebooks():
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [repo] = config["repos"]
    assert repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", repo["rev"])
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert set(hooks) == {"ruff-check", "ruff-format"}
    assert {"python", "jupyter"} <= set(hooks["ruff-check"]["types_or"])
    assert "python" in hooks["ruff-format"]["types_or"]
    assert not any("args" in hook for hook in hooks.values()), "the settings of make lint"
