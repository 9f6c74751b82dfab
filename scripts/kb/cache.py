"""The build cache: what a page's input made last time, so that a rebuild redoes only what changed.

Content-addressed: an entry's key is a hash of everything that makes its value (a file's bytes,
a page's HTML and metadata, its address, and the build's fingerprint), so an entry is never
stale, only unused. Ten kinds are kept:

- `file`: a claim file as loaded and checked on its own (kb.build), under its bytes, where each of
  its values stands packed apart, and its records as the model takes them (kb.yamlload.PackedDoc);
- `bib`: references.bib as read (kb.bib), under its bytes, and each of its entries as BibTeX
  (kb.cite.bibtex_entries, for the pages' downloads), under its text;
- `rendered`: a generated page (or data file) as the engine finished it (headings, metadata,
  search entries, links, its downloads' paths, and beside them its HTML and its downloads' texts,
  read only where they are needed), with
  its trace (the records of the model it read, kb.deps) and a digest of what they held. The one
  kind keyed by a name (the page's) rather than its content: the output is used only while its
  records still hold what the digest says;
- `page`: its finished file in site/ (the theme's template and the plugins' page events applied),
  under its content (or the content's hash, from `rendered`) and metadata (kb.plugin);
- `words`: for a site whose search index is in shards, what the search entries of a run of pages
  show and weigh there, each page's under its entries' content (kb.shards); keyed by the run's
  place, like `rendered` by name, and used page by page only where a page's content matches;
- `postings`: for such a site, a run of pages' entries and their words' postings (kb.shards),
  under the run's words and addresses;
- `terms`: for such a site, each word's postings as the shards wrote them, with the pages' words
  keys they were made from and each run's key in `postings` (kb.shards); one entry per site's
  search settings, used only for the words no changed page weighs otherwise, and to put an
  edited run's batch right;
- `pieces`: each finding's part of claims.json and of claims.csv, under a digest of the finding
  (kb.render); one entry per export, so that an edit writes again only its finding's part;
- `links`: from a link check that found nothing broken (kb.plugin), each generated page's HTML
  hash and a digest of its ids, under the site's files (kb.links.to_check: the next check reads
  again only the links of the pages whose HTML changed, while every page has the ids it had);
- `site`: what each generated file of the last good build's site holds, with its inode, size and
  times then (kb.plugin: a rebuild links an untouched file that holds what it would write,
  without reading it); one entry per site folder.

Beside them, the compiled templates (`jinja`, see Compiled below).

The cache lives in a folder (`.cache/kb/` beside mkdocs.yml, ignored by git) that is safe to
delete at any time. Its entries sit under the build's fingerprint: the versions of MkDocs,
Material and Python, the engine's own code and templates, mkdocs.yml, the hooks it names and the
theme overrides. A cache made by another version of any of them is never read, and it is removed
at the next successful build, with every entry that build did not use. Each value (each part of
one kept in two) is stored with a hash of itself and checked on reading: a damaged entry is a
miss, never an output. Entries are written atomically (a temporary file renamed), so that workers
writing at once never tear one.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2

KINDS = ("file", "bib", "rendered", "page", "words", "postings", "terms", "pieces", "links", "site")
_HASH = 32  # bytes of blake2b in a value's header


def digest(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _sum(value: bytes) -> bytes:
    """The hash a cached value is kept with, and checked against on reading."""
    return hashlib.blake2b(value, digest_size=_HASH).digest()


def fingerprint(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """The build's fingerprint: the tools' versions, the given files' contents, and `extra`."""
    parts: list[str | bytes] = [sys.version]
    parts += [f"{name} {metadata.version(name)}" for name in ("mkdocs", "mkdocs-material", "jinja2")]
    for path in sorted(set(files)):
        parts += [path.as_posix(), path.read_bytes() if path.is_file() else b""]
    return digest(*parts, *extra)


def source_files(*folders: Path) -> list[Path]:
    """Every file under the folders (an engine's package, a theme's overrides), caches aside."""
    return [p for folder in folders if folder.is_dir() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts]


class Cache:
    def __init__(self, folder: Path, fingerprint: str):
        self.root = folder
        self.folder = folder / fingerprint
        self._folder = os.fspath(self.folder)
        self.used: dict[str, set[str]] = {kind: set() for kind in KINDS}  # keys this build used
        self._made: set[Path] = set()  # the folders this cache (in this process or its parent) made

    def note(self, kind: str, keys: Iterable[str]) -> None:
        self.used[kind].update(keys)

    def _path(self, kind: str, key: str) -> str:
        """An entry's file, as text (a Path per entry cost a sixth of reading 4,400 pages' heads)."""
        return os.path.join(self._folder, kind, key[:2], key)

    def get(self, kind: str, key: str) -> bytes | None:
        try:
            with open(self._path(kind, key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        value = data[_HASH:]
        if len(data) < _HASH or _sum(value) != data[:_HASH]:
            return None  # damaged: rebuilt, and written again
        return value

    def put(self, kind: str, key: str, value: bytes) -> None:
        self._write(kind, key, _sum(value) + value)

    def _write(self, kind: str, key: str, data: bytes) -> bool:
        path = Path(self._path(kind, key))
        try:
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            return False  # a cache that cannot be written is a cache that misses
        return True

    def put_parts(self, kind: str, key: str, head: Any, tail: bytes) -> tuple[str, str] | None:
        """Keep plain data (as put_data) and bytes beside it, each with a hash of its own, so that
        the data is read without the bytes (get_head) and the bytes only where they are needed
        (get_tail): a page's metadata and its HTML. Returns the bytes' hash and the data's (each
        names what it hashes: the same hash, the same bytes), or None if they could not be kept."""
        try:
            data = marshal.dumps(head)
        except ValueError:
            return None
        tail_sum, head_sum = _sum(tail), _sum(data)
        kept = self._write(kind, key, head_sum + len(data).to_bytes(8, "little") + data + tail_sum + tail)
        return (tail_sum.hex(), head_sum.hex()) if kept else None

    def get_head(self, kind: str, key: str) -> tuple[object, str, str] | None:
        """The data kept with put_parts, read without its bytes, the bytes' hash and the data's
        (the same hash, the same data); None if missing or damaged."""
        try:
            with open(self._path(kind, key), "rb") as fh:
                top = fh.read(_HASH + 8)
                data = fh.read(int.from_bytes(top[_HASH:], "little"))
                tail_sum = fh.read(_HASH)
        except OSError:
            return None
        if len(top) < _HASH + 8 or len(tail_sum) < _HASH or _sum(data) != top[:_HASH]:
            return None
        value = _loads(data)
        return None if value is _DAMAGED else (value, tail_sum.hex(), top[:_HASH].hex())

    def get_tail(self, kind: str, key: str, expected: str | None = None) -> bytes | None:
        """The bytes kept with put_parts; None if missing or damaged, or if `expected` is given
        and they are not the bytes of that hash (another build has kept others since)."""
        try:
            with open(self._path(kind, key), "rb") as fh:
                top = fh.read(_HASH + 8)
                fh.seek(int.from_bytes(top[_HASH:], "little"), os.SEEK_CUR)
                check = fh.read(_HASH)
                tail = fh.read()
        except (OSError, ValueError):
            return None
        if expected is not None and check.hex() != expected:
            return None
        return tail if len(top) == _HASH + 8 and _sum(tail) == check else None

    def get_tail_data(self, kind: str, key: str, expected: str | None = None) -> object | None:
        """The bytes kept with put_parts, where they are plain data in marshal's format (as
        get_tail reads them); None if missing, damaged or not such data."""
        tail = self.get_tail(kind, key, expected)
        found = _DAMAGED if tail is None else _loads(tail)
        return None if found is _DAMAGED else found

    def get_data(self, kind: str, key: str) -> object | None:
        """A value kept with put_data (marshal: Python's own format for plain data, fast to read;
        the fingerprint holds Python's version, so a value is read by the version that wrote it)."""
        value = self.get(kind, key)
        found = _DAMAGED if value is None else _loads(value)
        return None if found is _DAMAGED else found

    def put_data(self, kind: str, key: str, value: Any) -> None:
        """Keep plain data: str, int, float, bool, None, and tuples, lists, dicts and frozensets of
        them (anything else is not kept: a later build misses it)."""
        try:
            data = marshal.dumps(value)
        except ValueError:
            return
        self.put(kind, key, data)

    def keep_only_used(self) -> None:
        """After a successful build: drop other fingerprints' caches and the entries it did not use."""
        used = self.used
        if self.root.is_dir():
            for other in self.root.iterdir():
                if other != self.folder:
                    shutil.rmtree(other, ignore_errors=True) if other.is_dir() else other.unlink(missing_ok=True)
        for kind in KINDS:
            base = self.folder / kind
            if not base.is_dir():
                continue
            for sub in base.iterdir():
                for entry in sub.iterdir() if sub.is_dir() else []:
                    if entry.name not in used.get(kind, set()):
                        entry.unlink(missing_ok=True)


_DAMAGED = object()


def _loads(data: bytes) -> Any:
    """Plain data from marshal's bytes; _DAMAGED for bytes that are not (marshal.loads raises)."""
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return _DAMAGED


_COMPILED: dict[str, bytes] = {}  # the templates this process compiled or read, by Jinja's bucket key
_KEPT: set[tuple[Path, str]] = set()  # (a build cache's folder, a key) this process knows it holds


class Compiled(jinja2.BytecodeCache):
    """Compiled Jinja templates (the engine's and the theme's), kept in this process's memory and,
    given a build cache, in its folder (kind `jinja`), so that neither a rebuild under `mkdocs
    serve` nor a new build compiles them again. Jinja checks a template's source against the
    checksum kept with its code: an edited template is compiled again, never served stale. The
    entries are few (one per template) and go with their fingerprint's folder."""

    def __init__(self, store: Cache | None = None) -> None:
        self.store = store
        self.code = _COMPILED

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            self._keep(bucket.key, code)  # compiled under another cache folder: this one gets it too
        elif self.store is not None:
            code = self.store.get("jinja", bucket.key)
            if code is not None:
                _KEPT.add((self.store.folder, bucket.key))
        if code is not None:
            bucket.bytecode_from_string(code)  # a template edited since: reset, and compiled again

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code[bucket.key] = bucket.bytecode_to_string()
        if self.store is not None:
            self.store.put("jinja", bucket.key, code)
            _KEPT.add((self.store.folder, bucket.key))

    def _keep(self, key: str, code: bytes) -> None:
        if self.store is not None and (self.store.folder, key) not in _KEPT:
            self.store.put("jinja", key, code)
            _KEPT.add((self.store.folder, key))
