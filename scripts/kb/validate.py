"""Pure checks over loaded files: per-file shape and types first, then cross-file references."""
from __future__ import annotations

import difflib
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


def check_file(doc: Doc) -> list[Problem]:
    kind = file_kind(doc)
    if kind is None:
        names = ", ".join(f"{n}.yaml" for n in schema.ENTITY_FILES)
        return [doc.problem((), "KB201", f"unknown entity file; entity files are {names} "
                            "(or files in a folder of one of those names)")]
    record = schema.RECORDS[schema.ENTITY_FILES.get(kind, "claim")]
    data = doc.data
    if not isinstance(data, dict) or kind not in data:
        return [doc.problem((), "KB201", f"the file must be a mapping with one key '{kind}:' "
                            f"holding a list of {record.name}s")]
    problems = [doc.problem((k,), "KB203", f"unknown top-level key '{k}'{suggest(k, [kind])}", key=True)
                for k in data if k != kind]
    items = data[kind]
    if not isinstance(items, list):
        return problems + [doc.problem((kind,), "KB204", f"'{kind}' must be a list of {record.name}s")]
    for i, item in enumerate(items):
        problems += check_record(doc, (kind, i), item, record)
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
    return problems


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
        out = []
        for i, item in enumerate(v):
            if not _is_text(item):
                out.append(doc.problem(path + (i,), "KB204", f"items of '{f.name}' must be text, "
                                       f"not {_describe(item)}"))
            elif not item.strip():
                out.append(doc.problem(path + (i,), "KB205", f"an item of '{f.name}' is empty"))
        return out
    if base == "enum":
        allowed = schema.ENUMS[arg]
        if not _is_text(v):
            return wrong()
        if v not in allowed:
            code = "KB206" if arg == "evidence_type" else "KB209"
            hint = suggest(v, allowed) or f" (allowed: {', '.join(allowed)})"
            return [doc.problem(path, code, f"'{v}' is not a valid {f.name}{hint}")]
        return []
    if base == "numbers":
        items = v if isinstance(v, list) else [v]
        if not items or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
            return wrong()
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

def check_corpus(docs: list[Doc], refs: dict[str, Reference], bib_path: str) -> list[Problem]:
    """References between files: unique ids, existing entities, known citations and sources."""
    problems: list[Problem] = []
    entities: dict[str, dict[str, tuple[Doc, tuple]]] = {k: {} for k in schema.ENTITY_FILES}
    claims: list[tuple[Doc, tuple, dict]] = []
    for doc in docs:
        kind = file_kind(doc)
        items = doc.data.get(kind) if isinstance(doc.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if kind == schema.CLAIM_FILE_KEY:
                claims.append((doc, (kind, i), item))
            else:
                entities[kind].setdefault(item["id"], (doc, (kind, i)))
    problems += _unique_ids(docs)
    used: dict[str, set[str]] = {k: set() for k in entities}
    sources = entities["sources"]
    for doc, path, claim in claims:
        for field_name, kind in (("compounds", "compounds"), ("mechanisms", "mechanisms"),
                                 ("conditions", "conditions"), ("methods", "methods")):
            for j, ident in _text_items(claim.get(field_name)):
                used[kind].add(ident)
                if ident not in entities[kind]:
                    problems.append(doc.problem(path + (field_name, j), "KB303",
                                                f"no {kind[:-1]} with id '{ident}'{suggest(ident, entities[kind])}"))
        for j, key in _text_items(claim.get("citations")):
            if key not in refs:
                problems.append(doc.problem(path + ("citations", j), "KB304",
                                            f"citation '{key}' is not in {bib_path}{suggest(key, refs)}"))
        src = claim.get("source")
        if isinstance(src, dict) and isinstance(src.get("ref"), str):
            used["sources"].add(src["ref"])
            if src["ref"] not in sources:
                problems.append(doc.problem(path + ("source", "ref"), "KB305",
                                            f"'{src['ref']}' is not declared in claims/entities/sources.yaml"
                                            f"{suggest(src['ref'], sources)}"))
    for key, (doc, path) in sources.items():
        if key not in refs:
            problems.append(doc.problem(path + ("id",), "KB304", f"source '{key}' is not in {bib_path}"))
    for key, (doc, path) in entities["methods"].items():
        for j, ref in _text_items(doc.data["methods"][path[1]].get("based_on")):
            if ref not in refs:
                problems.append(doc.problem(path + ("based_on", j), "KB304",
                                            f"'{ref}' is not in {bib_path}{suggest(ref, refs)}"))
    for kind, table in entities.items():
        for ident, (doc, path) in sorted(table.items()):
            if ident not in used[kind]:
                problems.append(doc.problem(path + ("id",), "KB306",
                                            f"{kind[:-1]} '{ident}' is not referred to by any claim"))
    problems += _slug_collisions(path=bib_path, names=[(r.key, r.line) for r in refs.values()])
    return problems


def _text_items(value):
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _unique_ids(docs: list[Doc]) -> list[Problem]:
    """Ids are unique within their kind, also after case-folding (they become page names)."""
    problems = []
    seen: dict[tuple[str, str], tuple[str, Doc, tuple]] = {}
    for doc in docs:
        kind = file_kind(doc)
        items = doc.data.get(kind) if isinstance(doc.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            folded = (kind, slug(ident))
            if folded in seen:
                first, fdoc, fpath = seen[folded]
                line = fdoc.at(fpath + ("id",))[0]
                code, what = ("KB301", "is used twice") if first == ident else ("KB302", f"collides with '{first}'")
                problems.append(doc.problem((kind, i, "id"), code,
                                            f"id '{ident}' {what} (first at {fdoc.path}:{line})"))
            else:
                seen[folded] = (ident, doc, (kind, i))
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
