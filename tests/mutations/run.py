"""Mutation check: break each promise on purpose and show that the test suite turns red.

Each mutation changes one piece of text in one file (or only the environment) of a temporary copy
of the repository, runs the tests that guard that promise there, and reports:

    RED     the suite failed: the promise is tested
    GREEN   the suite passed: nothing notices the broken promise (the script exits 1)
    MISSING the text to change was not found (the code moved: update the mutation; exits 1)
    BROKEN  the guarding tests fail even without the mutation (fix them first; exits 1)

Not part of the default test run (pytest collects only test_*.py files). Usage:

    .venv/bin/python tests/mutations/run.py             # every mutation
    .venv/bin/python tests/mutations/run.py -k alias    # those whose name contains "alias"
    .venv/bin/python tests/mutations/run.py --list

To add one, append a Mutation to MUTATIONS: a name, the file, the exact text to replace (it must
occur exactly once), its replacement, and the pytest arguments that select the guarding tests.
Every run has CI set (a missing tool fails instead of skipping), and every run but the browser
tests' is capped at 3 GB of memory, so that a mutation that lets a file expand without bound ends
in a red MemoryError instead of taking the machine's memory.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMORY_CAP = 3 << 30
TIMEOUT = 900  # seconds per mutation


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str | None  # None: only the environment changes
    old: str
    new: str
    tests: list[str]
    env: dict[str, str] = field(default_factory=dict)


V = "tests/test_validation.py"
H = "tests/test_hostile.py"
S = "tests/test_site.py"
B = "tests/browser"
BR = "tests/browser/test_browser_reader.py"
BS = "tests/browser/test_browser_search.py"

_SPECIAL = r'''_SPECIAL = set("\\`*_{}[]()#+-.!|<>&:~^=\"'$@%/;")'''
_IN_SOURCE = {"\\": "\\\\", '"': '\\"'}  # how a character is spelled inside that string literal


def unescape(ch: str) -> Mutation:
    spelled = _IN_SOURCE.get(ch, ch)
    return Mutation(f"text.py no longer escapes {ch!r}", "scripts/kb/text.py", _SPECIAL,
                    _SPECIAL.replace(spelled, "", 1),
                    [H, "-k", "markdown or round_trips or escaped"])


MUTATIONS: list[Mutation] = [
    # ---- what is accepted (issue 11: "Holes in what is accepted") ----------------------------
    Mutation("an id or key 'index' is no longer reserved", "scripts/kb/validate.py",
             'RESERVED = {"index"}', "RESERVED: set[str] = set()", [V, "-k", "KB313"]),
    Mutation("an empty required list validates", "scripts/kb/validate.py",
             "if f.required and not v:", "if False:", [V, "-k", "KB211"]),
    Mutation("the JSON Schema drops minItems", "scripts/kb/schema.py",
             '= {"minItems": 1} if f.required else {}', "= {}", ["tests/test_schema_agreement.py"]),
    Mutation("a .nan or .inf quantity validates", "scripts/kb/validate.py",
             "if not all(math.isfinite(x) for x in items):", "if False:", [V, "-k", "KB212"]),
    Mutation("JSON exports may write NaN", "scripts/kb/render.py",
             "allow_nan=False", "allow_nan=True", [H, "-k", "nan"]),
    Mutation("explicit YAML tags pass again", "scripts/kb/yamlload.py",
             "        if node.tag in allowed:\n", "        if True:\n", [V, "-k", "KB108"]),
    Mutation("a file that fails to load brings cross-file warnings again", "scripts/kb/build.py",
             "    if not unreadable:\n", "    if True:\n", [V, "-k", "fails_to_load"]),
    Mutation("errors no longer print before warnings", "scripts/kb/problems.py",
             "shown = sorted(self.problems, key=lambda p: p.severity != ERROR)", "shown = self.problems",
             [V, "-k", "errors_before_warnings"]),
    Mutation("references.bib has no size limit", "scripts/kb/build.py",
             "    if size > BIB_MAX_BYTES:\n", "    if False:\n", [V, "-k", "too_large or sizes"]),
    Mutation("claim files are read whole before their size is checked", "scripts/kb/build.py",
             "size_problem(rel, path.stat().st_size)", "size_problem(rel, len(path.read_bytes()))",
             [V, "-k", "sizes"]),
    Mutation("references.bib is read whole before its size is checked", "scripts/kb/build.py",
             "    size = bib_path.stat().st_size\n", "    size = len(bib_path.read_bytes())\n",
             [V, "-k", "sizes"]),
    Mutation("no warning for bib entries nothing cites", "scripts/kb/validate.py",
             "        elif ref.key not in cited:\n", "        elif False:\n", [V, "-k", "KB312"]),
    Mutation("LaTeX in BibTeX fields is no longer decoded", "scripts/kb/bib.py",
             "SplitNameParts(), _DecodeLatex()):", "SplitNameParts()):", [H, "-k", "latex"]),
    Mutation("CSV cells are not neutralised against formulas", "scripts/kb/render.py",
             "if text.startswith(FORMULA_START) else text", "if False else text",
             [H, "-k", "csv"]),
    # ---- the evidence model (issue 9): every badge stands on a study record --------------------
    Mutation("a finding with no study record validates", "scripts/kb/validate.py",
             "    if keys and not backing:", "    if False:", [V, "-k", "KB308"]),
    Mutation("a finding's type need not be its studies' type", "scripts/kb/validate.py",
             "    if backing and ev in schema.EVIDENCE_TYPES and types and ev not in types:", "    if False:",
             [V, "-k", "KB307"]),
    Mutation("a background note wears an evidence badge", "scripts/kb/templates/_macros.j2",
             '<p class="kb-note__statement">{% if b.verdict %}',
             '<p class="kb-note__statement">{{ badge("animal") }}{% if b.verdict %}', ["tests/test_evidence.py"]),
    Mutation("a finding shows no verdict chip", "scripts/kb/templates/_macros.j2",
             "{{ badge(c.evidence_type) }} {{ verdict_chip(c.verdict) }}", "{{ badge(c.evidence_type) }}", ["tests/test_evidence.py"]),
    Mutation("a count line counts one too many", "scripts/kb/templates/_macros.j2",
             "<strong>{{ n }}</strong>{% if not loop.last %} · ", "<strong>{{ n + 1 }}</strong>{% if not loop.last %} · ",
             ["tests/test_evidence.py"]),
    Mutation("an evidence-map cell counts one too many", "scripts/kb/templates/evidence_map.html.j2",
             '<span class="kb-map-entry__n">{{ n }}</span>', '<span class="kb-map-entry__n">{{ n + 1 }}</span>',
             ["tests/test_evidence.py"]),
    Mutation("the bottom line names the weakest design as the strongest", "scripts/kb/render.py",
             '"strongest": counts[0][0]', '"strongest": counts[-1][0]', ["tests/test_evidence.py"]),
    # ---- a failed build leaves site/ and docs/ alone --------------------------------------
    Mutation("a build failing inside MkDocs still publishes site/", "scripts/kb/plugin.py",
             "            return  # MkDocs aborts next: site/ stays as it was\n", "            pass\n",
             ["tests/test_plugin.py", "-k", "failing_inside_mkdocs"]),
    Mutation("no staging folder: MkDocs builds straight into site/", "scripts/kb/plugin.py",
             "            config.site_dir = str(final.with_name(final.name + STAGING_SUFFIX))\n", "",
             ["tests/test_plugin.py", "-k", "failing_inside_mkdocs"]),
    # ---- tests that could not fail ------------------------------------------------------------
    Mutation("the disclaimer is empty (extra.disclaimer: \"\")", "mkdocs.yml",
             "  disclaimer: >-\n", '  disclaimer: ""\n  disclaimer_was: >-\n', [S, "-k", "disclaimer"]),
    Mutation("the disclaimer is hidden by CSS", "docs/assets/kb.css",
             ".research-only { margin-top: 0; }", ".research-only { margin-top: 0; display: none; }",
             [B, "-k", "disclaimer"]),
    Mutation("the disclaimer is hidden on phones only", "docs/assets/kb.css",
             ".research-only { margin-top: 0; }",
             ".research-only { margin-top: 0; }\n@media (max-width: 600px) { .research-only { display: none; } }",
             [B, "-k", "disclaimer"]),
    *[unescape(ch) for ch in "*`\\#+!~^$%"],
    Mutation("the YAML alias refusal is removed (a 548-byte alias bomb)", "scripts/kb/yamlload.py",
             "        if aliases:  # refused", "        if False:  # refused", [V, "-k", "alias"]),
    Mutation("search examples renamed in the data: CI must not skip", "claims/entities/mechanisms.yaml",
             "synonyms: [GlyT1, GlyT-1, GLYT1,", "synonyms: [GlyT-1,",
             ["tests/browser/test_browser_search.py", "-k", "issue_examples"]),  # CI is set for every run
    Mutation("KB_UPDATE_GOLDEN=1 under CI", None, "", "",
             ["tests/test_render.py", V, "-k", "golden or curators_guide"],
             env={"KB_UPDATE_GOLDEN": "1"}),
    Mutation("the screenshot shows a blank page", "docs/assets/kb.css",
             ".research-only { margin-top: 0; }", ".research-only { margin-top: 0; }\narticle { opacity: 0; }",
             [B, "-k", "screenshot"]),
    # ---- the reader on a phone, shared filters, search that forgives (issue 10) ---------------
    Mutation("the evidence map stays a squeezed table on phones", "docs/assets/kb.css",
             "@media screen and (max-width: 37.5em) {\n  .md-typeset table.kb-map,",
             "@media screen and (max-width: 1em) {\n  .md-typeset table.kb-map,", [BR, "-k", "evidence_map_counts"]),
    Mutation("index tables scroll sideways on phones", "docs/assets/kb.css",
             "  .md-typeset__table:has(.kb-map-entry) { display: block; padding: 0 .6rem; }",
             "}\n@media (max-width: 1px) {", [BR, "-k", "index_tables"]),
    Mutation("a badge and its count may split across lines", "docs/assets/kb.css",
             ".kb-map-entry { display: inline-block; white-space: nowrap; }", ".kb-map-entry { }",
             [BR, "-k", "index_tables or evidence_map_counts"]),
    Mutation("the card layout fails contrast on phones", "docs/assets/kb.css",
             "grid-area: studies; color: var(--md-default-fg-color--light);",
             "grid-area: studies; color: var(--md-default-fg-color--lightest);", [BR, "-k", "axe"]),
    Mutation("filtering the map leaves other types' counts shown", "docs/assets/javascripts/kb.js",
             "e.hidden = !!type && e.dataset.evidence !== type;", "e.hidden = false;",
             [BR, "-k", "evidence_map_filters"]),
    Mutation("a filter does not write the address", "docs/assets/javascripts/kb.js",
             'window.history.pushState(window.history.state, "", addressFor(type));', "",
             [BR, "-k", "shared_by_its_address or evidence_map_filters"]),
    Mutation("a filtered address loads unfiltered", "docs/assets/javascripts/kb.js",
             "var type = show(wanted(), false);", 'var type = show("", false);', [BR, "-k", "shared_by_its_address"]),
    Mutation("back and forward leave the filter as it was", "docs/assets/javascripts/kb.js",
             "filters.forEach(function (f) { f.show(type, true); });", "", [BR, "-k", "shared_by_its_address"]),
    Mutation("a filter hides the claim the address points at", "docs/assets/javascripts/kb.js",
             'if (type && target && target.closest("[hidden]")) {', "if (false) {", [BR, "-k", "claim_anchor"]),
    Mutation("no hyphen-free names in search (dserine)", "scripts/kb/render.py",
             "            compact.append(c)", "            pass", [BS, "-k", "forgiving"]),
    Mutation("no second, loosely spelled search (sarkosine)", "docs/assets/javascripts/kb-search.js",
             "if (!words.length) {\n          exactFirst", "if (true) {\n          exactFirst",
             [BS, "-k", "forgiving"]),
    Mutation("a topic's sub-pages weigh as much as its main page", "scripts/kb/render.py",
             "round(boost + 1 / (len(e.name.split()) or 1), 2)", "round(boost + 1, 2)", [BS, "-k", "main_page"]),
    Mutation("an exact name no longer comes first", "docs/assets/javascripts/kb-search.js",
             "data.items = exact.concat(rest);", "", [BS, "-k", "exact_name"]),
    Mutation("tag chips show in search results", "docs/assets/kb.css",
             ".md-search-result .md-search-result__article .md-tags, "
             ".md-search-result .md-typeset .md-tags:not([hidden]) { display: none; }",
             ".md-search-result .md-tags { display: none; }", [BS, "-k", "chips"]),
    Mutation("curation notes are indexed for search", "scripts/kb/templates/compound.html.j2",
             '<small data-search-exclude="true">', "<small>", [BS, "-k", "chips"]),
    Mutation("every page fetches the search index", "docs/assets/javascripts/kb-search.js",
             "if (this.__kbIndex && !wantedYet) {", "if (false) {", [BS, "-k", "index_waits"]),
    # ---- chemistry basics in the compound box (issue 10) -------------------------------------
    Mutation("a formula's counts are no longer subscripts", "scripts/kb/templates/compound.html.j2",
             "{{ e.data.formula|formula }}", "{{ e.data.formula }}", ["tests/test_chemistry.py", "-k", "formula_shows"]),
    Mutation("a structure drawing is loaded from another origin", "scripts/kb/render.py",
             'return Markup(f"../assets/structures/{name}")', 'return Markup(f"https://example.org/{name}")',
             ["tests/test_chemistry.py", "-k", "same_origin"]),
    Mutation("a molar mass that disagrees with its formula validates", "scripts/kb/validate.py",
             "if abs(expected - mass) > MASS_TOLERANCE:", "if False:", [V, "-k", "KB214"]),
    Mutation("a missing structure drawing validates", "scripts/kb/validate.py",
             "if structures is not None:", "if False:", [V, "-k", "KB315"]),
    # ---- build speed (issue 12) ------------------------------------------------------------
    Mutation("generated headings lose their permalinks", "scripts/kb/templates/_macros.j2",
             '<a class="headerlink" href="#{{ id }}" title="Permanent link">&para;</a>', "",
             ["tests/test_render.py", "-k", "python_markdown"]),
    Mutation("search entries include the findings every page repeats", "scripts/kb/searchentries.py",
             'parser.feed(EXCLUDED_SECTION.sub("", page.html))', "parser.feed(page.html.replace(' data-search-exclude>', '>'))",
             ["tests/test_render.py", "-k", "python_markdown"]),
    Mutation("a worker's warnings are dropped", "scripts/kb/workers.py",
             "        logging.getLogger(record.name).handle(record)", "        pass",
             ["tests/test_workers.py", "-k", "warning"]),
    Mutation("a worker's pages come back out of order", "scripts/kb/workers.py",
             "        results += part", "        results = part + results", ["tests/test_workers.py", "-k", "order"]),
    Mutation("a damaged cache entry is served", "scripts/kb/cache.py",
             "        if len(data) < _HASH or _sum(value) != data[:_HASH]:",
             "        if False:", ["tests/test_cache.py", "-k", "damaged"]),
    Mutation("a cache made with another theme is read", "scripts/kb/plugin.py",
             'cache.source_files(Path(__file__).parent, Path(config.theme.custom_dir or root / "overrides"))',
             "cache.source_files(Path(__file__).parent)", ["tests/test_cache.py", "-k", "another_theme"]),
    Mutation("MkDocs' loop builds a prebuilt page again, over the worker's", "scripts/kb/plugin.py",
             "            page.meta[\"template\"] = PREBUILT_TEMPLATE\n", "", ["tests/test_workers.py", "-k", "identical"]),
    Mutation("MkDocs' loop gets a prebuilt page's content again", "scripts/kb/plugin.py",
             '            page.content = ""\n', "", ["tests/test_workers.py", "-k", "without_its_content"]),
    Mutation("a page built in this process is indexed twice", "scripts/kb/plugin.py",
             "            self.search_index.paused = True\n", "            pass\n",
             ["tests/test_workers.py", "-k", "identical"]),
    Mutation("the fast search reader keeps runs of whitespace", "scripts/kb/searchentries.py",
             'if not section.text or not section.text[-1].isspace() or "pre" in context:', "if True:",
             ["tests/test_searchentries.py"]),
    Mutation("the fast search reader keeps an empty list item", "scripts/kb/searchentries.py",
             "                        del out[index:]  # an element with nothing in it is dropped",
             '                        out.append(f"</{tag}>")', ["tests/test_searchentries.py"]),
    Mutation("the fast search reader reads what it does not know", "scripts/kb/searchentries.py",
             "        if len(tags) != data.count(\"<\") or _UNUSUAL.search(data):", "        if False:",
             ["tests/test_searchentries.py"]),
    Mutation("a generated page's link to a missing page passes", "scripts/kb/links.py",
             'if path not in known or path.startswith("../"):', 'if path.startswith("../"):',
             ["tests/test_links.py"]),
    Mutation("a generated page's link to a missing anchor passes", "scripts/kb/links.py",
             "elif anchor and path in pages and", "elif False and", ["tests/test_links.py"]),
    Mutation("the generated pages' links are not checked in the build", "scripts/kb/plugin.py",
             "        self.check_links(site)\n", "", ["tests/test_links.py"]),
    Mutation("the shards give a page's names no more weight than its text", "scripts/kb/shards.py",
             '("tags", words(" ".join(tags), separator, drop))', '("tags", Counter())',
             ["tests/test_shards.py"]),
    Mutation("the shards drop an entry's title words", "scripts/kb/shards.py",
             '("title", words(title, separator, drop))', '("title", Counter())', ["tests/test_shards.py"]),
    Mutation("a common word keeps its first entries, not its best", "scripts/kb/shards.py",
             "heapq.nlargest(MAX_POSTINGS, pairs, key=lambda hit: (hit[1], -hit[0])))",
             "pairs[:MAX_POSTINGS])", ["tests/test_shards.py"]),
    Mutation("a site in shards keeps Material's worker", "docs/assets/javascripts/kb-search.js",
             "message.data.config.kb_shards) {", "message.data.config.kb_shards && false) {",
             [BS, "-k", "shards and (waits or forgiving)"]),
    Mutation("the shards' worker ranks names like mentions", "docs/assets/javascripts/kb-search-worker.js",
             "hit[0] += Math.pow(2, postings[i + 1] / steps);", "hit[0] += 1;",
             [BS, "-k", "shards and (exact or rank)"]),
    Mutation("the shards' worker matches whole words only", "docs/assets/javascripts/kb-search-worker.js",
             "v.t[i].lastIndexOf(q.word, 0) === 0;", "v.t[i] === q.word;",
             [BS, "-k", "shards and sub_pages"]),
    Mutation("the shards' worker hands the theme tags as HTML", "docs/assets/javascripts/kb-search-worker.js",
             "item.tags = d[3].map(escapeHTML);", "item.tags = d[3];",
             ["tests/browser/test_browser_hostile.py", "-k", "shards and search"]),
    Mutation("the shards read every page again on a warm build", "scripts/kb/shards.py",
             'known = store.get_data("words", _run_key(settings, pages)) if store else None', "known = None",
             ["tests/test_shards.py", "-k", "warm"]),
    Mutation("a run's batch put right keeps a changed entry's old hits", "scripts/kb/shards.py",
             "            at = bisect_left(other.entries, high, cut, end)", "            at = cut",
             ["tests/test_shards.py", "-k", "put_right or warm"]),
    Mutation("a run's batch put right leaves out the changed entries' words", "scripts/kb/shards.py",
             "            while taken < len(hits) and hits[taken][0] < high:", "            while False:",
             ["tests/test_shards.py", "-k", "put_right or warm"]),
    Mutation("a run's batch is put right though an unchanged page moved", "scripts/kb/shards.py",
             "if len(docs) != n or [d[0] for d in docs] != [e[\"location\"] for i in pages for e in groups[i]]:",
             "if len(docs) != n:", ["tests/test_shards.py", "-k", "moved"]),
    Mutation("a warm build gathers every changed run again", "scripts/kb/shards.py",
             "            kept = [known or before.patched(pages, groups, keys, changed_reads, settings, store)",
             "            kept = [known or None and before.patched(pages, groups, keys, changed_reads, settings, store)",
             ["tests/test_shards.py", "-k", "put_right or warm"]),
    Mutation("a claim file from the cache loses where its values stand", "scripts/kb/yamlload.py",
             "marshal.dumps((doc.value_pos, doc.key_pos))", "marshal.dumps(({}, {}))",
             ["tests/test_cache.py", "-k", "report_problems"]),
    Mutation("a claim file from the cache loses where its records stand", "scripts/kb/yamlload.py",
             "return {p: v for p, v in doc.value_pos.items() if len(p) <= 2}",
             "return {p: (1, 1) for p, v in doc.value_pos.items() if len(p) <= 2}",
             ["tests/test_cache.py", "-k", "report_problems"]),
    Mutation("the pages' downloads are not written", "scripts/kb/plugin.py",
             "        data_files += self.downloads\n", "", ["tests/test_plugin.py", "-k", "written_once"]),
    Mutation("a canonical address joins dot segments as text", "scripts/kb/plugin.py",
             'or "//" in url or "/." in "/" + url:', 'or "//" in url:',
             ["tests/test_plugin.py", "-k", "canonical"]),
    Mutation("a canonical address joins empty segments as text", "scripts/kb/plugin.py",
             'or "//" in url or "/." in "/" + url:', 'or "/." in "/" + url:',
             ["tests/test_plugin.py", "-k", "canonical"]),
    Mutation("a canonical address joins to a site address with a query as text", "scripts/kb/plugin.py",
             'base == f"{parts.scheme}://{parts.netloc}{parts.path}"', "True",
             ["tests/test_plugin.py", "-k", "canonical"]),
    Mutation("the search shards are written again though the site before holds them", "scripts/kb/plugin.py",
             "_publish(data, str(dest), before / name if before else None))", "_publish(data, str(dest), None))",
             ["tests/test_cache.py", "-k", "search_shards"]),
    Mutation("a search shard is linked from the site before under another name", "scripts/kb/plugin.py",
             "_publish(data, str(dest), before / name if before else None))",
             '_publish(data, str(dest), before / "pages.json" if before else None))',
             ["tests/test_cache.py", "-k", "search_shards"]),
    Mutation("records named a class at a time get other names", "scripts/kb/deps.py",
             'map(f"{kind.__qualname__}:".__add__, hashed)', 'map(f"{kind.__name__}-".__add__, hashed)',
             ["tests/test_deps.py", "-k", "class_at_a_time"]),
    Mutation("records named a class at a time leave the dicts' out", "scripts/kb/deps.py",
             "self._canon.name_all(dict.values(found) if isinstance(found, dict) else list.__iter__(found))",
             "self._canon.name_all(() if isinstance(found, dict) else list.__iter__(found))",
             ["tests/test_deps.py", "-k", "class_at_a_time"]),
    Mutation("the benchmark builds with whatever engine an editable install points at", "scripts/bench/build.py",
             '"PYTHONDONTWRITEBYTECODE": "", "PYTHONPATH": path}', '"PYTHONDONTWRITEBYTECODE": ""}',
             ["tests/test_bench.py", "-k", "beside_it"]),
    Mutation("a check that parsed references.bib leaves its garbage under build", "scripts/kb/plugin.py",
             "            if collect:\n                gc.collect()", "            if False:\n                gc.collect()",
             ["tests/test_plugin.py", "-k", "garbage"]),
    Mutation("every check counts as one that parsed references.bib", "scripts/kb/build.py",
             "    return refs, text, found, known is None", "    return refs, text, found, True",
             ["tests/test_plugin.py", "-k", "garbage"]),
    Mutation("a warm build's check ends with the collector on", "scripts/kb/plugin.py",
             '            if self.command == "build":  # (the check\'s cyclic garbage',
             '            if False:  # (the check\'s cyclic garbage',
             ["tests/test_plugin.py", "-k", "no_collection"]),
    Mutation("a claim file from the cache keeps its records unfolded", "scripts/kb/model.py",
    "    return [_normalise(item) for _, _, item in records(doc)]", "    return [item for _, _, item in records(doc)]",
             ["tests/test_cache.py", "-k", "report_problems"]),
    Mutation("the shards' cache key leaves out an entry's text", "scripts/kb/shards.py",
             '[[e.get("title", ""), e.get("text", ""), e.get("tags") or [], e.get("boost", 1)] for e in group]',
             '[[e.get("title", ""), e.get("tags") or [], e.get("boost", 1)] for e in group]',
             ["tests/test_shards.py", "-k", "warm"]),
    Mutation("the cycle collector stops under serve too", "scripts/kb/plugin.py",
             '        if self.command == "build":\n            if collect:', "        if True:\n            if collect:",
             ["tests/test_plugin.py", "-k", "cycle_collector"]),
    Mutation("the shards do not keep the words the workers read", "scripts/kb/shards.py",
             '                store.put_data("words", _run_key(settings, pages), {keys[i]: reads[i] for i in pages})',
             "                pass",
             ["tests/test_shards.py", "-k", "several"]),
    Mutation("the shards gather a batch's pages out of order", "scripts/kb/shards.py",
             "        for i in sorted(reads):\n            for entry, (title", "        for i in sorted(reads, reverse=True):\n            for entry, (title",
             ["tests/test_shards.py", "-k", "several"]),
    Mutation("the engine compiles its templates again on every rebuild", "scripts/kb/render.py",
             'loader=jinja2.PackageLoader("kb", "templates"), bytecode_cache=compiled or cache.Compiled(),',
             'loader=jinja2.PackageLoader("kb", "templates"),',
             ["tests/test_render.py", "-k", "compile_once"]),
    Mutation("compiled templates are not kept in the build cache", "scripts/kb/cache.py",
             '            self.store.put("jinja", bucket.key, code)\n            _KEPT.add((self.store.folder, bucket.key))\n',
             "            pass\n", ["tests/test_render.py", "-k", "compile_once"]),
    Mutation("a reused finding's block does not note the reads that made it", "scripts/kb/render.py",
             "        deps.note_all(tokens)\n", "", ["tests/test_deps.py", "-k", "random"]),
    Mutation("the entities are read past the watch", "scripts/kb/build.py",
             '{kind: book.watch(f"entities/{kind}", records) for', '{kind: records for',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("a page's date does not read the dates", "scripts/kb/pagemeta.py",
             "        if not self.dates:  #", "        if not dict.__len__(self.dates):  #",
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("the data exports read the model past the watch", "scripts/kb/build.py",
             'exported = export_jobs(kb, store, book.text)', 'exported = export_jobs(checked.kb, store, book.text)',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("a claim file is taken from the cache after its bytes changed", "scripts/kb/build.py",
             'key = cache.digest("file", rel, raw)', 'key = cache.digest("file", rel)',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("a page is reused by its trace, whatever its records are now", "scripts/kb/build.py",
             "if not isinstance(trace, str) or then != book.digest(trace):", "if not isinstance(trace, str):",
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("a trace is checked by its records' names, not what they hold now", "scripts/kb/deps.py",
             '            known = self._values[line] = hashlib.blake2b(f"{line}\\n{now}".encode()',
             '            known = self._values[line] = hashlib.blake2b(f"{line}".encode()',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("a trace's tokens found already are taken by their place, not their name", "scripts/kb/deps.py",
             '        try:\n            joined = b"".join(map(values.__getitem__, lines))',
             '        try:\n            joined = b"".join(list(values.values())[:len(lines)])',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("the entries' BibTeX is taken from the cache after references.bib changed", "scripts/kb/build.py",
             'key = cache.digest("bib", "entries as BibTeX", bib_text)', 'key = cache.digest("bib", "entries as BibTeX")',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("references.bib is taken from the cache after its bytes changed", "scripts/kb/build.py",
             'key = cache.digest("bib", bib_file, raw)', 'key = cache.digest("bib", bib_file)',
             ["tests/test_deps.py", "-k", "random"]),
    Mutation("iterating a watched dict is not noted", "scripts/kb/deps.py",
             "    def __iter__(self) -> Iterator[Any]:\n        note((self.name, None))\n        return dict.__iter__(self)",
             "    def __iter__(self) -> Iterator[Any]:\n        return dict.__iter__(self)",
             ["tests/test_deps.py", "-k", "noted"]),
    Mutation("a page's trace notes whole containers instead of records", "scripts/kb/deps.py",
             "    def __getitem__(self, key: Any) -> Any:\n        note((self.name, key))",
             "    def __getitem__(self, key: Any) -> Any:\n        note((self.name, None))",
             ["tests/test_deps.py", "-k", "noted"]),
    Mutation("a generated page keeps the empty content Material's search scanned", "scripts/kb/plugin.py",
             "            value, self._searched = self._searched, None", "            self._searched = None",
             ["tests/test_plugin.py", "-k", "search"]),
    Mutation("search attributes are dropped without the white space before them", "scripts/kb/plugin.py",
             "        if start > last and html[start - 1].isspace():", "        if False:",
             ["tests/test_plugin.py", "-k", "search"]),
    Mutation("search attributes are left on generated pages", "scripts/kb/plugin.py",
             "            page.searched()\n", "            pass\n",
             ["tests/test_plugin.py", "-k", "search"]),
    Mutation("a page in the navigation gets another page's navigation", "scripts/kb/plugin.py",
             "not isinstance(page, DataPage) or page.file.src_uri in self.in_nav:", "not isinstance(page, DataPage):",
             ["tests/test_plugin.py", "-k", "navigation"]),
    Mutation("the navigation is kept for the whole site, not per folder", "scripts/kb/plugin.py",
             "folder = posixpath.dirname(page.url)", 'folder = ""',
             ["tests/test_plugin.py", "-k", "navigation"]),
    Mutation("a build keeps the cache entries it did not use", "scripts/kb/cache.py",
             "if entry.name not in used.get(kind, set()):", "if False:",
             ["tests/test_cache.py", "-k", "drops_the_rest"]),
    Mutation("a build keeps other fingerprints' caches", "scripts/kb/cache.py",
             "                if other != self.folder:", "                if False:",
             ["tests/test_cache.py", "-k", "drops_the_rest"]),
    Mutation("a run's postings are kept under its words only, not its addresses", "scripts/kb/shards.py",
             ',\n                                  *(entry["location"] for i in pages for entry in groups[i]))', ")",
             ["tests/test_shards.py", "-k", "batches"]),
    Mutation("a run's postings are never taken from the cache", "scripts/kb/shards.py",
             'kept = [_Batch.from_data(store.get_data("postings", key)) if store else None', 'kept = [None',
             ["tests/test_shards.py", "-k", "batches"]),
    Mutation("a batch's runs are numbered from the first entry of the site", "scripts/kb/shards.py",
             "            run = (self.n, batch.entries, batch.weights, at, at + count)",
             "            run = (0, batch.entries, batch.weights, at, at + count)",
             ["tests/test_shards.py"]),
    Mutation("the generated files are neither written with the pages nor by MkDocs", "scripts/kb/plugin.py",
             "_publish(file.content_bytes, file.abs_dest_path, previous(file))", "None",
             ["tests/test_site.py", "-k", "exports or links"]),
    Mutation("the generated files are written twice", "scripts/kb/plugin.py",
             "            file.written = True\n", "            pass\n",
             ["tests/test_plugin.py", "-k", "written_once"]),
    Mutation("a worker sends each page's HTML back instead of leaving it in the cache", "scripts/kb/build.py",
             '    return kept.light(made), [("rendered", key)], name', '    return made, [("rendered", key)], name',
             ["tests/test_cache.py", "-k", "workers_leave"]),
    Mutation("a page whose HTML the cache lost is shown empty", "scripts/kb/build.py",
             "return kept[0] if _page_tail(kept) else self.make()[0].html",
             'return kept[0] if _page_tail(kept) else ""',
             ["tests/test_cache.py", "-k", "workers_leave"]),
    Mutation("every page's HTML is read on a warm build", "scripts/kb/plugin.py",
             'self.unread = page.load is not None and not config.plugins.events.get("page_content")',
             "self.unread = False", ["tests/test_cache.py", "-k", "reads_the_html_only"]),
    Mutation("the theme's page is keyed without its content's hash", "scripts/kb/plugin.py",
             'made_of = ("kept", kept.kept) if page.unread', 'made_of = ("kept", "") if page.unread',
             ["tests/test_cache.py", "-k", "only_the_html_shows"]),
    Mutation("a cached page's HTML is not checked against its hash", "scripts/kb/cache.py",
             "return tail if len(top) == _HASH + 8 and _sum(tail) == check else None", "return tail",
             ["tests/test_cache.py", "-k", "two_parts"]),
    Mutation("a rebuild writes every unchanged file again", "scripts/kb/plugin.py",
             "    if previous is not None:\n        try:", "    if False:\n        try:",
             ["tests/test_cache.py", "-k", "shares"]),
    Mutation("a file of the site before is linked without comparing its bytes", "scripts/kb/plugin.py",
             "if previous.stat().st_size == len(data) and previous.read_bytes() == data:", "if True:",
             ["tests/test_cache.py", "-k", "shares"]),
    Mutation("a block rendered before the pages does not note the reads that made it", "scripts/kb/render.py",
             "        self._claims.update(made)", "        self._claims.update((k, (b, frozenset())) for k, (b, _) in made)",
             ["tests/test_deps.py", "-k", "random_edits"]),
    Mutation("the blocks rendered before the pages are not kept", "scripts/kb/render.py",
             "        self._claims.update(made)", "        pass",
             ["tests/test_render.py", "-k", "blocks_once"]),
    Mutation("a plugin handling page_content gets a generated page without its HTML", "scripts/kb/plugin.py",
             'self.unread = page.load is not None and not config.plugins.events.get("page_content")',
             "self.unread = page.load is not None", ["tests/test_workers.py", "-k", "page_content"]),
    Mutation("a record is written without its fields' values", "scripts/kb/deps.py",
             "made = (type(value).__qualname__, fields(value))",
             "made = (type(value).__qualname__,)",
             ["tests/test_deps.py", "-k", "fields_does or random_edits"]),
    Mutation("a list of records named already is written by their ids", "scripts/kb/deps.py",
             "map(self.names.__getitem__, map(id, value))", "map(str, map(id, value))",
             ["tests/test_deps.py", "-k", "only_the_pages or random_edits"]),
    Mutation("a finding's notes are checked against the first source's list", "scripts/kb/validate.py",
             'numbers = listed.get(src["ref"])\n        if numbers is None:\n            numbers = listed[src["ref"]] = {',
             'numbers = listed.get("")\n        if numbers is None:\n            numbers = listed[""] = {',
             [V, "-k", "own_source"]),
    Mutation("a Reference is written without its raw entry", "scripts/kb/deps.py",
             'return ("key", "entry_type", "fields", "line", "raw")', 'return ("key", "entry_type", "fields", "line")',
             ["tests/test_deps.py", "-k", "fields_does"]),
    Mutation("a record holding another record is written by that record's class only", "scripts/kb/deps.py",
             "            return self(made).encode()", "            return repr(type(value)).encode()",
             ["tests/test_deps.py", "-k", "fields_does"]),
    Mutation("marshal's later formats, whose bytes depend on which objects are shared", "scripts/kb/deps.py",
             "return marshal.dumps(made, 0)", "return marshal.dumps(made)",
             ["tests/test_deps.py", "-k", "fields_does"]),
    Mutation("a page's HTML is read whatever version the cache holds now", "scripts/kb/cache.py",
             "        if expected is not None and check.hex() != expected:\n            return None\n", "",
             ["tests/test_cache.py", "-k", "two_parts"]),
    Mutation("a warm build keeps the postings of a word an edit weighs otherwise", "scripts/kb/shards.py",
             "                out.update(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))",
             "                pass", ["tests/test_shards.py", "-k", "weighs_otherwise"]),
    Mutation("a warm build makes every word's postings again", "scripts/kb/shards.py",
             "        if len(changed) > cls.MAX_CHANGED:", "        if True:",
             ["tests/test_shards.py", "-k", "weighs_otherwise"]),
    Mutation("postings kept with other numbering are used", "scripts/kb/shards.py",
             "len(then) == len(groups[i])  # numbered as then", "True", ["tests/test_shards.py", "-k", "weighs_otherwise"]),
    Mutation("postings kept in a form not their own are used", "scripts/kb/shards.py",
             "        if not (isinstance(known_member, tuple) and len(known_member) == 2", "        if known_member is None and not (isinstance(known_member, tuple) and len(known_member) == 2",
             ["tests/test_shards.py", "-k", "form_not"]),
    Mutation("the home page counts the findings themselves", "scripts/kb/templates/home.html.j2",
             "{% for t, n in evidence_counts(kb.tallies) %}", "{% for t, n in evidence_counts(kb.claims) %}",
             ["tests/test_deps.py", "-k", "only_the_pages"]),
    Mutation("the evidence map counts the findings themselves", "scripts/kb/render.py",
             "    for c in kb.tallies:", "    for c in kb.claims:", ["tests/test_deps.py", "-k", "only_the_pages"]),
    Mutation("the references index counts the findings themselves", "scripts/kb/templates/references.html.j2",
             "kb.tallies_by_citation.get(r.key, [])|length", "kb.by_citation.get(r.key, [])|length",
             ["tests/test_deps.py", "-k", "only_the_pages"]),
    Mutation("an export's pieces are not kept", "scripts/kb/render.py",
             "    if store and now != known:\n        store.put_data(\"pieces\", key, now)\n", "",
             ["tests/test_deps.py", "-k", "exports"]),
    Mutation("an export's piece is found by the finding's id, not its content", "scripts/kb/render.py",
             "digest = cache.digest(text(c))", "digest = cache.digest(c.id)", ["tests/test_deps.py", "-k", "exports"]),
    Mutation("an export's kept piece is used whatever it holds", "scripts/kb/render.py",
             "        if not isinstance(piece, str):\n            piece = make(c)", "        if piece is None:\n            piece = make(c)",
             ["tests/test_deps.py", "-k", "exports"]),
    Mutation("the exports' pieces kept by a worker are dropped after the build", "scripts/kb/build.py",
             "            store.note(\"pieces\", [piece_key(name) for name in PIECES])", "            pass",
             ["tests/test_cache.py", "-k", "byte_identical"]),
    Mutation("a kept link check ignores the site's files", "scripts/kb/plugin.py",
             'key = cache.digest("links", *sorted(names))', 'key = cache.digest("links")',
             ["tests/test_links.py", "-k", "no_longer"]),
    Mutation("a rebuild checks every page's links every time", "scripts/kb/plugin.py",
             "links.to_check(record, now) if now else None", "None",
             ["tests/test_links.py", "-k", "rebuild_checks"]),
    Mutation("a warm check reads only the changed pages even when one's ids changed", "scripts/kb/links.py",
             "if any(here not in record or record[here][1] != _digest(pages[here][1]) for here in changed):",
             "if any(here not in record for here in changed):",
             ["tests/test_links.py", "-k", "id_is_gone"]),
    Mutation("a warm check reads only the changed pages of a page the record does not know", "scripts/kb/links.py",
             "if any(here not in record or record[here][1]", "if any(here in record and record[here][1]",
             ["tests/test_links.py", "-k", "id_is_gone"]),
    Mutation("a check with no record reads no page", "scripts/kb/links.py",
             "    if not record:\n        return None", "    if not record:\n        return []",
             ["tests/test_links.py", "-k", "id_is_gone"]),
    Mutation("a changed page keeps its entry in the record", "scripts/kb/links.py",
             "known if known is not None and known[0] == kept else", "known if known is not None else",
             ["tests/test_links.py", "-k", "id_is_gone or rebuild_checks"]),
    Mutation("a check that found broken links is recorded", "scripts/kb/plugin.py",
             "if key and self.store and not problems and", "if key and self.store and",
             ["tests/test_links.py", "-k", "no_longer"]),
    Mutation("the site's record ignores a file's change time", "scripts/kb/plugin.py",
             "if (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != known[1:]:",
             "if (st.st_ino, st.st_size, st.st_mtime_ns) != known[1:4]:", ["tests/test_cache.py", "-k", "untouched"]),
    Mutation("a file of the site before is linked whatever it holds", "scripts/kb/plugin.py",
             "len(known) == 5 and known[0] == held and", "len(known) == 5 and",
             ["tests/test_cache.py", "-k", "shares or edit_rebuilds"]),
    Mutation("the site's record is not kept", "scripts/kb/plugin.py",
             "                self.site_record.keep(self.published)\n", "                pass\n",
             ["tests/test_cache.py", "-k", "untouched"]),
    # ---- session 12: the shards written beside the pages; a page's downloads kept beside its HTML ----
    Mutation("the benchmark's builds compile the engine at every build", "scripts/bench/build.py",
             '"PYTHONDONTWRITEBYTECODE": ""', '"PYTHONDONTWRITEBYTECODE": "1"',
             ["tests/test_bench.py", "-k", "compiled"]),
    Mutation("a generated page's table of contents is never made from its headings", "scripts/kb/plugin.py",
             "        self._toc = None  # (`toc`)\n", "", ["tests/test_render.py", "-k", "python_markdown_made"]),
    Mutation("the prebuilt pages' template renders something over them", "scripts/kb/plugin.py",
             'self.template.render = lambda *args, **kwargs: ""', 'self.template.render = lambda *args, **kwargs: "x"',
             ["tests/test_workers.py", "-k", "byte_identical_on_one"]),
    Mutation("a trace's lines are only ever parsed back, never known by the tokens they were made of",
             "scripts/kb/deps.py", "token = self._tokens.get(line) or _token_of(line)", "token = _token_of(line)",
             ["tests/test_deps.py", "-k", "as_text"]),
    Mutation("a trace's line read back may name a key no dict can hold", "scripts/kb/deps.py",
             "        hash(token)  # (a key a dict can hold)\n", "", ["tests/test_deps.py", "-k", "as_text"]),
    Mutation("a trace's line is read back without checking it is the key's repr", "scripts/kb/deps.py",
             "if key is not _MISSING and repr((name, key)) == line:", "if key is not _MISSING:",
             ["tests/test_deps.py", "-k", "as_text"]),
    Mutation("an unread page keeps its cache name whatever metadata a plugin gave it", "scripts/kb/plugin.py",
             "if page.unread and kept.kept_with and page.meta == kept.meta:", "if page.unread and kept.kept_with:",
             ["tests/test_cache.py", "-k", "metadata_a_plugin"]),
    Mutation("a download the cache lost is read as nothing", "scripts/kb/build.py",
             "return kept[1][path] if _page_tail(kept) and path in kept[1] else self.make()[1][path]",
             'return kept[1][path] if _page_tail(kept) and path in kept[1] else ""',
             ["tests/test_cache.py", "-k", "workers_leave"]),
    Mutation("the shards are never written beside the pages", "scripts/kb/plugin.py",
             'self.command == "build" and self.jobs() > 1 and workers.can_fork()',
             'self.command == "build" and self.jobs() > 99 and workers.can_fork()',
             ["tests/test_workers.py", "-k", "written_beside_the_pages"]),
    Mutation("the shards written beside are taken whatever entries the loop gave", "scripts/kb/plugin.py",
             "if made is not None and self.entries != predicted and", "if made is not None and False and",
             ["tests/test_workers.py", "-k", "then_changed"]),
    Mutation("the shards written beside from other entries stay in the site", "scripts/kb/plugin.py",
             '            shutil.rmtree(self.shard_folder / made[0]["kb_shards"]["path"], ignore_errors=True)\n',
             "", ["tests/test_workers.py", "-k", "then_changed"]),
    Mutation("the cache entries the shards' process used are pruned", "scripts/kb/plugin.py",
             "            for kind, keys in used.items():\n                self.store.note(kind, keys)",
             "            for kind, keys in {}.items():\n                self.store.note(kind, keys)",
             ["tests/test_workers.py", "-k", "written_beside_the_pages"]),
    Mutation("a failed build leaves the shards' process running", "scripts/kb/plugin.py",
             "        if self.search_index is not None:\n            self.search_index.abandon()\n", "",
             ["tests/test_workers.py", "-k", "stops_the_shards"]),
]


def copy_repository(dest: Path) -> None:
    """The working tree's files (tracked and new, not ignored), as the tests' own copy_repo sees them."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    if (REPO / "node_modules").is_dir():  # axe-core for the accessibility tests
        (dest / "node_modules").symlink_to(REPO / "node_modules")
    # the tests list the project's files with `git ls-files --others`: an empty repository is enough
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(m: Mutation, mutate: bool = True) -> tuple[str, str]:
    """Copy, mutate (unless only the baseline is asked for), run the guarding tests."""
    with tempfile.TemporaryDirectory(prefix="kb-mutation-") as tmp:
        root = Path(tmp)
        copy_repository(root)
        if m.file is not None and mutate:
            target = root / m.file
            text = target.read_text(encoding="utf-8") if target.is_file() else ""
            if text.count(m.old) != 1:
                return "MISSING", f"{m.file}: the text occurs {text.count(m.old)} times"
            target.write_text(text.replace(m.old, m.new), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("KB_UPDATE_GOLDEN", "KB_SCREENSHOT")}
        # the copy's kb, not the installed one; CI set, so that a missing browser fails instead of skipping
        env.update(NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(root / "scripts"), CI="true")
        if mutate:
            env.update(m.env)
        browser = any(t.startswith("tests/browser") for t in m.tests)  # Chromium needs its address space
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider",
                                   *m.tests], cwd=root, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                                  preexec_fn=None if browser else _cap_memory)
        except subprocess.TimeoutExpired:
            return "RED", f"timed out after {TIMEOUT} s"
        lines = done.stdout.splitlines()
        tail = next((line for line in reversed(lines) if line.strip()), "")
        first = next((line for line in lines if line.startswith(("FAILED", "ERROR"))), "")
        tail = f"{first[:150]}; {tail}" if first else tail
        if done.returncode == 5:
            return "MISSING", f"no test selected by {' '.join(m.tests)}"
        return ("RED" if done.returncode else "GREEN"), tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="run only mutations whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if args.k.lower() in m.name.lower()]
    if args.list:
        print("\n".join(m.name for m in chosen))
        return 0
    missed = 0
    baseline: dict[tuple[str, ...], tuple[str, str]] = {}
    for m in chosen:
        start = time.monotonic()
        key = tuple(m.tests)
        if key not in baseline:  # the same tests unmutated: a red there would make any verdict meaningless
            baseline[key] = run(m, mutate=False)
        if baseline[key][0] != "GREEN":
            verdict, detail = "BROKEN", f"red without the mutation: {baseline[key][1]}"
        else:
            verdict, detail = run(m)
        missed += verdict != "RED"
        print(f"{verdict:<7} {m.name}  [{time.monotonic() - start:.0f} s: {detail}]", flush=True)
    print(f"{len(chosen) - missed} of {len(chosen)} mutations turned the suite red")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
