"""The pipeline, end to end: load -> validate -> model -> render -> write.

Only this module and the command line touch the disk. Nothing is written unless every file
validated, and then only files whose content changed are replaced (each atomically), so a
failed build leaves the last good docs/ as it was. (The MkDocs plugin, kb.plugin, hands the
rendered pages to MkDocs in memory and calls write only once the whole site built; under
`mkdocs serve`, never.)
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from . import bib, cache, cite, deps, history, links, model, pagemeta, searchentries, validate, workers
from .bib import load_bib
from .problems import Problem, ValidationFailed, errors
from .render import (
    GENERATED_DIRS,
    GENERATED_FILES,
    KEPT_ELSEWHERE,
    PIECES,
    Download,
    Page,
    Renderer,
    export_jobs,
    piece_key,
)
from .yamlload import Doc, PackedDoc, load_yaml, size_problem

CLAIMS_DIR = "claims"
BIB_FILE = "references.bib"
DOCS_DIR = "docs"
# references.bib is one file (it cannot be split like the claim files): its limit admits the
# benchmark's 50,000-claim corpus (10,500 entries, 3.4 MB) and keeps a runaway file from
# turning into hours of build and hundreds of MB of site.
BIB_MAX_BYTES = 4_000_000

T = TypeVar("T")


@dataclass
class Checked:
    kb: model.KB
    warnings: list[Problem]
    bib_text: str
    dates: dict[str, str] | None = None  # data file -> date of its newest commit (history.py)
    # references.bib was parsed anew (not taken from the build cache): bibtexparser's objects refer
    # to each other, and only Python's cycle collector frees them (a check that took the file from
    # the cache left no such garbage, even with every claim file parsed again)
    parsed_bib: bool = False


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cycle collector: loading makes millions of small acyclic objects, and its
    repeated full passes over them made validation grow faster than the corpus (reference
    counting still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def claim_files(root: Path, claims_dir: str = CLAIMS_DIR) -> list[Path]:
    base = root / claims_dir
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def check(root: Path, claims_dir: str = CLAIMS_DIR, bib_file: str = BIB_FILE, jobs: int | None = None,
          store: cache.Cache | None = None) -> Checked:
    """Load and validate everything under root; raise ValidationFailed listing every error.

    claims_dir and bib_file are relative to root (the plugin's `claims` and `bib` options). The
    claim files load and pass their own checks on `jobs` processes (kb.workers; default: every
    core), with the same result as on one. With a build cache (`store`), a claim file loaded and
    checked before with the same bytes is taken from it (kind `file`)."""
    with _gc_paused():
        return _check(root, claims_dir, bib_file, jobs, store)


def _load_one(root: Path, path: Path, store: cache.Cache | None,
              cached_only: bool = False) -> tuple[Doc, list[Problem], bool, str] | None:
    """One claim file loaded and checked on its own: the document, its problems, whether what it
    holds cannot be listed (then the cross-file checks wait), and its key in the build cache.
    `cached_only`: only as the cache holds it, else None."""
    rel = path.relative_to(root).as_posix()
    too_large = size_problem(rel, path.stat().st_size)  # checked before the file is read
    if too_large:
        return Doc(rel), [too_large], True, ""
    raw = path.read_bytes()
    key = cache.digest("file", rel, raw)
    known = _loaded_from_data(rel, store.get_data("file", key)) if store else None
    if known is not None:
        return (*known, key)
    if cached_only:
        return None
    doc, found = load_yaml(rel, raw)
    bad = bool(found)
    if not found:
        found = validate.check_file(doc)
        bad = any(p.code == "KB201" for p in found)
    if store:
        kept = [dataclasses.astuple(p) for p in found]
        store.put_data("file", key, (doc.data, *PackedDoc.pack(doc), kept, bad, None if bad else model.folded(doc)))
    return doc, found, bad, key


def _loaded_from_data(rel: str, value: object) -> tuple[Doc, list[Problem], bool] | None:
    """A claim file as the cache kept it (`_load_one`); None for anything else (a miss)."""
    if not (isinstance(value, tuple) and len(value) == 6 and isinstance(value[1], dict)
            and isinstance(value[2], bytes) and isinstance(value[3], list) and isinstance(value[4], bool)
            and (value[5] is None or isinstance(value[5], list))):
        return None
    data, few, packed, found, bad, folded = value
    try:
        problems = [Problem(*p) for p in found]
    except TypeError:
        return None
    return PackedDoc(rel, data, few, packed, folded), problems, bad


def _check(root: Path, claims_dir: str, bib_file: str, jobs: int | None, store: cache.Cache | None) -> Checked:
    problems: list[Problem] = []
    docs: list[Doc] = []
    # A file that did not load, or whose records cannot be listed (KB201), would make the
    # cross-file checks report what it holds as missing or unused: they wait until every file loads.
    unreadable = False
    paths = claim_files(root, claims_dir)
    # First, here, the files the cache holds (sending a loaded file back from a worker costs more
    # than reading it); then the others, on every core.
    loaded = [_load_one(root, path, store, cached_only=True) if store else None for path in paths]
    missed = [i for i, known in enumerate(loaded) if known is None]
    for i, made in zip(missed, workers.map_ordered(lambda j: _load_one(root, paths[missed[j]], store), len(missed),
                                                   jobs), strict=True):
        loaded[i] = made
    for result in loaded:
        assert result is not None
        doc, found, bad, key = result
        if store and key:
            store.note("file", [key])
        problems += found
        unreadable |= bad
        docs.append(doc)
    refs, bib_text, found, parsed_bib = _load_bib(root, bib_file, store)
    problems += found
    unreadable |= bib_text is None
    if not unreadable:
        problems += validate.check_corpus([d for d in docs if d.data is not None], refs, bib_file,
                                          _structures(root))
    if errors(problems):
        raise ValidationFailed(problems)
    return Checked(model.build([d for d in docs if d.data is not None], refs), sorted(problems), bib_text or "",
                   history.last_changed(root, [d.path for d in docs] + [bib_file]), parsed_bib)


def _structures(root: Path) -> frozenset[str]:
    """The file names of the structure drawings compounds may name."""
    folder = root / validate.STRUCTURES_DIR
    return frozenset(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else frozenset()


def _load_bib(root: Path, bib_file: str,
              store: cache.Cache | None) -> tuple[dict, str | None, list[Problem], bool]:
    """The references, the file's text (None when the file as a whole cannot be read), the
    problems found, and whether bibtexparser parsed it. The size is checked before the file is
    read. With a build cache, a file read before with the same bytes is taken from it (kind `bib`)."""
    bib_path = root / bib_file
    if not bib_path.exists():
        return {}, None, [Problem(bib_file, 1, 1, "KB401", f"{bib_file} is missing")], False
    size = bib_path.stat().st_size
    if size > BIB_MAX_BYTES:
        return {}, None, [Problem(bib_file, 1, 1, "KB409", f"{bib_file} is {size:,} bytes; "
                                  f"the limit is {BIB_MAX_BYTES:,}")], False
    raw = bib_path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return {}, None, [Problem(bib_file, line, 1, "KB101", f"byte 0x{raw[exc.start]:02x} is not UTF-8")], False
    key = cache.digest("bib", bib_file, raw)
    known = bib.from_data(store.get_data("bib", key)) if store else None
    if known is not None:
        refs, found = known
    else:
        loaded, found = load_bib(bib_file, text)
        if loaded is None:
            return {}, None, found, True
        refs = loaded
        if store:
            store.put_data("bib", key, bib.to_data(refs, found))
    if store:
        store.note("bib", [key])
    return refs, text, found, known is None


def render(checked: Checked, jobs: int | None = None,
           store: cache.Cache | None = None) -> dict[str, Page | Download | str]:
    """Every generated file (path relative to docs/ -> a Page or a data file's text). The pages
    render on `jobs` processes (kb.workers; default: every core), with the same result as on one.
    With a build cache (`store`), a page whose records did not change since it was last rendered
    is taken from it (kb.deps), and so is each data file; and a page's HTML is left there, read
    only where it is needed (`Page.content()`: the theme's page for it changed), so that neither
    a worker sends it back nor an unchanged page's is read at all."""
    with _gc_paused():
        book = deps.Book()
        kb = watched(book, checked.kb)
        renderer = Renderer(kb, cache.Compiled(store))
        page_jobs = renderer.page_jobs()
        finisher = pagemeta.Finisher(kb, _bibtex_entries(checked.bib_text, store),
                                     book.watch("dates", checked.dates or {}), book.watch)

        def finish(rel: str, make: Callable[[], Page]) -> tuple[Page, dict[str, str]]:
            page = make()
            downloads = finisher.finish(rel, page)
            page.anchors, page.links = links.of(page.html)
            page.search = searchentries.entries(rel, page)
            return page, downloads

        # (the job's name, what makes it, how the cache keeps it): the pages, then the data files
        todo: list[tuple[str, Callable[[], Any], _Kept]] = [
            (f"{rel} {make.func.__name__} {make.args!r}", partial(finish, rel, make), _PAGE)  # type: ignore[attr-defined]
            for rel, make in page_jobs]
        exported = export_jobs(kb, store, book.text)
        todo += [(f"export {path}", make, _TEXT) for path, make in exported]
        # First, here, what the cache holds for each job whose records did not change; then the
        # others, on every core.
        if store:
            book.prime()
        done = [_reused(store, book, name, kept, make) if store else None for name, make, kept in todo]
        missed = [i for i, known in enumerate(done) if known is None]
        # the data files first: each reads the whole corpus, and a worker's last chunk should be short
        missed.sort(key=lambda i: i < len(page_jobs))
        if 2 * len(missed) > len(todo) and workers.worker_count(len(missed), jobs) > 1:
            blocks = renderer.block_jobs()  # most pages render: the findings' blocks first, each once
            renderer.keep_blocks(workers.map_ordered(lambda j: blocks[j](), len(blocks), jobs))
        made = workers.map_ordered(lambda j: _made(store, book, *todo[missed[j]]), len(missed), jobs)
        for i, (value, used, (name, head)) in zip(missed, made, strict=True):
            if store and used:  # a page left in the cache: read from there, or made again
                value = todo[i][2].attach(value, _Stored(store, used[0][1], name, todo[i][1], head))
            done[i] = value, used

        files: dict[str, Page | Download | str] = {}
        for i, result in enumerate(done):
            assert result is not None
            value, used = result
            if i < len(page_jobs):
                page, downloads = value
                files.update((path, text if isinstance(text, Download) else Download(text))
                             for path, text in downloads.items())
                files[page_jobs[i][0]] = page
            else:
                files[exported[i - len(page_jobs)][0]] = value
            if store:
                for kind, key in used:
                    store.note(kind, [key])
        if store:  # (what the export jobs keep, in this process or a worker)
            store.note("pieces", [piece_key(name) for name in PIECES])
    files["data/references.bib"] = checked.bib_text
    return files


def _bibtex_entries(bib_text: str, store: cache.Cache | None) -> dict[str, str]:
    """Each entry of references.bib as BibTeX (kb.cite.bibtex_entries); with a build cache, taken
    from it for the same text (kind `bib`)."""
    key = cache.digest("bib", "entries as BibTeX", bib_text)
    known = store.get_data("bib", key) if store else None
    if isinstance(known, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in known.items()):
        entries = known
    else:
        entries = cite.bibtex_entries(bib_text)
        if store:
            store.put_data("bib", key, entries)
    if store:
        store.note("bib", [key])
    return entries


class _Stored:
    """What a build left in the build cache beside a job's data (kind "rendered"): a page's HTML
    and its downloads' texts, or a data file's text, read only where they are needed; or, if the
    cache no longer holds them (another build in the same folder cleared the entry, or kept another
    version of the page there), made again by the job."""

    def __init__(self, store: cache.Cache, key: str, name: str, make: Callable[[], Any], head: str = "") -> None:
        self.store, self.key, self.name, self.make = store, key, name, make  # name: the kept bytes' hash
        self.head = head  # the hash of the data kept beside them (headings, metadata, search entries...)

    def downloads(self, paths: Iterable[str]) -> dict[str, Download]:
        """A page's downloads, kept beside its HTML: each read from there when its text is asked
        for, and named by the hash of what is kept there and its path (the same name, the same text)."""
        return {path: Download(None, f"{self.name} {path}", partial(self.download, path)) for path in paths}

    def read(self) -> Any:
        """What the job's output kept beside its data (`_Kept.parts`), if the cache still holds it."""
        return self.store.get_tail_data("rendered", self.key, self.name)

    def __call__(self) -> str:
        """The page's HTML."""
        kept = self.read()
        return kept[0] if _page_tail(kept) else self.make()[0].html

    def download(self, path: str) -> str:
        kept = self.read()
        return kept[1][path] if _page_tail(kept) and path in kept[1] else self.make()[1][path]


def _page_tail(kept: Any) -> bool:
    """Whether what the cache kept beside a page's data is what `_page_parts` keeps there."""
    return (isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], str) and isinstance(kept[1], dict)
            and all(isinstance(text, str) for text in kept[1].values()))


class _Kept:
    """How a job's output is kept in the build cache: `parts` splits it into plain data and the
    bytes kept beside it; `light` is what a worker sends back once it is kept (a page without its
    HTML and its downloads' texts); `attach` makes of that the output, read from the cache where
    needed; `back` reads the output again from the data and a way to read the bytes, or None if
    the data is not such an output (a miss)."""

    def __init__(self, parts: Callable[[Any], tuple[Any, bytes]], light: Callable[[Any], Any],
                 attach: Callable[[Any, _Stored], Any], back: Callable[[object, _Stored], Any | None]) -> None:
        self.parts, self.light, self.attach, self.back = parts, light, attach, back


def _page_parts(finished: tuple[Page, dict[str, str]]) -> tuple[tuple, bytes]:
    """A finished page's data (its downloads by path only) and, beside it, its HTML and downloads:
    the 4,400 pages' data is read at every build, the HTML and downloads only where they are written."""
    page, downloads = finished
    return ((page.headings, page.meta, page.search, page.anchors, page.links, tuple(downloads)),
            marshal.dumps((page.html, downloads)))


def _page_light(finished: tuple[Page, dict[str, str]]) -> tuple[Page, tuple[str, ...]]:
    page, downloads = finished
    return dataclasses.replace(page, html=KEPT_ELSEWHERE), tuple(downloads)


def _page_attach(light: tuple[Page, tuple[str, ...]], stored: _Stored) -> tuple[Page, dict[str, Download]]:
    page, downloads = light
    page.load, page.kept, page.kept_with = stored, stored.name, stored.head
    return page, stored.downloads(downloads)


def _page_back(head: object, stored: _Stored) -> tuple[Page, dict[str, Download]] | None:
    """A finished page as the cache kept it, its HTML and downloads read when asked for; None for
    anything else."""
    if not (isinstance(head, tuple) and len(head) == 6):
        return None
    headings, meta, search, anchors, links, downloads = head
    if not (isinstance(headings, list) and isinstance(meta, dict) and isinstance(search, list)
            and isinstance(anchors, frozenset) and isinstance(links, tuple) and isinstance(downloads, tuple)
            and all(isinstance(path, str) for path in downloads)):
        return None
    return (Page(KEPT_ELSEWHERE, headings, meta, search, anchors, links, load=stored, kept=stored.name,
                 kept_with=stored.head),
            stored.downloads(downloads))


def _text_back(head: object, stored: _Stored) -> str | None:
    if head != ():
        return None
    text = stored.read()
    return text if isinstance(text, str) else None


_PAGE = _Kept(_page_parts, _page_light, _page_attach, _page_back)
# a data file is read whole (there are five, and MkDocs writes them)
_TEXT = _Kept(lambda text: ((), marshal.dumps(text)), lambda text: text, lambda text, stored: text, _text_back)


def _reused(store: cache.Cache, book: deps.Book, job: str, kept: _Kept,
            make: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]] | None:
    """What the job made before, from the cache, if every record it read then is unchanged now
    (kb.deps), and the cache entry used; None otherwise. `job` names what the job makes."""
    key = cache.digest("rendered", job)
    found = store.get_head("rendered", key)
    head = found[0] if found else None
    if not (found and isinstance(head, tuple) and len(head) == 3):
        return None
    trace, then, output = head
    if not isinstance(trace, str) or then != book.digest(trace):
        return None
    known = kept.back(output, _Stored(store, key, found[1], make, found[2]))
    return None if known is None else (known, [("rendered", key)])


def _made(store: cache.Cache | None, book: deps.Book, job: str, make: Callable[[], T],
          kept: _Kept) -> tuple[T, list[tuple[str, str]], tuple[str, str]]:
    """What make() makes, kept in the cache for the next build with the records it read (its
    trace, kb.deps) and a digest of what they held; what is sent back is then its light form
    (`_Kept`), with the hashes of what was left in the cache (its bytes', its data's)."""
    with deps.Recording() as reads:
        made = make()
    if not store:
        return made, [], ("", "")
    trace = book.trace(reads.tokens)
    key = cache.digest("rendered", job)
    head, tail = kept.parts(made)
    names = store.put_parts("rendered", key, (trace, book.digest(trace), head), tail)
    if names is None:
        return made, [], ("", "")  # not kept: sent back whole
    return kept.light(made), [("rendered", key)], names


def watched(book: deps.Book, kb: model.KB) -> model.KB:
    """The model with each of its containers watched (kb.deps), the entities' by kind."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(kb):
        value = getattr(kb, f.name)
        if f.name == "entities":
            changes[f.name] = {kind: book.watch(f"entities/{kind}", records) for kind, records in value.items()}
        else:
            changes[f.name] = book.watch(f.name, value)
    return dataclasses.replace(kb, **changes)


def text_of(item: Page | Download | str) -> str:
    """A generated file's text as docs/ gets it (a page: its metadata, then its HTML)."""
    return pagemeta.as_text(item) if isinstance(item, Page) else item.text if isinstance(item, Download) else item


def write(docs_dir: Path, files: dict[str, Page | Download | str]) -> int:
    """Make the generated part of docs_dir hold exactly `files`; return how many files changed."""
    changed = 0
    for rel, item in sorted(files.items()):
        target = docs_dir / rel
        data = text_of(item).encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kb-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        changed += 1
    owned = {docs_dir / d for d in GENERATED_DIRS}
    for d in owned:
        for path in sorted(d.rglob("*"), reverse=True) if d.exists() else []:
            rel = path.relative_to(docs_dir).as_posix()
            if path.is_file() and rel not in files:
                path.unlink()
                changed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


def generate(root: Path) -> tuple[Checked, int]:
    checked = check(root)
    files = render(checked)
    return checked, write(root / DOCS_DIR, files)


__all__ = ["check", "render", "write", "generate", "GENERATED_FILES", "ValidationFailed"]
