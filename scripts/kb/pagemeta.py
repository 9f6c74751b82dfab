"""What each generated page carries besides its body, added once every page is rendered:

- front matter: its own meta description (made from the page's data), the date its data last
  changed (from git, see history.py) and how many references it cites;
- beside a page that cites references, the page's references as a BibTeX file and a CSL-JSON file
  (`sarcosine.md` -> `sarcosine.bib`, `sarcosine.csl.json`), which the theme's page template
  (overrides/main.html) offers for download under "Cite this page".

A page's references are exactly those it links to (and, on a reference's own page, that
reference): the links are read from the rendered page, so the downloads cannot list a reference
the page does not show, or miss one it does. Pure: nothing here touches the disk.
"""
from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from . import cite, schema
from .bib import slug
from .model import KB
from .render import GENERATED_DIRS, REF_DIR, SECTIONS, Page, ref_label
from .validate import file_kind
from .yamlload import Doc

# A link to a reference's page, in Markdown or HTML. Curators' text never holds one: its "/" is
# written as a character reference (kb.text), so every match is a link the templates made.
_REF_LINK = re.compile(rf"{REF_DIR}/([a-z0-9-]+)\.html\b")
_REF_LINK_HERE = re.compile(rf'(?:{REF_DIR}/|href=")([a-z0-9-]+)\.html\b')  # on a page in references/ too
_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 finding', '3 findings', '1 study', '2 studies'."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def number_word(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def finish(pages: dict[str, Page | str], kb: KB, bib_text: str, dates: dict[str, str]) -> dict[str, Page | str]:
    """The rendered pages with their metadata, plus each citing page's two downloads."""
    finisher = Finisher(kb, cite.bibtex_entries(bib_text), dates)
    out: dict[str, Page | str] = {}
    for rel, page in pages.items():
        if isinstance(page, Page):
            out.update(finisher.finish(rel, page))
        out[rel] = page
    return out


def _as_is(name: str, container: Any) -> Any:
    return container


class Finisher:
    """What a page carries besides its body, one page at a time (independent of the others)."""

    def __init__(self, kb: KB, bib_entries: dict[str, str], dates: dict[str, str],
                 watch: Callable[[str, Any], Any] = _as_is):
        """`bib_entries`: each entry of references.bib as BibTeX (cite.bibtex_entries). `watch(name,
        container)`: how the build watches what a page reads (kb.deps.Book.watch); the containers
        made here are read by each page."""
        self.kb = kb
        self.by_slug = watch("ref-slugs", {slug(k): k for k in kb.refs})
        self.downloads = cite.Downloads(kb.refs, bib_entries, watch)
        self.what = _what_pages_show(kb)
        self.data_files = _DataFiles(kb, dates)

    def finish(self, rel: str, page: Page) -> dict[str, str]:
        """Set the page's metadata; return its downloads (path -> text), if it cites references."""
        keys = page_references(rel, page.html, self.by_slug)
        meta: dict = {"description": html.escape(describe(rel, self.kb, self.what.get(rel)), quote=True)}
        updated = self.data_files.date_of(self.what.get(rel))
        if updated:
            meta["kb_updated"] = updated
        extra: dict[str, str] = {}
        if keys and rel.split("/", 1)[0] in GENERATED_DIRS:
            meta["kb_references"] = len(keys)
            stem = rel[: -len(".md")]
            extra[f"{stem}.bib"] = self.downloads.bibtex(keys)
            extra[f"{stem}.csl.json"] = self.downloads.csl_json(keys)
        page.meta = {**meta, **page.meta}
        return extra


def page_references(rel: str, text: str, by_slug: dict[str, str]) -> list[str]:
    """The bib keys a page cites, in order of first appearance; a reference's page cites itself first."""
    keys: dict[str, None] = {}
    folder, _, name = rel.rpartition("/")
    if folder == REF_DIR and name[:-3] in by_slug:
        keys[by_slug[name[:-3]]] = None
    for s in (_REF_LINK_HERE if folder == REF_DIR else _REF_LINK).findall(text):
        if s in by_slug:
            keys[by_slug[s]] = None
    return list(keys)


def as_text(page: Page) -> str:
    """A generated page as a file in docs/: its metadata as front matter (JSON values, which YAML
    reads as the same values), then its HTML. A copy to read: the site is built from memory."""
    lines = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in page.meta.items())
    return "---\n" + lines + "---\n" + page.content() + "\n"


def _what_pages_show(kb: KB) -> dict[str, tuple]:
    """Page path -> ("entity", kind, id) or ("reference", key), as render.py names the pages
    (names only: a page looks its subject up as it is finished, kb.deps)."""
    what: dict[str, tuple] = {}
    for kind, (directory, _) in SECTIONS.items():
        for e in kb.entities[kind].values():
            what[f"{directory}/{e.slug}.md"] = ("entity", kind, e.id)
    for key in kb.refs:
        what[f"{REF_DIR}/{slug(key)}.md"] = ("reference", key)
    return what


def _types(claims) -> str:
    counts = Counter(c.evidence_type for c in claims)
    return ", ".join(f"{schema.EVIDENCE_TYPES[t][0].lower()} {counts[t]}" for t in schema.EVIDENCE_ORDER if counts[t])


def describe(rel: str, kb: KB, shows: tuple | None = None) -> str:
    """One or two sentences saying what this page holds, made from its data (`shows`: what the
    page is about, see _what_pages_show)."""
    if shows and shows[0] == "reference":
        return _describe_reference(kb, shows[1])
    if shows and shows[0] == "entity":
        return _describe_entity(kb, shows[1], kb.entities[shows[1]][shows[2]])
    folder, _, name = rel.rpartition("/")
    stem = name[: -len(".md")]
    kinds = {d: k for k, (d, _) in SECTIONS.items()}
    if rel == "index.md":
        n_claims, n_studies = len(kb.tallies), len(kb.entities["studies"])
        compounds = sorted(e.name for e in kb.entities["compounds"].values())
        named = ", ".join(compounds[:-1]) + " and " + compounds[-1] if len(compounds) > 1 else "".join(compounds)
        return (f"Hand-curated findings about {named}: "
                f"{count(n_claims, 'finding')} from {count(n_studies, 'study', 'studies')}, each with the "
                f"type of study behind it, its citation and a verdict on how the source article "
                f"reported it." if compounds else
                "Hand-curated findings, each with its evidence type and citation.")
    if rel == "evidence-types.md":
        return ("What each evidence type (" + ", ".join(schema.EVIDENCE_ORDER) + ") can and cannot "
                "show, what the verdicts on the source articles mean, and how sure each "
                "identification of a cited study is.")
    if rel == "evidence-map.md":
        pairs = {(a, b) for c in kb.tallies for a in c.compounds for b in c.conditions}
        return (f"Which compounds have findings about which conditions: {count(len(pairs), 'pair')} "
                "of a compound and a condition, each with its findings by evidence type and the "
                "number of studies behind them.")
    if rel == "data/index.md":
        return ("The knowledge base as open data: findings, studies and background notes as JSON "
                "and CSV, a JSON Schema and the bibliography; every field described, the changelog "
                "of data releases and the licence.")
    if rel == f"{REF_DIR}/index.md":
        return (f"All {len(kb.refs)} references cited in the knowledge base, with the number of "
                "findings citing each, and the whole bibliography as BibTeX.")
    kind = kinds.get(folder)
    if kind is None or stem != "index":
        return ""
    if kind == "sources":
        return (f"The {number_word(len(kb.entities['sources']))} articles this knowledge base was "
                "curated from, with our assessment of each.")
    return (f"Every {schema.ENTITY_FILES[kind]} in the knowledge base "
            f"({len(kb.entities[kind])}), with the number of findings about it by evidence type.")


def _describe_entity(kb: KB, kind: str, e) -> str:
    claims, notes = kb.claims_of(kind, e.id), kb.background_of(kind, e.id)
    if kind == "sources":
        what = e.data.get("kind", "article").split(" (")[0].lower()
        return (f"{e.name}: our assessment of this {what}, and the {count(len(claims), 'finding')} "
                f"traced from it to {count(len(kb.studies_of(claims)), 'study', 'studies')}, with "
                f"{count(len(notes), 'background note')}.")
    if not claims:
        said = f"; {count(len(notes), 'background note')} (not evidence)" if notes else ""
        return f"{e.name}: no finding yet, as no study in this knowledge base bears on it{said}."
    said = f", and {count(len(notes), 'background note')} (not evidence)" if notes else ""
    return (f"{e.name}: {count(len(claims), 'finding')} from "
            f"{count(len(kb.studies_of(claims)), 'study', 'studies')} ({_types(claims)}){said}, each "
            "with its citation and how the source article reported it.")


def _describe_reference(kb: KB, key: str) -> str:
    ref = kb.refs[key]
    text = f"{ref_label(ref)}: {ref.get('title')}".rstrip(".") + "."
    if ref.unresolved:
        text += " A study an article cites that could not be identified."
    study = kb.study(key)
    if study is not None:
        detail = [" and ".join(study.types)]
        if study.data.get("n") is not None:
            detail.append(f"n = {study.data['n']}")
        if study.data.get("duration"):
            detail.append(str(study.data["duration"]))
        text += f" Study record: {', '.join(detail)}."
    n = len(kb.by_citation.get(key, []))
    return text + f" Cited by {count(n, 'finding')}."


class _DataFiles:
    """Which data files each page is made from, and so the date its data last changed: the
    newest of those files' dates. A page is made from its entity kind's file(s), the claim files
    of the findings and background notes it shows, the study records and references.bib."""

    def __init__(self, kb: KB, dates: dict[str, str]):
        self.kb, self.dates = kb, dates
        self.by_kind: dict[str, list[str]] = {}
        self.bib: list[str] = []
        for path in dates:
            if path.endswith((".yaml", ".yml")):
                self.by_kind.setdefault(file_kind(Doc(path)) or "", []).append(path)
            else:
                self.bib.append(path)
        self.everything = list(dates)

    def newest(self, files) -> str:
        return max((self.dates[f] for f in files if f in self.dates), default="")

    def date_of(self, shows: tuple | None) -> str:
        """The date of a page's data (`shows`: what the page is about; None for an index)."""
        if not self.dates:  # (a read of all the dates, kb.deps: the files below are picked from all of them)
            return ""
        kb = self.kb
        if shows and shows[0] == "entity":
            _, kind, ident = shows
            shown = kb.claims_of(kind, ident) + kb.background_of(kind, ident)
            files = {s.file for s in shown} | set(self.by_kind.get(kind, []))
            if kind == "sources" or any(s.citations for s in shown):
                files |= set(self.bib) | set(self.by_kind.get("studies", []))
            return self.newest(files)
        if shows and shows[0] == "reference":
            key = shows[1]
            shown = kb.by_citation.get(key, []) + kb.background_by_citation.get(key, [])
            files = {s.file for s in shown} | set(self.bib) | set(self.by_kind.get("studies", []))
            if kb.notes_of.get(key) or key in kb.entities["sources"]:
                files |= set(self.by_kind.get("sources", []))
            return self.newest(files)
        return self.newest(self.everything)  # an index, the home page, the map: all the data
