"""Job 1: a synthetic but valid knowledge base in the project's own formats, at any size.

Every entity is used by the same number of claims at every size (claims are dealt out in turn),
so an entity's page holds the same amount of its own content whatever the corpus size.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

# One entity per this many claims (at least one of each, and never more entities than claims
# can refer to). Claim files: one per source article, CLAIMS_PER_SOURCE claims each.
RATIOS = {
    "compounds": 10,
    "mechanisms": 20,
    "conditions": 20,
    "methods": 50,
    "sources": 100,
    "studies": 5,  # cited studies in references.bib (the sources are entries there too)
}
CLAIMS_PER_SOURCE = RATIOS["sources"]
MAX_FILE_BYTES = 1_000_000  # kb.yamlload.MAX_BYTES: the engine refuses larger YAML files
LIMIT_BYTES = int(MAX_FILE_BYTES * 0.95)
EVIDENCE = ["human trial"] * 3 + ["animal"] * 7 + ["in vitro"] * 7 + ["anecdote"] * 3
EVIDENCE_ORDER = ["human trial", "animal", "in vitro", "anecdote"]
VERDICTS = ["supported", "overstated", "supported", "unverified", "contradicted"]
NOTES_PER_SOURCE = 40


class Words:
    """A deterministic made-up vocabulary, so the search index sees realistic word variety."""

    def __init__(self, rng: random.Random, size: int = 6000):
        syll = ["ba", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si",
                "to", "vu", "za", "bre", "cla", "dro", "fri", "glo", "pla", "tri", "ster",
                "mon", "vel", "dar", "quin", "sol", "ter", "lan", "rix", "tol", "ben", "cor"]
        seen: set[str] = set()
        while len(seen) < size:
            seen.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
        self.words = sorted(seen)
        self.common = ["the", "of", "in", "and", "with", "at", "a", "was", "rats", "mice",
                       "patients", "cells", "dose", "levels", "raised", "lowered", "receptor",
                       "serine", "glycine", "sarcosine", "NMDA", "response", "weeks"]
        self.rng = rng

    def text(self, n: int) -> str:
        r = self.rng
        out = [r.choice(self.common) if r.random() < 0.45 else r.choice(self.words) for _ in range(n)]
        out[0] = out[0].capitalize()
        return " ".join(out) + "."

    def name(self) -> str:
        return self.rng.choice(self.words).capitalize()


def counts_for(claims: int) -> dict[str, int]:
    return {k: max(1, claims // r) for k, r in RATIOS.items()}


def _cas(n: int) -> str:
    body = f"{100 + n:d}{n % 100:02d}"
    check = sum(int(d) * i for i, d in enumerate(reversed(body), 1)) % 10
    return f"{body[:-2]}-{body[-2:]}-{check}"


def _bib_value(s: str) -> str:
    return "{" + s + "}"


def generate_corpus(root: Path, n_claims: int, seed: int = 1) -> dict[str, Any]:
    """Write claims/, claims/entities/ and references.bib for n_claims claims under root.

    Every entity is used by the same number of claims at every size (claims are dealt out in
    turn), so an entity's page holds the same amount of its own content whatever the corpus size.
    """
    rng = random.Random(seed)
    w = Words(rng)
    notes: list[str] = []
    n = counts_for(n_claims)
    (root / "claims" / "entities").mkdir(parents=True, exist_ok=True)

    def ids(prefix: str, count: int) -> list[str]:
        return [f"{prefix}-{i:05d}" for i in range(count)]

    compounds, mechanisms = ids("cmp", n["compounds"]), ids("mech", n["mechanisms"])
    conditions, methods = ids("cond", n["conditions"]), ids("meth", n["methods"])
    sources = [f"source{i:05d}" for i in range(n["sources"])]
    studies = [f"study{i:06d}" for i in range(n["studies"])]

    bib: list[str] = []
    for i, key in enumerate(studies):
        authors = " and ".join(f"{w.name()}, {w.name()[0]}." for _ in range(1 + i % 4))
        fields = {"author": authors, "title": w.text(10).rstrip("."), "journal": f"Journal of {w.name()}",
                  "year": str(1980 + i % 45), "volume": str(1 + i % 60), "pages": f"{1 + i % 900}--{10 + i % 900}",
                  "doi": f"10.5555/kb-bench.{i}", "pmid": str(10_000_000 + i)}
        if i % 3 == 0:
            fields["verified"] = "Synthetic record for the scale benchmark."
        body = ",\n".join(f"  {k} = {_bib_value(v)}" for k, v in fields.items())
        bib.append(f"@article{{{key},\n{body}\n}}\n")
    for i, key in enumerate(sources):
        fields = {"title": f"Article {i}: {w.text(6).rstrip('.')}", "publisher": f"{w.name()} Press",
                  "year": str(2000 + i % 25), "url": f"https://example.org/articles/{i}"}
        body = ",\n".join(f"  {k} = {_bib_value(v)}" for k, v in fields.items())
        bib.append(f"@online{{{key},\n{body}\n}}\n")
    (root / "references.bib").write_text("\n".join(bib), encoding="utf-8")

    def q(s: str) -> str:
        return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar

    ent: dict[str, list[str]] = {}

    ent["compounds"] = ["compounds:"]
    for i, ident in enumerate(compounds):
        ent["compounds"] += [f"  - id: {ident}", f"    name: {q(w.name() + ' ' + str(i))}",
                             f"    synonyms: [{q(w.name().lower())}, {q(w.name().lower())}]",
                             f"    description: {q(w.text(25))}"]
        if i % 2 == 0:
            ent["compounds"] += ["    identifiers:", f"      pubchem_cid: \"{1000 + i}\"", f"      cas: \"{_cas(i)}\"",
                                 f"      chebi: \"CHEBI:{15000 + i}\""]
        if i % 3 == 0:
            ent["compounds"].append(f"    status: {q(w.text(15))}")
    ent["mechanisms"] = ["mechanisms:"]
    kinds = ["receptor", "transporter", "enzyme", "pathway"]
    for i, ident in enumerate(mechanisms):
        ent["mechanisms"] += [f"  - id: {ident}", f"    name: {q(w.name() + ' ' + kinds[i % 4] + ' ' + str(i))}",
                              f"    kind: {kinds[i % 4]}", f"    synonyms: [{q(w.name().upper()[:5])}]",
                              f"    description: {q(w.text(20))}"]
    ent["conditions"] = ["conditions:"]
    for i, ident in enumerate(conditions):
        ent["conditions"] += [f"  - id: {ident}", f"    name: {q(w.name() + ' syndrome ' + str(i))}",
                              f"    description: {q(w.text(20))}"]
    ent["methods"] = ["methods:"]
    for i, ident in enumerate(methods):
        ent["methods"] += [f"  - id: {ident}", f"    name: {q(w.name() + ' assay ' + str(i))}",
                           f"    description: {q(w.text(20))}", "    steps:",
                           *[f"      - {q(w.text(8))}" for _ in range(3)],
                           f"    limits: {q(w.text(12))}", f"    based_on: [{studies[i % len(studies)]}]"]
    ent["sources"] = ["sources:"]
    for s, ident in enumerate(sources):
        ent["sources"] += [f"  - id: {ident}", f"    kind: {q('Blog article')}", "    assessment:",
                           f"      - {q(w.text(30))}", f"      - {q(w.text(20))}", "    concerns:",
                           f"      - {q(w.text(15))}", "    notes:"]
        for k in range(1, NOTES_PER_SOURCE + 1):
            ref = studies[(s * NOTES_PER_SOURCE + k) % len(studies)]
            ent["sources"] += [f"      - note: \"{k}\"", f"        ref: {ref}", "        identification: identified",
                               f"        reason: {q(w.text(10))}"]

    def write_entities(name: str, lines: list[str]) -> None:
        text = "\n".join(lines) + "\n"
        if len(text.encode()) <= LIMIT_BYTES:
            (root / "claims" / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
            return
        # The engine refuses YAML files over 1 MB: a large entity list is split into a folder
        # claims/entities/<kind>/, which the engine reads as one list (as a curator would).
        folder = root / "claims" / "entities" / name
        folder.mkdir()
        entries: list[list[str]] = []
        for line in lines[1:]:
            if line.startswith("  - id:"):
                entries.append([])
            entries[-1].append(line)
        part: list[str] = []
        parts = 0
        for entry in entries + [None]:
            if entry is None or len("\n".join(part + entry).encode()) > LIMIT_BYTES:
                (folder / f"part-{parts:03d}.yaml").write_text(f"{name}:\n" + "\n".join(part) + "\n", encoding="utf-8")
                parts, part = parts + 1, []
            if entry is not None:
                part += entry
        notes.append(f"{name} split across {parts} files in claims/entities/{name}/ (1 MB per file)")

    turn = dict.fromkeys(("mechanisms", "conditions", "methods", "studies"), 0)

    def deal(kind: str, pool: list[str]) -> str:
        turn[kind] += 1
        return pool[(turn[kind] - 1) % len(pool)]

    files: dict[int, list[str]] = {}
    study_types: dict[str, set[str]] = {}  # the evidence types of the claims citing each study
    for i in range(n_claims):
        c1 = compounds[i % len(compounds)]
        cs = [c1]
        if i % 4 == 0 and len(compounds) > 1:
            c2 = compounds[(i // len(compounds) + i + 1) % len(compounds)]
            if c2 != c1:
                cs.append(c2)
        lines = [f"  - id: claim-{i:06d}-{w.words[i % len(w.words)]}",
                 f"    statement: {q(w.text(22 + i % 15))}",
                 f"    evidence_type: {EVIDENCE[i % len(EVIDENCE)]}",
                 f"    compounds: [{', '.join(cs)}]"]
        if i % 5 < 3:
            lines.append(f"    mechanisms: [{deal('mechanisms', mechanisms)}]")
        if i % 2 == 0:
            lines.append(f"    conditions: [{deal('conditions', conditions)}]")
        if i % 10 < 3:
            lines.append(f"    methods: [{deal('methods', methods)}]")
        cites = [deal("studies", studies)]
        if i % 3 == 0:
            cites.append(deal("studies", studies))
        lines.append(f"    citations: [{', '.join(dict.fromkeys(cites))}]")
        for key in cites:
            study_types.setdefault(key, set()).add(EVIDENCE[i % len(EVIDENCE)])
        src = i // CLAIMS_PER_SOURCE % len(sources)
        locator = q("Section " + str(i % 7 + 1))
        lines.append(f"    source: {{ref: {sources[src]}, locator: {locator}, note: \"{i % NOTES_PER_SOURCE + 1}\"}}")
        lines += [f"    article_says: {q(w.text(14))}", f"    verdict: {VERDICTS[i % len(VERDICTS)]}"]
        if i % 5 == 1:
            lines += ["    quantities:",
                      f"      - {{kind: dose, value: {1 + i % 30}, unit: mg/kg, of: {q(w.name())}}}"]
        elif i % 5 == 3:
            lines += ["    quantities:",
                      f"      - {{kind: concentration, value: [{1 + i % 9}, {10 + i % 90}], unit: µM}}",
                      f"      - {{kind: duration, value: {1 + i % 12}, unit: weeks}}"]
        if i % 10 == 7:
            lines.append(f"    caveat: {q(w.text(18))}")
        files.setdefault(src, []).append("\n".join(lines))
    for src, claims in files.items():
        head = f"# Synthetic claims curated from {sources[src]} (scale benchmark)\nclaims:\n"
        text = head + "\n\n".join(claims) + "\n"
        (root / "claims" / f"{sources[src]}.yaml").write_text(text, encoding="utf-8")

    # A study record for every cited study, of the evidence types of the claims citing it.
    ent["studies"] = ["studies:"]
    for j, key in enumerate(studies):
        if key not in study_types:
            continue
        types = [t for t in EVIDENCE_ORDER if t in study_types[key]]
        ent["studies"] += [f"  - id: {key}", f"    evidence_type: [{', '.join(types)}]"]
        if j % 2 == 0:
            ent["studies"] += [f"    design: {q(w.text(6))}", f"    population: {q(w.text(5))}",
                               f"    n: {10 + j % 200}", f"    duration: {q(str(1 + j % 12) + ' weeks')}"]
        ent["studies"] += [f"    result: {q(w.text(25))}",
                           f"    seen_in: {q('Synthetic record for the scale benchmark.')}"]
    for name, lines in ent.items():
        write_entities(name, lines)
    return {"claims": n_claims, **n, "claim_files": len(files), **({"notes": notes} if notes else {})}


def insert_token(text: str, token: str) -> str:
    """Put token at the start of the first claim's statement, however the statement is written."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"(\s*statement:\s*)(.*)$", line)
        if not m:
            continue
        value = m.group(2)
        if value.startswith((">", "|")):
            nxt = lines[i + 1]
            indent = len(nxt) - len(nxt.lstrip())
            lines[i + 1] = nxt[:indent] + token + " " + nxt[indent:]
        elif value[:1] in "\"'":
            lines[i] = m.group(1) + value[0] + token + " " + value[1:]
        else:
            lines[i] = m.group(1) + token + " " + value
        return "\n".join(lines)
    raise SystemExit("bench: no statement to edit")
