"""Golden pages of the tiny fixture knowledge base, determinism, and curators' text kept inert."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from kb import build
from kbtest import FIXTURES, make_kb, mkdocs, site_project

GOLDEN = FIXTURES.parent / "golden" / "tiny"
REFUSED = "KB_UPDATE_GOLDEN=1 rewrites the golden files and the curators' guide: refused under CI"

if os.environ.get("KB_UPDATE_GOLDEN") and os.environ.get("CI"):
    pytest.exit(REFUSED, returncode=4)  # at collection, before any test of the session can rewrite


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    root = make_kb(tmp_path_factory.mktemp("tiny") / "kb")
    return build.render(build.check(root))


def test_pages_match_golden_files(rendered):
    """Each generated file as docs/ gets it (a page: its metadata, then its HTML)."""
    texts = {rel: build.text_of(v) for rel, v in rendered.items()}
    if os.environ.get("KB_UPDATE_GOLDEN"):
        for rel, text in texts.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8")
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
              for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(golden) == sorted(texts)
    for rel, text in texts.items():
        assert text == golden[rel], f"{rel} differs from its golden file (KB_UPDATE_GOLDEN=1 to accept)"


MARKDOWN_GOLDEN = FIXTURES.parent / "golden" / "markdown" / "fixtures.json"
DUMP_HOOK = FIXTURES.parent / "golden" / "dump_hook.py"


@pytest.mark.parametrize("name", ["tiny", "hostile"])
def test_pages_are_what_python_markdown_made_of_them(tmp_path, name):
    """Generated pages skip Python-Markdown (kb.plugin.DataPage). What MkDocs gets must be what
    Python-Markdown made of the Markdown pages before, recorded in the golden file by a real
    `mkdocs build` of the tiny and hostile knowledge bases with the Markdown pipeline (commit
    b177dba): every page's content (blank lines between blocks aside), its table of contents
    (ids, titles, levels; the permalinks are in the content) and title, and every search entry."""
    root = site_project(tmp_path / "kb", FIXTURES / name)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"\nhooks:\n  - {json.dumps(str(DUMP_HOOK))}\n",
                      encoding="utf-8")
    dump = tmp_path / "pages.json"
    run = mkdocs(root, env={"KB_DUMP": str(dump)})
    assert run.returncode == 0, run.output
    made = {"pages": json.loads(dump.read_text(encoding="utf-8")),
            "search": json.loads((root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]}
    golden = json.loads(MARKDOWN_GOLDEN.read_text(encoding="utf-8"))
    if os.environ.get("KB_UPDATE_GOLDEN"):
        golden[name] = made
        MARKDOWN_GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    want = golden[name]
    assert sorted(made["pages"]) == sorted(want["pages"])
    for rel, page in want["pages"].items():
        assert made["pages"][rel] == page, f"{rel}: not what Python-Markdown made of it"
    assert made["search"] == want["search"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_updating_golden_files_is_refused_under_ci(tmp_path):
    tests = Path(__file__).resolve().parent
    copy = tmp_path / "tests"
    shutil.copytree(tests, copy, ignore=shutil.ignore_patterns("browser", "__pycache__"))
    before = snapshot(copy)
    # Only the golden test in the copy (never this one again, which would recurse without the guard).
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(copy / "test_render.py"), "-k", "test_pages_match_golden_files"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "CI": "true", "KB_UPDATE_GOLDEN": "1"}, timeout=300)
    assert run.returncode != 0
    assert REFUSED in run.stdout + run.stderr
    assert snapshot(copy) == before


def test_rendering_is_deterministic(tmp_path):
    root = make_kb(tmp_path / "kb")
    assert build.render(build.check(root)) == build.render(build.check(root))


def test_markup_in_curators_text_is_inert(rendered):
    page = rendered["compounds/alphamine.md"].html
    assert "<b>" not in page and "](javascript" not in page and "{{ x }}" not in page
    assert "&#60;b&#62;sharper&#60;&#47;b&#62;" in page


def test_export_has_one_record_per_claim(rendered):
    records = json.loads(rendered["data/claims.json"])
    assert [r["id"] for r in records] == ["alphamine-gamma-mice", "alphamine-helps-cells", "alphamine-user-report"]
    assert records[1]["quantities"] == [{"kind": "concentration", "of": "alphamine", "unit": "µM", "value": 10}]
    assert rendered["data/claims.csv"].count("\n") == 4


def test_write_replaces_only_changed_files_and_removes_stale(tmp_path, rendered):
    docs = tmp_path / "docs"
    assert build.write(docs, rendered) == len(rendered)
    assert build.write(docs, rendered) == 0
    (docs / "compounds" / "gone.md").write_text("stale")
    assert build.write(docs, rendered) == 1
    assert not (docs / "compounds" / "gone.md").exists()


def test_templates_compile_once_per_process_and_never_stale(monkeypatch, tmp_path):
    """The engine's templates are compiled once per process (kb.cache.Compiled: a rebuild under
    `mkdocs serve` does not compile them again) and kept in the build cache (a new process does
    not compile them either), and an edited template is compiled again, never served from the cache."""
    from kb import cache, render

    kb = build.check(FIXTURES / "tiny").kb
    first = render.Renderer(kb, cache.Compiled(cache.Cache(tmp_path, "fp")))
    page = first.env.get_template("compound.html.j2")
    assert cache._COMPILED, "rendering filled the cache"
    monkeypatch.setattr(jinja2.Environment, "compile", lambda *a, **k: pytest.fail("compiled again"))
    again = render.Renderer(kb).env.get_template("compound.html.j2")
    assert again.render is not None and again is not page
    monkeypatch.setattr(cache, "_COMPILED", {})  # a new process: only the build cache's folder is left
    fresh = render.Renderer(kb, cache.Compiled(cache.Cache(tmp_path, "fp"))).env.get_template("compound.html.j2")
    assert fresh.render is not None
    monkeypatch.undo()

    for source in ("one", "two"):  # same name, new source: the new text, not the cached one
        kept = cache.Compiled(cache.Cache(tmp_path, "fp"))
        env = jinja2.Environment(loader=jinja2.DictLoader({"t": source}), bytecode_cache=kept)
        assert env.get_template("t").render() == source


def test_a_build_on_several_processes_renders_the_findings_blocks_once():
    """Where most pages render on several processes, kb.build renders the findings' and background
    notes' blocks first (`block_jobs`) and hands them to the pages (`keep_blocks`): the pages then
    render none of them again, and are the pages rendered without."""
    from kb import deps, render
    from kbtest import REPO

    kb = build.watched(deps.Book(), build.check(REPO).kb)
    made = [job() for job in render.Renderer(kb).block_jobs()]
    assert len(made) == len(kb.claims) + len(kb.background) > 30
    given = render.Renderer(kb)
    given.keep_blocks(made)
    macros: list[str] = []
    real = given._macro
    given._macro = lambda name: macros.append(name) or real(name)  # type: ignore[method-assign]
    pages = {rel: make() for rel, make in given.page_jobs()}
    assert macros == []
    assert pages == {rel: make() for rel, make in render.Renderer(kb).page_jobs()}
