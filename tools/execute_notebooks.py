"""Execute notebooks in place (so their stored outputs are fresh) and time them.

Usage:
    python tools/execute_notebooks.py [--no-write] NOTEBOOK [NOTEBOOK ...]

Each notebook runs in a fresh kernel of this Python, in its own folder, as
nbval runs it. The time printed is from the first cell to the end of the
last one (kernel start excluded). With --no-write the notebooks are timed
but not saved. Prints a Markdown table of the times.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, write: bool) -> float:
    """Run one notebook; return the seconds its cells took."""
    notebook = nbformat.read(path, as_version=4)
    marks: dict[str, float] = {}
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        on_notebook_start=lambda **_: marks.setdefault("start", time.perf_counter()),
    )
    client.execute()
    seconds = time.perf_counter() - marks["start"]
    if write:
        nbformat.write(notebook, path)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--no-write", action="store_true", help="time only; do not save")
    args = parser.parse_args()
    rows = []
    for path in args.notebooks:
        seconds = execute(path, write=not args.no_write)
        rows.append((path, seconds))
        print(f"{seconds:6.1f} s  {path}", file=sys.stderr)
    print("| notebook | seconds |")
    print("| --- | ---: |")
    for path, seconds in rows:
        print(f"| `{path.as_posix()}` | {seconds:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
