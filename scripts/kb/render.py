"""Turn the model into the generated files: pages for MkDocs and the open-data exports.

A page is HTML from the start (the templates hold its shape): MkDocs is handed each page's
content, headings and metadata as they are (kb.plugin), so no generated page goes through
Python-Markdown. The HTML is what Python-Markdown made of the Markdown pages before (golden
tests hold it to that): headings with their ids and permalinks, tables, lists and admonitions.

Returns a mapping of path (relative to docs/) to a Page or, for a data file, its text; nothing
here touches the disk.
"""
from __future__ import annotations

import csv
import functools
from functools import partial
import html
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import material
from markdown.extensions.toc import slugify
from markupsafe import Markup, escape

from . import cache, cite, deps, schema
from .bib import Reference, slug
from .model import KB, Claim, Entity, Tally
from .text import inert, inert_block
from .validate import STRUCTURE_RE

SECTIONS = {  # entity kind -> (directory, section title)
    "compounds": ("compounds", "Compounds"),
    "mechanisms": ("mechanisms", "Mechanisms"),
    "conditions": ("conditions", "Conditions"),
    "methods": ("methods", "Methods"),
    "sources": ("sources", "Source articles"),
}
REF_DIR = "references"
SEARCH_BOOST = {"compounds": 4, "mechanisms": 2, "conditions": 2}  # entity pages the search ranks first
GENERATED_DIRS = [d for d, _ in SECTIONS.values()] + [REF_DIR, "data"]
GENERATED_FILES = ["index.md", "evidence-types.md", "evidence-map.md"]

# A heading the templates made (the `h` macro): its level, id and inner HTML, then its permalink.
HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)'
                     r'<a class="headerlink" href="#\2" title="Permanent link">&para;</a></h\1>')
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n")  # the templates' blank lines: none is inside a <pre> or a text


@dataclass
class Page:
    """A generated page as MkDocs will show it: its content HTML, its headings (level, id and
    title, in order: the table of contents) and its metadata (what front matter held before)."""
    html: str
    headings: list[tuple[int, str, str]]
    meta: dict = field(default_factory=dict)
    search: list[dict] | None = None  # its search entries (kb.searchentries), once the page is finished
    anchors: frozenset[str] = frozenset()  # its ids, and its links within the site (kb.links), once finished
    links: tuple[str, ...] = ()
    # where its HTML is, when a build left it in the build cache instead of in `html` (kb.build):
    # then `html` is KEPT_ELSEWHERE, `content()` reads the HTML, and `kept` is the hash of what is
    # kept there (the HTML and the page's downloads: the same hash, the same HTML)
    load: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    kept: str = field(default="", compare=False, repr=False)
    # and the hash of the data kept beside it (headings, metadata, search entries...): the HTML's
    # hash and this name the whole page
    kept_with: str = field(default="", compare=False, repr=False)

    def content(self) -> str:
        """The page's HTML."""
        return self.html if self.load is None else self.load()

    @property
    def title(self) -> str:
        """The first level-1 heading's text, as MkDocs takes a page's title from it."""
        return next((name for level, _, name in self.headings if level == 1), "")


class Download:
    """A page's citation download (its references as BibTeX or CSL-JSON, kb.cite): a file only
    its generated page links to, so the site writes it without MkDocs knowing it as a file
    (kb.plugin: a hand-written page may not link to one). One read back from the build cache is
    read from there only when its text is asked for (`load`), and `made_of` names it there (the
    hash of what the cache keeps beside the page's data, which holds it, and its path): the same
    name, the same text, known without reading or hashing the text. (Not a str subclass: making
    one copies the text, 150 MB at 50,000 claims.)"""

    __slots__ = ("_text", "load", "made_of")

    def __init__(self, text: str | None = None, made_of: str = "", load: Callable[[], str] | None = None) -> None:
        if text is None and load is None:
            raise ValueError("a download needs its text or a way to read it")
        self._text, self.made_of, self.load = text, made_of, load

    @property
    def text(self) -> str:
        if self._text is None:
            assert self.load is not None
            return self.load()
        return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Download) and self.text == other.text

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Download(made_of={self.made_of!r})"


# a stored page's `html`: shows, wherever it is used by mistake, that `Page.content()` was meant
KEPT_ELSEWHERE = "<p>kb: this page's HTML was left in the build cache; Page.content() reads it</p>"


def heading_text(inner: str) -> str:
    """A heading's text without its markup, as its table-of-contents entry shows it."""
    return " ".join(_TAG.sub("", inner).split())


def page_of(text: str, meta: dict | None = None) -> Page:
    """A rendered page with its headings read off the HTML the templates made (only they write
    headings: curators' text is inert, so it holds no `<`)."""
    text = _BLANK_LINES.sub("\n", text).strip("\n")
    return Page(text, [(int(level), anchor, heading_text(inner)) for level, anchor, inner in HEADING.findall(text)],
                meta or {})


def anchor(inner: str) -> str:
    """The id Python-Markdown's toc extension gives a heading without one: its text, slugified."""
    return slugify(html.unescape(heading_text(str(inner))), "-")

IDENTIFIER_LINKS = {
    "pubchem_cid": ("PubChem CID", "https://pubchem.ncbi.nlm.nih.gov/compound/{}"),
    "cas": ("CAS", "https://commonchemistry.cas.org/detail?cas_rn={}"),
    "chebi": ("ChEBI", "https://www.ebi.ac.uk/chebi/searchId.do?chebiId={}"),
}
REF_LINKS = {
    "doi": ("DOI", "https://doi.org/{}"),
    "pmid": ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/{}/"),
    "pmcid": ("PMC", "https://pmc.ncbi.nlm.nih.gov/articles/{}/"),
}


@functools.cache
def icon_svg(icon: str) -> str:
    """The theme's own SVG of an icon such as 'material/flask', inlined as the theme would."""
    path = Path(material.__file__).parent / "templates" / ".icons" / f"{icon}.svg"
    return path.read_text(encoding="utf-8").strip()


def outbound(template: str, value: str) -> str:
    return template.format(quote(value, safe="/:"))


def identifier_links(ids: dict) -> list[tuple[str, str, Markup]]:
    """A compound's identifiers as (name, value, address of its record)."""
    return [(name, ids[f], Markup(outbound(tpl, ids[f]))) for f, (name, tpl) in IDENTIFIER_LINKS.items() if ids.get(f)]


def safe_url(url: str) -> str:
    """A validated http(s) URL with every character Markdown could read as syntax percent-encoded."""
    return quote(url, safe=":/?#=&%~.-,;@!$+")


def ref_label(ref: Reference) -> str:
    """A short label such as 'Furuya et al. 2000', or what an unresolved entry is."""
    if ref.unresolved and not ref.get("author"):
        return ref.get("shorttitle") or f"Unresolved ({ref.key})"
    authors = [a.strip() for a in ref.get("author").split(" and ") if a.strip()]
    others = bool(authors) and authors[-1].lower() == "others"
    authors = authors[:-1] if others else authors
    if authors:
        first = authors[0].split(",")[0].strip()
        if len(authors) == 2 and not others:
            first += " & " + authors[1].split(",")[0].strip()
        elif len(authors) > 1 or others:
            first += " et al."
    elif ref.get("publisher"):
        first = ref.get("publisher")
    else:  # no author recorded: the title's first words stand in
        words = ref.get("title").split()
        first = " ".join(words[:6]) + ("…" if len(words) > 6 else "")
    return f"{first} {ref.get('year')}".strip()


def evidence_counts(claims: list[Claim] | list[Tally]) -> list[tuple[str, int]]:
    """Findings by evidence type, strongest design first. Background notes are never counted."""
    counts = Counter(c.evidence_type for c in claims)
    return [(t, counts[t]) for t in schema.EVIDENCE_ORDER if counts[t]]


def verdict_counts(items) -> list[tuple[str, int]]:
    counts = Counter(i.verdict for i in items if i.verdict)
    return [(v, counts[v]) for v in schema.VERDICT_ORDER if counts[v]]




def evidence_pairs(kb: KB) -> list[tuple[Entity, Entity, list[tuple[str, int]], int, list[Tally]]]:
    """Every (compound, condition) pair some finding involves, with its counts by evidence type,
    the number of distinct studies behind them, and the findings themselves.

    Only pairs with claims are listed, so the evidence map grows with the claims, not with
    compounds x conditions.
    """
    pairs: dict[tuple[str, str], list[Tally]] = {}
    for c in kb.tallies:
        for comp in dict.fromkeys(c.compounds):
            for cond in dict.fromkeys(c.conditions):
                pairs.setdefault((comp, cond), []).append(c)
    compounds, conditions = kb.entities["compounds"], kb.entities["conditions"]
    rows = [(compounds[a], conditions[b], evidence_counts(cs), len(kb.studies_of(cs)), cs)
            for (a, b), cs in pairs.items()]
    return sorted(rows, key=lambda r: (r[0].name.lower(), r[0].id, r[1].name.lower(), r[1].id))


def bottom_line(kb: KB, claims: list[Claim], by: str, page: Entity) -> list[dict]:
    """What the findings on one page add up to, per condition (on a compound's page, by='conditions')
    or per compound (on a condition's page, by='compounds'): counts by evidence type and by verdict,
    the number of studies, the strongest design present, and the curator's sentence if any."""
    rows = []
    for other in kb.related(claims, by):
        cs = [c for c in claims if other.id in getattr(c, by)]
        comp, cond = (page, other) if by == "conditions" else (other, page)
        summary = next((s["text"] for s in comp.data.get("summaries", []) if s["condition"] == cond.id), "")
        counts = evidence_counts(cs)
        rows.append({"entity": other, "counts": counts, "verdicts": verdict_counts(cs),
                     "studies": len(kb.studies_of(cs)), "strongest": counts[0][0], "summary": summary,
                     "anchor": f"with-{comp.slug}", "condition": cond})
    return rows


def group_by_evidence(claims: list[Claim]) -> list[tuple[str, list[Claim]]]:
    return [(t, [c for c in claims if c.evidence_type == t]) for t, _ in evidence_counts(claims)]


class Renderer:
    def __init__(self, kb: KB, compiled: jinja2.BytecodeCache | None = None):
        """`compiled`: where compiled templates are kept (kb.cache.Compiled; by default, in this
        process's memory, so that a rebuild under `mkdocs serve` does not compile them again:
        that was a third of the engine's part of such a rebuild)."""
        self.kb = kb
        self._claims: dict[str, tuple[Markup, frozenset]] = {}
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("kb", "templates"), bytecode_cache=compiled or cache.Compiled(),
            finalize=inert,  # every {{ value }} is inert text unless a helper built Markup
            autoescape=True, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
            auto_reload=False,  # one Renderer per build: its templates are not edited while it renders
        )
        self.env.filters.update(
            # join returns plain text so that finalize makes the joined curators' text inert
            join=lambda seq, sep="": sep.join(str(x) for x in seq),
            plain=lambda v: inert(str.__str__(v)), href=lambda v: Markup(html.escape(str(v))),
            attr=lambda v: Markup(slug(str(v))), anchor=anchor,
            numbers=_numbers, authors=_authors, formula=_formula, structure_src=_structure_src)
        self.env.tests["contains"] = lambda seq, item: item in seq
        self.env.globals.update(
            kb=kb, ev=schema.EVIDENCE_TYPES, order=schema.EVIDENCE_ORDER, sections=SECTIONS,
            verdicts=schema.VERDICTS, identifications=schema.IDENTIFICATIONS,
            evidence_counts=evidence_counts, group_by_evidence=group_by_evidence,
            verdict_counts=verdict_counts, bottom_line=bottom_line,
            link=self.link, ref_link=self.ref_link, claim_block=self.claim, a=self.a, cite=self.cite,
            badge=self.badge, verdict_chip=self.verdict_chip, id_chip=self.id_chip,
            background_block=self.background, study_summary=self.study_summary,
            ref_label=ref_label, outbound_links=self.outbound_links, inert_block=inert_block,
            identifier_links=identifier_links, citation=cite.citation,
        )

    # ---- helpers the templates call; each returns Markup built only from inert parts ---------
    def link(self, e: Entity, up: str | None = "../") -> Markup:
        """A link to an entity's page (`up`: the way from the linking page to the site's root;
        None from a page in the same folder)."""
        where = "" if up is None else f"{up}{SECTIONS[e.kind][0]}/"
        return Markup(f'<a href="{where}{e.slug}.html">{inert(e.name)}</a>')

    def ref_link(self, key: str, up: str | None = "../") -> Markup:
        ref = self.kb.refs[key]
        where = "" if up is None else f"{up}{REF_DIR}/"
        return Markup(f'<a href="{where}{slug(key)}.html">{inert(ref_label(ref))}</a>{_unresolved_mark(ref)}')

    def a(self, e: Entity) -> Markup:
        """A link to an entity's page from a page one level down."""
        return self.link(e)

    def cite(self, keys: list[str]) -> Markup:
        """Citations as HTML links to their reference pages (from a page one level down)."""
        refs = [self.kb.refs[key] for key in dict.fromkeys(keys)]
        return Markup("; ".join(f'<a href="../{REF_DIR}/{slug(r.key)}.html">{inert(ref_label(r))}</a>'
                                f'{_unresolved_mark(r)}' for r in refs))

    def badge(self, evidence_type: str, up: str | None = "../") -> Markup:
        """An evidence badge; with `up`, a link to its explanation (none inside other links)."""
        label, icon = schema.EVIDENCE_TYPES[evidence_type][:2]
        span = (f'<span class="kb-badge kb-ev-{slug(evidence_type)}" title="Evidence type: {label}">'
                f'<span class="twemoji">{icon_svg(icon)}</span> {label}</span>')
        return _explained(span, "kb-badge-link", up, slug(evidence_type), f"Evidence type: {label}")

    def verdict_chip(self, verdict: str, up: str | None = "../") -> Markup:
        """What the source article made of a finding, measured against the study."""
        label = schema.VERDICTS[verdict][0]
        span = (f'<span class="kb-verdict kb-verdict-{slug(verdict)}">'
                f'<span class="kb-verdict__what">Article:</span> {label.lower()}</span>')
        return _explained(span, "kb-verdict-link", up, f"verdict-{slug(verdict)}",
                          f"The source article's account: {label.lower()}")

    def id_chip(self, identification: str, up: str = "../") -> Markup:
        """How sure the identification of an article's note is, linked to its explanation."""
        text = schema.IDENTIFICATIONS[identification][2]
        return Markup(f'<a class="kb-ident kb-ident-{slug(identification)}" '
                      f'href="{up}evidence-types.html#identification-{slug(identification)}">{text}</a>')

    def study_summary(self, key: str) -> Markup:
        """A study as one line: its link, then design, population, n and duration where recorded."""
        s = self.kb.entities["studies"][key].data
        parts: list[str] = [inert(s[f]) for f in ("design", "population") if s.get(f)]
        if s.get("n") is not None:
            parts.append(f"n = {s['n']}")
        if s.get("duration"):
            parts.append(inert(s["duration"]))
        detail = f" ({'; '.join(parts)})" if parts else ""
        return Markup(f"{self.cite([key])}{detail}")

    def outbound_links(self, ref: Reference) -> list[tuple[str, str]]:
        """A reference's addresses elsewhere as (name, URL); the template writes each with the
        `href` filter (attribute) and `plain` (visible text)."""
        out = [(name, outbound(tpl, ref.get(f))) for f, (name, tpl) in REF_LINKS.items() if ref.get(f)]
        if ref.get("url"):
            out.append(("Web", safe_url(ref.get("url"))))
        return out

    def _macro(self, name: str):
        """A macro of _macros.j2 (the template module's attributes are not known to type checkers)."""
        return getattr(self.env.get_template("_macros.j2").module, name)

    def claim(self, c: Claim) -> Markup:
        """A finding's block, rendered once and reused on every page listing it."""
        return self._once(c.id, "claim", c)

    def background(self, b) -> Markup:
        """A background note's block, rendered once and reused."""
        return self._once("background:" + b.id, "background_note", b)

    def block_jobs(self) -> list[Callable[[], tuple[str, tuple[Markup, frozenset]]]]:
        """Every finding's and background note's block, as calls that render it and return it as
        `keep_blocks` takes it: kb.build renders them all, on every core, before the pages of a build
        that renders most of them (else each process renders every block its pages show: most of
        them twice)."""
        def job(key: str, macro: str, item: Any) -> tuple[str, tuple[Markup, frozenset]]:
            self._once(key, macro, item)
            return key, self._claims[key]
        return ([partial(job, c.id, "claim", c) for c in self.kb.claims]
                + [partial(job, "background:" + b.id, "background_note", b) for b in self.kb.background])

    def keep_blocks(self, made: Iterable[tuple[str, tuple[Markup, frozenset]]]) -> None:
        self._claims.update(made)

    def _once(self, key: str, macro: str, item) -> Markup:
        """A block rendered once and reused; each reuse notes the model reads that made it (kb.deps),
        as the page showing it would have made them."""
        if key not in self._claims:
            with deps.Recording() as reads:
                block = Markup(self._macro(macro)(item))
            self._claims[key] = (block, reads.tokens)
        block, tokens = self._claims[key]
        deps.note_all(tokens)
        return block

    # ---- pages ------------------------------------------------------------------------------
    def page(self, template: str, **ctx) -> Page:
        return page_of(self.env.get_template(template).render(**ctx))

    def render_all(self) -> dict[str, Page | str]:
        out: dict[str, Page | str] = {rel: make() for rel, make in self.page_jobs()}
        out.update(exports(self.kb))
        return out

    def page_jobs(self) -> list[tuple[str, Callable[[], Page]]]:
        """Every page to render, as (path, a call that renders it): each is independent of the
        others, so that they can be rendered in any order, or on several cores (kb.workers). Each
        call is given names only (a template, a kind, an id) and looks up what it shows when it
        runs, so that its reads of the model are its page's (kb.deps)."""
        jobs: list[tuple[str, Callable[[], Page]]] = []
        jobs.append(("index.md", partial(self.page, "home.html.j2")))
        jobs.append(("evidence-types.md", partial(self.page, "evidence_types.html.j2")))
        jobs.append(("evidence-map.md", partial(self.evidence_map_page)))
        for kind, (directory, _) in SECTIONS.items():  # studies show on their reference pages
            jobs.append((f"{directory}/index.md", partial(self.section_page, kind)))
            jobs += [(f"{directory}/{e.slug}.md", partial(self.entity_page, kind, e.id)) for e in self.members(kind)]
        jobs.append((f"{REF_DIR}/index.md", partial(self.references_page)))
        jobs += [(f"{REF_DIR}/{slug(r.key)}.md", partial(self.reference_page, r.key)) for r in self.all_refs()]
        jobs.append(("data/index.md", partial(self.page, "data.html.j2", records=schema.RECORDS,
                                              type_name=schema.type_name)))
        return jobs

    def members(self, kind: str) -> list[Entity]:
        return sorted(self.kb.entities[kind].values(), key=lambda e: (e.name.lower(), e.id))

    def all_refs(self) -> list[Reference]:
        return sorted(self.kb.refs.values(), key=lambda r: (ref_label(r).lower(), r.key))

    def evidence_map_page(self) -> Page:
        return self.page("evidence_map.html.j2", rows=evidence_pairs(self.kb))

    def section_page(self, kind: str) -> Page:
        return self.page("section.html.j2", kind=kind, title=SECTIONS[kind][1], members=self.members(kind))

    def references_page(self) -> Page:
        return self.page("references.html.j2", refs=self.all_refs())

    def entity_page(self, kind: str, ident: str) -> Page:
        kb = self.kb
        e = kb.entities[kind][ident]
        page = self.page(f"{kind[:-1]}.html.j2", e=e, claims=kb.claims_of(kind, e.id),
                         notes=kb.background_of(kind, e.id))
        if kind in SEARCH_BOOST:
            page.meta.update(search_meta(e, SEARCH_BOOST[kind]))
        return page

    def reference_page(self, key: str) -> Page:
        kb = self.kb
        r = kb.refs[key]
        return self.page("reference.html.j2", r=r, claims=kb.by_citation.get(r.key, []),
                         notes=kb.background_by_citation.get(r.key, []), methods=kb.methods_citing.get(r.key, []),
                         study=kb.study(r.key), cited_as=kb.notes_of.get(r.key, []),
                         source=kb.entities["sources"].get(r.key))


def search_meta(e: Entity, boost: float) -> dict:
    """What an entity page tells the search: a boost above passing mentions (a compound's page
    most), and its name, synonyms and identifiers as tags, the heaviest search field, so that
    typing any of them finds the page first (kb.css hides the tag chips in the results). The theme
    shows tags as HTML, so each is HTML-escaped. Search forgives: a one-word name written without
    its hyphens or apostrophes ("dserine", "sergly") is a tag too, since the search splits words at
    hyphens. A shorter name gets a slightly higher boost (1 / its number of words), so that a
    topic's main page ("Schizophrenia") ranks above its sub-pages ("Schizophrenia – negative
    symptoms"), whose names extend it."""
    names = [e.name] + list(e.data.get("synonyms") or [])
    compact: list[str] = []
    for n in names:
        c = n.replace("-", "").replace("'", "").replace("’", "")
        if c != n and c not in names and c not in compact and not any(ch in " 0123456789()[]{},.:;/" for ch in n):
            compact.append(c)
    ids = [value for _, value, _ in identifier_links(e.data.get("identifiers") or {})]
    value = round(boost + 1 / (len(e.name.split()) or 1), 2)
    return {"search": {"boost": int(value) if value == int(value) else value},
            "tags": [str(escape(str(t))) for t in names + compact + ids]}


def _explained(span: str, cls: str, up: str | None, anchor: str, label: str) -> Markup:
    """A label linked to its explanation on the evidence-types page; plain where `up` is None
    (inside another link)."""
    if up is None:
        return Markup(span)
    return Markup(f'<a class="{cls}" href="{up}evidence-types.html#{anchor}" '
                  f'aria-label="{label} (what it means)">{span}</a>')


def _unresolved_mark(ref: Reference) -> str:
    return (' <span class="kb-unresolved" title="The article cites it without enough detail to find '
            'it; its page says what is known">not identified</span>' if ref.unresolved else "")


def _numbers(value) -> str:
    items = value if isinstance(value, list) else [value]
    return " or ".join(f"{x:g}" for x in items)


def _formula(value: str) -> Markup:
    """A molecular formula with its counts as subscripts: C3H7NO2 as C<sub>3</sub>H<sub>7</sub>NO<sub>2</sub>."""
    return Markup("".join(f"{inert(sym)}<sub>{n}</sub>" if n else str(inert(sym))
                          for sym, n in re.findall(r"(\D+)(\d*)", value)))


def _structure_src(name: str) -> Markup:
    """The link from a compound page to its structure drawing (a name the validator checked)."""
    if not STRUCTURE_RE.fullmatch(name):
        raise ValueError(f"structure {name!r} was not validated")  # pragma: no cover - validator bug
    return Markup(f"../assets/structures/{name}")


def _authors(value: str) -> str:
    """'Last, First and Last, First' as 'First Last, First Last'."""
    names = []
    for a in value.split(" and "):
        last, _, first = a.partition(",")
        names.append(f"{first.strip()} {last.strip()}".strip())
    return ", ".join(names)


def exports(kb: KB) -> dict[str, str]:
    """The open-data files (path relative to docs/ -> text)."""
    return {path: make() for path, make in export_jobs(kb)}


def export_jobs(kb: KB, store: cache.Cache | None = None,
                text: Callable[[Claim], str] = repr) -> list[tuple[str, Callable[[], str]]]:
    """Every open-data file, as (path, a call that writes it): independent of each other, as pages
    are. With a build cache, each finding's part of claims.json and claims.csv is taken from it
    where a finding with the same content (the same `text`: kb.deps.Book.text) was written before
    (`_pieces`)."""
    return [("data/claims.json", partial(_claims_json, kb, store, text)),
            ("data/claims.csv", partial(_claims_csv, kb, store, text)),
            ("data/studies.json", partial(_studies_json, kb)),
            ("data/background.json", lambda: _json([b.record() for b in kb.background])),
            ("data/claims.schema.json", lambda: _json(schema.json_schema()))]


PIECES = ("claims.json", "claims.csv")  # the exports written from each finding's piece (`_pieces`)


def piece_key(name: str) -> str:
    """The build cache's entry (kind "pieces") of one export's pieces."""
    return cache.digest("pieces", name)


def _pieces(claims: list[Claim], name: str, store: cache.Cache | None, text: Callable[[Claim], str],
            make: Callable[[Claim], str]) -> list[str]:
    """make(c) for each finding, in order. With a build cache, one entry per export (kind "pieces")
    keeps each finding's piece under a digest of its text (which changes whenever a field does: a
    dataclass's repr, or kb.deps.Book.text, worked out once per build), so that an edit writes again
    only the edited finding's piece; kb.build notes the entries as used."""
    key = piece_key(name)
    kept = store.get_data("pieces", key) if store else None
    known = kept if isinstance(kept, dict) else {}
    out, now = [], {}
    for c in claims:
        digest = cache.digest(text(c))
        piece = known.get(digest)
        if not isinstance(piece, str):
            piece = make(c)
        now[digest] = piece
        out.append(piece)
    if store and now != known:
        store.put_data("pieces", key, now)
    return out


def _claims_json(kb: KB, store: cache.Cache | None = None, text: Callable[[Claim], str] = repr) -> str:
    """_json of every finding's record, written finding by finding: json.dumps with indent=1 puts each
    item of a list on its own lines, one space in, after "[" and before "]"."""
    parts = _pieces(kb.claims, "claims.json", store, text, lambda c: " " + _json(c.record())[:-1].replace("\n", "\n "))
    return "[\n" + ",\n".join(parts) + "\n]\n" if parts else "[]\n"


def _claims_csv(kb: KB, store: cache.Cache | None = None, text: Callable[[Claim], str] = repr) -> str:
    claims = kb.claims
    columns = list(claims[0].record()) if claims else [f.name for f in schema.RECORDS["claim"].fields]

    def row(c: Claim) -> str:
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=columns, lineterminator="\n").writerow(
            {k: _csv_cell(v) for k, v in c.record().items()})
        return buf.getvalue()

    head = io.StringIO()
    csv.DictWriter(head, fieldnames=columns, lineterminator="\n").writeheader()
    return head.getvalue() + "".join(_pieces(claims, "claims.csv", store, text, row))


def _studies_json(kb: KB) -> str:
    return _json([{"id": s.id, **{k: v for k, v in s.data.items() if k != "id"}, "evidence_type": s.types}
                  for s in sorted(kb.entities["studies"].values(), key=lambda s: s.id)])


def _json(value) -> str:
    """JSON that every parser reads: NaN and infinities are refused, never written."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(v) -> str:
    """A CSV cell; one a spreadsheet would run as a formula gets a leading apostrophe."""
    text = _csv_text(v)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_text(v) -> str:
    if isinstance(v, list):
        return "; ".join(_csv_text(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)
