"""Report how long each notebook took under nbval (cell execution only)."""

from __future__ import annotations

from collections import defaultdict

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    if report.when == "call" and ".ipynb::" in report.nodeid:
        notebook = report.nodeid.split("::")[0]
        _notebook_seconds[notebook] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook times (seconds of cell execution under nbval)")
    for notebook, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:6.1f}  {notebook}")
