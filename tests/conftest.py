"""Shared test set-up: a headless matplotlib backend, the repo's paths, the notebooks.

Test modules import the constants from here (``from conftest import REPO_ROOT, LESSONS``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

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
