"""tools/workcopy.py: a student's own copy of the lessons, never overwritten."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "workcopy.py"

_spec = importlib.util.spec_from_file_location("workcopy", TOOL)
workcopy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workcopy)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A small course folder: two lessons, an asset, a solution, a checkpoint."""
    source = tmp_path / "notebooks"
    (source / "solutions").mkdir(parents=True)
    (source / "figures").mkdir()
    (source / ".ipynb_checkpoints").mkdir()
    (source / "01_attention_cues.ipynb").write_text('{"lesson": 1}')
    (source / "03_masked_softmax.ipynb").write_text('{"lesson": 3}')
    (source / "figures" / "diagram.png").write_bytes(b"\x89PNG fake")
    (source / "solutions" / "03_masked_softmax_solutions.ipynb").write_text('{"solution": 3}')
    (source / ".ipynb_checkpoints" / "01_attention_cues-checkpoint.ipynb").write_text("{}")
    return source


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    old, sys.stdout = sys.stdout, out
    try:
        code = workcopy.main(list(args))
    finally:
        sys.stdout = old
    return code, out.getvalue()


def test_first_run_copies_lessons_and_assets_only(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    code, out = run("--source", str(course), "--dest", str(dest))
    assert code == 0
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == [
        ".workcopy.json",
        "01_attention_cues.ipynb",
        "03_masked_softmax.ipynb",
        "figures/diagram.png",
    ]
    assert (dest / "03_masked_softmax.ipynb").read_text() == '{"lesson": 3}'
    assert "copied  01_attention_cues.ipynb" in out
    assert "3 copied, 0 skipped" in out


def test_second_run_skips_existing_and_edited_copies(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    run("--source", str(course), "--dest", str(dest))
    (dest / "01_attention_cues.ipynb").write_text('{"my": "work"}')
    (course / "05_bahdanau_attention.ipynb").write_text('{"lesson": 5}')

    code, out = run("--source", str(course), "--dest", str(dest))

    assert code == 0
    assert (dest / "01_attention_cues.ipynb").read_text() == '{"my": "work"}'
    assert (dest / "05_bahdanau_attention.ipynb").read_text() == '{"lesson": 5}'
    assert "skipped 01_attention_cues.ipynb: you edited your copy" in out
    assert "skipped 03_masked_softmax.ipynb: your copy is the same as the course's" in out
    assert "copied  05_bahdanau_attention.ipynb" in out
    assert "1 copied, 3 skipped" in out


def test_course_update_never_overwrites_and_is_reported(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    run("--source", str(course), "--dest", str(dest))
    (course / "03_masked_softmax.ipynb").write_text('{"lesson": 3, "fixed": true}')
    (dest / "01_attention_cues.ipynb").write_text('{"mine": 1}')
    (course / "01_attention_cues.ipynb").write_text('{"lesson": 1, "fixed": true}')

    _, out = run("--source", str(course), "--dest", str(dest))

    assert (dest / "03_masked_softmax.ipynb").read_text() == '{"lesson": 3}'
    assert (dest / "01_attention_cues.ipynb").read_text() == '{"mine": 1}'
    assert "03_masked_softmax.ipynb: the course has a newer version; your copy is untouched" in out
    assert "01_attention_cues.ipynb: you edited your copy and the course has a newer" in out


def test_a_copy_without_a_manifest_is_still_skipped(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    dest.mkdir()
    (dest / "01_attention_cues.ipynb").write_text("my own file")
    _, out = run("--source", str(course), "--dest", str(dest))
    assert (dest / "01_attention_cues.ipynb").read_text() == "my own file"
    assert "skipped 01_attention_cues.ipynb: your copy differs from the course's" in out


@pytest.mark.parametrize("wanted", ["03", "3", "masked_softmax", "03_masked_softmax.ipynb"])
def test_reset_keeps_the_old_version_beside_a_fresh_copy(course: Path, tmp_path: Path, wanted):
    dest = tmp_path / "my-notebooks"
    run("--source", str(course), "--dest", str(dest))
    (dest / "03_masked_softmax.ipynb").write_text("my attempt")

    code, out = run("--source", str(course), "--dest", str(dest), "--reset", wanted)

    assert code == 0
    assert (dest / "03_masked_softmax.ipynb").read_text() == '{"lesson": 3}'
    old = list(dest.glob("03_masked_softmax.old-*.ipynb"))
    assert len(old) == 1
    assert old[0].read_text() == "my attempt"
    assert len(old[0].name) == len("03_masked_softmax.old-20250101-120000.ipynb")
    assert f"kept    {old[0].name}" in out
    # The other lesson is untouched, and a later plain run skips the fresh copy.
    assert (dest / "01_attention_cues.ipynb").read_text() == '{"lesson": 1}'
    _, out = run("--source", str(course), "--dest", str(dest))
    assert "0 copied" in out


def test_reset_twice_in_one_second_never_overwrites_a_kept_version(
    course: Path, tmp_path: Path, monkeypatch
):
    dest = tmp_path / "my-notebooks"
    run("--source", str(course), "--dest", str(dest))
    monkeypatch.setattr(workcopy.time, "strftime", lambda _: "20250101-120000")
    for attempt in ("first attempt", "second attempt", "third attempt"):
        (dest / "03_masked_softmax.ipynb").write_text(attempt)
        run("--source", str(course), "--dest", str(dest), "--reset", "03")
    kept = {p.name: p.read_text() for p in dest.glob("03_masked_softmax.old-*")}
    assert kept == {
        "03_masked_softmax.old-20250101-120000.ipynb": "first attempt",
        "03_masked_softmax.old-20250101-120000-2.ipynb": "second attempt",
        "03_masked_softmax.old-20250101-120000-3.ipynb": "third attempt",
    }


def test_reset_of_a_lesson_never_copied_just_copies_it(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    code, out = run("--source", str(course), "--dest", str(dest), "--reset", "1")
    assert code == 0
    assert [p.name for p in dest.glob("*.ipynb")] == ["01_attention_cues.ipynb"]
    assert "kept" not in out


@pytest.mark.parametrize("wanted", ["07", "softmax", "solutions"])
def test_reset_of_an_unknown_lesson_fails_and_names_the_lessons(
    course: Path, tmp_path: Path, capsys, wanted
):
    dest = tmp_path / "my-notebooks"
    code, _ = run("--source", str(course), "--dest", str(dest), "--reset", wanted)
    assert code == 2
    error = capsys.readouterr().err
    assert f"no lesson match {wanted!r}" in error
    assert "01_attention_cues, 03_masked_softmax" in error
    assert not dest.exists() or not list(dest.glob("*.ipynb"))


def test_missing_source_folder_is_an_error(tmp_path: Path, capsys):
    code, _ = run("--source", str(tmp_path / "nope"), "--dest", str(tmp_path / "out"))
    assert code == 2
    assert "no lessons folder" in capsys.readouterr().err


def test_command_line(course: Path, tmp_path: Path):
    dest = tmp_path / "my-notebooks"
    command = [sys.executable, str(TOOL), "--source", str(course), "--dest", str(dest)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "3 copied, 0 skipped" in result.stdout
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "0 copied, 3 skipped" in result.stdout
