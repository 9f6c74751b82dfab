"""The build cache (kb.cache): a rebuild reuses what did not change and the site is byte-identical
whether the cache is cold, warm, damaged, or left by another version of the engine or theme."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb import render
from kbtest import copy_repo, in_shards, mkdocs, mkdocs_in_process
from test_plugin import edit_first_statement
from test_workers import files_of

REUSED = re.compile(r"kb: (\d+) generated pages built on \d+ process\(es\), (\d+) of them reused from the cache")


def build(root: Path, dest: Path, jobs: str = "2") -> tuple[dict[str, bytes], int, int]:
    """The built site's files, the number of generated pages and how many came from the cache."""
    run = mkdocs(root, "-d", str(dest), env={"KB_JOBS": jobs})
    assert run.returncode == 0, run.output
    pages, reused = map(int, REUSED.search(run.output).groups())
    return files_of(dest), pages, reused


def entries(root: Path) -> list[Path]:
    return [p for p in (root / ".cache" / "kb").rglob("*") if p.is_file()]


def test_cold_warm_damaged_and_one_process_builds_are_byte_identical(tmp_path):
    root = copy_repo(tmp_path / "kb")
    cold, pages, reused = build(root, tmp_path / "cold")
    assert reused == 0 and pages > 80
    # the exports' pieces (kb.render._pieces), kept by the workers, outlive the build's clean-up
    assert {p.name for p in entries(root) if "pieces" in p.parts} == {render.piece_key(n) for n in render.PIECES}
    warm, _, reused = build(root, tmp_path / "warm")
    assert reused == pages and warm == cold
    for entry in entries(root):  # every entry damaged: one byte of each value changed
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0x55
        entry.write_bytes(bytes(data))
    damaged, _, reused = build(root, tmp_path / "damaged")
    assert reused == 0 and damaged == cold
    one, _, reused = build(root, tmp_path / "one", jobs="1")
    assert reused == pages and one == cold


def test_an_edit_rebuilds_the_pages_that_show_it_and_reuses_the_rest(tmp_path):
    root = copy_repo(tmp_path / "kb")
    before, pages, _ = build(root, tmp_path / "before")
    edit_first_statement(root, "Qwxzedit")
    after, _, reused = build(root, tmp_path / "after")
    changed = sorted(rel for rel in after if rel.endswith(".html") and after[rel] != before.get(rel))
    showing = sorted(rel for rel, data in after.items() if rel.endswith(".html") and b"Qwxzedit" in data)
    assert showing and set(showing) <= set(changed)
    assert reused == pages - len(changed)  # the pages that changed, and only those, were built again
    cold_root = copy_repo(tmp_path / "cold-kb")
    edit_first_statement(cold_root, "Qwxzedit")
    cold, _, _ = build(cold_root, tmp_path / "cold")
    assert after == cold


def test_a_cache_from_another_theme_or_engine_is_never_read(tmp_path):
    root = copy_repo(tmp_path / "kb")
    build(root, tmp_path / "first")
    old = {p.relative_to(root / ".cache" / "kb").parts[0] for p in entries(root)}
    main = root / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}Qwxztheme", 1),
                    encoding="utf-8")
    site, _, reused = build(root, tmp_path / "second")
    assert reused == 0
    assert all(b"Qwxztheme" in site[f"compounds/{name}"] for name in ("sarcosine.html", "glycine.html"))
    assert not old & {p.relative_to(root / ".cache" / "kb").parts[0] for p in entries(root)}  # the old one is gone


def test_a_site_in_shards_builds_the_same_cold_warm_and_damaged(tmp_path):
    """The search index in shards (kb.shards) keeps the pages' words in the cache: a warm build
    reads them back, and writes the same site as a cold one or one from a damaged cache."""
    root = in_shards(copy_repo(tmp_path / "kb"))
    cold, _, _ = build(root, tmp_path / "cold")
    assert any(name.startswith("search/kb-") for name in cold)
    words = [p for p in entries(root) if "words" in p.parts]
    assert words, "the pages' words are kept (one entry per run of pages)"
    warm, _, _ = build(root, tmp_path / "warm")
    assert warm == cold
    for entry in words:
        entry.write_bytes(entry.read_bytes()[:-1] + b"!")
    damaged, _, _ = build(root, tmp_path / "damaged")
    assert damaged == cold


def test_a_build_keeps_the_entries_it_used_and_drops_the_rest(tmp_path):
    from kb import cache

    store = cache.Cache(tmp_path, "this")
    for kind in cache.KINDS:
        store.put(kind, "a1", b"A")
        store.put(kind, "b2", b"B")
    store.put("jinja", "t3", b"T")  # compiled templates: kept with their fingerprint
    (tmp_path / "other").mkdir()  # another fingerprint's cache
    (tmp_path / "other" / "entry").write_bytes(b"x")
    store.note("page", ["a1"])
    store.note("file", ["b2"])
    store.keep_only_used()
    fresh = cache.Cache(tmp_path, "this")
    kept = {(kind, key) for kind in (*cache.KINDS, "jinja") for key in ("a1", "b2", "t3") if fresh.get(kind, key)}
    assert kept == {("page", "a1"), ("file", "b2"), ("jinja", "t3")}
    assert [p.name for p in tmp_path.iterdir()] == ["this"]


def test_workers_write_the_cache_at_once_and_each_entry_is_whole(tmp_path):
    """Forked workers write entries at the same time as each other, and read the parent's."""
    from kb import cache, workers

    store = cache.Cache(tmp_path, "f")
    store.put("page", "parent", b"from the parent")

    def put(i: int) -> bytes | None:
        store.put("rendered", f"k{i}", bytes([i % 256]) * 50_000)
        return store.get("page", "parent")

    assert workers.map_ordered(put, 300, 2) == [b"from the parent"] * 300
    fresh = cache.Cache(tmp_path, "f")
    assert all(fresh.get("rendered", f"k{i}") == bytes([i % 256]) * 50_000 for i in range(300))


def test_an_entry_in_two_parts_checks_each_part_on_its_own(tmp_path):
    from kb import cache

    store = cache.Cache(tmp_path, "f")
    name, head = store.put_parts("rendered", "k1", ("meta", [1, 2]), b"<h1>page</h1>")
    assert store.get_head("rendered", "k1") == (("meta", [1, 2]), name, head)
    assert store.get_tail("rendered", "k1") == store.get_tail("rendered", "k1", name) == b"<h1>page</h1>"
    store.put_parts("rendered", "k1", ("meta", [1, 2]), b"<h1>another version</h1>")  # another build's
    assert store.get_tail("rendered", "k1", name) is None, "the HTML of that hash, or none"
    store.put_parts("rendered", "k1", ("meta", [1, 2]), b"<h1>page</h1>")
    assert name == cache.Cache(tmp_path / "other", "f").put_parts("rendered", "k2", (), b"<h1>page</h1>")[0], \
        "the name is the bytes' hash: the same bytes, the same name"
    path = next(tmp_path.glob("f/rendered/*/k1"))
    data = path.read_bytes()
    path.write_bytes(data[:-1] + b"!")  # the HTML damaged: its metadata still reads, the HTML does not
    assert store.get_head("rendered", "k1") is not None and store.get_tail("rendered", "k1") is None
    path.write_bytes(data[:45] + b"!" + data[46:])  # the metadata damaged
    assert store.get_head("rendered", "k1") is None
    path.write_bytes(data[:20])  # cut short
    assert store.get_head("rendered", "k1") is None and store.get_tail("rendered", "k1") is None
    assert store.get_head("rendered", "missing") is None and store.get_tail("rendered", "missing") is None


def test_the_workers_leave_each_page_html_in_the_cache_and_it_reads_back_or_renders_again(tmp_path):
    """With a build cache, a worker keeps the page's HTML there and sends back the rest: the page
    reads its HTML back from the cache, or, if the cache lost or damaged it since, renders it again."""
    from kb import build, cache, render

    root = copy_repo(tmp_path / "kb")
    plain = build.render(build.check(root), jobs=1)
    kept = build.render(build.check(root), jobs=2, store=cache.Cache(tmp_path / "cache", "f"))
    pages = sorted(rel for rel, item in kept.items() if isinstance(item, render.Page))
    assert len(pages) > 80 and {kept[rel].html for rel in pages} == {render.KEPT_ELSEWHERE}
    truth = {rel: plain[rel].html for rel in pages}  # type: ignore[union-attr]
    assert {rel: kept[rel].content() for rel in pages} == truth  # type: ignore[union-attr]
    downloads = sorted(rel for rel, item in kept.items() if isinstance(item, render.Download))
    assert len(downloads) > 80 and all(kept[rel].made_of for rel in downloads)  # type: ignore[union-attr]
    texts = {rel: plain[rel].text for rel in downloads}  # type: ignore[union-attr]
    assert {rel: kept[rel].text for rel in downloads} == texts  # type: ignore[union-attr]
    for i, entry in enumerate(sorted((tmp_path / "cache").rglob("rendered/*/*"))):
        entry.unlink() if i % 2 else entry.write_bytes(entry.read_bytes()[:-1] + b"!")
    assert {rel: kept[rel].content() for rel in pages} == truth  # type: ignore[union-attr]
    assert {rel: kept[rel].text for rel in downloads} == texts  # type: ignore[union-attr]


def test_a_warm_build_reads_the_html_only_of_the_pages_it_builds_again(tmp_path, monkeypatch):
    """A page's HTML is read from the cache only where the theme's page for it is built again: a
    cold build reads every page's once, a warm one none, and after an edit, those of the pages it
    changed; the sites are the same as cold builds'."""
    from kb import render

    loaded: list[str] = []
    real = render.Page.content
    monkeypatch.setattr(render.Page, "content", lambda self: (self.load and loaded.append(self.kept)) or real(self))
    monkeypatch.setenv("KB_JOBS", "1")  # everything in this process, where the reads are counted

    def built(root: Path, site: Path) -> dict[str, bytes]:
        loaded.clear()
        mkdocs_in_process(root, site)
        return files_of(site)

    root = copy_repo(tmp_path / "kb")
    cold = built(root, tmp_path / "cold")
    assert len(loaded) > 80
    assert built(root, tmp_path / "warm") == cold and loaded == []
    edit_first_statement(root, "Qwxzedit")
    after = built(root, tmp_path / "after")
    changed = [rel for rel in after if rel.endswith(".html") and after[rel] != cold.get(rel)]
    assert changed and len(loaded) == len(changed)
    cold_root = copy_repo(tmp_path / "cold-kb")
    edit_first_statement(cold_root, "Qwxzedit")
    assert after == built(cold_root, tmp_path / "cold-after")


def test_a_rebuild_shares_the_unchanged_generated_files_with_the_site_before(tmp_path):
    """A generated page taken from the cache, or a download, whose bytes the site before holds at
    the same place, is linked from it instead of written: after an edit, every unchanged
    generated file is the old site's file, no changed one is, and the site is as a cold build's."""
    root = copy_repo(tmp_path / "kb")
    site = tmp_path / "site"
    first, _, _ = build(root, site)
    inodes = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    edit_first_statement(root, "Qwxzedit")
    after, _, _ = build(root, site)
    now = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    generated = [rel for rel in after if rel.split("/")[0] in ("compounds", "mechanisms", "conditions", "methods",
                                                                "sources", "references", "data")]
    unchanged = [rel for rel in generated if after[rel] == first.get(rel)]
    changed = [rel for rel in after if after[rel] != first.get(rel)]
    assert len(unchanged) > 100 and changed
    assert [rel for rel in unchanged if now[rel] != inodes[rel]] == []
    assert [rel for rel in changed if now[rel] == inodes.get(rel)] == []
    cold_root = copy_repo(tmp_path / "cold-kb")
    edit_first_statement(cold_root, "Qwxzedit")
    assert after == build(cold_root, tmp_path / "cold")[0]


def test_a_rebuild_links_the_untouched_files_of_the_site_before_without_reading_them(tmp_path, monkeypatch):
    """The site's record (kind "site": what each generated file holds, its inode, size and times
    when the build ended) lets a rebuild link an untouched file that holds what it would write,
    without reading either copy; a file changed in place since, even with its size and
    modification time kept, is written again."""
    import os

    from kb import plugin

    monkeypatch.setenv("KB_JOBS", "1")  # every file published in this process, where the calls are counted
    root = copy_repo(tmp_path / "kb")
    site = tmp_path / "site"
    mkdocs_in_process(root, site)
    first = files_of(site)
    published: list[str] = []
    real = plugin._publish
    monkeypatch.setattr(plugin, "_publish", lambda data, dest, previous: published.append(dest) or real(data, dest, previous))
    mkdocs_in_process(root, site)
    assert published == [] and files_of(site) == first

    page = site / "compounds" / "sarcosine.html"
    before = page.stat()
    page.write_bytes(page.read_bytes().replace(b"<title>", b"<TITLE>", 1))  # the same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert page.stat().st_mtime_ns == before.st_mtime_ns and page.stat().st_ino == before.st_ino
    mkdocs_in_process(root, site)
    assert [Path(dest).relative_to(Path(dest).parents[1]).as_posix() for dest in published] == ["compounds/sarcosine.html"]
    assert files_of(site) == first


def test_claim_files_from_the_cache_report_problems_where_a_cold_check_does(tmp_path):
    """A claim file taken from the cache (kind "file") keeps where each value stands packed
    (kb.yamlload.PackedDoc): the problems the cross-file checks find in it then (the first place
    of an id used twice, a citation in a list) are reported at the same lines and columns as by
    a check without a cache; and its records, kept folded as the model takes them, make the model
    a check without a cache makes, lines and all."""
    import shutil

    import pytest

    from kb import build, cache
    from kb.problems import ValidationFailed

    root = copy_repo(tmp_path / "kb")
    edit_first_statement(root, "Qwxzfold    spaced")  # a run of spaces the model folds into one
    store_folder = tmp_path / "cache"
    build.check(root, jobs=1, store=cache.Cache(store_folder, "f"))  # every file kept
    warm_kb = build.check(root, jobs=1, store=cache.Cache(store_folder, "f")).kb  # every file from there
    cold_kb = build.check(root, jobs=1).kb
    assert [(c.id, c.file, c.line) for c in warm_kb.claims] == [(c.id, c.file, c.line) for c in cold_kb.claims]
    # the records as the cache kept them folded (kb.model.folded) make the model a fresh load makes
    assert warm_kb.claims == cold_kb.claims and warm_kb.background == cold_kb.background
    assert warm_kb.entities == cold_kb.entities and len(warm_kb.claims) > 10
    assert any("Qwxzfold spaced" in c.statement for c in warm_kb.claims)
    first = sorted(p for p in (root / "claims").glob("*.yaml"))[0]
    shutil.copy(first, first.with_name("zz-copy.yaml"))  # every id in it used twice, first in the kept file
    bib = root / "references.bib"  # a study's entry gone: the unchanged files citing it are wrong now
    text = bib.read_text(encoding="utf-8")
    study = next(iter(cold_kb.entities["studies"]))
    start = text.rindex("@", 0, text.index("{" + study + ","))
    bib.write_text(text[:start] + text[text.index("\n@", start) + 1:], encoding="utf-8")
    found = []
    for store in (cache.Cache(store_folder, "f"), None):
        with pytest.raises(ValidationFailed) as failed:
            build.check(root, jobs=1, store=store)
        found.append([p.format() for p in failed.value.problems])
    warm, cold = found
    assert warm == cold
    assert any(f"first at {first.relative_to(root).as_posix()}:" in line for line in cold)
    assert any(" KB309 " in line or " KB304 " in line for line in cold)


def test_a_rebuild_links_the_search_shards_that_hold_what_the_site_before_holds(tmp_path):
    """The search index in shards goes to a new folder at every change (kb.shards names it by a
    hash of its files), but each of its files that holds the same bytes under the same name as
    in the site before is linked from there instead of written; the others are written."""
    root = in_shards(copy_repo(tmp_path / "kb"))
    site = tmp_path / "site"

    def shard_files() -> dict[str, tuple[bytes, int]]:
        (folder,) = (site / "search").glob("kb-*")
        return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_ino)
                for p in folder.rglob("*") if p.is_file()}

    build(root, site)
    first = shard_files()
    edit_first_statement(root, "Qwxzedit")
    after, _, _ = build(root, site)
    now = shard_files()
    same = [name for name in now if name in first and now[name][0] == first[name][0]]
    other = [name for name in now if name not in first or now[name][0] != first[name][0]]
    assert len(same) > 10 and other
    assert [name for name in same if now[name][1] != first[name][1]] == []
    assert [name for name in other if name in first and now[name][1] == first[name][1]] == []
    cold_root = in_shards(copy_repo(tmp_path / "cold-kb"))
    edit_first_statement(cold_root, "Qwxzedit")
    assert after == build(cold_root, tmp_path / "cold")[0]


def test_a_download_that_changes_under_an_unchanged_page_is_written_again(tmp_path):
    """A download read back from the cache is named by the page's cached data, which holds it
    (kb.render.Download.made_of): an entry of references.bib given a field the pages do not show
    changes the citing pages' downloads, not their HTML, and the rebuilt site holds the new
    downloads, as a cold build's does."""
    root = copy_repo(tmp_path / "kb")
    site = tmp_path / "site"
    first, _, _ = build(root, site)
    bib = root / "references.bib"
    text = bib.read_text(encoding="utf-8")
    at = text.index("@article{malkesman2012acute,") + len("@article{malkesman2012acute,")
    bib.write_text(text[:at] + "\n  keywords = {Qwxzkeyword}," + text[at:], encoding="utf-8")
    after, _, _ = build(root, site)
    changed = sorted(rel for rel in after if after[rel] != first.get(rel))
    downloads = [rel for rel in changed if rel.endswith(".bib") and not rel.startswith("data/")]
    assert all(b"Qwxzkeyword" in after[rel] for rel in downloads)
    # pages that show the study but not the field: their downloads changed, their HTML did not
    assert [rel for rel in downloads if rel[: -len(".bib")] + ".html" not in changed]
    cold_root = copy_repo(tmp_path / "cold-kb")
    (cold_root / "references.bib").write_text(bib.read_text(encoding="utf-8"), encoding="utf-8")
    assert after == build(cold_root, tmp_path / "cold")[0]


# A hook that gives one generated page a description (a meta element Material writes) read at build time.
META_HOOK = '''
from pathlib import Path
def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "compounds/sarcosine.md":
        page.meta["description"] = Path("marker.txt").read_text(encoding="utf-8").strip()
    return markdown
'''


def test_a_page_whose_metadata_a_plugin_changed_is_built_again_when_it_changes(tmp_path):
    """An unread page is named in the cache by what the cache kept of it (kb.plugin's prebuild:
    its HTML's hash and its data's), but only while its metadata is the engine's: metadata a
    plugin changed is part of its name, so the site shows it as a cold build would."""
    root = copy_repo(tmp_path / "kb")
    (root / "meta_hook.py").write_text(META_HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - meta_hook.py\n", encoding="utf-8")
    site = tmp_path / "site"
    (root / "marker.txt").write_text("Qwxzone", encoding="utf-8")
    first, _, _ = build(root, site)
    assert b'content="Qwxzone"' in first["compounds/sarcosine.html"]
    (root / "marker.txt").write_text("Qwxztwo", encoding="utf-8")
    second, pages, reused = build(root, site)
    assert reused == pages - 1, (pages, reused)  # the other pages came from the cache
    assert b'content="Qwxztwo"' in second["compounds/sarcosine.html"]
    assert [rel for rel in first if first[rel] != second[rel]] == ["compounds/sarcosine.html"]


# A hook that gives one reference page metadata of its own, so that it is named as a plugin's page.
REFERENCE_META_HOOK = '''
def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "references/malkesman2012acute.md":
        page.meta["description"] = "Qwxzdescribed"
    return markdown
'''


@pytest.mark.parametrize("plugin_meta", [False, True])
def test_a_change_only_the_html_shows_builds_the_page_again(tmp_path, plugin_meta):
    """A reference's `verified` note is on its page but out of the search entries, ids and links
    kept beside the HTML: a rebuild after editing it builds the page again (its name in the cache
    holds its HTML's hash, whether its metadata is the engine's or a plugin's) and the site is
    the one a cold build makes."""
    roots = [copy_repo(tmp_path / "kb"), copy_repo(tmp_path / "cold-kb")]
    for root in roots if plugin_meta else []:
        (root / "meta_hook.py").write_text(REFERENCE_META_HOOK, encoding="utf-8")
        config = root / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - meta_hook.py\n", encoding="utf-8")
    site = tmp_path / "site"
    first, _, _ = build(roots[0], site)
    for root in roots:
        bib = root / "references.bib"
        text = bib.read_text(encoding="utf-8")
        assert text.count("PMID and pages not seen.}") == 1
        bib.write_text(text.replace("PMID and pages not seen.}", "PMID and pages not seen. Qwxzchecked.}"),
                       encoding="utf-8")
    after, _, _ = build(roots[0], site)
    page = "references/malkesman2012acute.html"
    assert b"Qwxzchecked" in after[page] and b"Qwxzchecked" not in first[page]
    assert (b"Qwxzdescribed" in after[page]) == plugin_meta
    assert after == build(roots[1], tmp_path / "cold")[0]
