"""Execute notebooks in place (so their stored outputs are fresh) and time them.

Usage:
    python tools/execute_notebooks.py [--no-write] NOTEBOOK [NOTEBOOK ...]

Each notebook runs in a fresh kernel of this Python, in its own folder, as
nbval runs it. The time printed is from the start of the first cell to the end
of the last one (kernel start excluded), from the timings nbclient records for
each cell; they are not saved in the notebook. With --no-write the notebooks
are timed but not saved. Prints a Markdown table of the times.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # Python 3.10 reads no "Z"


def execute(path: Path, write: bool) -> float:
    """Run one notebook; return the seconds from its first cell's start to its last
    cell's end, as nbclient recorded them (the records are not saved)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    client.execute()
    timings = [
        cell.metadata.pop("execution") for cell in notebook.cells if "execution" in cell.metadata
    ]
    if write:
        nbformat.write(notebook, path)
    if not timings:
        return 0.0
    start, end = timings[0]["iopub.execute_input"], timings[-1]["shell.execute_reply"]
    return (_when(end) - _when(start)).total_seconds()


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
