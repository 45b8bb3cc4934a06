"""Give a student a working copy of the lessons in a folder of their own.

Usage (or `make workcopy`, `make workcopy RESET=03`):
    python tools/workcopy.py                 copy every lesson not yet in my-notebooks/
    python tools/workcopy.py --reset 03      fresh copy of lesson 03; your old one is kept
    python tools/workcopy.py --reset masked_softmax   (a lesson can be named instead)

The lessons in notebooks/ belong to the course: `git pull` updates them. Work in
my-notebooks/ instead (git ignores it), so a pull never conflicts with your work.
The worked solutions are not copied: read them in notebooks/solutions/.

This tool never overwrites anything. A lesson whose copy already exists is
skipped (it says why); copy it again with --reset, which first renames your
version to NN_name.old-YYYYmmdd-HHMMSS.ipynb beside the fresh copy. The course's
version of each file at the time it was copied is remembered in
my-notebooks/.workcopy.json, so the tool can tell you whether you edited a copy
or the course has a newer version of it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent
MANIFEST = ".workcopy.json"
# Folders of notebooks/ that are not lessons to work in.
SKIP_DIRS = {"solutions", ".ipynb_checkpoints", "__pycache__"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def course_files(source: Path) -> list[Path]:
    """The lesson notebooks and their assets under source, relative, sorted.

    Worked solutions, checkpoints and caches are left out.
    """
    files = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or SKIP_DIRS.intersection(relative.parts[:-1]):
            continue
        if path.name.startswith(".") or ".old-" in path.name:
            continue
        files.append(relative)
    return files


def lessons(source: Path) -> list[Path]:
    """The lesson notebooks (notebooks/NN_name.ipynb), relative, in order."""
    return [p for p in course_files(source) if p.suffix == ".ipynb" and len(p.parts) == 1]


def _read_manifest(dest: Path) -> dict[str, str]:
    try:
        return json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_manifest(dest: Path, manifest: dict[str, str]) -> None:
    text = json.dumps(dict(sorted(manifest.items())), indent=1) + "\n"
    (dest / MANIFEST).write_text(text, encoding="utf-8")


def _copy_new(src: Path, dst: Path) -> None:
    """Copy src to dst; fail if dst exists (exclusive create, never an overwrite)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "xb") as out:
        out.write(src.read_bytes())


def _why_skipped(src: Path, dst: Path, copied_from: str | None) -> str:
    mine = _digest(dst)
    course = _digest(src)
    if mine == course:
        return "your copy is the same as the course's"
    if copied_from is None:
        return "your copy differs from the course's"
    if mine == copied_from:
        return "the course has a newer version; your copy is untouched (--reset to take it)"
    if course == copied_from:
        return "you edited your copy; it stays as it is"
    return "you edited your copy and the course has a newer version (--reset to take it)"


def copy_all(source: Path, dest: Path, out: TextIO | None = None) -> tuple[list[Path], list[Path]]:
    """Copy every course file that dest lacks; never touch an existing file.

    Returns (copied, skipped) as paths relative to dest.
    """
    out = out or sys.stdout
    if not source.is_dir():
        raise FileNotFoundError(f"no lessons folder at {source}")
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(dest)
    copied, skipped = [], []
    for relative in course_files(source):
        src, dst = source / relative, dest / relative
        key = relative.as_posix()
        if dst.exists():
            print(f"skipped {key}: {_why_skipped(src, dst, manifest.get(key))}", file=out)
            skipped.append(relative)
            continue
        _copy_new(src, dst)
        manifest[key] = _digest(src)
        print(f"copied  {key}", file=out)
        copied.append(relative)
    _write_manifest(dest, manifest)
    print(
        f"{len(copied)} copied, {len(skipped)} skipped (existing files are never overwritten)"
        f" -> {dest}",
        file=out,
    )
    if skipped:
        print("For a fresh copy of one lesson (yours kept beside it): --reset NN", file=out)
    return copied, skipped


def find_lesson(source: Path, wanted: str) -> Path:
    """The lesson matching wanted: a number ('3', '03'), a name or a file name.

    Raises LookupError naming the lessons when none or several match.
    """
    key = wanted.strip().removesuffix(".ipynb")
    available = lessons(source)
    if key.isdigit():
        matches = [p for p in available if p.stem.split("_", 1)[0] == f"{int(key):02d}"]
    else:
        matches = [p for p in available if p.stem == key or p.stem.split("_", 1)[-1] == key]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in available) or "none"
        problem = "no lesson" if not matches else "several lessons"
        raise LookupError(f"{problem} match {wanted!r}; lessons: {names}")
    return matches[0]


def _free_old_name(dst: Path, stamp: str) -> Path:
    candidate = dst.with_name(f"{dst.stem}.old-{stamp}{dst.suffix}")
    number = 2
    while candidate.exists():
        candidate = dst.with_name(f"{dst.stem}.old-{stamp}-{number}{dst.suffix}")
        number += 1
    return candidate


def reset(
    source: Path, dest: Path, wanted: str, out: TextIO | None = None
) -> tuple[Path, Path | None]:
    """Put a fresh copy of one lesson in dest, keeping the old one beside it.

    Returns (fresh copy, kept old version or None when there was none).
    Raises LookupError when wanted names no lesson or several.
    """
    out = out or sys.stdout
    relative = find_lesson(source, wanted)
    src, dst = source / relative, dest / relative
    dest.mkdir(parents=True, exist_ok=True)
    kept = None
    if dst.exists():
        kept = _free_old_name(dst, time.strftime("%Y%m%d-%H%M%S"))
        dst.rename(kept)  # kept never existed: nothing is overwritten
        print(f"kept    {kept.name} (your previous version)", file=out)
    _copy_new(src, dst)
    manifest = _read_manifest(dest)
    manifest[relative.as_posix()] = _digest(src)
    _write_manifest(dest, manifest)
    print(f"copied  {relative.as_posix()} (fresh from the course)", file=out)
    return dst, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reset",
        metavar="LESSON",
        help="lesson number or name to copy afresh; your version is kept beside it",
    )
    parser.add_argument("--source", type=Path, default=REPO / "notebooks", help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, default=REPO / "my-notebooks", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.reset:
            reset(args.source, args.dest, args.reset)
        else:
            copy_all(args.source, args.dest)
    except (LookupError, FileNotFoundError) as error:
        print(f"workcopy: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
