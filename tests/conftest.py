"""Shared test set-up: headless matplotlib in the course style, the repo's paths, the notebooks.

Test modules import the constants from here (``from conftest import REPO_ROOT, LESSONS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import matplotlib
import matplotlib.style
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

matplotlib.use("Agg")
# The figure style every lesson applies (tests/test_slides.py measures text in it).
matplotlib.style.use("attn_course.course")

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
# The lessons (notebooks/NN_name.ipynb) and worked solutions, in teaching order.
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
LESSONS = sorted(NOTEBOOKS_DIR.glob(LESSON_GLOB))
SOLUTIONS = sorted((NOTEBOOKS_DIR / "solutions").glob(LESSON_GLOB))
ARTIFACTS = REPO_ROOT / "build" / "artifacts"
# tests/d2l_reference.py is imported as a plain module by the tests.
sys.path.insert(0, str(TESTS_DIR))


def notebook_id(path: Path) -> str:
    """A notebook's name in test ids: its path under notebooks/."""
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tests on one thread: small matrices are faster so, above all on a
    busy CPU. Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class _ValueReads(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is torch.ops.aten._local_scalar_dense.default
        return func(*args, **(kwargs or {}))


def count_value_reads(call) -> int:
    """How often ``call()`` reads a tensor value into Python (``.item()``, ``bool(t)``,
    ``int(t)``): each read waits for the device (a sync on a GPU)."""
    with _ValueReads() as reads:
        call()
    return reads.count


# A test marked own_process runs in a fresh Python of its own. tests/test_devices.py
# needs it: its fake CUDA device relabels fake tensors under torch's feet, and this
# corrupts the heap inside torch 2.13 now and then: in a process that had run other
# tests it crashed at random (segmentation fault, abort), taking the whole run with it.
# In a process of its own the test runs to its verdict; the child's verdict is read
# from its report, so a crash while the child exits does not hide a passing test,
# and a crash before the verdict fails it.
OWN_PROCESS = "ATTN_COURSE_OWN_PROCESS"


def pytest_configure(config):
    config.addinivalue_line("markers", "own_process: run the test in a fresh Python of its own")


def pytest_pyfunc_call(pyfuncitem):
    """Run an own_process test as ``python -m pytest <its id>`` in a child process."""
    if pyfuncitem.get_closest_marker("own_process") is None or os.environ.get(OWN_PROCESS):
        return None
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        command = [sys.executable, "-m", "pytest", pyfuncitem.nodeid, "-q", "-p"]
        command += ["no:cacheprovider", "-o", "addopts=", f"--junitxml={report}"]
        env = {**os.environ, OWN_PROCESS: "1"}
        result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        cases = ElementTree.parse(report).getroot().iter("testcase") if report.exists() else []
        verdicts = [[child.tag for child in case if child.tag != "system-out"] for case in cases]
    if verdicts == [["skipped"]]:
        pytest.skip("skipped in its own process")
    if verdicts != [[]]:
        pytest.fail(f"in its own process:\n{result.stdout[-6000:]}{result.stderr[-2000:]}")
    return True
