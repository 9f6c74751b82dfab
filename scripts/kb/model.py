"""The knowledge base as the pages see it: records, and the indexes that cross-link them.

Built only from input that validated, so it trusts its input.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from . import schema
from .bib import Reference, slug
from .validate import file_kind, note_numbers, records, study_types
from .yamlload import Doc


@dataclass
class Claim:
    """A finding: what a study showed, beside what the source article made of it."""
    id: str
    statement: str
    evidence_type: str
    citations: list[str]
    source: dict
    article_says: str
    verdict: str
    file: str
    line: int
    compounds: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    caveat: str = ""
    quantities: list[dict] = field(default_factory=list)
    studies: list[str] = field(default_factory=list)  # derived: the cited keys with a study record

    def record(self) -> dict:
        """The claim as exported to claims.json: the curator's fields, plus the cited studies."""
        return {"id": self.id, "statement": self.statement, "evidence_type": self.evidence_type,
                "compounds": self.compounds, "mechanisms": self.mechanisms,
                "conditions": self.conditions, "methods": self.methods,
                "citations": self.citations, "studies": self.studies, "source": self.source,
                "article_says": self.article_says, "verdict": self.verdict,
                "caveat": self.caveat, "quantities": self.quantities}


@dataclass(frozen=True)
class Tally:
    """What a page that counts findings reads of one: its evidence type, verdict, compounds,
    conditions and studies. The home page, the evidence pages, the section indexes and the
    references index read these, never the findings, so that an edit to a finding's text renders
    them again only where one of these changed (kb.deps)."""
    id: str
    evidence_type: str
    verdict: str
    compounds: tuple[str, ...]
    conditions: tuple[str, ...]
    studies: tuple[str, ...]


@dataclass
class Background:
    """What an article asserts with no study behind it: shown, never badged, never counted."""
    id: str
    statement: str
    source: dict
    file: str
    line: int
    compounds: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    verdict: str = ""
    comment: str = ""
    citations: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {"id": self.id, "statement": self.statement, "compounds": self.compounds,
                "mechanisms": self.mechanisms, "conditions": self.conditions,
                "methods": self.methods, "source": self.source, "verdict": self.verdict,
                "comment": self.comment, "citations": self.citations}


@dataclass
class Entity:
    kind: str  # compounds | mechanisms | conditions | methods | sources | studies
    id: str
    data: dict

    title: str = ""  # for sources, the article's title from references.bib

    @property
    def name(self) -> str:
        return self.data.get("name") or self.title or self.id

    @property
    def slug(self) -> str:
        return slug(self.id)

    @property
    def types(self) -> list[str]:
        """A study's evidence types, strongest design first."""
        found = study_types(self.data)
        return [t for t in schema.EVIDENCE_ORDER if t in found]


@dataclass
class KB:
    claims: list[Claim]
    background: list[Background]
    entities: dict[str, dict[str, Entity]]
    refs: dict[str, Reference]
    by_entity: dict[tuple[str, str], list[Claim]]
    by_citation: dict[str, list[Claim]]
    methods_citing: dict[str, list[Entity]]
    background_by_entity: dict[tuple[str, str], list[Background]]
    background_by_citation: dict[str, list[Background]]
    notes_of: dict[str, list[tuple[Entity, dict]]]  # bib key -> (source, note) identifying it
    tallies: list[Tally]  # the findings as the pages that count them read them, in the findings' order
    tallies_by_entity: dict[tuple[str, str], list[Tally]]
    tallies_by_citation: dict[str, list[Tally]]

    def claims_of(self, kind: str, ident: str) -> list[Claim]:
        return self.by_entity.get((kind, ident), [])

    def tallies_of(self, kind: str, ident: str) -> list[Tally]:
        return self.tallies_by_entity.get((kind, ident), [])

    def background_of(self, kind: str, ident: str) -> list[Background]:
        return self.background_by_entity.get((kind, ident), [])

    def study(self, key: str) -> Entity | None:
        return self.entities["studies"].get(key)

    def studies_of(self, claims: list[Claim] | list[Tally]) -> list[str]:
        """The distinct studies behind these findings, in first-cited order."""
        return list(dict.fromkeys(k for c in claims for k in c.studies))

    def notes(self, source: dict) -> list[dict]:
        """The source's records of the notes a claim gives (with their identification), where the
        source lists its notes."""
        entity = self.entities["sources"].get(source["ref"])
        if entity is None or source.get("note") is None:
            return []
        listed = {n["note"]: n for n in entity.data.get("notes", [])}
        return [listed[n] for n in note_numbers(source["note"]) if n in listed]

    def related(self, claims: list[Claim], kind: str) -> list[Entity]:
        """Entities of one kind that these claims mention, by name."""
        ids = {i for c in claims for i in getattr(c, kind)}
        return sorted((self.entities[kind][i] for i in ids), key=lambda e: (e.name.lower(), e.id))


def build(docs: list[Doc], refs: dict[str, Reference]) -> KB:
    entities: dict[str, dict[str, Entity]] = {k: {} for k in schema.ENTITY_FILES}
    claims: list[Claim] = []
    background: list[Background] = []
    for doc in docs:
        kind = file_kind(doc)
        found = list(records(doc))
        kept = getattr(doc, "folded", None)  # a file from the build cache: its records folded there
        taken = kept if isinstance(kept, list) and len(kept) == len(found) else folded(doc)
        for (key, i, item), fields in zip(found, taken, strict=True):
            if kind == schema.CLAIM_FILE_KEY:
                line = doc.at((key, i))[0]
                if key == schema.CLAIM_FILE_KEY:
                    claims.append(Claim(file=doc.path, line=line, **fields))
                else:
                    background.append(Background(file=doc.path, line=line, **fields))
            elif kind is not None:
                title = refs[item["id"]].get("title") if kind in ("sources", "studies") else ""
                entities[kind][item["id"]] = Entity(kind, item["id"], fields, title)
    claims.sort(key=lambda c: c.id)
    background.sort(key=lambda b: b.id)
    by_entity: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    by_citation: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        c.studies = [k for k in dict.fromkeys(c.citations) if k in entities["studies"]]
        for kind in ("compounds", "mechanisms", "conditions", "methods"):
            for ident in getattr(c, kind):
                by_entity[(kind, ident)].append(c)
        by_entity[("sources", c.source["ref"])].append(c)
        for key in dict.fromkeys(c.citations):
            by_citation[key].append(c)
    bg_entity: dict[tuple[str, str], list[Background]] = defaultdict(list)
    bg_citation: dict[str, list[Background]] = defaultdict(list)
    for b in background:
        for kind in ("compounds", "mechanisms", "conditions", "methods"):
            for ident in getattr(b, kind):
                bg_entity[(kind, ident)].append(b)
        bg_entity[("sources", b.source["ref"])].append(b)
        for key in dict.fromkeys(b.citations):
            bg_citation[key].append(b)
    methods_citing: dict[str, list[Entity]] = defaultdict(list)
    for m in entities["methods"].values():
        for key in m.data.get("based_on", []):
            methods_citing[key].append(m)
    notes_of: dict[str, list[tuple[Entity, dict]]] = defaultdict(list)
    for s in entities["sources"].values():
        for n in s.data.get("notes", []):
            notes_of[n["ref"]].append((s, n))
    tally = {c.id: Tally(c.id, c.evidence_type, c.verdict, tuple(c.compounds), tuple(c.conditions), tuple(c.studies))
             for c in claims}
    return KB(claims, background, entities, refs, dict(by_entity), dict(by_citation),
              dict(methods_citing), dict(bg_entity), dict(bg_citation), dict(notes_of),
              list(tally.values()), {k: [tally[c.id] for c in cs] for k, cs in by_entity.items()},
              {k: [tally[c.id] for c in cs] for k, cs in by_citation.items()})


def folded(doc: Doc) -> list:
    """Each record of a file (validate.records' order) with its curators' text folded, as the model
    takes it (kb.build keeps it with the file in the build cache: kb.yamlload.PackedDoc.folded)."""
    return [_normalise(item) for _, _, item in records(doc)]


def _normalise(value):
    """Fold runs of whitespace in curators' text: a statement is one paragraph."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value
