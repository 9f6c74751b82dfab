"""The one definition of what curators may write: record kinds, their fields and vocabularies.

The validator, the curators' field reference, the data page and the JSON Schema are all made
from the tables in this module.
"""
from __future__ import annotations

from dataclasses import dataclass

# The evidence vocabulary, defined once: value -> (label, icon, what it can show, what it cannot).
EVIDENCE_TYPES: dict[str, tuple[str, str, str, str]] = {
    "human trial": (
        "Human trial", "material/account-group",
        "Whether a compound changed an outcome in people under controlled conditions, at the "
        "dose and for the duration tested.",
        "A single small trial cannot show the effect is reliable, lasting, safe for everyone, or "
        "that it holds outside the population studied; it says nothing about untested doses.",
    ),
    "animal": (
        "Animal study", "material/rodent",
        "Whether a compound acts on a living nervous system and through which mechanism, with "
        "controls and measurements impossible in people.",
        "Animal behaviour models (for example a forced-swim test standing in for depression) are "
        "proxies; doses, metabolism and brains differ, and most animal results do not carry over.",
    ),
    "in vitro": (
        "In vitro", "material/flask",
        "What a compound does to cells, tissue or proteins in a dish: receptors it binds, "
        "enzymes it needs, cells it keeps alive.",
        "A dish is not a body: absorption, the blood-brain barrier, dose and the rest of the "
        "organism are missing, so an in-vitro effect is a hypothesis about people, not a finding.",
    ),
    "anecdote": (
        "Anecdote", "material/comment-quote",
        "That someone reported an experience, which can point researchers to questions worth "
        "testing.",
        "No control, no blinding, no dose record: placebo, expectation and chance explain most "
        "reports. An anecdote cannot show that a compound works.",
    ),
}
EVIDENCE_ORDER = list(EVIDENCE_TYPES)  # strongest design first, as pages list them

# What the source article made of a finding, measured against the study: value -> (label, meaning).
VERDICTS: dict[str, tuple[str, str]] = {
    "supported": ("Supported", "The cited study shows what the article says."),
    "overstated": ("Overstated", "The study shows something, but less or narrower than the article "
                   "says: an animal result presented as a human benefit, a hedge dropped, a trial's "
                   "size or design left out."),
    "contradicted": ("Contradicted", "The study, or a retrieved record of it, shows otherwise, or "
                     "measured something other than what the article says it showed."),
    "unverified": ("Unverified", "The article's statement could not be checked against the study: "
                   "the study could not be identified, or the passage, table or figure behind the "
                   "statement could not be read."),
}
VERDICT_ORDER = list(VERDICTS)

# How sure the identification of a study an article cites is: value -> (label, meaning, chip text).
IDENTIFICATIONS: dict[str, tuple[str, str, str]] = {
    "identified": ("Identified", "The article names the study clearly enough (title, authors, or a "
                   "unique match) that there is no doubt which study it means.", "identified"),
    "probable": ("Probable", "The article does not name the study; this is the one study found that "
                 "fits what the article says, but another study could be the one meant.", "probable match"),
    "unresolved": ("Unresolved", "The study the article cites could not be identified; nothing "
                   "here rests on it being one study or another.", "not identified"),
}

MECHANISM_KINDS = ["receptor", "transporter", "enzyme", "pathway", "neurotransmitter system",
                   "cell type"]
QUANTITY_KINDS = ["concentration", "dose", "duration"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | id | ids:<entity> | keys | key | enum:<name> | texts | integer | number | numbers | map:<record> | list:<record>
    required: bool
    doc: str


@dataclass(frozen=True)
class Record:
    name: str
    doc: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


F = Field
ENUMS = {"evidence_type": EVIDENCE_ORDER, "verdict": VERDICT_ORDER,
         "identification": list(IDENTIFICATIONS), "mechanism_kind": MECHANISM_KINDS,
         "quantity_kind": QUANTITY_KINDS}

RECORDS: dict[str, Record] = {r.name: r for r in [
    Record("claim", "A finding of research, said once, in the curator's own words.", (
        F("id", "id", True, "Stable id, unique across all claims and background notes; also the claim's anchor."),
        F("statement", "text", True, "What the research showed, in the curator's own words; one finding per claim."),
        F("evidence_type", "enum:evidence_type", True,
          "The design of the study behind the finding: " + ", ".join(EVIDENCE_ORDER) + "; it must be "
          "the evidence type of at least one cited study record."),
        F("compounds", "ids:compound", False, "Ids of the compounds the claim is about."),
        F("mechanisms", "ids:mechanism", False, "Ids of receptors, transporters, enzymes or pathways involved."),
        F("conditions", "ids:condition", False, "Ids of conditions the claim bears on."),
        F("methods", "ids:method", False, "Ids of method pages describing how the evidence was produced."),
        F("citations", "keys", True, "Keys in references.bib of the studies behind the finding; at "
          "least one must have a study record."),
        F("source", "map:source_locator", True, "Where the claim was curated from."),
        F("article_says", "text", True, "What the source article made of it, in the curator's words."),
        F("verdict", "enum:verdict", True, "The article's statement measured against the study: "
          + ", ".join(VERDICT_ORDER) + "."),
        F("caveat", "text", False, "What a reader must know to weigh the finding, saying why."),
        F("quantities", "list:quantity", False, "Concentrations, doses or durations the source gives."),
    )),
    Record("background", "What an article asserts with no study behind it: a textbook fact, an "
           "opinion, a framing or an error. Shown, never badged as evidence, never counted.", (
        F("id", "id", True, "Stable id, unique across all claims and background notes; also its anchor."),
        F("statement", "text", True, "What the article asserts, in the curator's own words."),
        F("compounds", "ids:compound", False, "Ids of the compounds it concerns."),
        F("mechanisms", "ids:mechanism", False, "Ids of the mechanisms it concerns."),
        F("conditions", "ids:condition", False, "Ids of the conditions it concerns."),
        F("methods", "ids:method", False, "Ids of the methods it concerns."),
        F("source", "map:source_locator", True, "Where it was curated from."),
        F("verdict", "enum:verdict", False, "Where it can be checked: " + ", ".join(VERDICT_ORDER) + "."),
        F("comment", "text", False, "The curator's note: why it is right, wrong or untestable."),
        F("citations", "keys", False, "Keys in references.bib of references backing the comment."),
    )),
    Record("study", "A study cited by findings, keyed by its references.bib key. Its evidence type is "
           "written here once. Every descriptive field is given only where a retrieved record shows it.", (
        F("id", "key", True, "The study's key in references.bib."),
        F("evidence_type", "enums:evidence_type", True, "The study's design class: " + ", ".join(EVIDENCE_ORDER)
          + "; a list where one paper reports parts of different designs (e.g. rat tests and a human trial)."),
        F("design", "text", False, "E.g. randomized, double-blind, placebo-controlled; open-label; cell culture."),
        F("population", "text", False, "Who or what was studied: patients, species, tissue or cells."),
        F("n", "integer", False, "Number of participants or animals, as the record gives it."),
        F("duration", "text", False, "How long treatment or observation lasted."),
        F("arms", "texts", False, "Doses or concentrations per arm or group."),
        F("comparator", "text", False, "What the treatment was compared with."),
        F("outcomes", "texts", False, "The outcomes measured."),
        F("result", "text", True, "What the study found, in the curator's words."),
        F("seen_in", "text", True, "Where these fields were seen (which retrieved record)."),
    )),
    Record("source_locator", "The article a claim was curated from and where in it.", (
        F("ref", "key", True, "Key of the source article in references.bib (declared in sources.yaml)."),
        F("locator", "text", True, "Where in the article: a section heading, table row or paragraph."),
        F("note", "text", False, "The article's own note or reference number, e.g. \"4\"."),
    )),
    Record("quantity", "A number the source gives with the claim.", (
        F("kind", "enum:quantity_kind", True, "One of: " + ", ".join(QUANTITY_KINDS) + "."),
        F("value", "numbers", True, "A number, or a list of numbers for alternatives (1 or 10)."),
        F("unit", "text", True, "The unit as written, e.g. µM, ng/ml, days."),
        F("of", "text", False, "What the quantity is of, when the claim names several agents."),
    )),
    Record("compound", "A chemical compound with its own page.", (
        F("id", "id", True, "Stable id; the page's slug."),
        F("name", "text", True, "Display name."),
        F("synonyms", "texts", False, "Other names readers search for."),
        F("identifiers", "map:identifiers", False, "Database identifiers, only where verified."),
        F("description", "text", True, "A short description in the project's words."),
        F("status", "text", False, "A plain statement of what is and is not established about it."),
        F("formula", "text", False, "Molecular formula in Hill order (C, then H, then the rest "
          "alphabetically), like C3H7NO2; only as a retrieved record shows it."),
        F("molar_mass", "number", False, "Molar mass in g/mol as the record gives it, like 89.09; "
          "it must agree with the formula to within 0.05 g/mol."),
        F("structure", "text", False, "File name of a hand-drawn SVG structure in "
          "docs/assets/structures/, like sarcosine.svg."),
        F("chemistry_seen_in", "text", False, "Where the formula and molar mass were seen (which "
          "retrieved record); required with either."),
        F("summaries", "list:summary", False, "The curator's one-sentence bottom line per condition "
          "the compound has findings on."),
    )),
    Record("summary", "One sentence on what the findings about a compound and a condition add up to.", (
        F("condition", "id", True, "Id of the condition."),
        F("text", "text", True, "The bottom line, in the project's words; never advice."),
    )),
    Record("identifiers", "Database identifiers of a compound.", (
        F("pubchem_cid", "text", False, "PubChem Compound ID (digits)."),
        F("cas", "text", False, "CAS Registry Number (checked digit)."),
        F("chebi", "text", False, "ChEBI id, like CHEBI:15611."),
        F("verified", "text", False, "Where the identifiers were seen."),
    )),
    Record("mechanism", "A receptor, transporter, enzyme or pathway.", (
        F("id", "id", True, "Stable id; the page's slug."),
        F("name", "text", True, "Display name."),
        F("kind", "enum:mechanism_kind", True, "One of: " + ", ".join(MECHANISM_KINDS) + "."),
        F("synonyms", "texts", False, "Other names, abbreviations and gene symbols."),
        F("description", "text", True, "A short description in the project's words."),
    )),
    Record("condition", "A condition or outcome claims bear on.", (
        F("id", "id", True, "Stable id; the page's slug."),
        F("name", "text", True, "Display name."),
        F("synonyms", "texts", False, "Other names."),
        F("description", "text", True, "A short description in the project's words."),
    )),
    Record("method", "An experimental protocol, described in the project's words.", (
        F("id", "id", True, "Stable id; the page's slug."),
        F("name", "text", True, "Display name."),
        F("description", "text", True, "What the method measures and why."),
        F("steps", "texts", False, "The protocol's steps."),
        F("limits", "text", False, "What the method cannot show."),
        F("based_on", "keys", False, "Keys of the studies or articles the description follows."),
    )),
    Record("source", "A source article the knowledge base was curated from.", (
        F("id", "key", True, "Its key in references.bib; also the page's slug."),
        F("kind", "text", True, "What kind of source it is (blog article, vendor guide, ...)."),
        F("assessment", "texts", True, "The project's assessment, one paragraph per item."),
        F("concerns", "texts", False, "Where the article overstates or errs, one per item."),
        F("notes", "list:source_note", False, "How each numbered note or reference of the article "
          "was identified."),
    )),
    Record("source_note", "One numbered note or reference of a source article and the entry it was "
           "identified as.", (
        F("note", "text", True, "The article's note or reference number, e.g. \"4\"."),
        F("ref", "key", True, "Key in references.bib: the identified study, or the unresolved entry."),
        F("identification", "enum:identification", True, "How sure: " + ", ".join(IDENTIFICATIONS) + "."),
        F("reason", "text", True, "What matched and what was checked, in plain words."),
    )),
]}

# File kinds: the top-level key of each file and the record kind of its list.
ENTITY_FILES = {"compounds": "compound", "mechanisms": "mechanism", "conditions": "condition",
                "methods": "method", "sources": "source", "studies": "study"}
CLAIM_FILE_KEY = "claims"
BACKGROUND_KEY = "background"
# A claim file holds findings, background notes or both: top-level key -> record kind.
CLAIM_FILE_LISTS = {CLAIM_FILE_KEY: "claim", BACKGROUND_KEY: "background"}


def type_name(kind: str) -> str:
    """How a field's type reads in messages and in the field reference."""
    base, _, arg = kind.partition(":")
    return {
        "text": "text", "id": "id (lowercase-with-hyphens)", "key": "BibTeX key",
        "keys": "list of BibTeX keys", "texts": "list of text", "integer": "whole number", "number": "number", "numbers": "number or list of numbers",
        "ids": f"list of {arg} ids", "enum": f"one of: {', '.join(ENUMS.get(arg, []))}",
        "enums": f"one or a list of: {', '.join(ENUMS.get(arg, []))}",
        "map": f"mapping ({arg.replace('_', ' ')})", "list": f"list of mappings ({arg})",
    }[base]


def json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of claim files, made from RECORDS."""
    def field_schema(f: Field) -> dict:
        base, _, arg = f.kind.partition(":")
        text = {"type": "string", "minLength": 1, "pattern": "\\S"}  # not blank, as the validator
        slug = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
        min_items: dict[str, int] = {"minItems": 1} if f.required else {}
        kinds: dict[str, dict] = {
            "text": text, "key": text, "id": slug,
            "texts": {"type": "array", "items": text},
            "keys": {"type": "array", "items": text, **min_items},
            "integer": {"type": "integer", "minimum": 0},
            "ids": {"type": "array", "items": slug},
            "number": {"type": "number"},
            "numbers": {"oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}]},
            "enum": {"enum": ENUMS.get(arg)},
            "enums": {"oneOf": [{"enum": ENUMS.get(arg)},
                                {"type": "array", "items": {"enum": ENUMS.get(arg)}, "minItems": 1, "uniqueItems": True}]},
            "map": {"$ref": f"#/$defs/{arg}"},
            "list": {"type": "array", "items": {"$ref": f"#/$defs/{arg}"}},
        }
        out = kinds[base]
        return {**out, "description": f.doc}

    def record_schema(r: Record) -> dict:
        return {"type": "object", "description": r.doc, "additionalProperties": False,
                "required": [f.name for f in r.fields if f.required],
                "properties": {f.name: field_schema(f) for f in r.fields}}

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Claim file",
        "description": "A YAML file under claims/ holding findings (claims) and background notes.",
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {key: {"type": "array", "items": {"$ref": f"#/$defs/{rec}"}}
                       for key, rec in CLAIM_FILE_LISTS.items()},
        "$defs": {name: record_schema(r) for name, r in RECORDS.items()},
    }
