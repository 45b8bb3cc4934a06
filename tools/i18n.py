"""The Chinese edition: gettext catalogues of the lessons and the checks, and the
Chinese notebooks built from them.

Usage (from the top of the repository; ``make zh`` runs update, then build --execute):
    python tools/i18n.py update
        English sources -> locale/zh_CN/LC_MESSAGES/*.po. One catalogue per lesson
        (the markdown cells and speaker notes of the lesson and its solutions) and
        attn_course.po (the checks' messages). A message whose English changed keeps
        its old translation marked fuzzy (gettext's rule), a new one is untranslated.
    python tools/i18n.py status
        Per catalogue: messages, translated, fuzzy, untranslated.
    python tools/i18n.py worksheet PO [--location PATH] -o FILE
        The messages of PO that need a translation, as a plain-text worksheet.
    python tools/i18n.py apply FILE
        Read a filled worksheet, check every translation (same code, maths,
        placeholders, links, numbers and headings as the English; the glossary's
        terms) and store the accepted ones in the catalogue.
    python tools/i18n.py build [--execute]
        Compile the checks' catalogue into attn_course/locale, and write
        notebooks/zh/ from the English notebooks and the catalogues: the Chinese
        text, the same code, one language-switch cell, and outputs. With
        --execute every Chinese notebook runs (the outputs of the cells that call
        an exercise check are in Chinese); without it those outputs are kept from
        the Chinese notebooks on disk. Outputs nbval ignores (timings) and figures
        are the English notebook's own: the code is the same.
    python tools/i18n.py check
        Exit 1 (and say why) unless update and build would change no file.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import fcntl
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LANGUAGE = "zh_CN"
LOCALE = ROOT / "locale" / LANGUAGE
CATALOGUES = LOCALE / "LC_MESSAGES"
GLOSSARY = LOCALE / "glossary.tsv"
ZH_NOTEBOOKS = NOTEBOOKS / "zh"
CHECKS = ROOT / "attn_course" / "checks"
CHECKS_DOMAIN = "attn_course"
MO_FILE = ROOT / "attn_course" / "locale" / LANGUAGE / "LC_MESSAGES" / f"{CHECKS_DOMAIN}.mo"
NOTES_CONTEXT = "speaker notes"  # msgctxt of a slide's notes (point, ask)
NOTE_FIELDS = ("point", "ask")
# A fixed date in the headers, so that the files change only when a message does.
FIXED_DATE = datetime.datetime(2026, 12, 6, tzinfo=datetime.timezone.utc)

SWITCH_TAG = "language-switch"
SWITCH_SOURCE = (
    "from attn_course.checks import set_language\n\n"
    'set_language("zh_CN")  # 练习检查的结论和提示使用中文'
)
CHECK_CALL = re.compile(r"\bcheck_\w+\(")
IGNORE_MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip")


# --- the English sources --------------------------------------------------------------


def lessons() -> list[tuple[str, list[Path]]]:
    """(catalogue name, [lesson notebook, solutions notebook]) for every lesson."""
    result = []
    for lesson in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        solution = NOTEBOOKS / "solutions" / f"{lesson.stem}_solutions.ipynb"
        result.append((lesson.stem, [lesson] + ([solution] if solution.exists() else [])))
    return result


def english_notebooks() -> list[Path]:
    """Every English notebook, lessons then solutions."""
    return [path for _, paths in lessons() for path in paths]


def needs_translation(text: str) -> bool:
    """False for a cell with no words outside code and maths (kept as it is)."""
    return bool(re.search(r"[A-Za-z]{2,}", strip_code_and_maths(text)))


def notebook_messages(path: Path) -> list[tuple[str | None, str]]:
    """(context, English text) of every message of one notebook, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    messages = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            if needs_translation(text):
                messages.append((None, text))
        notes = cell["metadata"].get("notes") or {}
        for field in NOTE_FIELDS:
            if notes.get(field):
                messages.append((NOTES_CONTEXT, notes[field]))
    return messages


def template(name: str) -> Catalog:
    """The catalogue of the current English text: of a lesson, or of the checks."""
    catalog = Catalog(locale=LANGUAGE, domain=name, project="attn-course", fuzzy=False)
    catalog.creation_date = FIXED_DATE
    if name == CHECKS_DOMAIN:
        for source in sorted(CHECKS.glob("*.py")):
            where = source.relative_to(ROOT).as_posix()
            for lineno, message, _comments, context in extract_from_file(
                "python", source, keywords={"_": None, "N_": None}
            ):
                catalog.add(message, locations=[(where, lineno)], context=context)
        return catalog
    for _name, paths in lessons():
        if _name != name:
            continue
        for path in paths:
            where = path.relative_to(ROOT).as_posix()
            for number, (context, text) in enumerate(notebook_messages(path), 1):
                catalog.add(text, locations=[(where, number)], context=context)
    return catalog


def catalogue_names() -> list[str]:
    """Every catalogue: one per lesson, and the checks'."""
    return [name for name, _ in lessons()] + [CHECKS_DOMAIN]


def po_path(name: str) -> Path:
    """Where the catalogue ``name`` lives."""
    return CATALOGUES / f"{name}.po"


def read_catalogue(path: Path) -> Catalog:
    """A PO file as a Catalog."""
    with path.open("rb") as file:
        return read_po(file, locale=LANGUAGE)


def po_bytes(catalog: Catalog) -> bytes:
    """The PO file's bytes (fixed dates, no line numbers: stable when nothing changed)."""
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    catalog.last_translator = "attn-course authors"
    catalog.language_team = "Chinese (Simplified)"
    catalog.project, catalog.version = "attn-course", ""
    catalog.copyright_holder = "attn-course authors"
    catalog.msgid_bugs_address = ""
    catalog.fuzzy = False
    catalog.header_comment = HEADER_COMMENT.format(domain=catalog.domain)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    # The header names Babel's version: leave it out, so another release writes the same.
    return re.sub(rb'"Generated-By: [^"]*"\n', b"", buffer.getvalue())


HEADER_COMMENT = """\
# Chinese (Simplified) translation of attn-course: {domain}.
# Made with tools/i18n.py (make zh); the English is the source, edit it there."""


def updated(name: str) -> bytes:
    """The catalogue ``name`` brought up to the English text, as PO bytes."""
    path = po_path(name)
    catalog = read_catalogue(path) if path.exists() else Catalog(locale=LANGUAGE, domain=name)
    catalog.update(template(name), update_header_comment=False)
    return po_bytes(catalog)


def update() -> list[Path]:
    """Write every catalogue brought up to date; return the files that changed."""
    CATALOGUES.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in catalogue_names():
        path = po_path(name)
        with _locked(path):
            data = updated(name)
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
                changed.append(path)
    return changed


class _locked:
    """An exclusive lock on a catalogue while it is read and rewritten."""

    def __init__(self, path: Path):
        self.lock = path.with_suffix(".lock")

    def __enter__(self):
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.lock, "w")  # noqa: SIM115
        fcntl.flock(self.file, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()
        self.lock.unlink(missing_ok=True)


# --- what a translation must keep --------------------------------------------------------

FENCE = re.compile(r"```.*?```", re.S)
CODE = re.compile(r"``(?!`)(.+?)``|`([^`\n]+)`")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)
TEXT_IN_MATH = re.compile(r"\\(?:text|textrm|mathrm|operatorname)\{[^{}]*\}")
LINK = re.compile(r"\]\(([^)\s]+)\)|(?:href|src)=\"([^\"]+)\"")
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?)\}(?!\})")
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
NUMBER = re.compile(r"(?<![A-Za-z_\d.])\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")
HEADING = re.compile(r"^(#{1,6}) ", re.M)


def strip_code_and_maths(text: str) -> str:
    """``text`` without fenced code, code spans, maths and link targets."""
    for pattern in (FENCE, DISPLAY_MATH, INLINE_MATH, CODE, LINK, HTML_TAG):
        text = pattern.sub(" ", text)
    return text


def _maths(text: str) -> Counter:
    text = FENCE.sub(" ", text)
    text = CODE.sub(" ", text)
    found = [m.group(1) for m in DISPLAY_MATH.finditer(text)]
    text = DISPLAY_MATH.sub(" ", text)
    found += [m.group(1) for m in INLINE_MATH.finditer(text)]
    return Counter(re.sub(r"\s+", "", TEXT_IN_MATH.sub("", m)) for m in found)


def _numbers(text: str) -> Counter:
    return Counter(n.replace(",", "") for n in NUMBER.findall(strip_code_and_maths(text)))


def load_glossary() -> list[tuple[str, str]]:
    """(English term, Chinese term) of every glossary entry the tests check."""
    rows = GLOSSARY.read_text(encoding="utf-8").splitlines()[1:]
    terms = []
    for row in rows:
        english, chinese, checked, *_note = row.split("\t")
        if checked == "yes":
            terms.append((english, chinese))
    return terms


def term_pattern(english: str) -> re.Pattern:
    """The English term, singular or plural, as a whole word, any case."""
    words = re.escape(english).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]*")
    plural = r"(?:ies)?" if english.endswith("y") else r"(?:s|es)?"
    stem = words[:-1] + r"(?:y" + plural + ")" if english.endswith("y") else words + plural
    return re.compile(r"(?<![\w-])" + stem + r"(?![\w])", re.I)


def problems(english: str, chinese: str, glossary: list[tuple[str, str]]) -> list[str]:
    """What a translation breaks: every code span, formula, link, placeholder, HTML
    tag, heading and number of the English stays; the glossary's terms are used."""
    found = []
    if not chinese.strip():
        return ["empty translation"]
    pairs = [
        ("code blocks", lambda t: Counter(FENCE.findall(t))),
        ("code spans", lambda t: Counter(m.group(0) for m in CODE.finditer(FENCE.sub(" ", t)))),
        ("maths (outside \\text{})", _maths),
        ("links", lambda t: Counter(m.group(1) or m.group(2) for m in LINK.finditer(t))),
        ("{placeholders}", lambda t: Counter(PLACEHOLDER.findall(strip_code_and_maths(t)))),
        ("HTML tags", lambda t: Counter(HTML_TAG.findall(FENCE.sub(" ", t)))),
        ("headings", lambda t: HEADING.findall(FENCE.sub(" ", t))),
    ]
    for what, get in pairs:
        a, b = get(english), get(chinese)
        if a != b:
            found.append(f"{what} differ: English {_show(a)}, Chinese {_show(b)}")
    en_numbers, zh_numbers = _numbers(english), _numbers(chinese)
    missing = sorted(set(en_numbers) - set(zh_numbers))
    extra = sorted(n for n in set(zh_numbers) - set(en_numbers) if len(n) > 1)
    if missing:
        found.append(f"numbers of the English missing: {missing}")
    if extra:
        found.append(f"numbers not in the English: {extra}")
    prose, target = strip_code_and_maths(english), re.sub(r"\s+", "", chinese)
    if re.match(r"#+\s*References\b", english):
        glossary = []  # paper and book titles stay as published
    for term, zh in glossary:
        if term_pattern(term).search(prose) and zh.replace(" ", "") not in target:
            found.append(f"glossary: '{term}' is '{zh}'")
    return found


def _show(value) -> str:
    if isinstance(value, Counter):
        value = sorted(value.elements())
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "...]"


# --- worksheets ------------------------------------------------------------------------

SHEET_HELP = """\
# Worksheet of {po}
# For every entry, write the Chinese between its "@@ ZH n" and "@@ END n" lines.
# Keep the other lines as they are. Keep code (`...`, ``` blocks), maths ($...$),
# links, HTML tags, {{placeholders}}, headings (#) and every number of the English.
# An entry marked FUZZY had a translation of an earlier English text (shown as
# PREVIOUS EN and PREVIOUS ZH): bring it up to the new English.
# Then: python tools/i18n.py apply THIS_FILE
"""


def worksheet(po: Path, location: str | None) -> str:
    """The entries of ``po`` that need a translation, as a worksheet."""
    catalog = read_catalogue(po)
    parts = [SHEET_HELP.format(po=po.relative_to(ROOT).as_posix()), f"@@ FILE {po.name}\n"]
    number = 0
    for message in catalog:
        if not message.id or (message.string and not message.fuzzy):
            continue
        if location and not any(where == location for where, _ in message.locations):
            continue
        number += 1
        head = f"@@ MSG {number}"
        if message.context:
            head += f" context={message.context}"
        if message.fuzzy:
            head += " FUZZY"
        parts.append(head + "\n")
        if message.fuzzy and message.previous_id:
            previous = message.previous_id
            previous = previous[0] if isinstance(previous, (list, tuple)) else previous
            parts.append(f"@@ PREVIOUS EN {number}\n{previous}\n")
            parts.append(f"@@ PREVIOUS ZH {number}\n{message.string}\n")
        parts.append(f"@@ EN {number}\n{message.id}\n@@ ZH {number}\n")
        parts.append(message.string + "\n" if message.fuzzy and message.string else "\n")
        parts.append(f"@@ END {number}\n")
    return "".join(parts)


def read_worksheet(text: str) -> tuple[str, list[tuple[str | None, str, str]]]:
    """(PO file name, [(context, English, Chinese)]) of a filled worksheet."""
    name = re.search(r"^@@ FILE (\S+)$", text, re.M).group(1)
    entries = []
    pattern = re.compile(
        r"^@@ MSG (\d+)(?: context=(.*?))?(?: FUZZY)?\n"
        r"(?:@@ PREVIOUS EN \1\n.*?\n@@ PREVIOUS ZH \1\n.*?\n)?"
        r"@@ EN \1\n(.*?)\n@@ ZH \1\n(.*?)\n?@@ END \1$",
        re.S | re.M,
    )
    for match in pattern.finditer(text):
        _number, context, english, chinese = match.groups()
        entries.append((context or None, english, chinese.strip("\n")))
    return name, entries


def apply(sheet: Path) -> int:
    """Store the worksheet's accepted translations; print the refused ones."""
    name, entries = read_worksheet(sheet.read_text(encoding="utf-8"))
    po = CATALOGUES / name
    glossary = load_glossary()
    accepted = refused = 0
    with _locked(po):
        catalog = read_catalogue(po)
        for context, english, chinese in entries:
            message = catalog.get(english, context=context)
            if message is None:
                print(f"REFUSED (no such English message; run update?): {english[:70]!r}")
                refused += 1
                continue
            if not chinese.strip():
                continue
            found = problems(english, chinese, glossary)
            if found:
                refused += 1
                print(f"REFUSED {english[:70]!r}:\n  - " + "\n  - ".join(found))
                continue
            message.string = chinese
            message.flags.discard("fuzzy")
            message.previous_id = []
            accepted += 1
        po.write_bytes(po_bytes(catalog))
    print(f"{po.relative_to(ROOT)}: {accepted} accepted, {refused} refused")
    return 1 if refused else 0


def status() -> list[tuple[str, int, int, int, int]]:
    """(catalogue, messages, translated, fuzzy, untranslated) of every catalogue."""
    rows = []
    for name in catalogue_names():
        path = po_path(name)
        if not path.exists():
            rows.append((name, 0, 0, 0, 0))
            continue
        messages = [m for m in read_catalogue(path) if m.id]
        fuzzy = sum(bool(m.fuzzy) for m in messages)
        done = sum(bool(m.string) and not m.fuzzy for m in messages)
        rows.append((name, len(messages), done, fuzzy, len(messages) - done - fuzzy))
    return rows


# --- the Chinese notebooks ---------------------------------------------------------------


def translations(name: str) -> dict[tuple[str | None, str], str]:
    """(context, English) -> Chinese for the translated, non-fuzzy messages of ``name``."""
    path = po_path(name)
    if not path.exists():
        return {}
    return {
        (m.context, m.id): m.string
        for m in read_catalogue(path)
        if m.id and m.string and not m.fuzzy
    }


def zh_path(path: Path) -> Path:
    """Where the Chinese edition of an English notebook lives."""
    return ZH_NOTEBOOKS / path.relative_to(NOTEBOOKS)


def output_ignored(cell: dict) -> bool:
    """True if nbval does not compare this code cell's outputs."""
    lines = [line.strip() for line in "".join(cell["source"]).splitlines()]
    tags = cell["metadata"].get("tags", [])
    return any(m in lines for m in IGNORE_MARKERS) or any(t in tags for t in IGNORE_TAGS)


def calls_a_check(cell: dict) -> bool:
    """True if the cell runs an exercise check (its output is in the reader's language)."""
    return bool(CHECK_CALL.search("".join(cell["source"])))


def translated_notebook(path: Path, table: dict, missing: list[str]) -> dict:
    """The Chinese notebook of ``path``: text from ``table``, the English code and outputs."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    switched = False
    for cell in notebook["cells"]:
        cell = copy.deepcopy(cell)
        if cell["cell_type"] == "code" and not switched:
            cells.append(switch_cell())
            switched = True
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            if needs_translation(text):
                if (None, text) in table:
                    text = table[(None, text)]
                else:
                    missing.append(f"{path.name}: {text[:60]!r}")
            cell["source"] = text.splitlines(keepends=True)
        notes = cell["metadata"].get("notes")
        for field in NOTE_FIELDS:
            if notes and notes.get(field):
                key = (NOTES_CONTEXT, notes[field])
                if key in table:
                    notes[field] = table[key]
                else:
                    missing.append(f"{path.name} (notes): {notes[field][:60]!r}")
        cells.append(cell)
    notebook["cells"] = cells
    notebook["metadata"]["language"] = LANGUAGE
    notebook["metadata"]["translated_from"] = path.relative_to(NOTEBOOKS).as_posix()
    return notebook


def switch_cell() -> dict:
    """The one code cell a Chinese notebook adds: the checks speak Chinese."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "zh-language-switch",
        "metadata": {"slideshow": {"slide_type": "skip"}, "tags": [SWITCH_TAG]},
        "outputs": [],
        "source": SWITCH_SOURCE.splitlines(keepends=True),
    }


def english_cells(notebook: dict) -> list[dict]:
    """The code cells of a Chinese notebook that are the English notebook's."""
    return [
        c
        for c in notebook["cells"]
        if c["cell_type"] == "code" and SWITCH_TAG not in c["metadata"].get("tags", [])
    ]


def with_outputs(notebook: dict, source: dict | None) -> None:
    """Give the check cells of ``notebook`` the outputs of ``source`` (an executed or
    stored Chinese notebook); every other cell keeps the English outputs. Number the
    code cells' executions 1, 2, ... in order."""
    if source is not None:
        ours, theirs = english_cells(notebook), english_cells(source)
        same = len(ours) == len(theirs) and all(
            a["source"] == b["source"] for a, b in zip(ours, theirs, strict=True)
        )
        if same:
            for mine, executed in zip(ours, theirs, strict=True):
                if calls_a_check(mine) and not output_ignored(mine):
                    mine["outputs"] = executed["outputs"]
    count = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"] = count
            for output in cell["outputs"]:
                if "execution_count" in output:
                    output["execution_count"] = count


def notebook_bytes(notebook: dict) -> bytes:
    """A notebook as nbformat writes it (indent 1, sorted keys, final newline)."""
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def execute(notebook: dict, folder: Path) -> dict:
    """Run a notebook in ``folder`` with a fresh kernel of this Python; return it."""
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    NotebookClient(
        node, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return json.loads(nbformat.writes(node))


def build_notebooks(run: bool, write: bool) -> tuple[list[Path], list[str]]:
    """Make every Chinese notebook; return (files that differ from disk, missing text)."""
    missing: list[str] = []
    changed = []
    for name, paths in lessons():
        table = translations(name)
        for path in paths:
            target = zh_path(path)
            notebook = translated_notebook(path, table, missing)
            if run:
                target.parent.mkdir(parents=True, exist_ok=True)
                print(f"executing {target.relative_to(ROOT)}", file=sys.stderr)
                source = execute(notebook, target.parent)
            elif target.exists():
                source = json.loads(target.read_text(encoding="utf-8"))
            else:
                source = None
            with_outputs(notebook, source)
            data = notebook_bytes(notebook)
            if not target.exists() or target.read_bytes() != data:
                changed.append(target)
                if write:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
    return changed, missing


def mo_bytes() -> bytes:
    """The checks' catalogue compiled (translated, non-fuzzy messages only)."""
    buffer = io.BytesIO()
    path = po_path(CHECKS_DOMAIN)
    catalog = read_catalogue(path) if path.exists() else Catalog(locale=LANGUAGE)
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def build_mo(write: bool) -> list[Path]:
    """Compile the checks' catalogue into the package; return [the .mo] if it changed."""
    data = mo_bytes()
    if MO_FILE.exists() and MO_FILE.read_bytes() == data:
        return []
    if write:
        MO_FILE.parent.mkdir(parents=True, exist_ok=True)
        MO_FILE.write_bytes(data)
    return [MO_FILE]


def check() -> list[str]:
    """Why ``update`` and ``build`` would change a file (empty: nothing would change)."""
    reasons = []
    for name in catalogue_names():
        path = po_path(name)
        if not path.exists() or path.read_bytes() != updated(name):
            reasons.append(f"{path.relative_to(ROOT)} is behind the English (make zh)")
    for name, total, _done, fuzzy, untranslated in status():
        if fuzzy or untranslated:
            reasons.append(f"{name}: {fuzzy} fuzzy and {untranslated} untranslated of {total}")
    if build_mo(write=False):
        reasons.append(f"{MO_FILE.relative_to(ROOT)} is not the compiled catalogue (make zh)")
    changed, _missing = build_notebooks(run=False, write=False)
    reasons += [f"{path.relative_to(ROOT)} is not what make zh writes" for path in changed]
    return reasons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update")
    commands.add_parser("status")
    sheet = commands.add_parser("worksheet")
    sheet.add_argument("po", type=Path)
    sheet.add_argument("--location", help="only messages from this source file")
    sheet.add_argument("-o", "--output", type=Path, required=True)
    applying = commands.add_parser("apply")
    applying.add_argument("sheet", type=Path)
    building = commands.add_parser("build")
    building.add_argument("--execute", action="store_true", help="run the Chinese notebooks")
    building.add_argument("--mo-only", action="store_true", help="only compile the checks")
    building.add_argument(
        "--allow-missing", action="store_true", help="keep English where no translation is"
    )
    commands.add_parser("check")
    args = parser.parse_args()
    if args.command == "update":
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
    elif args.command == "status":
        print(f"{'catalogue':32} messages translated fuzzy untranslated")
        for row in status():
            print(f"{row[0]:32} {row[1]:8} {row[2]:10} {row[3]:5} {row[4]:12}")
    elif args.command == "worksheet":
        args.output.write_text(worksheet(args.po.resolve(), args.location), encoding="utf-8")
        print(f"wrote {args.output}")
    elif args.command == "apply":
        return apply(args.sheet)
    elif args.command == "build":
        build_mo(write=True)
        if args.mo_only:
            return 0
        if not args.allow_missing:
            _changed, missing = build_notebooks(run=False, write=False)
            if missing:
                print(f"{len(missing)} texts have no translation, e.g. {missing[:3]}")
                return 1
        changed, _missing = build_notebooks(run=args.execute, write=True)
        for path in changed:
            print(f"wrote {path.relative_to(ROOT)}")
    elif args.command == "check":
        reasons = check()
        for reason in reasons:
            print(reason)
        return 1 if reasons else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
