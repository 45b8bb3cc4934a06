"""The Chinese edition's catalogues (locale/zh_CN) cannot drift from the English.

- Every catalogue holds exactly the current English text: a changed English cell
  turns its translation fuzzy (gettext's rule), and the catalogue on disk must be
  what ``tools/i18n.py update`` writes, so an English edit without ``make zh`` fails.
- Every translation keeps the English's code, maths, links, placeholders, headings
  and numbers, and uses the glossary's terms (locale/zh_CN/glossary.tsv).
- The checks speak Chinese after ``set_language("zh_CN")`` and English again after
  ``set_language("en")``; an unknown language is a clear error.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import i18n  # noqa: E402

from attn_course.checks import set_language  # noqa: E402
from attn_course.checks.core import Case, run_check  # noqa: E402

NAMES = i18n.catalogue_names()


@pytest.mark.parametrize("name", NAMES)
def test_catalogue_holds_the_current_english_text(name):
    path = i18n.po_path(name)
    assert path.exists(), f"{path} is missing: run make zh"
    assert path.read_bytes() == i18n.updated(name), f"{path} is behind the English: run make zh"


@pytest.mark.parametrize("name", NAMES)
def test_every_translation_keeps_code_maths_numbers_and_terms(name):
    glossary = i18n.load_glossary()
    broken = {}
    for message in i18n.read_catalogue(i18n.po_path(name)):
        if message.id and message.string:
            found = i18n.problems(message.id, message.string, glossary)
            if found:
                broken[message.id[:60]] = found
    assert broken == {}


def test_the_translation_checks_can_fail():
    glossary = i18n.load_glossary()
    english = "## Masked softmax\n\nThe query sees `valid_lens[0]` = 3 keys: $\\alpha_{ij}$."
    good = "## 掩蔽softmax\n\n查询看到 `valid_lens[0]` = 3 个键：$\\alpha_{ij}$。"
    assert i18n.problems(english, good, glossary) == []
    broken = {
        "code spans": good.replace("`valid_lens[0]`", "valid_lens[0]"),
        "maths": good.replace("\\alpha_{ij}", "\\alpha_{ji}"),
        "numbers": good.replace("3 个", "三个"),
        "headings": good.replace("## ", ""),
        "glossary": good.replace("查询", "问题"),
    }
    for what, chinese in broken.items():
        assert i18n.problems(english, chinese, glossary), what


def test_every_checked_glossary_term_is_used_by_the_course():
    english = " ".join(
        i18n.strip_code_and_maths(m.id)
        for name in NAMES
        for m in i18n.read_catalogue(i18n.po_path(name))
        if m.id
    )
    unused = [t for t, _ in i18n.load_glossary() if not i18n.term_pattern(t).search(english)]
    assert unused == []


def test_a_changed_english_cell_turns_its_translation_fuzzy(tmp_path, monkeypatch):
    notebooks, catalogues = tmp_path / "notebooks", tmp_path / "locale"
    (notebooks / "solutions").mkdir(parents=True)
    monkeypatch.setattr(i18n, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(i18n, "CATALOGUES", catalogues)
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    monkeypatch.setattr(i18n, "CHECKS", tmp_path / "checks")  # no checks: nothing to extract
    lesson = notebooks / "01_tiny.ipynb"

    def write(text):
        cell = {"cell_type": "markdown", "id": "a", "metadata": {}, "source": text}
        lesson.write_text(json.dumps({"cells": [cell], "metadata": {}}), encoding="utf-8")

    write("The query attends to every key.")
    i18n.update()
    po = i18n.po_path("01_tiny")
    catalog = i18n.read_catalogue(po)
    catalog.get("The query attends to every key.").string = "查询关注每一个键。"
    po.write_bytes(i18n.po_bytes(catalog))
    assert i18n.translations("01_tiny") == {
        (None, "The query attends to every key."): "查询关注每一个键。"
    }
    write("The query attends to every visible key.")
    assert po.read_bytes() != i18n.updated("01_tiny")  # the test above would fail
    i18n.update()
    (message,) = [m for m in i18n.read_catalogue(po) if m.id]
    assert message.id == "The query attends to every visible key."
    assert message.fuzzy and message.string == "查询关注每一个键。"
    assert i18n.translations("01_tiny") == {}  # a fuzzy entry is never used
    assert i18n.status()[0][1:] == (1, 0, 1, 0)


def not_implemented(X):
    raise NotImplementedError


def test_checks_speak_the_language_set(capsys):
    cases = [Case("a 2x2 matrix", (torch_ones(),))]
    try:
        set_language("zh_CN")
        run_check("my_double", not_implemented, lambda X: 2 * X, cases)
        chinese = capsys.readouterr().out
    finally:
        set_language("en")
    run_check("my_double", not_implemented, lambda X: 2 * X, cases)
    english = capsys.readouterr().out
    assert english.startswith("my_double: not implemented yet."), english
    translated = dict(i18n.translations(i18n.CHECKS_DOMAIN))
    if translated:  # the catalogue is compiled with make zh
        assert chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    with pytest.raises(ValueError, match="no translation of the checks into 'xx'"):
        set_language("xx")


def torch_ones():
    import torch

    return torch.ones(2, 2)


def test_the_checks_catalogue_is_compiled_into_the_package():
    assert i18n.MO_FILE.read_bytes() == i18n.mo_bytes(), "run make zh"


# The Chinese notebooks (notebooks/zh), written by make zh.
ENGLISH = i18n.english_notebooks()
ENGLISH_IDS = [p.relative_to(i18n.NOTEBOOKS).as_posix() for p in ENGLISH]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_make_zh_would_change_no_file():
    """Catalogues up to date, nothing fuzzy or untranslated, the checks' catalogue
    compiled, and every Chinese notebook as make zh writes it (outputs included)."""
    assert i18n.check() == []


@pytest.mark.parametrize("english", ENGLISH, ids=ENGLISH_IDS)
def test_chinese_notebook_has_the_english_code_and_outputs(english):
    zh, en = load(i18n.zh_path(english)), load(english)
    switches = [c for c in zh["cells"] if i18n.SWITCH_TAG in c["metadata"].get("tags", [])]
    assert len(switches) == 1 and "".join(switches[0]["source"]) == i18n.SWITCH_SOURCE
    ours = i18n.english_cells(zh)
    theirs = [c for c in en["cells"] if c["cell_type"] == "code"]
    assert [c["source"] for c in ours] == [c["source"] for c in theirs], "the code differs"
    assert [c["id"] for c in ours] == [c["id"] for c in theirs]
    assert [c["metadata"] for c in ours] == [c["metadata"] for c in theirs]
    for mine, english_cell in zip(ours, theirs, strict=True):
        if not i18n.calls_a_check(mine) or i18n.output_ignored(mine):
            assert mine["outputs"] == [
                {**o, "execution_count": mine["execution_count"]} if "execution_count" in o else o
                for o in english_cell["outputs"]
            ], f"cell {mine['id']}: outputs differ from the English"
    # the switch comes before the first code cell that could print a check's verdict
    assert zh["cells"].index(switches[0]) < zh["cells"].index(ours[0])


@pytest.mark.parametrize("english", ENGLISH, ids=ENGLISH_IDS)
def test_chinese_notebook_text_is_chinese_and_its_checks_speak_it(english):
    zh = load(i18n.zh_path(english))
    assert zh["metadata"]["language"] == "zh_CN"
    markdown = ["".join(c["source"]) for c in zh["cells"] if c["cell_type"] == "markdown"]
    english_text = [t for t in markdown if i18n.needs_translation(t) and not has_chinese(t)]
    assert english_text == [], "markdown cells left in English"
    for cell in zh["cells"]:
        notes = cell["metadata"].get("notes") or {}
        for field in i18n.NOTE_FIELDS:
            if notes.get(field):
                assert has_chinese(notes[field]), f"speaker notes left in English: {notes[field]}"
    for cell in i18n.english_cells(zh):
        if i18n.calls_a_check(cell) and not i18n.output_ignored(cell):
            printed = "".join(
                "".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream"
            )
            if printed.strip():  # validators called check_... print nothing when all is well
                assert has_chinese(printed), f"cell {cell['id']}: a check's verdict not in Chinese"


def test_readme_zh_maps_the_course_and_gives_the_two_commands():
    readme = (REPO_ROOT / "README.zh.md").read_text(encoding="utf-8")
    english = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for path in ENGLISH:
        if path.parent == i18n.NOTEBOOKS:
            assert f"(notebooks/zh/{path.name})" in readme, f"README.zh.md lacks {path.name}"
    for command in ("make lab CPU=1", "make lab", "make test"):
        assert command in english and command in readme, command
    assert "(README.md)" in readme and "(README.zh.md)" in english
