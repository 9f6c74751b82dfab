"""The knowledge base as the pages see it: records, and the indexes that cross-link them.

Built only from input that validated, so it trusts its input.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from . import schema
from .bib import Reference, slug
from .validate import file_kind
from .yamlload import Doc


@dataclass
class Claim:
    id: str
    statement: str
    evidence_type: str
    citations: list[str]
    source: dict
    file: str
    line: int
    compounds: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    caveat: str = ""
    quantities: list[dict] = field(default_factory=list)

    def record(self) -> dict:
        """The claim as exported to claims.json: the curator's fields, nothing derived."""
        out = {"id": self.id, "statement": self.statement, "evidence_type": self.evidence_type,
               "compounds": self.compounds, "mechanisms": self.mechanisms,
               "conditions": self.conditions, "methods": self.methods,
               "citations": self.citations, "source": self.source, "caveat": self.caveat,
               "quantities": self.quantities}
        return out


@dataclass
class Entity:
    kind: str  # compounds | mechanisms | conditions | methods | sources
    id: str
    data: dict

    title: str = ""  # for sources, the article's title from references.bib

    @property
    def name(self) -> str:
        return self.data.get("name") or self.title or self.id

    @property
    def slug(self) -> str:
        return slug(self.id)


@dataclass
class KB:
    claims: list[Claim]
    entities: dict[str, dict[str, Entity]]
    refs: dict[str, Reference]
    by_entity: dict[tuple[str, str], list[Claim]]
    by_citation: dict[str, list[Claim]]
    methods_citing: dict[str, list[Entity]]

    def claims_of(self, kind: str, ident: str) -> list[Claim]:
        return self.by_entity.get((kind, ident), [])

    def related(self, claims: list[Claim], kind: str) -> list[Entity]:
        """Entities of one kind that these claims mention, by name."""
        ids = {i for c in claims for i in getattr(c, kind)}
        return sorted((self.entities[kind][i] for i in ids), key=lambda e: (e.name.lower(), e.id))


def build(docs: list[Doc], refs: dict[str, Reference]) -> KB:
    entities: dict[str, dict[str, Entity]] = {k: {} for k in schema.ENTITY_FILES}
    claims: list[Claim] = []
    for doc in docs:
        kind = file_kind(doc)
        for i, item in enumerate(doc.data[kind]):
            if kind == schema.CLAIM_FILE_KEY:
                line = doc.at((kind, i))[0]
                claims.append(Claim(file=doc.path, line=line, **{
                    k: _normalise(v) for k, v in item.items()}))
            else:
                title = refs[item["id"]].get("title") if kind == "sources" else ""
                entities[kind][item["id"]] = Entity(kind, item["id"], item, title)
    claims.sort(key=lambda c: c.id)
    by_entity: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    by_citation: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        for kind in ("compounds", "mechanisms", "conditions", "methods"):
            for ident in getattr(c, kind):
                by_entity[(kind, ident)].append(c)
        by_entity[("sources", c.source["ref"])].append(c)
        for key in dict.fromkeys(c.citations):
            by_citation[key].append(c)
    methods_citing: dict[str, list[Entity]] = defaultdict(list)
    for m in entities["methods"].values():
        for key in m.data.get("based_on", []):
            methods_citing[key].append(m)
    return KB(claims, entities, refs, dict(by_entity), dict(by_citation), dict(methods_citing))


def _normalise(value):
    """Fold runs of whitespace in curators' text: a statement is one paragraph."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value
