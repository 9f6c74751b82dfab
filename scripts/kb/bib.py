"""Read references.bib into reference records, reporting every entry that cannot be trusted."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser import model as bm

from .problems import Problem

KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]*")
IDENTIFIER_RULES = {  # field: (pattern, code)
    "doi": (re.compile(r"10\.\d{4,9}/[^\s\"<>{}]+"), "KB403"),
    "pmid": (re.compile(r"[1-9]\d{0,8}"), "KB404"),
    "pmcid": (re.compile(r"PMC[1-9]\d{0,9}"), "KB405"),
    "url": (re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s\"<>{}\\^`|]*)?"), "KB406"),
}


@dataclass
class Reference:
    key: str
    entry_type: str
    fields: dict[str, str]
    line: int
    raw: str = field(repr=False, default="")

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def unresolved(self) -> bool:
        return "unresolved" in self.fields


def clean(value: str) -> str:
    """BibTeX field text as a reader should see it: braces dropped, whitespace folded."""
    return " ".join(value.replace("{", "").replace("}", "").split())


def slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def load_bib(path: str, text: str) -> tuple[dict[str, Reference], list[Problem]]:
    problems: list[Problem] = []
    refs: dict[str, Reference] = {}
    quiet = logging.getLogger("bibtexparser")
    level, quiet.level = quiet.level, logging.CRITICAL  # its own report is replaced by ours below
    try:
        library = bibtexparser.parse_string(text)
    except Exception as exc:  # a third-party parser on hostile input: report, never crash
        return {}, [Problem(path, 1, 1, "KB401", f"the file cannot be parsed: {exc}")]
    finally:
        quiet.setLevel(level)
    for block in library.blocks:
        line = block.start_line + 1
        if isinstance(block, bm.DuplicateBlockKeyBlock):
            first = refs.get(block.key)
            where = f" (first on line {first.line})" if first else ""
            problems.append(Problem(path, line, 1, "KB402", f"duplicate key '{block.key}'{where}"))
        elif isinstance(block, bm.ParsingFailedBlock):
            reason = " ".join(str(getattr(block.error, "abort_reason", block.error)).split())
            problems.append(Problem(path, line, 1, "KB401", f"entry does not parse: {reason or 'syntax error'}"))
        elif isinstance(block, bm.Entry):
            ref = _reference(path, block, problems)
            if ref:
                refs[ref.key] = ref
    return refs, problems


def _reference(path: str, entry: bm.Entry, problems: list[Problem]) -> Reference | None:
    line = entry.start_line + 1
    if not KEY_RE.fullmatch(entry.key):
        problems.append(Problem(path, line, 1, "KB408", f"key '{entry.key}' has characters outside "
                                "letters, digits, '-', '_' and ':'"))
        return None
    fields = {}
    for f in entry.fields:
        name = f.key.lower()
        value = clean(str(f.value))
        fields[name] = value
        rule = IDENTIFIER_RULES.get(name)
        if rule and not rule[0].fullmatch(value):
            problems.append(Problem(path, f.start_line + 1, 1, rule[1],
                                    f"{name} '{value}' of entry '{entry.key}' is malformed"))
    if not fields.get("title"):
        problems.append(Problem(path, line, 1, "KB407", f"entry '{entry.key}' has no title"))
    if not fields.get("year") and "unresolved" not in fields:
        problems.append(Problem(path, line, 1, "KB407", f"entry '{entry.key}' has no year "
                                "and no `unresolved` field"))
    return Reference(entry.key, entry.entry_type.lower(), fields, line, entry.raw)
