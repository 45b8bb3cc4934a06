"""Shared test set-up: a headless matplotlib backend and the repo's paths."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# tests/d2l_reference.py is imported as a plain module by the tests.
sys.path.insert(0, str(TESTS_DIR))
