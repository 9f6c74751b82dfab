"""Search in shards, for a site too large for Material's one search_index.json.

Material's search fetches every entry of the site (search/search_index.json) and builds a lunr
index of it in the reader's browser at the first search: at 50,000 claims that is 90 MB and most
of a minute. Written in shards instead, the index is looked up, not loaded: a query fetches the
word list of its words' first letters, the postings of the words it asks for and the few entries
it shows. The search box, the result list and kb-search.js stay as they are: the reader's query
goes to a search worker of our own (docs/assets/javascripts/kb-search-worker.js) that speaks
Material's worker protocol, in place of Material's when search_index.json's config carries
`kb_shards` (kb-search.js makes the switch).

The worker scores as Material's lunr index does, in its essentials: the fields' boosts (tags,
title, text), BM25's term frequency without length normalisation (Material sets b = 0), lunr's
idf, the entry's boost, and Material's boosts after the query (a page over its sections, entries
that hold more of the query's words); words are matched by prefix, as Material appends a wildcard
to every word, and `word~N` (kb-search.js's second try) by edit distance. What it gives up, to
stay small: a word keeps only its best MAX_POSTINGS entries, a result list shows the best
MAX_GROUPS pages, and a section's text is shown cut to SNIPPET characters.

Files, under search/kb-<hash of their contents>/ (a new build never meets an old build's files in
a reader's cache):
- pages.json: the first entry of each page (entries are in page order: a page, then its sections);
- v/<first letter>.json: the words that start with that letter, sorted: {t: words, n: entries
  holding each, s: the postings shard holding each}; a letter with too many words has a list per
  first two letters instead (v/<first>-<second>.json; letters as hexadecimal code points), and so
  on, one letter more, while a list is too large: a word a reader types then finds the list of
  the longest beginning of it that has one (a beginning so short that its list was split matches
  only words that end there);
- p/<n>.json: {word: [entry, weight, entry - previous entry, weight, ...]}, the weight as
  round(16 * log2(weight));
- d/<n>.json: entries n * DOCS_PER_CHUNK onwards: [location, title, text, tags], plain text.
"""
from __future__ import annotations

import heapq
import json
import marshal
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import Any

from . import cache, workers
from .text import unescape

STOP_WORDS = (  # noqa: SIM905 -- lunr 2.3.9's English stop words (lunr.stopWordFilter), as Material drops them
    "a able about across after all almost also am among an and any are as at be because been but by can "
    "cannot could dear did do does either else ever every for from get got had has have he her hers him "
    "his how however i if in into is it its just least let like likely may me might most must my neither "
    "no nor not of off often on only or other our own rather said say says she should since so some than "
    "that the their them then there these they this tis to too twas us wants was we were what when where "
    "which while who whom why will with would yet you your").split()
MAX_POSTINGS = 1000  # entries kept per word, the best first
MAX_GROUPS = 20  # pages a result list shows (the worker reads it from the manifest)
DOCS_PER_CHUNK = 32
SHARD_BYTES = 32_000  # a postings shard's size, about
VOCAB_BYTES = 64_000  # a word list larger than this is split by one letter more
SNIPPET = 240  # characters of a section's text shown in a result
AUTO_ABOVE = 5_000_000  # characters of entries' text above which `search_shards: auto` shards
K1 = 1.2  # lunr's BM25 k1
WEIGHT_STEPS = 16  # a weight's resolution: 2 ** (1/16), 4.4%
BATCH_PAGES = 2000  # pages whose words are read (on every core) and gathered at a time
POSTINGS_PAGES = 500  # pages whose postings are kept together in the cache (an edit gathers theirs again)

_TAGS = re.compile(r"<[^>]*>")
_TRIM = re.compile(r"^[\W_]+|[\W_]+$")


def plain(value: str) -> str:
    """An entry's field as the reader sees it: tags dropped, character references spelled out,
    white space collapsed."""
    return " ".join(unescape(_TAGS.sub(" ", value)).split())


def words(text: str, separator: re.Pattern[str], stop: frozenset[str]) -> Counter[str]:
    """The words of plain text, counted, as the worker reads a query: split at the search
    separator, lower-cased, trimmed of what is neither letter nor digit, stop words dropped."""
    out: Counter[str] = Counter()
    for token, n in Counter(separator.split(text.lower())).items():
        if token and not (token[0].isalnum() and token[-1].isalnum()):
            token = _TRIM.sub("", token)
        if token and token not in stop:
            out[token] += n
    return out


def snippet(text: str) -> str:
    if len(text) <= SNIPPET:
        return text
    cut = text.rfind(" ", 0, SNIPPET)
    return text[: cut if cut > SNIPPET // 2 else SNIPPET] + " …"


def too_large(entries: list[dict]) -> bool:
    """True when one search_index.json would take the reader's browser seconds to load and index."""
    return sum(len(str(e.get("text", ""))) + len(str(e.get("title", ""))) for e in entries) > AUTO_ABOVE


def write(entries: list[dict], config: dict, folder: Path, store: cache.Cache | None = None,
          jobs: int | None = 1, publish: Callable[[bytes, Path, str], None] | None = None) -> dict:
    """Write the shards of `entries` (Material's search entries, in order) under folder/; return
    the manifest the worker reads (search_index.json's config.kb_shards). The postings of each
    run of POSTINGS_PAGES pages are kept in `store` (kb.cache, kind "postings"), so that a rebuild
    gathers again only the runs that changed, and so is what each page of a run shows and weighs
    (kind "words", one entry per run: one file per page cost more to make than the words), so
    that it reads again only the pages that changed, on `jobs` processes (kb.workers); the files
    are the same from a cold cache or a warm one, on one process or several. `publish(bytes, path,
    name)`, if given, puts each file in place (kb.plugin: linked from the site before where that
    holds the same bytes under the same name); else each is written."""
    separator = re.compile(config.get("separator") or r"[\s\-]+")
    stop = STOP_WORDS if "stopWordFilter" in (config.get("pipeline") or []) else []
    drop = frozenset(stop)
    boosts = {f: float((config.get("fields") or {}).get(f, {}).get("boost", 1.0)) for f in ("title", "text", "tags")}
    settings = json.dumps([separator.pattern, stop, boosts, K1, SNIPPET])

    groups = list(_by_page(entries))
    keys = [_words_key(settings, group) for group in groups]

    def read(missing: list[int], j: int) -> list:  # in a worker: one page's entries read
        return [_read(entry, separator, drop, boosts) for entry in groups[missing[j]]]

    runs = _runs(len(groups))
    before = _Before.load(store, settings, keys, groups, runs)
    docs: list[list] = []
    gathered = _Postings()
    changed_reads: dict[int, list] = {}  # what each page changed since the build before shows now
    made_parts: list[str] = []  # each run's key (kind "postings")
    for start in range(0, len(groups), BATCH_PAGES):  # all pages at once: 600 MB more at 50,000 claims
        # each run of POSTINGS_PAGES pages whose words and addresses are all as before: its entries
        # and postings as a whole (kind "postings"), without reading each page's
        parts = [pages for pages in runs if start <= pages.start < start + BATCH_PAGES]
        part_keys = [cache.digest("postings", settings, *(keys[i] for i in pages),
                                  *(entry["location"] for i in pages for entry in groups[i])) for pages in parts]
        kept = [_Batch.from_data(store.get_data("postings", key)) if store else None for key in part_keys]
        if store:
            store.note("words", [_run_key(settings, pages) for pages in parts])
        fresh = [known is None for known in kept]  # runs whose batch is made here, and kept
        if before is not None:  # what each page changed since the build before shows now
            changed_reads.update((i, read([i], 0)) for i in before.old_reads if start <= i < start + BATCH_PAGES)
            # a run where only such pages changed: its batch as the build before kept it, those pages
            # put right (`_Before.patched`)
            kept = [known or before.patched(pages, groups, keys, changed_reads, settings, store)
                    for pages, known in zip(parts, kept, strict=True)]
        reads = _batch_reads([pages for pages, known in zip(parts, kept, strict=True) if known is None],
                             groups, keys, settings, store, read, jobs)
        for pages, key, known, new in zip(parts, part_keys, kept, fresh, strict=True):
            known = known or _Batch.of({i: reads[i] for i in pages}, groups)
            if store and new:
                store.put_data("postings", key, known.to_data())
            if store:
                store.note("postings", [key])
            docs += known.docs
            gathered.add_batch(known)
            made_parts.append(key)
    # each word's postings as the shards write them; as the build before wrote them where no entry
    # holds the word with another weight than then (the entries numbered as then: kb.shards._Before)
    affected = before.affected(changed_reads) if before is not None else set()
    written = before.members if before is not None else {}
    members: dict[str, tuple[int, str]] = {}
    for term in gathered.runs:
        known_member = None if term in affected else written.get(term)
        if not (isinstance(known_member, tuple) and len(known_member) == 2 and isinstance(known_member[0], int)
                and isinstance(known_member[1], str)):
            df, idf, hits = gathered.best_of(term)
            known_member = (df, f"{json.dumps(term, ensure_ascii=False)}:[{','.join(map(str, _encode(hits, idf)))}]")
        members[term] = known_member
    if store:
        store.put_data("terms", _Before.key(settings), (keys, members, made_parts))
        store.note("terms", [_Before.key(settings)])

    files: dict[str, object] = {"pages.json": _deltas(
        [i for i, d in enumerate(docs) if i == 0 or _path(docs[i - 1][0]) != _path(d[0])])}
    shards: list[list[str]] = [[]]  # each shard's members, as JSON text: "word":[...]
    shard_of: dict[str, int] = {}
    size = 0
    terms = sorted(members)
    for term in terms:
        if size >= SHARD_BYTES:
            shards.append([])
            size = 0
        member = members[term][1]
        shards[-1].append(member)
        shard_of[term] = len(shards) - 1
        size += len(member) + 1
    texts = {f"p/{i}.json": "{" + ",".join(members) + "}" for i, members in enumerate(shards)}
    vocab = _word_lists(terms)
    for prefix, part in vocab.items():
        files[f"v/{_key(prefix)}.json"] = {"t": part, "n": [members[t][0] for t in part],
                                           "s": [shard_of[t] for t in part]}
    for start in range(0, len(docs), DOCS_PER_CHUNK):
        files[f"d/{start // DOCS_PER_CHUNK}.json"] = docs[start:start + DOCS_PER_CHUNK]

    texts.update((name, json.dumps(value, ensure_ascii=False, separators=(",", ":"))) for name, value in files.items())
    blobs = {name: texts[name].encode("utf-8") for name in sorted(texts)}
    version = cache.digest(*(part for name, blob in blobs.items() for part in (name, blob)))[:12]
    base = folder / f"kb-{version}"
    for name, blob in blobs.items():
        if publish is not None:
            publish(blob, base / name, name)
        else:
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_bytes(blob)
    return {"path": f"kb-{version}/", "docs": len(docs), "chunk": DOCS_PER_CHUNK, "groups": MAX_GROUPS,
            "steps": WEIGHT_STEPS, "stop": stop, "vocab": sorted(_key(p) for p in vocab)}


def _batch_reads(runs: list[range], groups: list[list[dict]], keys: list[str], settings: str,
                 store: cache.Cache | None, read: Any, jobs: int | None) -> dict[int, list]:
    """What each page of the runs shows and weighs: as its run's entry in the cache (kind "words")
    holds it under the page's words key, else read, on `jobs` processes when there are enough
    pages to read; a run where a page was read is kept again."""
    reads: dict[int, list] = {}
    for pages in runs:
        known = store.get_data("words", _run_key(settings, pages)) if store else None
        if not isinstance(known, dict):
            continue
        for i in pages:
            hit = known.get(keys[i])
            if isinstance(hit, list) and len(hit) == len(groups[i]):
                reads[i] = hit
    missing = [i for pages in runs for i in pages if i not in reads]
    many = len(missing) >= workers.MIN_PER_WORKER  # a fork is not worth a handful of pages
    reads.update(zip(missing, workers.map_ordered(partial(read, missing), len(missing), jobs if many else 1),
                     strict=True))
    if store and missing:
        changed = set(missing)
        for pages in runs:
            if not changed.isdisjoint(pages):
                store.put_data("words", _run_key(settings, pages), {keys[i]: reads[i] for i in pages})
    return reads


def _words_key(settings: str, group: list[dict]) -> str:
    """The cache key of what a page's entries show and weigh: their fields, in marshal's first
    format (equal values, equal bytes; twice as fast as their repr), else as their repr."""
    fields = [[e.get("title", ""), e.get("text", ""), e.get("tags") or [], e.get("boost", 1)] for e in group]
    try:
        data = marshal.dumps(fields, 0)
    except ValueError:  # a value marshal does not write (a str subclass, say)
        data = repr(fields).encode()
    return cache.digest("words", settings, data)


def _run_key(settings: str, pages: range) -> str:
    """The cache key of what the run of pages starting there shows and weighs (by its place: the
    pages' own words keys tell which of its pages are as before)."""
    return cache.digest("words", settings, str(pages.start))


class _Batch:
    """A batch of pages' entries as the shards show them, and their postings, numbered from the
    batch's first entry: each word once, its entries and weights in two flat arrays."""

    def __init__(self, docs: list[list], terms: list[str], counts: list[int], entries: array, weights: array):
        self.docs, self.terms, self.counts, self.entries, self.weights = docs, terms, counts, entries, weights

    @classmethod
    def of(cls, reads: dict[int, list], groups: list[list[dict]]) -> _Batch:
        docs: list[list] = []
        local = _Postings()
        for i in sorted(reads):
            for entry, (title, text, tags, weights) in zip(groups[i], reads[i], strict=True):
                docs.append([entry["location"], title, text, tags])
                local.add(weights)
        terms, counts, entries, weights = [], [], array("i"), array("d")
        for term, (found, scores) in local.found.items():
            terms.append(term)
            counts.append(len(found))
            entries.extend(found)
            weights.extend(scores)
        return cls(docs, terms, counts, entries, weights)

    def to_data(self) -> tuple:
        return (self.docs, self.terms, self.counts, self.entries.tobytes(), self.weights.tobytes())

    @classmethod
    def from_data(cls, value: object) -> _Batch | None:
        """A batch as the cache kept it; None for anything else (a miss)."""
        if not (isinstance(value, tuple) and len(value) == 5 and isinstance(value[0], list)
                and isinstance(value[1], list) and isinstance(value[2], list)
                and isinstance(value[3], bytes) and isinstance(value[4], bytes)):
            return None
        docs, terms, counts, entry_bytes, weight_bytes = value
        entries, weights = array("i"), array("d")
        try:
            entries.frombytes(entry_bytes)
            weights.frombytes(weight_bytes)
        except ValueError:
            return None
        if len(terms) != len(counts) or sum(counts) != len(entries) or len(entries) != len(weights):
            return None
        return cls(docs, terms, counts, entries, weights)

    def copy(self, other: _Batch, first: int, end: int, starts: list[int]) -> None:
        """Append the other batch's words first..end-1 as they are (`starts`: where each word's
        hits start in its arrays)."""
        self.terms += other.terms[first:end]
        self.counts += other.counts[first:end]
        self.entries.extend(other.entries[starts[first]:starts[end]])
        self.weights.extend(other.weights[starts[first]:starts[end]])

    def splice(self, other: _Batch, term: str, start: int, end: int, spans: list[tuple[int, int]],
               hits: list[tuple[int, float]]) -> None:
        """Append a word whose hits are the other batch's (its arrays start..end-1) but for the
        entries in `spans` (changed entries' numbers, [start, end) in order), which hold `hits` now
        (entry, weight, in order); not at all if it is left with none."""
        entries, weights = array("i"), array("d")
        at, taken = start, 0
        for low, high in spans:
            cut = bisect_left(other.entries, low, at, end)
            entries.extend(other.entries[at:cut])
            weights.extend(other.weights[at:cut])
            while taken < len(hits) and hits[taken][0] < high:
                entries.append(hits[taken][0])
                weights.append(hits[taken][1])
                taken += 1
            at = bisect_left(other.entries, high, cut, end)
        entries.extend(other.entries[at:end])
        weights.extend(other.weights[at:end])
        if entries:
            self.terms.append(term)
            self.counts.append(len(entries))
            self.entries.extend(entries)
            self.weights.extend(weights)


def _runs(pages: int) -> list[range]:
    """The runs of POSTINGS_PAGES pages whose postings are kept together, within batches of
    BATCH_PAGES pages."""
    return [range(first, min(pages, start + BATCH_PAGES, first + POSTINGS_PAGES))
            for start in range(0, pages, BATCH_PAGES)
            for first in range(start, min(pages, start + BATCH_PAGES), POSTINGS_PAGES)]


class _Before:
    """What the build before wrote (kind "terms", one entry per site: its pages' words keys, each
    word's count and postings as written, and its runs' keys in kind "postings"), with what each
    page that changed since showed and weighed then (its run's "words" entry, under the page's key
    then). While the entries are numbered as then (as many pages, each changed one with as many
    entries as then), a word's postings are as then unless some changed page's entry weighs it
    otherwise (`affected`), and a run's batch is as then but for its changed pages (`patched`);
    anything else (no such entry, another numbering, a changed page's words no longer kept, too
    many changes) is no `_Before`: every word's postings are made again."""

    MAX_CHANGED = 200  # pages: beyond this many, making every word's postings is as quick

    def __init__(self, members: dict[str, tuple[int, str]], old_reads: dict[int, list], parts: dict[int, str],
                 words: dict[int, dict]) -> None:
        self.members, self.old_reads = members, old_reads
        self.parts, self.words = parts, words  # run start -> its key then (kind "postings"), its "words" entry

    @staticmethod
    def key(settings: str) -> str:
        return cache.digest("terms", settings)

    @classmethod
    def load(cls, store: cache.Cache | None, settings: str, keys: list[str], groups: list[list[dict]],
             runs: list[range]) -> _Before | None:
        value = store.get_data("terms", cls.key(settings)) if store else None
        if not (isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], list)
                and len(value[0]) == len(keys) and isinstance(value[1], dict) and isinstance(value[2], list)
                and len(value[2]) == len(runs)):
            return None
        old_keys, members, parts = value
        changed = [i for i, (then, now) in enumerate(zip(old_keys, keys, strict=True)) if then != now]
        if len(changed) > cls.MAX_CHANGED:
            return None
        assert store is not None
        old_reads: dict[int, list] = {}
        words: dict[int, dict] = {}  # run start -> its "words" entry
        for i in changed:
            run = next(r for r in runs if i in r)
            if run.start not in words:
                found = store.get_data("words", _run_key(settings, run))
                words[run.start] = found if isinstance(found, dict) else {}
            then = words[run.start].get(old_keys[i])
            if not (isinstance(then, list) and len(then) == len(groups[i])  # numbered as then
                    and all(isinstance(e, list) and len(e) == 4 and isinstance(e[3], dict) for e in then)):
                return None
            old_reads[i] = then
        return cls(members, old_reads, dict(zip((run.start for run in runs), parts, strict=True)), words)

    def affected(self, now: dict[int, list]) -> set[str]:
        """The words some changed page's entry weighs otherwise than then (or holds only now, or
        only then)."""
        out: set[str] = set()
        for i, then in self.old_reads.items():
            for old, new in zip(then, now[i], strict=True):
                before, after = old[3], new[3]
                out.update(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        return out

    def patched(self, pages: range, groups: list[list[dict]], keys: list[str], now: dict[int, list],
                settings: str, store: cache.Cache | None) -> _Batch | None:
        """The run's batch as the build before kept it, with the entries of its changed pages as
        they read now (`now`) and the words they weigh otherwise re-gathered; the run's "words"
        entry kept anew. None where that cannot be: no changed page in the run, the batch or a
        page's words not kept, an unchanged entry at another address."""
        changed = [i for i in pages if i in self.old_reads]
        part, old = self.parts.get(pages.start), self.words.get(pages.start)
        if not changed or part is None or store is None or old is None:
            return None
        batch = _Batch.from_data(store.get_data("postings", part))
        words = {keys[i]: now[i] if i in now else old.get(keys[i]) for i in pages}
        if batch is None or any(v is None for v in words.values()):
            return None
        first = {}  # a changed page -> its first entry's number in the run
        n = 0
        for i in pages:
            if i in self.old_reads:
                first[i] = n
            n += len(groups[i])
        docs = list(batch.docs)
        if len(docs) != n or [d[0] for d in docs] != [e["location"] for i in pages for e in groups[i]]:
            return None  # (a changed page's address changed with its words: gathered again whole)
        spans = []  # the changed pages' entries, by number: [start, end), in order
        hits: dict[str, list[tuple[int, float]]] = {}  # a word they weigh now -> (entry, weight), in order
        for i in changed:
            spans.append((first[i], first[i] + len(groups[i])))
            for j, (entry, (title, text, tags, weights)) in enumerate(zip(groups[i], now[i], strict=True)):
                k = first[i] + j
                docs[k] = [entry["location"], title, text, tags]
                for term, weight in weights.items():
                    hits.setdefault(term, []).append((k, weight))
        redo = set(hits).union(*(old[3] for i in changed for old in self.old_reads[i]))
        index = {term: j for j, term in enumerate(batch.terms)}
        starts = list(accumulate(batch.counts, initial=0))
        out = _Batch(docs, [], [], array("i"), array("d"))
        last = 0  # the next word of the batch not yet copied
        for j in sorted(index[t] for t in redo if t in index):
            out.copy(batch, last, j, starts)
            out.splice(batch, batch.terms[j], starts[j], starts[j + 1], spans, hits.pop(batch.terms[j], []))
            last = j + 1
        out.copy(batch, last, len(batch.terms), starts)
        for term, found in hits.items():  # words no entry of the run weighed then
            out.splice(batch, term, 0, 0, spans, found)
        store.put_data("words", _run_key(settings, pages), words)
        return out


def _word_lists(terms: list[str], depth: int = 1) -> dict[str, list[str]]:
    """The sorted words in lists by their first `depth` letters; a list larger than VOCAB_BYTES is
    split by one letter more, keeping under its own name only the words that end there."""
    lists: dict[str, list[str]] = {}
    for term in terms:
        lists.setdefault(term[:depth], []).append(term)
    out: dict[str, list[str]] = {}
    for prefix, part in lists.items():
        longer = [t for t in part if len(t) > depth]
        if sum(len(t) + 12 for t in part) > VOCAB_BYTES and longer:
            if len(longer) < len(part):
                out[prefix] = [t for t in part if len(t) == depth]
            out.update(_word_lists(longer, depth + 1))
        else:
            out[prefix] = part
    return out


def _key(prefix: str) -> str:
    """A word list's name: its words' first letter, or first two, as hexadecimal code points."""
    return "-".join(f"{ord(c):x}" for c in prefix)


def _path(location: str) -> str:
    return location.split("#", 1)[0]


def _read(entry: dict, separator: re.Pattern[str], drop: frozenset[str],
          boosts: dict[str, float]) -> list:
    """An entry as the worker shows it (title, the start of its text, tags: plain text) and its
    words' weights: lunr's, summed over the fields, times the entry's boost, idf aside."""
    title, text = plain(str(entry.get("title", ""))), plain(str(entry.get("text", "")))
    tags = [plain(str(t)) for t in entry.get("tags") or []]
    boost = float(entry.get("boost", 1) or 1)
    weights: dict[str, float] = {}
    for field, counts in (("title", words(title, separator, drop)), ("text", words(text, separator, drop)),
                          ("tags", words(" ".join(tags), separator, drop))):
        b = boosts[field]
        for term, tf in counts.items():
            weights[term] = weights.get(term, 0.0) + b * (K1 + 1) * tf / (K1 + tf)
    return [title, snippet(text), tags, {term: w * boost for term, w in weights.items()}]


def _by_page(entries: list[dict]) -> Iterable[list[dict]]:
    """The entries in runs of one page each (a page's entries are consecutive: the page, then its
    sections)."""
    run: list[dict] = []
    for entry in entries:
        if run and _path(run[-1]["location"]) != _path(entry["location"]):
            yield run
            run = []
        run.append(entry)
    if run:
        yield run


class _Postings:
    """Each word's entries and their weights, in compact arrays (a large site's index holds
    millions of them): gathered entry by entry within a batch (`add`, into `found`), then batch by
    batch (`add_batch`, into `runs`: for each word, per batch, the batch's first entry, its
    arrays, and where the word's hits start and end in them)."""

    def __init__(self) -> None:
        self.n = 0
        self.found: dict[str, tuple[array[int], array[float]]] = {}
        self.runs: dict[str, list[tuple[int, array[int], array[float], int, int]]] = {}

    def add(self, weights: dict[str, float]) -> None:
        """The next entry's words and their weights in it."""
        for term, weight in weights.items():
            hit = self.found.get(term)
            if hit is None:
                hit = self.found[term] = (array("i"), array("d"))
            hit[0].append(self.n)
            hit[1].append(weight)
        self.n += 1

    def add_batch(self, batch: _Batch) -> None:
        """The next batch's entries (the entries are numbered on from those before)."""
        at, runs = 0, self.runs
        for term, count in zip(batch.terms, batch.counts, strict=True):
            run = (self.n, batch.entries, batch.weights, at, at + count)
            found = runs.get(term)
            if found is None:
                runs[term] = [run]
            else:
                found.append(run)
            at += count
        self.n += len(batch.docs)

    def best_of(self, term: str) -> tuple[int, float, list[tuple[int, float]]]:
        """A word's number of entries, its idf, and its best MAX_POSTINGS (entry, weight / idf) by
        entry."""
        hits = self.runs[term]
        if len(hits) == 1:
            first, docs, scores, start, end = hits[0]
            if first == 0 and start == 0 and end == len(docs):
                pairs = list(zip(docs, scores, strict=True))
            else:
                pairs = [(first + docs[j], scores[j]) for j in range(start, end)]
        else:
            pairs = [(first + docs[j], scores[j]) for first, docs, scores, start, end in hits
                     for j in range(start, end)]
        df = len(pairs)
        idf = math.log(1 + abs((self.n - df + 0.5) / (df + 0.5)))
        if df > MAX_POSTINGS:
            pairs = sorted(heapq.nlargest(MAX_POSTINGS, pairs, key=lambda hit: (hit[1], -hit[0])))
        return df, idf, pairs


def _encode(hits: list[tuple[int, float]], idf: float = 1.0) -> list[int]:
    """[entry, weight, entry - previous entry, weight, ...], each weight times idf, as
    round(16 log2(weight))."""
    out, previous = [], 0
    for doc, score in hits:
        weight = score * idf
        out += [doc - previous, round(WEIGHT_STEPS * math.log2(weight)) if weight > 0 else -999]
        previous = doc
    return out


def _deltas(numbers: Iterable[int]) -> list[int]:
    out, previous = [], 0
    for n in numbers:
        out.append(n - previous)
        previous = n
    return out
