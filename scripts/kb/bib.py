"""Read references.bib into reference records, reporting every entry that cannot be trusted.

bibtexparser reads the file; its own middlewares then split author lists into persons and
names into parts, and decode LaTeX (`M{\\"u}ller`, `\\textit{in vivo}`, `1--10`) into the text a
reader should see. Identifier fields (doi, pmid, pmcid, url) are kept exactly as written, and
every entry's raw text stays as written for the BibTeX download.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import re
from dataclasses import dataclass, field

import bibtexparser
import pylatexenc.latex2text as l2t
import pylatexenc.latexwalker as lw
from bibtexparser import model as bm
from bibtexparser.middlewares import (LatexDecodingMiddleware, NameParts, SeparateCoAuthors,
                                      SplitNameParts)
from bibtexparser.middlewares.names import InvalidNameError

from .problems import Problem

KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]*")
IDENTIFIER_RULES = {  # field: (pattern, code)
    "doi": (re.compile(r"10\.\d{4,9}/[^\s\"<>{}]+"), "KB403"),
    "pmid": (re.compile(r"[1-9]\d{0,8}"), "KB404"),
    "pmcid": (re.compile(r"PMC[1-9]\d{0,9}"), "KB405"),
    "url": (re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s\"<>{}\\^`|]*)?"), "KB406"),
}
NAME_FIELDS = ("author", "editor", "translator")
# What LaTeX decoding can change: a string holding none of these is already plain text, so the
# decoder (the slow part of reading a large bibliography) is not run on it.
_LATEX = re.compile(r"[\\{}$%&~]|--|``|''|[!?]`")


@dataclass
class Reference:
    key: str
    entry_type: str
    fields: dict[str, str]  # decoded text; person lists as 'Last, First and Last, First'
    line: int
    raw: str = field(repr=False, default="")
    names: dict[str, list[NameParts]] = field(repr=False, default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def unresolved(self) -> bool:
        return "unresolved" in self.fields


def clean(value: str) -> str:
    """BibTeX field text without LaTeX decoding: braces dropped, whitespace folded."""
    return " ".join(value.replace("{", "").replace("}", "").split())


@functools.cache  # the same few thousand keys, asked for on every page that links them
def slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def _decoder() -> l2t.LatexNodes2Text:
    """bibtexparser's decoder (pylatexenc, \\url{x} read as x), made lenient where curators'
    notes are not LaTeX: a `%` (as in a URL's %2F) and an `&` stay as typed, and math such as
    `$\\alpha$` becomes text."""
    context = l2t.get_default_latex_context_db()
    context.add_context_category("kb-bibtex", prepend=True,
                                 macros=[l2t.MacroTextSpec("url", simplify_repl="%s")],
                                 specials=[l2t.SpecialsTextSpec("&", "&")])
    return l2t.LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="text",
                               keep_comments=True)


class _DecodeLatex(LatexDecodingMiddleware):
    """bibtexparser's LaTeX decoding, also of split names, leaving identifier fields as written
    and plain text alone."""

    def __init__(self):
        super().__init__(decoder=_decoder())
        self._parsing = lw.get_default_latex_context_db()  # made once, not once per string
        self._seen: dict[str, tuple[str, str]] = {}  # page ranges and names repeat

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if not _LATEX.search(python_string):
            return python_string, ""
        if python_string not in self._seen:
            try:
                done = self._decoder.latex_to_text(python_string, latex_context=self._parsing), ""
            except Exception as exc:  # pylatexenc on hostile input: reported, never raised
                done = python_string, " ".join(str(exc).split())
            self._seen[python_string] = done
        return self._seen[python_string]

    def transform_entry(self, entry: bm.Entry, library) -> bm.Block:
        errors: list[str] = []
        for f in entry.fields:
            if isinstance(f.value, list):  # persons split into NameParts by SplitNameParts
                for person in f.value:
                    for part in ("first", "von", "last", "jr"):
                        setattr(person, part, self._transform_all_strings(getattr(person, part), errors))
        every = entry.fields
        entry.fields = [f for f in every if f.key not in IDENTIFIER_RULES and not isinstance(f.value, list)]
        try:
            return super().transform_entry(entry, library)  # the other fields, in place
        finally:
            entry.fields = every


def _lowercase_keys(library) -> list[bm.Block]:
    """Field names in lower case (the name middlewares expect it); a field given twice in
    different case becomes a duplicate-field error, as an exact repeat already is."""
    blocks = []
    for block in library.blocks:
        if isinstance(block, bm.Entry):
            seen: dict[str, str] = {}
            for f in block.fields:
                if f.key.lower() in seen:
                    block = bm.DuplicateFieldKeyBlock({f.key.lower()}, block)
                    break
                seen[f.key.lower()] = f.key
            else:
                for f in block.fields:
                    f.key = f.key.lower()
        blocks.append(block)
    return blocks


def parse(text: str):
    """The bibliography as bibtexparser's library, names split and LaTeX decoded."""
    library = bibtexparser.parse_string(text)  # the default stack: @string resolved, enclosing removed
    library = bibtexparser.Library(_lowercase_keys(library))
    for middleware in (SeparateCoAuthors(), SplitNameParts(), _DecodeLatex()):
        library = middleware.transform(library)
    return library


def load_bib(path: str, text: str) -> tuple[dict[str, Reference] | None, list[Problem]]:
    """Every entry that can be trusted, by key, and the problems of the others; None instead of
    the entries when the file as a whole cannot be parsed."""
    problems: list[Problem] = []
    refs: dict[str, Reference] = {}
    quiet = logging.getLogger("bibtexparser")
    level, quiet.level = quiet.level, logging.CRITICAL  # its own report is replaced by ours below
    try:
        library = parse(text)
    except Exception as exc:  # a third-party parser on hostile input: report, never crash
        return None, [Problem(path, 1, 1, "KB401", f"the file cannot be parsed: {exc}")]
    finally:
        quiet.setLevel(level)
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        entry = block.ignore_error_block if isinstance(block, bm.ParsingFailedBlock) else block
        entry = entry if isinstance(entry, bm.Entry) else None
        if isinstance(block, bm.DuplicateBlockKeyBlock):
            first = refs.get(block.key)
            where = f" (first on line {first.line})" if first else ""
            problems.append(Problem(path, line, 1, "KB402", f"duplicate key '{block.key}'{where}"))
        elif isinstance(block, bm.DuplicateFieldKeyBlock) and entry:
            problems.append(Problem(path, line, 1, "KB401", f"entry '{entry.key}' gives the field "
                                    f"'{', '.join(sorted(block.duplicate_keys))}' twice"))
        elif isinstance(block, bm.MiddlewareErrorBlock) and isinstance(block.error, InvalidNameError) and entry:
            error = block.error
            named = next((f for f in entry.fields if f.key in NAME_FIELDS and error.name in f.value), None)
            at = (named.start_line or 0) + 1 if named else line
            problems.append(Problem(path, at, 1, "KB410", f"name '{clean(error.name)}' in entry '{entry.key}' "
                                    f"cannot be read: {error.reason.lower()}"))
            ref = _reference(path, entry, problems)  # still known, so that citing it is no error too
            if ref:
                refs[ref.key] = ref
        elif isinstance(block, bm.ParsingFailedBlock):
            reason = " ".join(str(getattr(block.error, "abort_reason", block.error)).split())
            problems.append(Problem(path, line, 1, "KB401", f"entry does not parse: {reason or 'syntax error'}"))
        elif entry:
            ref = _reference(path, entry, problems)
            if ref:
                refs[ref.key] = ref
    return refs, problems


def _person(parts: NameParts) -> str:
    return " ".join(parts.merge_last_name_first.split())


def _reference(path: str, entry: bm.Entry, problems: list[Problem]) -> Reference | None:
    line = (entry.start_line or 0) + 1
    if not KEY_RE.fullmatch(entry.key):
        problems.append(Problem(path, line, 1, "KB408", f"key '{entry.key}' has characters outside "
                                "letters, digits, '-', '_' and ':'"))
        return None
    fields: dict[str, str] = {}
    names: dict[str, list[NameParts]] = {}
    for f in entry.fields:
        if isinstance(f.value, list):  # a person list, split into name parts (or not: KB410)
            names[f.key] = [p for p in f.value if isinstance(p, NameParts)]
            value = " and ".join(_person(p) if isinstance(p, NameParts) else clean(p) for p in f.value)
        else:
            value = " ".join(str(f.value).split()) if f.key not in IDENTIFIER_RULES else clean(str(f.value))
        fields[f.key] = value
        rule = IDENTIFIER_RULES.get(f.key)
        if rule and not rule[0].fullmatch(value):
            problems.append(Problem(path, (f.start_line or 0) + 1, 1, rule[1],
                                    f"{f.key} '{value}' of entry '{entry.key}' is malformed"))
    if not fields.get("title"):
        problems.append(Problem(path, line, 1, "KB407", f"entry '{entry.key}' has no title"))
    if not fields.get("year") and "unresolved" not in fields:
        problems.append(Problem(path, line, 1, "KB407", f"entry '{entry.key}' has no year "
                                "and no `unresolved` field"))
    return Reference(entry.key, entry.entry_type.lower(), fields, line, entry.raw or "", names)


def to_data(refs: dict[str, Reference], problems: list[Problem]) -> tuple:
    """What load_bib found, as plain data for the build cache (kb.cache)."""
    return ([(r.key, r.entry_type, r.fields, r.line, r.raw,
              {f: [(p.first, p.von, p.last, p.jr) for p in people] for f, people in r.names.items()})
             for r in refs.values()],
            [dataclasses.astuple(p) for p in problems])


def from_data(value: object) -> tuple[dict[str, Reference], list[Problem]] | None:
    """What to_data kept, as load_bib found it; None for anything else (a miss)."""
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], list) and isinstance(value[1], list)):
        return None
    try:
        refs = {key: Reference(key, entry_type, fields, line, raw,
                               {f: [NameParts(*parts) for parts in people] for f, people in names.items()})
                for key, entry_type, fields, line, raw, names in value[0]}
        return refs, [Problem(*p) for p in value[1]]
    except (TypeError, ValueError, AttributeError):
        return None
