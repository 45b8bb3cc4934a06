"""The install routes (default, CPU=1, without make, Binder) say what they do, offline.

No test here downloads anything: `make -n` prints the commands a route would run, and the
README, binder/ and the packaging files are read as text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Variables a student or a parent `make` may have set, which would change what make prints.
MAKE_VARIABLES = {"CPU", "VENV", "PYTHON", "LAB_DIR", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}


def torch_requirement() -> str:
    """The torch line of requirements.txt, e.g. 'torch==2.13.0'."""
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    torch = [line.split("#")[0].strip() for line in lines if line.startswith("torch")]
    assert len(torch) == 1 and torch[0].startswith("torch=="), torch
    return torch[0]


def make_dry_run(tmp_path: Path, target: str, *variables: str) -> list[str]:
    """The commands `make -n TARGET` would run for a fresh .venv, one per line."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {key: value for key, value in os.environ.items() if key not in MAKE_VARIABLES}
    venv = tmp_path / "fresh-venv"
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}", *variables],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def pip_installs(commands: list[str]) -> list[list[str]]:
    """The arguments after `pip install` of every pip install command, in order."""
    installs = []
    for command in commands:
        words = command.split()
        if words[1:4] == ["-m", "pip", "install"]:
            installs.append(words[4:])
    return installs


@pytest.mark.parametrize("target", ["lab", "test"])
def test_cpu_route_takes_the_same_torch_from_the_cpu_index(tmp_path, target):
    commands = make_dry_run(tmp_path, target, "CPU=1")
    installs = pip_installs(commands)
    assert installs[0] == [torch_requirement(), "--index-url", CPU_INDEX], installs[0]
    # Then exactly the default route's install: pip keeps the CPU build already there.
    assert installs[1] == ["-r", "requirements.txt", "-e", "."], installs[1]
    assert all(CPU_INDEX not in " ".join(words) for words in installs[1:])
    venv_python = str(tmp_path / "fresh-venv" / "bin" / "python")
    assert all(c.startswith(venv_python) for c in commands if " -m pip install " in c)


def test_a_cpu_venv_keeps_the_cpu_route(tmp_path):
    """After `make lab CPU=1`, a plain `make lab` (say, after requirements.txt changed)."""
    commands = make_dry_run(tmp_path, "lab", "CPU=1")
    assert any(c == f"touch {tmp_path / 'fresh-venv' / '.cpu-route'}" for c in commands)
    (tmp_path / "fresh-venv").mkdir()
    (tmp_path / "fresh-venv" / ".cpu-route").touch()
    installs = pip_installs(make_dry_run(tmp_path, "lab"))
    assert installs[0] == [torch_requirement(), "--index-url", CPU_INDEX], installs


@pytest.mark.parametrize("variables", [(), ("CPU=0",)])
def test_default_route_installs_from_pypi_as_before(tmp_path, variables):
    commands = make_dry_run(tmp_path, "lab", *variables)
    assert pip_installs(commands)[0] == ["-r", "requirements.txt", "-e", "."]
    assert not any("download.pytorch.org" in c or "index-url" in c for c in commands)


def test_every_pytorch_index_named_is_the_cpu_index():
    files = ["Makefile", "README.md", "requirements.txt", "environment.yml"]
    files += [str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "binder").iterdir()]
    for name in files:
        text = (REPO_ROOT / name).read_text()
        for url in re.findall(r"https://download\.pytorch\.org/\S*", text):
            assert url.rstrip(").,`'\"") == CPU_INDEX, f"{name}: {url}"


def test_binder_builds_the_cpu_route():
    binder = REPO_ROOT / "binder"
    # repo2docker: with binder/ present, the build files outside it are ignored; inside
    # it, an environment.yml or a Dockerfile would take over from requirements.txt.
    assert {path.name for path in binder.iterdir()} == {
        "requirements.txt",
        "runtime.txt",
        "postBuild",
    }
    lines = (binder / "requirements.txt").read_text().splitlines()
    lines = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert f"--extra-index-url {CPU_INDEX}" in lines
    assert f"{torch_requirement()}+cpu" in lines, "the CPU build of requirements.txt's torch"
    assert "-r ../requirements.txt" in lines and (binder / "../requirements.txt").is_file()
    assert "-e ." in lines, "attn_course from the repository root (pip's working directory)"
    assert os.access(binder / "postBuild", os.X_OK)


@pytest.mark.skipif(os.name == "nt" or shutil.which("bash") is None, reason="needs bash")
def test_binder_post_build_registers_the_kernel_and_the_lab_settings(tmp_path):
    """Run binder/postBuild in a throwaway venv that borrows this interpreter's packages."""
    env_dir = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env_dir], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    borrowed = {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    (Path(purelib) / "borrowed.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    env = dict(os.environ, PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["bash", "binder/postBuild"], cwd=REPO_ROOT, env=env, check=True)

    makefile = (REPO_ROOT / "Makefile").read_text()
    name = re.search(r"ipykernel install --sys-prefix --name (\S+)", makefile).group(1)
    kernel = json.loads((env_dir / "share/jupyter/kernels" / name / "kernel.json").read_text())
    assert kernel["display_name"] == "Python (attn-course)"
    assert Path(kernel["argv"][0]) == python
    settings = env_dir / "share/jupyter/lab/settings/overrides.json"
    assert settings.read_text() == (REPO_ROOT / "jupyter/overrides.json").read_text()


# Python versions: one tested range, said the same way everywhere.
CLAUSE = re.compile(r"(>=|<=|==|!=|<|>)\s*(\d+)\.(\d+)")


def admits(specifier: str, minor: int) -> bool:
    """Whether a specifier such as '>=3.10,<3.14' admits Python 3.<minor>."""
    version = (3, minor)
    checks = {
        ">=": lambda v: version >= v,
        "<=": lambda v: version <= v,
        ">": lambda v: version > v,
        "<": lambda v: version < v,
        "==": lambda v: version == v,
        "!=": lambda v: version != v,
    }
    clauses = CLAUSE.findall(specifier)
    assert clauses, specifier
    return all(checks[op]((int(major), int(m))) for op, major, m in clauses)


def classifier_pythons() -> list[int]:
    """The minor versions the classifiers name, e.g. [10, 11, 12, 13]."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    minors = sorted(
        int(c.rsplit(".", 1)[1])
        for c in pyproject["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert minors and minors == list(range(minors[0], minors[-1] + 1)), minors
    return minors


def test_python_range_is_the_same_everywhere():
    minors = classifier_pythons()
    candidates = range(0, 30)

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requires = pyproject["requires-python"]
    # requires-python starts where the range starts and admits all of it (an upper cap
    # would stop attn_course installing on a newer hosted Python).
    assert [m for m in candidates if admits(requires, m)][0] == minors[0], requires
    assert all(admits(requires, m) for m in minors), requires

    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    python = next(d for d in environment["dependencies"] if str(d).startswith("python"))
    assert [m for m in candidates if admits(python, m)] == minors, python

    runtime = (REPO_ROOT / "binder/runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    assert int(runtime.split(".")[1]) in minors, f"Binder's {runtime} is outside the range"

    makefile = (REPO_ROOT / "Makefile").read_text()
    resolve = re.search(r"for v in ([\d. ]+); do", makefile).group(1).split()
    assert resolve and all(int(v.split(".")[1]) in minors for v in resolve), resolve
