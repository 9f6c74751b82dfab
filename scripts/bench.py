#!/usr/bin/env python3
"""Scale benchmark: synthetic knowledge bases of growing size, built with the real hook.

For each size, a temp dir gets a synthetic but valid corpus in the project's own formats
(claims/*.yaml, claims/entities/*.yaml, references.bib) plus copies of mkdocs.yml, overrides/,
docs/about.md, docs/assets/ and scripts/mkdocs_hooks.py, and is built three ways:

1. `mkdocs build --strict` with the real hook (validation + generation + MkDocs), timed from
   outside; a small timing hook added next to the real one times the engine's phases;
2. `mkdocs build --strict` with the hooks removed, over the docs/ that build generated: MkDocs
   (and Material) alone, the base of the overhead ratio;
3. the built site/ is measured: pages, sizes, the search index.

    python scripts/bench.py                   # 1,000, 10,000 and 50,000 claims + serve + search
    python scripts/bench.py --claims 10000    # one size (repeat --claims for several)
    python scripts/bench.py --claims 200 --quick   # smoke test: one build, no MkDocs-alone build

`--serve` measures how long an edited claim takes to show under `mkdocs serve` on the real
corpus; `--search` times Material's lunr index in node (needs node and npm). The default run
(no --claims) does both. The last line of every run holds the largest size's results as
key=value pairs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = [1_000, 10_000, 50_000]

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
INDEX_PAGES = re.compile(r"(^|/)index\.html$|^evidence-map\.html$|^evidence-types\.html$|^404\.html$")

TIMER_HOOK = '''\
"""Benchmark only: times the engine's phases inside the real hook's on_pre_build."""
import json, os, time
from kb import build

_times = {"check": 0.0, "render": 0.0, "write": 0.0}
_marks = {}


def _timed(name):
    inner = getattr(build, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _times[name] += time.perf_counter() - t0
    wrapper.__wrapped_kb__ = True
    return wrapper


if not getattr(build.check, "__wrapped_kb__", False):
    for _name in _times:
        setattr(build, _name, _timed(_name))


def on_startup(command, dirty):
    _marks["startup"] = time.perf_counter()


def on_shutdown():
    _marks["shutdown"] = time.perf_counter()
    with open(os.environ["KB_BENCH_TIMES"], "w") as fh:
        json.dump({**_times, **_marks}, fh)
'''


# ---- synthetic corpus ---------------------------------------------------------------------------

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


def generate_corpus(root: Path, n_claims: int, seed: int = 1) -> dict[str, int]:
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
    for i, ident in enumerate(sources):
        ent["sources"] += [f"  - id: {ident}", f"    kind: {q('Blog article')}", "    assessment:",
                           f"      - {q(w.text(30))}", f"      - {q(w.text(20))}", "    concerns:",
                           f"      - {q(w.text(15))}"]
    for name, lines in ent.items():
        text = "\n".join(lines) + "\n"
        if len(text.encode()) <= LIMIT_BYTES:
            (root / "claims" / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
            continue
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

    turn = {k: 0 for k in ("mechanisms", "conditions", "methods", "studies")}

    def deal(kind: str, pool: list[str]) -> str:
        turn[kind] += 1
        return pool[(turn[kind] - 1) % len(pool)]

    files: dict[int, list[str]] = {}
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
        src = i // CLAIMS_PER_SOURCE % len(sources)
        lines.append(f"    source: {{ref: {sources[src]}, locator: {q('Section ' + str(i % 7 + 1))}, note: \"{i % 40 + 1}\"}}")
        if i % 5 == 1:
            lines += ["    quantities:", f"      - {{kind: dose, value: {1 + i % 30}, unit: mg/kg, of: {q(w.name())}}}"]
        elif i % 5 == 3:
            lines += ["    quantities:", f"      - {{kind: concentration, value: [{1 + i % 9}, {10 + i % 90}], unit: µM}}",
                      f"      - {{kind: duration, value: {1 + i % 12}, unit: weeks}}"]
        if i % 10 == 7:
            lines.append(f"    caveat: {q(w.text(18))}")
        files.setdefault(src, []).append("\n".join(lines))
    for src, claims in files.items():
        text = f"# Synthetic claims curated from {sources[src]} (scale benchmark)\nclaims:\n" + "\n\n".join(claims) + "\n"
        (root / "claims" / f"{sources[src]}.yaml").write_text(text, encoding="utf-8")
    return {"claims": n_claims, **n, "claim_files": len(files), **({"notes": notes} if notes else {})}


# ---- the site folder ----------------------------------------------------------------------------

def site_skeleton(root: Path, hooks: str = "real") -> None:
    """Copy what MkDocs needs from the repository; hooks: real | timed | none."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "scripts").mkdir(exist_ok=True)
    shutil.copytree(REPO / "overrides", root / "overrides", dirs_exist_ok=True)
    shutil.copytree(REPO / "docs" / "assets", root / "docs" / "assets", dirs_exist_ok=True)
    shutil.copy2(REPO / "docs" / "about.md", root / "docs" / "about.md")
    shutil.copy2(REPO / "scripts" / "mkdocs_hooks.py", root / "scripts" / "mkdocs_hooks.py")
    write_config(root, hooks)


def write_config(root: Path, hooks: str, name: str = "mkdocs.yml") -> Path:
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    block = re.search(r"^hooks:\n(?:  - .*\n)+", text, re.M)
    if block is None:
        raise SystemExit("bench: mkdocs.yml has no hooks: block to adapt")
    if hooks == "none":
        text = text.replace(block.group(0), "")
    elif hooks == "timed":
        (root / "bench_timer_hook.py").write_text(TIMER_HOOK, encoding="utf-8")
        text = text.replace(block.group(0), block.group(0) + "  - bench_timer_hook.py\n")
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def run_measured(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run cmd; return wall seconds, the child's peak RSS in MB, and its output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss / 1024, subprocess.CompletedProcess(cmd, proc.returncode, out.decode("utf-8", "replace"))


def mkdocs_env(extra: dict | None = None) -> dict:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(extra or {})
    return env


def site_stats(site: Path) -> dict:
    pages, total = [], 0
    for p in site.rglob("*"):
        if p.is_file():
            size = p.stat().st_size
            total += size
            if p.suffix == ".html":
                pages.append((size, p.relative_to(site).as_posix()))
    non_index = [x for x in pages if not INDEX_PAGES.search(x[1])]
    index = [x for x in pages if INDEX_PAGES.search(x[1])]
    search = site / "search" / "search_index.json"
    return {
        "pages": len(pages), "site_mb": total / 1e6,
        "largest_page": max(non_index, default=(0, "")),
        "largest_index_page": max(index, default=(0, "")),
        "median_page_kb": statistics.median(s for s, _ in pages) / 1e3 if pages else 0.0,
        "search_mb": search.stat().st_size / 1e6 if search.exists() else 0.0,
        "search_docs": len(json.loads(search.read_text(encoding="utf-8"))["docs"]) if search.exists() else 0,
    }


def bench_size(n_claims: int, work: Path, quick: bool, log) -> dict:
    root = work / f"kb-{n_claims}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    counts = generate_corpus(root, n_claims)
    corpus_s = time.perf_counter() - t0
    site_skeleton(root, hooks="timed")
    times_file = root / "bench_times.json"
    log(f"[{n_claims}] corpus written in {corpus_s:.1f}s: {counts}; building with the real hook ...")
    wall, peak, res = run_measured([sys.executable, "-m", "mkdocs", "build", "--strict"], root,
                                   mkdocs_env({"KB_BENCH_TIMES": str(times_file)}))
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-5000:])
        raise SystemExit(f"bench: mkdocs build --strict failed at {n_claims} claims")
    t = json.loads(times_file.read_text())
    row = {"claims": n_claims, "counts": counts, "validate_s": t["check"],
           "generate_s": t["render"] + t["write"], "total_s": wall, "peak_mb": peak}
    row["mkdocs_s"] = wall - row["validate_s"] - row["generate_s"]  # MkDocs + theme + hook's CSP
    row.update(site_stats(root / "site"))
    log(f"[{n_claims}] full build {wall:.1f}s (validate {row['validate_s']:.1f}s, generate "
        f"{row['generate_s']:.1f}s), peak {peak:.0f} MB, {row['pages']} pages")
    if quick:
        row["alone_s"] = row["mkdocs_s"]
        row["alone_peak_mb"] = peak
    else:
        # MkDocs alone over the generated docs/: no hooks, so no validation, generation or CSP.
        cfg = write_config(root, "none", "mkdocs-alone.yml")
        alone, alone_peak, res = run_measured(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", cfg.name, "-d", "site-alone"],
            root, mkdocs_env())
        if res.returncode != 0:
            sys.stderr.write(res.stdout[-5000:])
            raise SystemExit(f"bench: MkDocs-alone build failed at {n_claims} claims")
        row["alone_s"], row["alone_peak_mb"] = alone, alone_peak
        log(f"[{n_claims}] MkDocs alone {alone:.1f}s, peak {alone_peak:.0f} MB")
    row["overhead"] = (row["validate_s"] + row["generate_s"]) / row["alone_s"] if row["alone_s"] else 0.0
    row["root"] = str(root)
    return row


# ---- mkdocs serve -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8", "replace")
    except OSError:
        return None


def bench_serve(work: Path, log, corpus: Path | None = None, timeout: float = 600) -> dict:
    """Seconds from saving an edited claim to the served page showing it, under `mkdocs serve`.

    corpus: a folder holding claims/ and references.bib (default: the repository's real corpus).
    """
    import yaml

    root = work / "serve"
    shutil.rmtree(root, ignore_errors=True)
    src = corpus or REPO
    shutil.copytree(src / "claims", root / "claims")
    shutil.copy2(src / "references.bib", root / "references.bib")
    site_skeleton(root, hooks="real")
    claim_file = sorted(p for p in (root / "claims").glob("*.yaml"))[0]
    first = yaml.safe_load(claim_file.read_text(encoding="utf-8"))["claims"][0]
    page = f"compounds/{first['compounds'][0]}.html"
    port = free_port()
    url = f"http://127.0.0.1:{port}/{page}"
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                            cwd=root, env=mkdocs_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.perf_counter()
        while fetch(url) is None:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout:
                raise SystemExit("bench: mkdocs serve did not come up")
            time.sleep(0.1)
        startup = time.perf_counter() - t0
        time.sleep(1.0)  # let the watcher settle
        results = []
        for k in range(3):
            token = f"Benchedit{k}x{int(time.time())}"
            text = claim_file.read_text(encoding="utf-8")
            claim_file.write_text(_insert_token(text, token), encoding="utf-8")
            t0 = time.perf_counter()
            while token not in (fetch(url) or ""):
                if time.perf_counter() - t0 > timeout:
                    raise SystemExit("bench: the edit never showed under mkdocs serve")
                time.sleep(0.05)
            results.append(time.perf_counter() - t0)
            time.sleep(1.0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    claims = sum(len(yaml.safe_load(p.read_text(encoding="utf-8"))["claims"]) for p in (root / "claims").glob("*.yaml"))
    log(f"[serve] {claims} claims: first page after {startup:.1f}s; edit shown after "
        + ", ".join(f"{r:.2f}s" for r in results))
    return {"claims": claims, "startup_s": startup, "reload_s": results, "page": page}


def _insert_token(text: str, token: str) -> str:
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


# ---- search -------------------------------------------------------------------------------------

SEARCH_JS = r"""
// Material for MkDocs' search worker, reduced to what costs time: parse search_index.json,
// build the lunr index with the same fields, boosts, separator and pipeline, then query it.
const fs = require("fs");
const lunr = require("lunr");
const t0 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
const raw = fs.readFileSync(process.argv[2], "utf8");
const t1 = process.hrtime.bigint();
const data = JSON.parse(raw);
const t2 = process.hrtime.bigint();
lunr.tokenizer.separator = new RegExp(data.config.separator);
const index = lunr(function () {
  this.pipeline.reset();
  for (const name of data.config.pipeline) this.pipeline.add(lunr[name]);
  this.searchPipeline.reset();
  this.ref("location");
  this.field("title", { boost: 1e3 });
  this.field("text");
  this.field("tags", { boost: 1e6, extractor: (doc) => (doc.tags || []).join(" ") });
  for (const doc of data.docs) this.add(doc);
});
const t3 = process.hrtime.bigint();
const queries = JSON.parse(process.argv[3]);
const times = [], hits = [];
for (const q of queries) {
  const a = process.hrtime.bigint();
  const r = index.search(q);
  times.push(ms(a, process.hrtime.bigint()));
  hits.push(r.length);
}
const serialized = JSON.stringify(index).length;
console.log(JSON.stringify({ read_ms: ms(t0, t1), parse_ms: ms(t1, t2), index_ms: ms(t2, t3),
  query_ms: times, hits, docs: data.docs.length, heap_mb: process.memoryUsage().heapUsed / 1e6,
  serialized_index_mb: serialized / 1e6 }));
"""


def bench_search(site: Path, work: Path, log) -> dict | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        log("[search] node/npm not found; search timing skipped")
        return None
    lunr_dir = Path(tempfile.gettempdir()) / "kb-bench-lunr"
    if not (lunr_dir / "node_modules" / "lunr").exists():
        lunr_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "lunr@2.3.9"],
                       cwd=lunr_dir, check=True, stdout=subprocess.DEVNULL)
    script = lunr_dir / "search_bench.js"
    script.write_text(SEARCH_JS, encoding="utf-8")
    queries = ["glycine", "sarcosine receptor", "serin*", "mice dose weeks", "zzzznothing"]
    res = subprocess.run([node, "--max-old-space-size=16000", str(script),
                          str(site / "search" / "search_index.json"), json.dumps(queries)],
                         cwd=lunr_dir, capture_output=True, text=True)
    if res.returncode != 0:
        log(f"[search] node failed: {res.stderr[-2000:]}")
        return None
    out = json.loads(res.stdout)
    out["queries"] = queries
    log(f"[search] {out['docs']} docs: parse {out['parse_ms']:.0f} ms, lunr index build "
        f"{out['index_ms'] / 1000:.1f} s, queries " + ", ".join(f"{q!r} {t:.0f} ms ({h} hits)"
        for q, t, h in zip(queries, out['query_ms'], out['hits'])))
    return out


# ---- report -------------------------------------------------------------------------------------

COLUMNS = [("claims", "claims", "{:,}"), ("validate s", "validate_s", "{:.2f}"),
           ("generate s", "generate_s", "{:.2f}"), ("MkDocs s", "mkdocs_s", "{:.1f}"),
           ("total s", "total_s", "{:.1f}"), ("MkDocs alone s", "alone_s", "{:.1f}"),
           ("overhead", "overhead", "{:.1%}"), ("peak MB", "peak_mb", "{:,.0f}"),
           ("pages", "pages", "{:,}"), ("site MB", "site_mb", "{:.1f}"),
           ("largest page KB", "largest_kb", "{:.1f}"), ("largest index KB", "largest_index_kb", "{:,.1f}"),
           ("median page KB", "median_page_kb", "{:.1f}"), ("search index MB", "search_mb", "{:.1f}")]


def table(rows: list[dict]) -> str:
    for r in rows:
        r["largest_kb"] = r["largest_page"][0] / 1e3
        r["largest_index_kb"] = r["largest_index_page"][0] / 1e3
    cells = [[fmt.format(r[key]) for _, key, fmt in COLUMNS] for r in rows]
    head = "| " + " | ".join(h for h, _, _ in COLUMNS) + " |"
    rule = "| " + " | ".join("---:" for _ in COLUMNS) + " |"
    return "\n".join([head, rule] + ["| " + " | ".join(c) + " |" for c in cells])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, action="append", help="corpus size (repeatable); default 1000, 10000, 50000")
    ap.add_argument("--quick", action="store_true", help="skip the MkDocs-alone build (overhead then uses the in-build MkDocs time)")
    ap.add_argument("--serve", action="store_true", help="measure an edit under mkdocs serve on the real corpus")
    ap.add_argument("--search", action="store_true", help="time lunr over the largest size's search index (node)")
    ap.add_argument("--work", type=Path, help="where to build (default: a temp dir, removed unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the built corpora")
    args = ap.parse_args(argv)
    sizes = sorted(set(args.claims or DEFAULT_SIZES))
    full = args.claims is None
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    log("ratios: one per N claims: " + ", ".join(f"{k} 1/{v}" for k, v in RATIOS.items())
        + f"; {CLAIMS_PER_SOURCE} claims per claim file (one file per source article)")
    log(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, work dir {work}")
    rows, serve, search = [], None, None
    try:
        for n in sizes:
            rows.append(bench_size(n, work, args.quick, log))
        if args.serve or full:
            serve = bench_serve(work, log)
        if args.search or full:
            search = bench_search(Path(rows[-1]["root"]) / "site", work, log)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    log("")
    log(table(rows))
    log("")
    for r in rows:
        log(f"{r['claims']:,} claims: {r['counts']}; largest page {r['largest_page'][1]} "
            f"({r['largest_kb']:.1f} KB), largest index page {r['largest_index_page'][1]} "
            f"({r['largest_index_kb']:,.1f} KB), {r['search_docs']:,} search entries")
    by_n = {r["claims"]: r for r in rows}
    checks = []
    if 10_000 in by_n:
        r = by_n[10_000]
        checks.append(f"10,000 claims build in {r['total_s']:.1f}s (target < 20s): {'holds' if r['total_s'] < 20 else 'MISSES'}")
    for r in rows:
        checks.append(f"{r['claims']:,} claims: validation+generation = {r['overhead']:.1%} of MkDocs alone "
                      f"(target < 15%): {'holds' if r['overhead'] < 0.15 else 'MISSES'}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = b["largest_kb"] / a["largest_kb"] - 1
        checks.append(f"largest non-index page {a['largest_kb']:.1f} KB at {a['claims']:,} -> {b['largest_kb']:.1f} KB "
                      f"at {b['claims']:,} ({growth:+.1%}; target within 10%): {'holds' if abs(growth) <= 0.10 else 'MISSES'}")
    if 10_000 in by_n and 50_000 in by_n:
        g = by_n[50_000]["total_s"] / by_n[10_000]["total_s"]
        checks.append(f"time 10,000 -> 50,000 claims grows {g:.2f}x (target <= 5.5x): {'holds' if g <= 5.5 else 'MISSES'}")
    if serve:
        worst = max(serve["reload_s"])
        checks.append(f"mkdocs serve, real corpus ({serve['claims']} claims): edit shown after {worst:.2f}s at worst "
                      f"(target < 2s): {'holds' if worst < 2 else 'MISSES'}")
    if search:
        checks.append(f"search at {rows[-1]['claims']:,} claims: search_index.json {rows[-1]['search_mb']:.1f} MB, "
                      f"lunr index build {search['index_ms'] / 1000:.1f}s in node, slowest query "
                      f"{max(search['query_ms']):.0f} ms")
    for c in checks:
        log(c)
    last = rows[-1]
    pairs = {"claims": last["claims"], "total_s": f"{last['total_s']:.2f}", "overhead": f"{last['overhead']:.4f}",
             "validate_s": f"{last['validate_s']:.2f}", "generate_s": f"{last['generate_s']:.2f}",
             "mkdocs_s": f"{last['mkdocs_s']:.2f}", "alone_s": f"{last['alone_s']:.2f}",
             "peak_mb": f"{last['peak_mb']:.0f}", "pages": last["pages"],
             "largest_page_kb": f"{last['largest_kb']:.1f}", "largest_index_kb": f"{last['largest_index_kb']:.1f}",
             "median_page_kb": f"{last['median_page_kb']:.1f}", "search_mb": f"{last['search_mb']:.2f}"}
    if serve:
        pairs["serve_reload_s"] = f"{max(serve['reload_s']):.2f}"
    if search:
        pairs["search_index_s"] = f"{search['index_ms'] / 1000:.2f}"
        pairs["search_query_ms"] = f"{max(search['query_ms']):.1f}"
    log(" ".join(f"{k}={v}" for k, v in pairs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
