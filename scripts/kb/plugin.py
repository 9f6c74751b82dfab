"""The knowledge base as a MkDocs plugin (`kb` in mkdocs.yml's `plugins:`).

    plugins:
      - search
      - kb:
          claims: claims            # the curators' YAML files (the default)
          bib: references.bib       # the studies and source articles (the default)
          jobs: 0                   # processes to render on: 0 = $KB_JOBS, else every core
          cache: .cache/kb          # the build cache (kb.cache)
          search_shards: auto       # the search index in shards (kb.shards): auto, always, never

One thing per event:

- on_config: take the search plugin's index over (DataSearchIndex: a generated page's search
  entries come from the page); under `mkdocs build`, build into a staging folder beside site/,
  so that a failed build leaves the last good site/ as it was.
- on_pre_build: validate the claims and references.bib and render the pages, in memory, on every
  core. A curator's error stops the build with `path:line:col: CODE message (fix: ...)` lines
  and no traceback; warnings are reported and the build goes on.
- on_files: hand the rendered pages to MkDocs (in memory, never read back from docs/), each as a
  DataPage: its content, headings and metadata are the engine's, so Python-Markdown never parses
  a generated page (hand-written pages such as about.md still go through it). They are marked
  "not in nav" on purpose: only the section index pages are in the nav.
- on_nav: keep the navigation, which building a page needs.
- on_env (last): under `mkdocs build` on several cores, start writing a sharded search index
  in a process of its own, from the entries the page loop will give (DataSearchIndex.start);
  build every generated page into the site (theme template, plugins' page events,
  the file) on every core, or take it from the build cache (`prebuild`); keep the theme's
  compiled templates in the build cache and, under `mkdocs serve`, in memory between rebuilds;
  render the theme's navigation once per folder for the pages outside it (`_NavOnce`); write
  the generated files that are not pages with the pages: the data exports (`DataFile`) and the
  pages' citation downloads, which MkDocs is not told of (`_Download`: a hand-written page
  cannot link to one).
- Material's search plugin's page event: a generated page's data-search-* attributes are dropped
  before the plugin scans it, and it scans "" instead (`DataPage.searched`).
- on_serve: watch the claims folder and references.bib too.
- on_post_page / on_post_template: the Content-Security-Policy step (`content_security_policy`).
- on_post_build (last of all plugins): only when the build succeeded, strict warnings included,
  prune the build cache and swap the staging folder in for site/. The plugin never writes docs/
  (`kb build` writes a copy of the generated files there for reading).
- on_shutdown: drop a staging folder a failed build left behind.

The plugin defines on_startup, so MkDocs keeps one instance for the whole `mkdocs serve`
session: its state lives on the instance, not in module globals.
"""
from __future__ import annotations

import base64
import functools
import gc
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jinja2
from material.plugins.search.plugin import SearchIndex as MaterialSearchIndex
from mkdocs import utils
from mkdocs.commands import build as mkdocs_build
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from . import build, cache, links, render, shards, workers
from .problems import ValidationFailed
from .render import GENERATED_DIRS, GENERATED_FILES
from .searchentries import url_of

log = logging.getLogger("mkdocs.plugins.kb")

STAGING_SUFFIX = ".kb-staging"
OLD_SUFFIX = ".kb-old"


class _ProjectPath(c.Type[str]):
    """A path inside the project, relative to mkdocs.yml's folder (curators' messages name
    files by such paths)."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        path = super().run_validation(value)
        pure = PurePosixPath(path)
        if not pure.parts or pure.is_absolute() or ".." in pure.parts:
            raise c.ValidationError(f"{path!r} must be a path inside the project, relative to mkdocs.yml")
        return path


class KBConfig(base.Config):
    """The plugin's options in mkdocs.yml."""

    claims = _ProjectPath(default=build.CLAIMS_DIR)  # the folder of the curators' YAML files
    bib = _ProjectPath(default=build.BIB_FILE)  # the BibTeX file of every study and source article
    jobs = c.Type(int, default=0)  # processes to render pages on; 0: $KB_JOBS, else every core
    cache = _ProjectPath(default=".cache/kb")  # the build cache (kb.cache): ignored by git, safe to delete
    # the search index in shards (kb.shards): `auto` once one index would be too large to load
    search_shards = c.Choice(("auto", "always", "never"), default="auto")


class KBPlugin(BasePlugin[KBConfig]):
    def __init__(self) -> None:
        self.command: str | None = None
        self.final_site: Path | None = None  # site/ while a `mkdocs build` builds into staging
        self.pages: dict[str, render.Page | render.Download | str] = {}  # docs-relative path -> generated file
        self.downloads: list[_Download] = []  # the pages' citation downloads, which MkDocs does not know
        self.nav: Any = None
        self.store: cache.Cache | None = None
        self.skipped = _SkippedPages()
        self.search_index: DataSearchIndex | None = None
        self.published: dict[str, str] = {}  # the files prebuilt into the site -> what they hold (`_Site`)
        self.site_record: _Site | None = None  # the site before's record, kept anew after a good build

    # -- setup -------------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        search = next((p for name, p in config.plugins.items() if name in ("search", "material/search")), None)
        if search is not None and hasattr(search, "search_index"):  # after the search plugin's on_config
            search.search_index = self.search_index = DataSearchIndex(**search.search_index.config)
        self.final_site = None
        if self.command == "build":
            final = Path(config.site_dir)
            self.final_site = final
            config.site_dir = str(final.with_name(final.name + STAGING_SUFFIX))
        if self.search_index is not None:
            self.search_index.shards = self.config.search_shards
            self.search_index.shard_folder = Path(config.site_dir) / "search"
            self.search_index.shards_before = self.final_site / "search" if self.final_site is not None else None
            self.search_index.jobs = self.jobs()
        return config

    def root(self, config: MkDocsConfig) -> Path:
        return Path(config.config_file_path).resolve().parent

    # -- generate ----------------------------------------------------------------------------

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        try:
            self.store = self.open_cache(config)
            if self.command == "build":  # (the check's cyclic garbage, if any, is collected by keep_for_good)
                gc.disable()
            checked = build.check(self.root(config), claims_dir=self.config.claims, bib_file=self.config.bib,
                                  jobs=self.jobs(), store=self.store)
            self.keep_for_good(collect=checked.parsed_bib)
            if self.search_index is not None:
                self.search_index.store = self.store
            self.pages = build.render(checked, self.jobs(), self.store)
            self.keep_for_good()
        except ValidationFailed as failed:
            raise Abort(f"{failed}\nkb: {failed.error_count} error(s) in the knowledge base; "
                        "nothing was built") from None
        except OSError as exc:
            raise Abort(f"kb: cannot read {exc.filename or 'a file'}: {exc.strerror or exc}; "
                        "nothing was built") from None
        for w in checked.warnings:
            log.info(w.format())
        log.info(f"kb: {len(checked.kb.claims)} claims valid; {len(self.pages)} files generated")

    def keep_for_good(self, collect: bool = False) -> None:
        """Under `mkdocs build` (one build, then the process ends), what exists now lives until the
        end, and the build makes millions of objects that reference counting frees: Python's
        cycle collector is told to stop scanning what exists (gc.freeze), and to stop running
        (it rescanned the model and pages again and again, and made the forked workers copy the
        memory it touched: a 10,000-claim build took 30 s with it, 22 s without; peak memory stayed
        the same at 10,000 claims and grew 6% at 50,000). Not under `serve`: each rebuild's
        objects must go when the next replaces them. `collect`: collect once first, for a check
        that left cyclic garbage (kb.build.Checked.parsed_bib); any other check left none, and a
        collection only rescanned the model (0.07-0.11 s at 10,000 claims)."""
        if self.command == "build":
            if collect:
                gc.collect()
            gc.freeze()
            gc.disable()

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """The generated pages replace whatever an earlier build left in docs/, in the order
        MkDocs would have read them from docs/ (the search index follows that order)."""
        titles = _nav_titles(config.nav or [])
        generated = []
        self.downloads = []
        for rel, item in self.pages.items():
            if isinstance(item, render.Download):
                self.downloads.append(_Download(rel, os.path.join(config.site_dir, rel), item))
            elif isinstance(item, render.Page):  # the page has its content (DataPage): the file holds none
                file = File.generated(config, rel, content="", inclusion=InclusionLevel.NOT_IN_NAV)
                DataPage(titles.get(rel), file, config, item)
            else:
                file = DataFile.generated(config, rel, content=item, inclusion=InclusionLevel.NOT_IN_NAV)
            generated.append(file)
        docs = [f for f in files if f.src_dir == config.docs_dir and not _generated(f.src_uri)]
        rest = [f for f in files if f.src_dir != config.docs_dir]
        site = Files(sorted(docs + generated, key=_docs_dir_order) + rest)
        self.check_links(site)
        return site

    def check_links(self, files: Files) -> None:
        """The generated pages' links and anchors, which Python-Markdown no longer sees: each
        broken one is a warning, so that a strict build fails on it. A page's links and ids are
        read from its HTML (its hash: `kept`). With a build cache, a check that found nothing
        broken is recorded under the site's files (kind "links": each page's HTML hash and ids,
        kb.links.recorded); the next check among the same files reads again only the links of
        the pages whose HTML changed, while every page has the ids it had (kb.links.to_check)."""
        generated = {f.dest_uri: f.page.generated for f in files if isinstance(f.page, DataPage)}
        pages = {uri: (page.anchors, page.links) for uri, page in generated.items()}
        # (the downloads are linked by the theme's page, not the content; a content may link one too)
        names = [f.dest_uri for f in files] + [d.dest_uri for d in self.downloads]
        key, record, now = None, None, {}
        if self.store and all(page.kept for page in generated.values()):
            key = cache.digest("links", *sorted(names))
            self.store.note("links", [key])
            found = self.store.get_data("links", key)
            record = found if isinstance(found, dict) and all(
                isinstance(v, tuple) and len(v) == 2 for v in found.values()) else None
            now = {uri: (page.kept or "", page.anchors) for uri, page in generated.items()}
        problems = links.broken(pages, names, links.to_check(record, now) if now else None)
        if key and self.store and not problems and (made := links.recorded(now, record)) != record:
            self.store.put_data("links", key, made)
        for problem in problems[:MAX_LINK_WARNINGS]:
            log.warning(f"kb: {problem}")
        if len(problems) > MAX_LINK_WARNINGS:
            log.warning(f"kb: {len(problems) - MAX_LINK_WARNINGS} more broken links in the generated pages")

    def open_cache(self, config: MkDocsConfig) -> cache.Cache:
        """The cache under this build's fingerprint: the engine's code and templates, mkdocs.yml,
        its hooks and the theme overrides (and, kb.cache.fingerprint, the tools' versions)."""
        root = self.root(config)
        files = cache.source_files(Path(__file__).parent, Path(config.theme.custom_dir or root / "overrides"))
        files += [Path(config.config_file_path)] + [root / h for h in config.get("hooks") or []]
        return cache.Cache(root / self.config.cache, cache.fingerprint(files, [str(config.site_url)]))

    def jobs(self) -> int:
        """Processes to render on: one under `serve` (its server's threads and forking do not mix)."""
        return 1 if self.command == "serve" else workers.jobs_wanted(self.config.jobs)

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self.nav = nav
        return nav

    @event_priority(-100)  # last: every plugin has set up what it needs to build a page
    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        """Keep the theme's compiled templates between rebuilds and builds (kb.cache.Compiled: Jinja
        checks each template's source is unchanged): compiling them is a fifth of a small site's
        rebuild. Then build the generated pages into the site on every core (`prebuild`)."""
        env.bytecode_cache = cache.Compiled(self.store)
        assert env.loader is not None
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({NAV_TEMPLATE: _NAV_ONCE}),
                                          jinja2.PrefixLoader({_THEME: env.loader}), env.loader])
        env.globals["kb_nav_once"] = _NavOnce(self.nav)
        if self.search_index is not None and self.command == "build" and self.jobs() > 1 and workers.can_fork():
            self.search_index.start([f.page for f in files.documentation_pages() if f.page is not None])
        self.prebuild(env, config, files)
        return env

    def prebuild(self, env: jinja2.Environment, config: MkDocsConfig, files: Files) -> None:
        """Build the generated pages (theme template, plugins' page events, the file in site/)
        in forked workers, with MkDocs' own page builder, exactly as MkDocs' page loop would; the
        loop then finds each of them built (an empty template: nothing rendered twice, nothing
        written twice) and still hands it to the plugins' page events, so that the search index
        lists its entries in MkDocs' order. A worker's warnings are counted by the strict mode."""
        inclusion = InclusionLevel.is_in_serve if self.command == "serve" else InclusionLevel.is_included
        doc_files = files.documentation_pages(inclusion=inclusion)
        pages = [f.page for f in doc_files if isinstance(f.page, DataPage)]
        data_files: list[DataFile | _Download] = [f for f in files if isinstance(f, DataFile)
                                                  and f.inclusion.is_included()]
        data_files += self.downloads
        store = self.store
        # the site of the build before, if any: its unchanged files are linked (`_publish`, `_Site`)
        old_site = self.final_site if self.final_site is not None and self.final_site.is_dir() else None
        site = self.site_record = _Site(store, self.final_site)

        def previous(file: File | _Download) -> Path | None:
            return None if old_site is None else old_site / file.dest_uri

        def held(i: int) -> str:
            """What the i-th file holds: a page's key in the cache (its content, or, where it is
            unread, its hash: kb.build, the same hash, the same content; its metadata, headings and
            title), a generated file's digest. The pages come first, then the generated files. An
            unread page whose metadata no plugin changed is named by its address, title and what the
            cache kept of it (its HTML's hash and its data's, which holds its headings and metadata):
            writing the metadata and headings out was a third of naming the 4,400 pages."""
            if i >= len(pages):
                return data_files[i - len(pages)].held()
            page = pages[i]
            kept = page.generated
            if page.unread and kept.kept_with and page.meta == kept.meta:
                return cache.digest("page", page.url, "kept with", kept.kept, kept.kept_with, str(page.title))
            made_of = ("kept", kept.kept) if page.unread else ("content", page.content or "")
            return cache.digest("page", page.url, *made_of, json.dumps(page.meta, sort_keys=True),
                                json.dumps(page.generated.headings), str(page.title))

        def build_one(i: int, key: str) -> bool:
            """Build one page, or write what the same input built before (kb.cache); after the
            pages, write the generated files (`DataFile`). True where the page was taken from the cache."""
            if i >= len(pages):
                file = data_files[i - len(pages)]
                _publish(file.content_bytes, file.abs_dest_path, previous(file))
                return False
            page = pages[i]
            known = store.get("page", key) if store else None
            if known is not None:
                _publish(known, page.file.abs_dest_path, previous(page.file))
                return True
            page.read()
            seen = _Warnings()
            logging.getLogger("mkdocs").addHandler(seen)
            try:
                mkdocs_build._build_page(page, config, doc_files, self.nav, env)
            finally:
                logging.getLogger("mkdocs").removeHandler(seen)
            if store and not seen.count:  # a page that warned is built again, and warns again
                store.put("page", key, Path(page.file.abs_dest_path).read_bytes())
            return False

        made: list[File | _Download] = [*(p.file for p in pages), *data_files]
        # first, here, each file the site before holds as this build would make it (`_Site`); then
        # the others, on every core
        keys = [held(i) for i in range(len(made))]
        linked = [site.link(f.dest_uri, key, f.abs_dest_path) for f, key in zip(made, keys, strict=True)]
        missed = [i for i, done in enumerate(linked) if not done]
        if self.search_index is not None:  # MkDocs' loop indexes each page, once, in its order
            self.search_index.paused = True
        try:
            results = workers.map_ordered(lambda j: build_one(missed[j], keys[missed[j]]), len(missed), self.jobs())
        finally:
            if self.search_index is not None:
                self.search_index.paused = False
        reused = linked[:len(pages)]
        for i, result in zip(missed, results, strict=True):
            if i < len(pages):
                reused[i] = result
        for file in data_files:
            file.written = True
        self.published = {f.dest_uri: key for f, key in zip(made, keys, strict=True)}
        if store:
            store.note("page", keys[:len(pages)])
        log.info(f"kb: {len(pages)} generated pages built on {workers.worker_count(len(missed), self.jobs())} "
                 f"process(es), {sum(reused)} of them reused from the cache")
        assert env.loader is not None
        env.loader = jinja2.ChoiceLoader([_Prebuilt(env), env.loader])
        for page in pages:
            page.meta["template"] = PREBUILT_TEMPLATE
            # MkDocs' loop now only hands the page to the plugins' events: without its content, which the
            # worker used, the search plugin does not scan it again (the index takes the page's entries)
            page.content = ""
            self.skipped.uris.add(page.file.src_uri)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        root = self.root(config)
        # MkDocs polls for changes every 0.5 s; the curators' files are few and small, so they are
        # polled every 0.1 s (watchdog reads the interval, kept in _timeout, when a path is watched).
        if hasattr(server.observer, "_timeout"):
            server.observer._timeout = 0.1
        server.watch(str(root / self.config.claims))
        server.watch(str(root / self.config.bib))
        return server

    # -- the Content-Security-Policy step ----------------------------------------------------

    @event_priority(-100)  # last: after any other plugin changed the page
    def on_post_page(self, output: str, *, page: Any, config: MkDocsConfig) -> str:
        return content_security_policy(output)

    @event_priority(-100)
    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return content_security_policy(output_content) if template_name.endswith(".html") else output_content

    # -- publish only a good build -----------------------------------------------------------

    @event_priority(-100)  # last: after the search plugin wrote its index into the staging folder
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if _strict_warnings(config):
            return  # MkDocs aborts next: site/ stays as it was
        if self.store:
            self.store.keep_only_used()
        if self.final_site is not None:
            _swap_in(Path(config.site_dir), self.final_site)
            config.site_dir = str(self.final_site)
            if self.site_record is not None:
                self.site_record.keep(self.published)

    def on_shutdown(self) -> None:
        if self.search_index is not None:
            self.search_index.abandon()
        if self.final_site is not None:
            shutil.rmtree(self.final_site.with_name(self.final_site.name + STAGING_SUFFIX), ignore_errors=True)


class DataPage(Page):
    """A generated page: MkDocs gets its content, table of contents, title and metadata from the
    engine as they are, instead of reading Markdown and rendering it."""

    def __init__(self, title: str | None, file: File, config: MkDocsConfig, generated: render.Page) -> None:
        self._content: str | None = None
        self._toc: Any = None  # made from the engine's headings when asked for (`toc`)
        self._searched: str | None = None  # the content as Material's search will leave it (`searched`)
        self.unread = False  # its content is still where the engine left it (`render`)
        super().__init__(title, file, config)
        self.generated = generated

    def _set_canonical_url(self, base: str | None) -> None:
        """MkDocs' canonical address (urljoin(base, url)) and its path, joined as text where that
        is what urljoin makes (`canonical`): two address parses a page were a third of making it."""
        made = canonical(base, self.url) if base else None
        if made is None:
            super()._set_canonical_url(base)
        else:
            self.canonical_url, self.abs_url = made

    @property
    def toc(self) -> Any:
        """The table of contents, made from the engine's headings when first asked for: only a
        page the theme builds again asks (making it for each of 4,400 pages was half of MkDocs'
        reading them)."""
        if self._toc is None:
            self._toc = get_toc(_toc_tokens(self.generated.headings))
        return self._toc

    @toc.setter
    def toc(self, value: Any) -> None:
        self._toc = value

    @property
    def content(self) -> str | None:
        return self._content

    @content.setter
    def content(self, value: str | None) -> None:
        if self._searched is not None:  # Material's search plugin sets what it made of "": `searched`
            value, self._searched = self._searched, None
        self._content = value

    def searched(self) -> None:
        """Called by the search index just before Material's search plugin drops the page's
        data-search-* attributes (`page.content = re.sub(r'\\s?data-search-\\w+="[^"]+"', "",
        page.content)`): a scan that tries its pattern at every character (a third of the theme's
        time on a generated page). The content is made here as that scan would make it, in a
        fifteenth of the time; the plugin is handed "" to scan, and its result, "", is replaced by
        this content when it sets it."""
        if self._content:
            self._searched, self._content = without_search_attributes(self._content), ""

    def read_source(self, config: MkDocsConfig) -> None:
        self.markdown = ""  # nothing for Markdown to do: the content is HTML already
        self.meta = dict(self.generated.meta)

    def render(self, config: MkDocsConfig, files: Files) -> None:
        """The content, table of contents and title. A content the engine left in the build cache
        is read only where the theme's page for it is built again (`read`, KBPlugin.prebuild), unless
        a plugin handles the page_content event that MkDocs fires next."""
        page = self.generated
        self.unread = page.load is not None and not config.plugins.events.get("page_content")
        self.content = "" if self.unread else page.content()
        self._toc = None  # (`toc`)
        self._title_from_render = page.title or None

    def read(self) -> None:
        if self.unread:
            self.content, self.unread = self.generated.content(), False

    @property
    def present_anchor_ids(self) -> set[str]:
        """The ids on the page, read only if a hand-written page links to one of them."""
        return set(self.generated.anchors)

    @present_anchor_ids.setter
    def present_anchor_ids(self, value: object) -> None:
        pass  # the ids come from the generated page


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_\-./]*\Z")  # no scheme, query, fragment or escape


@functools.lru_cache(maxsize=8)
def _base_path(base: str) -> str | None:
    """The path of a site address that urljoin extends as text: one with a scheme and host, no
    query or fragment, no parameters and no empty segment; else None."""
    parts = urlsplit(base)
    plain = parts.scheme and parts.netloc and base == f"{parts.scheme}://{parts.netloc}{parts.path}"
    if not plain or not parts.path.endswith("/") or ";" in parts.path or "//" in parts.path:
        return None
    return parts.path


def canonical(base: str, url: str) -> tuple[str, str] | None:
    """(urljoin(base, url), its path) for a site address ending in "/" and a plain relative
    address (letters, digits, "-", "_", ".", "/"; no "." or ".." segment, no empty one), made as
    text; None for anything else (urljoin makes it)."""
    path = _base_path(base)
    if path is None or not _PLAIN_PATH.match(url) or "//" in url or "/." in "/" + url:
        return None
    return base + url, path + url


NAV_TEMPLATE = "partials/nav.html"  # the theme's navigation, the same on every page outside it
_THEME = "kb-theme"  # the theme's own templates, under this prefix
_NAV_ONCE = f'{{% call kb_nav_once(page) %}}{{% include "{_THEME}/{NAV_TEMPLATE}" %}}{{% endcall %}}'


class _NavOnce:
    """The theme's navigation (partials/nav.html), rendered once per folder for the pages that are
    not in it: it marks no item of theirs as the current one, and its links differ only by the
    folder they are relative to. It was a fifth of the theme's time on a generated page. A page in
    the navigation renders it as the theme does."""

    def __init__(self, nav: Any) -> None:
        self.in_nav = {page.file.src_uri for page in nav.pages} if nav is not None else None
        self.made: dict[str, str] = {}

    def __call__(self, page: Any, caller: Any) -> str:
        if self.in_nav is None or not isinstance(page, DataPage) or page.file.src_uri in self.in_nav:
            return caller()
        folder = posixpath.dirname(page.url)
        made = self.made.get(folder)
        if made is None:
            made = self.made[folder] = caller()
        return made


class DataFile(File):
    """A generated file that is not a page (a page's citation downloads, the data exports): written
    with the pages, on every core (`KBPlugin.prebuild`), so that MkDocs' copy of the site's
    static files, on one process, has nothing left to write."""

    written = False

    def copy_file(self, dirty: bool = False) -> None:
        if not self.written:
            super().copy_file(dirty)

    def held(self) -> str:
        """What it holds (`KBPlugin.prebuild`): its bytes' digest."""
        return cache.digest("file", self.content_bytes)


class _Download:
    """A page's citation download (kb.render.Download), written with the pages as a DataFile is,
    but never a MkDocs file: there are two per citing page (8,800 at 10,000 claims), and making
    them files was a fifth of handing the generated files to MkDocs on a warm rebuild."""

    __slots__ = ("abs_dest_path", "dest_uri", "made", "written")

    def __init__(self, dest_uri: str, abs_dest_path: str, made: render.Download) -> None:
        self.dest_uri, self.abs_dest_path, self.made, self.written = dest_uri, abs_dest_path, made, False

    @property
    def content_bytes(self) -> bytes:
        return self.made.text.encode("utf-8")

    def held(self) -> str:
        """What it holds (`KBPlugin.prebuild`): named by where the build cache keeps it, if it was
        read from there, else by its bytes' digest."""
        made_of = self.made.made_of
        return cache.digest("download", made_of) if made_of else cache.digest("file", self.content_bytes)


MAX_LINK_WARNINGS = 20  # a template's broken link repeats on every page: the first few say it
PREBUILT_TEMPLATE = "kb-prebuilt.html"  # renders nothing, so MkDocs writes nothing over the page


class _Prebuilt(jinja2.BaseLoader):
    """Loads PREBUILT_TEMPLATE: a template that renders nothing without making the context that
    rendering the empty template made for each of 4,400 pages (a third of MkDocs' loop over them)."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.template = env.from_string("")
        self.template.render = lambda *args, **kwargs: ""  # type: ignore[method-assign]

    def load(self, environment: jinja2.Environment, name: str, globals: Any = None) -> jinja2.Template:
        if name != PREBUILT_TEMPLATE:
            raise jinja2.TemplateNotFound(name)
        return self.template


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class _SkippedPages(logging.Filter):
    """Drops MkDocs' "Page skipped" notice for a page a worker built (`KBPlugin.prebuild`)."""

    def __init__(self) -> None:
        super().__init__()
        self.uris: set[str] = set()
        logging.getLogger("mkdocs.commands.build").addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Page skipped: '") and message[len("Page skipped: '"):].split("'", 1)[0]
                    in self.uris)


class DataSearchIndex(MaterialSearchIndex):
    """Material's search index, taking a generated page's entries from the page (DataPage) instead
    of parsing all its HTML again; hand-written pages are indexed as Material does. While the
    pages are prebuilt (`KBPlugin.prebuild`), it is paused: the page loop indexes them after."""

    paused = False
    shards = "never"  # kb.shards: auto, always, never (the plugin's search_shards)
    shard_folder: Path | None = None  # where the shards go: the site's search/ folder
    store: cache.Cache | None = None  # the build cache, for the words of the pages (kb.shards)
    jobs = 1  # processes to read the pages' words on (kb.shards, kb.workers)
    shards_before: Path | None = None  # the search folder of the site before, if any (`_shards_before`)

    early: workers.Beside | None = None  # the shards being written beside this process (`start`)
    predicted: list[dict] | None = None  # the entries they are written from

    def add_entry_from_context(self, page: Page) -> None:
        if isinstance(page, DataPage):
            page.searched()
        if not self.paused:
            self.entries.extend(self.entries_of(page))

    def entries_of(self, page: Page) -> list[dict]:
        """A page's entries: a generated page's own, a hand-written page's as Material makes them."""
        if isinstance(page, DataPage) and page.generated.search is not None:
            here, made = page.url, url_of(page.file.src_uri)  # made for use_directory_urls: false
            return [e if here == made else {**e, "location": here + e["location"][len(made):]}
                    for e in page.generated.search]
        scratch = MaterialSearchIndex(**self.config)
        scratch.add_entry_from_context(page)
        return scratch.entries

    def start(self, pages: list[Page]) -> None:
        """Under `mkdocs build` on several cores, once every page is read (KBPlugin.on_env): the
        entries MkDocs' page loop will give the index, in its order, worked out now, and, for a
        site whose index goes in shards, the shards written from them in a process beside this
        one (kb.workers.Beside) while this one builds the pages: at the end of a warm build they
        were a fifth of it. The loop still gives the index its entries; generate_search_index takes
        what the other process wrote only if they are exactly the entries it was written from."""
        self.abandon()
        predicted = [entry for page in pages for entry in self.entries_of(page)]
        if self.shard_folder is None or not self.sharded(predicted):
            return
        try:
            self.early = workers.Beside(lambda: self.write_shards(predicted, noted=True))
        except OSError:
            return  # no process to spare: written after the pages, here
        self.predicted = predicted

    def abandon(self) -> None:
        """Stop the shards' process, if one is still running (a build that failed before it ended)."""
        if self.early is not None:
            self.early.abandon()
        self.early, self.predicted = None, None

    def sharded(self, entries: list[dict]) -> bool:
        return self.shards == "always" or (self.shards == "auto" and shards.too_large(entries))

    def write_shards(self, entries: list[dict], noted: bool = False) -> tuple[dict, dict[str, list[str]]]:
        """Write the index in shards (kb.shards); return its config for search_index.json and, with
        `noted`, the build cache's entries it used (a forked process's notes are its own)."""
        assert self.shard_folder is not None
        if noted and self.store is not None:
            self.store.used = {kind: set() for kind in cache.KINDS}
        config = {key: self.config[key] for key in ["lang", "separator", "pipeline", "fields"]}
        before = _shards_before(self.shards_before)
        config["kb_shards"] = shards.write(
            entries, config, self.shard_folder, self.store, self.jobs,
            lambda data, dest, name: _publish(data, str(dest), before / name if before else None))
        used = {kind: sorted(keys) for kind, keys in self.store.used.items()} if noted and self.store else {}
        return config, used

    def generate_search_index(self, prev: Any) -> str:
        """Material's search_index.json, or, for a site too large for it, the index in shards
        (kb.shards) and a search_index.json that holds only its config and where the shards are:
        as written beside this process (`start`) if that was written from these very entries."""
        early, predicted = self.early, self.predicted
        self.early, self.predicted = None, None
        made = early.result() if early is not None else None
        if made is not None and self.entries != predicted and self.shard_folder is not None:
            shutil.rmtree(self.shard_folder / made[0]["kb_shards"]["path"], ignore_errors=True)
            made = None  # (written from other entries: written again, here)
        if made is None and (not self.sharded(self.entries) or prev is not None or self.shard_folder is None):
            return super().generate_search_index(prev)
        config, used = made or self.write_shards(self.entries)
        if self.store is not None:
            for kind, keys in used.items():
                self.store.note(kind, keys)
        manifest = config["kb_shards"]
        log.info(f"kb: search index in shards: {manifest['docs']} entries, {len(manifest['vocab'])} word lists "
                 f"(search/{manifest['path']}){', written beside the pages' if made else ''}")
        return json.dumps({"config": config, "docs": []}, separators=(",", ":"), default=str)


def _shards_before(search: Path | None) -> Path | None:
    """The shards' folder in the site before's search folder, if it holds one (kb.shards names it
    by a hash of its files): a file there that holds what this build writes under the same name
    is linked (`_publish`)."""
    found = sorted(search.glob("kb-*")) if search is not None and search.is_dir() else []
    return found[0] if len(found) == 1 and found[0].is_dir() else None


_SEARCH_ATTRIBUTE = re.compile(r'data-search-\w+="[^"]+"')


def without_search_attributes(html: str) -> str:
    """`re.sub(r'\\s?data-search-\\w+="[^"]+"', "", html)`, Material's search plugin's step, found
    by its literal part first: an attribute goes with the white space character before it."""
    parts, last = [], 0
    for m in _SEARCH_ATTRIBUTE.finditer(html):
        start = m.start()
        if start > last and html[start - 1].isspace():
            start -= 1
        parts.append(html[last:start])
        last = m.end()
    if not parts:
        return html
    parts.append(html[last:])
    return "".join(parts)


def _toc_tokens(headings: list[tuple[int, str, str]]) -> list[Any]:
    """Headings in order as the nested tokens of Python-Markdown's toc extension."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = [(0, root)]
    for level, anchor, name in headings:
        while stack[-1][0] >= level:
            stack.pop()
        children: list[Any] = []
        stack[-1][1].append({"level": level, "id": anchor, "name": name, "children": children})
        stack.append((level, children))
    return root


def _nav_titles(nav: list[Any]) -> dict[str, str]:
    """The titles mkdocs.yml's nav gives pages (`- Home: index.md`), by path."""
    titles: dict[str, str] = {}
    for item in nav:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    titles[value] = title
                elif isinstance(value, list):
                    titles.update(_nav_titles(value))
    return titles


def _generated(src_uri: str) -> bool:
    return src_uri in GENERATED_FILES or src_uri.split("/", 1)[0] in GENERATED_DIRS


def _docs_dir_order(f: File) -> list[tuple[object, ...]]:
    """MkDocs' order of a docs/ folder: each folder's files (index first), then its subfolders."""
    *folders, name = f.src_uri.split("/")
    return [(1, d) for d in folders] + [(0, name.rsplit(".", 1)[0] not in ("index", "README"), name)]


def _strict_warnings(config: MkDocsConfig) -> bool:
    """True when this strict build logged a warning, so that MkDocs will abort it."""
    counter = next((h for h in logging.getLogger("mkdocs").handlers if isinstance(h, utils.CountHandler)), None)
    return bool(config.strict and counter is not None and counter.get_counts())


def _publish(data: bytes, dest: str, previous: Path | None) -> None:
    """Write data to dest; or, where the site of the build before (`previous`: the file at the same
    place) holds these very bytes, link that file there. A link costs a third of a write, and
    removing the old site then frees nothing: the new site shares its unchanged files with the
    old, and nothing writes them again (MkDocs writes neither a prebuilt page nor a DataFile)."""
    if previous is not None:
        try:
            if previous.stat().st_size == len(data) and previous.read_bytes() == data:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.link(previous, dest)
                return
        except OSError:
            pass  # no such file, or no links on this file system: written
    utils.write_file(data, dest)


class _Site:
    """What the site of the last good build holds, file by file (kind "site" in the build cache,
    one entry per site folder): what each prebuilt file was made from (a page's key in the cache,
    a data file's digest) and its file's identity and times when the build ended (inode, size,
    modification and change times: an edit, a new file or a link to it changes one of them). A
    file the next build makes from the same, still as it was, is linked from there without being
    read (`link`); anything else (no record, other input, a file touched since) is left to the
    caller, which writes it, or links it after comparing its bytes."""

    def __init__(self, store: cache.Cache | None, site: Path | None) -> None:
        self.store, self.site = store, site
        self.key = cache.digest("site", str(site.resolve())) if site is not None else ""
        found = store.get_data("site", self.key) if store and site is not None and site.is_dir() else None
        self.files: dict = found if isinstance(found, dict) else {}
        self.made: set[str] = set()  # the folders `link` made
        # the site's folder, joined to each file's path as text (a Path per file cost three times more)
        self.prefix = os.path.join(site, "") if site is not None else ""
        if store and site is not None:
            store.note("site", [self.key])

    def link(self, dest_uri: str, held: str, dest: str) -> bool:
        """Link the site's file at dest_uri to dest if it holds what `held` names, as this class
        left it; False (nothing done) otherwise."""
        known = self.files.get(dest_uri)
        if not (isinstance(known, tuple) and len(known) == 5 and known[0] == held and self.site is not None):
            return False
        old = self.prefix + dest_uri
        try:
            st = os.stat(old)
            if (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != known[1:]:
                return False
            folder = os.path.dirname(dest)
            if folder not in self.made:
                os.makedirs(folder, exist_ok=True)
                self.made.add(folder)
            os.link(old, dest)
        except OSError:
            return False
        return True

    def keep(self, published: dict[str, str]) -> None:
        """After a good build has put its site in place: record what each file holds, as it is."""
        if self.store is None or self.site is None:
            return
        files = {}
        for dest_uri, held in published.items():
            try:
                st = os.stat(self.prefix + dest_uri)
            except OSError:
                continue
            files[dest_uri] = (held, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        self.store.put_data("site", self.key, files)


def _swap_in(staging: Path, final: Path) -> None:
    """Replace final with staging, keeping the old folder aside until staging is in place."""
    old = final.with_name(final.name + OLD_SUFFIX)
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


# -- the Content-Security-Policy --------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(.*?)</script>", re.S)
CSP = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-src 'none'")


def content_security_policy(html: str) -> str:
    """Insert a CSP meta element first in <head>: only the site's own origin, and of inline
    scripts only those on the page (the theme's few), allowed by their hashes."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
                     for m in _INLINE_SCRIPT.findall(html)})
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(hashes=" ".join(hashes))}">'
    return html.replace("<head>", "<head>\n    " + meta, 1)
