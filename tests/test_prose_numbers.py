"""Numbers in prose come from the run.

Every number a lesson's text states as a result (a decimal, a percentage, a time,
a size in bytes, a ratio, a count written with thousands separators, "N of M")
must be printed by one of that notebook's compared outputs (to the precision the
text gives), appear in its code (a setting, never a time, size or ratio), or be
listed among the lesson's constants (the
notebook's metadata ``constants``: ``{"value": "why it is not printed"}``). The
text is every markdown cell but the References, and the speaker notes in the
slides' metadata. Outputs nbval does not compare (timings, a trained model's exact
figures) do not count: they change from machine to machine, and text that quotes
them goes stale.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import tokenize
from pathlib import Path

import pytest

from conftest import LESSONS, REPO_ROOT, SOLUTIONS, notebook_id

sys.path.insert(0, str(REPO_ROOT / "tools"))
from lesson_cells import is_compared, notes, source  # noqa: E402

NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?"
UNIT = r"(?:ms|µs|us|s|sec|seconds?|min|minutes?|bytes|[KMG]i?B|kB|(?:x|×)(?!\s*\d)|times|%)"
STATED = re.compile(
    rf"(?<![\w.,/^_{{\\-])(?:(?P<of>{NUMBER})\s+(?:of|out of)\s+(?P<total>{NUMBER})\b"
    rf"|(?P<number>{NUMBER})(?:\s?(?P<unit>{UNIT})(?![\w])|(?![\w.]|,\d)))"
)
VERSION = re.compile(r"\b\d+\.\d+\.\d+\b")
DETAILS_OR_HEADING = re.compile(r"^#+\s+References\b", re.MULTILINE)
OUTPUT_NUMBER = re.compile(
    r"(?<![\w.])-?(\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?)(?:\s?([a-zA-Zµ]+))?"
)
# A time or a size must be printed as one: its value in seconds or bytes.
SCALE = {
    "ms": ("time", 1e-3),
    "µs": ("time", 1e-6),
    "us": ("time", 1e-6),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "second": ("time", 1.0),
    "seconds": ("time", 1.0),
    "min": ("time", 60.0),
    "minute": ("time", 60.0),
    "minutes": ("time", 60.0),
    "bytes": ("size", 1.0),
    "B": ("size", 1.0),
    "kB": ("size", 1e3),
    "KB": ("size", 1e3),
    "KiB": ("size", 2.0**10),
    "MB": ("size", 1e6),
    "MiB": ("size", 2.0**20),
    "GB": ("size", 1e9),
    "GiB": ("size", 2.0**30),
}


def is_result(text: str, unit: str | None) -> bool:
    """Whether a number in prose states a result rather than naming a setting."""
    return bool(unit) or "." in text or "," in text


def value(text: str) -> float:
    return float(text.replace(",", ""))


def decimals(text: str) -> int:
    plain = text.replace(",", "").split("e")[0]
    return len(plain.split(".")[1]) if "." in plain else 0


def prose(notebook: dict) -> list[tuple[str, str]]:
    """(where, text) of every piece of prose: markdown cells and speaker notes."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            text = source(cell)
            if DETAILS_OR_HEADING.search(text):
                continue
            found.append((f"cell {index}", text))
        note = notes(cell)
        if note:
            found.append((f"cell {index} notes", f"{note.get('point', '')} {note.get('ask', '')}"))
    return found


def printed_values(notebook: dict) -> list[tuple[float, str | None]]:
    """Every number the compared outputs print, with its kind (time, size or None)."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or not is_compared(cell):
            continue
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            data = output.get("data", {})
            text += "".join(data.get("text/plain", "")) + "".join(data.get("text/html", ""))
            text += str(output.get("evalue", ""))
            for token, unit in OUTPUT_NUMBER.findall(text):
                kind, scale = SCALE.get(unit, (None, 1.0))
                try:
                    found.append((abs(value(token)) * scale, kind))
                except ValueError:
                    continue
    return found


def code_values(notebook: dict) -> list[float]:
    """Every numeric literal in the notebook's code."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(
            "#" + line if line.lstrip().startswith(("%", "!")) else line
            for line in source(cell).splitlines()
        )
        try:
            for token in tokenize.generate_tokens(io.StringIO(code).readline):
                if token.type == tokenize.NUMBER:
                    try:
                        found.append(abs(float(token.string.replace("_", ""))))
                    except ValueError:
                        continue
        except (tokenize.TokenError, IndentationError, SyntaxError):
            continue
    return found


def matches(stated: str, unit: str | None, candidates: list[tuple[float, str | None]]) -> bool:
    """Whether a stated number is one of the candidates, to the precision stated.

    A time or a size matches only a time or a size, in any unit (0.4 ms is 0.40 ms or
    0.0004 s); a percentage matches 35 or 0.35.
    """
    target, places = value(stated), decimals(stated)
    kind, unit_scale = SCALE.get(unit or "", (None, 1.0))
    for candidate, candidate_kind in candidates:
        if kind and candidate_kind != kind:
            continue
        for scale in (1.0, 100.0) if unit == "%" else (1.0 / unit_scale,):
            shown = candidate * scale
            if math.isclose(round(shown, places), target, rel_tol=1e-9, abs_tol=1e-12):
                return True
            if "e" in stated.lower() and math.isclose(shown, target, rel_tol=1e-6):
                return True
    return False


def unsourced_numbers(notebook: dict) -> list[str]:
    """Every stated number that no compared output, code or listed constant gives."""
    printed = printed_values(notebook)
    code = [(number, None) for number in code_values(notebook)]
    constants = notebook.get("metadata", {}).get("constants", {})
    listed = [(value(key), None) for key in constants]
    problems = []
    for where, text in prose(notebook):
        text = VERSION.sub(" ", text)
        for found in STATED.finditer(text):
            if found.group("of"):
                pairs = [(found.group("of"), None), (found.group("total"), None)]
            else:
                stated, unit = found.group("number"), found.group("unit")
                if not is_result(stated, unit):
                    continue
                pairs = [(stated, unit)]
            for stated, unit in pairs:
                # A measured quantity (a time, a size, a ratio) is never a setting in code.
                allowed = printed + listed + ([] if unit else code)
                if stated in constants or matches(stated, unit, allowed):
                    continue
                context = text[max(0, found.start() - 30) : found.end() + 10].replace("\n", " ")
                problems.append(f"{where}: {found.group(0)!r} in '...{context}...'")
    return problems


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=map(notebook_id, LESSONS + SOLUTIONS))
def test_every_number_in_the_prose_comes_from_the_run(path: Path):
    problems = unsourced_numbers(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, (
        f"{len(problems)} numbers in the text that no compared output prints, no code holds "
        "and the notebook's metadata 'constants' does not list:\n" + "\n".join(problems)
    )


def test_the_rule_tells_printed_from_typed_numbers():
    def cell(kind, text, outputs=(), tags=()):
        return {
            "cell_type": kind,
            "source": text,
            "outputs": list(outputs),
            "metadata": {"tags": list(tags)},
        }

    printed = {
        "output_type": "stream",
        "name": "stdout",
        "text": "loss 0.4013, 1,056 params, 17-20 tokens, 0.35 ms, 5.80 MiB\n",
    }
    timing = {"output_type": "stream", "name": "stdout", "text": "took 20.9 s\n"}
    notebook = {
        "metadata": {"constants": {"2017": "the year of the paper"}},
        "cells": [
            cell("code", "lr = 5e-3\nsteps = 20\nprint(loss)", [printed]),
            cell("code", "print(seconds)", [timing], ["nbval-ignore-output"]),
            cell("markdown", "The loss falls to 0.40 with 1,056 parameters at lr 0.005."),
            cell("markdown", "It trained in 20.9 s; 147 of 150 were right; 3.5x faster."),
            cell("markdown", "It trained in under 20 s. A step takes 0.35 ms or 350 µs; 5.8 MiB."),
            cell("markdown", "8 heads, lesson 05, torch 2.13.0, Vaswani et al. 2017."),
            cell("markdown", "## References\n\n- Paper 1.5, 2019, arXiv 1706.03762."),
        ],
    }
    problems = "\n".join(unsourced_numbers(notebook))
    assert "0.40" not in problems and "1,056" not in problems and "0.005" not in problems
    assert "0.35 ms" not in problems and "350 µs" not in problems and "5.8 MiB" not in problems
    for typed in ("'20.9 s'", "'147 of 150'", "'3.5x'", "'20 s'"):
        assert typed in problems, typed
    assert "2.13" not in problems and "1706" not in problems and "2017" not in problems
