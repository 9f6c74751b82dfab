"""Citations a researcher can reuse: a reference as citation text, as BibTeX, and as CSL-JSON.

- `citation(ref)`: the reference as one line of citation text, in the style of the NLM/Vancouver
  citations PubMed shows (authors, title, journal, year;volume(issue):pages, then identifiers).
  A field that is missing leaves no trace (no ". ." and no "1998(2):"), and a page range reads
  with an en dash.
- `Downloads`: a page's references as a BibTeX file, written by bibtexparser (so that a
  download stands alone, @string macros resolved, and parses wherever BibTeX does), and as a
  CSL-JSON file.
- `csl(ref)`: the reference as a CSL-JSON item (the format of Zotero, Mendeley, citeproc and
  pandoc). The mapping is written here, not taken from a converter: on PyPI, citeproc-py drops
  the URL and PMCID, reads @misc as a journal article and warns on every curation field; pandoc
  (pypandoc-binary, a 155 MB download) writes `"type": ""` for a @misc entry without a
  howpublished field, which CSL-JSON does not allow, and lower-cases words it takes for title
  case ("D-serine" becomes "d-serine"). The mapping below covers the entry types and fields
  this project's references.bib uses, following the BibTeX-to-CSL mapping of citeproc-js and
  Zotero.

Nothing here reads or writes a file; every function is pure.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import bibtexparser
from bibtexparser.middlewares.names import NameParts
from markupsafe import Markup

from .bib import Reference
from .text import inert

MAX_AUTHORS = 6  # NLM lists six authors, then "et al."
NO_DATE = "n.d."
_RANGE = re.compile(r"(?<=[0-9A-Za-z])\s*(?:-{1,3}|‐|‑|‒|—|−)\s*(?=[0-9A-Za-z])")

# BibTeX entry type -> CSL type (CSL 1.0.2); @misc is a web page when it has an address.
CSL_TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet", "inbook": "chapter",
    "incollection": "chapter", "inproceedings": "paper-conference", "conference": "paper-conference",
    "manual": "report", "mastersthesis": "thesis", "phdthesis": "thesis", "thesis": "thesis",
    "proceedings": "book", "techreport": "report", "report": "report", "unpublished": "manuscript",
    "online": "webpage", "electronic": "webpage", "www": "webpage",
}
CSL_TEXT_FIELDS = {  # BibTeX field -> CSL variable, copied as decoded text
    "title": "title", "shorttitle": "title-short", "journal": "container-title",
    "booktitle": "container-title", "publisher": "publisher", "address": "publisher-place",
    "edition": "edition", "volume": "volume", "number": "issue", "howpublished": "genre",
    "isbn": "ISBN", "issn": "ISSN", "doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "url": "URL",
    "abstract": "abstract",
}
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def page_range(pages: str) -> str:
    """'451--460' or '451-460' as '451–460' (an en dash between the first and last page)."""
    return _RANGE.sub("–", pages.strip())


def year_of(ref: Reference) -> str:
    """The year as written, or n.d. for an undated work; nothing for an unidentified study."""
    year = ref.get("year")
    if year and year.lower().rstrip(".") != "n.d":
        return year
    return "" if ref.unresolved else NO_DATE


def _initials(given: list[str]) -> str:
    """NLM initials: 'Hsien-Yuan' -> 'HY', 'Guochuan E.' -> 'GE', 'W. Scott' -> 'WS'."""
    return "".join(p[0] for word in given for p in re.split(r"[\s.\-‐]+", word) if p and p[0].isalpha())


def _corporate(person: NameParts) -> bool:
    """A body such as 'BenchChem Technical Support Team', written in braces: no given name and a
    family name of several words."""
    return not person.first and not person.von and len(" ".join(person.last).split()) > 1


def _is_others(person: NameParts) -> bool:
    return not person.first and [p.lower() for p in person.last] == ["others"]


def nlm_authors(ref: Reference, field: str = "author") -> str:
    """'Lane HY, Lin CH, Huang YJ, Liao CH, Chang YC, Tsai GE', six at most, then 'et al.'."""
    people = ref.names.get(field, [])
    others = any(_is_others(p) for p in people)
    people = [p for p in people if not _is_others(p)]
    names = []
    for p in people[:MAX_AUTHORS]:
        family = " ".join(p.von + p.last)
        name = family if _corporate(p) else " ".join(x for x in (family, _initials(p.first)) if x)
        names.append(" ".join([name, *p.jr]))
    if not names and ref.get(field):  # a list the name parser did not split: as written
        return ref.get(field)
    if others or len(people) > MAX_AUTHORS:
        names.append("et al.")
    return ", ".join(names)


def citation_text(ref: Reference) -> list[tuple[str, bool]]:
    """The citation's segments as plain text, each closed by a full stop, with whether it is the
    journal's name (shown in italics)."""
    segments: list[tuple[str, bool]] = []
    authors = nlm_authors(ref)
    if authors:
        segments.append((authors, False))
    segments.append((ref.get("title"), False))
    container = ref.get("journal") or ref.get("booktitle")
    if container:
        segments.append((container, True))
    else:
        where = [ref.get(f) for f in ("howpublished", "publisher") if ref.get(f) and ref.get(f) != authors]
        if where:
            segments.append((", ".join(where), False))
    when = year_of(ref)
    if ref.get("month") and when and when != NO_DATE and not container:
        when = f"{when} {ref.get('month')[:3].capitalize()}"
    locator = ref.get("volume") + (f"({ref.get('number')})" if ref.get("number") else "")
    if ref.get("pages"):
        locator += (":" if locator or when else "") + page_range(ref.get("pages"))
    if when and locator:
        segments.append((f"{when};{locator}" if not locator.startswith(":") else when + locator, False))
    elif when or locator:
        segments.append((when or locator, False))
    if ref.get("doi"):
        segments.append((f"doi:{ref.get('doi')}", False))
    if ref.get("pmid"):
        segments.append((f"PMID: {ref.get('pmid')}", False))
    if ref.get("pmcid"):
        segments.append((f"PMCID: {ref.get('pmcid')}", False))
    if ref.get("url") and not ref.get("doi"):
        segments.append((f"Available from: {ref.get('url')}", False))
    return [(_closed(t.strip()), em) for t, em in segments if t.strip()]


def _closed(text: str) -> str:
    """A segment ends with a full stop, unless it already ends a sentence or is a web address
    (where a full stop would read as part of it)."""
    return text if text.endswith((".", "?", "!")) or text.startswith("Available from: ") else text + "."


def citation(ref: Reference) -> Markup:
    """The reference as citation text (HTML, every part inert): NLM style, as PubMed shows it."""
    return Markup(" ").join(Markup("<em>{}</em>.").format(inert(t[:-1])) if em and t.endswith(".") else
                            Markup("<em>{}</em>").format(inert(t)) if em else inert(t)
                            for t, em in citation_text(ref))


def _csl_name(person: NameParts) -> dict:
    if _corporate(person):
        return {"literal": " ".join(person.last)}
    name = {"family": " ".join(person.last)}
    if person.first:
        name["given"] = " ".join(person.first)
    if person.von:
        name["non-dropping-particle"] = " ".join(person.von)
    if person.jr:
        name["suffix"] = " ".join(person.jr)
    return name


def csl(ref: Reference) -> dict:
    """The reference as a CSL-JSON item: `id` and `type` always, the rest where the entry has it."""
    kind = CSL_TYPES.get(ref.entry_type) or ("webpage" if ref.get("url") else "document")
    item: dict = {"id": ref.key, "type": kind}
    for field, variable in CSL_TEXT_FIELDS.items():
        if ref.get(field) and variable not in item:
            item[variable] = ref.get(field)
    if ref.get("pages"):
        item["page"] = page_range(ref.get("pages")).replace("–", "-")
    for field, variable in (("author", "author"), ("editor", "editor")):
        people = [p for p in ref.names.get(field, []) if not _is_others(p)]
        if people:
            item[variable] = [_csl_name(p) for p in people]
    year = ref.get("year")
    if year.isdigit():
        parts = [int(year)]
        month = MONTHS.get(ref.get("month")[:3].lower()) if ref.get("month") else None
        if month:
            parts.append(month)
        item["issued"] = {"date-parts": [parts]}
    notes = [ref.get("note")] if ref.get("note") else []
    if ref.unresolved:
        notes.append("This study could not be identified: " + ref.get("unresolved"))
    if notes:
        item["note"] = " ".join(notes)
    return item


def bibtex_entries(bib_text: str) -> dict[str, str]:
    """Each entry of references.bib as bibtexparser writes it alone (key -> text): read with
    bibtexparser's default stack, so that an @string macro is resolved and an entry stands alone."""
    form = _bibtex_format()
    return {key: bibtexparser.write_string(bibtexparser.Library([entry]), bibtex_format=form)
            for key, entry in bibtexparser.parse_string(bib_text).entries_dict.items()}


def _bibtex_format() -> bibtexparser.BibtexFormat:
    form = bibtexparser.BibtexFormat()
    form.indent = "  "
    return form


class Downloads:
    """A page's references as a BibTeX file and a CSL-JSON file, each entry made once per build.

    BibTeX: `entries` holds each entry as bibtexparser writes it (`bibtex_entries`); a file of
    several entries is exactly what bibtexparser writes for them together (its entries joined by
    its block separator). CSL-JSON: one item per line."""

    def __init__(self, refs: dict[str, Reference], entries: dict[str, str],
                 watch: Callable[[str, Any], Any] = lambda name, container: container):
        self.refs = refs
        self.entries = watch("bib-entries", entries)  # kb.deps: a page notes the entries it reads
        self.separator = _bibtex_format().block_separator
        self._csl: dict[str, str] = {}

    def bibtex(self, keys: list[str]) -> str:
        found = (self.entries.get(k) for k in keys)  # looked up on every call, so that the page's reads are noted
        return self.separator.join(text for text in found if text is not None)

    def csl_json(self, keys: list[str]) -> str:
        for k in keys:
            ref = self.refs[k]
            if k not in self._csl:
                self._csl[k] = json.dumps(csl(ref), ensure_ascii=False, sort_keys=True)
        return "[\n" + ",\n".join(self._csl[k] for k in keys) + "\n]\n"
