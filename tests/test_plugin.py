"""The `kb` MkDocs plugin: its options, a failed build inside MkDocs leaving site/ and docs/ as
they were, and a newcomer's terminal that shows the summary and the address, not MkDocs' list of
pages outside the nav."""
from __future__ import annotations

import gc
import re
import shutil
import subprocess
import threading
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.corpus import insert_token
from kb import render
from kbtest import REPO, copy_repo, mkdocs, mkdocs_in_process, mkdocs_serve


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_first_statement(root: Path, token: str) -> Path:
    """Put token at the start of the first statement of the first claim file, however the
    statement is written (folded, quoted or plain), as the benchmark's serve job does; return
    the file."""
    for path in sorted((root / "claims").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "statement:" in text:
            path.write_text(insert_token(text, token), encoding="utf-8")
            return path
    raise AssertionError("no claim statement to edit")


def test_a_build_failing_inside_mkdocs_leaves_site_and_docs_as_they_were(tmp_path):
    root = copy_repo(tmp_path)
    assert mkdocs(root).returncode == 0
    site_before, docs_before = snapshot(root / "site"), snapshot(root / "docs")
    # A valid edit of the data (the generated pages would change) and a broken link in a
    # hand-written page: validation passes, MkDocs' strict mode fails the build.
    edit_first_statement(root, "Qwxzedit")
    about = root / "docs" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nSee [this](no-such-page.md).\n", encoding="utf-8")
    docs_before["about.md"] = about.read_bytes()

    run = mkdocs(root)
    assert run.returncode != 0
    assert "no-such-page.md" in run.output and "Traceback" not in run.output
    assert snapshot(root / "site") == site_before
    assert snapshot(root / "docs") == docs_before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("site")) == ["site"]

    # Once the link is fixed, the same edit is built and published in site/; docs/ holds only
    # what people wrote (the site is built from memory).
    about.write_text(about.read_text(encoding="utf-8").replace("no-such-page.md", "index.md"), encoding="utf-8")
    docs_before["about.md"] = about.read_bytes()
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    assert any(b"Qwxzedit" in data for data in snapshot(root / "site").values())
    assert snapshot(root / "docs") == docs_before


def test_build_output_is_the_summary_not_a_list_of_pages(tmp_path):
    root = copy_repo(tmp_path)
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    lines = run.output.strip().splitlines()
    assert "not included in the" not in run.output
    assert any(re.search(r"kb: \d+ claims valid", line) for line in lines), lines
    assert len(lines) <= 8, lines


def test_serve_prints_the_summary_then_the_address(tmp_path):
    root = copy_repo(tmp_path)
    proc, port = mkdocs_serve(root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    served = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "Serving on" in line:
                served.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert served.wait(90), lines
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        proc.stdout.close()
    shown = lines[: next(i for i, line in enumerate(lines) if "Serving on" in line) + 1]
    assert not any("not included in the" in line for line in shown), shown
    assert any(re.search(r"kb: \d+ claims valid", line) for line in shown), shown
    assert shown[-1].endswith(f"Serving on http://127.0.0.1:{port}/")
    assert len(shown) <= 8, shown


def test_claims_folder_and_bib_are_plugin_options(tmp_path):
    root = copy_repo(tmp_path)
    (root / "data").mkdir()
    shutil.move(root / "claims", root / "data" / "curated")
    shutil.move(root / "references.bib", root / "data" / "studies.bib")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - kb:\n      claims: claims\n      bib: references.bib\n" in text
    config.write_text(text.replace("      claims: claims\n      bib: references.bib\n",
                                   "      claims: data/curated\n      bib: data/studies.bib\n"), encoding="utf-8")
    run = mkdocs(root)
    assert run.returncode == 0, run.output
    assert (root / "site" / "data" / "references.bib").read_bytes() == (root / "data" / "studies.bib").read_bytes()

    with (root / "data" / "studies.bib").open("a", encoding="utf-8") as fh:
        fh.write("\n@article{broken,\n  title = {Unclosed\n")
    run = mkdocs(root)
    assert run.returncode != 0
    assert re.search(r"^data/studies\.bib:\d+:\d+: KB401 ", run.output, re.M), run.output


def test_a_path_option_outside_the_project_is_a_clean_config_error(tmp_path):
    root = copy_repo(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      bib: references.bib\n",
                                                                  "      bib: ../references.bib\n"), encoding="utf-8")
    run = mkdocs(root)
    assert run.returncode != 0
    assert "'../references.bib' must be a path inside the project" in run.output, run.output
    assert "Traceback" not in run.output


def test_the_cycle_collector_stops_under_build_only():
    """`mkdocs build` is one build per process: the plugin stops Python's cycle collector once the
    model is built. Under `serve`, each rebuild's objects must still be collected."""
    from kb.plugin import KBPlugin

    try:
        for command, collecting in (("serve", True), ("build", False)):
            gc.enable()
            plugin = KBPlugin()
            plugin.on_startup(command=command, dirty=False)
            plugin.keep_for_good()
            assert gc.isenabled() is collecting, command
    finally:
        gc.unfreeze()
        gc.enable()


def test_material_search_leaves_a_generated_page_as_it_leaves_any_page(monkeypatch):
    """A generated page (DataPage) is handed to Material's search plugin's page event: it comes out
    as a page made from the same HTML does, its data-search-* attributes dropped, and its entries
    are the engine's; but the plugin's slow scan for those attributes gets none of its content."""
    import material.plugins.search.plugin as material_search
    from material.plugins.search.plugin import SearchPlugin
    from mkdocs.config import load_config
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page

    from kb import build
    from kb.plugin import DataPage, DataSearchIndex
    from kbtest import REPO

    config = load_config(str(REPO / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    search = next(p for p in config.plugins.values() if isinstance(p, SearchPlugin))
    assert isinstance(search.search_index, DataSearchIndex)
    pages = build.render(build.check(REPO), jobs=1)
    shown = [rel for rel, page in pages.items()
             if isinstance(page, render.Page) and re.search(r'\sdata-search-\w+="', page.html)]
    assert {"compounds/sarcosine.md", "conditions/schizophrenia.md"} <= set(shown)
    for rel in shown:
        page = pages[rel]
        assert isinstance(page, render.Page)
        plain = Page(None, File.generated(config, rel, content=page.html), config)
        plain.content, plain.meta = page.html, {}
        data = DataPage(None, File.generated(config, rel, content=page.html), config, page)
        data.read_source(config)
        data.render(config, None)  # type: ignore[arg-type]
        search.on_page_context({}, page=plain, config=config, nav=None)
        scanned = _Scans()
        monkeypatch.setattr(material_search, "re", scanned)
        search.on_page_context({}, page=data, config=config, nav=None)
        monkeypatch.undo()
        assert scanned.lengths == [0], rel
        assert data.content == plain.content != page.html, rel
        assert 'data-search-exclude="' not in data.content
        assert search.search_index.entries[-len(page.search or []):] == page.search


class _Scans:
    """Material's search plugin's `re`, noting the length of each text it scans."""

    def __init__(self) -> None:
        self.lengths: list[int] = []

    def sub(self, pattern: str, repl: str, text: str) -> str:
        self.lengths.append(len(text))
        return re.sub(pattern, repl, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(['data-search-', 'exclude', 'x', '="', '"', "=", " ", "\n", "\u2003", "<p ",
                                 ">", "a b", "-", "_1"]), max_size=30).map("".join))
def test_dropping_search_attributes_is_materials_step(html):
    from kb.plugin import without_search_attributes

    assert without_search_attributes(html) == re.sub(r"\s?data-search-\w+=\"[^\"]+\"", "", html)


def test_materials_search_step_is_the_one_the_plugin_reproduces():
    """kb.plugin.without_search_attributes reproduces this line of Material's search plugin: a
    Material that changed it fails here, not in a reader's browser."""
    import inspect

    from material.plugins.search.plugin import SearchPlugin

    source = inspect.getsource(SearchPlugin.on_page_context)
    assert 'r"\\s?data-search-\\w+=\\"[^\\"]+\\""' in source
    assert source.index("add_entry_from_context(page)") < source.index("page.content = re.sub(")


def test_the_navigation_is_rendered_once_per_folder_for_pages_outside_it():
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.nav import get_navigation

    from kb.plugin import DataPage, _NavOnce
    from kbtest import REPO

    config = load_config(str(REPO / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    made = {rel: DataPage(None, File.generated(config, rel, content="<h1>x</h1>"), config, render.page_of("<h1>x</h1>"))
            for rel in ("compounds/index.md", "compounds/a.md", "compounds/b.md", "sources/c.md", "d.md")}
    once = _NavOnce(get_navigation(Files([made["compounds/index.md"].file]), config))
    calls: list[str] = []
    shown = {rel: once(page, lambda page=page: calls.append(page.url) or f"nav on {page.url}")
             for _ in range(2) for rel, page in made.items()}
    # the page in the navigation each time; the others once per folder
    assert calls == ["compounds/index.html", "compounds/a.html", "sources/c.html", "d.html", "compounds/index.html"]
    assert shown == {"compounds/index.md": "nav on compounds/index.html", "compounds/a.md": "nav on compounds/a.html",
                     "compounds/b.md": "nav on compounds/a.html", "sources/c.md": "nav on sources/c.html",
                     "d.md": "nav on d.html"}


def test_the_site_is_the_same_with_the_navigation_rendered_for_every_page(tmp_path, site, monkeypatch):
    """The real site built with the navigation rendered once per folder (the build) and for every
    page (the theme's own way): the same files."""
    from kb import plugin

    root = copy_repo(tmp_path / "kb")
    monkeypatch.setattr(plugin._NavOnce, "__call__", lambda self, page, caller: caller())
    mkdocs_in_process(root, tmp_path / "every")
    every, once = snapshot(tmp_path / "every"), snapshot(site)
    pages = [rel for rel in once if rel.endswith(".html")]
    assert len(pages) > 80 and sorted(every) == sorted(once)
    assert [rel for rel in pages if every[rel] != once[rel]] == []


def test_the_generated_files_are_written_once_with_the_pages(tmp_path, monkeypatch):
    """A page's downloads and the data exports (DataFile) are written by the page workers, each once:
    MkDocs' copy of the static files, on one process, finds nothing of theirs left to write."""
    from mkdocs.structure.files import File

    from kb import plugin

    root = copy_repo(tmp_path / "kb")
    site = tmp_path / "site"
    written: list[str] = []  # each generated file written, by the workers or by MkDocs' copy
    real = File.copy_file
    monkeypatch.setattr(File, "copy_file", lambda self, dirty=False: (written.append(self.src_uri)
                                                                       if isinstance(self, plugin.DataFile) else None)
                        or real(self, dirty))
    publish = plugin._publish
    monkeypatch.setattr(plugin, "_publish", lambda data, dest, previous: (
        written.append(Path(dest).relative_to(site.with_name(site.name + plugin.STAGING_SUFFIX)).as_posix())
        or publish(data, dest, previous)))
    monkeypatch.setenv("KB_JOBS", "1")  # the writes happen in this process, where they are counted
    mkdocs_in_process(root, site)
    downloads = sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                       if p.suffix in (".bib", ".json") and p.parent.name in ("compounds", "references", "data"))
    assert len(downloads) > 50 and "data/claims.json" in downloads
    assert sorted(written) == sorted(set(written)) and set(downloads) <= set(written)


@settings(max_examples=400, deadline=None)
@given(base=st.sampled_from(["https://kb.example.org/", "https://kb.example.org/sub/dir/", "http://h:8000/",
                             "https://kb.example.org", "https://kb.example.org/a//b/", "https://h/x;p/",
                             "https://h/?q=1", "https://h/#top", "https://h/%7Euser/", "file:///srv/site/"]),
       url=st.one_of(st.text(alphabet="ab./-_0", max_size=12), st.text(alphabet="ab.-_/:?#%;~ 0", max_size=14)))
@example(base="https://kb.example.org/", url="a/../b.html")
@example(base="https://kb.example.org/", url="a//b.html")
def test_a_generated_page_canonical_address_is_the_one_urljoin_makes(base, url):
    """A generated page's canonical address, joined as text where that is what urljoin makes
    (kb.plugin.canonical), is MkDocs' own: urljoin(base, url) and its path; anything else is
    left to urljoin."""
    from urllib.parse import urljoin, urlsplit

    from kb import plugin

    made = plugin.canonical(base, url)
    assert made is None or made == (urljoin(base, url), urlsplit(urljoin(base, url)).path)


def test_every_generated_page_of_the_real_site_takes_the_plain_canonical_address(site):
    from kb import plugin

    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert len(pages) > 80
    assert [url for url in pages if plugin.canonical("https://serine-glycine-kb.example.org/", url) is None] == []


def test_a_build_frees_the_garbage_of_a_check_that_parsed_references_bib_and_only_then_collects(tmp_path):
    """Under `mkdocs build` the collector is off during the check, and collected once after it only
    where the check parsed references.bib anew (bibtexparser's objects refer to each other: only
    the collector frees them); a check that took the file from the build cache left no cyclic
    garbage, and is not followed by a collection (which rescanned the whole model)."""
    from kb import build, cache
    from kb.plugin import KBPlugin

    def walkers() -> int:  # pylatexenc's parser objects, left by bibtexparser in cycles
        return sum(type(o).__name__ == "LatexWalker" for o in gc.get_objects())

    plugin = KBPlugin()
    plugin.on_startup(command="build", dirty=False)
    store = cache.Cache(tmp_path, "f")
    collections: list[int] = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    try:
        gc.collect()
        gc.disable()
        checked = build.check(REPO, jobs=1, store=store)  # references.bib parsed, then kept in the cache
        assert checked.parsed_bib and walkers() > 0
        plugin.keep_for_good(collect=checked.parsed_bib)
        gc.unfreeze()
        assert walkers() == 0 and collections
        gc.disable()
        collections.clear()
        again = build.check(REPO, jobs=1, store=cache.Cache(tmp_path, "f"))
        assert not again.parsed_bib and walkers() == 0  # the file from the cache: no such garbage
        plugin.keep_for_good(collect=again.parsed_bib)
        assert collections == []
    finally:
        gc.callbacks.pop()
        gc.unfreeze()
        gc.enable()


def test_a_warm_build_runs_no_collection_between_its_check_and_the_freeze(tmp_path, monkeypatch):
    """A `mkdocs build` whose references.bib comes from the build cache makes its check with the
    collector off and freezes what exists right after: no collection runs in between (one there
    rescanned every object of the model, 0.07-0.11 s at 10,000 claims, and freed nothing)."""
    from kb import build
    from kb.plugin import KBPlugin

    root = copy_repo(tmp_path / "kb")
    mkdocs_in_process(root, tmp_path / "site")  # cold: fills the cache
    window: list[int] = []  # collections between the check's start and the freeze
    collections: list[int] = []
    check, keep = build.check, KBPlugin.keep_for_good
    monkeypatch.setattr(build, "check", lambda *a, **k: (window.append(len(collections)), check(*a, **k))[1])
    monkeypatch.setattr(KBPlugin, "keep_for_good",
                        lambda self, collect=False: (window.append(len(collections)), keep(self, collect))[1])
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    try:
        gc.unfreeze()
        gc.enable()
        mkdocs_in_process(root, tmp_path / "site")
        assert len(window) >= 2 and window[1] == window[0], "a collection ran between the check and the freeze"
    finally:
        gc.callbacks.pop()
        gc.unfreeze()
        gc.enable()
