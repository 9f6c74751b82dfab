"""Pure checks over loaded files: per-file shape and types first, then cross-file references."""
from __future__ import annotations

import difflib
import math
import re
from pathlib import PurePosixPath

from . import schema
from .bib import Reference, slug
from .problems import Problem
from .yamlload import Doc

ID_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
IDENTIFIER_RES = {
    "pubchem_cid": re.compile(r"[1-9]\d{0,11}"),
    "chebi": re.compile(r"CHEBI:[1-9]\d{0,8}"),
    "cas": re.compile(r"\d{2,7}-\d{2}-\d"),
}


def file_kind(doc: Doc) -> str | None:
    """'claims' or an entity kind, decided by where the file lives: claims/entities/<kind>.yaml,
    or any file in claims/entities/<kind>/ when one kind is split across several files."""
    p = PurePosixPath(doc.path)
    if p.parent.name == "entities":
        return p.stem if p.stem in schema.ENTITY_FILES else None
    if p.parent.parent.name == "entities":
        return p.parent.name if p.parent.name in schema.ENTITY_FILES else None
    return schema.CLAIM_FILE_KEY


def cas_ok(cas: str) -> bool:
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    return sum(int(d) * i for i, d in enumerate(reversed(body), 1)) % 10 == check


def suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word.lower(), [o.lower() for o in options], n=1, cutoff=0.6)
    if not close:
        return ""
    match = next(o for o in options if o.lower() == close[0])
    return f" (did you mean '{match}'?)"


def file_lists(kind: str) -> dict[str, str]:
    """The top-level keys a file of this kind may hold, each with the record kind of its list."""
    if kind == schema.CLAIM_FILE_KEY:
        return schema.CLAIM_FILE_LISTS
    return {kind: schema.ENTITY_FILES[kind]}


def records(doc: Doc):
    """(top-level key, index, item) of every record of a loaded file, whatever its shape."""
    kind = file_kind(doc)
    if kind is None or not isinstance(doc.data, dict):
        return
    for key in file_lists(kind):
        items = doc.data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            yield key, i, item


def check_file(doc: Doc) -> list[Problem]:
    kind = file_kind(doc)
    if kind is None:
        names = ", ".join(f"{n}.yaml" for n in schema.ENTITY_FILES)
        return [doc.problem((), "KB201", f"unknown entity file; entity files are {names} "
                            "(or files in a folder of one of those names)")]
    lists = file_lists(kind)
    data = doc.data
    if not isinstance(data, dict) or not any(k in data for k in lists):
        want = " and/or ".join(f"'{k}:'" for k in lists)
        what = " / ".join(f"{r}s" for r in lists.values())
        return [doc.problem((), "KB201", f"the file must be a mapping with {want} holding a list of {what}")]
    problems = [doc.problem((k,), "KB203", f"unknown top-level key '{k}'{suggest(k, list(lists))}", key=True)
                for k in data if k not in lists]
    for key, rec in lists.items():
        if key not in data:
            continue
        record = schema.RECORDS[rec]
        items = data[key]
        if not isinstance(items, list):
            problems.append(doc.problem((key,), "KB204", f"'{key}' must be a list of {record.name}s"))
            continue
        for i, item in enumerate(items):
            problems += check_record(doc, (key, i), item, record)
    return problems


def check_record(doc: Doc, path: tuple, value, record: schema.Record) -> list[Problem]:
    if not isinstance(value, dict):
        return [doc.problem(path, "KB204", f"each {record.name} must be a mapping of keys to values")]
    problems = []
    names = [f.name for f in record.fields]
    for key in value:
        if record.field(key) is None:
            problems.append(doc.problem(path + (key,), "KB203",
                                        f"unknown key '{key}' in {record.name}{suggest(key, names)}", key=True))
    for f in record.fields:
        if f.name not in value:
            if f.required:
                what = f" '{value['id']}'" if isinstance(value.get("id"), str) else ""
                problems.append(doc.problem(path, "KB202", f"{record.name}{what} is missing '{f.name}'"))
            continue
        problems += check_value(doc, path + (f.name,), value[f.name], f)
    if record.name == "compound":
        problems += _check_chemistry(doc, path, value)
    return problems


# Standard atomic weights (IUPAC abridged, conventional values) of the elements a formula here may
# hold; a formula with an element not listed is refused rather than left unchecked.
ATOMIC_WEIGHTS = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "P": 30.974, "S": 32.06,
                  "F": 18.998, "Cl": 35.45, "Br": 79.904, "I": 126.90, "Na": 22.990, "K": 39.098,
                  "Ca": 40.078, "Mg": 24.305}
MASS_TOLERANCE = 0.05  # g/mol
FORMULA_RE = re.compile(r"(?:[A-Z][a-z]?(?:[2-9]|[1-9]\d+)?)+")
ELEMENT_RE = re.compile(r"([A-Z][a-z]?)(\d*)")


def parse_formula(formula: str) -> dict[str, int] | None:
    """Element -> count of a formula in Hill notation (C, then H, then the other elements
    alphabetically; without carbon, all alphabetically; a count of 1 is not written), or None."""
    if not FORMULA_RE.fullmatch(formula):
        return None
    counts: dict[str, int] = {}
    for symbol, n in ELEMENT_RE.findall(formula):
        if symbol in counts or symbol not in ATOMIC_WEIGHTS:
            return None
        counts[symbol] = int(n or 1)
    order = list(counts)
    head = [s for s in ("C", "H") if "C" in counts and s in counts]
    if order != head + sorted(s for s in order if s not in head):
        return None
    return counts


def formula_mass(counts: dict[str, int]) -> float:
    return sum(ATOMIC_WEIGHTS[s] * n for s, n in counts.items())


def _check_chemistry(doc: Doc, path: tuple, value: dict) -> list[Problem]:
    """A compound's formula is Hill notation, its molar mass one number that agrees with it, and
    either comes with the record it was seen in."""
    out = []
    formula, mass = value.get("formula"), value.get("molar_mass")
    counts = None
    if isinstance(formula, str) and formula.strip():
        counts = parse_formula(formula)
        if counts is None:
            out.append(doc.problem(path + ("formula",), "KB213", f"formula '{formula}' is not in Hill "
                                   f"notation with known elements ({', '.join(ATOMIC_WEIGHTS)})"))
    if counts and isinstance(mass, (int, float)) and not isinstance(mass, bool) and math.isfinite(mass):
        expected = formula_mass(counts)
        if abs(expected - mass) > MASS_TOLERANCE:
            out.append(doc.problem(path + ("molar_mass",), "KB214", f"molar mass {mass} g/mol disagrees "
                                   f"with formula {formula} ({expected:.2f} g/mol)"))
    if ("formula" in value or "molar_mass" in value) and "chemistry_seen_in" not in value:
        what = f" '{value['id']}'" if isinstance(value.get("id"), str) else ""
        out.append(doc.problem(path, "KB202", f"compound{what} gives a formula or molar mass but is "
                               "missing 'chemistry_seen_in'"))
    return out


def _is_text(v) -> bool:
    return isinstance(v, str)


def check_value(doc: Doc, path: tuple, v, f: schema.Field) -> list[Problem]:
    base, _, arg = f.kind.partition(":")

    def wrong() -> list[Problem]:  # made only when reported: this runs for every value
        return [doc.problem(path, "KB204", f"'{f.name}' must be {schema.type_name(f.kind)}, "
                            f"not {_describe(v)}")]
    if base in ("text", "key", "id"):
        if not _is_text(v):
            return wrong()
        if not v.strip():
            return [doc.problem(path, "KB205", f"'{f.name}' is empty")]
        if base == "id" and not ID_RE.fullmatch(v):
            return [doc.problem(path, "KB207", f"id '{v}' must be lowercase letters and digits "
                                f"joined by single hyphens (try '{slug(v)}')")]
        return []
    if base in ("texts", "keys", "ids"):
        if not isinstance(v, list):
            return wrong()
        if f.required and not v:
            return [doc.problem(path, "KB211", f"'{f.name}' is an empty list")]
        out = []
        for i, item in enumerate(v):
            if not _is_text(item):
                out.append(doc.problem(path + (i,), "KB204", f"items of '{f.name}' must be text, "
                                       f"not {_describe(item)}"))
            elif not item.strip():
                out.append(doc.problem(path + (i,), "KB205", f"an item of '{f.name}' is empty"))
        return out
    if base == "enums":  # one value, or a list of distinct values
        items = v if isinstance(v, list) else [v]
        if not items:
            return [doc.problem(path, "KB211", f"'{f.name}' is an empty list")]
        if len(set(map(str, items))) != len(items):
            return [doc.problem(path, "KB204", f"'{f.name}' lists a value twice")]
        one = schema.Field(f.name, f"enum:{arg}", f.required, f.doc)
        return [p for j, x in enumerate(items)
                for p in check_value(doc, path + (j,) if isinstance(v, list) else path, x, one)]
    if base == "enum":
        allowed = schema.ENUMS[arg]
        if not _is_text(v):
            return wrong()
        if v not in allowed:
            code = {"evidence_type": "KB206", "verdict": "KB210"}.get(arg, "KB209")
            hint = suggest(v, allowed) or f" (allowed: {', '.join(allowed)})"
            return [doc.problem(path, code, f"'{v}' is not a valid {f.name}{hint}")]
        return []
    if base == "integer":
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            return wrong()
        return []
    if base in ("number", "numbers"):
        if base == "number" and isinstance(v, list):
            return wrong()
        items = v if isinstance(v, list) else [v]
        if not items or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
            return wrong()
        if not all(math.isfinite(x) for x in items):
            return [doc.problem(path, "KB212", f"'{f.name}' must be a finite number, not {v!r}")]
        return []
    if base == "map":
        problems = check_record(doc, path, v, schema.RECORDS[arg])
        if arg == "identifiers" and isinstance(v, dict):
            problems += _check_identifiers(doc, path, v)
        return problems
    if base == "list":
        if not isinstance(v, list):
            return wrong()
        return [p for i, item in enumerate(v)
                for p in check_record(doc, path + (i,), item, schema.RECORDS[arg])]
    raise AssertionError(f"unknown field kind {f.kind}")  # pragma: no cover - schema bug


def _check_identifiers(doc: Doc, path: tuple, ids: dict) -> list[Problem]:
    out = []
    for name, pattern in IDENTIFIER_RES.items():
        value = ids.get(name)
        if not isinstance(value, str):
            continue
        if not pattern.fullmatch(value) or (name == "cas" and not cas_ok(value)):
            out.append(doc.problem(path + (name,), "KB208", f"{name} '{value}' is malformed"))
    return out


def _describe(v) -> str:
    if v is None:
        return "nothing (null)"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(v), type(v).__name__)


# ---- cross-file checks -----------------------------------------------------------------------

RESERVED = {"index"}  # a section's own page: an entity or reference of that name would replace it


def check_corpus(docs: list[Doc], refs: dict[str, Reference], bib_path: str,
                 structures: frozenset[str] | None = None) -> list[Problem]:
    """References between files: unique ids, existing entities, known citations and sources, and
    the evidence model's rules (a finding stands on a study record of its own evidence type).

    structures: the file names in STRUCTURES_DIR, which compounds' drawings must be among (None:
    not checked)."""
    problems: list[Problem] = []
    entities: dict[str, dict[str, tuple[Doc, tuple, dict]]] = {k: {} for k in schema.ENTITY_FILES}
    notes: list[tuple[Doc, tuple, dict]] = []  # claims and background notes
    for doc in docs:
        kind = file_kind(doc)
        for key, i, item in records(doc):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if kind == schema.CLAIM_FILE_KEY:
                notes.append((doc, (key, i), item))
            elif kind is not None:
                entities[kind].setdefault(item["id"], (doc, (key, i), item))
    problems += _unique_ids(docs)
    used: dict[str, set[str]] = {k: set() for k in entities}
    cited: set[str] = set()
    sources, studies = entities["sources"], entities["studies"]
    listed: dict[str, set] = {}  # a source -> the note numbers it lists (`_check_locator`)

    def cite(doc: Doc, path: tuple, values, what: str = "citation") -> None:
        for j, key in _text_items(values):
            cited.add(key)
            if key not in refs:
                problems.append(doc.problem(path + (j,), "KB304",
                                            f"{what} '{key}' is not in {bib_path}{suggest(key, refs)}"))

    for doc, path, item in notes:
        for kind in ("compounds", "mechanisms", "conditions", "methods"):
            for j, ident in _text_items(item.get(kind)):
                used[kind].add(ident)
                if ident not in entities[kind]:
                    problems.append(doc.problem(path + (kind, j), "KB303",
                                                f"no {kind[:-1]} with id '{ident}'{suggest(ident, entities[kind])}"))
        cite(doc, path + ("citations",), item.get("citations"))
        problems += _check_locator(doc, path, item.get("source"), sources, used, listed)
        if path[0] == schema.CLAIM_FILE_KEY:
            problems += _check_finding(doc, path, item, studies, refs, used)
    for key, (doc, path, item) in sources.items():
        cited.add(key)
        if key not in refs:
            problems.append(doc.problem(path + ("id",), "KB304", f"source '{key}' is not in {bib_path}"))
        for j, note in enumerate(item.get("notes") or []):
            if not isinstance(note, dict) or not isinstance(note.get("ref"), str):
                continue
            cite(doc, path + ("notes", j), [note["ref"]], "note's reference")
            ref = refs.get(note["ref"])
            if ref is not None and note.get("identification") in schema.IDENTIFICATIONS:
                if (note["identification"] == "unresolved") != bool(ref.unresolved):
                    what = ("an identified entry (it has no 'unresolved' field)" if not ref.unresolved
                            else "an unresolved entry (it has an 'unresolved' field)")
                    problems.append(doc.problem(path + ("notes", j, "identification"), "KB310",
                                                f"note {note.get('note')} is '{note['identification']}' but "
                                                f"'{note['ref']}' is {what}"))
    for key, (doc, path, item) in studies.items():
        cited.add(key)
        if key not in refs:
            problems.append(doc.problem(path + ("id",), "KB309", f"study '{key}' has no entry in "
                                        f"{bib_path}{suggest(key, refs)}"))
    for key, (doc, path, item) in entities["methods"].items():
        cite(doc, path + ("based_on",), item.get("based_on"))
    problems += _check_summaries(entities, notes)
    if structures is not None:
        problems += _check_structures(entities["compounds"], structures)
    for kind, table in entities.items():
        for ident, (doc, path, _) in sorted(table.items()):
            if slug(ident) in RESERVED:
                problems.append(doc.problem(path + ("id",), "KB313", f"'{ident}' is a reserved name "
                                            "(it would replace its section's index page)"))
            if ident not in used[kind]:
                what = {"studies": "study", "sources": "source"}.get(kind, kind[:-1])
                by = "finding" if kind == "studies" else "claim"
                problems.append(doc.problem(path + ("id",), "KB306",
                                            f"{what} '{ident}' is not referred to by any {by}"))
    for ref in sorted(refs.values(), key=lambda r: r.line):
        if slug(ref.key) in RESERVED:
            problems.append(Problem(bib_path, ref.line, 1, "KB313", f"'{ref.key}' is a reserved name "
                                    "(it would replace the references index page)"))
        elif ref.key not in cited:
            problems.append(Problem(bib_path, ref.line, 1, "KB312", f"entry '{ref.key}' is cited by no "
                                    "claim, background note, study record, method or source note"))
    problems += _slug_collisions(path=bib_path, names=[(r.key, r.line) for r in refs.values()])
    return problems


def _check_summaries(entities: dict, notes: list) -> list[Problem]:
    """A compound's bottom line names a condition that findings about the compound concern."""
    pairs = {(c, d) for _, path, item in notes if path[0] == schema.CLAIM_FILE_KEY
             for _, c in _text_items(item.get("compounds")) for _, d in _text_items(item.get("conditions"))}
    out = []
    for ident, (doc, path, item) in sorted(entities["compounds"].items()):
        for j, s in enumerate(item.get("summaries") or []):
            cond = s.get("condition") if isinstance(s, dict) else None
            if not isinstance(cond, str):
                continue
            where = path + ("summaries", j, "condition")
            if cond not in entities["conditions"]:
                out.append(doc.problem(where, "KB303", f"no condition with id '{cond}'"
                                       f"{suggest(cond, entities['conditions'])}"))
            elif (ident, cond) not in pairs:
                out.append(doc.problem(where, "KB314", f"bottom line for '{ident}' and '{cond}', but no "
                                       "finding concerns both"))
    return out


STRUCTURES_DIR = "docs/assets/structures"
STRUCTURE_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\.svg")


def _check_structures(compounds: dict, structures: frozenset[str]) -> list[Problem]:
    """A compound's structure names an SVG file that exists in STRUCTURES_DIR."""
    out = []
    for ident, (doc, path, item) in sorted(compounds.items()):
        name = item.get("structure")
        if isinstance(name, str) and name.strip() and not (STRUCTURE_RE.fullmatch(name) and name in structures):
            hint = suggest(name, sorted(structures)) or (f" (did you mean '{ident}.svg'?)"
                                                         if f"{ident}.svg" in structures else "")
            out.append(doc.problem(path + ("structure",), "KB315", f"structure '{name}' of '{ident}' is "
                                   f"not an SVG file in {STRUCTURES_DIR}/{hint}"))
    return out


def _check_locator(doc: Doc, path: tuple, src, sources: dict, used: dict, listed: dict) -> list[Problem]:
    """A finding's source and the notes it gives. `listed`: each source's note numbers, read once
    per source (a source of the benchmark's lists a hundred, for a hundred findings)."""
    if not isinstance(src, dict) or not isinstance(src.get("ref"), str):
        return []
    used["sources"].add(src["ref"])
    if src["ref"] not in sources:
        return [doc.problem(path + ("source", "ref"), "KB305",
                            f"'{src['ref']}' is not declared in claims/entities/sources/"
                            f"{suggest(src['ref'], sources)}")]
    declared = sources[src["ref"]][2].get("notes")
    note = src.get("note")
    if isinstance(declared, list) and isinstance(note, str):
        numbers = listed.get(src["ref"])
        if numbers is None:
            numbers = listed[src["ref"]] = {n["note"] for n in declared if isinstance(n, dict)
                                            and isinstance(n.get("note"), str)}
        return [doc.problem(path + ("source", "note"), "KB311",
                            f"note '{n}' is not listed in the notes of source '{src['ref']}'")
                for n in note_numbers(note) if n not in numbers]
    return []


def note_numbers(note: str) -> list[str]:
    """A locator's note: one number, or several separated by commas ("3, 4")."""
    return [n for n in re.split(r"\s*,\s*", note.strip()) if n]


def study_types(study: dict) -> list[str]:
    """A study record's evidence types (one, or several for a paper with parts of different designs)."""
    v = study.get("evidence_type")
    return [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str)]


def _check_finding(doc: Doc, path: tuple, claim: dict, studies: dict, refs: dict,
                   used: dict) -> list[Problem]:
    """A finding stands on at least one study record, and its evidence type is one of theirs.
    (A citation missing from the bibliography is reported on its own, not again here.)"""
    keys = [k for _, k in _text_items(claim.get("citations")) if k in refs]
    backing = [k for k in keys if k in studies]
    used["studies"].update(backing)
    if keys and not backing:
        return [doc.problem(path + ("citations",), "KB308",
                            f"claim '{claim['id']}' cites no study with a study record "
                            f"({', '.join(keys)})")]
    types = sorted({t for k in backing for t in study_types(studies[k][2])})
    ev = claim.get("evidence_type")
    if backing and ev in schema.EVIDENCE_TYPES and types and ev not in types:
        return [doc.problem(path + ("evidence_type",), "KB307",
                            f"claim '{claim['id']}' is '{ev}' but its cited studies are "
                            f"{', '.join(repr(t) for t in types)}")]
    return []


def _text_items(value):
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _unique_ids(docs: list[Doc]) -> list[Problem]:
    """Ids are unique within their kind, also after case-folding (they become page names and
    anchors); findings and background notes share one namespace."""
    problems = []
    seen: dict[tuple[str | None, str], tuple[str, Doc, tuple]] = {}
    for doc in docs:
        kind = file_kind(doc)
        for key, i, item in records(doc):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            folded = (kind, slug(ident))
            if folded in seen:
                first, fdoc, fpath = seen[folded]
                line = fdoc.at(fpath + ("id",))[0]
                code, what = ("KB301", "is used twice") if first == ident else ("KB302", f"collides with '{first}'")
                problems.append(doc.problem((key, i, "id"), code,
                                            f"id '{ident}' {what} (first at {fdoc.path}:{line})"))
            else:
                seen[folded] = (ident, doc, (key, i))
    return problems


def _slug_collisions(path: str, names: list[tuple[str, int]]) -> list[Problem]:
    seen: dict[str, tuple[str, int]] = {}
    out = []
    for name, line in names:
        s = slug(name)
        if s in seen:
            out.append(Problem(path, line, 1, "KB302", f"key '{name}' collides with '{seen[s][0]}' "
                               f"(line {seen[s][1]}) once made a page name"))
        else:
            seen[s] = (name, line)
    return out
