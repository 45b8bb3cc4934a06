"""Shared test set-up: a headless matplotlib backend and the repo's paths."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# tests/d2l_reference.py is imported as a plain module by the tests.
sys.path.insert(0, str(TESTS_DIR))


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tests on one thread: small matrices are faster so, above all on a
    busy CPU. Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
